//! `guard hook AGENT`: answers an AI agent's pre-tool-use hook. Each agent writes the
//! pending tool call as JSON on stdin and reads guard's answer in its own protocol; the
//! protocols followed, and what each one can express, are:
//!
//! - **Claude Code**, PreToolUse (https://code.claude.com/docs/en/hooks.md#pretooluse):
//!   shell calls are `tool_name: "Bash"` with `tool_input.command`; on exit 0 it reads
//!   `hookSpecificOutput.permissionDecision` = `allow` / `deny` / `ask` with a
//!   `permissionDecisionReason` (shown to the model for deny, to the person for ask).
//! - **Codex**, PreToolUse (https://developers.openai.com/codex/hooks, and
//!   `codex-rs/hooks/src/events/pre_tool_use.rs` in openai/codex): the same wire format
//!   as Claude Code, shell calls named `Bash`, but only `permissionDecision: "deny"` is
//!   honoured. `ask` and `allow` are "unsupported" and *fail open* (the tool runs), so
//!   guard never sends them: a confirm-level command is denied with the way for a person
//!   to run it.
//! - **Gemini CLI**, BeforeTool (https://geminicli.com/docs/hooks/reference): shell calls
//!   are `tool_name: "run_shell_command"` with `tool_input.command`; the answer is
//!   top-level `{"decision": "deny", "reason": ...}`, the reason going to the model.
//!   There is no documented `ask` for BeforeTool, so confirm-level is denied as for Codex.
//!
//! In all three, exit status 2 blocks the call with stderr as the reason, and any other
//! failure lets the call through; so guard never fails any other way here. Whatever it
//! cannot read (not JSON, a missing command, the wrong event, a check that crashed or ran
//! away) ends in exit 2.
//!
//! guard grants nothing: a command it allows gets no decision, so the agent's own
//! permission rules still apply. Two-person and deny are denials; the two-person denial
//! carries the approval request and the line an approver runs, for the agent to relay.

use super::approve::{how_to_approve, make_request};
use crate::analysis::Input;
use crate::cli::{GlobalArgs, HookAgent};
use crate::decision::Decision;
use crate::error::Error;
use crate::report;
use serde_json::{Value, json};
use std::io::Read;

/// Exit status that makes every supported agent block the call (stderr is the reason).
const BLOCK: i32 = 2;

/// What differs between the agents' protocols.
struct Protocol {
    /// The event guard answers.
    event: &'static str,
    /// Tool names that run a shell command.
    shell_tools: &'static [&'static str],
    /// Whether a confirm-level command can be handed to the person (`ask`).
    can_ask: bool,
    /// What to print when guard has nothing to say (allow).
    allow_output: Option<&'static str>,
}

impl Protocol {
    fn of(agent: HookAgent) -> Protocol {
        match agent {
            HookAgent::ClaudeCode => Protocol {
                event: "PreToolUse",
                shell_tools: &["Bash"],
                can_ask: true,
                allow_output: None,
            },
            HookAgent::Codex => Protocol {
                event: "PreToolUse",
                // `Bash` is the canonical name; the others are Codex's own names for its
                // shell tools, accepted in case a version passes them through.
                shell_tools: &["Bash", "shell", "local_shell", "exec_command"],
                can_ask: false,
                allow_output: None,
            },
            HookAgent::Gemini => Protocol {
                event: "BeforeTool",
                shell_tools: &["run_shell_command"],
                can_ask: false,
                // The reference's own examples answer `{}`: stdout is parsed as JSON.
                allow_output: Some("{}"),
            },
        }
    }

    /// The answer for a decision, in this protocol.
    fn answer(&self, agent: HookAgent, decision: &str, reason: &str) -> Value {
        match agent {
            HookAgent::ClaudeCode | HookAgent::Codex => json!({
                "hookSpecificOutput": {
                    "hookEventName": self.event,
                    "permissionDecision": decision,
                    "permissionDecisionReason": reason,
                }
            }),
            HookAgent::Gemini => json!({ "decision": decision, "reason": reason }),
        }
    }
}

/// The shell command a tool call carries.
enum Carried {
    /// Not a shell tool: not guard's to judge.
    NotShell,
    Command(Input),
}

fn carried(p: &Protocol, payload: &Value) -> Result<Carried, String> {
    let tool = payload.get("tool_name").and_then(Value::as_str);
    let Some(tool) = tool else {
        return Err("the hook input has no `tool_name`".into());
    };
    if !p.shell_tools.contains(&tool) {
        return Ok(Carried::NotShell);
    }
    match payload.pointer("/tool_input/command") {
        Some(Value::String(s)) => Ok(Carried::Command(Input::Shell(s.clone()))),
        // Some shell tools take an argv list rather than a string.
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(std::ffi::OsString::from))
            .collect::<Option<Vec<_>>>()
            .map(|argv| Carried::Command(Input::Argv(argv)))
            .ok_or_else(|| "the shell call's `tool_input.command` list holds a non-string".into()),
        _ => Err(format!(
            "the `{tool}` call has no `tool_input.command` guard can read"
        )),
    }
}

