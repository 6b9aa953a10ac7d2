//! `guard hook claude-code`: Claude Code's PreToolUse hook protocol, following the hooks
//! reference (https://code.claude.com/docs/en/hooks.md#pretooluse). Claude Code writes
//! the pending tool call as JSON on stdin (`hook_event_name`, `tool_name`,
//! `tool_input.command` for the Bash tool) and reads, on exit 0, a JSON object whose
//! `hookSpecificOutput.permissionDecision` is `allow`, `deny` or `ask`, with a
//! `permissionDecisionReason` shown to Claude (deny) or to the person (ask). Exit 2
//! blocks the call with stderr as the reason; any other failure would let the call
//! through, so guard never fails any other way here.
//!
//! guard grants nothing: a command it allows gets no output, so Claude Code's own
//! permission rules still apply. Confirm-level commands are `ask` (a person answers in
//! Claude Code); two-person and deny are `deny`, the two-person denial carrying the
//! approval request and the line an approver runs.

use super::approve::{how_to_approve, make_request};
use crate::analysis::Input;
use crate::cli::GlobalArgs;
use crate::decision::Decision;
use crate::error::Error;
use crate::report;
use std::io::Read;

/// Exit status that makes Claude Code block the call (stderr is the reason).
const BLOCK: i32 = 2;

pub fn claude_code(global: &GlobalArgs) -> Result<i32, Error> {
    let mut raw = String::new();
    if let Err(e) = std::io::stdin().take(8 << 20).read_to_string(&mut raw) {
        return Ok(block(&format!("guard could not read the hook input: {e}")));
    }
    let payload: serde_json::Value = match serde_json::from_str(&raw) {
        Ok(v) => v,
        Err(e) => {
            return Ok(block(&format!(
                "guard could not read the hook input as JSON ({e}); refusing what it cannot read"
            )));
        }
    };
    let event = payload.get("hook_event_name").and_then(|v| v.as_str());
    if event.is_some_and(|e| e != "PreToolUse") {
        return Ok(block(&format!(
            "guard answers PreToolUse hooks only, not `{}`",
            event.unwrap_or_default()
        )));
    }
    // Only the shell tool runs commands; other tools are not guard's to judge.
    if payload.get("tool_name").and_then(|v| v.as_str()) != Some("Bash") {
        return Ok(0);
    }
    let Some(command) = payload
        .pointer("/tool_input/command")
        .and_then(|v| v.as_str())
    else {
        return Ok(block(
            "the Bash tool call has no `tool_input.command`; guard refuses what it cannot read",
        ));
    };
    let input = Input::Shell(command.to_string());
    // The decision is made in a child guard, bounded in memory and time: whatever goes
    // wrong there (a parser that never stops, a crash) blocks the call here.
    let checked = match decide_in_child(command) {
        Ok(c) => c,
        Err(why) => return Ok(block(&format!("guard: {why}; the call is blocked"))),
    };
    let approvals = match super::load_rules(global, Some(&[])) {
        Ok(set) => set.settings.approvals,
        Err(e) => return Ok(block(&format!("guard: {e}"))),
    };
    let explain = report::explain(command, &checked.findings);
    let (decision, reason) = match checked.decision {
        Decision::Allow | Decision::Warn => return Ok(0),
        Decision::Confirm => (
            "ask",
            format!("guard: this needs a person's confirmation\n{explain}"),
        ),
        Decision::TwoPerson => {
            let request = match make_request(&input, &checked.findings, &approvals) {
                Ok(r) => r,
                Err(e) => return Ok(block(&format!("guard: {e}"))),
            };
            let how = how_to_approve(&request);
            (
                "deny",
                format!(
                    "guard: this needs a second person's signed approval; do not retry it another way. Give the person this request:\n{explain}{how}"
                ),
            )
        }
        Decision::Deny => ("deny", format!("guard: this is never run\n{explain}")),
    };
    let out = serde_json::json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    });
    println!("{out}");
    Ok(0)
}

fn block(why: &str) -> i32 {
    eprintln!("{why}");
    BLOCK
}

/// What `guard check --json` answered.
#[derive(serde::Deserialize)]
struct Checked {
    decision: Decision,
    findings: Vec<crate::matcher::Finding>,
}

/// Limits for the child that decides.
const CHILD_MEMORY: u64 = 2 << 30;
const CHILD_TIME: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs `guard check --json -c COMMAND` as a child with bounded memory and time.
fn decide_in_child(command: &str) -> Result<Checked, String> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().map_err(|e| format!("cannot find its own binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["check", "--json", "-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // SAFETY: between fork and exec the child only calls setrlimit(2), which is
    // async-signal-safe, and touches no memory shared with the parent.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            use nix::sys::resource::{Resource, setrlimit};
            setrlimit(Resource::RLIMIT_AS, CHILD_MEMORY, CHILD_MEMORY).map_err(std::io::Error::from)
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the check: {e}"))?;
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > CHILD_TIME => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the check took longer than {}s",
                    CHILD_TIME.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(2)),
            Err(e) => return Err(format!("the check failed: {e}")),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("the check failed: {e}"))?;
    // check's exit status is the decision (0-4); anything else is a failure.
    if !matches!(out.status.code(), Some(0..=4)) {
        return Err(format!("the check failed ({})", out.status));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("the check's answer was unreadable: {e}"))
}
