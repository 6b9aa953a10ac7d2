//! `guard hook codex` and `guard hook gemini` with each agent's documented payloads, and
//! `guard install/uninstall` for both. The answers are checked field for field: Codex
//! treats a field it does not know, or an `ask`, as a failed hook and runs the tool.

use crate::util::Sandbox;
use serde_json::{Value, json};

fn hook(s: &Sandbox, agent: &str, payload: &Value) -> (i32, String, String) {
    let out = s
        .guard()
        .args(["hook", agent])
        .run_with_input(payload.to_string().as_bytes());
    (out.code(), out.stdout(), out.stderr())
}

/// Codex's PreToolUse input for its shell tool (codex-rs/hooks, PreToolUseCommandInput).
fn codex(command: Value) -> Value {
    json!({
        "session_id": "0199a0d2-6a7e-7c31-9a55-3d1c5f0c2b11",
        "turn_id": "turn-1",
        "transcript_path": null,
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "model": "gpt-5",
        "permission_mode": "default",
        "tool_name": "Bash",
        "tool_input": { "command": command },
        "tool_use_id": "call_1"
    })
}

/// Gemini CLI's BeforeTool input for run_shell_command (docs/hooks/reference.md).
fn gemini(command: &str) -> Value {
    json!({
        "session_id": "s-1",
        "transcript_path": "/home/u/.gemini/tmp/t.json",
        "cwd": "/tmp",
        "hook_event_name": "BeforeTool",
        "timestamp": "2026-11-23T10:00:00Z",
        "tool_name": "run_shell_command",
        "tool_input": { "command": command, "description": "run it" }
    })
}

/// Codex's deny, which must hold exactly the documented fields.
fn codex_denial(stdout: &str) -> String {
    let (decision, reason) = crate::util::pretooluse_answer(stdout);
    assert_eq!(decision, "deny", "Codex honours only deny");
    reason
}

fn gemini_denial(stdout: &str) -> String {
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["decision"], "deny", "{stdout}");
    assert_eq!(v.as_object().unwrap().len(), 2, "{stdout}");
    v["reason"].as_str().unwrap().to_string()
}

#[test]
fn codex_allows_silently_and_denies_everything_it_cannot_ask_about() {
    let s = Sandbox::new();
    for cmd in ["ls -la", "git commit -m 'terraform destroy cleanup'"] {
        assert_eq!(
            hook(&s, "codex", &codex(json!(cmd))),
            (0, String::new(), String::new()),
            "{cmd}"
        );
    }
    // Confirm-level: Codex has no working `ask`, so it is denied with the way a person
    // runs it at their own terminal.
    let (code, out, _) = hook(&s, "codex", &codex(json!("git push --force origin main")));
    assert_eq!(code, 0);
    let reason = codex_denial(&out);
    assert!(reason.contains("needs a person's confirmation"), "{reason}");
    assert!(
        reason.contains("guard -c 'git push --force origin main'"),
        "{reason}"
    );
    assert!(reason.contains("safer: git push --force-with-lease"));
    // Two-person: the denial carries the request and the approver's line.
    let (_, out, _) = hook(
        &s,
        "codex",
        &codex(json!("terraform destroy -auto-approve")),
    );
    let reason = codex_denial(&out);
    assert!(
        reason.contains("guard approve guard-request-v1."),
        "{reason}"
    );
    // Deny.
    let (_, out, _) = hook(&s, "codex", &codex(json!("rm -rf /")));
    assert!(codex_denial(&out).contains("never run"));
}

#[test]
fn codex_argv_lists_are_read_as_argv() {
    let s = Sandbox::new();
    let (_, out, _) = hook(
        &s,
        "codex",
        &codex(json!(["kubectl", "delete", "namespace", "prod"])),
    );
    assert!(codex_denial(&out).contains("kubectl delete namespace prod"));
    // A list an argv cannot be made of is unreadable: blocked.
    let (code, out, err) = hook(&s, "codex", &codex(json!(["rm", 1])));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    let (code, _, _) = hook(&s, "codex", &codex(json!([])));
    assert_eq!(code, 2);
}

#[test]
fn codex_other_tools_and_bad_input() {
    let s = Sandbox::new();
    let mut patch = codex(json!(
        "*** Begin Patch\n*** Delete File: main.tf\n*** End Patch"
    ));
    patch["tool_name"] = json!("apply_patch");
    assert_eq!(hook(&s, "codex", &patch), (0, String::new(), String::new()));
    let mut stop = codex(json!("ls"));
    stop["hook_event_name"] = json!("Stop");
    let (code, out, err) = hook(&s, "codex", &stop);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("PreToolUse hooks only"), "{err}");
    let mut no_tool = codex(json!("ls"));
    no_tool.as_object_mut().unwrap().remove("tool_name");
    assert_eq!(hook(&s, "codex", &no_tool).0, 2);
    let out = s
        .guard()
        .args(["hook", "codex"])
        .run_with_input(b"{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_in");
    assert_eq!(out.code(), 2, "truncated input blocks");
    assert!(!out.stderr().is_empty());
}

