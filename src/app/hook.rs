//! `guard hook AGENT`: answers an AI agent's pre-tool-use hook. Each agent writes the
//! pending tool call as JSON on stdin and reads guard's answer in its own protocol
//! (`agents` describes each one, with the documents followed).
//!
//! In every supported agent, exit status 2 blocks the call with stderr as the reason,
//! and any other failure lets the call through; so guard never fails any other way here.
//! Whatever it cannot read (not JSON, a missing command, the wrong event, a check that
//! crashed or ran away) ends in exit 2.
//!
//! guard grants nothing: a command it allows gets no decision, so the agent's own
//! permission rules still apply. Above warn, the one gate decides, with this front end:
//! a person can be asked only through the agent's own prompt (`ask`), where the agent has
//! one and no shim would refuse the command anyway. Two-person and deny are denials; the
//! two-person denial carries the approval request and the line an approver runs, for the
//! agent to relay. Every denial is on the audit record and counts on the breaker.

use crate::agents::{Agent, Hook};
use crate::analysis::Input;
use crate::approval::request::how_to_approve;
use crate::cli::GlobalArgs;
use crate::config::Invocation;
use crate::context::Context;
use crate::decision::Decision;
use crate::error::Error;
use crate::finding::Finding;
use crate::gate::{self, Case, Confirmation, Deps, Frontend, How, Refusal, Refused};
use crate::report;
use serde_json::Value;
use std::io::Read;

/// Exit status that makes every supported agent block the call (stderr is the reason).
const BLOCK: i32 = 2;

/// The hook's whole run is bounded by this: past it, guard answers "block" itself, well
/// before any agent's own hook timeout (`guard install` writes a longer one), so a slow
/// plan, a held lock or a stalled disk never lets a call through by timing out.
pub const BOUND: std::time::Duration = std::time::Duration::from_secs(25);

/// Blocks the call from a watchdog thread when the hook runs past [`BOUND`].
fn watchdog() {
    // GUARD_HOOK_BOUND (seconds) may only shorten the bound: blocking sooner is safe.
    let bound = std::env::var("GUARD_HOOK_BOUND")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(BOUND, |s| BOUND.min(std::time::Duration::from_secs(s)));
    let _ = std::thread::Builder::new()
        .name("guard-hook-bound".into())
        .spawn(move || {
            std::thread::sleep(bound);
            eprintln!(
                "guard: the decision took longer than {}s; the call is blocked",
                bound.as_secs()
            );
            std::process::exit(BLOCK);
        });
}

/// The shell command a tool call carries.
enum Carried {
    /// Not a shell tool: not guard's to judge.
    NotShell,
    Command(Input),
}

