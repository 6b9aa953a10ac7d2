//! The one gate every front end passes: a run at the terminal, an agent's hook, a breaker
//! reset. In order: the circuit breaker; the policy's answer for the decision (run, warn,
//! confirm, a second person's approval, refuse); the breaker's count; and the decision
//! committed to the store — the record written and an approval's nonce spent together.
//!
//! What differs between front ends — how a person is asked, what is said to them — is
//! behind [`Frontend`]. The gate returns how the command passed, or a [`Refusal`] the
//! front end words for its audience; either way the decision is on the record.

mod breaker;
pub mod inbox;
mod second;

pub use breaker::{breaker_record, keys, refusal as breaker_refusal};

use crate::approval::request::Origin;
use crate::approval::{Request, Subject, Token};
use crate::audit::{Record, RuleHit};
use crate::context::Context;
use crate::decision::Decision;
use crate::finding::Finding;
use crate::policy::{self, Gate};
use crate::report;
use crate::sanitize::sanitize;
use crate::settings::Settings;
use crate::store::{Spend, Store, StoreError};

/// A person's answer to a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Confirmed; says by whom and where.
    Yes { by: String },
    /// Not confirmed.
    No,
    /// Handed to the agent's own permission prompt, which asks the person (a hook).
    Handed,
}

/// Where guard runs: how a person is asked, and how they are told things.
pub trait Frontend {
    /// Whether a person can be asked here; `Err` says why not.
    fn can_ask(&self) -> Result<(), String>;
    /// Asks the person to confirm `shown` by typing `expected`.
    fn confirm(&mut self, shown: &str, findings: &[Finding], expected: &str) -> Confirmation;
    /// Tells the person something (a warning, who approved).
    fn tell(&mut self, text: &str);
    /// Whether a person's terminal is attached (for the record).
    fn at_terminal(&self) -> bool;
}

/// What the gate is asked to pass.
#[derive(Debug, Clone)]
pub struct Case<'a> {
    /// What an approval binds.
    pub subject: Subject,
    /// The command as shown to people.
    pub shown: &'a str,
    pub findings: &'a [Finding],
    pub decision: Decision,
    /// The digest of the plan the decision came from.
    pub plan: Option<&'a str>,
    /// guard made the plan (plan_first): once approved, that saved plan is applied.
    pub saved_plan: bool,
    /// The circuit-breaker keys the run counts against; empty: not counted.
    pub keys: Vec<String>,
    /// What the plan destroys or recreates, by address, for the approver.
    pub resources: Vec<String>,
    /// The reason the agent gave for the command, when one did.
    pub reason: Option<String>,
}

/// What the gate works with.
pub struct Deps<'a> {
    pub store: &'a dyn Store,
    pub settings: &'a Settings,
    pub context: &'a Context,
    /// The approval tokens given (decoded), or why they could not be read.
    pub tokens: Result<Vec<Token>, String>,
    pub break_glass: Option<&'a str>,
    pub quiet: bool,
    /// Tells people a request was posted or a breaker opened (`[notify]`); a failure
    /// is a warning.
    pub notify: &'a dyn Fn(Notice),
    /// Another guard will see the command run (a shim, the supervisor) and spends the
    /// approval then: this pass leaves it unspent, so it is spent exactly once.
    pub defer_spend: bool,
}

/// What people are told of.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// A request was posted to the inbox.
    Request(&'a Request),
    /// A circuit breaker opened.
    Breaker { key: &'a str, why: &'a str },
}

/// How the command passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Allowed,
    Warned,
    Confirmed,
    /// Handed to the agent's own prompt.
    Asked,
    Approved,
    BreakGlass,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Allowed => "allowed",
            How::Warned => "warned",
            How::Confirmed => "confirmed",
            How::Asked => "asked",
            How::Approved => "approved",
            How::BreakGlass => "break-glass",
        }
    }
}

/// A command that passed, and its record.
#[derive(Debug, Clone)]
pub struct Passed {
    pub how: How,
    /// The run's id, which the exit record repeats.
    pub run: String,
    /// Who approved it, when an approval passed it.
    pub approvers: Vec<String>,
}

/// Why a command did not pass.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The whole message, as a person at a terminal reads it.
    pub message: String,
    /// The command's decision.
    pub decision: Decision,
    pub kind: Refused,
    /// The approval request a person can act on, when there is one.
    pub request: Option<Box<Request>>,
}

/// What refused a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The policy's own answer for the decision: it is denied, nobody here can confirm
    /// it, or it needs an approval that was not given.
    Policy,
    /// The circuit breaker, whatever the decision.
    Breaker,
    /// guard's state (the breaker's, the team's database) could not be read: nothing
    /// above allow runs until it can.
    Unavailable,
    /// Anything else: an approval that does not verify, a confirmation declined, state
    /// that cannot be written.
    Other,
}

impl Refusal {
    fn plain(message: String, decision: Decision) -> Refusal {
        Refusal {
            message,
            decision,
            kind: Refused::Other,
            request: None,
        }
    }
}

