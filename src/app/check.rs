//! `guard check`: decide and explain, never run, never ask.

use super::{load_rules, process_env};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::policy::decide;
use crate::report;
use crate::shell::Command;

pub fn run(global: &GlobalArgs, args: &CheckArgs) -> Result<i32, Error> {
    let cmd = Command::from_argv(&args.argv);
    let programs: Vec<String> = cmd.program().map(String::from).into_iter().collect();
    let set = load_rules(global, Some(&programs))?;
    let findings = set.check(&cmd, &process_env);
    let decision = decide(&findings);
    let shown = cmd.to_string();
    if args.json {
        println!("{}", report::check_json(&shown, decision, &findings));
    } else if !(global.quiet && findings.is_empty()) {
        print!("{}", report::check_text(&shown, decision, &findings));
    }
    Ok(ExitCode::for_check(decision))
}
