//! `guard -- PROGRAM ARGS...` and `guard -c STRING`: decide, pass the gate, run.

use super::{Outcome, evaluate};
use crate::analysis::Input;
use crate::cli::GlobalArgs;
use crate::confirm;
use crate::context::{Context, has_terminal};
use crate::error::Error;
use crate::exec;
use crate::policy::{Gate, gate};
use crate::report;
use crate::sanitize::sanitize;

pub fn run(global: &GlobalArgs, input: &Input) -> Result<i32, Error> {
    let Outcome {
        shown,
        findings,
        decision,
    } = evaluate(global, input)?;
    let ctx = Context::detect(global.non_interactive);
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
            if !confirm::ask(&shown, &findings, &expected).unwrap_or(false) {
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
    match input {
        Input::Argv(argv) => exec::run(argv),
        Input::Shell(text) => exec::run_shell(text),
    }
}
