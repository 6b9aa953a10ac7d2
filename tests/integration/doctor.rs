//! `guard doctor`: each check's OK / WARN / FAIL line and the exit status, on real
//! setups built in a sandbox: broken configs, approvers files the user could write,
//! installed hooks that work and ones that do not, shims, a tampered audit log.

use crate::util::{GUARD, Sandbox};
use std::os::unix::fs::PermissionsExt;

fn doctor(s: &Sandbox) -> (i32, String) {
    let out = s.guard().args(["doctor"]).run();
    (out.code(), out.stdout())
}

fn has(out: &str, prefix: &str) -> bool {
    out.lines().any(|l| l.starts_with(prefix))
}

#[test]
fn a_fresh_setup_passes_with_warnings_and_no_colour_off_a_terminal() {
    let s = Sandbox::new();
    let (code, out) = doctor(&s);
    assert_eq!(code, 0, "{out}");
    assert!(has(&out, "OK    config    user: "), "{out}");
    assert!(has(&out, "OK    rules     "), "{out}");
    assert!(
        has(&out, "WARN  approvals no approvers file"),
        "two-person commands cannot run: {out}"
    );
    assert!(has(&out, "OK    audit     the audit log "), "{out}");
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert!(!has(&out, "FAIL"));
}

#[test]
fn a_broken_config_fails_with_its_line_and_column() {
    let s = Sandbox::new();
    s.user_config("[approvals\n");
    let (code, out) = doctor(&s);
    assert_eq!(code, 1);
    let line = out.lines().find(|l| l.starts_with("FAIL  config")).unwrap();
    assert!(line.contains("config.toml:1:"), "{line}");
    assert!(has(&out, "FAIL  rules     not built"), "{out}");
}

#[test]
fn a_tampered_audit_log_fails() {
    let s = Sandbox::new();
    s.guard().args(["--", "true"]).run().expect_code(0);
    s.guard().args(["--", "true"]).run().expect_code(0);
    let (_, out) = doctor(&s);
    assert!(
        has(&out, "OK    audit     4 records, hash chain intact"),
        "{out}"
    );
    let log = s.path("home/.local/state/guard/audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("\"true\"", "\"trve\"", 1)).unwrap();
    let (code, out) = doctor(&s);
    assert_eq!(code, 1);
    assert!(
        out.lines().any(|l| l.starts_with("FAIL  audit")
            && l.contains("audit.jsonl:1: the hash chain is broken")),
        "{out}"
    );
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The approvers file check, as an account that could write the file and as one that
/// cannot. As root (which can write anything) the account is `nobody`, via setpriv.
#[test]
fn an_approvers_file_the_user_can_write_fails() {
    let s = Sandbox::new();
    let signers = s.write(
        "approvers/allowed_signers",
        "alice@example.com namespaces=\"guard-approval\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEqR2mJ3j2YQm0dT1kUZ7nYkq7c7o2c2s1yN3o5rE6pW\n",
    );
    s.user_config(&format!(
        "[approvals]\nallowed_signers = \"{}\"\n",
        signers.display()
    ));
    let run = |s: &Sandbox| -> (i32, String) {
        if !is_root() {
            return doctor(s);
        }
        let mut cmd = s.command("setpriv");
        cmd.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            GUARD,
            "doctor",
        ]);
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let chown = |path: &std::path::Path, uid: u32| {
        if is_root() {
            std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
        }
    };
    if is_root() {
        // nobody can read and write its own sandbox, as the user would.
        for e in walk(s.dir.path()) {
            chown(&e, 65534);
        }
    }
    let (code, out) = run(&s);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("FAIL  approvals")
            && l.contains("is writable by you, so you could add your own key")),
        "{out}"
    );
    assert!(
        has(&out, "OK    approvals "),
        "the file itself reads: {out}"
    );
    // Owned by another account, not writable: OK.
    let dir = s.path("approvers");
    chown(&signers, 0);
    chown(&dir, 0);
    std::fs::set_permissions(&signers, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let (code, out) = run(&s);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("is writable by you"), "{out}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![dir.to_path_buf()];
    if dir.is_dir() {
        for e in std::fs::read_dir(dir).unwrap() {
            all.extend(walk(&e.unwrap().path()));
        }
    }
    all
}

