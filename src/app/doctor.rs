//! `guard doctor`: checks the setup end to end and says what to fix, a line each:
//! OK, WARN or FAIL. Exit status 1 when anything FAILs.
//!
//! What it checks: every config layer (found, valid) and the rules they build; the
//! approvers file (present, readable, not writable by the one who would be approved);
//! the approvals ledger and the audit log (writable; the log's hash chain intact);
//! for each guarded program on PATH, whether the first one found is a shim; and for
//! each agent hook installed, that it is enabled and that a simulated hook call of
//! `terraform destroy` is refused through the installed command itself.

use super::install::{self, settings_path};
use crate::agents::{Agent, Hook};
use crate::cli::GlobalArgs;
use crate::config::build;
use crate::config::layers::{self as load, LayerKind, LoadOptions};
use crate::error::Error;
use crate::matcher::RuleSet;
use crate::settings::Settings;
use crate::store::files::Files;
use crate::style::{Colour, paint};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Ok,
    Warn,
    Fail,
}

struct Report {
    colour: bool,
    worst: Status,
}

impl Report {
    fn line(&mut self, status: Status, area: &str, message: impl AsRef<str>) {
        let (word, colour) = match status {
            Status::Ok => ("OK", Colour::Green),
            Status::Warn => ("WARN", Colour::Yellow),
            Status::Fail => ("FAIL", Colour::Red),
        };
        self.worst = self.worst.max(status);
        let word = paint(&format!("{word:<4}"), colour, self.colour);
        let message = crate::sanitize::sanitize(message.as_ref());
        println!("{word}  {area:<9} {message}");
    }
}

pub fn run(global: &GlobalArgs) -> Result<i32, Error> {
    let mut r = Report {
        colour: crate::style::stdout_colour(),
        worst: Status::Ok,
    };
    let exe = std::env::current_exe().map_or_else(|_| "guard".into(), |p| p.display().to_string());
    r.line(
        Status::Ok,
        "guard",
        format!("{} {exe}", env!("CARGO_PKG_VERSION")),
    );
    if let Some((set, settings)) = config(&mut r, global) {
        let files = Files::new(&settings);
        approvals(&mut r, &settings.approvals, &files);
        audit(&mut r, &files, &settings);
        breaker(&mut r, &settings.breaker, &files);
        shims(&mut r, &set);
    }
    for agent in crate::agents::ALL {
        if let Some(hook) = &agent.hook {
            hooks(&mut r, agent, hook);
        }
    }
    Ok(i32::from(r.worst == Status::Fail))
}

/// The config layers, one line each, then the rules they build.
fn config(r: &mut Report, global: &GlobalArgs) -> Option<(RuleSet, Settings)> {
    let opts = LoadOptions::standard(global.config.clone());
    let project = opts.cwd.as_deref().and_then(load::find_project_file);
    let layers = [
        (LayerKind::System, opts.system.clone(), false),
        (LayerKind::User, opts.user.clone(), false),
        (LayerKind::Project, project, false),
        (LayerKind::Explicit, opts.explicit.clone(), true),
    ];
    let mut broken = false;
    for (kind, path, required) in layers {
        let name = kind.as_str();
        let Some(path) = path else {
            if kind != LayerKind::Explicit {
                r.line(Status::Ok, "config", format!("{name}: none"));
            }
            continue;
        };
        if !path.exists() && !required {
            r.line(
                Status::Ok,
                "config",
                format!("{name}: {} (not present)", path.display()),
            );
            continue;
        }
        match load::read_layer(kind, &path) {
            Ok(_) => r.line(Status::Ok, "config", format!("{name}: {}", path.display())),
            Err(e) => {
                broken = true;
                r.line(Status::Fail, "config", format!("{name}: {e}"));
            }
        }
    }
    if broken {
        r.line(
            Status::Fail,
            "rules",
            "not built: fix the config above (every guarded command is refused until then)",
        );
        return None;
    }
    let built = load::read_layers(&opts).and_then(|layers| {
        let (set, mut warnings) = build::build(&layers, None)?;
        let (settings, more) = crate::config::settings(&layers)?;
        warnings.extend(more);
        Ok((set, settings, warnings))
    });
    match built {
        Ok((set, settings, warnings)) => {
            for w in warnings {
                r.line(Status::Warn, "config", w);
            }
            r.line(
                Status::Ok,
                "rules",
                format!(
                    "{} rules for {} programs",
                    set.rules().len(),
                    set.tools().len()
                ),
            );
            Some((set, settings))
        }
        Err(e) => {
            r.line(Status::Fail, "rules", e.to_string());
            None
        }
    }
}

