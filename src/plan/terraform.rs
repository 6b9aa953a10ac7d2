//! Terraform and OpenTofu: `apply PLANFILE` is read with `terraform show -json PLANFILE`
//! (the same binary, the same global options such as `-chdir`), in the JSON output
//! format (https://developer.hashicorp.com/terraform/internals/json-format):
//! `format_version` 1.x, `resource_changes[].address` and `.change.actions`, where
//! `["delete","create"]` and `["create","delete"]` are replacements and `["forget"]`
//! removes from state. With `plan_first`, an apply without a plan file is planned to a
//! saved file first and the apply is rewritten to apply exactly that file.

use super::{
    Action, Arg, Change, Format, Reader, Refined, Runner, Scope, Unreadable, os, split_args,
};
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
    scope: Scope,
    env: &dyn Fn(&str) -> Option<String>,
    runner: &dyn Runner,
    out: &mut Refined,
) -> Option<Result<Reader, Unreadable>> {
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
    let chdirs: Vec<&Arg> = globals.iter().filter(|a| is(a, &["-chdir"])).collect();
    if chdirs.len() > 1 {
        return Some(Err(Unreadable::NotRun(
            "-chdir is given more than once: which directory terraform uses is not clear".into(),
        )));
    }
    // Terraform adds TF_CLI_ARGS and TF_CLI_ARGS_apply to the command line: a plan file
    // given there is applied without being named here.
    for var in ["TF_CLI_ARGS", "TF_CLI_ARGS_apply"] {
        let value = cmd
            .assignment(var)
            .map(str::to_string)
            .or_else(|| env(var))
            .unwrap_or_default();
        let words = crate::matcher::args::split_env_words(&value);
        if let Some(w) = words.iter().find(|w| !w.starts_with('-')) {
            return Some(Err(Unreadable::NotRun(format!(
                "{var} gives `{w}` as an argument; guard reads only a plan file named on the command line"
            ))));
        }
    }
    let program = cmd.argv[0].clone();
    let global_words: Vec<String> = globals.iter().flat_map(Arg::words).collect();
    let chdir = chdirs.first().and_then(|a| a.value()).map(PathBuf::from);
    let positional: Vec<usize> = rest
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a, Arg::Positional(_)))
        .map(|(i, _)| i)
        .collect();
    if let Some(&at) = positional.first() {
        let Arg::Positional(file) = &rest[at] else {
            return None;
        };
        // Terraform changes to -chdir before it reads the file.
        let path = match &chdir {
            Some(dir) if !file.starts_with('/') => dir.join(file),
            _ => PathBuf::from(file),
        };
        // A pipe or a device gives whatever its writer sends, each time it is read.
        if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Some(Err(Unreadable::File(format!(
                "`{file}` is not a regular file"
            ))));
        }
        let show_file = if scope.whole {
            // A run reads the plan once, into a sealed copy nobody can write, and shows
            // and applies that copy: the file cannot change between the check and the
            // apply.
            match copy_plan(&path, runner) {
                Ok(copy) => {
                    let mut argv = vec![program.clone()];
                    argv.extend(global_words.iter().cloned());
                    argv.push("apply".into());
                    argv.extend(rest.iter().enumerate().flat_map(|(i, a)| {
                        if i == at {
                            vec![copy.display().to_string()]
                        } else {
                            a.words()
                        }
                    }));
                    out.exec = Some(os(argv));
                    out.saved.push(copy.clone());
                    copy.display().to_string()
                }
                Err(why) => return Some(Err(why)),
            }
        } else {
            file.clone()
        };
        let file_path = if scope.whole {
            PathBuf::from(&show_file)
        } else {
            path
        };
        let mut argv = vec![program];
        argv.extend(global_words);
        argv.extend(["show".into(), "-json".into(), show_file]);
        return Some(Ok(Reader {
            argv: os(argv),
            env: cmd.assignments.clone(),
            file: Some(file_path),
            format: Format::Terraform,
        }));
    }
    if !scope.plan_first {
        return None;
    }
    // plan_first: plan to a saved file with the same arguments, then apply that file.
    let saved = match runner.plan_path() {
        Ok(p) => p,
        Err(why) => return Some(Err(why)),
    };
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
    match runner.capture(&os(plan), &cmd.assignments) {
        Ok(text) => out.plan_text.extend(text),
        Err(why) => {
            return Some(Err(Unreadable::Tool(format!(
                "plan_first: the plan failed ({why})"
            ))));
        }
    }
    // What the plan wrote is read once and held where nobody can change it: shown and
    // applied from there. The approval binds the saved file's apply, which is what the
    // person runs once approved (and reads the same bytes).
    let held = match runner
        .read(&saved)
        .and_then(|bytes| runner.hold(&bytes, &format!("{}.tfplan", super::sha256(&bytes))))
    {
        Ok(h) => h,
        Err(why) => return Some(Err(why)),
    };
    let apply_of = |plan: &str| {
        let mut apply = vec![program.clone()];
        apply.extend(global_words.iter().cloned());
        apply.push("apply".into());
        apply.extend(
            rest.iter()
                .filter(|a| is(a, APPLY_WITH_PLAN))
                .flat_map(Arg::words),
        );
        apply.push(plan.to_string());
        os(apply)
    };
    let held_str = held.display().to_string();
    out.exec = Some(apply_of(&held_str));
    out.subject = Some(apply_of(&saved_str));
    let mut show = vec![program];
    show.extend(global_words);
    show.extend(["show".into(), "-json".into(), held_str]);
    Some(Ok(Reader {
        argv: os(show),
        env: cmd.assignments.clone(),
        file: Some(held),
        format: Format::Terraform,
    }))
}

