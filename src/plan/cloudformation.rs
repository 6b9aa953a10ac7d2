//! CloudFormation: `aws cloudformation execute-change-set` is read with `aws
//! cloudformation describe-change-set` for the same change set, profile and region
//! (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html):
//! `Changes[].ResourceChange.Action` is `Add`, `Modify`, `Remove`, `Import` or
//! `Dynamic`, and a `Modify` whose `Replacement` is `True` or `Conditional` recreates
//! the resource.

use super::{Action, Arg, Change, Format, Reader, os, split_args};
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

pub(super) fn reader(cmd: &Command, grammar: &Grammar) -> Option<Reader> {
    let args = split_args(grammar, &cmd.argv[1..]);
    let positionals: Vec<&str> = args
        .iter()
        .filter_map(|a| match a {
            Arg::Positional(p) => Some(p.as_str()),
            Arg::Option(_) => None,
        })
        .collect();
    if positionals != ["cloudformation", "execute-change-set"] {
        return None;
    }
    let value = |name: &str| {
        args.iter()
            .find(|a| a.name() == Some(name))
            .and_then(Arg::value)
            .map(str::to_string)
    };
    if args
        .iter()
        .any(|a| matches!(a.name(), Some("--generate-cli-skeleton" | "--help")))
    {
        return None;
    }
    let change_set = value("--change-set-name")?;
    let mut argv = vec![cmd.argv[0].clone()];
    argv.extend(
        args.iter()
            .filter(|a| a.name().is_some_and(|n| CARRIED.contains(&n)))
            .flat_map(Arg::words),
    );
    argv.extend([
        "cloudformation".into(),
        "describe-change-set".into(),
        "--change-set-name".into(),
        change_set,
    ]);
    if let Some(stack) = value("--stack-name") {
        argv.extend(["--stack-name".into(), stack]);
    }
    argv.extend(["--output".into(), "json".into()]);
    Some(Reader {
        argv: os(argv),
        file: None,
        format: Format::CloudFormation,
    })
}

/// The resource changes in `describe-change-set` output.
pub(super) fn changes(stdout: &[u8]) -> Result<Vec<Change>, String> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|e| format!("not a change set description ({e})"))?;
    let list = v["Changes"]
        .as_array()
        .ok_or("no `Changes` list in the change set description")?;
    if v["NextToken"].as_str().is_some_and(|t| !t.is_empty()) {
        return Err("the change set has more changes than one page holds".into());
    }
    let id = v["ChangeSetId"].as_str().unwrap_or_default();
    let mut out = Vec::new();
    for c in list {
        let rc = &c["ResourceChange"];
        let logical = rc["LogicalResourceId"]
            .as_str()
            .ok_or("a change without a `LogicalResourceId`")?;
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
