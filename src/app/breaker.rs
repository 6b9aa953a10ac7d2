//! `guard breaker status` and `guard breaker reset`. The reset passes the same gate as
//! any command: a person at a terminal confirms (typing `reset`), or an approver's token
//! for `guard breaker reset` stands in; an agent or CI without a token gets the request.

use super::terminal::Terminal;
use crate::approval::Subject;
use crate::breaker::{Limits, State};
use crate::cli::BreakerCmd;
use crate::config::Invocation;
use crate::decision::Decision;
use crate::error::Error;
use crate::gate::{self, Case, Deps, How};
use crate::sanitize::sanitize;
use crate::store::{self, Store};
use crate::time::{duration, rfc3339};

pub fn command(inv: &Invocation, cmd: BreakerCmd) -> Result<i32, Error> {
    let files = super::wiring::store(inv);
    match cmd {
        BreakerCmd::Status { json } => status(&*files, &inv.settings.breaker, json),
        BreakerCmd::Reset => reset(inv, &*files),
    }
}

fn snapshot(files: &dyn Store, limits: &Limits) -> Result<State, Error> {
    store::with_breaker(files, limits, |s| s.clone()).map_err(|e| Error::Refused(e.to_string()))
}

fn status(files: &dyn Store, limits: &Limits, json: bool) -> Result<i32, Error> {
    let now = crate::time::now();
    let state = snapshot(files, limits)?;
    let keys: Vec<serde_json::Value> = state
        .keys
        .keys()
        .map(|k| {
            let (refusals, destructive) = state.counts(k, limits, now);
            let opened = state.open_for(k);
            serde_json::json!({
                "key": k,
                "open": opened.is_some(),
                "refusals": refusals,
                "destructive": destructive,
                "opened_at": opened.map(|o| rfc3339(o.at)),
                "why": opened.map(|o| o.why.clone()),
            })
        })
        .collect();
    let first_open = state
        .all
        .iter()
        .chain(state.keys.values().filter_map(|k| k.opened.as_ref()))
        .min_by_key(|o| o.at);
    let v = serde_json::json!({
        "open": first_open.is_some(),
        "opened_at": first_open.map(|o| rfc3339(o.at)),
        "why": first_open.map(|o| o.why.clone()),
        "enabled": limits.enabled,
        "window": duration(limits.window),
        "window_seconds": limits.window,
        "max_refusals": limits.max_refusals,
        "max_destructive": limits.max_destructive,
        "keys": keys,
    });
    if json {
        println!("{v}");
        return Ok(0);
    }
    match first_open {
        Some(o) => println!(
            "open since {}: {}\nreset it at your own terminal: guard breaker reset",
            rfc3339(o.at),
            sanitize(&o.why)
        ),
        None => println!(
            "closed (opens at more than {} refused or {} destructive commands within {})",
            limits.max_refusals,
            limits.max_destructive,
            duration(limits.window)
        ),
    }
    for k in &keys {
        println!(
            "  {}: {} refused, {} destructive in the window{}",
            sanitize(k["key"].as_str().unwrap_or_default()),
            k["refusals"],
            k["destructive"],
            if k["open"] == true { " (open)" } else { "" }
        );
    }
    Ok(0)
}

/// What a person is shown before resetting.
fn prompt(state: &State) -> String {
    let mut prompt = String::from("guard: reset the circuit breaker?\n");
    for (k, o) in state
        .keys
        .iter()
        .filter_map(|(k, v)| v.opened.as_ref().map(|o| (k, o)))
    {
        prompt.push_str(&format!(
            "  open for {} since {}: {}\n",
            sanitize(k),
            rfc3339(o.at),
            sanitize(&o.why)
        ));
    }
    if let Some(o) = &state.all {
        prompt.push_str(&format!("  open for everyone: {}\n", sanitize(&o.why)));
    }
    prompt.push_str("Type `reset` to close it, anything else to cancel: ");
    prompt
}

