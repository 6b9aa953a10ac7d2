//! `guard rules list | show | test | lint`.

use crate::cli::{GlobalArgs, RulesCmd};
use crate::config::build;
use crate::config::examples::{self, source_path};
use crate::config::layers::{self as load, LayerKind};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::matcher::RuleSet;
use crate::matcher::rule::{Rule, Source};
use crate::rules::builtin;
use crate::sanitize::sanitize;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub fn run(global: &GlobalArgs, cmd: RulesCmd) -> Result<i32, Error> {
    match cmd {
        RulesCmd::List { json } => list(&super::wiring::resolve(global)?.rules(None)?, json),
        // With every rule's examples: `rules show` prints them.
        RulesCmd::Show { id } => {
            let inv = super::wiring::resolve(global)?;
            show(&build::build_with(&inv.layers, None, None, false)?.0, &id)
        }
        RulesCmd::Test { files } => test(&files),
        RulesCmd::Lint { files } => lint(&files),
    }
}

#[derive(Serialize)]
struct RuleInfo<'a> {
    id: &'a str,
    severity: crate::decision::Decision,
    rule_severity: crate::decision::Decision,
    disabled: bool,
    tools: &'a [String],
    reason: &'a str,
    suggestion: Option<&'a str>,
    source: String,
}

fn info<'a>(set: &RuleSet, r: &'a Rule) -> RuleInfo<'a> {
    RuleInfo {
        id: &r.id,
        severity: set.severity_of(r),
        rule_severity: r.severity,
        disabled: set.tuning.disabled.contains(&r.id),
        tools: &r.tools,
        reason: &r.reason,
        suggestion: r.suggestion.as_deref(),
        source: source_path(&r.source),
    }
}

fn list(set: &RuleSet, json: bool) -> Result<i32, Error> {
    let infos: Vec<RuleInfo> = set.rules().iter().map(|r| info(set, r)).collect();
    if json {
        println!("{}", serde_json::to_string(&infos).unwrap_or_default());
        return Ok(0);
    }
    let width = infos.iter().map(|i| i.id.len()).max().unwrap_or(0);
    for i in &infos {
        let sev = if i.disabled {
            "disabled".to_string()
        } else {
            i.severity.to_string()
        };
        println!("{:width$}  {sev:10}  {}", i.id, sanitize(i.reason));
    }
    Ok(0)
}

fn show(set: &RuleSet, id: &str) -> Result<i32, Error> {
    let Some(r) = set.rule(id) else {
        return Err(Error::Usage(format!(
            "no rule `{id}` (see `guard rules list`)"
        )));
    };
    let i = info(set, r);
    println!("{}", i.id);
    println!(
        "  severity:   {}{}",
        i.severity,
        if i.disabled { " (disabled)" } else { "" }
    );
    if i.severity != i.rule_severity {
        println!("  as written: {}", i.rule_severity);
    }
    println!("  tools:      {}", i.tools.join(", "));
    println!("  reason:     {}", sanitize(i.reason));
    if let Some(s) = i.suggestion {
        println!("  safer:      {}", sanitize(s));
    }
    println!("  defined in: {}", r.source);
    for e in &r.spec.matches {
        println!("  matches:    {}", sanitize(e.get_ref()));
    }
    for e in &r.spec.not_match {
        println!("  not:        {}", sanitize(e.get_ref()));
    }
    Ok(0)
}

/// The text of a rule's source, for line and column in failures.
fn text_of<'a>(layers: &'a [load::Layer]) -> impl Fn(&Source) -> Option<&'a str> {
    move |src| match src {
        Source::Builtin(name) => builtin::pack(name).map(|p| p.source),
        Source::File(path) => layers
            .iter()
            .find(|l| &l.path == path)
            .map(|l| l.text.as_str()),
    }
}

fn test(files: &[PathBuf]) -> Result<i32, Error> {
    let layers = files
        .iter()
        .map(|f| load::read_layer(kind_for(f), f))
        .collect::<Result<Vec<_>, _>>()?;
    let (set, _) = build::build_with(&layers, None, None, false)?;
    let selected = |src: &Source| match src {
        Source::Builtin(_) => files.is_empty(),
        Source::File(_) => true,
    };
    let text = text_of(&layers);
    let failures = examples::failures(&set, selected, &text);
    let rules: Vec<&Rule> = set.rules().iter().filter(|r| selected(&r.source)).collect();
    let total: usize = rules
        .iter()
        .map(|r| r.spec.matches.len() + r.spec.not_match.len())
        .sum();
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "{} rules, {total} examples: {} passed, {} failed",
        rules.len(),
        total - failures.len(),
        failures.len()
    );
    Ok(if failures.is_empty() {
        0
    } else {
        ExitCode::Failure.code()
    })
}

fn lint(files: &[PathBuf]) -> Result<i32, Error> {
    // Every file is checked, and every error reported, before the answer.
    let mut failed = 0;
    for f in files {
        match lint_one(f) {
            Ok(()) => {}
            Err(e) => {
                failed += 1;
                eprintln!(
                    "guard: error: {}",
                    crate::sanitize::sanitize(&e.to_string())
                );
            }
        }
    }
    if failed > 0 {
        eprintln!("guard: {failed} of {} files have errors", files.len());
        return Ok(ExitCode::Config.code());
    }
    Ok(0)
}

fn lint_one(f: &Path) -> Result<(), Error> {
    let layer = load::read_layer(kind_for(f), f)?;
    let n = layer.file.rules.len();
    let layers = std::slice::from_ref(&layer);
    let (_, mut warnings) = build::build(layers, None)?;
    warnings.extend(crate::config::settings(layers)?.1);
    for w in &warnings {
        println!("warning: {w}");
    }
    println!(
        "{}: ok ({n} rules, {} warnings)",
        f.display(),
        warnings.len()
    );
    Ok(())
}

/// Lints a `.guard.toml` as the project layer it will be, anything else as a user file.
fn kind_for(path: &Path) -> LayerKind {
    if path.file_name().is_some_and(|n| n == ".guard.toml") {
        LayerKind::Project
    } else {
        LayerKind::User
    }
}
