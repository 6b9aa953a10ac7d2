//! The circuit breaker at the gate: is it open for this requester, and counting what the
//! gate decided. The state itself is the store's; its rules are `crate::breaker`'s.

use super::{Case, Deps, Pass, Refusal};
use crate::audit::Record;
use crate::breaker::{Kind, Opened};
use crate::decision::Decision;
use crate::sanitize::sanitize;
use crate::store::{self, Store};

/// The keys a run counts against, the first recorded with it: the agent session when
/// guard runs under an agent (`GUARD_AGENT_SESSION`, or the session id a hook is given),
/// and always the principal, so a changing session name cannot dodge the count.
pub fn keys(agent: Option<&str>, session: Option<&str>, principal: &str) -> Vec<String> {
    let agent_key = match (agent, session.filter(|s| !s.is_empty())) {
        (Some(a), Some(s)) => Some(format!("agent:{a}/{s}")),
        (Some(a), None) => Some(format!("agent:{a}")),
        (None, _) => None,
    };
    agent_key
        .into_iter()
        .chain(std::iter::once(principal.to_string()))
        .collect()
}

/// The key whose breaker is open among `keys`, and why, if one is.
pub fn open_for(deps: &Deps, keys: &[String]) -> Result<Option<(String, Opened)>, String> {
    store::with_breaker(deps.store, &deps.settings.breaker, |s| {
        keys.iter()
            .find_map(|k| s.open_for(k).map(|o| (k.clone(), o.clone())))
    })
    .map_err(|e| e.to_string())
}

/// The refusal for a command while the breaker is open.
pub fn refusal(shown: &str, key: &str, o: &Opened) -> String {
    format!(
        "{}: the circuit breaker is open for {} since {}: {}. Every command above allow is refused, whatever approval it carries, until a person resets it: `guard breaker reset` at their own terminal, or `guard --approval TOKEN breaker reset` with an approver's token. Read-only commands still run.",
        sanitize(shown),
        sanitize(key),
        crate::time::rfc3339(o.at),
        sanitize(&o.why)
    )
}

pub(super) fn refused(case: &Case, key: &str, o: &Opened) -> Refusal {
    Refusal {
        kind: super::Refused::Breaker,
        ..Refusal::plain(refusal(case.shown, key, o), case.decision)
    }
}

/// Counts what the gate decided for each key. A destructive command whose breaker
/// another guard opened since it was checked is counted as refused instead, and the
/// refusal that stops it is returned: the check and the count are one step under the
/// lock. When a count opens a breaker, that is on the record and said.
pub(super) fn count(case: &Case, deps: &Deps, pass: &Result<Pass, Refusal>) -> Option<Refusal> {
    let kind = match pass {
        // The state could not be read: there is nothing to count in.
        Err(r) if r.kind == super::Refused::Unavailable => return None,
        Err(_) => Kind::Refused,
        Ok(p) if p.how == super::How::Asked => return None,
        Ok(_) if case.decision >= Decision::Confirm => Kind::Destructive,
        Ok(_) => return None,
    };
    let (stopped, opened) = count_keys(deps.store, deps.settings, &case.keys, kind);
    for (key, why) in &opened {
        (deps.notify)(super::Notice::Breaker { key, why });
    }
    stopped.map(|(key, o)| refused(case, &key, &o))
}

/// What counting did: the breaker that stopped a destructive command, if one did, and
/// each key this count opened, with why.
pub type Counted = (Option<(String, Opened)>, Vec<(String, String)>);

/// Counts one event of `kind` for each of `keys`.
pub fn count_keys(
    store: &dyn Store,
    settings: &crate::settings::Settings,
    keys: &[String],
    kind: Kind,
) -> Counted {
    let limits = &settings.breaker;
    let now = crate::time::now();
    let counted = store::with_breaker(store, limits, |s| {
        let stopped = (kind == Kind::Destructive)
            .then(|| {
                keys.iter()
                    .find_map(|k| s.open_for(k).map(|o| (k.clone(), o.clone())))
            })
            .flatten();
        let kind = if stopped.is_some() {
            Kind::Refused
        } else {
            kind
        };
        let opened = keys
            .iter()
            .filter_map(|k| s.count(k, kind, limits, now).map(|o| (k.clone(), o)))
            .collect::<Vec<_>>();
        (stopped, opened)
    });
    let (stopped, opened) = match counted {
        Ok(c) => c,
        Err(why) => {
            eprintln!("guard: warning: {why}; this command was not counted");
            return (None, Vec::new());
        }
    };
    for (key, o) in &opened {
        // The last key is always the principal (see `keys`).
        let principal = keys.last().map_or("", String::as_str);
        let record = breaker_record("open", key, &o.why, principal);
        if let Err(why) = store.append(record) {
            eprintln!("guard: warning: the breaker opened but {why}");
        }
        eprintln!(
            "guard: the circuit breaker opened for {}: {}. Until a person resets it (`guard breaker reset` at a terminal), every command above allow is refused; read-only commands still run.",
            sanitize(key),
            sanitize(&o.why)
        );
    }
    (
        stopped,
        opened.into_iter().map(|(k, o)| (k, o.why)).collect(),
    )
}

/// A record of the breaker opening or being reset.
pub fn breaker_record(gate: &str, key: &str, detail: &str, principal: &str) -> Record {
    let (user, host) = (crate::identity::user(), crate::identity::host());
    Record {
        kind: "breaker".into(),
        run: crate::hex::random_id().unwrap_or_default(),
        time: crate::time::rfc3339(crate::time::now()),
        requester: principal.into(),
        host,
        user,
        cwd: crate::identity::cwd(),
        gate: gate.into(),
        key: Some(key.into()),
        detail: detail.into(),
        ..Record::default()
    }
}
