//! Pulumi: `pulumi up` (or `update`, with or without `--yes`) is read with `pulumi
//! preview --json` and the same arguments, in the engine's preview JSON
//! (https://www.pulumi.com/docs/iac/cli/commands/pulumi_preview/): `steps[].op` per
//! `steps[].urn`, where `delete`, `replace`, `create-replacement` and `delete-replaced`
//! destroy, and `discard`/`remove-pending-replace` only drop state.

use super::{Action, Arg, Change, Format, Reader, os, split_args};
use crate::matcher::args::Grammar;
use crate::shell::Command;

/// Options of `up` that `preview` has no use for (they only skip the confirmation).
const UP_ONLY: &[&str] = &["--yes", "-y", "--skip-preview", "-f", "--json", "-j"];

pub(super) fn reader(cmd: &Command, grammar: &Grammar) -> Option<Reader> {
    let args = split_args(grammar, &cmd.argv[1..]);
    let sub = args.iter().position(|a| matches!(a, Arg::Positional(_)))?;
    if !matches!(&args[sub], Arg::Positional(p) if p == "up" || p == "update") {
        return None;
    }
    let names = |a: &Arg, list: &[&str]| a.name().is_some_and(|n| list.contains(&n));
    // `up --plan FILE` applies a saved, reviewed plan; help only prints help.
    if args.iter().any(|a| names(a, &["--plan", "--help", "-h"])) {
        return None;
    }
    let mut argv = vec![cmd.argv[0].clone()];
    for (i, a) in args.iter().enumerate() {
        if i == sub {
            argv.push("preview".into());
        } else if names(a, UP_ONLY) || is_yes_cluster(a) {
            continue;
        } else {
            argv.extend(a.words());
        }
    }
    argv.push("--json".into());
    Some(Reader {
        argv: os(argv),
        env: cmd.assignments.clone(),
        file: None,
        format: Format::Pulumi,
    })
}

/// `-fy`, `-yf`: short flags that only skip the preview and the confirmation.
fn is_yes_cluster(a: &Arg) -> bool {
    matches!(a, Arg::Option(w) if w.len() == 1
        && w[0].len() > 2
        && !w[0].starts_with("--")
        && w[0][1..].chars().all(|c| c == 'y' || c == 'f'))
}

/// The steps in `pulumi preview --json` output, one change per resource.
pub(super) fn changes(stdout: &[u8]) -> Result<Vec<Change>, super::Unreadable> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|e| super::Unreadable::Format(format!("not pulumi's preview JSON ({e})")))?;
    let steps = match v.get("steps") {
        Some(s) => s
            .as_array()
            .ok_or_else(|| super::Unreadable::Format("`steps` is not a list".into()))?
            .clone(),
        None if v.get("changeSummary").is_some() => Vec::new(),
        None => {
            return Err(super::Unreadable::Format(
                "no `steps` in the preview".into(),
            ));
        }
    };
    let mut out: Vec<Change> = Vec::new();
    for step in &steps {
        let op = step["op"]
            .as_str()
            .ok_or_else(|| super::Unreadable::Format("a step without an `op`".into()))?;
        let urn = step["urn"]
            .as_str()
            .ok_or_else(|| super::Unreadable::Format("a step without a `urn`".into()))?;
        let change = Change {
            address: urn.to_string(),
            action: action(op),
            raw: op.to_string(),
        };
        // A replacement is several steps for one resource: keep the strongest.
        match out.iter_mut().find(|c| c.address == change.address) {
            Some(c) if change.action > c.action => *c = change,
            Some(_) => {}
            None => out.push(change),
        }
    }
    Ok(out)
}

fn action(op: &str) -> Action {
    match op {
        "same" => Action::NoOp,
        "read" | "refresh" | "read-replacement" | "discard" | "discard-replaced" => Action::Read,
        "create" | "import" => Action::Create,
        "update" => Action::Update,
        "delete" => Action::Delete,
        "replace" | "create-replacement" | "delete-replaced" | "import-replacement" => {
            Action::Replace
        }
        "remove-pending-replace" => Action::Forget,
        _ => Action::Unknown,
    }
}
