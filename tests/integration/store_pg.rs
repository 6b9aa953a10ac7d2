//! The PostgreSQL store against a real PostgreSQL 15 (see `cluster`): the schema and
//! grants that `install` makes, the conformance cases the files backend passes too, run
//! as the insert-only requester role, what that role cannot do, one nonce raced from two
//! connections, a record that cannot be written, a trail altered or cut behind guard's
//! back, and a database that cannot be reached. Without PostgreSQL 15 installed, the
//! tests that need it say they were skipped.

// The cluster's harness, in a file of its own beside this one (tests/integration holds
// files only).
#[path = "pg_cluster.rs"]
pub mod cluster;

use cluster::{ADMIN, ADMIN_PASSWORD, Cluster, cluster};
use guard::audit::Record;
use guard::breaker::{Kind, Limits, State};
use guard::store::postgres::{CONNECT_TIMEOUT, Postgres, install};
use guard::store::{AuditTrail, Ledger, Spend, StoreError, with_breaker};
use postgres::error::SqlState;
use std::time::{Duration, Instant};

const REQUESTER_PASSWORD: &str = "requester-pw-for-tests";

/// A test's own database in the shared cluster, installed, with a requester role of its
/// own (roles are the cluster's, not the database's).
struct Db {
    cluster: &'static Cluster,
    name: String,
    role: String,
}

impl Db {
    /// `None` when PostgreSQL is not installed (the test is skipped).
    fn new(name: &str) -> Option<Db> {
        let cluster = cluster()?;
        let db = Db {
            cluster,
            name: format!("t_{name}"),
            role: format!("r_{name}"),
        };
        cluster.create_database(&db.name);
        install(&db.admin_url(), Some(ADMIN_PASSWORD.into()), &db.role).expect("install");
        db.admin()
            .batch_execute(&format!(
                "ALTER ROLE {} PASSWORD '{REQUESTER_PASSWORD}'",
                db.role
            ))
            .expect("set the requester's password");
        Some(db)
    }

    fn admin_url(&self) -> String {
        self.cluster.url(ADMIN, &self.name)
    }

    fn admin(&self) -> postgres::Client {
        self.cluster.admin(&self.name)
    }

    /// The store as guard uses it: connected as the requester role.
    fn store(&self) -> Postgres {
        Postgres::new(
            &self.cluster.url(&self.role, &self.name),
            Some(REQUESTER_PASSWORD.into()),
        )
        .expect("a valid address")
    }

    /// A plain connection as the requester role, for SQL guard never sends.
    fn as_requester(&self) -> postgres::Client {
        self.cluster
            .connect(&self.role, REQUESTER_PASSWORD, &self.name)
    }

    fn count(&self, sql: &str) -> i64 {
        self.admin().query_one(sql, &[]).expect(sql).get(0)
    }
}

fn record(run: &str, command: &str) -> Record {
    Record {
        kind: "decision".into(),
        run: run.into(),
        time: guard::time::rfc3339(guard::time::now()),
        command: command.into(),
        decision: "two-person".into(),
        gate: "approved".into(),
        ..Record::default()
    }
}

fn spend<'a>(nonce: &'a str) -> Spend<'a> {
    Spend {
        nonce,
        command: "terraform destroy",
        now: guard::time::now(),
    }
}

