//! `guard -- PROGRAM ARGS...`: decide, pass the gate, run.

use super::{load_rules, process_env};
use crate::cli::GlobalArgs;
use crate::confirm;
use crate::context::{Context, has_terminal};
use crate::error::Error;
use crate::exec;
use crate::policy::{Gate, decide, gate};
use crate::report;
use crate::sanitize::sanitize;
use crate::shell::Command;
use std::ffi::OsString;

pub fn run(global: &GlobalArgs, argv: &[OsString]) -> Result<i32, Error> {
    let cmd = Command::from_argv(argv);
    let programs: Vec<String> = cmd.program().map(String::from).into_iter().collect();
    let set = load_rules(global, Some(&programs))?;
    let findings = set.check(&cmd, &process_env);
    let decision = decide(&findings);
    let ctx = Context::detect(global.non_interactive);
    let shown = cmd.to_string();
    match gate(decision, &findings, &ctx, has_terminal) {
        Gate::Run => {}
        Gate::Warn => {
            eprint!(
                "guard: warning: {}\n{}",
                sanitize(&shown),
                report::explain(&shown, &findings)
            );
        }
        Gate::Confirm { expected } => {
            let confirmed = confirm::ask(&shown, &findings, &expected).unwrap_or(false);
            if !confirmed {
                return Err(Error::Refused(format!(
                    "not confirmed: {} did not run",
                    sanitize(&shown)
                )));
            }
        }
        Gate::Refuse { why } => {
            return Err(Error::Refused(format!(
                "{} ({decision}): {why}\n{}",
                sanitize(&shown),
                report::explain(&shown, &findings).trim_end()
            )));
        }
    }
    exec::run(argv)
}
