//! `guard supervise -- PROGRAM ARGS...`: runs an agent (or anything) with every program
//! started anywhere in its process tree decided before it runs (the engine is
//! [`crate::supervise`]). A program is what it really is — its resolved executable, a
//! script by its own name, a renamed copy of a guarded program by its content — and is
//! decided with the same rules as `guard --`. Allowed programs continue at once;
//! anything above allow is held, stopped before its first instruction, while its
//! request waits in the inbox, and then runs or is ended. The human-only verbs are
//! refused inside the tree.

mod carry;
mod programs;

use crate::analysis::{self, Input};
use crate::approval::Subject;
use crate::cli::SuperviseArgs;
use crate::config::Invocation;
use crate::context::Context;
use crate::decision::Decision;
use crate::error::Error;
use crate::finding::Finding;
use crate::gate::{self, Case, Confirmation, Deps, Frontend, inbox};
use crate::matcher::RuleSet;
use crate::sanitize::sanitize;
use crate::store::Store;
use crate::supervise::{Decider, Exec, Options, Verdict};
use programs::Programs;
use std::collections::HashMap;
use std::ffi::OsString;
use std::time::{Duration, Instant};

/// The status a program ended in the tree exits with: guard's refusal.
const ENDED: u8 = 77;

use carry::OUT_OF_TREE;

/// guard's own subcommands and options that only a person may use.
const HUMAN_ONLY: &[&str] = &["approve", "setup", "install", "uninstall"];

pub fn run(inv: &Invocation, args: &SuperviseArgs) -> Result<i32, Error> {
    crate::supervise::available().map_err(|e| Error::Unavailable(e.to_string()))?;
    let (program, rest) = args.argv.split_first().ok_or_else(|| {
        Error::Usage("guard supervise needs a program: guard supervise -- claude".into())
    })?;
    let set = inv.rules(None)?;
    let programs = Programs::new(&set, OUT_OF_TREE);
    let wait = inv.wait.unwrap_or(inv.settings.supervise_wait);
    let mut d = Supervisor {
        inv,
        set,
        programs,
        store: None,
        held: HashMap::new(),
        wait: Duration::from_secs(wait),
        agent: format!(
            "guard supervise: {}",
            std::path::Path::new(program)
                .file_name()
                .map_or_else(|| program.to_string_lossy(), |n| n.to_string_lossy())
        ),
    };
    let opts = Options {
        poll_interval: Duration::from_millis(200),
        ..Options::default()
    };
    crate::supervise::supervise(program, rest, None, &opts, &mut d).map_err(|e| match e {
        crate::supervise::Error::Unavailable(u) => Error::Unavailable(u.to_string()),
        crate::supervise::Error::NotFound { program } => Error::NotFound { program },
        other => Error::Usage(other.to_string()),
    })
}

/// A command held at its exec until its approval arrives.
struct Held {
    argv: Vec<String>,
    shown: String,
    findings: Vec<Finding>,
    decision: Decision,
    id: String,
    until: Instant,
}

struct Supervisor<'a> {
    inv: &'a Invocation,
    set: RuleSet,
    programs: Programs,
    /// Opened on the first decision above allow: an allowed exec touches no state.
    store: Option<Box<dyn Store>>,
    held: HashMap<i32, Held>,
    wait: Duration,
    /// Who the tree's commands are on the record as.
    agent: String,
}

impl Decider for Supervisor<'_> {
    fn on_exec(&mut self, exec: &Exec) -> Verdict {
        let Some(argv) = self.programs.argv_of(exec) else {
            return Verdict::Continue;
        };
        if self.programs.is_guard(exec) {
            return human_only(&argv);
        }
        let (findings, decision) = self.decide(exec, &argv);
        if decision <= Decision::Warn {
            return Verdict::Continue;
        }
        let shown = crate::shell::Command::from_argv(&argv).to_string();
        let held = Held {
            argv,
            shown,
            findings,
            decision,
            id: String::new(),
            until: Instant::now() + self.wait,
        };
        self.first_look(exec.pid, held)
    }

    fn poll(&mut self, pid: i32) -> Option<Verdict> {
        let held = self.held.remove(&pid)?;
        let ready = self.approved(&held);
        if !ready && Instant::now() < held.until {
            self.held.insert(pid, held);
            return None;
        }
        Some(self.pass(&held, ready))
    }
}