#[test]
fn install_creates_the_schema_and_the_role_and_is_idempotent() {
    let Some(c) = cluster() else { return };
    c.create_database("t_install");
    let url = c.url(ADMIN, "t_install");
    let pw = || Some(ADMIN_PASSWORD.to_string());
    // Before the install, guard says what is missing.
    let before = Postgres::new(&url, pw()).unwrap().records().unwrap_err();
    assert!(
        before.to_string().contains("has no guard tables"),
        "{before}"
    );

    let first = install(&url, pw(), "r_install").unwrap();
    assert!(
        first.contains("created guard's tables, schema version 1"),
        "{first}"
    );
    assert!(
        first.contains("created role r_install (LOGIN, no password"),
        "{first}"
    );
    let second = install(&url, pw(), "r_install").unwrap();
    assert!(second.contains("nothing to upgrade"), "{second}");
    assert!(second.contains("role r_install exists"), "{second}");

    let mut admin = c.admin("t_install");
    let versions: i64 = admin
        .query_one("SELECT count(*) FROM guard_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(versions, 1);
    let login: bool = admin
        .query_one(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'r_install'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(login);
    let tables = guard::store::postgres::TABLES;
    for t in tables.iter().chain(&["guard_schema"]) {
        let mut can = |p: &str| -> bool {
            admin
                .query_one("SELECT has_table_privilege('r_install', $1, $2)", &[t, &p])
                .unwrap()
                .get(0)
        };
        let writable = *t != "guard_schema";
        assert!(can("SELECT"), "SELECT on {t}");
        assert_eq!(can("INSERT"), writable, "INSERT on {t}");
        for p in ["UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"] {
            assert!(!can(p), "{p} on {t}");
        }
    }

    // The account that owns the tables, or a superuser, is no requester role.
    let err = install(&url, pw(), ADMIN).unwrap_err().to_string();
    assert!(err.contains("cannot be guard_admin"), "{err}");
    admin
        .batch_execute("CREATE ROLE r_super SUPERUSER")
        .unwrap();
    let err = install(&url, pw(), "r_super").unwrap_err().to_string();
    assert!(err.contains("could still change or remove rows"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn the_postgres_store_passes_the_conformance_cases_as_the_requester_role() {
    let Some(db) = Db::new("conformance") else {
        return;
    };
    guard::store::conformance::run_all(&db.store());
}

#[test]
fn the_requester_role_cannot_update_or_delete_any_row() {
    let Some(db) = Db::new("grants") else { return };
    let store = db.store();
    // A row in every table.
    store
        .commit(record("g1", "terraform destroy"), Some(spend("g-nonce")))
        .unwrap();
    let l = Limits {
        max_refusals: 0,
        ..Limits::default()
    };
    let now = guard::time::now();
    with_breaker(&store, &l, |s| s.count("k", Kind::Refused, &l, now)).unwrap();
    with_breaker(&store, &l, State::reset).unwrap();
    guard::store::Inbox::post(&store, "abc0000000", "{}", now + 60).unwrap();
    guard::store::Inbox::add_token(&store, "abc0000000", "t").unwrap();

    let mut requester = db.as_requester();
    for sql in [
        "UPDATE guard_audit SET record = '{}'",
        "DELETE FROM guard_audit",
        "TRUNCATE guard_audit",
        "UPDATE guard_ledger SET used_at = 0",
        "DELETE FROM guard_ledger",
        "UPDATE guard_breaker_events SET time = 0",
        "DELETE FROM guard_breaker_events",
        "UPDATE guard_breaker_opened SET why = ''",
        "DELETE FROM guard_breaker_opened",
        "DELETE FROM guard_breaker_resets",
        "TRUNCATE guard_breaker_events, guard_breaker_opened, guard_breaker_resets",
        "UPDATE guard_inbox SET expires = 0",
        "DELETE FROM guard_inbox_tokens",
        "INSERT INTO guard_schema (version) VALUES (99)",
        "SELECT setval('guard_breaker_seq', 1)",
        "ALTER TABLE guard_audit DISABLE TRIGGER ALL",
        "CREATE TABLE guard_mine (x int)",
    ] {
        let err = requester
            .batch_execute(sql)
            .expect_err(&format!("the requester ran `{sql}`"));
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "`{sql}`: {err:?}"
        );
    }
    // Nor can it take the lock that would stop every other guard's writes.
    let mut tx = requester.transaction().unwrap();
    let err = tx
        .batch_execute("LOCK TABLE guard_audit IN ACCESS EXCLUSIVE MODE")
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&SqlState::INSUFFICIENT_PRIVILEGE),
        "{err:?}"
    );
    drop(tx);
    for (table, rows) in [
        ("guard_audit", 1),
        ("guard_ledger", 1),
        ("guard_breaker_events", 1),
        ("guard_breaker_opened", 1),
        ("guard_breaker_resets", 1),
        ("guard_inbox", 1),
        ("guard_inbox_tokens", 1),
    ] {
        assert_eq!(
            db.count(&format!("SELECT count(*) FROM {table}")),
            rows,
            "{table}"
        );
    }
    assert!(store.verify().unwrap().is_ok());
}

#[test]
fn one_nonce_raced_from_two_connections_is_spent_once_with_one_record() {
    let Some(db) = Db::new("race") else { return };
    let (a, b) = (db.store(), db.store());
    // Both connected before the race, so the race is the commit's.
    assert_eq!(a.spent("warm").unwrap(), None);
    assert_eq!(b.spent("warm").unwrap(), None);
    for round in 0..8 {
        let nonce = format!("race-{round}");
        let barrier = std::sync::Barrier::new(2);
        let commit = |store: &Postgres, who: &str| {
            barrier.wait();
            let mut r = record(&format!("{who}{round}"), "terraform destroy");
            r.nonce = nonce.clone();
            store.commit(r, Some(spend(&nonce)))
        };
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| commit(&a, "a"));
            let hb = s.spawn(|| commit(&b, "b"));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        let (won, lost) = match (ra, rb) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            other => panic!("round {round}: exactly one spend must win: {other:?}"),
        };
        assert!(matches!(lost, StoreError::Spent { .. }), "{lost}");
        assert_eq!(won.nonce, nonce);
        let with_nonce = a
            .records()
            .unwrap()
            .into_iter()
            .filter(|r| r.nonce == nonce)
            .count();
        assert_eq!(with_nonce, 1, "round {round}: one decision record");
    }
    assert_eq!(
        a.verify().unwrap().map(|s| s.records),
        Ok(8),
        "one chain, unbroken"
    );
}

