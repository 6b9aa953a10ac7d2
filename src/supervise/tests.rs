//! Engine tests: `supervise()` driven in this process with test deciders, ported from
//! the standalone crate (deny, everyday, hold, lifecycle) plus the fast engine's own
//! cases (a failed execve, a thread that execs, a daemon, a seize that fails, the
//! filter's limits). Every scenario runs under the default engine (the fast one here);
//! `engines_tests.rs` runs a set of them under the full-ptrace fallback too.
//!
//! The test decider ends `terraform … destroy` (status 126); a stub `terraform` script
//! appends its arguments to a marker, so a `plan` proves the path was reached and no
//! `destroy` may ever appear.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench_tests;
mod deny_tests;
mod engines_tests;
mod everyday_tests;
mod fast_tests;
mod hold_tests;

use super::{Decider, Engine, Exec, Options, Verdict};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// A temp dir with `bin/terraform` (a script that appends its arguments to
    /// `marker`) and `bin/tf`, a symlink to it.
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let sb = Sandbox { dir };
        std::fs::create_dir(sb.path("bin")).unwrap();
        let marker = sb.path("marker");
        sb.script(
            "bin/terraform",
            &format!("#!/bin/sh\necho \"$*\" >> '{}'\n", marker.display()),
        );
        std::os::unix::fs::symlink("terraform", sb.path("bin/tf")).unwrap();
        sb
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    /// Writes an executable file.
    pub fn script(&self, name: &str, text: &str) {
        self.write(name, text);
        std::fs::set_permissions(self.path(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// What the stub terraform recorded: one line per run that got to run.
    pub fn marker(&self) -> String {
        self.read("marker")
    }

    /// This process's environment with the sandbox's bin first on PATH, SB set to the
    /// sandbox, and HOME inside it.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| k != "PATH" && k != "HOME" && k != "SB")
            .collect();
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        env.push(("PATH".into(), path.into()));
        env.push(("HOME".into(), self.dir.path().into()));
        env.push(("SB".into(), self.dir.path().into()));
        env
    }

    /// Supervises `bash -c 'cd "$SB" && SCRIPT'` in this process with `decider`.
    pub fn run_on(&self, engine: Engine, script: &str, decider: &mut dyn Decider) -> i32 {
        let full = format!("cd \"$SB\" || exit 99\n{script}");
        super::supervise(
            "bash".as_ref(),
            &["-c".into(), full.into()],
            Some(self.env()),
            &Options {
                poll_interval: Duration::from_millis(20),
                engine,
                ..Options::default()
            },
            decider,
        )
        .unwrap()
    }

    pub fn run_with(&self, script: &str, decider: &mut dyn Decider) -> i32 {
        self.run_on(Engine::Auto, script, decider)
    }

    /// Supervises a bash script with a fresh [`Policy`]; returns the status and it.
    pub fn run(&self, script: &str) -> (i32, Policy) {
        let mut policy = Policy::default();
        let status = self.run_with(script, &mut policy);
        (status, policy)
    }
}

/// One exec the decider saw.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub pid: i32,
    pub former_tid: Option<i32>,
    pub parent: Option<i32>,
    pub exe: PathBuf,
    pub path: PathBuf,
    pub argv: Vec<String>,
    pub ended: bool,
}

/// Every basename the program of `exec` goes by: argv[0], exe, the execve path and
/// where it resolves to.
pub(super) fn names(exec: &Exec) -> Vec<Vec<u8>> {
    let base = |p: &Path| {
        p.file_name()
            .map(|n| n.as_bytes().to_vec())
            .unwrap_or_default()
    };
    let mut v = vec![
        base(exec.exe.as_path()),
        base(&exec.path),
        base(exec.resolved_path()),
    ];
    if let Some(a0) = exec.argv.first() {
        v.push(base(Path::new(a0)));
    }
    v
}

/// The test decider: ends `terraform … destroy` with 126, lets all else run, records
/// everything.
#[derive(Default)]
pub(super) struct Policy {
    pub seen: Vec<Seen>,
}

impl Policy {
    pub fn ended(&self) -> Vec<&Seen> {
        self.seen.iter().filter(|s| s.ended).collect()
    }

    pub fn count(&self, exe_name: &str) -> usize {
        self.seen
            .iter()
            .filter(|s| s.exe.file_name().is_some_and(|n| n == exe_name))
            .count()
    }
}

pub(super) fn is_destroy(exec: &Exec) -> bool {
    names(exec).iter().any(|n| n == b"terraform") && exec.argv.iter().any(|a| a == "destroy")
}

impl Decider for Policy {
    fn on_exec(&mut self, exec: &Exec) -> Verdict {
        let ended = is_destroy(exec);
        self.seen.push(Seen {
            pid: exec.pid,
            former_tid: exec.former_tid,
            parent: exec.parent(),
            exe: exec.exe.clone(),
            path: exec.path.clone(),
            argv: exec
                .argv
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            ended,
        });
        if ended {
            Verdict::End {
                message: "guard: terraform destroy denied".into(),
                status: 126,
            }
        } else {
            Verdict::Continue
        }
    }

    fn poll(&mut self, _pid: i32) -> Option<Verdict> {
        Some(Verdict::Continue)
    }
}

/// Asserts the stub never ran `destroy` and the decider ended at least `ends` execs.
pub(super) fn assert_denied(sb: &Sandbox, policy: &Policy, ends: usize) {
    let marker = sb.marker();
    assert!(!marker.contains("destroy"), "destroy ran: {marker:?}");
    assert!(
        policy.ended().len() >= ends,
        "expected {ends} ended execs, saw {:#?}",
        policy.seen
    );
}

/// Whether a process is gone or a zombie.
pub(super) fn dead(pid: i32) -> bool {
    !matches!(state(pid), Some(s) if s != 'Z')
}

/// The state letter of /proc/PID/stat (R, S, T, t, Z…).
pub(super) fn state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Polls `cond` every 10 ms for up to `secs`.
pub(super) fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// Where `gcc` builds `texec`: a C program whose second thread execs its arguments.
pub(super) fn compile_thread_exec(sb: &Sandbox) -> Option<PathBuf> {
    sb.write(
        "texec.c",
        r#"#include <pthread.h>
#include <unistd.h>
static char **args;
static void *run(void *unused) { (void)unused; execvp(args[1], args + 1); return 0; }
int main(int argc, char **argv) {
  pthread_t t; (void)argc; args = argv;
  pthread_create(&t, 0, run, 0);
  pthread_join(t, 0);
  return 1;
}
"#,
    );
    let ok = std::process::Command::new("gcc")
        .args(["-O1", "-pthread", "-o"])
        .arg(sb.path("bin/texec"))
        .arg(sb.path("texec.c"))
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| sb.path("bin/texec"))
}
