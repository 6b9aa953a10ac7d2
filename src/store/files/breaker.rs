//! The circuit breaker's state as one JSON file, read and rewritten (atomically) under an
//! exclusive lock on `breaker.json.lock`, so parallel guards count exactly. A missing or
//! corrupt state is rebuilt from the audit log; if that is impossible too, the breaker
//! is open for everyone (fail closed) with a message saying why, and that fail-safe state
//! is never written: once the log can be read again, the next run rebuilds from it.

use super::safe::{self, open_locked};
use crate::audit::Record;
use crate::breaker::{Limits, Opened, State};
use crate::store::StoreError;
use std::path::Path;

const WHAT: &str = "the circuit breaker's state";

/// Runs `f` on the state at `state_path` under the lock, and writes the state back if it
/// changed.
pub fn update(
    state_path: &Path,
    audit_path: &Path,
    limits: &Limits,
    f: &mut dyn FnMut(&mut State),
) -> Result<(), StoreError> {
    let _lock = open_locked(
        &state_path.with_extension("json.lock"),
        "the circuit breaker's lock",
    )?;
    let (mut state, rebuilt) = load(state_path, audit_path, limits);
    // A rebuilt state is written at once, so the record this run writes next is counted
    // once, not again by a rebuild. A reset that clears a fail-safe state is written.
    let failsafe = state.all.is_some();
    let before = state.clone();
    f(&mut state);
    let changed = state != before || rebuilt;
    if changed && !(failsafe && state.all.is_some()) {
        safe::replace(state_path, WHAT, &state.to_text())?;
    }
    Ok(())
}

/// The state on disk, or rebuilt from the audit log when missing or corrupt (then
/// `true`).
fn load(state_path: &Path, audit_path: &Path, limits: &Limits) -> (State, bool) {
    let problem = match safe::read(state_path, WHAT) {
        Ok(Some(text)) => match State::parse(&text) {
            Ok(s) => return (s, false),
            Err(why) => format!("is corrupt ({why})"),
        },
        Ok(None) => "is missing".to_string(),
        Err(e) => format!("cannot be used ({e})"),
    };
    let now = crate::time::now();
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
    let head = match super::audit::read_head(audit_path) {
        Ok(h) => h,
        Err(e) => return (failsafe(e.to_string()), true),
    };
    let log = safe::read(audit_path, "the audit log");
    let state = match log {
        // No log, yet its anchor says records were written: it was removed.
        Ok(None) if head.as_ref().is_some_and(|h| h.records > 0) => failsafe(format!(
            "{} is missing, but its anchor says it held {} records",
            audit_path.display(),
            head.as_ref().map_or(0, |h| h.records)
        )),
        Ok(Some(text)) => match super::verify_anchored(&text, head.as_ref()) {
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
        Ok(None) => State::new(),
        Err(e) => failsafe(e.to_string()),
    };
    (state, true)
}
