//! What each subcommand does, wired from the parsed CLI to the library: one file per
//! subcommand, dispatched from here; below them the pieces they share (the terminal
//! front end, `GUARD_PASSED`, signing, the wiring to config and the store). The only
//! layer besides `main` and `exec` that touches the process (stdout, stderr, the
//! terminal). Subcommands never call each other, except that a shim is a guarded run and
//! doctor reads what install writes (`tests/layers.rs` keeps the order).

mod approve;
mod breaker;
mod check;
mod docs;
mod doctor;
mod guarded;
mod hook;
pub mod install;
mod log;
mod notify;
pub mod passed;
mod rules_cmd;
pub mod setup;
pub mod shim;
pub mod sign;
mod supervise;
mod terminal;
mod wait;
mod wiring;

use crate::analysis::Input;
use crate::cli::{Cli, Sub};
use crate::error::Error;
use wiring::resolve;

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
        Some(Sub::Setup(args)) => setup::run(&args),
        Some(Sub::Supervise(args)) => supervise::run(&resolve(&cli.global)?, &args),
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