/// `terragrunt apply PLANFILE` (also `run apply`, `run-all apply`): guard does not read
/// terragrunt's plans, so a saved plan it applies is unreadable, at least confirm.
pub(super) fn terragrunt(cmd: &Command, grammar: &Grammar) -> Option<Result<Reader, Unreadable>> {
    let positionals: Vec<String> = split_args(grammar, &cmd.argv[1..])
        .into_iter()
        .filter_map(|a| match a {
            Arg::Positional(p) => Some(p),
            Arg::Option(_) => None,
        })
        .collect();
    let apply = positionals.iter().position(|p| p == "apply")?;
    (positionals.len() > apply + 1).then(|| {
        Err(Unreadable::NotRun("guard does not read terragrunt plans; review it with `terragrunt show` and apply it with terraform through guard".into()))
    })
}

/// Reads the plan file once and holds what was read where nobody can change it.
fn copy_plan(path: &std::path::Path, runner: &dyn Runner) -> Result<PathBuf, Unreadable> {
    let bytes = runner.read(path)?;
    runner.hold(&bytes, &format!("{}.tfplan", super::sha256(&bytes)))
}

/// The resource changes in `terraform show -json` output.
pub(super) fn changes(stdout: &[u8]) -> Result<Vec<Change>, Unreadable> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|e| Unreadable::Format(format!("not the JSON plan format ({e})")))?;
    let version = v["format_version"].as_str().unwrap_or_default();
    if !version.starts_with("1.") {
        return Err(Unreadable::Format(format!(
            "format_version `{version}` is not one guard reads (1.x)"
        )));
    }
    let Some(list) = v.get("resource_changes") else {
        // A plan with nothing to change may leave the list out.
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| Unreadable::Format("`resource_changes` is not a list".into()))?;
    list.iter()
        .map(|rc| {
            let address = rc["address"].as_str().ok_or_else(|| {
                Unreadable::Format("a resource change without an `address`".into())
            })?;
            let actions: Vec<&str> = rc["change"]["actions"]
                .as_array()
                .ok_or_else(|| Unreadable::Format(format!("`{address}` has no `change.actions`")))?
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
