//! What each subcommand does, wired from the parsed CLI to the library. The only layer
//! besides `main`, `exec` and `confirm` that touches the process (stdout, stderr, env).

mod approve;
mod breaker;
mod check;
mod docs;
mod doctor;
mod guarded;
mod hook;
mod install;
mod log;
mod rules_cmd;
pub mod shim;

use crate::analysis::{self, Input};
use crate::cli::{Cli, GlobalArgs, Sub};
use crate::decision::Decision;
use crate::error::Error;
use crate::matcher::{Approvals, Finding, RuleSet};
use crate::plan;
use crate::policy::decide;
use crate::rules::load::{self, LoadOptions};

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<i32, Error> {
    if cli.command.is_some() && cli.shell.is_some() {
        return Err(Error::Usage(
            "`-c STRING` runs a shell string and cannot be given with a subcommand; `guard check -c STRING` decides without running".into(),
        ));
    }
    match cli.command {
        Some(Sub::Check(args)) => check::run(&cli.global, &args),
        Some(Sub::Rules(cmd)) => rules_cmd::run(&cli.global, cmd),
        Some(Sub::Request(args)) => approve::request(&cli.global, &args),
        Some(Sub::Log(args)) => log::run(&cli.global, &args),
        Some(Sub::Install(args)) => install::install(&args),
        Some(Sub::Uninstall(args)) => install::uninstall(&args),
        Some(Sub::Hook { agent }) => hook::run(agent, &cli.global),
        Some(Sub::Approve(args)) => approve::approve(&cli.global, &args),
        Some(Sub::Shim(cmd)) => shim::command(&cli.global, cmd),
        Some(Sub::Doctor) => doctor::run(&cli.global),
        Some(Sub::Breaker(cmd)) => breaker::command(&cli.global, cmd),
        Some(Sub::Completions { shell }) => docs::print(&docs::completions(shell)),
        Some(Sub::Man) => docs::print(&docs::man()?),
        None => {
            let input = match cli.shell {
                Some(s) => Input::Shell(s),
                None => Input::Argv(cli.argv),
            };
            guarded::run(&cli.global, &input)
        }
    }
}

/// Reads the config layers and builds the rules for `programs` (every pack when `None`),
/// printing the layers' warnings.
fn load_rules(global: &GlobalArgs, programs: Option<&[String]>) -> Result<RuleSet, Error> {
    let layers = load::read_layers(&LoadOptions::standard(global.config.clone()))?;
    let (set, warnings) = load::build(&layers, programs)?;
    for w in warnings {
        eprintln!("guard: warning: {}", crate::sanitize::sanitize(&w));
    }
    Ok(set)
}

/// Looks a variable up in guard's own environment, which the child inherits.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A decision on one input.
struct Outcome {
    shown: String,
    findings: Vec<Finding>,
    decision: Decision,
    /// The digest of the plans read (bound into approvals and the audit record).
    plan: Option<String>,
    /// With plan_first: the argv that applies exactly the saved plan, run instead.
    exec: Option<Vec<std::ffi::OsString>>,
    /// What making that plan printed.
    plan_text: Vec<u8>,
    /// `[approvals]` from the config layers read for this decision.
    approvals: Approvals,
    /// `[breaker]` from the config layers.
    breaker: crate::breaker::Limits,
    /// Where the audit records go.
    audit: log::Target,
}

/// Decides on one input, loading only the packs it needs. `mode` says whether the plan
/// stage may make a plan (a run) or only read one (a check).
fn evaluate(global: &GlobalArgs, input: &Input, mode: plan::Mode) -> Result<Outcome, Error> {
    let shown = input.shown();
    let script = match input.read() {
        Ok(script) => script,
        Err(e) => {
            // Refused as unreadable, and still on the record.
            let mut o = refused_unreadable(shown, &e);
            let set = load_rules(global, Some(&[]))?;
            o.audit = log::Target::from_settings(&set.settings);
            o.breaker = set.settings.breaker.clone();
            o.approvals = set.settings.approvals;
            return Ok(o);
        }
    };
    let set = load_rules(global, analysis::programs(&script).as_deref())?;
    let mut o = outcome(shown, &script, &set, mode, matches!(input, Input::Argv(_)));
    o.approvals = set.settings.approvals.clone();
    o.breaker = set.settings.breaker.clone();
    o.audit = log::Target::from_settings(&set.settings);
    Ok(o)
}

/// Decides on one input with rules already loaded (every pack).
fn evaluate_with(set: &RuleSet, input: &Input) -> Outcome {
    let shown = input.shown();
    match input.read() {
        Ok(script) => outcome(shown, &script, set, plan::Mode::Check, false),
        Err(e) => refused_unreadable(shown, &e),
    }
}

fn outcome(
    shown: String,
    script: &crate::shell::Script,
    set: &RuleSet,
    mode: plan::Mode,
    argv_input: bool,
) -> Outcome {
    let findings = analysis::findings(script, set, &process_env);
    let runner = ProcessRunner {
        timeout: std::time::Duration::from_secs(set.settings.plans.timeout),
    };
    let refined = plan::refine(script, findings, set, mode, argv_input, &runner);
    let decision = decide(&refined.findings);
    Outcome {
        shown,
        findings: refined.findings,
        decision,
        plan: refined.digest,
        exec: refined.exec,
        plan_text: refined.plan_text,
        approvals: Approvals::default(),
        breaker: crate::breaker::Limits::default(),
        audit: log::Target::default(),
    }
}

fn refused_unreadable(shown: String, e: &crate::shell::SyntaxError) -> Outcome {
    let findings = vec![analysis::parse_error(&shown, e)];
    Outcome {
        shown,
        findings,
        decision: Decision::Deny,
        plan: None,
        exec: None,
        plan_text: Vec::new(),
        approvals: Approvals::default(),
        breaker: crate::breaker::Limits::default(),
        audit: log::Target::default(),
    }
}

/// Runs the tools' plan commands for the plan stage, bounded in time.
struct ProcessRunner {
    timeout: std::time::Duration,
}

impl plan::Runner for ProcessRunner {
    fn capture(&self, argv: &[std::ffi::OsString]) -> Result<Vec<u8>, String> {
        crate::exec::capture(argv, self.timeout)
    }

    fn read(&self, path: &std::path::Path) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }

    fn plan_path(&self) -> Result<std::path::PathBuf, String> {
        let dir = crate::approval::identity::state_dir().join("plans");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(dir.join(format!("{}.tfplan", crate::approval::nonce()?)))
    }
}
