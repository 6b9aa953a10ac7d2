//! CloudFormation: `aws cloudformation execute-change-set` is read with `aws
//! cloudformation describe-change-set` for the same change set, profile and region
//! (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html):
//! `Changes[].ResourceChange.Action` is `Add`, `Modify`, `Remove`, `Import` or
//! `Dynamic`, and a `Modify` whose `Replacement` is `True` or `Conditional` recreates
//! the resource.
//!
//! `aws cloudformation deploy` makes and executes a change set in one step, so there is
//! nothing to read before it runs. With `plan_first`, guard runs the same deploy with
//! `--no-execute-changeset`, reads the change set it made, and then executes exactly
//! that change set. Without it (and in `guard check`, which makes nothing) the argument
//! rules stand.

use super::{
    Action, Arg, Change, Format, Reader, Refined, Runner, Scope, Unreadable, os, split_args,
};
use crate::matcher::args::Grammar;
use crate::shell::Command;

/// Global options that choose the account, region and endpoint: carried over to the
/// describe call. Output options (`--output`, `--query`) are not: guard needs the JSON.
const CARRIED: &[&str] = &[
    "--profile",
    "--region",
    "--endpoint-url",
    "--ca-bundle",
    "--no-verify-ssl",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--no-sign-request",
];

pub(super) fn reader(
    cmd: &Command,
    grammar: &Grammar,
    scope: Scope,
    runner: &dyn Runner,
    out: &mut Refined,
) -> Option<Result<Reader, Unreadable>> {
    let args = split_args(grammar, &cmd.argv[1..]);
    let positionals: Vec<&str> = args
        .iter()
        .filter_map(|a| match a {
            Arg::Positional(p) => Some(p.as_str()),
            Arg::Option(_) => None,
        })
        .collect();
    let value = |name: &str| {
        args.iter()
            .find(|a| a.name() == Some(name))
            .and_then(Arg::value)
            .map(str::to_string)
    };
    let repeated = ["--change-set-name", "--stack-name", "--profile", "--region"]
        .into_iter()
        .find(|n| args.iter().filter(|a| a.name() == Some(n)).count() > 1);
    if args
        .iter()
        .any(|a| matches!(a.name(), Some("--generate-cli-skeleton" | "--help")))
    {
        return None;
    }
    let carried: Vec<String> = args
        .iter()
        .filter(|a| a.name().is_some_and(|n| CARRIED.contains(&n)))
        .flat_map(Arg::words)
        .collect();
    let describe = |change_set: String, stack: Option<String>| {
        let mut argv = vec![cmd.argv[0].clone()];
        argv.extend(carried.iter().cloned());
        argv.extend([
            "cloudformation".into(),
            "describe-change-set".into(),
            "--change-set-name".into(),
            change_set,
        ]);
        if let Some(stack) = stack {
            argv.extend(["--stack-name".into(), stack]);
        }
        argv.extend(["--output".into(), "json".into()]);
        Reader {
            argv: os(argv),
            env: cmd.assignments.clone(),
            file: None,
            format: Format::CloudFormation,
        }
    };
    let applies = matches!(
        positionals.as_slice(),
        ["cloudformation", "execute-change-set"]
    ) || (scope.plan_first && positionals == ["cloudformation", "deploy"]);
    if let (true, Some(n)) = (applies, repeated) {
        return Some(Err(Unreadable::NotRun(format!(
            "{n} is given more than once: which one the AWS CLI uses is not clear"
        ))));
    }
    match positionals.as_slice() {
        ["cloudformation", "execute-change-set"] => Some(Ok(describe(
            value("--change-set-name")?,
            value("--stack-name"),
        ))),
        ["cloudformation", "deploy"] if scope.plan_first => {
            if args
                .iter()
                .any(|a| a.name() == Some("--no-execute-changeset"))
            {
                return None;
            }
            let mut make = cmd.argv.clone();
            make.push("--no-execute-changeset".into());
            let printed = match runner.capture(&os(make), &cmd.assignments) {
                Ok(text) => text,
                Err(why) => {
                    return Some(Err(Unreadable::Tool(format!(
                        "plan_first: making the change set failed ({why})"
                    ))));
                }
            };
            out.plan_text.extend(printed.iter().copied());
            // The deploy names the change set it made in the describe command it prints;
            // with no changes it makes none, and there is nothing to execute.
            let text = String::from_utf8_lossy(&printed);
            let arn = text
                .split_whitespace()
                .find(|w| w.starts_with("arn:") && w.contains(":changeSet/"))?
                .to_string();
            let mut exec = vec![cmd.argv[0].clone()];
            exec.extend(carried.iter().cloned());
            exec.extend([
                "cloudformation".into(),
                "execute-change-set".into(),
                "--change-set-name".into(),
                arn.clone(),
            ]);
            out.exec = Some(os(exec));
            out.subject.clone_from(&out.exec);
            Some(Ok(describe(arn, None)))
        }
        _ => None,
    }
}

/// The resource changes in `describe-change-set` output.
pub(super) fn changes(stdout: &[u8]) -> Result<Vec<Change>, Unreadable> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|e| Unreadable::Format(format!("not a change set description ({e})")))?;
    let list = v["Changes"].as_array().ok_or_else(|| {
        Unreadable::Format("no `Changes` list in the change set description".into())
    })?;
    if v["NextToken"].as_str().is_some_and(|t| !t.is_empty()) {
        return Err(Unreadable::Format(
            "the change set has more changes than one page holds".into(),
        ));
    }
    let id = v["ChangeSetId"].as_str().unwrap_or_default();
    let mut out = Vec::new();
    for c in list {
        let rc = &c["ResourceChange"];
        let logical = rc["LogicalResourceId"]
            .as_str()
            .ok_or_else(|| Unreadable::Format("a change without a `LogicalResourceId`".into()))?;
        let kind = rc["ResourceType"].as_str().unwrap_or("?");
        let address = match rc["PhysicalResourceId"].as_str() {
            Some(p) if !p.is_empty() => format!("{logical} ({kind} {p})"),
            _ => format!("{logical} ({kind})"),
        };
        let act = rc["Action"].as_str().unwrap_or_default();
        let replacement = rc["Replacement"].as_str().unwrap_or("False");
        let action = match (act, replacement) {
            ("Add" | "Import", _) => Action::Create,
            ("Modify", "True" | "Conditional") => Action::Replace,
            ("Modify", _) => Action::Update,
            ("Remove", _) => Action::Delete,
            _ => Action::Unknown,
        };
        out.push(Change {
            address,
            action,
            raw: format!("{act} replacement={replacement} {id}"),
        });
    }
    Ok(out)
}