#[test]
fn breaker_counts_from_two_machines_add_up_and_one_reset_closes_it_for_both() {
    let Some(db) = Db::new("breaker") else {
        return;
    };
    let (a, b) = (db.store(), db.store());
    let l = Limits {
        max_refusals: 15,
        ..Limits::default()
    };
    let now = guard::time::now();
    let count = |store: &Postgres| {
        (0..10)
            .filter_map(|_| {
                with_breaker(store, &l, |st| st.count("shared", Kind::Refused, &l, now)).unwrap()
            })
            .count()
    };
    let opened = std::thread::scope(|s| {
        let ha = s.spawn(|| count(&a));
        let hb = s.spawn(|| count(&b));
        ha.join().unwrap() + hb.join().unwrap()
    });
    assert_eq!(
        opened, 1,
        "the 16th refusal, on whichever machine, opened it"
    );
    let read = |store: &Postgres| {
        with_breaker(store, &l, |s| {
            (s.counts("shared", &l, now), s.open_for("shared").is_some())
        })
        .unwrap()
    };
    assert_eq!(read(&a), ((20, 0), true));
    assert_eq!(read(&b), ((20, 0), true));
    assert_eq!(with_breaker(&b, &l, State::reset).unwrap(), ["shared"]);
    assert_eq!(read(&a), ((0, 0), false));
    assert_eq!(db.count("SELECT count(*) FROM guard_breaker_events"), 20);
}

