//! A team on PostgreSQL, through the real binary: machines with their own state and
//! hostnames (under `unshare --uts` when the suite runs as root) that share one database
//! named by `[store]`. A request made on one is listed and approved from another; a
//! requester already waiting runs within a second of the approval; an approval spent on
//! one runner is refused on the next; the trail is one, and the requester role cannot
//! delete it; an unreachable database refuses what is above allow, in one line, and lets
//! allowed commands run. Skipped without PostgreSQL 15, like the store's own tests.

use crate::store_pg::cluster::{ADMIN_PASSWORD, Cluster, cluster};
use crate::util::{Cmd, GUARD, Sandbox};
use std::path::PathBuf;

const PASSWORD: &str = "team-requester-pw";

/// The team's database: made with `guard setup --store`, as an administrator would.
struct TeamDb {
    cluster: &'static Cluster,
    name: String,
    role: String,
}

impl TeamDb {
    fn new(name: &str) -> Option<TeamDb> {
        let cluster = cluster()?;
        let db = TeamDb {
            cluster,
            name: format!("team_{name}"),
            role: format!("team_{name}_requester"),
        };
        cluster.create_database(&db.name);
        let setup = Sandbox::new();
        let out = setup
            .guard()
            .env("PGPASSWORD", ADMIN_PASSWORD)
            .args(["setup", "--store"])
            .arg(cluster.url(crate::store_pg::cluster::ADMIN, &db.name))
            .args(["--role", &db.role])
            .run()
            .expect_code(0);
        assert!(out.stdout().contains("schema version"), "{}", out.stdout());
        // A second run upgrades nothing and changes nothing.
        setup
            .guard()
            .env("PGPASSWORD", ADMIN_PASSWORD)
            .args(["setup", "--store"])
            .arg(cluster.url(crate::store_pg::cluster::ADMIN, &db.name))
            .args(["--role", &db.role])
            .run()
            .expect_code(0)
            .stdout_has("nothing to upgrade");
        cluster
            .admin(&db.name)
            .batch_execute(&format!("ALTER ROLE {} PASSWORD '{PASSWORD}'", db.role))
            .unwrap();
        Some(db)
    }

    fn url(&self) -> String {
        self.cluster.url(&self.role, &self.name)
    }
}

/// The approvers' keys and file, shared by every machine.
struct Keys {
    s: Sandbox,
}

impl Keys {
    fn new(names: &[(&str, &str)]) -> Keys {
        let s = Sandbox::new();
        std::fs::create_dir_all(s.path("keys")).unwrap();
        let mut signers = String::new();
        for (who, principal) in names {
            let st = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", who, "-f"])
                .arg(s.path(&format!("keys/{who}")))
                .status()
                .unwrap();
            assert!(st.success());
            let key = std::fs::read_to_string(s.path(&format!("keys/{who}.pub"))).unwrap();
            signers.push_str(&format!("{principal} {key}"));
        }
        s.write("keys/allowed_signers", &signers);
        Keys { s }
    }

    fn key(&self, who: &str) -> PathBuf {
        self.s.path(&format!("keys/{who}"))
    }
}

/// One machine: its own HOME and state, its own hostname, a stand-in terraform that
/// records each run, and the team's store in its system config.
struct Machine {
    s: Sandbox,
    host: &'static str,
}

impl Machine {
    fn new(host: &'static str, principal: &str, url: &str, keys: &Keys) -> Machine {
        let s = Sandbox::new();
        s.write("store.password", &format!("{PASSWORD}\n"));
        s.system_config(&format!(
            "[approvals]\nallowed_signers = {:?}\n\n[store]\nurl = {url:?}\npassword_file = {:?}\n",
            keys.s.path("keys/allowed_signers"),
            s.path("store.password"),
        ));
        s.user_config(&format!("[approvals]\nprincipal = {principal:?}\n"));
        s.write("bin/terraform", "#!/bin/sh\necho \"$@\" >> \"$RAN\"\n");
        std::process::Command::new("chmod")
            .arg("755")
            .arg(s.path("bin/terraform"))
            .status()
            .unwrap();
        Machine { s, host }
    }