#[test]
fn gemini_answers_in_its_own_protocol() {
    let s = Sandbox::new();
    // Allow: an empty JSON object, as the reference's examples answer.
    for cmd in ["ls", "grep 'rm -rf' notes.txt"] {
        let (code, out, _) = hook(&s, "gemini", &gemini(cmd));
        assert_eq!((code, out.trim()), (0, "{}"), "{cmd}");
    }
    let (_, out, _) = hook(&s, "gemini", &gemini("helm uninstall api -n prod"));
    let reason = gemini_denial(&out);
    assert!(reason.contains("helm"), "{reason}");
    let (_, out, _) = hook(&s, "gemini", &gemini("git push -f"));
    assert!(gemini_denial(&out).contains("guard -c 'git push -f'"));
    let (_, out, _) = hook(
        &s,
        "gemini",
        &gemini("aws cloudformation delete-stack --stack-name prod-core"),
    );
    assert!(gemini_denial(&out).contains("guard approve guard-request-v1."));
    let (_, out, _) = hook(&s, "gemini", &gemini("echo \"unterminated"));
    assert!(gemini_denial(&out).contains("shell.parse-error"));
    // Other tools pass; other events, and Claude Code's event name, block.
    let mut read = gemini("x");
    read["tool_name"] = json!("read_file");
    assert_eq!(hook(&s, "gemini", &read).1.trim(), "{}");
    let mut wrong = gemini("ls");
    wrong["hook_event_name"] = json!("PreToolUse");
    let (code, out, err) = hook(&s, "gemini", &wrong);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("BeforeTool hooks only"), "{err}");
    let mut no_command = gemini("ls");
    no_command["tool_input"] = json!({ "description": "no command" });
    assert_eq!(hook(&s, "gemini", &no_command).0, 2);
    let out = s.guard().args(["hook", "gemini"]).run_with_input(b"[1, 2]");
    assert_eq!(out.code(), 2, "a JSON value that is not an object blocks");
}

const GEMINI_SETTINGS: &str = r#"{
  "theme": "GitHub",
  "hooks": {
    "BeforeTool": [
      {"matcher": "write_file", "hooks": [{"name": "lint", "type": "command", "command": "lint.sh"}]}
    ]
  },
  "tools": {"sandbox": false}
}
"#;

#[test]
fn gemini_install_round_trips_and_the_installed_hook_refuses() {
    let s = Sandbox::new();
    let file = s.write("home/.gemini/settings.json", GEMINI_SETTINGS);
    s.guard()
        .args(["install", "gemini", "--guard", crate::util::GUARD])
        .run()
        .expect_code(0)
        .stderr_has("BeforeTool");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let list = v["hooks"]["BeforeTool"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["hooks"][0]["command"], "lint.sh");
    assert_eq!(list[1]["matcher"], "run_shell_command");
    assert_eq!(list[1]["hooks"][0]["name"], "guard");
    let cmd = list[1]["hooks"][0]["command"].as_str().unwrap().to_string();
    assert!(
        cmd.starts_with("/bin/sh -c ") && cmd.contains("hook gemini"),
        "{cmd}"
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["theme", "hooks", "tools"]);
    // The installed command, run as Gemini CLI runs it, refuses a destroy.
    let payload = s.write("p.json", &gemini("terraform destroy").to_string());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} < {}", payload.display()))
        .env("HOME", s.path("home"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"decision\":\"deny\""));
    s.guard().args(["uninstall", "gemini"]).run().expect_code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), GEMINI_SETTINGS);
}

#[test]
fn codex_install_writes_hooks_json_in_the_project_or_codex_home() {
    let s = Sandbox::new();
    // No file yet: install creates it, uninstall leaves guard's list empty.
    s.guard()
        .args([
            "install",
            "codex",
            "--project",
            "--guard",
            crate::util::GUARD,
        ])
        .run()
        .expect_code(1)
        .stderr_has("Codex runs a user hook only once it is trusted");
    let file = s.work().join(".codex/hooks.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["hooks"]["PreToolUse"][0]["matcher"], "Bash");
    assert!(
        v["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .contains("hook codex")
    );
    s.guard()
        .args(["uninstall", "codex", "--project"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["hooks"]["PreToolUse"], json!([]));
    // $CODEX_HOME moves the user file, byte-for-byte round trip included.
    let before = "{\"hooks\":{\"Stop\":[]},\"x\":1}\n";
    let home_file = s.write("codex-home/hooks.json", before);
    s.guard()
        .args(["install", "codex", "--guard", crate::util::GUARD])
        .env("CODEX_HOME", s.path("codex-home"))
        .run()
        .expect_code(1);
    assert!(
        std::fs::read_to_string(&home_file)
            .unwrap()
            .contains("hook codex")
    );
    s.guard()
        .args(["uninstall", "codex"])
        .env("CODEX_HOME", s.path("codex-home"))
        .run()
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(&home_file).unwrap(), before);
}

/// The example hook files install the hook this binary answers, for the right tool
/// (Claude Code's payload has the same shape as Codex's).
#[test]
fn the_example_hook_files_run_this_hook() {
    for (file, event, payload) in [
        (
            "claude-code-settings.json",
            "PreToolUse",
            codex(json!("kubectl delete ns prod")),
        ),
        (
            "codex-hooks.json",
            "PreToolUse",
            codex(json!("kubectl delete ns prod")),
        ),
        (
            "gemini-settings.json",
            "BeforeTool",
            gemini("kubectl delete ns prod"),
        ),
    ] {
        let path = format!("{}/examples/{file}", env!("CARGO_MANIFEST_DIR"));
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let entry = &v["hooks"][event][0];
        assert_eq!(entry["matcher"], payload["tool_name"], "{file}");
        let command = entry["hooks"][0]["command"].as_str().unwrap();
        // The wrapper guard install writes, naming the protected install's binary: run
        // it as the agent would, with this build in that binary's place.
        assert!(
            command.ends_with(" /usr/local/bin/guard"),
            "{file}: {command}"
        );
        let command = command.replace("/usr/local/bin/guard", crate::util::GUARD);
        let s = Sandbox::new();
        let payload = s.write("payload.json", &payload.to_string());
        let mut sh = s.command("sh");
        sh.arg("-c")
            .arg(format!("{command} < {}", payload.display()));
        let out = sh.output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("\"deny\""),
            "{file}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
