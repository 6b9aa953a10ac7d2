//! Decisions from the plan, not only the arguments. For an apply whose effect the command
//! line does not show (`terraform apply PLANFILE`, `pulumi up`, `aws cloudformation
//! execute-change-set`), guard runs the tool's own read-only command (`terraform show
//! -json`, `pulumi preview --json`, `aws cloudformation describe-change-set`) and decides
//! from what will be destroyed or recreated:
//!
//! - a delete or a replacement makes the command two-person, naming every resource;
//! - a removal from state without destroying (`forget`) is at least confirm;
//! - an action guard does not know is at least confirm;
//! - a plan that only creates, updates or reads passes, superseding the argument rules
//!   that only say "the effect is unknown" (`plan_supersedes` in a rule).
//!
//! Failure is never permission: a plan that cannot be read (the tool is missing, fails,
//! times out, or prints JSON guard does not understand) leaves the argument rules in
//! place and adds a confirm-level finding that says why.
//!
//! The tool runs through [`Runner`], so everything here but the runner is pure; the
//! real runner is `exec::capture` with the configured time bound.

mod cloudformation;
pub mod process;
mod pulumi;
mod terraform;

use crate::decision::Decision;
use crate::finding::Finding;
use crate::matcher::RuleSet;
use crate::shell::{Command, Script};
use std::ffi::OsString;
use std::path::PathBuf;

/// Finding ids of the plan stage.
pub mod ids {
    pub const DESTROYS: &str = "plan.destroys";
    pub const FORGETS: &str = "plan.forgets";
    pub const UNKNOWN_ACTION: &str = "plan.unknown-action";
    pub const UNREADABLE: &str = "plan.unreadable";
    pub const UNPINNED: &str = "plan.unpinned";
}

/// Why a plan could not be read. Every one leaves the argument rules in place, raised to
/// at least confirm with the reason: failure is never permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// guard does not run the tool here (a path, other commands first, terragrunt).
    #[error("{0}")]
    NotRun(String),
    /// The tool could not start, failed or ran out of time.
    #[error("{0}")]
    Tool(String),
    /// What it printed is not a plan guard understands.
    #[error("{0}")]
    Format(String),
    /// A plan file could not be read, copied or kept.
    #[error("{0}")]
    File(String),
}

/// What a plan does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    NoOp,
    Read,
    Create,
    Update,
    /// Removed from state, left running.
    Forget,
    /// An action guard does not know.
    Unknown,
    Delete,
    /// Destroyed and created again (in either order).
    Replace,
}

impl Action {
    fn word(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Forget => "forget",
            Action::Unknown => "unknown action",
            Action::Delete => "delete",
            Action::Replace => "replace",
        }
    }
}

/// One resource's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub address: String,
    pub action: Action,
    /// The tool's own words for the action, when guard does not know them.
    pub raw: String,
}

/// A plan, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// What identifies this exact plan: a new plan needs a new approval.
    pub digest: String,
}

/// Whether the plan stage may only read, or may also make a plan first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `guard check` and the hooks: only read-only commands run.
    Check,
    /// `guard -- ...`: with `plan_first` (`[plans]`), an apply without a plan file is
    /// planned first.
    Run { plan_first: bool },
}

/// Runs the tools' read-only commands.
pub trait Runner {
    /// Runs `argv`, with `env` added to its environment (the command's own `NAME=value`
    /// words: the profile or stack they select is the one the plan must come from), and
    /// returns its standard output, or why it failed.
    fn capture(&self, argv: &[OsString], env: &[(String, String)]) -> Result<Vec<u8>, Unreadable>;
    /// Reads a file (a saved plan, to hash it).
    fn read(&self, path: &std::path::Path) -> Result<Vec<u8>, Unreadable>;
    /// A fresh path to save a plan to (plan_first), in a directory only this user reads.
    fn plan_path(&self) -> Result<PathBuf, Unreadable>;
    /// Saves `bytes` as `name` in that directory; returns the path.
    fn save(&self, bytes: &[u8], name: &str) -> Result<PathBuf, Unreadable>;
    /// Holds `bytes` where nobody can change them, and returns a path that opens them in
    /// guard and in every child it starts (a sealed memory file, `/dev/fd/N`): what was
    /// read is what is applied.
    fn hold(&self, bytes: &[u8], name: &str) -> Result<PathBuf, Unreadable>;
}

