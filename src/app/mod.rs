//! What each subcommand does, wired from the parsed CLI to the library: one file per
//! subcommand. The only layer besides `main`, `exec` and the front ends that touches the
//! process (stdout, stderr, the terminal).

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
pub mod sign;
mod terminal;

use crate::analysis::{self, Evaluation, Input};
use crate::cli::{Cli, GlobalArgs, Sub};
use crate::config::{self, Invocation};
use crate::error::Error;
use crate::plan;
use crate::plan::process::ProcessRunner;
use crate::store::files::Files;

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<i32, Error> {
    if cli.command.is_some() && cli.shell.is_some() {
        return Err(Error::Usage(
            "`-c STRING` runs a shell string and cannot be given with a subcommand; `guard check -c STRING` decides without running".into(),
        ));
    }
    if cli
        .global
        .break_glass
        .as_ref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(Error::Usage("--break-glass needs a reason".into()));
    }
    match cli.command {
        Some(Sub::Check(args)) => check::run(&resolve(&cli.global)?, &args),
        Some(Sub::Rules(cmd)) => rules_cmd::run(&cli.global, cmd),
        Some(Sub::Request(args)) => approve::request(&resolve(&cli.global)?, &args),
        Some(Sub::Log(args)) => log::run(&resolve(&cli.global)?, &args),
        Some(Sub::Install(args)) => install::install(&args),
        Some(Sub::Uninstall(args)) => install::uninstall(&args),
        Some(Sub::Hook { agent }) => hook::run(&agent, &cli.global),
        Some(Sub::Approve(args)) => approve::approve(&resolve(&cli.global)?, &args),
        Some(Sub::Shim(cmd)) => shim::command(&cli.global, cmd),
        Some(Sub::Doctor) => doctor::run(&cli.global),
        Some(Sub::Breaker(cmd)) => breaker::command(&resolve(&cli.global)?, cmd),
        Some(Sub::Completions { shell }) => docs::print(&docs::completions(shell)),
        Some(Sub::Man) => docs::print(&docs::man()?),
        None => {
            let input = match cli.shell {
                Some(s) => Input::Shell(s),
                None => Input::Argv(cli.argv),
            };
            guarded::run(&resolve(&cli.global)?, &input)
        }
    }
}

/// The global options as config resolution takes them.
fn config_args(global: &GlobalArgs) -> config::Args {
    config::Args {
        config: global.config.clone(),
        non_interactive: global.non_interactive,
        quiet: global.quiet,
        approvals: global.approval.clone(),
        approval_file: global.approval_file.clone(),
        break_glass: global.break_glass.clone(),
    }
}

/// Resolves the command line, the environment and the config layers, once.
fn resolve(global: &GlobalArgs) -> Result<Invocation, Error> {
    config::resolve(&config_args(global))
}

/// The store the settings name.
fn store(inv: &Invocation) -> Files {
    Files::new(&inv.settings)
}

/// Looks a variable up in guard's own environment, which the child inherits.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The plan stage's runner, bounded by `[plans] timeout`.
fn runner(inv: &Invocation) -> ProcessRunner {
    ProcessRunner::new(
        inv.settings.plans.timeout,
        crate::store::files::state_dir().map_err(|e| e.to_string()),
    )
}

/// Decides on one input, loading only the packs it needs. `mode` says whether the plan
/// stage may make a plan (a run) or only read one (a check).
fn evaluate(inv: &Invocation, input: &Input, mode: plan::Mode) -> Result<Evaluation, Error> {
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
    let set = inv.rules(analysis::programs(&script).as_deref())?;
    Ok(analysis::evaluate(
        input,
        &script,
        &set,
        mode,
        &process_env,
        &runner(inv),
    ))
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
