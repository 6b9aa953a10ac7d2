//! `guard -- PROGRAM ARGS...` and `guard -c STRING`: decide, pass the gate, run, and
//! record how the run ended.

use super::terminal::Terminal;
use super::wiring::{evaluate, runner, store};
use crate::analysis::{Evaluation, Input};
use crate::audit::Record;
use crate::config::Invocation;
use crate::decision::Decision;
use crate::error::Error;
use crate::exec;
use crate::gate::{self, Case, Deps};
use crate::sanitize::sanitize;

/// How guard was asked to run the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `guard -- CMD`, `guard -c STRING`.
    Explicit,
    /// A shim: the command as a program was called.
    Shim,
}

pub fn run(inv: &Invocation, input: &Input) -> Result<i32, Error> {
    run_as(inv, input, Entry::Explicit)
}

pub fn run_as(inv: &Invocation, input: &Input, entry: Entry) -> Result<i32, Error> {
    // Under guard supervise, the supervisor decides each program at its exec, holds it
    // for its approval and keeps the record: deciding here too would ask twice. This
    // guard refuses what is denied outright, and runs the rest as it is.
    if crate::context::supervised() {
        let o = evaluate(inv, input, crate::plan::Mode::Check)?;
        if o.decision < Decision::Deny {
            return match input {
                Input::Argv(argv) => exec::run(argv, &[]),
                Input::Shell(text) => exec::run_shell(text, &[]),
            };
        }
    }
    let mode = crate::plan::Mode::Run {
        plan_first: inv.settings.plans.plan_first,
    };
    let o = evaluate(inv, input, mode)?;
    // An allowed command with no record to keep runs at once: through a shim, in this
    // very process (no second process, no wait).
    use crate::settings::AllowedRecords as A;
    let unrecorded = match inv.settings.audit.allowed {
        A::All => false,
        A::Explicit => entry == Entry::Shim,
        A::None => true,
    };
    if o.decision == Decision::Allow && unrecorded && o.exec.is_none() {
        return match (input, entry) {
            (Input::Argv(argv), Entry::Shim) => Err(exec::replace(argv)),
            (Input::Argv(argv), _) => exec::run(argv, &[]),
            (Input::Shell(text), _) => exec::run_shell(text, &[]),
        };
    }
    if !o.plan_text.is_empty() {
        for line in String::from_utf8_lossy(&o.plan_text).lines() {
            eprintln!("{}", sanitize(line));
        }
    }
    // What runs: the apply of guard's held copy of the plan (or with plan_first of the
    // plan guard made); an approval binds the input, or with plan_first the apply of the
    // saved plan, which the person runs once approved.
    let run_input = o.exec.clone().map_or_else(|| input.clone(), Input::Argv);
    let subject = o.subject.clone().map_or_else(|| input.clone(), Input::Argv);
    let files = store(inv);
    let passed = gate_run(inv, &*files, &subject, &o);
    let ran = passed.is_ok();
    let result = passed.and_then(|run_id| run_child(&*files, &o, &run_input, run_id));
    // A plan_first plan is gone once applied, and kept when refused, to apply once
    // approved.
    if let Some(planned) = o.subject.as_ref().and_then(|a| a.last()).filter(|_| ran) {
        runner(inv).remove(&[std::path::PathBuf::from(planned)]);
    }
    runner(inv).remove(&o.saved);
    result
}

/// Passes the gate at the terminal; returns the run's id.
fn gate_run(
    inv: &Invocation,
    files: &dyn crate::store::Store,
    subject: &Input,
    o: &Evaluation,
) -> Result<String, Error> {
    let principal = gate::requester(&inv.settings);
    let session = std::env::var("GUARD_AGENT_SESSION").ok();
    // Who is asking, from the process tree too, when a person might be asked.
    let context = if o.decision > Decision::Allow {
        inv.context.clone().with_tree()
    } else {
        inv.context.clone()
    };
    let case = Case {
        subject: subject.subject(),
        shown: &o.shown,
        findings: &o.findings,
        decision: o.decision,
        plan: o.plan.as_deref(),
        saved_plan: o.subject.is_some(),
        keys: gate::keys(context.agent.as_deref(), session.as_deref(), &principal),
        resources: o.resources.clone(),
        reason: None,
    };
    let notify = |n: gate::Notice| super::notify::send(&inv.settings.notify, &n);
    let deps = Deps {
        store: files,
        settings: &inv.settings,
        context: &context,
        tokens: inv.tokens().map_err(|e| e.to_string()),
        break_glass: inv.break_glass.as_deref(),
        quiet: inv.quiet,
        notify: &notify,
        defer_spend: false,
    };
    let mut fe = Terminal::new(&context);
    let stopped = match inv.wait {
        Some(secs) if gate::awaits_approval(&case, &fe, &deps) => {
            super::wait::for_approval(&case, &deps, secs)?
        }
        _ => false,
    };
    let passed = gate::pass(&case, &mut fe, &deps);
    match passed {
        Ok(p) => Ok(p.run),
        // Ctrl-C while waiting: on the record as refused, and ended like a Ctrl-C.
        // Ctrl-C at the prompt: refused, on the record, and ended like a Ctrl-C.
        Err(_) if crate::exec::interrupted() && !stopped => Err(Error::Interrupted(format!(
            "{}: cancelled (Ctrl-C); nothing ran",
            crate::sanitize::sanitize(&o.shown)
        ))),
        Err(_) if stopped => Err(Error::Interrupted(
            "stopped waiting for the approval (Ctrl-C); nothing ran".into(),
        )),
        Err(r) => Err(Error::Refused(r.message)),
    }
}

/// Runs the child and records how it ended.
fn run_child(
    files: &dyn crate::store::Store,
    o: &Evaluation,
    run_input: &Input,
    run_id: String,
) -> Result<i32, Error> {
    // What passed the gate here is not asked about again by a shim in the child.
    let passed = super::passed::passed_value(
        o.findings
            .iter()
            .filter(|f| f.severity >= Decision::Confirm)
            .map(|f| f.argv.as_slice()),
    );
    let env: Vec<(&str, String)> = passed
        .map(|v| (super::passed::PASSED_VAR, v))
        .into_iter()
        .collect();
    let start = std::time::Instant::now();
    let result = match run_input {
        Input::Argv(argv) => exec::run(argv, &env),
        Input::Shell(text) => exec::run_shell(text, &env),
    };
    let status = match &result {
        Ok(code) => *code,
        Err(e) => e.exit_code().code(),
    };
    let end = Record {
        kind: "exit".into(),
        run: run_id,
        time: crate::time::rfc3339(crate::time::now()),
        status: Some(status),
        duration_ms: Some(u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)),
        // What ran when guard rewrote the command to apply the plan it read.
        detail: o
            .exec
            .as_ref()
            .map(|_| format!("ran {}", crate::audit::redact(&run_input.shown())))
            .unwrap_or_default(),
        ..Record::default()
    };
    if let Err(why) = files.append(end) {
        eprintln!("guard: warning: the command ended with status {status}, but {why}");
    }
    result
}