fn approvals(r: &mut Report, a: &crate::settings::Approvals, files: &Files) {
    let Some(path) = &a.allowed_signers else {
        r.line(
            Status::Warn,
            "approvals",
            "no approvers file ([approvals] allowed_signers in the user or system config): two-person commands can never run",
        );
        return;
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            r.line(
                Status::Fail,
                "approvals",
                format!("cannot read the approvers file {}: {e}", path.display()),
            );
            return;
        }
    };
    match crate::approval::signers::parse(&text) {
        Ok(signers) if signers.is_empty() => r.line(
            Status::Warn,
            "approvals",
            format!(
                "{} names no approver: two-person commands can never run",
                path.display()
            ),
        ),
        Ok(signers) => r.line(
            Status::Ok,
            "approvals",
            format!("{}: {} approver key(s)", path.display(), signers.len()),
        ),
        Err(e) => r.line(
            Status::Fail,
            "approvals",
            format!("the approvers file {} is wrong at {e}", path.display()),
        ),
    }
    if let Some(p) = writable_by_me(path) {
        let root = nix::unistd::geteuid().is_root();
        if root {
            r.line(
                Status::Warn,
                "approvals",
                format!(
                    "{} is writable by you because you are root: the approvers file guards against other accounts, not root",
                    p.display()
                ),
            );
        } else {
            r.line(
                Status::Fail,
                "approvals",
                format!(
                    "{} is writable by you, so you could add your own key as an approver: make it and its directory owned by root and not writable by you",
                    p.display()
                ),
            );
        }
    }
    match files.ledger_path() {
        Ok(ledger) => can_write(r, "approvals", "the one-time ledger", ledger),
        Err(e) => r.line(Status::Fail, "approvals", e.to_string()),
    }
}

/// The approvers file or its directory, if the current user can write either.
fn writable_by_me(path: &Path) -> Option<PathBuf> {
    use nix::unistd::{AccessFlags, access};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    [path, dir]
        .into_iter()
        .find(|p| access(*p, AccessFlags::W_OK).is_ok())
        .map(Path::to_path_buf)
}

/// Whether a file guard appends to can be written (or created) by this user.
fn can_write(r: &mut Report, area: &str, what: &str, path: &Path) {
    use nix::unistd::{AccessFlags, access};
    let target = path
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    if access(target, AccessFlags::W_OK).is_ok() {
        r.line(
            Status::Ok,
            area,
            format!("{what} {} is writable", path.display()),
        );
    } else {
        r.line(
            Status::Fail,
            area,
            format!(
                "{what} {} cannot be written ({} is not writable): commands that need it are refused",
                path.display(),
                target.display()
            ),
        );
    }
}

