//! Making a request for a command that needs an approval, and saying in plain words what
//! it is and how to get it approved.

use super::{Request, RuleRef, Subject};
use crate::decision::Decision;
use crate::finding::Finding;
use crate::sanitize::sanitize;
use crate::settings::Approvals;
use crate::time::format_time;

/// The rules a request names: every finding at confirm level or above.
pub fn rules_of(findings: &[Finding]) -> Vec<RuleRef> {
    findings
        .iter()
        .filter(|f| f.severity >= Decision::Confirm)
        .map(|f| RuleRef {
            id: f.rule.clone(),
            severity: f.severity.to_string(),
            reason: f.reason.clone(),
        })
        .collect()
}

/// What a request is made of besides the command.
#[derive(Debug, Clone)]
pub struct Origin {
    pub cwd: String,
    pub host: String,
    pub requester: String,
    pub now: u64,
}

impl Origin {
    /// Here and now, as `requester`.
    pub fn here(requester: String) -> Origin {
        Origin {
            cwd: crate::identity::cwd(),
            host: crate::identity::host(),
            requester,
            now: crate::time::now(),
        }
    }
}

/// A fresh request for `command`, which triggered `findings`.
pub fn new(
    command: Subject,
    findings: &[Finding],
    origin: Origin,
    a: &Approvals,
    plan: Option<&str>,
) -> Result<Request, getrandom::Error> {
    Ok(Request {
        version: 1,
        command,
        cwd: origin.cwd,
        host: origin.host,
        requester: origin.requester,
        rules: rules_of(findings),
        created: origin.now,
        expires: origin.now + a.lifetime.min(a.max_lifetime),
        nonce: crate::hex::random_id()?,
        plan: plan.map(str::to_string),
        resources: Vec::new(),
        reason: None,
        ci: None,
    })
}

/// The lines that tell a person how to get the command approved.
pub fn how_to_approve(req: &Request) -> String {
    format!(
        "approval request (valid until {}):\n  {}\nan approver (not you) runs:\n  guard approve {}\nthen run the same command again with --approval TOKEN (or GUARD_APPROVAL=TOKEN)",
        format_time(req.expires),
        describe(req).replace('\n', "\n  "),
        req.code()
    )
}

/// The request in plain words.
pub fn describe(req: &Request) -> String {
    let mut s = format!(
        "command:   {}\ndirectory: {}\nhost:      {}\nrequester: {}\n",
        sanitize(&super::verify::show(&req.command)),
        sanitize(&req.cwd),
        sanitize(&req.host),
        sanitize(&req.requester)
    );
    for r in &req.rules {
        s.push_str(&format!(
            "rule:      {} ({}): {}\n",
            sanitize(&r.id),
            sanitize(&r.severity),
            sanitize(&r.reason)
        ));
    }
    s.push_str(&format!(
        "requested: {}, expires {}",
        format_time(req.created),
        format_time(req.expires)
    ));
    s
}
