//! `guard -- PROGRAM ARGS...` and `guard -c STRING`: decide, pass the gate, run.
//! A command that needs a second person passes only with verified approval tokens,
//! whose one-time nonce is recorded before it starts.

use super::approve::{how_to_approve, make_request, subject};
use super::{Outcome, evaluate};
use crate::analysis::Input;
use crate::approval::{Token, identity, ledger, signers, verify};
use crate::audit::{self, Record, RuleHit};
use crate::cli::GlobalArgs;
use crate::confirm;
use crate::context::{Context, has_terminal};
use crate::decision::Decision;
use crate::error::Error;
use crate::exec;
use crate::matcher::{Approvals, Finding};
use crate::policy::{Gate, expected_answer, gate};
use crate::report;
use crate::sanitize::sanitize;

/// How the gate was passed, for the audit record.
struct Pass {
    gate: &'static str,
    detail: String,
    approvers: Vec<String>,
    nonce: String,
}

impl Pass {
    fn plain(gate: &'static str, detail: String) -> Pass {
        Pass {
            gate,
            detail,
            approvers: Vec::new(),
            nonce: String::new(),
        }
    }
}

pub fn run(global: &GlobalArgs, input: &Input) -> Result<i32, Error> {
    let o = evaluate(global, input, crate::plan::Mode::Run)?;
    if !o.plan_text.is_empty() {
        for line in String::from_utf8_lossy(&o.plan_text).lines() {
            eprintln!("{}", sanitize(line));
        }
    }
    // What runs: the apply of guard's copy of the plan, or with plan_first the apply of
    // the plan guard made, which is then also what an approval binds.
    let run_input = o.exec.clone().map_or_else(|| input.clone(), Input::Argv);
    let subject = if o.exec_is_subject { &run_input } else { input };
    let run_id = match gate_and_record(global, subject, &o) {
        Ok(id) => id,
        Err(e) => {
            remove_plans(&o.saved);
            return Err(e);
        }
    };
    let result = run_child(&o, &run_input, run_id);
    // The copies guard applied, and a plan_first plan once it ran, are gone with the run.
    remove_plans(&o.saved);
    if let Some(planned) = o.exec.as_ref().and_then(|a| a.last()) {
        remove_plans(&[std::path::PathBuf::from(planned)]);
    }
    result
}

/// Passes the gate (the circuit breaker first), puts the decision on the record, counts
/// it for the breaker, and says whether the command may run; returns the run's id.
fn gate_and_record(global: &GlobalArgs, input: &Input, o: &Outcome) -> Result<String, Error> {
    let ctx = Context::detect(global.non_interactive);
    let mut record = decision_record(o, &ctx);
    let run_id = record.run.clone();
    let keys = super::breaker::keys(
        ctx.agent.as_deref(),
        super::breaker::env_session().as_deref(),
        &record.requester,
    );
    record.key = keys.first().cloned();
    // Read-only commands never touch the breaker; anything above allow is refused
    // outright while it is open.
    let watched = o.decision > Decision::Allow && o.breaker.enabled;
    let mut pass = if watched {
        match super::breaker::open_for(&o.breaker, &o.audit, &keys) {
            Ok(Some((key, opened))) => Err(super::breaker::refusal(&o.shown, &key, &opened)),
            Ok(None) => pass_gate(global, input, o, &ctx),
            Err(why) => Err(Error::Refused(format!(
                "{}: the circuit breaker's state cannot be read ({why}); fix its permissions",
                sanitize(&o.shown)
            ))),
        }
    } else {
        pass_gate(global, input, o, &ctx)
    };
    // Counted before the record, under the breaker's lock: a breaker another guard
    // opened since the check above stops this command too.
    if watched {
        let kind = match &pass {
            Err(_) => Some(crate::breaker::Kind::Refused),
            Ok(_) if o.decision >= Decision::Confirm => Some(crate::breaker::Kind::Destructive),
            Ok(_) => None,
        };
        let stopped = kind.and_then(|k| super::breaker::count(&o.breaker, &o.audit, &keys, k));
        if let Some((key, opened)) = stopped {
            pass = Err(super::breaker::refusal(&o.shown, &key, &opened));
        }
    }
    match &pass {
        Ok(p) => {
            record.gate = p.gate.to_string();
            record.detail.clone_from(&p.detail);
            record.approvers.clone_from(&p.approvers);
            record.nonce.clone_from(&p.nonce);
        }
        Err(e) => {
            record.gate = "refused".into();
            record.detail = e.to_string().lines().next().unwrap_or_default().to_string();
        }
    }
    // The decision is on the record before anything runs.
    let written = o.audit.write(record);
    pass?;
    if let Err(why) = written {
        if o.decision > Decision::Allow {
            return Err(Error::Refused(format!(
                "{} did not run: the audit record could not be written first ({why}); fix [audit] path or the log's permissions",
                sanitize(&o.shown)
            )));
        }
        eprintln!("guard: warning: {why}; an allowed command runs without its audit record");
    }
    Ok(run_id)
}