fn audit(r: &mut Report, files: &Files, settings: &Settings) {
    let path = match files.audit_path() {
        Ok(p) => p,
        Err(e) => {
            r.line(Status::Fail, "audit", e.to_string());
            return;
        }
    };
    can_write(r, "audit", "the audit log", path);
    match std::fs::read_to_string(path) {
        Ok(text) => match crate::audit::verify::verify(&text) {
            Ok(s) => r.line(
                Status::Ok,
                "audit",
                format!("{} records, hash chain intact", s.records),
            ),
            Err(b) => r.line(
                Status::Fail,
                "audit",
                format!(
                    "{}:{}: the hash chain is broken: {} (see guard log verify)",
                    path.display(),
                    b.line,
                    b.what
                ),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => r.line(
            Status::Fail,
            "audit",
            format!("cannot read {}: {e}", path.display()),
        ),
    }
    let socket = settings.audit.syslog.then(|| {
        settings
            .audit
            .syslog_socket
            .clone()
            .unwrap_or_else(|| PathBuf::from("/dev/log"))
    });
    if let Some(socket) = &socket {
        if socket.exists() {
            r.line(
                Status::Ok,
                "audit",
                format!("records also go to syslog at {}", socket.display()),
            );
        } else {
            r.line(
                Status::Warn,
                "audit",
                format!(
                    "syslog forwarding is on but {} does not exist",
                    socket.display()
                ),
            );
        }
    }
}

fn breaker(r: &mut Report, limits: &crate::breaker::Limits, files: &Files) {
    if !limits.enabled {
        r.line(
            Status::Warn,
            "breaker",
            "the circuit breaker is off ([breaker] enabled = false)",
        );
        return;
    }
    let state = match crate::store::with_breaker(files, limits, |s| s.clone()) {
        Ok(s) => s,
        Err(why) => {
            r.line(Status::Fail, "breaker", why.to_string());
            return;
        }
    };
    let open: Vec<String> = state
        .all
        .iter()
        .map(|o| format!("everyone since {}: {}", crate::time::rfc3339(o.at), o.why))
        .chain(state.keys.iter().filter_map(|(k, v)| {
            v.opened
                .as_ref()
                .map(|o| format!("{k} since {}: {}", crate::time::rfc3339(o.at), o.why))
        }))
        .collect();
    if open.is_empty() {
        r.line(
            Status::Ok,
            "breaker",
            format!(
                "closed (opens at more than {} refused or {} destructive commands within {})",
                limits.max_refusals,
                limits.max_destructive,
                crate::time::duration(limits.window)
            ),
        );
    }
    for o in open {
        r.line(
            Status::Warn,
            "breaker",
            format!("open for {o}: a person resets it with `guard breaker reset`"),
        );
    }
}

fn shims(r: &mut Report, set: &RuleSet) {
    use crate::exec::{FirstOnPath, first_on_path};
    let mut shimmed = Vec::new();
    let mut direct = Vec::new();
    for tool in set.tools() {
        match first_on_path(tool) {
            FirstOnPath::Shim(p) => shimmed.push((tool, p)),
            FirstOnPath::Program(p) => direct.push((tool, p)),
            FirstOnPath::Missing => {}
        }
    }
    if shimmed.is_empty() {
        if !direct.is_empty() {
            let names: Vec<&str> = direct.iter().map(|(t, _)| *t).collect();
            r.line(
                Status::Warn,
                "shims",
                format!(
                    "no guarded program on PATH is shimmed ({}): a terminal runs them without guard; `guard shim install` and put the shim directory first on PATH",
                    names.join(" ")
                ),
            );
        }
        return;
    }
    for (tool, p) in shimmed {
        r.line(
            Status::Ok,
            "shims",
            format!("{tool}: the shim {} comes first on PATH", p.display()),
        );
    }
    for (tool, p) in direct {
        r.line(
            Status::Warn,
            "shims",
            format!(
                "{tool}: {} comes first on PATH, not a shim: `guard shim install {tool}`",
                p.display()
            ),
        );
    }
}

fn hooks(r: &mut Report, agent: &Agent, hook: &Hook) {
    let name = agent.name;
    let mut any_settings = false;
    for project in [false, true] {
        let Ok(path) = settings_path(hook, project) else {
            continue;
        };
        if !path.exists() {
            continue;
        }
        any_settings = true;
        let value = match install::read(&path) {
            Ok((_, v)) => v,
            Err(e) => {
                r.line(Status::Fail, "hooks", format!("{name}: {e}"));
                continue;
            }
        };
        let commands: Vec<String> = value
            .pointer(&format!("/hooks/{}", hook.event))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|e| install::is_guard(agent, e))
            .flat_map(|e| e["hooks"].as_array().cloned().unwrap_or_default())
            .filter_map(|h| h["command"].as_str().map(str::to_string))
            .filter(|c| c.contains(&install::mark(agent)))
            .collect();
        if commands.is_empty() {
            r.line(
                Status::Warn,
                "hooks",
                format!(
                    "{name}: {} has no guard hook: `guard install {name}{}`",
                    path.display(),
                    if project { " --project" } else { "" }
                ),
            );
            continue;
        }
        if let Some(why) = (hook.hooks_off)(&value, &path) {
            r.line(
                Status::Fail,
                "hooks",
                format!("{name}: {}: {why}", path.display()),
            );
            continue;
        }
        for command in commands {
            match simulate(agent, hook, &command) {
                Ok(()) => r.line(
                    Status::Ok,
                    "hooks",
                    format!(
                        "{name}: {} refuses a simulated `terraform destroy`",
                        path.display()
                    ),
                ),
                Err(why) => r.line(
                    Status::Fail,
                    "hooks",
                    format!("{name}: {}: `{command}` {why}", path.display()),
                ),
            }
        }
    }
    // The agent is set up here but guard's hook is nowhere.
    let home_dir = settings_path(hook, false)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    if !any_settings && home_dir.is_some_and(|d| d.is_dir()) {
        r.line(
            Status::Warn,
            "hooks",
            format!(
                "{name} is set up here but guard's hook is not installed: `guard install {name}`"
            ),
        );
    }
}

/// Runs an installed hook command as the agent would, on a `terraform destroy` call,
/// and checks that it is refused.
fn simulate(agent: &Agent, hook: &Hook, command: &str) -> Result<(), String> {
    use std::process::Stdio;
    // Only guard's own hook command is run: a settings file (a project's, say) could
    // name anything, and doctor must not run it.
    let words =
        crate::shell::split_words(command).map_err(|e| format!("cannot be read ({e}); not run"))?;
    let name = agent.name;
    let exe = match words.argv.as_slice() {
        [exe, hook, a] if hook == "hook" && a == name && words.assignments.is_empty() => exe,
        _ => return Err("is not `GUARD hook AGENT`: the hook does not run guard, so it protects nothing; not run".into()),
    };
    let path = crate::exec::resolve(
        std::ffi::OsStr::new(exe),
        std::env::var_os("PATH").as_deref(),
    )
    .map_err(|e| format!("cannot run guard: {e}"))?;
    let ours = std::fs::metadata(&path).is_ok_and(|m| crate::binary::is_guard_binary(&m));
    if !ours {
        return Err(format!(
            "runs {}, which is not this guard ({}); not simulated",
            path.display(),
            std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ));
    }
    let payload = hook.sample("terraform destroy -auto-approve");
    let file = crate::exec::input_file(payload.to_string().as_bytes())
        .map_err(|e| format!("cannot be simulated: {e}"))?;
    // The simulation's refusal must not count on the person's circuit breaker.
    let state = std::env::temp_dir().join(format!(
        "guard-doctor-{}",
        crate::hex::random_id().unwrap_or_default()
    ));
    let out = crate::exec::command(&path)
        .args(["hook", name])
        .env("XDG_STATE_HOME", &state)
        .stdin(Stdio::from(file))
        .output()
        .map_err(|e| format!("cannot be started: {e}"));
    let _ = std::fs::remove_dir_all(&state);
    let out = out?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) if hook.is_denial(&stdout) => Ok(()),
        Some(0) => Err(format!(
            "let a simulated `terraform destroy` through (answered {:?})",
            stdout.trim()
        )),
        Some(2) => Err(format!(
            "blocks every call, not only destructive ones: {}",
            stderr.lines().next().unwrap_or_default()
        )),
        _ => Err(format!(
            "failed ({}), and the agent would let the call through: {}",
            out.status,
            stderr.lines().next().unwrap_or_default()
        )),
    }
}