    fn guard(&self) -> Cmd {
        let cmd = if hostnames_can_differ() {
            let mut c = self.s.command("unshare");
            c.args([
                "--uts",
                "sh",
                "-c",
                "hostname \"$0\" && exec \"$@\"",
                self.host,
                GUARD,
            ]);
            Cmd(c)
        } else {
            self.s.guard()
        };
        let path = format!(
            "{}:{}",
            self.s.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        cmd.env("PATH", path).env("RAN", self.s.path("ran.txt"))
    }

    fn ran(&self) -> String {
        std::fs::read_to_string(self.s.path("ran.txt")).unwrap_or_default()
    }
}

fn hostnames_can_differ() -> bool {
    nix::unistd::geteuid().is_root()
        && std::process::Command::new("unshare")
            .args(["--uts", "true"])
            .status()
            .is_ok_and(|s| s.success())
}

fn waiting(m: &Machine) -> serde_json::Value {
    m.guard()
        .args(["approve", "--list", "--json"])
        .run()
        .expect_code(0)
        .json()
}

#[test]
fn a_request_made_on_one_machine_is_approved_from_another_and_the_waiting_requester_runs() {
    let Some(db) = TeamDb::new("inbox") else {
        return;
    };
    let keys = Keys::new(&[("alice", "alice@acme"), ("bob", "bob@acme")]);
    let a = Machine::new("machine-a", "alice@acme", &db.url(), &keys);
    let b = Machine::new("machine-b", "bob@acme", &db.url(), &keys);

    // alice waits for an approval on machine-a.
    let child = a
        .guard()
        .args(["--wait", "60s", "--", "terraform", "destroy"])
        .0
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // bob, on machine-b, sees it.
    let start = std::time::Instant::now();
    let listed = loop {
        let v = waiting(&b);
        if v[0]["id"].is_string() {
            break v;
        }
        assert!(
            start.elapsed().as_secs() < 20,
            "no request reached machine-b"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let id = listed[0]["id"].as_str().unwrap().to_string();
    assert_eq!(listed[0]["requester"], "alice@acme");
    assert_eq!(listed[0]["command"], "terraform destroy");
    if hostnames_can_differ() {
        assert_eq!(listed[0]["host"], "machine-a");
    }
    assert_eq!(a.ran(), "", "it waits");
    let approved_at = std::time::Instant::now();
    b.guard()
        .args(["approve", "--yes", "--key"])
        .arg(keys.key("bob"))
        .arg(&id)
        .run()
        .expect_code(0)
        .stderr_has("the approval is in the inbox");
    let out = child.wait_with_output().unwrap();
    let took = approved_at.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took.as_millis() < 1500, "ran {took:?} after the approval");
    assert_eq!(a.ran(), "destroy\n");
    // Spent: the same command again is refused, and posts a new request.
    a.guard()
        .args(["--", "terraform", "destroy"])
        .run()
        .expect_code(77);
    assert_eq!(a.ran(), "destroy\n", "once");

    // One trail: bob's machine shows alice's approved run, with who approved it.
    let log = b
        .guard()
        .args(["log", "--json"])
        .run()
        .expect_code(0)
        .stdout();
    let approved = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["decision"]["gate"] == "approved")
        .unwrap_or_else(|| panic!("no approved run in the shared trail: {log}"));
    assert_eq!(approved["decision"]["approvers"][0], "bob@acme");
    assert_eq!(approved["exit"]["status"], 0);
    b.guard()
        .arg("doctor")
        .run()
        .stdout_has("the team's database answers: the guard_audit table of postgresql://");
    b.guard()
        .args(["log", "verify"])
        .run()
        .expect_code(0)
        .stdout_has("chains intact");

    // The requester role inserts, and cannot take anything back.
    let mut requester = db.cluster.connect(&db.role, PASSWORD, &db.name);
    for sql in [
        "DELETE FROM guard_audit",
        "UPDATE guard_audit SET record = '{}'",
        "DELETE FROM guard_ledger",
        "TRUNCATE guard_audit",
    ] {
        let e = requester.batch_execute(sql).unwrap_err();
        assert_eq!(
            e.code(),
            Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {e:?}"
        );
    }
}

/// CI runners with their own hostnames and empty local state: the approval of one run's
/// plan, spent on the first runner, is refused on the second.
#[test]
fn an_approval_spent_on_one_runner_is_refused_on_the_next() {
    let Some(db) = TeamDb::new("runners") else {
        return;
    };
    let keys = Keys::new(&[("alice", "github:alice"), ("bob", "bob@acme")]);
    let laptop = Machine::new("laptop", "bob@acme", &db.url(), &keys);
    let runner = |host| {
        let m = Machine::new(host, "", &db.url(), &keys);
        m.s.user_config("");
        m
    };
    let ci = |m: &Machine| {
        m.guard()
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", "acme/infra")
            .env("GITHUB_SHA", "4f2c0aa1e0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5")
            .env("GITHUB_ACTOR", "alice")
            .env("GITHUB_WORKSPACE", m.s.work())
    };
    let r1 = runner("runner-1");
    ci(&r1)
        .args(["request", "--", "terraform", "destroy"])
        .run()
        .expect_code(0);
    let id = waiting(&laptop)[0]["id"].as_str().unwrap().to_string();
    let token = laptop
        .guard()
        .args(["approve", "--yes", "--key"])
        .arg(keys.key("bob"))
        .arg(&id)
        .run()
        .expect_code(0)
        .stdout()
        .trim()
        .to_string();
    ci(&r1)
        .args(["--", "terraform", "destroy"])
        .run()
        .expect_code(0);
    assert_eq!(r1.ran(), "destroy\n");
    // A re-run lands on a fresh runner, with the token in hand: spent, across machines.
    let r2 = runner("runner-2");
    ci(&r2)
        .args(["--approval", &token, "--", "terraform", "destroy"])
        .run()
        .expect_code(77)
        .stderr_has("already used");
    assert_eq!(r2.ran(), "");
}

/// The database cannot be reached: what is above allow is refused in one line that says
/// so; an allowed command runs, without waiting for it.
#[test]
fn an_unreachable_database_refuses_above_allow_and_lets_allow_run() {
    let keys = Keys::new(&[("bob", "bob@acme")]);
    let port = crate::store_pg::cluster::free_port();
    let url = format!("postgresql://guard@127.0.0.1:{port}/guard");
    let m = Machine::new("machine-a", "alice@acme", &url, &keys);
    let out = m
        .guard()
        .env("CI", "true")
        .args(["--", "terraform", "destroy"])
        .run()
        .expect_code(77);
    let err = out.stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot connect to the guard database postgresql://guard@127.0.0.1")
            && err.contains("refused until it answers again"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD));
    assert_eq!(m.ran(), "");
    m.guard()
        .arg("doctor")
        .run()
        .expect_code(1)
        .stdout_has("cannot connect to the guard database");
    let out = m
        .guard()
        .args(["--", "terraform", "version"])
        .run()
        .expect_code(0);
    assert_eq!(
        out.stderr(),
        "",
        "an allowed command says nothing of the database"
    );
    assert_eq!(m.ran(), "version\n");
    // A password file guard cannot read: the same, in one line that names it.
    std::fs::remove_file(m.s.path("store.password")).unwrap();
    let err = m
        .guard()
        .env("CI", "true")
        .args(["--", "terraform", "destroy"])
        .run()
        .expect_code(77)
        .stderr();
    assert!(
        err.contains("cannot read the guard database's password file"),
        "{err}"
    );
}
