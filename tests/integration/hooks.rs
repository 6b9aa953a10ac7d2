//! `guard hook claude-code` with Claude Code's documented PreToolUse payloads (the
//! other agents are in `agents.rs`).

use crate::util::Sandbox;

fn hook(s: &Sandbox, payload: &str) -> (i32, String, String) {
    let out = s
        .guard()
        .args(["hook", "claude-code"])
        .run_with_input(payload.as_bytes());
    (out.code(), out.stdout(), out.stderr())
}

fn bash(command: &str) -> String {
    serde_json::json!({
        "session_id": "abc123",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": command, "description": "run it" },
        "tool_use_id": "toolu_01"
    })
    .to_string()
}

fn decision(stdout: &str) -> (String, String) {
    crate::util::pretooluse_answer(stdout)
}

#[test]
fn allowed_commands_and_data_get_no_answer() {
    let s = Sandbox::new();
    for cmd in [
        "ls -la",
        "git commit -m 'terraform destroy cleanup'",
        "grep 'rm -rf' notes.txt",
    ] {
        let (code, out, _) = hook(&s, &bash(cmd));
        assert_eq!((code, out.as_str()), (0, ""), "{cmd}");
    }
}

#[test]
fn confirm_level_asks_the_person() {
    let s = Sandbox::new();
    let (code, out, _) = hook(&s, &bash("cd repo && git push --force origin main"));
    assert_eq!(code, 0);
    let (d, reason) = decision(&out);
    assert_eq!(d, "ask");
    assert!(
        reason.contains("git.push-force") && reason.contains("safer: git push --force-with-lease"),
        "{reason}"
    );
}

#[test]
fn two_person_is_denied_with_the_approval_request() {
    let s = Sandbox::new();
    let (code, out, _) = hook(&s, &bash("sudo bash -c 'terraform destroy -auto-approve'"));
    assert_eq!(code, 0);
    let (d, reason) = decision(&out);
    assert_eq!(d, "deny");
    assert!(
        reason.contains("guard approve guard-request-v1."),
        "{reason}"
    );
    assert!(reason.contains("Do not change the command or try it another way"));
    assert!(reason.contains("then run exactly the same command again"));
}

#[test]
fn deny_and_unreadable_strings_are_denied() {
    let s = Sandbox::new();
    let (_, out, _) = hook(&s, &bash("rm -rf /"));
    assert_eq!(decision(&out).0, "deny");
    let (_, out, _) = hook(&s, &bash("echo 'unterminated"));
    let (d, reason) = decision(&out);
    assert_eq!(d, "deny");
    assert!(reason.contains("shell.parse-error"));
}

#[test]
fn malformed_or_unexpected_input_blocks() {
    let s = Sandbox::new();
    for payload in [
        "",
        "{not json",
        "{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{}}",
    ] {
        let (code, out, err) = hook(&s, payload);
        assert_eq!(code, 2, "{payload:?} must block");
        assert_eq!(out, "");
        assert!(!err.is_empty());
    }
    let other_event = bash("ls").replace("PreToolUse", "PostToolUse");
    assert_eq!(hook(&s, &other_event).0, 2);
    // A broken config blocks too: it never fails open.
    s.user_config("this is not toml");
    let (code, _, err) = hook(&s, &bash("ls"));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn other_tools_are_not_judged() {
    let s = Sandbox::new();
    let write = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": { "file_path": "/tmp/x", "content": "terraform destroy" }
    });
    assert_eq!(
        hook(&s, &write.to_string()),
        (0, String::new(), String::new())
    );
}

const SETTINGS: &str = r#"{
  "permissions": {"allow": ["Bash(npm run test:*)"], "deny": []},
  "model": "x",
  "hooks": {"PostToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "fmt.sh"}]}]},
  "zzz_last": true
}
"#;