fn carried(p: &Hook, payload: &Value) -> Result<Carried, String> {
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
fn read_payload(p: &Hook) -> Result<Value, String> {
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

pub fn run(name: &str, global: &GlobalArgs) -> Result<i32, Error> {
    // A panic would end guard by abort, which every agent takes as "let it through":
    // here it blocks the call instead.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("guard: internal error ({info}); the call is blocked");
        std::process::exit(BLOCK);
    }));
    watchdog();
    let Some((agent, p)) = crate::agents::by_name(name).and_then(|a| Some((a, a.hook.as_ref()?)))
    else {
        return Ok(block(&format!(
            "guard: no hook protocol for `{name}`; the call is blocked"
        )));
    };
    let payload = match read_payload(p) {
        Ok(v) => v,
        Err(why) => return Ok(block(&why)),
    };
    let input = match carried(p, &payload) {
        Ok(Carried::NotShell) => return Ok(allow(p)),
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
    // A plan is read within the hook's bound, so the answer comes inside it.
    let plans = BOUND
        .saturating_sub(std::time::Duration::from_secs(7))
        .as_secs()
        .max(1);
    global.plan_timeout_cap = Some(global.plan_timeout_cap.map_or(plans, |c| c.min(plans)));
    let inv = match super::wiring::resolve(&global) {
        Ok(inv) => inv,
        Err(e) => return Ok(block(&format!("guard: {e}"))),
    };
    // The decision is made here, bounded: in time by the watchdog (a parser that never
    // stops), in memory by the address-space limit (an allocation past it aborts this
    // process, and the installed wrapper blocks the call on any status but 0 and 2).
    let checked = match decide_bounded(&inv, &input) {
        Ok(c) => c,
        Err(why) => return Ok(block(&format!("guard: {why}; the call is blocked"))),
    };
    // Under guard supervise the supervisor holds the command at its exec until it is
    // approved or confirmed, so the hook does not ask too (no second prompt); what is
    // denied outright is still denied here, with its explanation.
    if checked.decision == Decision::Allow
        || (checked.decision < Decision::Deny && crate::context::supervised())
    {
        return Ok(allow(p));
    }
    let call = Call {
        session: payload.get("session_id").and_then(Value::as_str),
        // Claude Code's Bash tool says why with every command: it goes on the record
        // and into the request an approver reads.
        reason: payload
            .pointer("/tool_input/description")
            .and_then(Value::as_str)
            .filter(|d| !d.trim().is_empty()),
    };
    match gate_call(&inv, agent, p, &call, &input, &checked) {
        Ok(How::Asked) => {
            let explain = report::explain(&input.shown(), &checked.findings);
            let reason = format!("guard: this needs a person's confirmation\n{explain}");
            println!("{}", p.answer("ask", &reason));
            Ok(0)
        }
        Ok(_) => Ok(allow(p)),
        Err(r) => match denial(&inv, &input, &checked, &r) {
            Some(reason) => {
                println!("{}", p.answer("deny", &reason));
                Ok(0)
            }
            None => Ok(block(&format!("guard: {}", r.message))),
        },
    }
}

/// The gate, for a call the agent is about to make: on the record and counted for the
/// agent's session and the principal it acts for.
/// What the tool call says besides its command.
struct Call<'a> {
    session: Option<&'a str>,
    reason: Option<&'a str>,
}

fn gate_call(
    inv: &Invocation,
    agent: &Agent,
    p: &Hook,
    call: &Call,
    input: &Input,
    checked: &Checked,
) -> Result<How, Refusal> {
    let principal = gate::requester(&inv.settings);
    let shown = input.shown();
    let shimmed = runs_through_shim(&checked.findings);
    let case = Case {
        subject: input.subject(),
        shown: &shown,
        findings: &checked.findings,
        decision: checked.decision,
        plan: checked.plan.as_deref(),
        saved_plan: false,
        keys: gate::keys(Some(agent.name), call.session, &principal),
        resources: checked.resources.clone(),
        reason: call.reason.map(str::to_string),
    };
    let notify = |n: gate::Notice| super::notify::send(&inv.settings.notify, &n);
    let context = Context {
        agent: Some(agent.name.to_string()),
        ci: inv.context.ci,
        non_interactive: true,
        run: inv.context.run.clone(),
    };
    let files = super::wiring::store(inv);
    let deps = Deps {
        store: &*files,
        settings: &inv.settings,
        context: &context,
        tokens: Ok(Vec::new()),
        break_glass: None,
        quiet: true,
        notify: &notify,
        // A shim will see the command run and spend the approval.
        defer_spend: shimmed,
    };
    let mut fe = AgentPrompt {
        can_ask: p.can_ask && !shimmed,
    };
    gate::pass(&case, &mut fe, &deps).map(|passed| passed.how)
}

/// The hook's front end: the only person who can be asked is behind the agent's own
/// permission prompt, which the answer `ask` hands the call to.
struct AgentPrompt {
    can_ask: bool,
}

impl Frontend for AgentPrompt {
    fn can_ask(&self) -> Result<(), String> {
        if self.can_ask {
            Ok(())
        } else {
            Err("this agent cannot ask a person".into())
        }
    }

    fn confirm(&mut self, _: &str, _: &[Finding], _: &str) -> Confirmation {
        Confirmation::Handed
    }

    fn tell(&mut self, _: &str) {}

    fn at_terminal(&self) -> bool {
        false
    }
}

