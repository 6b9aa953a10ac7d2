//! The circuit breaker as insert-only rows: events counted (`guard_breaker_events`),
//! breakers opened (`guard_breaker_opened`) and resets (`guard_breaker_resets`), all
//! numbered by one sequence. The state is what the rows after the last reset say (the
//! events within the window): an update holds the breaker lock for its transaction,
//! loads that state, runs the caller's change on it, and inserts what changed as new
//! rows — a count as an event, an opening as an opened row, a reset as a reset row
//! followed by whatever the change left. So every machine counts into the same state,
//! and nothing is ever rewritten.
//!
//! A row that cannot be read as a state (a kind guard does not know) opens the breaker
//! for everyone (fail closed); that fail-safe state is never written, and a reset, which
//! starts the state after it, clears it.

use super::{Fail, from_db, to_db};
use crate::breaker::{Event, KeyState, Kind, Limits, Opened, State};
use postgres::{Client, Transaction};

/// Runs `f` on the shared state under the breaker lock and inserts what it changed.
pub fn update(
    client: &mut Client,
    limits: &Limits,
    f: &mut dyn FnMut(&mut State),
) -> Result<(), Fail> {
    let mut tx = client.transaction()?;
    super::lock(&mut tx, super::BREAKER_LOCK)?;
    let now = crate::time::now();
    let before = load(&mut tx, limits, now)?;
    let mut after = before.clone();
    f(&mut after);
    if before.all.is_some() && after.all.is_some() {
        // The fail-safe state is never kept: the rows are read again next time.
        return Ok(tx.rollback()?);
    }
    write(&mut tx, &before, &after, now)?;
    Ok(tx.commit()?)
}

/// The state the rows after the last reset say, counting events within the window
/// before `now`.
fn load(tx: &mut Transaction, limits: &Limits, now: u64) -> Result<State, Fail> {
    let since: i64 = tx
        .query_one(
            "SELECT coalesce(max(seq), 0) FROM guard_breaker_resets",
            &[],
        )?
        .try_get(0)?;
    // An event counts while `now - time < window`, as `State::counts` has it.
    let cutoff = now.checked_sub(limits.window).map_or(i64::MIN, to_db);
    let mut state = State::new();
    for row in tx.query(
        "SELECT key, time, kind FROM guard_breaker_events WHERE seq > $1 AND time > $2 ORDER BY seq",
        &[&since, &cutoff],
    )? {
        let key: String = row.try_get(0)?;
        let time = from_db(row.try_get(1)?);
        let kind: String = row.try_get(2)?;
        let kind = match kind.as_str() {
            "refused" => Kind::Refused,
            "destructive" => Kind::Destructive,
            other => return Ok(failsafe(now, other)),
        };
        state
            .keys
            .entry(key)
            .or_default()
            .events
            .push(Event { time, kind });
    }
    for row in tx.query(
        "SELECT DISTINCT ON (key) key, at, why FROM guard_breaker_opened WHERE seq > $1 ORDER BY key, seq",
        &[&since],
    )? {
        let key: String = row.try_get(0)?;
        state.keys.entry(key).or_default().opened = Some(Opened {
            at: from_db(row.try_get(1)?),
            why: row.try_get(2)?,
        });
    }
    Ok(state)
}

/// Open for everyone, because a row says what guard cannot read.
fn failsafe(now: u64, kind: &str) -> State {
    State {
        all: Some(Opened {
            at: now,
            why: format!(
                "the breaker's rows cannot be read (an event of kind `{}`); a reset starts them anew",
                crate::sanitize::sanitize(kind)
            ),
        }),
        ..State::new()
    }
}

/// Whether `after` forgot what only a reset forgets: a key, an opened breaker, or the
/// breaker open for everyone. (Counting only prunes events out of the window.)
fn was_reset(before: &State, after: &State) -> bool {
    (before.all.is_some() && after.all.is_none())
        || before
            .keys
            .iter()
            .any(|(key, b)| match after.keys.get(key) {
                None => true,
                Some(a) => b.opened.is_some() && a.opened.is_none(),
            })
}

/// Inserts what `after` holds and `before` did not: after a reset, a reset row and then
/// all of `after`.
fn write(tx: &mut Transaction, before: &State, after: &State, now: u64) -> Result<(), Fail> {
    let empty = State::new();
    let base = if was_reset(before, after) {
        tx.execute(
            "INSERT INTO guard_breaker_resets (at) VALUES ($1)",
            &[&to_db(now)],
        )?;
        &empty
    } else {
        before
    };
    let none = KeyState::default();
    for (key, a) in &after.keys {
        let b = base.keys.get(key).unwrap_or(&none);
        for e in new_events(&b.events, &a.events) {
            let kind = match e.kind {
                Kind::Refused => "refused",
                Kind::Destructive => "destructive",
            };
            tx.execute(
                "INSERT INTO guard_breaker_events (key, time, kind) VALUES ($1, $2, $3)",
                &[key, &to_db(e.time), &kind],
            )?;
        }
        if let Some(o) = a.opened.as_ref().filter(|o| b.opened.as_ref() != Some(*o)) {
            tx.execute(
                "INSERT INTO guard_breaker_opened (key, at, why) VALUES ($1, $2, $3)",
                &[key, &to_db(o.at), &o.why],
            )?;
        }
    }
    Ok(())
}

/// The events of `after` that are not in `before`, counted as a multiset (two events
/// in the same second are two events).
fn new_events<'a>(before: &[Event], after: &'a [Event]) -> Vec<&'a Event> {
    let mut old: Vec<&Event> = before.iter().collect();
    after
        .iter()
        .filter(|e| match old.iter().position(|o| o == e) {
            Some(i) => {
                old.swap_remove(i);
                false
            }
            None => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            enabled: true,
            max_refusals: 1,
            max_destructive: 9,
            window: 600,
        }
    }

    #[test]
    fn counting_is_not_a_reset_and_forgetting_is() {
        let mut before = State::new();
        before.count("k", Kind::Refused, &limits(), 100);
        let mut after = before.clone();
        // Counting much later prunes the old event, which is no reset.
        after.count("k", Kind::Refused, &limits(), 1000);
        assert!(!was_reset(&before, &after));
        let mut opened = after.clone();
        opened.count("k", Kind::Refused, &limits(), 1001);
        assert!(opened.open_for("k").is_some());
        let mut reset = opened.clone();
        reset.reset();
        assert!(was_reset(&opened, &reset));
        let failsafe = failsafe(5, "bogus");
        assert!(was_reset(&failsafe, &State::new()));
    }

    #[test]
    fn new_events_are_a_multiset_difference() {
        let e = |time| Event {
            time,
            kind: Kind::Refused,
        };
        let before = [e(1), e(2)];
        let after = [e(2), e(3), e(3)];
        assert_eq!(new_events(&before, &after), [&e(3), &e(3)]);
        assert!(new_events(&after, &after).is_empty());
    }
}
