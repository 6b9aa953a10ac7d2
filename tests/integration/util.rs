//! A small fluent harness around the `guard` binary.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const GUARD: &str = env!("CARGO_BIN_EXE_guard");

/// Variables that would change guard's behaviour and must not leak in from the
/// environment the tests run in (CI sets `CI=true`).
const CLEARED: &[&str] = &[
    "CI",
    "GITHUB_ACTIONS",
    "GUARD_AGENT",
    "GUARD_CONFIG",
    "CLAUDECODE",
    "GEMINI_CLI",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "CURSOR_AGENT",
    "TF_CLI_ARGS",
    "TF_WORKSPACE",
    "AWS_PROFILE",
    "NO_COLOR",
    "GUARD_PASSED",
    "GUARD_APPROVAL",
    "GUARD_NOW",
    "GUARD_AGENT_SESSION",
];

/// A sandbox: a temporary HOME (with XDG dirs inside), a working directory, and the
/// system config moved into it.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home/.config")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("work")).expect("mkdir");
        Sandbox { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn work(&self) -> PathBuf {
        self.path("work")
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    pub fn user_config(&self, text: &str) -> PathBuf {
        self.write("home/.config/guard/config.toml", text)
    }

    pub fn system_config(&self, text: &str) -> PathBuf {
        self.write("etc/guard/config.toml", text)
    }

    pub fn project_config(&self, text: &str) -> PathBuf {
        self.write("work/.guard.toml", text)
    }

    /// Shims for `programs` in `shims/`; returns the directory and a PATH with it first.
    pub fn shims(&self, programs: &[&str]) -> (PathBuf, String) {
        let dir = self.path("shims");
        self.guard()
            .args(["shim", "install", "--dir"])
            .arg(&dir)
            .args(programs)
            .run()
            .expect_code(0);
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        (dir, path)
    }

    /// A `guard` command inside the sandbox, with a clean environment.
    pub fn guard(&self) -> Cmd {
        Cmd(self.command(GUARD))
    }

    /// Any program run inside the sandbox with the environment `guard()` gets (a shell
    /// that runs guard or shims, setpriv, a policy script).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        for v in CLEARED {
            c.env_remove(v);
        }
        c.env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("XDG_STATE_HOME", self.path("home/.local/state"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .env("GUARD_SYSTEM_CONFIG", self.path("etc/guard/config.toml"))
            // Plain text to compare against; the colours have a test of their own.
            .env("NO_COLOR", "1")
            .current_dir(self.work())
            .stdin(Stdio::null());
        c
    }
}

pub struct Cmd(pub Command);

impl Cmd {
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.0.args(args);
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> Self {
        self.0.env(k, v);
        self
    }

    pub fn current_dir(mut self, d: impl AsRef<Path>) -> Self {
        self.0.current_dir(d);
        self
    }

    pub fn run(mut self) -> Out {
        Out(self.0.output().expect("run guard"))
    }
}

pub struct Out(pub Output);

impl Out {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr()
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout().trim())
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", self.stdout()))
    }
}

/// Splits a case's command into words (no shell: quotes only) and leading assignments.
pub fn words(line: &str) -> (Vec<(String, String)>, Vec<String>) {
    let c = guard::shell::split_words(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    (c.assignments, c.argv)
}

impl Cmd {
    /// `args(prefix)` then `args(rest)`, for tables of argv.
    pub fn arg_list(self, prefix: &[&str], rest: &[&str]) -> Self {
        self.args(prefix).args(rest)
    }

    pub fn arg(self, a: impl AsRef<OsStr>) -> Self {
        self.args([a])
    }
}

impl Cmd {
    /// Runs with `input` on stdin (written from a thread, so a large input cannot
    /// deadlock against a full stdout pipe).
    pub fn run_with_input(mut self, input: &[u8]) -> Out {
        let mut child = self
            .0
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn guard");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            // guard may stop reading early (a refusal): a broken pipe is not an error here.
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("wait for guard");
        writer.join().expect("writer");
        Out(out)
    }
}

/// A PreToolUse answer (Claude Code, Codex) holding exactly the documented fields:
/// `(permissionDecision, permissionDecisionReason)`.
pub fn pretooluse_answer(stdout: &str) -> (String, String) {
    let v: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["hookSpecificOutput"], "{stdout}");
    let h = &v["hookSpecificOutput"];
    let mut inner: Vec<&str> = h
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    inner.sort_unstable();
    assert_eq!(
        inner,
        [
            "hookEventName",
            "permissionDecision",
            "permissionDecisionReason"
        ],
        "{stdout}"
    );
    assert_eq!(h["hookEventName"], "PreToolUse");
    (
        h["permissionDecision"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        h["permissionDecisionReason"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}