/// Runs the child and records how it ended.
fn run_child(o: &Outcome, run_input: &Input, run_id: String) -> Result<i32, Error> {
    // What passed the gate here is not asked about again by a shim in the child.
    let passed = super::shim::passed_value(
        o.findings
            .iter()
            .filter(|f| f.severity >= Decision::Confirm)
            .map(|f| f.argv.as_slice()),
    );
    let env: Vec<(&str, String)> = passed
        .map(|v| (super::shim::PASSED_VAR, v))
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
        time: audit::rfc3339(identity::now()),
        status: Some(status),
        duration_ms: Some(u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)),
        // What ran when guard rewrote the command to apply the plan it read.
        detail: o
            .exec
            .as_ref()
            .map(|_| format!("ran {}", audit::redact(&run_input.shown())))
            .unwrap_or_default(),
        ..Record::default()
    };
    if let Err(why) = o.audit.write(end) {
        eprintln!("guard: warning: the command ended with status {status}, but {why}");
    }
    result
}

/// Removes plan files guard wrote in its own plan directory (and nothing else).
fn remove_plans(files: &[std::path::PathBuf]) {
    let dir = identity::state_dir().join("plans");
    for f in files.iter().filter(|f| f.starts_with(&dir)) {
        let _ = std::fs::remove_file(f);
    }
}

/// The decision record, before the gate says how it was passed.
fn decision_record(o: &Outcome, ctx: &Context) -> Record {
    // One account lookup and one hostname for the whole record.
    let (user, host) = (identity::user(), identity::host());
    let requester = o
        .approvals
        .principal
        .clone()
        .unwrap_or_else(|| format!("{user}@{host}"));
    Record {
        kind: "decision".into(),
        run: crate::approval::nonce().unwrap_or_default(),
        time: audit::rfc3339(identity::now()),
        host,
        user,
        requester,
        agent: ctx.agent.clone(),
        ci: ctx.ci,
        terminal: has_terminal(),
        cwd: identity::cwd(),
        command: audit::redact(&o.shown),
        decision: o.decision.to_string(),
        plan: o.plan.clone(),
        rules: o
            .findings
            .iter()
            .map(|f| RuleHit {
                rule: f.rule.clone(),
                severity: f.severity.to_string(),
                reason: f.reason.clone(),
            })
            .collect(),
        ..Record::default()
    }
}

/// Passes the gate, or says why not.
fn pass_gate(
    global: &GlobalArgs,
    input: &Input,
    o: &Outcome,
    ctx: &Context,
) -> Result<Pass, Error> {
    let Outcome {
        shown,
        findings,
        decision,
        approvals,
        plan,
        ..
    } = o;
    let (shown, findings, decision) = (shown.as_str(), findings.as_slice(), *decision);
    let plan = plan.as_deref();
    let token_path = decision == Decision::TwoPerson
        || (decision == Decision::Confirm && approvals.token_confirms && cannot_ask(ctx));
    if token_path {
        let what = What {
            input,
            shown,
            findings,
            decision,
            plan,
            saved_plan: o.exec_is_subject,
        };
        return second_person(global, &what, ctx, approvals);
    }
    match gate(decision, findings, ctx, has_terminal) {
        Gate::Run => Ok(Pass::plain("allowed", String::new())),
        Gate::Warn => {
            eprint!(
                "guard: warning: {}\n{}",
                sanitize(shown),
                report::explain(shown, findings)
            );
            Ok(Pass::plain("warned", String::new()))
        }
        Gate::Confirm { expected } => {
            ask(shown, findings, &expected)?;
            Ok(Pass::plain("confirmed", confirmed_by()))
        }
        Gate::Refuse { why } => {
            // A confirm-level command no one here can confirm: the refusal carries
            // the request, so the agent can hand it to a person.
            let request = if decision == Decision::Confirm {
                let r = make_request(input, findings, approvals, plan)?;
                let how = if approvals.token_confirms {
                    how_to_approve(&r)
                } else {
                    format!(
                        "{}\n(an approval stands in for the confirmation only with [approvals] token_confirms = true; otherwise a person runs it at their own terminal)",
                        how_to_approve(&r)
                    )
                };
                Some(how)
            } else {
                None
            };
            Err(refusal(shown, decision, &why, findings, request))
        }
    }
}

