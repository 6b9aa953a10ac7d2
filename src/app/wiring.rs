//! The wiring every subcommand shares: the global options into config resolution, the
//! store the settings name, and one input decided with the rules it needs.

use crate::analysis::{self, Evaluation, Input};
use crate::cli::GlobalArgs;
use crate::config::{self, Invocation};
use crate::error::Error;
use crate::plan;
use crate::plan::process::ProcessRunner;

/// The global options as config resolution takes them.
pub fn config_args(global: &GlobalArgs) -> config::Args {
    config::Args {
        config: global.config.clone(),
        non_interactive: global.non_interactive,
        quiet: global.quiet,
        approvals: global.approval.clone(),
        approval_file: global.approval_file.clone(),
        break_glass: global.break_glass.clone(),
        plan_timeout_cap: global.plan_timeout_cap,
        wait: global.wait,
    }
}

/// Resolves the command line, the environment and the config layers, once.
pub fn resolve(global: &GlobalArgs) -> Result<Invocation, Error> {
    config::resolve(&config_args(global))
}

/// The store the settings name: files, or the team's database.
pub fn store(inv: &Invocation) -> Box<dyn crate::store::Store> {
    crate::store::open(&inv.settings)
}

/// Looks a variable up in guard's own environment, which the child inherits.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The plan stage's runner, bounded by `[plans] timeout`.
pub fn runner(inv: &Invocation) -> ProcessRunner {
    ProcessRunner::new(
        inv.settings.plans.timeout,
        // Plans a tool writes (plan_first) go where the user's tools can write; guard
        // holds what it read of them, so nothing there is trusted after the read.
        crate::store::files::state_dir().map_err(|e| e.to_string()),
    )
}

/// Decides on one input, loading only the packs it needs. `mode` says whether the plan
/// stage may make a plan (a run) or only read one (a check).
pub fn evaluate(inv: &Invocation, input: &Input, mode: plan::Mode) -> Result<Evaluation, Error> {
    let mut script = match input.read() {
        Ok(script) => script,
        Err(e) => return Ok(analysis::unreadable(input.shown(), &e)),
    };
    // `yes | guard -- terraform apply`: the command reads guard's own stdin, and a pipe
    // or a file there answers its prompts without a person.
    if matches!(mode, plan::Mode::Run { .. }) && matches!(input, Input::Argv(_)) && stdin_is_given()
    {
        if let Some(first) = script.commands.first_mut() {
            first.stdin_given = true;
        }
    }
    let mut programs = analysis::programs(&script);
    // A config that adds words to the general reading: its rules come in whatever the
    // built-in words say.
    if let Some(p) = programs.as_mut() {
        if inv.layers.iter().any(|l| l.file.generic.is_some()) {
            p.push("*".to_string());
        }
    }
    let set = inv.rules_for(programs.as_deref(), &analysis::words(&script))?;
    let out = analysis::evaluate(input, &script, &set, mode, &process_env, &runner(inv));
    // Each process calls this once or twice and ends soon after (or replaces itself with
    // the command): the rule set is left to the exit rather than taken apart, which
    // costs a sixth of deciding on a git command. (Loops — `check --stdin`, the
    // supervisor — build one set and keep it.)
    std::mem::forget(set);
    Ok(out)
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
