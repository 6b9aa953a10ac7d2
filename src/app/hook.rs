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
use super::evaluate;
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
    // Any error here must block: Claude Code lets a call through when a hook fails
    // with anything but exit 2.
    let o = match evaluate(global, &input) {
        Ok(o) => o,
        Err(e) => return Ok(block(&format!("guard: {e}"))),
    };
    let explain = report::explain(&o.shown, &o.findings);
    let (decision, reason) = match o.decision {
        Decision::Allow | Decision::Warn => return Ok(0),
        Decision::Confirm => (
            "ask",
            format!("guard: this needs a person's confirmation\n{explain}"),
        ),
        Decision::TwoPerson => {
            let request = match make_request(&input, &o.findings, &o.approvals) {
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