impl Supervisor<'_> {
    /// The findings that count here, and the decision they make.
    fn decide(&self, exec: &Exec, argv: &[String]) -> (Vec<Finding>, Decision) {
        let input = Input::Argv(argv.iter().map(OsString::from).collect());
        let Ok(script) = input.read() else {
            return (Vec::new(), Decision::Allow);
        };
        let env = |name: &str| exec.env_var(name).map(|v| v.to_string_lossy().into_owned());
        // Plans and relative paths are read where the program runs.
        let here = std::env::current_dir().ok();
        let moved = std::env::set_current_dir(&exec.cwd).is_ok();
        let eval = analysis::evaluate(
            &input,
            &script,
            &self.set,
            crate::plan::Mode::Check,
            &env,
            &super::wiring::runner(self.inv),
        );
        if let (true, Some(here)) = (moved, here) {
            let _ = std::env::set_current_dir(here);
        }
        let mut findings: Vec<Finding> = eval.findings.into_iter().filter_map(counted).collect();
        let guarded = |p: &str| self.programs.is_guarded(p);
        for f in carry::findings(&script, &guarded) {
            if !findings.iter().any(|g| g.command == f.command) {
                findings.push(f);
            }
        }
        let decision = crate::policy::decide(&findings);
        (findings, decision)
    }

    /// The first look at a command above allow: passed now if its approval is already
    /// there, ended if it is denied or cannot wait, else held with its request posted.
    fn first_look(&mut self, pid: i32, mut held: Held) -> Verdict {
        if held.decision == Decision::Deny || self.approved(&held) {
            return self.pass(&held, true);
        }
        let posted = self.with_case(&held, inbox::request_for);
        match posted {
            Ok((req, true)) => {
                held.id = req.id();
                crate::supervise::tell(
                    pid,
                    &format!(
                        "guard: `{}` ({}) is held until it is approved: request {id}; an approver (or for a confirmation, the person this agent works for) runs `guard approve {id}` at their own terminal; waiting up to {}",
                        sanitize(&held.shown),
                        held.decision,
                        crate::time::ago(self.wait.as_secs()),
                        id = req.id(),
                    ),
                );
                self.held.insert(pid, held);
                Verdict::Hold
            }
            // No inbox to wait on: refused now, on the record.
            _ => self.pass(&held, false),
        }
    }

    /// Whether the approval (or the person's confirmation) is in the inbox.
    fn approved(&mut self, held: &Held) -> bool {
        self.with_case(held, |case, deps| {
            !inbox::approvals_for(case, deps).is_empty()
                || inbox::confirmation_for(case, deps).is_some()
        })
    }

    /// Passes the gate (on the record, the approval spent) or ends the program.
    fn pass(&mut self, held: &Held, ready: bool) -> Verdict {
        let wait = self.wait;
        let outcome = self.with_case(held, |case, deps| {
            let mut fe = Nobody;
            gate::pass(case, &mut fe, deps)
        });
        match outcome {
            Ok(_) => Verdict::Continue,
            Err(r) => {
                let why = r.message.lines().next().unwrap_or_default().to_string();
                let message = if ready || held.id.is_empty() {
                    format!("guard: refused: {why}")
                } else {
                    format!(
                        "guard: refused: `{}` was not approved within {} (request {}): it did not run",
                        sanitize(&held.shown),
                        crate::time::ago(wait.as_secs()),
                        held.id
                    )
                };
                Verdict::End {
                    message,
                    status: ENDED,
                }
            }
        }
    }

    /// Runs `f` with the gate's case and dependencies for a held command.
    fn with_case<T>(&mut self, held: &Held, f: impl FnOnce(&Case, &Deps) -> T) -> T {
        let inv = self.inv;
        let store: &dyn Store = &**self
            .store
            .get_or_insert_with(|| crate::store::open(&inv.settings));
        let principal = gate::requester(&inv.settings);
        let context = Context {
            agent: Some(self.agent.clone()),
            ci: inv.context.ci,
            non_interactive: true,
            run: inv.context.run.clone(),
        };
        let case = Case {
            subject: Subject::Argv(held.argv.clone()),
            shown: &held.shown,
            findings: &held.findings,
            decision: held.decision,
            plan: None,
            saved_plan: false,
            keys: gate::keys(Some(&self.agent), None, &principal),
            resources: Vec::new(),
            reason: None,
        };
        let notify = |n: gate::Notice| super::notify::send(&inv.settings.notify, &n);
        let deps = Deps {
            store,
            settings: &inv.settings,
            context: &context,
            tokens: Ok(Vec::new()),
            break_glass: None,
            quiet: true,
            notify: &notify,
            defer_spend: false,
        };
        f(&case, &deps)
    }
}

/// A finding counts at an exec when it is about the program itself, or about a command
/// it carries out of the tree (then at least confirm). A command it runs locally (`sudo
/// X`, `bash -c X`, `env X`, `xargs X`) is an exec of its own, decided when it comes.
fn counted(mut f: Finding) -> Option<Finding> {
    let carriers = carry::carriers(&f.origin);
    if carriers.is_empty() {
        return Some(f);
    }
    if carriers.iter().any(|c| OUT_OF_TREE.contains(c)) {
        f.severity = f.severity.max(Decision::Confirm);
        return Some(f);
    }
    None
}

/// guard itself, run inside the tree: what only a person may do is ended.
fn human_only(argv: &[String]) -> Verdict {
    let words: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    let verb = crate::shell::own::subcommand(&words);
    let refused = if words
        .iter()
        .any(|w| *w == "--break-glass" || w.starts_with("--break-glass="))
    {
        Some("--break-glass")
    } else {
        match verb {
            Some("approve") if words.contains(&"--list") => None,
            Some("breaker") if words.contains(&"reset") => Some("breaker reset"),
            Some(v) if HUMAN_ONLY.contains(&v) => Some(v),
            _ => None,
        }
    };
    match refused {
        Some(what) => Verdict::End {
            message: format!(
                "guard: refused: `guard {what}` is a person's, and this runs under guard supervise (an agent's tree): run it at your own terminal, outside the agent"
            ),
            status: ENDED,
        },
        None => Verdict::Continue,
    }
}

/// Nobody in a supervised tree can be asked.
struct Nobody;

impl Frontend for Nobody {
    fn can_ask(&self) -> Result<(), String> {
        Err("this runs under guard supervise, where nobody at the agent's terminal can confirm: the person confirms from their own terminal with guard approve ID".into())
    }

    fn confirm(&mut self, _: &str, _: &[Finding], _: &str) -> Confirmation {
        Confirmation::No
    }

    fn tell(&mut self, _: &str) {}

    fn at_terminal(&self) -> bool {
        false
    }
}