/// Who confirmed, and at which terminal.
pub(super) fn confirmed_by() -> String {
    use std::os::fd::AsFd;
    let tty = [std::io::stderr().as_fd(), std::io::stdin().as_fd()]
        .into_iter()
        .find_map(|fd| nix::unistd::ttyname(fd).ok())
        .map_or_else(|| "/dev/tty".to_string(), |p| p.display().to_string());
    format!("confirmed by {} at {tty}", identity::user())
}

pub(super) fn cannot_ask(ctx: &Context) -> bool {
    ctx.agent.is_some() || ctx.ci || ctx.non_interactive || !has_terminal()
}

fn ask(shown: &str, findings: &[Finding], expected: &str) -> Result<(), Error> {
    if confirm::ask(shown, findings, expected).unwrap_or(false) {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "not confirmed: {} did not run",
            sanitize(shown)
        )))
    }
}

fn refusal(
    shown: &str,
    decision: Decision,
    why: &str,
    findings: &[Finding],
    request: Option<String>,
) -> Error {
    let mut msg = format!(
        "{} ({decision}): {why}\n{}",
        sanitize(shown),
        report::explain(shown, findings).trim_end()
    );
    if let Some(r) = request {
        msg.push('\n');
        msg.push_str(&r);
    }
    Error::Refused(msg)
}

/// What the gate is asked to pass.
struct What<'a> {
    /// What runs: with plan_first, the apply of the saved plan.
    input: &'a Input,
    shown: &'a str,
    findings: &'a [Finding],
    decision: Decision,
    plan: Option<&'a str>,
    /// Whether guard made the plan (plan_first): the person must then apply that file.
    saved_plan: bool,
}

/// The gate for a command that needs a second person: verified tokens, the nonce
/// recorded, and the person at the terminal confirming where there is one.
fn second_person(
    global: &GlobalArgs,
    w: &What,
    ctx: &Context,
    a: &Approvals,
) -> Result<Pass, Error> {
    let What {
        input,
        shown,
        findings,
        decision,
        plan,
        ..
    } = *w;
    if let Some(reason) = &global.break_glass {
        return break_glass(reason, shown, ctx, a);
    }
    let tokens = collect_tokens(global)?;
    let request = || {
        make_request(input, findings, a, plan).map(|r| {
            let mut how = how_to_approve(&r);
            if w.saved_plan {
                how.push_str(&format!(
                    "\nguard saved the plan it decided on; once approved, apply exactly that plan:\n  guard --approval TOKEN -- {}",
                    input.shown()
                ));
            }
            how
        })
    };
    if tokens.is_empty() {
        let why = "needs a signed approval from a second person";
        return Err(refusal(shown, decision, why, findings, Some(request()?)));
    }
    let verified = check(input, &tokens, a, plan).map_err(|why| {
        let why = format!("approval refused: {why}");
        match request() {
            Ok(r) => refusal(shown, decision, &why, findings, Some(r)),
            Err(e) => e,
        }
    })?;
    if !global.quiet {
        eprintln!(
            "guard: approved by {} for {}",
            verified.approvers.join(", "),
            sanitize(shown)
        );
    }
    // The person at the terminal confirms too, where there is one; with no person here
    // the approver's own confirmation in `guard approve` stands.
    if !cannot_ask(ctx) {
        ask(shown, findings, &expected_answer(findings))?;
    }
    // The nonce is spent only once the command is really about to run.
    spend(a, &verified.request.nonce, shown).map_err(|why| {
        refusal(
            shown,
            decision,
            &format!("approval refused: {why}"),
            findings,
            None,
        )
    })?;
    let detail = if cannot_ask(ctx) {
        String::new()
    } else {
        confirmed_by()
    };
    Ok(Pass {
        gate: "approved",
        detail,
        approvers: verified.approvers,
        nonce: verified.request.nonce,
    })
}