/// The hook input: one JSON object for the event this protocol answers.
fn read_payload(p: &Protocol) -> Result<Value, String> {
    let mut raw = String::new();
    if let Err(e) = std::io::stdin().take(8 << 20).read_to_string(&mut raw) {
        return Err(format!("guard could not read the hook input: {e}"));
    }
    let payload: Value = match serde_json::from_str(&raw) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            return Err("guard: the hook input is not a JSON object; the call is blocked".into());
        }
        Err(e) => {
            return Err(format!(
                "guard could not read the hook input as JSON ({e}); refusing what it cannot read"
            ));
        }
    };
    let event = payload.get("hook_event_name").and_then(Value::as_str);
    if event.is_some_and(|e| e != p.event) {
        return Err(format!(
            "guard answers {} hooks only, not `{}`; the call is blocked",
            p.event,
            event.unwrap_or_default()
        ));
    }
    Ok(payload)
}

pub fn run(agent: HookAgent, global: &GlobalArgs) -> Result<i32, Error> {
    // A panic would end guard by abort, which every agent takes as "let it through":
    // here it blocks the call instead.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("guard: internal error ({info}); the call is blocked");
        std::process::exit(BLOCK);
    }));
    let p = Protocol::of(agent);
    let payload = match read_payload(&p) {
        Ok(v) => v,
        Err(why) => return Ok(block(&why)),
    };
    let input = match carried(&p, &payload) {
        Ok(Carried::NotShell) => return Ok(allow(&p)),
        Ok(Carried::Command(input)) => input,
        Err(why) => return Ok(block(&format!("guard: {why}; the call is blocked"))),
    };
    // --config names a file relative to where guard was started, not the agent's cwd.
    let mut global = global.clone();
    if let Some(config) = &global.config {
        match std::path::absolute(config) {
            Ok(p) => global.config = Some(p),
            Err(e) => return Ok(block(&format!("guard: --config {}: {e}", config.display()))),
        }
    }
    let global = &global;
    // The command runs in the agent's working directory: relative paths, plan files and
    // the directory an approval binds are read there.
    if let Some(cwd) = payload.get("cwd").and_then(Value::as_str) {
        let dir = std::path::Path::new(cwd);
        if !dir.is_absolute() || std::env::set_current_dir(dir).is_err() {
            return Ok(block(&format!(
                "guard: the call's working directory `{}` is not one guard can enter; the call is blocked",
                crate::sanitize::sanitize(cwd)
            )));
        }
    }
    let shown = input.shown();
    let settings = match super::load_rules(global, Some(&[])) {
        Ok(set) => set.settings,
        Err(e) => return Ok(block(&format!("guard: {e}"))),
    };
    // The decision is made in a child guard, bounded in memory and time (longer than a
    // plan may take to read): whatever goes wrong there (a parser that never stops, a
    // crash) blocks the call here.
    let time = std::time::Duration::from_secs(settings.plans.timeout + 15);
    let checked = match decide_in_child(&input, global, time) {
        Ok(c) => c,
        Err(why) => return Ok(block(&format!("guard: {why}; the call is blocked"))),
    };
    let approvals = &settings.approvals;
    if checked.decision == Decision::Allow {
        return Ok(allow(&p));
    }
    // The circuit breaker, per agent session: while it is open, anything above allow is
    // denied; every denial counts.
    let limits = &settings.breaker;
    let audit = super::log::Target::from_settings(&settings);
    let principal = crate::approval::identity::principal(approvals.principal.as_deref());
    let keys = super::breaker::keys(
        Some(agent_name(agent)),
        payload.get("session_id").and_then(Value::as_str),
        &principal,
    );
    if limits.enabled {
        match super::breaker::open_for(limits, &audit, &keys) {
            Ok(None) => {}
            Ok(Some((key, opened))) => {
                let why = super::breaker::refusal(&shown, &key, &opened).to_string();
                let _ = super::breaker::count(limits, &audit, &keys, crate::breaker::Kind::Refused);
                println!("{}", p.answer(agent, "deny", &format!("guard: {why}")));
                return Ok(0);
            }
            Err(why) => return Ok(block(&format!("guard: {why}; the call is blocked"))),
        }
    }
    let (decision, reason) = match verdict(&p, &input, &checked, approvals) {
        Ok(Some(v)) => v,
        Ok(None) => return Ok(allow(&p)),
        Err(why) => return Ok(block(&why)),
    };
    if decision == "deny" && limits.enabled {
        let _ = super::breaker::count(limits, &audit, &keys, crate::breaker::Kind::Refused);
    }
    println!("{}", p.answer(agent, decision, &reason));
    Ok(0)
}

