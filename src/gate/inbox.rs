//! The inbox at the gate. A refusal for want of an approval posts its request — or finds
//! the same request already waiting, so an agent that retries gets the same id, not a
//! new request each time — and a later run of the same command finds the tokens its
//! approvers left there. A request is the same when everything an approval binds is:
//! the command, where and for whom it runs (or the CI run), and the plan.

use super::{Case, Deps, Refusal};
use crate::approval::{Confirmation, Request, Token};
use crate::store::Pending;

/// Whether two requests bind the same thing.
pub fn same_binding(a: &Request, b: &Request) -> bool {
    a.command == b.command
        && a.cwd == b.cwd
        && a.host == b.host
        && a.requester == b.requester
        && a.plan == b.plan
        && a.ci == b.ci
}

/// A waiting request the store holds, read.
pub fn read(p: &Pending) -> Option<Request> {
    serde_json::from_str(&p.request).ok()
}

/// The waiting requests that bind what `fresh` binds and are not spent, newest first.
fn matching(deps: &Deps, fresh: &Request) -> Vec<(Pending, Request)> {
    let now = crate::time::now();
    let mut out: Vec<(Pending, Request)> = deps
        .store
        .waiting(now)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| read(&p).map(|r| (p, r)))
        .filter(|(_, r)| same_binding(r, fresh) && r.expires >= now)
        .filter(|(_, r)| !matches!(deps.store.spent(&r.nonce), Ok(Some(_))))
        .collect();
    out.reverse();
    out
}

/// The request for this case: the same one already waiting, else `fresh`, posted to the
/// inbox (and the approvers notified). An inbox that cannot be written is a warning: the
/// refusal still carries the request's code.
pub fn request_for(case: &Case, deps: &Deps) -> Result<(Request, bool), Refusal> {
    let fresh = super::second::request(case, deps)?;
    if let Some((_, r)) = matching(deps, &fresh).into_iter().next() {
        return Ok((r, true));
    }
    match deps
        .store
        .post(&fresh.id(), &fresh.to_json(), fresh.expires)
    {
        Ok(_) => {
            (deps.notify)(super::Notice::Request(&fresh));
            Ok((fresh, true))
        }
        Err(e) => {
            eprintln!(
                "guard: warning: the request is not in the inbox ({e}); hand its code to an approver"
            );
            Ok((fresh, false))
        }
    }
}

/// The tokens approvers left in the inbox for a request that binds what this case is.
pub fn approvals_for(case: &Case, deps: &Deps) -> Vec<Token> {
    let Ok(fresh) = super::second::request(case, deps) else {
        return Vec::new();
    };
    matching(deps, &fresh)
        .into_iter()
        .find(|(p, _)| !p.tokens.is_empty())
        .map(|(p, _)| {
            p.tokens
                .iter()
                .filter_map(|t| Token::decode(t).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The requester's own confirmation, from their own terminal, of a request that binds
/// what this case is: the request and who confirmed it.
pub fn confirmation_for(case: &Case, deps: &Deps) -> Option<(Request, Confirmation)> {
    let fresh = super::second::request(case, deps).ok()?;
    matching(deps, &fresh).into_iter().find_map(|(p, r)| {
        p.tokens
            .iter()
            .filter_map(|t| Confirmation::decode(t))
            .find(|c| c.nonce == r.nonce)
            .map(|c| (r, c))
    })
}
