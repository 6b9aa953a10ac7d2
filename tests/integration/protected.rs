//! The protected install against the attacks that made two-person commands run without
//! a second person: replayed as an unprivileged user by `tests/protected/attacks.sh`, as
//! root inside a private mount namespace (a copy of /etc, empty tmpfs mounts over
//! /var/lib, /usr/local/bin, /usr/local/lib and /home), so the machine's own files are
//! never touched.
//! Without root (or without `unshare` and `setpriv`), the test says it was skipped.

use std::process::Command;

fn skip_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root: a protected install needs root to set up".into());
    }
    for tool in ["unshare", "setpriv", "ssh-keygen", "script", "python3"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("{tool} is not installed"));
        }
    }
    None
}

#[test]
fn every_attack_on_a_protected_install_fails() {
    if let Some(why) = skip_reason() {
        eprintln!("skipped: every_attack_on_a_protected_install_fails: {why}");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let script = format!("{}/tests/protected/attacks.sh", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "bash"])
        .arg(&script)
        .arg(crate::util::GUARD)
        .arg(scratch.path())
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        failed.is_empty(),
        "{}\n--- stderr\n{stderr}",
        failed.join("\n")
    );
    assert!(
        stdout.contains("DONE"),
        "the script stopped early:\n{stdout}\n{stderr}"
    );
    for name in [
        "setup-installs",
        "setup-is-idempotent",
        "setup-check-clean",
        "setup-check-names-the-fix",
        "child-has-the-users-groups",
        "child-cannot-read-state",
        "user-cannot-read-state",
        "login-shell-finds-the-shim",
        "shim-refuses-in-a-login-shell",
        "approved-runs-once",
        "replay-with-a-fresh-state-dir-refused",
        "replay-after-deleting-the-ledger-refused",
        "approve-refuses-own-request",
        "self-signed-token-refused",
        "one-person-two-keys-is-one-approver",
        "hook-answers-deny-at-once",
        "breaker-opens",
        "pty-reset-refused",
        "breaker-stays-open",
        "locked-user-file-cannot-weaken",
        "audit-not-moved",
        "log-verifies",
        "cut-log-found",
        "hook-names-the-installed-guard",
        "doctor-says-protected",
        "nothing-ran-but-the-approved",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("PASS {name}")),
            "{name} did not pass:\n{stdout}\n--- stderr\n{stderr}"
        );
    }
}