/// The answer for a decision above allow: `ask` or `deny` with the reason, or `None` to
/// let the call through (warn).
fn verdict(
    p: &Protocol,
    input: &Input,
    checked: &Checked,
    approvals: &crate::matcher::Approvals,
) -> Result<Option<(&'static str, String)>, String> {
    let shown = input.shown();
    let explain = report::explain(&shown, &checked.findings);
    Ok(Some(match checked.decision {
        Decision::Allow | Decision::Warn => return Ok(None),
        Decision::Confirm if p.can_ask && !runs_through_shim(&checked.findings) => (
            "ask",
            format!("guard: this needs a person's confirmation\n{explain}"),
        ),
        Decision::Confirm => (
            "deny",
            format!(
                "guard: this needs a person's confirmation, which this agent cannot ask for; do not retry it another way. Ask the person to run it at their own terminal:\n  guard -c {}\n{explain}",
                crate::shell::quote(&shown)
            ),
        ),
        Decision::TwoPerson => {
            let request =
                make_request(input, &checked.findings, approvals, checked.plan.as_deref())
                    .map_err(|e| format!("guard: {e}"))?;
            let how = how_to_approve(&request);
            (
                "deny",
                format!(
                    "guard: this needs a second person's signed approval; do not retry it another way. Give the person this request:\n{explain}{how}"
                ),
            )
        }
        Decision::Deny => ("deny", format!("guard: this is never run\n{explain}")),
    }))
}

/// Whether a flagged program would run through a guard shim, which refuses what an
/// agent runs: a yes in the agent's own prompt would then never reach the command.
fn runs_through_shim(findings: &[crate::matcher::Finding]) -> bool {
    // The findings came through JSON, so the program is read back from the command.
    findings
        .iter()
        .filter_map(|f| crate::shell::split_words(&f.command).ok())
        .filter_map(|c| c.argv.into_iter().next())
        .any(|program| {
            matches!(
                super::shim::first_on_path(&program),
                super::shim::FirstOnPath::Shim(_)
            )
        })
}

pub fn agent_name(agent: HookAgent) -> &'static str {
    match agent {
        HookAgent::ClaudeCode => "claude-code",
        HookAgent::Codex => "codex",
        HookAgent::Gemini => "gemini",
    }
}

fn allow(p: &Protocol) -> i32 {
    if let Some(out) = p.allow_output {
        println!("{out}");
    }
    0
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
    /// The digest of the plan the decision came from, which the approval binds.
    #[serde(default)]
    plan: Option<String>,
}

/// The child's memory bound.
const CHILD_MEMORY: u64 = 2 << 30;

/// Runs `guard check --json` on the input as a child bounded in memory and time.
fn decide_in_child(
    input: &Input,
    global: &GlobalArgs,
    time: std::time::Duration,
) -> Result<Checked, String> {
    use std::os::unix::process::CommandExt;
    use std::process::Command;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find its own binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["check", "--json"]);
    // The same config the hook was given.
    if let Some(config) = &global.config {
        cmd.env("GUARD_CONFIG", config);
    }
    match input {
        Input::Shell(s) => cmd.args(["-c", s]),
        Input::Argv(argv) => cmd.arg("--").args(argv),
    };
    // SAFETY: between fork and exec the child only calls setrlimit(2), which is
    // async-signal-safe, and touches no memory shared with the parent.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            use nix::sys::resource::{Resource, setrlimit};
            setrlimit(Resource::RLIMIT_AS, CHILD_MEMORY, CHILD_MEMORY).map_err(std::io::Error::from)
        });
    }
    let (status, stdout, _) =
        crate::exec::bounded(&mut cmd, time).map_err(|e| format!("the check failed: {e}"))?;
    // check's exit status is the decision (0-4); anything else is a failure.
    if !matches!(status.code(), Some(0..=4)) {
        return Err(format!("the check failed ({status})"));
    }
    serde_json::from_slice(&stdout).map_err(|e| format!("the check's answer was unreadable: {e}"))
}
/// A shell call of `command` as `agent` sends it (for `guard doctor`'s simulation).
pub fn sample(agent: HookAgent, command: &str) -> Value {
    let p = Protocol::of(agent);
    json!({
        "session_id": "guard-doctor",
        "transcript_path": null,
        "cwd": std::env::current_dir().unwrap_or_default(),
        "hook_event_name": p.event,
        "tool_name": p.shell_tools[0],
        "tool_input": { "command": command },
    })
}

/// Whether `stdout` is `agent`'s answer that denies the call.
pub fn is_denial(agent: HookAgent, stdout: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(stdout.trim()) else {
        return false;
    };
    match agent {
        HookAgent::ClaudeCode | HookAgent::Codex => {
            v.pointer("/hookSpecificOutput/permissionDecision") == Some(&json!("deny"))
        }
        HookAgent::Gemini => v["decision"] == "deny",
    }
}