#[test]
fn install_and_uninstall_round_trip_the_settings_file() {
    let s = Sandbox::new();
    let file = s.write("home/.claude/settings.json", SETTINGS);
    // A dry run changes nothing.
    let out = s
        .guard()
        .args([
            "install",
            "claude-code",
            "--dry-run",
            "--guard",
            crate::util::GUARD,
        ])
        .run()
        .expect_code(0);
    assert!(out.stdout().contains("hook claude-code"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), SETTINGS);
    s.guard()
        .args(["install", "claude-code", "--guard", crate::util::GUARD])
        .run()
        .expect_code(0)
        .stderr_has("added to");
    let installed = std::fs::read_to_string(&file).unwrap();
    let v: serde_json::Value = serde_json::from_str(&installed).unwrap();
    assert_eq!(v["model"], "x", "other settings are kept");
    assert_eq!(
        v["hooks"]["PostToolUse"][0]["hooks"][0]["command"],
        "fmt.sh"
    );
    let cmd = v["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(
        cmd.starts_with("/bin/sh -c ") && cmd.contains("hook claude-code"),
        "{cmd}"
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["permissions", "model", "hooks", "zzz_last"],
        "key order is kept"
    );
    // Idempotent.
    s.guard()
        .args(["install", "claude-code", "--guard", crate::util::GUARD])
        .run()
        .expect_code(0)
        .stderr_has("already has guard's hook");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), installed);
    // The installed hook really answers: a destructive call is refused through it.
    let hook_cmd = format!(
        "{cmd} < {}",
        s.write("payload.json", &bash("terraform destroy"))
            .display()
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&hook_cmd)
        .env("HOME", s.path("home"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"deny\""));
    // Uninstall restores the file byte for byte.
    s.guard()
        .args(["uninstall", "claude-code"])
        .run()
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), SETTINGS);
}

#[test]
fn uninstall_after_other_edits_removes_only_guards_entry() {
    let s = Sandbox::new();
    let file = s.write("work/.claude/settings.json", SETTINGS);
    s.guard()
        .args([
            "install",
            "claude-code",
            "--project",
            "--guard",
            crate::util::GUARD,
        ])
        .run()
        .expect_code(0);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    v["model"] = "y".into();
    std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    s.guard()
        .args(["uninstall", "claude-code", "--project"])
        .run()
        .expect_code(0)
        .stderr_has("removed");
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(after["model"], "y", "the later edit stays");
    assert_eq!(after["hooks"]["PreToolUse"].as_array().unwrap().len(), 0);
    s.write("work/.claude/settings.json", "{broken");
    s.guard()
        .args([
            "install",
            "claude-code",
            "--project",
            "--guard",
            crate::util::GUARD,
        ])
        .run()
        .expect_code(64)
        .stderr_has("is not valid JSON");
}

