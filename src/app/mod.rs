//! What each subcommand does, wired from the parsed CLI to the library. The only layer
//! besides `main`, `exec` and `confirm` that touches the process (stdout, stderr, env).

mod check;
mod guarded;
mod rules_cmd;

use crate::cli::{Cli, GlobalArgs, Sub};
use crate::error::Error;
use crate::matcher::RuleSet;
use crate::rules::load::{self, LoadOptions};

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Some(Sub::Check(args)) => check::run(&cli.global, &args),
        Some(Sub::Rules(cmd)) => rules_cmd::run(&cli.global, cmd),
        None => guarded::run(&cli.global, &cli.argv),
    }
}

/// Reads the config layers and builds the rules for `programs` (every pack when `None`),
/// printing the layers' warnings.
fn load_rules(global: &GlobalArgs, programs: Option<&[String]>) -> Result<RuleSet, Error> {
    let layers = load::read_layers(&LoadOptions::standard(global.config.clone()))?;
    let (set, warnings) = load::build(&layers, programs)?;
    for w in warnings {
        eprintln!("guard: warning: {w}");
    }
    Ok(set)
}

/// Looks a variable up in guard's own environment, which the child inherits.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