fn reset(inv: &Invocation, files: &dyn crate::store::Store) -> Result<i32, Error> {
    let limits = &inv.settings.breaker;
    let context = inv.context.clone().with_tree();
    let shown = "guard breaker reset";
    let findings = [reset_finding()];
    let case = Case {
        subject: Subject::Argv(shown.split(' ').map(String::from).collect()),
        shown,
        findings: &findings,
        decision: Decision::Confirm,
        plan: None,
        saved_plan: false,
        // The reset is never stopped by the breaker it resets.
        keys: Vec::new(),
        resources: Vec::new(),
        reason: None,
    };
    let notify = |n: gate::Notice| super::notify::send(&inv.settings.notify, &n);
    // An approver's token always stands in for the person's confirmation here.
    let mut settings = inv.settings.clone();
    settings.approvals.token_confirms = true;
    let root = nix::unistd::getuid().is_root();
    // In a protected install the account guard runs for cannot reset it by typing at a
    // terminal it may not own: an approver's token, or root.
    let protected = inv.settings.protected && !root;
    let nobody = crate::policy::cannot_ask(&context, crate::context::has_terminal).is_some();
    let mut deps = Deps {
        store: files,
        settings: &settings,
        context: &context,
        tokens: Ok(Vec::new()),
        break_glass: None,
        quiet: inv.quiet,
        notify: &notify,
        defer_spend: false,
    };
    // No token given: one an approver left in the inbox for the reset.
    let mut tokens = inv.tokens()?;
    if tokens.is_empty() {
        tokens = gate::inbox::approvals_for(&case, &deps);
    }
    let has_tokens = !tokens.is_empty();
    if !has_tokens && (protected || nobody) {
        return Err(nobody_to_ask(&context, &case, &deps, protected));
    }
    deps.tokens = Ok(tokens);
    let mut fe = Terminal::new(&context);
    if !has_tokens {
        fe.prompt = Some(prompt(&snapshot(files, limits)?));
    }
    let passed = if has_tokens {
        // With a token the reset is the approver's, whoever is at the terminal.
        let mut nobody = Terminal::new(&NOBODY);
        gate::pass(&case, &mut nobody, &deps)
    } else {
        gate::pass(&case, &mut fe, &deps)
    };
    let how = match passed {
        Ok(p) if p.how == How::Approved => {
            format!("reset with the approval of {}", p.approvers.join(", "))
        }
        Ok(_) => format!("reset, {}", super::terminal::confirmed_by()),
        Err(r) if has_tokens => {
            let why = r.message.lines().next().unwrap_or_default();
            return Err(Error::Refused(format!("breaker reset refused: {why}")));
        }
        Err(r) => return Err(Error::Refused(reset_refusal(&r.message))),
    };
    let was = store::with_breaker(files, limits, State::reset)
        .map_err(|e| Error::Refused(e.to_string()))?;
    files
        .append(gate::breaker_record(
            "reset",
            "*",
            &how,
            &gate::requester(&inv.settings),
        ))
        .map_err(|why| Error::Refused(format!("the breaker was reset, but {why}")))?;
    if was.is_empty() {
        println!("guard: the circuit breaker was closed; its counts are cleared ({how})");
    } else {
        println!(
            "guard: the circuit breaker is closed again for {} ({how})",
            sanitize(&was.join(", "))
        );
    }
    Ok(0)
}

/// The refusal when nobody here can reset it and no token was given: the request an
/// approver signs.
fn nobody_to_ask(
    context: &crate::context::Context,
    case: &Case,
    deps: &Deps,
    protected: bool,
) -> Error {
    let (req, posted) = match gate::inbox::request_for(case, deps) {
        Ok(r) => r,
        Err(r) => return Error::Refused(r.message),
    };
    let who = match (&context.agent, protected) {
        (Some(ag), _) => format!("by an agent ({ag})"),
        (None, true) => "at a terminal in a protected install (only an approver's token or root resets it there)".to_string(),
        (None, false) => "here".to_string(),
    };
    Error::Refused(format!(
        "only a person resets the circuit breaker, and none can be asked {who}: run `guard breaker reset` at your own terminal, or have an approver sign this request:\n{}",
        reset_refusal(&crate::approval::request::how_to_approve(&req, posted))
    ))
}

/// A context in which nobody can be asked: with a token, only the token counts.
static NOBODY: crate::context::Context = crate::context::Context {
    agent: None,
    ci: false,
    non_interactive: true,
    run: None,
};

/// What the reset is, as a finding: shown in its request.
fn reset_finding() -> crate::finding::Finding {
    crate::finding::Finding {
        rule: "breaker.reset".into(),
        severity: Decision::Confirm,
        rule_severity: Decision::Confirm,
        reason: "closes the circuit breaker: only a person decides that".into(),
        suggestion: None,
        command: "guard breaker reset".into(),
        origin: String::new(),
        target: Some("reset".into()),
        protected_environment: None,
        via_env: None,
        argv: Vec::new(),
    }
}

/// The reset's refusal, in the words of the reset.
fn reset_refusal(message: &str) -> String {
    message
        .replace(
            "then run the same command again with --approval TOKEN",
            "then run: guard --approval TOKEN breaker reset",
        )
        .replace(
            "then run the same command again, unchanged (add --wait 15m to wait for the approval); or pass the token the approver gives you with --approval TOKEN",
            "then run `guard breaker reset` again (it finds the approval); or pass the token the approver gives you: guard --approval TOKEN breaker reset",
        )
}
