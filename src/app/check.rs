//! `guard check`: decide and explain, never run, never ask. With `--stdin`, many inputs.

use super::wiring::{evaluate, process_env, runner};
use crate::analysis::{self, Evaluation, Input};
use crate::cli::CheckArgs;
use crate::config::Invocation;
use crate::decision::Decision;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::report;
use std::io::BufRead;

pub fn run(inv: &Invocation, args: &CheckArgs) -> Result<i32, Error> {
    if args.stdin {
        return many(inv);
    }
    let input = match &args.shell {
        Some(s) => Input::Shell(s.clone()),
        None => Input::Argv(args.argv.clone()),
    };
    let Evaluation {
        shown,
        findings,
        decision,
        plan,
        resources,
        ..
    } = evaluate(inv, &input, crate::plan::Mode::Check)?;
    if args.json {
        println!(
            "{}",
            report::check_json(&shown, decision, &findings, plan.as_deref(), &resources)
        );
    } else if !(inv.quiet && findings.is_empty()) {
        print!("{}", report::check_text(&shown, decision, &findings));
    }
    Ok(ExitCode::for_check(decision))
}

/// One input per line: a shell string, or `{"command": "..."}` / `{"argv": [...]}`.
/// Prints one JSON object per input; exits with the strictest decision.
fn many(inv: &Invocation) -> Result<i32, Error> {
    let set = inv.rules(None)?;
    let runner = runner(inv);
    let mut strictest = Decision::Allow;
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lines().enumerate() {
        let line = line.map_err(|e| Error::Io {
            what: "reading stdin".into(),
            source: e,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let o = match parse_line(&line).map(|input| (input.read(), input)) {
            Ok((Ok(script), input)) => analysis::evaluate(
                &input,
                &script,
                &set,
                crate::plan::Mode::Check,
                &process_env,
                &runner,
            ),
            Ok((Err(e), input)) => analysis::unreadable(input.shown(), &e),
            Err(why) => analysis::unreadable(
                line.clone(),
                &crate::shell::SyntaxError {
                    message: why,
                    offset: 0,
                },
            ),
        };
        strictest = strictest.max(o.decision);
        let json = report::check_json(
            &o.shown,
            o.decision,
            &o.findings,
            o.plan.as_deref(),
            &o.resources,
        );
        use std::io::Write;
        let _ = writeln!(out, "{{\"line\":{},{}", n + 1, json.trim_start_matches('{'));
    }
    Ok(ExitCode::for_check(strictest))
}

fn parse_line(line: &str) -> Result<Input, String> {
    if !line.trim_start().starts_with('{') {
        return Ok(Input::Shell(line.to_string()));
    }
    // `{ git fetch; git status; }` is a shell brace group; `{"command": ...}` is JSON, and
    // one that does not parse is refused rather than read as shell.
    let v: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            let rest = line.trim_start()[1..].trim_start();
            if rest.starts_with('"') || rest.starts_with('}') {
                return Err(format!("not a JSON object: {e}"));
            }
            return Ok(Input::Shell(line.to_string()));
        }
    };
    if let Some(c) = v.get("command").and_then(|c| c.as_str()) {
        return Ok(Input::Shell(c.to_string()));
    }
    match v.get("argv").and_then(|a| a.as_array()) {
        Some(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(Into::into).ok_or("`argv` must hold strings"))
            .collect::<Result<Vec<_>, _>>()
            .map(Input::Argv)
            .map_err(String::from),
        _ => Err("a JSON line needs `command` (a string) or `argv` (a non-empty array)".into()),
    }
}