/// What a tool's reader may do for one command.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// The command is the whole argv guard was given (no wrapper, no assignment), in a
    /// run: guard may rewrite it to apply a copy of the plan it read.
    whole: bool,
    /// And `[plans] plan_first` is on.
    plan_first: bool,
}

impl Scope {
    /// Only find out whether the command has a plan: nothing runs, nothing is written.
    const DRY: Scope = Scope {
        whole: false,
        plan_first: false,
    };
}

/// How a tool's plan is read for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reader {
    /// The read-only command that prints the plan.
    argv: Vec<OsString>,
    /// The variables the command sets for itself, given to the read-only command too.
    env: Vec<(String, String)>,
    /// The saved plan file, whose content hash is the digest.
    file: Option<PathBuf>,
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Terraform,
    Pulumi,
    CloudFormation,
}

/// What the plan stage made of an input.
#[derive(Debug, Default)]
pub struct Refined {
    pub findings: Vec<Finding>,
    /// The digests of the plans read, joined: bound into an approval.
    pub digest: Option<String>,
    /// The argv to run instead: the apply of guard's copy of a plan file, or with
    /// plan_first the apply of the plan (or change set) guard made.
    pub exec: Option<Vec<OsString>>,
    /// What an approval binds when it is not the command as given: with plan_first, the
    /// apply of the saved plan (which the person runs once it is approved).
    pub subject: Option<Vec<OsString>>,
    /// What making the plan printed (plan_first), for the person to read first.
    pub plan_text: Vec<u8>,
    /// What the plans destroy or recreate, by address (`aws_db_instance.main (replace)`).
    pub resources: Vec<String>,
    /// Copies of plan files guard applies instead of the originals: removed once the
    /// run ends. (A plan_first plan is removed once applied, and kept when the run is
    /// refused, for the person to apply once approved.)
    pub saved: Vec<PathBuf>,
}

/// Reads the plans the input's commands would apply and adjusts the findings.
///
/// `argv` is the input when it was an argv (`guard -- ...`), which a run may rewrite.
/// A plan is trusted only when its apply is the only command in the input: anything
/// that runs before it (`terraform plan -destroy -out=p && terraform apply p`, a `cd`)
/// could make or change the plan after guard read it.
pub fn refine(
    script: &Script,
    findings: Vec<Finding>,
    set: &RuleSet,
    mode: Mode,
    argv: Option<&[OsString]>,
    env: &dyn Fn(&str) -> Option<String>,
    runner: &dyn Runner,
) -> Refined {
    let mut out = Refined {
        findings,
        ..Refined::default()
    };
    let mut digests = Vec::new();
    let single = script.commands.len() == 1;
    for cmd in script.commands.iter().filter(|c| !c.dynamic_program) {
        let Some(program) = cmd.program() else {
            continue;
        };
        let Some(grammar) = set.grammar(program) else {
            continue;
        };
        // The whole argv guard was given (a check of it too): a run applies what guard
        // read. Otherwise a plan file read in place can change before the tool reads it.
        let pinned = single && argv.is_some_and(|a| is_whole(a, cmd));
        let whole = matches!(mode, Mode::Run { .. }) && pinned;
        let scope = Scope {
            whole,
            plan_first: whole && matches!(mode, Mode::Run { plan_first: true }),
        };
        // The tools are run by name from PATH, never from a path the input names, and
        // only when nothing else in the input runs first.
        let guard_ok = if cmd.argv[0].contains('/') {
            Err(Unreadable::NotRun(format!(
                "guard runs plan tools only by name, found on PATH (`{}` is a path)",
                cmd.argv[0]
            )))
        } else if !single {
            Err(Unreadable::NotRun("other commands in the same input could make or change the plan before it is applied; guard reads a plan only when the apply is the whole command".to_string()))
        } else {
            Ok(())
        };
        let reader = match &guard_ok {
            Ok(()) => tool_reader(cmd, &grammar, scope, env, runner, &mut out),
            // Whether the command would have a plan at all; nothing runs in this scope.
            Err(why) => tool_reader(cmd, &grammar, Scope::DRY, env, runner, &mut out)
                .map(|_| Err(why.clone())),
        };
        let reader = match reader {
            None => continue,
            Some(Err(why)) => {
                out.findings.push(unreadable(cmd, None, &why));
                continue;
            }
            Some(Ok(r)) => r,
        };
        match read(&reader, runner) {
            Ok(plan) => {
                digests.push(plan.digest.clone());
                out.resources.extend(
                    plan.changes
                        .iter()
                        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
                        .map(|c| format!("{} ({})", c.address, c.action.word())),
                );
                supersede(&mut out.findings, cmd, set);
                out.findings.extend(plan_findings(cmd, &plan, &reader));
                if reader.file.is_some() && !pinned {
                    out.findings.push(unpinned(cmd));
                }
            }
            Err(why) => out.findings.push(unreadable(cmd, Some(&reader), &why)),
        }
    }
    if !digests.is_empty() {
        out.digest = Some(digests.join(" "));
    }
    out
}

