//! `guard -- PROGRAM ARGS...` with real child processes.

use crate::util::Sandbox;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn exit_status_passes_through() {
    let s = Sandbox::new();
    for code in [0, 1, 7, 42, 255] {
        s.guard()
            .args(["--", "sh", "-c", &format!("exit {code}")])
            .run()
            .expect_code(code);
    }
}

#[test]
fn child_killed_by_signal_gives_128_plus_n() {
    let s = Sandbox::new();
    s.guard()
        .args(["--", "sh", "-c", "kill -KILL $$"])
        .run()
        .expect_code(137);
    s.guard()
        .args(["--", "sh", "-c", "kill -SEGV $$"])
        .run()
        .expect_code(139);
}

#[test]
fn arguments_pass_byte_for_byte_including_non_utf8() {
    let s = Sandbox::new();
    let raw = OsStr::from_bytes(b"\xff\xfe a\tb \x1b[0m");
    let out = s
        .guard()
        .args([
            OsStr::new("--"),
            OsStr::new("printf"),
            OsStr::new("%s|%s"),
            raw,
            OsStr::new(""),
        ])
        .run()
        .expect_code(0);
    assert_eq!(out.0.stdout, b"\xff\xfe a\tb \x1b[0m|");
}

#[test]
fn stdin_stdout_and_stderr_are_inherited() {
    let s = Sandbox::new();
    let mut child = s
        .guard()
        .args(["--", "sh", "-c", "read x; echo \"out:$x\"; echo err >&2"])
        .0
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out:hello\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
}

#[test]
fn missing_and_unexecutable_programs_have_their_own_codes() {
    let s = Sandbox::new();
    s.guard()
        .args(["--", "no-such-program-xyz"])
        .run()
        .expect_code(127)
        .stderr_has("no-such-program-xyz: command not found");
    let f = s.write("work/not-exec.sh", "#!/bin/sh\necho hi\n");
    s.guard()
        .args(["--", f.to_str().unwrap()])
        .run()
        .expect_code(126)
        .stderr_has("cannot execute");
}

#[test]
fn usage_errors_are_64_and_run_nothing() {
    let s = Sandbox::new();
    // `guard` alone is a question: the help.
    s.guard().run().expect_code(0).stdout_has("Usage:");
    // Without `--`, guard does not guess that the words are a command; it says how.
    s.guard()
        .args(["touch", "made"])
        .run()
        .expect_code(64)
        .stderr_has("put it after `--`: guard -- touch made");
    assert!(!s.work().join("made").exists());
    s.guard()
        .args(["chek", "--", "ls"])
        .run()
        .expect_code(64)
        .stderr_has("did you mean `guard check`?");
}

#[test]
fn refused_command_does_not_run() {
    let s = Sandbox::new();
    s.user_config(
        r#"
[[rules]]
id = "test.touch-danger"
tools = ["touch"]
args = { glob = ["danger*"] }
severity = "confirm"
reason = "test rule"
"#,
    );
    let out = s.guard().args(["--", "touch", "danger-file"]).run();
    out.expect_code(77)
        .stderr_has("guard: refused: touch danger-file (confirm)")
        .stderr_has("no terminal");
    assert!(!s.work().join("danger-file").exists());
    // A command the rule does not match runs.
    s.guard()
        .args(["--", "touch", "safe-file"])
        .run()
        .expect_code(0);
    assert!(s.work().join("safe-file").exists());
}

#[test]
fn warn_level_runs_with_a_warning() {
    let s = Sandbox::new();
    s.user_config(
        r#"
[[rules]]
id = "test.warn"
tools = ["touch"]
severity = "warn"
reason = "touching things"
suggestion = "look first"
"#,
    );
    s.guard()
        .args(["--", "touch", "f"])
        .run()
        .expect_code(0)
        .stderr_has("guard: warning: touch f")
        .stderr_has("safer: look first");
    assert!(s.work().join("f").exists());
}

/// Starts guard running a shell script in its own process group; returns the child and
/// waits until the script signals it is ready by creating `ready`.
fn start_script(s: &Sandbox, script: &str) -> std::process::Child {
    let mut cmd = s.guard().args(["--", "sh", "-c", script]).0;
    cmd.process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let ready = s.work().join("ready");
    let start = Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "script never got ready"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

const TRAP_SCRIPT: &str = "trap 'echo TERM > got; exit 11' TERM; trap 'echo HUP > got; exit 12' HUP; \
     trap 'echo INT > got; exit 13' INT; touch ready; while :; do sleep 0.02; done";

#[test]
fn sigterm_and_sighup_are_forwarded_to_the_child() {
    for (sig, name, code) in [(Signal::SIGTERM, "TERM", 11), (Signal::SIGHUP, "HUP", 12)] {
        let s = Sandbox::new();
        let child = start_script(&s, TRAP_SCRIPT);
        kill(Pid::from_raw(child.id() as i32), sig).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = std::fs::read_to_string(s.work().join("got")).unwrap();
        assert_eq!(got.trim(), name);
    }
}

#[test]
fn ctrl_c_reaches_the_child_and_guard_outlives_it() {
    let s = Sandbox::new();
    let child = start_script(&s, TRAP_SCRIPT);
    // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
    killpg(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    // guard exits with the child's status (the trap's 13), not 130: it outlived the child.
    assert_eq!(
        out.status.code(),
        Some(13),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(s.work().join("got"))
            .unwrap()
            .trim(),
        "INT"
    );
}

#[test]
fn child_killed_by_forwarded_sigterm_makes_guard_exit_143() {
    let s = Sandbox::new();
    let child = start_script(&s, "touch ready; exec sleep 30");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
}

/// With neither HOME nor XDG_STATE_HOME, guard's state has no safe place: it is never put
/// in a shared directory such as /tmp. An allowed command still runs (with a warning);
/// reading the state is an I/O error that says why.
#[test]
fn without_home_the_state_has_no_place_and_never_goes_to_tmp() {
    let s = Sandbox::new();
    let no_home = |mut c: crate::util::Cmd| {
        c.0.env_remove("HOME").env_remove("XDG_STATE_HOME");
        c
    };
    no_home(s.guard().args(["--", "true"]))
        .run()
        .expect_code(0)
        .stderr_has("no safe place")
        .stderr_has("runs without its audit record");
    no_home(s.guard().args(["breaker", "status"]))
        .run()
        .expect_code(77)
        .stderr_has("neither HOME nor XDG_STATE_HOME is set");
    no_home(s.guard().args(["-c", "git push --force origin main"]))
        .run()
        .expect_code(77);
}
