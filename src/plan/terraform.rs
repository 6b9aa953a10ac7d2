//! Terraform and OpenTofu: `apply PLANFILE` is read with `terraform show -json PLANFILE`
//! (the same binary, the same global options such as `-chdir`), in the JSON output
//! format (https://developer.hashicorp.com/terraform/internals/json-format):
//! `format_version` 1.x, `resource_changes[].address` and `.change.actions`, where
//! `["delete","create"]` and `["create","delete"]` are replacements and `["forget"]`
//! removes from state. With `plan_first`, an apply without a plan file is planned to a
//! saved file first and the apply is rewritten to apply exactly that file.

use super::{Action, Arg, Change, Format, Reader, Refined, Runner, os, split_args};
use crate::matcher::args::Grammar;
use crate::shell::Command;
use std::path::PathBuf;

/// Options `apply PLANFILE` still accepts; the others (variables, targets, -replace,
/// -destroy, -refresh) shaped the plan and belong to `plan`.
const APPLY_WITH_PLAN: &[&str] = &[
    "-input",
    "-lock",
    "-lock-timeout",
    "-no-color",
    "-parallelism",
    "-compact-warnings",
    "-json",
    "-state",
    "-state-out",
    "-backup",
];

pub(super) fn reader(
    cmd: &Command,
    grammar: &Grammar,
    plan_first: bool,
    runner: &dyn Runner,
    out: &mut Refined,
) -> Option<Reader> {
    let args = split_args(grammar, &cmd.argv[1..]);
    let sub = args.iter().position(|a| matches!(a, Arg::Positional(_)))?;
    if !matches!(&args[sub], Arg::Positional(p) if p == "apply") {
        return None;
    }
    let (globals, rest) = (&args[..sub], &args[sub + 1..]);
    let is = |a: &Arg, names: &[&str]| {
        a.name()
            .is_some_and(|n| names.iter().any(|x| grammar.same_option(x, n)))
    };
    // `apply -destroy` and help are the argument rules' to decide.
    if rest.iter().any(|a| is(a, &["-destroy", "-help", "-h"])) {
        return None;
    }
    let program = cmd.argv[0].clone();
    let global_words: Vec<String> = globals.iter().flat_map(Arg::words).collect();
    let chdir = globals
        .iter()
        .find(|a| is(a, &["-chdir"]))
        .and_then(Arg::value)
        .map(PathBuf::from);
    let plan_file = rest.iter().find_map(|a| match a {
        Arg::Positional(p) => Some(p.clone()),
        Arg::Option(_) => None,
    });
    if let Some(file) = plan_file {
        let mut argv = vec![program];
        argv.extend(global_words);
        argv.extend(["show".into(), "-json".into(), file.clone()]);
        // Terraform changes to -chdir before it reads the file.
        let path = match &chdir {
            Some(dir) if !file.starts_with('/') => dir.join(&file),
            _ => PathBuf::from(&file),
        };
        return Some(Reader {
            argv: os(argv),
            file: Some(path),
            format: Format::Terraform,
        });
    }
    if !plan_first {
        return None;
    }
    // plan_first: plan to a saved file with the same arguments, then apply that file.
    let saved = runner.plan_path().ok()?;
    let saved_str = saved.display().to_string();
    let mut plan = vec![program.clone()];
    plan.extend(global_words.iter().cloned());
    plan.push("plan".into());
    plan.push(format!("-out={saved_str}"));
    plan.extend(
        rest.iter()
            .filter(|a| !is(a, &["-auto-approve"]))
            .flat_map(Arg::words),
    );
    match runner.capture(&os(plan)) {
        Ok(text) => out.plan_text.extend(text),
        Err(why) => {
            out.plan_text
                .extend(format!("guard: plan_first: the plan failed ({why})\n").into_bytes());
            return None;
        }
    }
    let mut apply = vec![program.clone()];
    apply.extend(global_words.iter().cloned());
    apply.push("apply".into());
    apply.extend(
        rest.iter()
            .filter(|a| is(a, APPLY_WITH_PLAN))
            .flat_map(Arg::words),
    );
    apply.push(saved_str.clone());
    out.exec = Some(os(apply));
    let mut show = vec![program];
    show.extend(global_words);
    show.extend(["show".into(), "-json".into(), saved_str]);
    Some(Reader {
        argv: os(show),
        file: Some(saved),
        format: Format::Terraform,
    })
}

/// The resource changes in `terraform show -json` output.
pub(super) fn changes(stdout: &[u8]) -> Result<Vec<Change>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(stdout).map_err(|e| format!("not the JSON plan format ({e})"))?;
    let version = v["format_version"].as_str().unwrap_or_default();
    if !version.starts_with("1.") {
        return Err(format!(
            "format_version `{version}` is not one guard reads (1.x)"
        ));
    }
    let Some(list) = v.get("resource_changes") else {
        // A plan with nothing to change may leave the list out.
        return Ok(Vec::new());
    };
    let list = list.as_array().ok_or("`resource_changes` is not a list")?;
    list.iter()
        .map(|rc| {
            let address = rc["address"]
                .as_str()
                .ok_or("a resource change without an `address`")?;
            let actions: Vec<&str> = rc["change"]["actions"]
                .as_array()
                .ok_or_else(|| format!("`{address}` has no `change.actions`"))?
                .iter()
                .map(|a| a.as_str().unwrap_or("?"))
                .collect();
            Ok(Change {
                address: address.to_string(),
                action: action(&actions),
                raw: actions.join(","),
            })
        })
        .collect()
}

fn action(actions: &[&str]) -> Action {
    match actions {
        ["no-op"] => Action::NoOp,
        ["read"] => Action::Read,
        ["create"] => Action::Create,
        ["update"] => Action::Update,
        ["delete"] => Action::Delete,
        ["delete", "create"] | ["create", "delete"] => Action::Replace,
        ["forget"] => Action::Forget,
        // Anything else that deletes is a delete; the rest guard does not know.
        a if a.contains(&"delete") => Action::Delete,
        _ => Action::Unknown,
    }
}