/// How the gate was passed, before it is on the record.
struct Pass {
    how: How,
    detail: String,
    approvers: Vec<String>,
    nonce: String,
}

impl Pass {
    fn plain(how: How, detail: String) -> Pass {
        Pass {
            how,
            detail,
            approvers: Vec::new(),
            nonce: String::new(),
        }
    }
}

/// Passes the gate, or says why not; the decision is on the record either way.
pub fn pass(case: &Case, fe: &mut dyn Frontend, deps: &Deps) -> Result<Passed, Refusal> {
    let mut record = decision_record(case, deps, fe.at_terminal());
    // The breaker stops an agent or an unattended run that keeps pushing; a person at
    // their own terminal who cancels a prompt or mistypes is not pushing.
    let person = fe.at_terminal()
        && deps.context.agent.is_none()
        && !deps.context.ci
        && !deps.context.non_interactive;
    let watched =
        case.decision > Decision::Allow && deps.settings.breaker.enabled && !case.keys.is_empty();
    let mut pass = if watched {
        match breaker::open_for(deps, &case.keys) {
            Ok(Some((key, opened))) => Err(breaker::refused(case, &key, &opened)),
            Ok(None) => decide(case, fe, deps),
            Err(why) => Err(Refusal {
                kind: Refused::Unavailable,
                ..Refusal::plain(
                    format!(
                        "{}: the circuit breaker's state cannot be read ({why}); {}",
                        sanitize(case.shown),
                        fix_hint(&why, "fix its permissions")
                    ),
                    case.decision,
                )
            }),
        }
    } else {
        decide(case, fe, deps)
    };
    // Counted before the record, under the breaker's lock: a breaker another guard
    // opened since the check above stops this command too.
    if watched && !person {
        if let Some(stopped) = breaker::count(case, deps, &pass) {
            pass = Err(stopped);
        }
    }
    let spend = match &pass {
        Ok(p) => {
            record.gate = p.how.as_str().to_string();
            record.detail.clone_from(&p.detail);
            record.approvers.clone_from(&p.approvers);
            record.nonce.clone_from(&p.nonce);
            if deps.defer_spend && !p.nonce.is_empty() {
                record.detail = "the approval is left for the guard that runs the command (a shim or the supervisor) to spend".into();
            }
            (!p.nonce.is_empty() && !deps.defer_spend).then(|| p.nonce.clone())
        }
        Err(r) => {
            record.gate = "refused".into();
            record.detail = r.message.lines().next().unwrap_or_default().to_string();
            None
        }
    };
    let run = record.run.clone();
    let spend = spend.as_deref().map(|nonce| Spend {
        nonce,
        command: case.shown,
        now: crate::time::now(),
    });
    // The decision is on the record before anything runs, with the approval spent in
    // the same step.
    let written = deps.store.commit(record, spend);
    let pass = pass?;
    match written {
        Ok(_) => {}
        Err(e @ StoreError::Spent { .. }) => {
            return Err(Refusal::plain(
                refusal_text(case, &format!("approval refused: {e}"), None),
                case.decision,
            ));
        }
        Err(why) if case.decision > Decision::Allow => {
            let kept = if spend.is_some() {
                "; the approval was not spent: fix it and run the command again"
            } else {
                ""
            };
            return Err(Refusal::plain(
                format!(
                    "{} did not run: the audit record could not be written first ({why}); {}{kept}",
                    sanitize(case.shown),
                    fix_hint(&why, "fix [audit] path or the log's permissions")
                ),
                case.decision,
            ));
        }
        Err(why) => {
            eprintln!("guard: warning: {why}; an allowed command runs without its audit record");
        }
    }
    Ok(Passed {
        how: pass.how,
        run,
        approvers: pass.approvers,
    })
}

/// What to do about a store that failed: for the team's database, bring it back (what
/// is refused meanwhile); for files, `files`.
fn fix_hint(why: &dyn std::fmt::Display, files: &str) -> String {
    if why.to_string().contains("the guard database") {
        "commands above allow are refused until it answers again (allowed ones still run)".into()
    } else {
        files.into()
    }
}

/// Whether this case needs a second person's approval that is not there yet: none given,
/// none waiting in the inbox (what `--wait` waits for).
pub fn awaits_approval(case: &Case, fe: &dyn Frontend, deps: &Deps) -> bool {
    let a = &deps.settings.approvals;
    let needs = matches!(
        policy::gate(case.decision, case.findings, fe.can_ask(), a.token_confirms),
        Gate::Approval { .. }
    );
    needs
        && deps.break_glass.is_none()
        && deps.tokens.as_ref().is_ok_and(Vec::is_empty)
        && inbox::approvals_for(case, deps).is_empty()
}