/// The plan, read and hashed.
fn read(reader: &Reader, runner: &dyn Runner) -> Result<Plan, Unreadable> {
    let stdout = runner.capture(&reader.argv, &reader.env)?;
    let changes = match reader.format {
        Format::Terraform => terraform::changes(&stdout)?,
        Format::Pulumi => pulumi::changes(&stdout)?,
        Format::CloudFormation => cloudformation::changes(&stdout)?,
    };
    let digest = match &reader.file {
        Some(path) => sha256(&runner.read(path)?),
        None => sha256(canonical(&changes).as_bytes()),
    };
    Ok(Plan { changes, digest })
}

/// The changes in a stable text form, for a digest when there is no plan file.
fn canonical(changes: &[Change]) -> String {
    let mut lines: Vec<String> = changes
        .iter()
        .map(|c| format!("{}\t{}\t{}", c.address, c.action.word(), c.raw))
        .collect();
    lines.sort();
    lines.join("\n")
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Drops the command's findings whose rule only says the effect is unknown.
fn supersede(findings: &mut Vec<Finding>, cmd: &Command, set: &RuleSet) {
    let shown = cmd.to_string();
    findings.retain(|f| {
        !(f.command == shown
            && f.origin == cmd.origin
            && set.rule(&f.rule).is_some_and(|r| r.spec.plan_supersedes))
    });
}

fn shown_argv(argv: &[OsString]) -> String {
    Command::from_argv(argv).to_string()
}

/// The findings a plan gives.
fn plan_findings(cmd: &Command, plan: &Plan, reader: &Reader) -> Vec<Finding> {
    let source = shown_argv(&reader.argv);
    let list = |pick: &dyn Fn(Action) -> bool| -> Vec<String> {
        plan.changes
            .iter()
            .filter(|c| pick(c.action))
            .map(|c| match c.action {
                Action::Unknown => format!("{} ({})", c.address, c.raw),
                a => format!("{} ({})", c.address, a.word()),
            })
            .collect()
    };
    let mut out = Vec::new();
    let destroyed = list(&|a| matches!(a, Action::Delete | Action::Replace));
    if !destroyed.is_empty() {
        let deletes = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .count();
        let replaces = destroyed.len() - deletes;
        out.push(finding(
            cmd,
            ids::DESTROYS,
            Decision::TwoPerson,
            format!(
                "the plan destroys {deletes} and recreates {replaces} resource(s), their data with them: {}",
                destroyed.join(", ")
            ),
            format!("review the plan (`{source}`) and have a second person approve this exact plan"),
        ));
    }
    let forgotten = list(&|a| a == Action::Forget);
    if !forgotten.is_empty() {
        out.push(finding(
            cmd,
            ids::FORGETS,
            Decision::Confirm,
            format!(
                "the plan removes resource(s) from the state without destroying them (nothing manages them afterwards): {}",
                forgotten.join(", ")
            ),
            "check that something else will manage them".into(),
        ));
    }
    let unknown = list(&|a| a == Action::Unknown);
    if !unknown.is_empty() {
        out.push(finding(
            cmd,
            ids::UNKNOWN_ACTION,
            Decision::Confirm,
            format!(
                "the plan has actions guard does not know: {}",
                unknown.join(", ")
            ),
            format!("review the plan (`{source}`) yourself"),
        ));
    }
    out
}

/// The reader for a command of a tool guard reads plans of.
fn tool_reader(
    cmd: &Command,
    grammar: &crate::matcher::args::Grammar,
    scope: Scope,
    env: &dyn Fn(&str) -> Option<String>,
    runner: &dyn Runner,
    out: &mut Refined,
) -> Option<Result<Reader, Unreadable>> {
    match grammar.name.as_str() {
        "terraform" => terraform::reader(cmd, grammar, scope, env, runner, out),
        "terragrunt" => terraform::terragrunt(cmd, grammar),
        "pulumi" => pulumi::reader(cmd, grammar).map(Ok),
        "aws" => cloudformation::reader(cmd, grammar, scope, runner, out),
        _ => None,
    }
}

/// A plan file read where it lies, for a command guard does not run itself: it can
/// change between guard's read and the tool's.
fn unpinned(cmd: &Command) -> Finding {
    let argv: Vec<String> = cmd.argv.iter().map(|w| crate::shell::quote(w)).collect();
    finding(
        cmd,
        ids::UNPINNED,
        Decision::Confirm,
        "guard read the plan file, but it can change before the apply reads it: only `guard -- ...` applies the copy guard read".into(),
        format!("run it as `guard -- {}`", argv.join(" ")),
    )
}

/// Whether `cmd` is exactly the argv guard was given.
fn is_whole(argv: &[OsString], cmd: &Command) -> bool {
    cmd.assignments.is_empty()
        && argv.len() == cmd.argv.len()
        && argv
            .iter()
            .zip(&cmd.argv)
            .all(|(a, b)| a.to_str() == Some(b.as_str()))
}

fn unreadable(cmd: &Command, reader: Option<&Reader>, why: &Unreadable) -> Finding {
    let source = reader.map_or_else(String::new, |r| format!("`{}`: ", shown_argv(&r.argv)));
    finding(
        cmd,
        ids::UNREADABLE,
        Decision::Confirm,
        format!(
            "guard could not read the plan ({source}{why}), so it cannot tell what will be destroyed; deciding from the arguments, at least confirm"
        ),
        "make the plan readable (the tool on PATH, initialised, the plan file present), or review it yourself".into(),
    )
}

fn finding(
    cmd: &Command,
    id: &str,
    severity: Decision,
    reason: String,
    suggestion: String,
) -> Finding {
    Finding {
        rule: id.to_string(),
        severity,
        rule_severity: severity,
        reason,
        suggestion: Some(suggestion),
        command: cmd.to_string(),
        origin: cmd.origin.clone(),
        target: None,
        protected_environment: None,
        via_env: None,
        argv: cmd.argv.clone(),
    }
}

/// Splits a command's arguments (after the program) into option words and
/// positionals, keeping each option's separate value with it.
fn split_args(grammar: &crate::matcher::args::Grammar, args: &[String]) -> Vec<Arg> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while i < args.len() {
        let w = &args[i];
        if options_done || !w.starts_with('-') || w == "-" {
            out.push(Arg::Positional(w.clone()));
        } else if w == "--" {
            options_done = true;
            out.push(Arg::Option(vec![w.clone()]));
        } else {
            let name = w.split_once('=').map_or(w.as_str(), |(n, _)| n);
            if !w.contains('=') && grammar.takes_next(name, args.get(i + 1).map(String::as_str)) {
                out.push(Arg::Option(vec![w.clone(), args[i + 1].clone()]));
                i += 1;
            } else {
                out.push(Arg::Option(vec![w.clone()]));
            }
        }
        i += 1;
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    /// An option word, with its value word when written separately.
    Option(Vec<String>),
    Positional(String),
}

impl Arg {
    fn name(&self) -> Option<&str> {
        match self {
            Arg::Option(words) => words
                .first()
                .map(|w| w.split_once('=').map_or(w.as_str(), |(n, _)| n)),
            Arg::Positional(_) => None,
        }
    }

    fn value(&self) -> Option<&str> {
        match self {
            Arg::Option(words) => match words.as_slice() {
                [w] => w.split_once('=').map(|(_, v)| v),
                [_, v] => Some(v.as_str()),
                _ => None,
            },
            Arg::Positional(_) => None,
        }
    }

    fn words(&self) -> Vec<String> {
        match self {
            Arg::Option(w) => w.clone(),
            Arg::Positional(p) => vec![p.clone()],
        }
    }
}

fn os(words: impl IntoIterator<Item = String>) -> Vec<OsString> {
    words.into_iter().map(OsString::from).collect()
}

#[cfg(test)]
mod tests;
