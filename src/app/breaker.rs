//! The circuit breaker's state file and its commands. The state lives in
//! `$XDG_STATE_HOME/guard/breaker.json`, read and rewritten (atomically) under an
//! exclusive lock on `breaker.json.lock`, so parallel guards count exactly. A missing or
//! corrupt state is rebuilt from the audit log; if that is impossible too, the breaker
//! is open for everyone (fail closed) with a message saying why.

use super::guarded::{cannot_ask, check, collect_tokens, confirmed_by, spend};
use super::log::Target;
use crate::analysis::Input;
use crate::approval::identity;
use crate::audit::{self, Record};
use crate::breaker::{Kind, Limits, Opened, State};
use crate::cli::{BreakerCmd, GlobalArgs};
use crate::context::Context;
use crate::error::Error;
use crate::report::duration;
use crate::sanitize::sanitize;
use std::path::PathBuf;

fn path() -> PathBuf {
    identity::state_dir().join("breaker.json")
}

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

/// The session of the agent guard runs under, from the environment.
pub fn env_session() -> Option<String> {
    std::env::var("GUARD_AGENT_SESSION").ok()
}

/// Runs `f` on the state under the lock, and writes the state back if it changed.
fn locked<T>(
    limits: &Limits,
    audit: &Target,
    f: impl FnOnce(&mut State) -> T,
) -> Result<T, String> {
    let state_path = path();
    let _lock = crate::lockfile::open_locked(
        &state_path.with_extension("json.lock"),
        "the circuit breaker's lock",
    )?;
    let (mut state, rebuilt) = load(&state_path, limits, audit);
    // A rebuilt state is written at once, so the record this run writes next is counted
    // once, not again by a rebuild. A fail-safe state (open for everyone) is never
    // written: once the audit log can be read again, the next run rebuilds from it. A
    // reset that clears it is written.
    let failsafe = state.all.is_some();
    let before = state.clone();
    let out = f(&mut state);
    let changed = state != before || rebuilt;
    if changed && !(failsafe && state.all.is_some()) {
        let tmp = state_path.with_extension("json.tmp");
        std::fs::write(&tmp, state.to_text())
            .and_then(|()| std::fs::rename(&tmp, &state_path))
            .map_err(|e| {
                format!(
                    "cannot write the circuit breaker's state {}: {e}",
                    state_path.display()
                )
            })?;
    }
    Ok(out)
}

