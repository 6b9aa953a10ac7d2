//! Making a request for a command that needs an approval, and saying in plain words what
//! it is and how to get it approved.

use super::{CiBinding, Request, RuleRef, Subject};
use crate::context::CiRun;
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
    /// In CI, the run (and then `host` is empty and `cwd` relative to the checkout).
    pub ci: Option<CiBinding>,
}

impl Origin {
    /// Here and now, as `requester`.
    pub fn here(requester: String) -> Origin {
        Origin {
            cwd: crate::identity::cwd(),
            host: crate::identity::host(),
            requester,
            now: crate::time::now(),
            ci: None,
        }
    }

    /// In the CI run `run`, as the actor who started it (`github:alice`, or the
    /// principal the system config's `[principals]` gives that name). Runners are
    /// fresh machines: the host is not bound, the directory is the checkout's.
    pub fn in_run(run: &CiRun, principals: &[(String, String)]) -> Origin {
        let actor = format!("{}:{}", run.platform, run.actor);
        let requester = principals
            .iter()
            .rev()
            .find(|(name, _)| *name == actor)
            .map_or(actor, |(_, p)| p.clone());
        Origin {
            cwd: run.directory(&crate::identity::cwd()),
            host: String::new(),
            requester,
            now: crate::time::now(),
            ci: Some(CiBinding {
                platform: run.platform.to_string(),
                repository: run.repository.clone(),
                commit: run.commit.clone(),
                environment: run.environment.clone(),
            }),
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
        ci: origin.ci,
    })
}

/// The lines that tell a person how to get the command approved. `posted`: the request
/// is in the inbox, so an approver who shares guard's state can approve it by its id,
/// and running the same command again picks the approval up.
pub fn how_to_approve(req: &Request, posted: bool) -> String {
    if posted {
        return format!(
            "approval request {} (valid until {}):\n  {}\nan approver (not you) runs, where guard's state is shared (a protected install, the team's database):\n  guard approve {}\nor anywhere, with the whole request:\n  guard approve {}\nthen run the same command again, unchanged (add --wait 15m to wait for the approval); or pass the token the approver gives you with --approval TOKEN (or GUARD_APPROVAL=TOKEN)",
            req.id(),
            format_time(req.expires),
            describe(req).replace('\n', "\n  "),
            req.id(),
            req.code()
        );
    }
    format!(
        "approval request (valid until {}):\n  {}\nan approver (not you) runs:\n  guard approve {}\nthen run the same command again with --approval TOKEN (or GUARD_APPROVAL=TOKEN)",
        format_time(req.expires),
        describe(req).replace('\n', "\n  "),
        req.code()
    )
}

/// The request in plain words.
pub fn describe(req: &Request) -> String {
    let place = match &req.ci {
        Some(c) => format!(
            "ci run:    {} {} at commit {}{}",
            sanitize(&c.platform),
            sanitize(&c.repository),
            sanitize(&c.commit),
            if c.environment.is_empty() {
                String::new()
            } else {
                format!(", environment {}", sanitize(&c.environment))
            }
        ),
        None => format!("host:      {}", sanitize(&req.host)),
    };
    let mut s = format!(
        "command:   {}\ndirectory: {}\n{place}\nrequester: {}\n",
        sanitize(&super::verify::show(&req.command)),
        sanitize(&req.cwd),
        sanitize(&req.requester)
    );
    if let Some(reason) = &req.reason {
        s.push_str(&format!(
            "reason:    {} (the agent's own words)\n",
            sanitize(reason)
        ));
    }
    for r in &req.resources {
        s.push_str(&format!("destroys:  {}\n", sanitize(r)));
    }
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
