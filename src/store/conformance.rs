//! The cases every store backend passes, so the files backend and the PostgreSQL
//! backend keep the same contract: [`run_all`] on a new, empty store. Each case panics
//! with what it expected and what it got.
//!
//! Test code, but compiled with the library (and hidden from its documentation): the
//! PostgreSQL backend's tests are integration tests, which need a server they start
//! themselves and cannot see the library's `#[cfg(test)]` items. One suite that both
//! call is the point; a copy in each would drift. Nothing in guard calls it, so it
//! does not reach the binary.

use super::{Spend, Store, StoreError, with_breaker};
use crate::audit::{GENESIS, Record};
use crate::breaker::{Kind, Limits, State};
use std::fmt::Debug;

/// Every case, in order, on one new store.
pub fn run_all(store: &dyn Store) {
    audit_chain(store);
    ledger(store);
    breaker(store);
    inbox(store);
}

#[track_caller]
fn must<T, E: std::fmt::Display>(r: Result<T, E>, doing: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{doing}: {e}"),
    }
}

#[track_caller]
fn same<T: PartialEq + Debug>(got: T, want: T, what: &str) {
    assert!(got == want, "{what}: got {got:?}, want {want:?}");
}

fn record(kind: &str, run: &str, now: u64) -> Record {
    Record {
        kind: kind.into(),
        run: run.into(),
        time: crate::time::rfc3339(now),
        command: "terraform destroy".into(),
        decision: "confirm".into(),
        gate: "confirmed".into(),
        ..Record::default()
    }
}

/// Appends chain each record to the one before, read back in order, and verify.
pub fn audit_chain(store: &dyn Store) {
    let now = crate::time::now();
    let before = must(store.records(), "read the records");
    let first = must(
        store.append(record("decision", "c1", now)),
        "append a decision",
    );
    let second = must(store.append(record("exit", "c1", now)), "append an exit");
    let want_prev = before
        .last()
        .map_or(GENESIS.to_string(), |r| r.hash.clone());
    same(
        first.prev.as_str(),
        want_prev.as_str(),
        "the first record's prev",
    );
    same(&second.prev, &first.hash, "the second record's prev");
    same(
        second.hash.clone(),
        second.compute_hash(),
        "a record's hash",
    );
    let all = must(store.records(), "read the records");
    same(all.len(), before.len() + 2, "records after two appends");
    same(
        &all[all.len() - 2..],
        &[first, second][..],
        "the records as written",
    );
    let summary = must(store.verify(), "verify");
    match summary {
        Ok(s) => same(s.records, all.len(), "records verified"),
        Err(b) => panic!("an intact trail failed to verify at {}: {}", b.line, b.what),
    }
}

/// A record committed with and without a spend; a nonce spent once, refused twice
/// with nothing written.
pub fn ledger(store: &dyn Store) {
    let now = crate::time::now();
    let n = must(store.records(), "read the records").len();
    must(
        store.commit(record("decision", "l1", now), None),
        "commit without a spend",
    );
    same(must(store.spent("conf-nonce-1"), "look"), None, "unspent");
    let spend = Spend {
        nonce: "conf-nonce-1",
        command: "terraform destroy -auto-approve",
        now,
    };
    let mut approved = record("decision", "l2", now);
    approved.nonce = "conf-nonce-1".into();
    let written = must(store.commit(approved, Some(spend)), "commit a spend");
    same(
        must(store.spent("conf-nonce-1"), "look"),
        Some((now, "terraform destroy -auto-approve".to_string())),
        "spent",
    );
    let again = store.commit(
        record("decision", "l3", now + 5),
        Some(Spend {
            now: now + 5,
            ..spend
        }),
    );
    match again {
        Err(StoreError::Spent { used_at, command }) => {
            same(used_at, now, "when it was first spent");
            same(command.as_str(), spend.command, "what it was spent on");
        }
        other => panic!("a second spend must be refused as Spent, got {other:?}"),
    }
    let all = must(store.records(), "read the records");
    same(all.len(), n + 2, "records: the refused spend wrote none");
    same(all.last(), Some(&written), "the last record");
    same(
        must(store.spent("conf-nonce-2"), "look"),
        None,
        "another nonce",
    );
    assert!(
        must(store.verify(), "verify").is_ok(),
        "the trail verifies after spends"
    );
}

fn limits() -> Limits {
    Limits {
        enabled: true,
        max_refusals: 2,
        max_destructive: 5,
        window: 600,
    }
}

