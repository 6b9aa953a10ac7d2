//! Verifying approvals before a command runs. Each check has its own refusal, which says
//! what is wrong and what to do. Pure: the caller supplies the approvers, the clock and
//! the requester's own keys.

use super::signers::{self, Signer};
use super::{NAMESPACE, Request, Subject, Token};
use crate::time::{ago, format_time};
use ssh_key::SshSig;
use ssh_key::public::KeyData;

/// What the approvals must match.
#[derive(Debug)]
pub struct Expect<'a> {
    pub command: &'a Subject,
    pub cwd: &'a str,
    pub host: &'a str,
    pub requester: &'a str,
    pub now: u64,
    /// Longest lifetime a request may have been given.
    pub max_lifetime: u64,
    /// How many distinct approvers must sign.
    pub required: usize,
    /// The requester's own public keys (from their `~/.ssh`): never an approver.
    pub own_keys: &'a [KeyData],
    /// The approvers file's path, for messages.
    pub signers_path: &'a str,
    /// The digest of the plan read for this run, if one was.
    pub plan: Option<&'a str>,
}

/// Approvals that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub request: Request,
    pub approvers: Vec<String>,
}

/// Checks the tokens (one per approver) for the command about to run.
pub fn verify(tokens: &[Token], signers: &[Signer], expect: &Expect) -> Result<Verified, String> {
    let Some(first) = tokens.first() else {
        return Err("no approval token was given".into());
    };
    let mut approvers: Vec<String> = Vec::new();
    for token in tokens {
        if token.request != first.request {
            return Err(
                "the approval tokens are for different requests: give tokens for this one request"
                    .into(),
            );
        }
        let approver = check_signature(token, signers, expect)?;
        if !approvers.contains(&approver) {
            approvers.push(approver);
        }
    }
    let request: Request = serde_json::from_str(&first.request)
        .map_err(|e| format!("the approved request is damaged: {e}"))?;
    check_binding(&request, expect)?;
    if approvers.len() < expect.required {
        return Err(format!(
            "{} of {} required approvals: signed by {}; ask {} more approver{} to run `guard approve` on the same request",
            approvers.len(),
            expect.required,
            approvers.join(", "),
            expect.required - approvers.len(),
            if expect.required - approvers.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    Ok(Verified { request, approvers })
}

/// Returns the approver's principal when the signature is good and from an approver who
/// is not the requester.
fn check_signature(token: &Token, signers: &[Signer], expect: &Expect) -> Result<String, String> {
    let sig = SshSig::from_pem(token.signature.trim())
        .map_err(|e| format!("the approval's signature is damaged: {e}"))?;
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "the approval was signed for `{}`, not for guard (`{NAMESPACE}`)",
            sig.namespace()
        ));
    }
    let candidates: Vec<&Signer> = signers::by_key(signers, sig.public_key()).collect();
    let Some(signer) = candidates.iter().find(|s| s.allows_namespace(NAMESPACE)) else {
        return Err(format!(
            "the approval is signed by a key that is not an approver's: it is not in the approvers file {} (for guard's namespace)",
            expect.signers_path
        ));
    };
    signer
        .key
        .verify(NAMESPACE, token.request.as_bytes(), &sig)
        .map_err(|_| "the approval's signature does not verify: the token was altered, or signed over another request".to_string())?;
    let own_key = expect.own_keys.iter().any(|k| k == sig.public_key());
    if signer.names(expect.requester) || own_key {
        return Err(format!(
            "self-approval refused: the approval is signed by {} — the requester ({}) — and a two-person command needs a different person",
            signer.principal(),
            expect.requester
        ));
    }
    Ok(signer.principal().to_string())
}

fn check_binding(r: &Request, expect: &Expect) -> Result<(), String> {
    let mut differs = Vec::new();
    if &r.command != expect.command {
        differs.push(format!(
            "command: approved `{}`, running `{}`",
            show(&r.command),
            show(expect.command)
        ));
    }
    if r.cwd != expect.cwd {
        differs.push(format!(
            "directory: approved {}, running in {}",
            r.cwd, expect.cwd
        ));
    }
    if r.host != expect.host {
        differs.push(format!(
            "host: approved {}, running on {}",
            r.host, expect.host
        ));
    }
    if r.requester != expect.requester {
        differs.push(format!(
            "requester: approved for {}, run by {}",
            r.requester, expect.requester
        ));
    }
    if !differs.is_empty() {
        return Err(format!(
            "the approval is for something else ({}); request a new one for this command",
            differs.join("; ")
        ));
    }
    if r.plan.as_deref() != expect.plan {
        let short =
            |p: Option<&str>| p.map_or("none".to_string(), |d| d.chars().take(12).collect());
        return Err(format!(
            "the plan changed since it was approved (approved plan {}, this plan {}): a new plan needs a new approval",
            short(r.plan.as_deref()),
            short(expect.plan)
        ));
    }
    // A request made "in the future" could carry any expiry within the allowed lifetime.
    if r.created > expect.now + 300 {
        return Err(format!(
            "the request claims to be made at {}, after now: it was not made by guard here",
            format_time(r.created)
        ));
    }
    if expect.now > r.expires {
        return Err(format!(
            "the approval expired at {} ({} ago); request a new one",
            format_time(r.expires),
            ago(expect.now - r.expires)
        ));
    }
    if r.expires.saturating_sub(r.created) > expect.max_lifetime {
        return Err(format!(
            "the request asked for a lifetime of {}, longer than the {} allowed",
            ago(r.expires - r.created),
            ago(expect.max_lifetime)
        ));
    }
    Ok(())
}

/// How a request's command is shown.
pub fn show(s: &Subject) -> String {
    match s {
        Subject::Argv(argv) => crate::shell::Command::from_argv(argv).to_string(),
        Subject::Shell(text) => text.clone(),
    }
}
