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
    /// Whether an approval binds `exec` (plan_first) rather than the input.
    exec_is_subject: bool,
    /// What making that plan printed.
    plan_text: Vec<u8>,
    /// Copies of plans guard applies instead of the originals, removed after the run.
    saved: Vec<std::path::PathBuf>,
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
        Ok(mut script) => {
            // `yes | guard -- terraform apply`: the command reads guard's own stdin, and a
            // pipe or a file there answers its prompts without a person.
            if mode == plan::Mode::Run && matches!(input, Input::Argv(_)) && stdin_is_given() {
                if let Some(first) = script.commands.first_mut() {
                    first.stdin_given = true;
                }
            }
            script
        }
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
    let argv = match input {
        Input::Argv(a) => Some(a.as_slice()),
        Input::Shell(_) => None,
    };
    let mut o = outcome(shown, &script, &set, mode, argv);
    o.approvals = set.settings.approvals.clone();
    o.breaker = set.settings.breaker.clone();
    o.audit = log::Target::from_settings(&set.settings);
    Ok(o)
}

/// Decides on one input with rules already loaded (every pack).
fn evaluate_with(set: &RuleSet, input: &Input) -> Outcome {
    let shown = input.shown();
    match input.read() {
        Ok(script) => outcome(shown, &script, set, plan::Mode::Check, None),
        Err(e) => refused_unreadable(shown, &e),
    }
}

fn outcome(
    shown: String,
    script: &crate::shell::Script,
    set: &RuleSet,
    mode: plan::Mode,
    argv: Option<&[std::ffi::OsString]>,
) -> Outcome {
    let findings = analysis::findings(script, set, &process_env);
    let runner = ProcessRunner {
        timeout: std::time::Duration::from_secs(set.settings.plans.timeout),
    };
    let refined = plan::refine(script, findings, set, mode, argv, &process_env, &runner);
    let decision = decide(&refined.findings);
    Outcome {
        shown,
        findings: refined.findings,
        decision,
        plan: refined.digest,
        exec: refined.exec,
        exec_is_subject: refined.exec_is_subject,
        plan_text: refined.plan_text,
        saved: refined.saved,
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
        exec_is_subject: false,
        plan_text: Vec::new(),
        saved: Vec::new(),
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
    fn capture(
        &self,
        argv: &[std::ffi::OsString],
        env: &[(String, String)],
    ) -> Result<Vec<u8>, String> {
        crate::exec::capture(argv, env, self.timeout)
    }

    fn read(&self, path: &std::path::Path) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }

    fn plan_path(&self) -> Result<std::path::PathBuf, String> {
        Ok(plans_dir()?.join(format!("{}.tfplan", crate::approval::nonce()?)))
    }

    fn save(&self, bytes: &[u8], name: &str) -> Result<std::path::PathBuf, String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = plans_dir()?.join(name);
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(bytes))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot save the plan to {}: {e}", path.display()))?;
        Ok(path)
    }
}

/// `$XDG_STATE_HOME/guard/plans`, readable by this user only. Plans hold secrets, so the
/// shared fallback (`/tmp`, when there is no HOME) is refused.
fn plans_dir() -> Result<std::path::PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let state = crate::approval::identity::state_dir();
    if state.starts_with("/tmp") && std::env::var_os("XDG_STATE_HOME").is_none() {
        return Err("no HOME or XDG_STATE_HOME to keep plans in".into());
    }
    let dir = state.join("plans");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Whether guard's own standard input is a pipe or a file (not a terminal, not
/// `/dev/null`): what the child reads there was written by someone, not typed now.
fn stdin_is_given() -> bool {
    use nix::sys::stat::{SFlag, fstat};
    use std::os::fd::AsFd;
    let stdin = std::io::stdin();
    fstat(stdin.as_fd()).is_ok_and(|st| {
        let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
        kind == SFlag::S_IFIFO || kind == SFlag::S_IFREG
    })
}