/// The command is read where the agent runs it: the payload's `cwd`. One guard cannot
/// enter blocks the call.
#[test]
fn the_payload_working_directory_is_where_the_command_is_read() {
    let s = Sandbox::new();
    let mut payload: serde_json::Value = serde_json::from_str(&bash("ls")).unwrap();
    for bad in ["relative/dir", "/no/such/dir"] {
        payload["cwd"] = bad.into();
        let (code, out, err) = hook(&s, &payload.to_string());
        assert_eq!((code, out.as_str()), (2, ""), "{bad}");
        assert!(err.contains("working directory"), "{err}");
    }
    // A confirm-level command's request names the agent's directory, not guard's.
    let dir = s.path("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    payload["cwd"] = dir.display().to_string().into();
    payload["tool_input"]["command"] = "terraform destroy".into();
    let (_, out, _) = hook(&s, &payload.to_string());
    let (_, reason) = decision(&out);
    assert!(
        reason.contains(&format!("directory: {}", dir.display())),
        "{reason}"
    );
}

/// A long string with many flagged commands is answered, not blocked: the decision's
/// output is read while the check runs.
#[test]
fn a_large_answer_does_not_stall_the_check() {
    let s = Sandbox::new();
    let command: Vec<String> = (0..400)
        .map(|i| format!("kubectl delete pod api-{i}"))
        .collect();
    let (code, out, err) = hook(&s, &bash(&command.join("; ")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(decision(&out).0, "ask");
}

/// With a shim first on PATH, a yes in Claude Code's prompt would not reach the command
/// (the shim refuses what an agent runs), so the person is told how to run it instead.
#[test]
fn under_shims_a_confirm_is_denied_with_the_line_a_person_runs() {
    let s = Sandbox::new();
    let (_, path) = s.shims(&["git"]);
    let out = s
        .guard()
        .env("PATH", path)
        .args(["hook", "claude-code"])
        .run_with_input(bash("git push --force origin main").as_bytes());
    let (d, reason) = decision(&out.stdout());
    assert_eq!(d, "deny");
    assert!(
        reason.contains("guard -c 'git push --force origin main'"),
        "{reason}"
    );
}

/// `guard --config FILE hook ...` decides with that config, as `guard --config FILE
/// check` does.
#[test]
fn the_hook_decides_with_the_config_it_was_given() {
    let s = Sandbox::new();
    let pack = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/custom-pack.toml");
    let out = s
        .guard()
        .args(["--config", pack, "hook", "claude-code"])
        .run_with_input(bash("deployctl teardown --env prod").as_bytes());
    let (d, reason) = decision(&out.stdout());
    assert_eq!(d, "deny", "{reason}");
    assert!(reason.contains("deployctl"), "{reason}");
}

/// A hook's denial is on the audit trail (it used to be counted on the breaker only),
/// so a breaker rebuilt from the trail counts it too; an `ask` is on the record but is
/// the agent's prompt, not guard's pass, and never counts.
#[test]
fn hook_denials_are_on_the_record_and_a_rebuilt_breaker_counts_them() {
    let s = Sandbox::new();
    s.user_config("[breaker]\nmax_refusals = 1\n");
    let (_, out, _) = hook(&s, &bash("terraform destroy -auto-approve"));
    assert_eq!(decision(&out).0, "deny");
    let (_, out, _) = hook(&s, &bash("git push --force origin main"));
    assert_eq!(decision(&out).0, "ask");
    let log = std::fs::read_to_string(s.path("home/.local/state/guard/audit.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let denied = records
        .iter()
        .find(|r| r["command"] == "terraform destroy -auto-approve")
        .unwrap_or_else(|| panic!("no record of the denial: {log}"));
    assert_eq!(denied["gate"], "refused");
    assert_eq!(denied["decision"], "two-person");
    assert_eq!(denied["agent"], "claude-code");
    assert_eq!(denied["key"], "agent:claude-code/abc123");
    let asked = records
        .iter()
        .find(|r| r["command"] == "git push --force origin main")
        .unwrap_or_else(|| panic!("no record of the ask: {log}"));
    assert_eq!(asked["gate"], "asked");
    // The state is lost; rebuilt from the trail, one refusal is still counted (and the
    // ask is not), so one more opens the breaker.
    std::fs::remove_file(s.path("home/.local/state/guard/breaker.json")).unwrap();
    let (_, out, _) = hook(&s, &bash("terraform destroy -auto-approve"));
    assert_eq!(decision(&out).0, "deny");
    let (_, out, _) = hook(&s, &bash("git push --force origin main"));
    let (d, reason) = decision(&out);
    assert_eq!(d, "deny", "{reason}");
    assert!(reason.contains("circuit breaker is open"), "{reason}");
}

/// The hook guard installs blocks when guard itself is missing or broken (every agent
/// lets a call through when a hook fails any other way), gives the agent a timeout
/// longer than guard's own bound, and never names a build tree unless told to.
#[test]
fn the_installed_hook_blocks_when_guard_is_gone_and_never_names_a_build_tree() {
    let s = Sandbox::new();
    // From a build tree, with no other guard on PATH: refused, with what to do.
    s.guard()
        .env("PATH", "/usr/bin:/bin")
        .args(["install", "claude-code"])
        .run()
        .expect_code(64)
        .stderr_has("cargo clean")
        .stderr_has("--guard PATH");
    // A guard that will go missing.
    let gone = s.path("bin/guard");
    std::fs::create_dir_all(s.path("bin")).unwrap();
    std::fs::copy(crate::util::GUARD, &gone).unwrap();
    s.guard()
        .args(["install", "claude-code", "--guard"])
        .arg(&gone)
        .run()
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.path("home/.claude/settings.json")).unwrap(),
    )
    .unwrap();
    let h = &v["hooks"]["PreToolUse"][0]["hooks"][0];
    assert_eq!(h["timeout"], 60, "longer than guard's own bound");
    let cmd = h["command"].as_str().unwrap();
    let payload = s.write("payload.json", &bash("ls"));
    let run = || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{cmd} < {}", payload.display()))
            .env("HOME", s.path("home"))
            .output()
            .unwrap()
    };
    assert_eq!(run().status.code(), Some(0), "guard there: ls passes");
    std::fs::remove_file(&gone).unwrap();
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(2),
        "guard gone: the call is blocked"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("the call is blocked"));
}