/// Records an approval's nonce in the one-time ledger; fails if it was used before.
pub(super) fn spend(a: &Approvals, nonce: &str, shown: &str) -> Result<(), String> {
    let ledger_path = a
        .ledger
        .clone()
        .unwrap_or_else(|| identity::state_dir().join("approvals.jsonl"));
    ledger::consume(&ledger_path, nonce, shown, identity::now())
}

/// Tokens from `--approval`, `--approval-file` and `GUARD_APPROVAL`.
pub(super) fn collect_tokens(global: &GlobalArgs) -> Result<Vec<Token>, Error> {
    let mut texts: Vec<String> = global.approval.clone();
    if let Some(f) = &global.approval_file {
        let body = std::fs::read_to_string(f).map_err(|e| {
            Error::Usage(format!(
                "cannot read the approval file {}: {e}",
                f.display()
            ))
        })?;
        texts.push(body);
    }
    if let Ok(v) = std::env::var("GUARD_APPROVAL") {
        texts.push(v);
    }
    texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .map(|t| Token::decode(t).map_err(|e| Error::Refused(format!("approval refused: {e}"))))
        .collect()
}

pub(super) fn check(
    input: &Input,
    tokens: &[Token],
    a: &Approvals,
    plan: Option<&str>,
) -> Result<verify::Verified, String> {
    let Some(path) = &a.allowed_signers else {
        return Err("no approvers file is configured: set `allowed_signers` under [approvals] in ~/.config/guard/config.toml or /etc/guard/config.toml".into());
    };
    let shown_path = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the approvers file {shown_path}: {e}"))?;
    let signers = signers::parse(&text)
        .map_err(|e| format!("the approvers file {shown_path} is wrong at {e}"))?;
    warn_if_writable(path);
    let command = subject(input);
    let (cwd, host) = (identity::cwd(), identity::host());
    let requester = identity::principal(a.principal.as_deref());
    let own_keys = identity::own_keys();
    let expect = verify::Expect {
        command: &command,
        cwd: &cwd,
        host: &host,
        requester: &requester,
        now: identity::now(),
        max_lifetime: a.max_lifetime,
        required: a.required,
        own_keys: &own_keys,
        signers_path: &shown_path,
        plan,
    };
    verify::verify(tokens, &signers, &expect)
}

/// An approvers file the requester can write makes the second person theatre.
fn warn_if_writable(path: &std::path::Path) {
    use nix::unistd::{AccessFlags, access};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    for p in [path, dir] {
        if access(p, AccessFlags::W_OK).is_ok() {
            eprintln!(
                "guard: warning: {} is writable by you, so you could add your own key as an approver; make the approvers file and its directory owned by root (or another account) and not writable by you",
                p.display()
            );
            return;
        }
    }
}

fn break_glass(reason: &str, shown: &str, ctx: &Context, a: &Approvals) -> Result<Pass, Error> {
    if !a.break_glass {
        return Err(Error::Refused("--break-glass is not enabled: only the system config (/etc/guard/config.toml, [approvals] break_glass = true) can enable it".into()));
    }
    if let Some(agent) = &ctx.agent {
        return Err(Error::Refused(format!(
            "--break-glass is never available to an agent ({agent})"
        )));
    }
    if reason.trim().is_empty() {
        return Err(Error::Usage("--break-glass needs a reason".into()));
    }
    eprintln!(
        "guard: BREAK-GLASS by {} on {}: running `{}` without a second person's approval. Reason: {}",
        identity::principal(a.principal.as_deref()),
        identity::host(),
        sanitize(shown),
        sanitize(reason)
    );
    Ok(Pass::plain("break-glass", format!("BREAK-GLASS: {reason}")))
}
