//! `guard hook claude-code` with Claude Code's documented PreToolUse payloads.

use crate::util::Sandbox;
use std::io::Write;
use std::process::Stdio;

fn hook(s: &Sandbox, payload: &str) -> (i32, String, String) {
    let mut child = s
        .guard()
        .args(["hook", "claude-code"])
        .0
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(payload.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn bash(command: &str) -> String {
    serde_json::json!({
        "session_id": "abc123",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/srv/infra",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": command, "description": "run it" },
        "tool_use_id": "toolu_01"
    })
    .to_string()
}

fn decision(stdout: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let h = &v["hookSpecificOutput"];
    assert_eq!(h["hookEventName"], "PreToolUse");
    (
        h["permissionDecision"].as_str().unwrap().to_string(),
        h["permissionDecisionReason"].as_str().unwrap().to_string(),
    )
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
    assert!(reason.contains("do not retry it another way"));
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
