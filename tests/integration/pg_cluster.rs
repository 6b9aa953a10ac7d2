//! A throwaway PostgreSQL 15 cluster that the tests of `store_pg` share: made by
//! `initdb` in a temporary directory, listening on a free loopback port with its unix
//! socket in that directory, password (SCRAM) authentication over TCP. As root it runs
//! as `nobody` (PostgreSQL refuses to run as root), through `setpriv`.
//!
//! It is started once, on first use, and stopped however this test process ends (a
//! pass, a panic, a signal): a watcher process started with it waits for its standard
//! input to close, which happens only when this process is gone, and then stops the
//! cluster (`pg_ctl stop -m immediate`) and removes its directory. A `Drop` guard could
//! not do that for a cluster in a static, which is never dropped. Each test makes a
//! database of its own in it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Where Debian puts PostgreSQL 15's server programs; `GUARD_TEST_PG_BIN` names another
/// directory (another version, another layout).
const BIN: &str = "/usr/lib/postgresql/15/bin";

fn bin() -> PathBuf {
    std::env::var_os("GUARD_TEST_PG_BIN").map_or_else(|| PathBuf::from(BIN), PathBuf::from)
}
/// The cluster's superuser, and its password (the cluster lives for one test run).
pub const ADMIN: &str = "guard_admin";
pub const ADMIN_PASSWORD: &str = "admin-pw-for-tests";
/// `nobody`, whom the cluster runs as when the tests run as root.
const NOBODY: u32 = 65534;

pub struct Cluster {
    pub port: u16,
    /// The watcher, its standard input held open while this process lives: its closing
    /// stops and removes the cluster.
    _watcher: Mutex<Child>,
}

/// The shared cluster, started on first call; `None` (and says so) when PostgreSQL 15
/// is not installed.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    let c = CLUSTER.get_or_init(start).as_ref();
    if c.is_none() {
        eprintln!(
            "skipped: PostgreSQL is not installed ({}/initdb is missing; GUARD_TEST_PG_BIN names another directory)",
            bin().display()
        );
    }
    c
}

impl Cluster {
    /// A connection to `db` as the cluster's superuser.
    pub fn admin(&self, db: &str) -> postgres::Client {
        self.connect(ADMIN, ADMIN_PASSWORD, db)
    }

    pub fn connect(&self, user: &str, password: &str, db: &str) -> postgres::Client {
        postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user(user)
            .password(password)
            .dbname(db)
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {db} as {user}: {e}"))
    }

    /// `postgresql://USER@127.0.0.1:PORT/DB`.
    pub fn url(&self, user: &str, db: &str) -> String {
        format!("postgresql://{user}@127.0.0.1:{}/{db}", self.port)
    }

    /// Makes a new, empty database.
    pub fn create_database(&self, db: &str) {
        self.admin("postgres")
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .unwrap_or_else(|e| panic!("create database {db}: {e}"));
    }
}

fn start() -> Option<Cluster> {
    if !bin().join("initdb").is_file() {
        return None;
    }
    let root = nix::unistd::geteuid().is_root();
    let dir = tempfile::Builder::new()
        .prefix("guard-pg-")
        .tempdir()
        .expect("temp dir")
        .keep();
    // The watcher first: from here on, whatever happens, the directory goes with us.
    let watcher = watch(&dir, root);
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, ADMIN_PASSWORD).expect("write the password file");
    if root {
        for p in [&dir, &pwfile] {
            nix::unistd::chown(p.as_path(), Some(NOBODY.into()), Some(NOBODY.into()))
                .expect("chown to nobody");
        }
    }
    let data = dir.join("data");
    run(
        root,
        &dir,
        "initdb",
        &[
            "-D",
            path(&data),
            "-U",
            ADMIN,
            "--pwfile",
            path(&pwfile),
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
    );
    let port = free_port();
    let options = format!(
        "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50",
        dir.display()
    );
    let log = dir.join("log");
    run(
        root,
        &dir,
        "pg_ctl",
        &[
            "-D",
            path(&data),
            "-l",
            path(&log),
            "-o",
            &options,
            "-w",
            "-t",
            "60",
            "start",
        ],
    );
    Some(Cluster {
        port,
        _watcher: Mutex::new(watcher),
    })
}

/// Starts the process that stops the cluster and removes `dir` once our end of its
/// standard input closes. It ignores the signals a terminal sends the whole group, so a
/// ^C to the tests still cleans up.
fn watch(dir: &Path, root: bool) -> Child {
    const SCRIPT: &str = r#"dir=$1; shift
trap '' INT TERM HUP QUIT
cat >/dev/null
"$@" -D "$dir/data" -m immediate stop >/dev/null 2>&1
rm -rf "$dir""#;
    let mut cmd = Command::new("sh");
    cmd.args(["-c", SCRIPT, "sh"]).arg(dir);
    for part in as_user(root) {
        cmd.arg(part);
    }
    cmd.arg(bin().join("pg_ctl"));
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the cluster's watcher")
}

/// The prefix that runs a program as `nobody` when we are root.
fn as_user(root: bool) -> Vec<String> {
    if root {
        vec![
            "setpriv".into(),
            format!("--reuid={NOBODY}"),
            format!("--regid={NOBODY}"),
            "--clear-groups".into(),
        ]
    } else {
        Vec::new()
    }
}

fn run(root: bool, dir: &Path, program: &str, args: &[&str]) {
    let program_path = bin().join(program);
    let mut prefix = as_user(root).into_iter();
    let mut cmd = match prefix.next() {
        Some(first) => {
            let mut c = Command::new(first);
            c.args(prefix).arg(&program_path);
            c
        }
        None => Command::new(&program_path),
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("PGDATA")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    if !out.status.success() {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        panic!(
            "{program} failed ({}):\n{}{}\n{log}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a temp path is UTF-8")
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("local addr").port()
}