#[test]
fn a_record_that_cannot_be_written_leaves_the_nonce_unspent() {
    let Some(db) = Db::new("unwritable") else {
        return;
    };
    let store = db.store();
    store.append(record("u0", "ls")).unwrap();
    db.admin()
        .batch_execute(
            "ALTER TABLE guard_audit ADD CONSTRAINT no_marked CHECK (record NOT LIKE '%refuse-this-record%')",
        )
        .unwrap();
    let err = store
        .commit(record("u1", "refuse-this-record"), Some(spend("u-nonce")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("violates check constraint"), "{err}");
    assert!(!err.contains('\n'), "{err}");
    assert_eq!(store.spent("u-nonce").unwrap(), None, "still unspent");
    assert_eq!(db.count("SELECT count(*) FROM guard_ledger"), 0);
    assert_eq!(store.records().unwrap().len(), 1);
    // The same approval, with a record that can be written, is spent once.
    store
        .commit(record("u2", "terraform destroy"), Some(spend("u-nonce")))
        .unwrap();
    assert!(store.spent("u-nonce").unwrap().is_some());
    assert_eq!(store.verify().unwrap().map(|s| s.records), Ok(2));
}

/// Removes row `seq` as an administrator could, runs `check`, and puts it back.
fn without_row(db: &Db, seq: i64, check: impl FnOnce()) {
    let mut admin = db.admin();
    admin
        .batch_execute(&format!(
            "CREATE TEMP TABLE cut AS SELECT * FROM guard_audit WHERE seq = {seq};
             DELETE FROM guard_audit WHERE seq = {seq}"
        ))
        .unwrap();
    check();
    admin
        .batch_execute("INSERT INTO guard_audit SELECT * FROM cut; DROP TABLE cut")
        .unwrap();
}

#[test]
fn verify_finds_a_row_altered_or_removed_behind_guards_back() {
    let Some(db) = Db::new("tamper") else { return };
    let store = db.store();
    for (i, command) in ["ls", "rm -rf /srv/data", "kubectl get pods", "make"]
        .iter()
        .enumerate()
    {
        store.append(record(&format!("t{i}"), command)).unwrap();
    }
    store
        .commit(record("t4", "terraform destroy"), Some(spend("t-nonce")))
        .unwrap();
    let broken = || store.verify().unwrap().unwrap_err();
    assert_eq!(store.verify().unwrap().map(|s| s.records), Ok(5));

    let mut admin = db.admin();
    let edit =
        "UPDATE guard_audit SET record = replace(record, 'rm -rf /srv/data', 'echo') WHERE seq = 2";
    admin.batch_execute(edit).unwrap();
    let b = broken();
    assert_eq!(b.line, 2);
    assert!(b.what.contains("altered"), "{}", b.what);
    admin
        .batch_execute("UPDATE guard_audit SET record = replace(record, 'echo', 'rm -rf /srv/data') WHERE seq = 2")
        .unwrap();
    assert!(store.verify().unwrap().is_ok(), "put back, it verifies");

    without_row(&db, 3, || {
        let b = broken();
        assert_eq!(b.line, 3);
        assert!(b.what.contains("row 2 is followed by row 4"), "{}", b.what);
    });
    without_row(&db, 1, || {
        let b = broken();
        assert_eq!(b.line, 1);
        assert!(b.what.contains("rows were removed"), "{}", b.what);
    });
    // The last record: the chain alone cannot tell, the ledger can.
    without_row(&db, 5, || {
        let b = broken();
        assert!(b.what.contains("approval spent at"), "{}", b.what);
    });
    assert_eq!(store.verify().unwrap().map(|s| s.records), Ok(5));
}

#[test]
fn an_unreachable_database_is_one_line_within_the_bound() {
    let port = cluster::free_port();
    let url = format!("postgresql://guard:secret-in-url@127.0.0.1:{port}/guarddb");
    let store = Postgres::new(&url, Some("secret-given".into())).unwrap();
    let start = Instant::now();
    let err = store.records().unwrap_err().to_string();
    assert!(start.elapsed() < CONNECT_TIMEOUT, "{:?}", start.elapsed());
    assert!(!err.contains('\n'), "{err}");
    assert!(
        err.contains(&format!("guard@127.0.0.1:{port}/guarddb")),
        "{err}"
    );
    assert!(
        err.contains("cannot connect") && err.contains("refused"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    // Every use says so again; nothing was kept half-connected.
    assert!(store.spent("n").is_err());
}

#[test]
fn new_never_connects_and_first_use_connects_within_its_bound() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = Postgres::new(&format!("postgresql://guard@127.0.0.1:{port}/guard"), None)
        .unwrap()
        .connect_timeout(Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        listener.accept().is_err(),
        "Postgres::new connected to the database"
    );
    // First use connects; a server that never answers is given up on in time.
    let (result, took, accepted) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let start = Instant::now();
            (store.records(), start.elapsed())
        });
        let deadline = Instant::now() + Duration::from_secs(3);
        let accepted = loop {
            match listener.accept() {
                Ok((conn, _)) => break Some(conn),
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => break None,
            }
        };
        let (result, took) = h.join().unwrap();
        (result, took, accepted)
    });
    assert!(accepted.is_some(), "first use did not connect");
    let err = result.unwrap_err().to_string();
    assert!(err.contains("no answer within 1s"), "{err}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}