/// The policy's answer, carried out.
fn decide(case: &Case, fe: &mut dyn Frontend, deps: &Deps) -> Result<Pass, Refusal> {
    let a = &deps.settings.approvals;
    let gate = policy::gate(case.decision, case.findings, fe.can_ask(), a.token_confirms);
    // A confirm-level command nobody here can confirm: the person it runs for may have
    // confirmed it from their own terminal (`guard approve ID`). Spent like an approval.
    let confirmable = matches!(
        gate,
        Gate::Refuse { request: true, .. }
            | Gate::Approval {
                stands_in: true,
                ..
            }
    );
    if confirmable && deps.tokens.as_ref().is_ok_and(Vec::is_empty) {
        if let Some((req, c)) = inbox::confirmation_for(case, deps) {
            if !matches!(deps.store.spent(&req.nonce), Ok(Some(_))) {
                return Ok(Pass {
                    how: How::Confirmed,
                    detail: format!("confirmed by {} from their own terminal", c.by),
                    approvers: Vec::new(),
                    nonce: req.nonce,
                });
            }
        }
    }
    match gate {
        Gate::Run => Ok(Pass::plain(How::Allowed, String::new())),
        Gate::Warn => {
            fe.tell(&format!(
                "guard: warning: {}\n{}",
                sanitize(case.shown),
                report::explain(case.shown, case.findings)
            ));
            Ok(Pass::plain(How::Warned, String::new()))
        }
        Gate::Confirm { expected } => match fe.confirm(case.shown, case.findings, &expected) {
            Confirmation::Yes { by } => Ok(Pass::plain(How::Confirmed, by)),
            Confirmation::Handed => Ok(Pass::plain(How::Asked, String::new())),
            Confirmation::No => Err(not_confirmed(case)),
        },
        Gate::Approval { confirm, stands_in } => second::pass(case, fe, deps, confirm, stands_in),
        Gate::Refuse { why, request } => {
            // A confirm-level command no one here can confirm: the refusal carries the
            // request, so the agent can hand it to a person.
            let request = match request {
                true => Some(inbox::request_for(case, deps)?),
                false => None,
            };
            let how = request.as_ref().map(|(r, posted)| {
                let how = crate::approval::request::how_to_approve(r, *posted);
                let operator = if *posted {
                    format!(
                        "\nthe person it runs for can confirm it themselves, from their own terminal (not through an agent): guard approve {}",
                        r.id()
                    )
                } else {
                    String::new()
                };
                if a.token_confirms {
                    format!("{how}{operator}")
                } else {
                    format!(
                        "{how}{operator}\n(an approver's signature stands in for the confirmation only with [approvals] token_confirms = true; otherwise a person confirms it at their own terminal)"
                    )
                }
            });
            let request = request.map(|(r, _)| Box::new(r));
            Err(Refusal {
                message: refusal_text(case, &why, how),
                decision: case.decision,
                kind: Refused::Policy,
                request,
            })
        }
    }
}

fn not_confirmed(case: &Case) -> Refusal {
    Refusal::plain(
        format!("not confirmed: {} did not run", sanitize(case.shown)),
        case.decision,
    )
}

/// `COMMAND (DECISION): WHY`, the findings, and what would be needed.
fn refusal_text(case: &Case, why: &str, request: Option<String>) -> String {
    let mut msg = format!(
        "{} ({}): {why}\n{}",
        sanitize(case.shown),
        case.decision,
        report::explain(case.shown, case.findings).trim_end()
    );
    if let Some(r) = request {
        msg.push('\n');
        msg.push_str(&r);
    }
    msg
}

/// The principal the requester acts as: in a protected install the system config's
/// `[principals]` entry for the account (the account's name when it has none); else the
/// configured one, else `USER@HOST`.
pub fn requester(settings: &Settings) -> String {
    let a = &settings.approvals;
    match (&a.principal, &a.unmapped) {
        (None, Some(user)) => user.clone(),
        (p, _) => crate::identity::principal(p.as_deref()),
    }
}

/// Where and for whom a request is made, and an approval must have been made: here as
/// the requester, or, in a CI run, the run as its actor. A protected install ignores
/// the CI variables: they are the account's own to set.
pub fn origin(settings: &Settings, context: &crate::context::Context) -> Origin {
    match &context.run {
        Some(run) if !settings.protected => Origin::in_run(run, &settings.approvals.principals),
        _ => Origin::here(requester(settings)),
    }
}

/// The decision record, before the gate says how it was passed.
fn decision_record(case: &Case, deps: &Deps, terminal: bool) -> Record {
    let (user, host) = (crate::identity::user(), crate::identity::host());
    Record {
        kind: "decision".into(),
        run: crate::hex::random_id().unwrap_or_default(),
        time: crate::time::rfc3339(crate::time::now()),
        // In CI, the actor who started the run, not the runner's account.
        requester: origin(deps.settings, deps.context).requester,
        host,
        user,
        agent: deps.context.agent.clone(),
        ci: deps.context.ci,
        ci_run: origin(deps.settings, deps.context).ci.map(|c| {
            let env = if c.environment.is_empty() {
                String::new()
            } else {
                format!(", environment {}", c.environment)
            };
            format!("{} {} at {}{env}", c.platform, c.repository, c.commit)
        }),
        terminal,
        cwd: crate::identity::cwd(),
        command: crate::audit::redact(case.shown),
        reason: case.reason.clone(),
        decision: case.decision.to_string(),
        plan: case.plan.map(str::to_string),
        key: case.keys.first().cloned(),
        rules: case
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