/// The state on disk, or rebuilt from the audit log when missing or corrupt (then
/// `true`).
fn load(state_path: &std::path::Path, limits: &Limits, audit: &Target) -> (State, bool) {
    let problem = match std::fs::read_to_string(state_path) {
        Ok(text) => match State::parse(&text) {
            Ok(s) => return (s, false),
            Err(why) => format!("is corrupt ({why})"),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "is missing".to_string(),
        Err(e) => format!("cannot be read ({e})"),
    };
    let now = identity::now();
    let failsafe = |why: String| State {
        all: Some(Opened {
            at: now,
            why: format!(
                "the breaker's state {} {problem} and the audit log cannot rebuild it ({why})",
                state_path.display()
            ),
        }),
        ..State::new()
    };
    let state = match std::fs::read_to_string(&audit.path) {
        Ok(text) => match audit::verify::verify(&text) {
            Ok(_) => {
                let records: Vec<Record> = text
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect();
                State::rebuild(&records, limits, now)
            }
            Err(b) => failsafe(format!(
                "its hash chain breaks at line {}: {}",
                b.line, b.what
            )),
        },
        // No log yet: nothing has happened to remember.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::new(),
        Err(e) => failsafe(format!("{}: {e}", audit.path.display())),
    };
    (state, true)
}

/// The whole state, as it is now.
pub fn snapshot(limits: &Limits, audit: &Target) -> Result<State, String> {
    locked(limits, audit, |s| s.clone())
}

/// The key whose breaker is open among `keys`, and why, if one is.
pub fn open_for(
    limits: &Limits,
    audit: &Target,
    keys: &[String],
) -> Result<Option<(String, Opened)>, String> {
    locked(limits, audit, |s| {
        keys.iter()
            .find_map(|k| s.open_for(k).map(|o| (k.clone(), o.clone())))
    })
}

/// Counts one event for each of `keys`; when that opens a breaker, records it in the
/// audit log and says so. A destructive command whose breaker another guard opened
/// since it was checked is counted as refused instead, and the breaker that stops it is
/// returned: the check and the count are then one step under the lock.
pub fn count(
    limits: &Limits,
    audit: &Target,
    keys: &[String],
    kind: Kind,
) -> Option<(String, Opened)> {
    let now = identity::now();
    let counted = locked(limits, audit, |s| {
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
            return None;
        }
    };
    for (key, o) in opened {
        // The last key is always the principal (see `keys`).
        let principal = keys.last().map_or("", String::as_str);
        let record = breaker_record("open", &key, &o.why, principal);
        if let Err(why) = audit.write(record) {
            eprintln!("guard: warning: the breaker opened but {why}");
        }
        eprintln!(
            "guard: the circuit breaker opened for {}: {}. Until a person resets it (`guard breaker reset` at a terminal), every command above allow is refused; read-only commands still run.",
            sanitize(&key),
            sanitize(&o.why)
        );
    }
    stopped
}

/// The refusal for a command while the breaker is open.
pub fn refusal(shown: &str, key: &str, o: &Opened) -> Error {
    Error::Refused(format!(
        "{}: the circuit breaker is open for {} since {}: {}. Every command above allow is refused, whatever approval it carries, until a person resets it: `guard breaker reset` at their own terminal, or `guard --approval TOKEN breaker reset` with an approver's token. Read-only commands still run.",
        sanitize(shown),
        sanitize(key),
        audit::rfc3339(o.at),
        sanitize(&o.why)
    ))
}

fn breaker_record(gate: &str, key: &str, detail: &str, principal: &str) -> Record {
    let (user, host) = (identity::user(), identity::host());
    Record {
        kind: "breaker".into(),
        run: crate::approval::nonce().unwrap_or_default(),
        time: audit::rfc3339(identity::now()),
        requester: principal.into(),
        host,
        user,
        cwd: identity::cwd(),
        gate: gate.into(),
        key: Some(key.into()),
        detail: detail.into(),
        ..Record::default()
    }
}

pub fn command(global: &GlobalArgs, cmd: BreakerCmd) -> Result<i32, Error> {
    let set = super::load_rules(global, Some(&[]))?;
    let limits = set.settings.breaker.clone();
    let audit = Target::from_settings(&set.settings);
    match cmd {
        BreakerCmd::Status { json } => status(&limits, &audit, json),
        BreakerCmd::Reset => reset(global, &limits, &audit, &set.settings.approvals),
    }
}

fn status(limits: &Limits, audit: &Target, json: bool) -> Result<i32, Error> {
    let now = identity::now();
    let state = snapshot(limits, audit).map_err(Error::Refused)?;
    let keys: Vec<serde_json::Value> = state
        .keys
        .keys()
        .map(|k| {
            let (refusals, destructive) = state.counts(k, limits, now);
            let opened = state.open_for(k);
            serde_json::json!({
                "key": k,
                "open": opened.is_some(),
                "refusals": refusals,
                "destructive": destructive,
                "opened_at": opened.map(|o| audit::rfc3339(o.at)),
                "why": opened.map(|o| o.why.clone()),
            })
        })
        .collect();
    let first_open = state
        .all
        .iter()
        .chain(state.keys.values().filter_map(|k| k.opened.as_ref()))
        .min_by_key(|o| o.at);
    let v = serde_json::json!({
        "open": first_open.is_some(),
        "opened_at": first_open.map(|o| audit::rfc3339(o.at)),
        "why": first_open.map(|o| o.why.clone()),
        "enabled": limits.enabled,
        "window": duration(limits.window),
        "window_seconds": limits.window,
        "max_refusals": limits.max_refusals,
        "max_destructive": limits.max_destructive,
        "keys": keys,
    });
    if json {
        println!("{v}");
        return Ok(0);
    }
    match first_open {
        Some(o) => println!(
            "open since {}: {}\nreset it at your own terminal: guard breaker reset",
            audit::rfc3339(o.at),
            sanitize(&o.why)
        ),
        None => println!(
            "closed (opens at more than {} refused or {} destructive commands within {})",
            limits.max_refusals,
            limits.max_destructive,
            duration(limits.window)
        ),
    }
    for k in &keys {
        println!(
            "  {}: {} refused, {} destructive in the window{}",
            sanitize(k["key"].as_str().unwrap_or_default()),
            k["refusals"],
            k["destructive"],
            if k["open"] == true { " (open)" } else { "" }
        );
    }
    Ok(0)
}

fn reset(
    global: &GlobalArgs,
    limits: &Limits,
    audit: &Target,
    a: &crate::matcher::Approvals,
) -> Result<i32, Error> {
    let ctx = Context::detect(global.non_interactive);
    let subject = Input::Argv(vec!["guard".into(), "breaker".into(), "reset".into()]);
    let tokens = collect_tokens(global)?;
    let how = if !tokens.is_empty() {
        let verified = check(&subject, &tokens, a, None)
            .map_err(|why| Error::Refused(format!("breaker reset refused: {why}")))?;
        spend(a, &verified.request.nonce, "guard breaker reset")
            .map_err(|why| Error::Refused(format!("breaker reset refused: {why}")))?;
        format!(
            "reset with the approval of {}",
            verified.approvers.join(", ")
        )
    } else if cannot_ask(&ctx) {
        let req = super::approve::make_request(&subject, &[], a, None)?;
        let who = ctx
            .agent
            .as_deref()
            .map_or_else(|| "here".to_string(), |ag| format!("by an agent ({ag})"));
        return Err(Error::Refused(format!(
            "only a person resets the circuit breaker, and none can be asked {who}: run `guard breaker reset` at your own terminal, or have an approver sign this request:\n{}",
            super::approve::how_to_approve(&req).replace(
                "then run the same command again with --approval TOKEN",
                "then run: guard --approval TOKEN breaker reset"
            )
        )));
    } else {
        let state = snapshot(limits, audit).map_err(Error::Refused)?;
        let mut prompt = String::from("guard: reset the circuit breaker?\n");
        for (k, o) in state
            .keys
            .iter()
            .filter_map(|(k, v)| v.opened.as_ref().map(|o| (k, o)))
        {
            prompt.push_str(&format!(
                "  open for {} since {}: {}\n",
                sanitize(k),
                audit::rfc3339(o.at),
                sanitize(&o.why)
            ));
        }
        if let Some(o) = &state.all {
            prompt.push_str(&format!("  open for everyone: {}\n", sanitize(&o.why)));
        }
        prompt.push_str("Type `reset` to close it, anything else to cancel: ");
        if !crate::confirm::ask_text(&prompt, "reset").unwrap_or(false) {
            return Err(Error::Refused(
                "not confirmed: the circuit breaker is left as it was".into(),
            ));
        }
        format!("reset, {}", confirmed_by())
    };
    let was = locked(limits, audit, State::reset).map_err(Error::Refused)?;
    audit
        .write(breaker_record(
            "reset",
            "*",
            &how,
            &identity::principal(a.principal.as_deref()),
        ))
        .map_err(|why| Error::Refused(format!("the breaker was reset, but {why}")))?;
    if was.is_empty() {
        println!("guard: the circuit breaker was closed; its counts are cleared ({how})");
    } else {
        println!(
            "guard: the circuit breaker is closed again for {} ({how})",
            sanitize(&was.join(", "))
        );
    }
    Ok(0)
}