#[test]
fn installed_hooks_are_simulated_and_broken_ones_fail() {
    let s = Sandbox::new();
    for agent in ["claude-code", "codex", "gemini"] {
        // Codex is not installed here, so its hook's trust cannot be recorded: install
        // writes the hook and says it is not done.
        let code = if agent == "codex" { 1 } else { 0 };
        s.guard()
            .args(["install", agent, "--guard", crate::util::GUARD])
            .run()
            .expect_code(code);
    }
    let (code, out) = doctor(&s);
    assert_eq!(code, 0, "{out}");
    for agent in ["claude-code", "codex", "gemini"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("OK    hooks     {agent}: "))
                    && l.ends_with("refuses a simulated `terraform destroy`")),
            "{agent}: {out}"
        );
    }
    // A hook command that lets everything through.
    let claude = s.path("home/.claude/settings.json");
    let text = std::fs::read_to_string(&claude).unwrap();
    let broken = text.replace(GUARD, "true");
    assert_ne!(text, broken);
    std::fs::write(&claude, broken).unwrap();
    // Gemini with its hooks switched off, Codex with the hooks feature off.
    let gemini = s.path("home/.gemini/settings.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gemini).unwrap()).unwrap();
    v["hooksConfig"] = serde_json::json!({ "enabled": false });
    std::fs::write(&gemini, v.to_string()).unwrap();
    s.write("home/.codex/config.toml", "[features]\nhooks = false\n");
    let (code, out) = doctor(&s);
    assert_eq!(code, 1, "{out}");
    let fail = |agent: &str, needle: &str| {
        out.lines()
            .any(|l| l.starts_with(&format!("FAIL  hooks     {agent}: ")) && l.contains(needle))
    };
    assert!(fail("claude-code", "which is not this guard"), "{out}");
    assert!(fail("gemini", "hooksConfig.enabled"), "{out}");
    assert!(fail("codex", "[features] hooks = false"), "{out}");
    // An agent set up without guard's hook is a warning.
    std::fs::remove_file(&claude).unwrap();
    let (_, out) = doctor(&s);
    assert!(
        has(
            &out,
            "WARN  hooks     claude-code is set up here but guard's hook is not installed"
        ),
        "{out}"
    );
}

#[test]
fn shims_first_on_path_are_ok_and_the_rest_are_named() {
    let s = Sandbox::new();
    let (shims, path) = s.shims(&["git"]);
    let out = s.guard().env("PATH", &path).args(["doctor"]).run();
    let stdout = out.stdout();
    assert!(
        has(
            &stdout,
            &format!(
                "OK    shims     git: the shim {}/git comes first on PATH",
                shims.display()
            )
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("WARN  shims     rm: ") && l.contains("not a shim")),
        "{stdout}"
    );
}

/// On a terminal the statuses are coloured; `NO_COLOR` turns that off.
#[test]
fn colour_on_a_terminal_unless_no_color() {
    let s = Sandbox::new();
    let mut p = crate::confirm::spawn(&s, "unset NO_COLOR; TERM=xterm GUARD doctor; echo done");
    p.exp_string("\x1b[32mOK  \x1b[0m  guard").unwrap();
    p.exp_string("done").unwrap();
    let mut p = crate::confirm::spawn(&s, "TERM=xterm NO_COLOR=1 GUARD doctor; echo done");
    let before = p.exp_string("done").unwrap();
    assert!(before.contains("OK    guard"), "{before:?}");
    assert!(!before.contains('\x1b'), "{before:?}");
}

#[test]
fn the_breaker_state_is_part_of_the_checkup() {
    let s = Sandbox::new();
    s.user_config("[breaker]\nmax_refusals = 1\n");
    let (_, out) = doctor(&s);
    assert!(
        has(
            &out,
            "OK    breaker   closed (opens at more than 1 refused or 10 destructive commands within 15m)"
        ),
        "{out}"
    );
    for _ in 0..2 {
        s.guard()
            .env("GUARD_AGENT", "test")
            .args(["--", "terraform", "destroy"])
            .run()
            .expect_code(77);
    }
    let (code, out) = doctor(&s);
    assert_eq!(code, 0, "an open breaker is a warning, not a broken setup");
    assert!(
        out.lines().any(
            |l| l.starts_with("WARN  breaker   open for agent:test since")
                && l.ends_with("a person resets it with `guard breaker reset`")
        ),
        "{out}"
    );
}

/// A settings file can name any command: doctor runs only guard's own hook command,
/// never what a project's settings put there.
#[test]
fn doctor_never_runs_a_foreign_hook_command() {
    let s = Sandbox::new();
    let marker = s.path("PWNED");
    s.write(
        "work/.claude/settings.json",
        &serde_json::json!({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": format!("touch {} # hook claude-code", marker.display())}
        ]}]}})
        .to_string(),
    );
    let (code, out) = doctor(&s);
    assert_eq!(code, 1);
    assert!(!marker.exists(), "the foreign command ran");
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAIL  hooks     claude-code:")
                && l.contains("is not guard's hook command")),
        "{out}"
    );
}