/// Counts kept across updates, the breaker opening past its limit, a reset that closes
/// it and forgets the counts, and events out of the window not counted.
pub fn breaker(store: &dyn Store) {
    let l = limits();
    let now = crate::time::now();
    let count = |key: &str, kind: Kind, at: u64| {
        must(
            with_breaker(store, &l, |s| s.count(key, kind, &l, at)),
            "count",
        )
    };
    let read = |key: &str| {
        must(
            with_breaker(store, &l, |s| {
                (s.counts(key, &l, now), s.open_for(key).cloned())
            }),
            "read the breaker",
        )
    };
    same(read("agent:c"), ((0, 0), None), "a new breaker");
    same(count("agent:c", Kind::Refused, now), None, "refusal 1");
    same(count("agent:c", Kind::Refused, now), None, "refusal 2");
    same(
        count("alice@h", Kind::Destructive, now),
        None,
        "destructive 1",
    );
    same(read("agent:c"), ((2, 0), None), "two refusals kept");
    let Some(opened) = count("agent:c", Kind::Refused, now) else {
        panic!("a third refusal over a limit of 2 opens the breaker");
    };
    same(
        read("agent:c"),
        ((3, 0), Some(opened)),
        "open and kept open",
    );
    same(
        read("alice@h"),
        ((0, 1), None),
        "another key, its own count",
    );
    // Long ago: out of the window now.
    count("old", Kind::Refused, now - 10_000);
    same(read("old"), ((0, 0), None), "an event out of the window");
    must(
        with_breaker(store, &l, |_| ()),
        "an update that changes nothing",
    );
    same(
        read("agent:c").0,
        (3, 0),
        "after an update that changed nothing",
    );
    let was = must(with_breaker(store, &l, State::reset), "reset");
    same(
        was,
        vec!["agent:c".to_string()],
        "the keys the reset closed",
    );
    same(read("agent:c"), ((0, 0), None), "reset");
    same(read("alice@h"), ((0, 0), None), "reset forgets every key");
    count("agent:c", Kind::Refused, now);
    same(
        read("agent:c"),
        ((1, 0), None),
        "counting again after a reset",
    );
}

/// Requests posted, listed while not expired, found by id or a unique prefix, and
/// approvers' tokens added once each.
pub fn inbox(store: &dyn Store) {
    let now = crate::time::now();
    let one = must(store.post("abc1230000", "{\"r\":1}", now + 3600), "post");
    assert!(
        one.posted >= now && one.posted <= crate::time::now(),
        "posted now: {one:?}"
    );
    same(one.tokens.len(), 0, "a new request's tokens");
    must(store.post("abd4560000", "{\"r\":2}", now + 60), "post");
    must(store.post("abe7890000", "{\"r\":3}", now - 10), "post");
    let ids = |at: u64| -> Vec<String> {
        must(store.waiting(at), "waiting")
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    same(
        ids(now),
        vec!["abc1230000".into(), "abd4560000".into()],
        "waiting",
    );
    same(
        ids(now + 60),
        vec!["abc1230000".into(), "abd4560000".into()],
        "expiring at",
    );
    same(ids(now + 61), vec!["abc1230000".to_string()], "expired");
    let found = must(store.find("abc"), "find").map(|p| p.request);
    same(found.as_deref(), Some("{\"r\":1}"), "found by a prefix");
    same(must(store.find("ab"), "find"), None, "an ambiguous prefix");
    same(must(store.find("fff"), "find"), None, "no such request");
    same(must(store.find("not hex"), "find"), None, "not an id");
    must(store.add_token("abc1230000", "token-1"), "add a token");
    must(store.add_token("abc1230000", "token-2"), "add a token");
    let p = must(
        store.add_token("abc1230000", "token-1"),
        "add a token again",
    );
    same(
        p.tokens,
        vec!["token-1".to_string(), "token-2".into()],
        "tokens",
    );
    let found = must(store.find("abc1230000"), "find").map(|p| p.tokens);
    same(found.map(|t| t.len()), Some(2), "tokens found");
    let listed = must(store.waiting(now), "waiting");
    same(listed[0].tokens.len(), 2, "tokens listed");
    assert!(
        store.add_token("fff0000000", "t").is_err(),
        "a token for no request is refused"
    );
    assert!(
        store.post("not-hex", "{}", now).is_err(),
        "an id that is not hex is refused"
    );
}