/// The reason a denial gives the agent, by what refused the call; `None` when the call
/// should be blocked with the refusal's own message instead.
fn denial(inv: &Invocation, input: &Input, checked: &Checked, r: &Refusal) -> Option<String> {
    let shown = input.shown();
    let explain = report::explain(&shown, &checked.findings);
    if r.kind == Refused::Breaker {
        return Some(format!("guard: {}", r.message));
    }
    if r.kind != Refused::Policy {
        return None;
    }
    Some(match r.decision {
        Decision::Confirm => match &r.request {
            Some(req) => format!(
                "guard: this needs a person's confirmation, which this agent cannot ask for; do not change the command or try it another way. Ask the person you work for to confirm it from their own terminal — `guard approve {id}` — then run exactly the same command again: once confirmed, it runs once. Or they run it themselves:\n  guard -c {}\n{explain}",
                crate::shell::quote(&shown),
                id = req.id(),
            ),
            None => format!(
                "guard: this needs a person's confirmation, which this agent cannot ask for; do not retry it another way. Ask the person to run it at their own terminal:\n  guard -c {}\n{explain}",
                crate::shell::quote(&shown)
            ),
        },
        Decision::TwoPerson => {
            let req = r.request.as_ref()?;
            format!(
                "guard: this needs a second person's signed approval (request {id}). Do not change the command or try it another way. Ask a person to approve it — an approver ({who}) runs `guard approve {id}` — then run exactly the same command again: once approved, it runs.\n{explain}{}",
                how_to_approve(req, true),
                id = req.id(),
                who = super::wait::approvers_of(&inv.settings, &req.requester),
            )
        }
        _ => format!("guard: this is never run\n{explain}"),
    })
}

fn allow(p: &Hook) -> i32 {
    if let Some(out) = p.allow_output {
        println!("{out}");
    }
    0
}

fn block(why: &str) -> i32 {
    eprintln!("{why}");
    BLOCK
}

/// Whether a flagged program would run through a guard shim, which refuses what an
/// agent runs: a yes in the agent's own prompt would then never reach the command. The
/// shims of a protected install (`guard setup --shims`) count too: every login shell
/// puts them first, whatever PATH the hook was given.
fn runs_through_shim(findings: &[Finding]) -> bool {
    let system = std::path::Path::new(crate::settings::SYSTEM_SHIMS);
    // The findings came through JSON, so the program is read back from the command.
    findings
        .iter()
        .filter_map(|f| crate::shell::split_words(&f.command).ok())
        .filter_map(|c| c.argv.into_iter().next())
        .any(|program| {
            let on_path = matches!(
                crate::exec::first_on_path(&program),
                crate::exec::FirstOnPath::Shim(_)
            );
            on_path
                || std::fs::metadata(system.join(&program))
                    .is_ok_and(|m| crate::binary::is_guard_binary(&m))
        })
}

/// What the decision found.
struct Checked {
    decision: Decision,
    findings: Vec<Finding>,
    /// The digest of the plan the decision came from, which the approval binds.
    plan: Option<String>,
    /// What the plan destroys or recreates.
    resources: Vec<String>,
}

/// The memory the decision may take (the address space, soft limit).
const DECISION_MEMORY: u64 = 2 << 30;

/// Decides on the input in this process, within [`DECISION_MEMORY`]: the soft limit is
/// lowered for the decision and raised back after it.
fn decide_bounded(inv: &Invocation, input: &Input) -> Result<Checked, String> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_AS).map_err(|e| format!("getrlimit: {e}"))?;
    setrlimit(Resource::RLIMIT_AS, DECISION_MEMORY.min(hard), hard)
        .map_err(|e| format!("cannot bound the decision's memory: {e}"))?;
    let eval = super::wiring::evaluate(inv, input, crate::plan::Mode::Check);
    let _ = setrlimit(Resource::RLIMIT_AS, soft, hard);
    let eval = eval.map_err(|e| e.to_string())?;
    Ok(Checked {
        decision: eval.decision,
        findings: eval.findings,
        plan: eval.plan,
        resources: eval.resources,
    })
}
