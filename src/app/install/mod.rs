//! `guard install` / `guard uninstall`: puts guard's hook into an agent's settings file
//! and takes it out again. Install is idempotent, keeps every other setting (and their
//! order), and backs the file up first; uninstall restores the backup byte for byte when
//! the file is as install left it, and otherwise removes only guard's entry.
//!
//! The hook it writes holds: it names guard by a stable path (the protected install's
//! binary, or the `guard` on PATH — never a build tree that `cargo clean` removes), runs
//! it through a wrapper that turns any failure but guard's own answer into exit 2 (a
//! missing or broken guard blocks the call; every agent lets a call through on any
//! other failure), and gives the agent a timeout longer than guard's own bound. With
//! `--system` (as root) it goes into the agent's system-wide settings, which the user
//! cannot edit and the agent treats as managed. For Codex, whose user hooks run only once
//! trusted, install records the trust the way Codex's own /hooks panel does.
//!
//! Where each agent reads its hooks (see `hook.rs` for the protocol documents):
//! Claude Code `.claude/settings.json` (`hooks.PreToolUse`), Codex `.codex/hooks.json`
//! (`hooks.PreToolUse`, user file under `$CODEX_HOME` when set), Gemini CLI
//! `.gemini/settings.json` (`hooks.BeforeTool`); each under `~` for `--user` (the
//! default) or the working directory for `--project`.

pub mod codex;

use crate::agents::{Agent, Hook};
use crate::cli::InstallArgs;
use crate::error::Error;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The timeout guard's entry gives the agent: longer than guard's own bound, so guard
/// always answers (or blocks) first.
pub const AGENT_TIMEOUT_SECS: u64 = 60;

/// The agent named on the command line, with its hook.
fn agent_of(args: &InstallArgs) -> Result<(&'static Agent, &'static Hook), Error> {
    crate::agents::by_name(&args.agent)
        .and_then(|a| Some((a, a.hook.as_ref()?)))
        .ok_or_else(|| Error::Usage(format!("guard has no hook for `{}`", args.agent)))
}

/// What identifies guard's hook command for `agent`: `hook NAME`.
pub fn mark(agent: &Agent) -> String {
    format!("hook {}", agent.name)
}

/// The agent's settings file for these options: the system's, the project's, or the
/// user's.
fn target_path(hook: &Hook, args: &InstallArgs) -> Result<PathBuf, Error> {
    if args.system {
        if !nix::unistd::geteuid().is_root() {
            return Err(Error::Usage(
                "--system writes the agent's system-wide settings: run it as root".into(),
            ));
        }
        return Ok(PathBuf::from(hook.system_settings));
    }
    settings_path(hook, args.project)
}

/// The agent's settings file: the project's, or the user's.
pub fn settings_path(hook: &Hook, project: bool) -> Result<PathBuf, Error> {
    if project {
        let cwd = std::env::current_dir().map_err(|e| Error::Io {
            what: "no working directory".into(),
            source: e,
        })?;
        return Ok(cwd.join(hook.settings_file));
    }
    hook.user_settings(std::env::var_os("HOME").map(PathBuf::from))
        .ok_or_else(|| Error::Usage("HOME is not set".into()))
}

fn backup_of(path: &Path) -> PathBuf {
    path.with_extension("json.guard-backup")
}

pub fn read(path: &Path) -> Result<(String, Value), Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::Io {
                what: format!("cannot read {}", path.display()),
                source: e,
            });
        }
    };
    let value = if text.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(&text).map_err(|e| {
            Error::Usage(format!(
                "{} is not valid JSON ({e}); fix it first",
                path.display()
            ))
        })?
    };
    Ok((text, value))
}

/// Whether a hook entry is guard's (its command runs `guard hook AGENT`).
pub fn is_guard(agent: &Agent, entry: &Value) -> bool {
    let mark = mark(agent);
    entry["hooks"].as_array().is_some_and(|hs| {
        hs.iter()
            .any(|h| h["command"].as_str().is_some_and(|c| c.contains(&mark)))
    })
}

/// The shell code between the agent and guard: guard's own answer (0) and block (2)
/// pass through; anything else — guard missing (127), killed, crashed — becomes 2.
pub fn wrapper(agent: &Agent) -> String {
    format!(
        "\"$0\" {}; s=$?; [ \"$s\" -eq 0 ] || [ \"$s\" -eq 2 ] || {{ echo \"guard: the hook failed (status $s); the call is blocked\" >&2; s=2; }}; exit \"$s\"",
        mark(agent)
    )
}

/// The command the agent runs: `/bin/sh -c WRAPPER GUARD`.
pub fn hook_command(agent: &Agent, guard: &Path) -> String {
    format!(
        "/bin/sh -c {} {}",
        crate::shell::quote(&wrapper(agent)),
        crate::shell::quote(&guard.display().to_string())
    )
}

/// The guard binary a command names, if it is guard's own hook command: the wrapper
/// `guard install` writes, or the bare `GUARD hook AGENT` of older installs (`true`:
/// bare, which fails open when guard is missing).
pub fn guard_of(agent: &Agent, command: &str) -> Option<(String, bool)> {
    let words = crate::shell::split_words(command).ok()?;
    if !words.assignments.is_empty() {
        return None;
    }
    match words.argv.as_slice() {
        [sh, c, w, exe] if sh == "/bin/sh" && c == "-c" && *w == wrapper(agent) => {
            Some((exe.clone(), false))
        }
        [exe, h, a] if h == "hook" && a == agent.name => Some((exe.clone(), true)),
        _ => None,
    }
}

fn entry(agent: &Agent, hook: &Hook, guard: &Path) -> Value {
    let command = hook_command(agent, guard);
    let timeout = if hook.timeout_in_ms {
        AGENT_TIMEOUT_SECS * 1000
    } else {
        AGENT_TIMEOUT_SECS
    };
    let h = if hook.named_entry {
        json!({ "name": "guard", "type": "command", "command": command, "timeout": timeout })
    } else {
        json!({ "type": "command", "command": command, "timeout": timeout })
    };
    json!({ "matcher": hook.matcher, "hooks": [h] })
}

/// The guard a hook should name: `--guard`, the protected install, the `guard` on PATH,
/// or this binary when it is not a build tree. A build tree's binary is gone after
/// `cargo clean` and on a teammate's machine, and a hook naming it fails open.
fn stable_guard(args: &InstallArgs) -> Result<PathBuf, Error> {
    if let Some(g) = &args.guard {
        let path = std::path::absolute(g).map_err(|e| Error::Io {
            what: format!("--guard {}", g.display()),
            source: e,
        })?;
        if !path.is_file() {
            return Err(Error::Usage(format!(
                "--guard {}: no such file",
                path.display()
            )));
        }
        return Ok(path);
    }
    let me = std::fs::canonicalize("/proc/self/exe").map_err(|e| Error::Io {
        what: "cannot find guard's own binary".into(),
        source: e,
    })?;
    if crate::config::protected() {
        return Ok(me);
    }
    let on_path = crate::exec::on_path(
        std::ffi::OsStr::new("guard"),
        std::env::var_os("PATH").as_deref(),
    )
    .map(|(p, _)| p)
    .find(|p| !in_build_tree(p));
    if let Some(p) = on_path {
        return Ok(std::path::absolute(&p).unwrap_or(p));
    }
    if !in_build_tree(&me) {
        return Ok(me);
    }
    Err(Error::Usage(format!(
        "the hook would name {}, a build tree that `cargo clean` removes (and a hook whose guard is missing lets every call through): install guard first (`cargo install --locked --path .`, or `sudo guard setup`), or name it with --guard PATH",
        me.display()
    )))
}

/// Whether `path` is inside a cargo target directory: one that holds `CACHEDIR.TAG`
/// (which cargo writes only when it makes the directory itself) or a profile directory
/// with cargo's `.fingerprint`.
fn in_build_tree(path: &Path) -> bool {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    real.ancestors()
        .skip(1)
        .any(|d| d.join("CACHEDIR.TAG").is_file() || d.join(".fingerprint").is_dir())
}

pub fn install(args: &InstallArgs) -> Result<i32, Error> {
    let (agent, hook) = agent_of(args)?;
    let path = target_path(hook, args)?;
    let guard = stable_guard(args)?;
    let (text, mut value) = read(&path)?;
    let Some(root) = value.as_object_mut() else {
        return Err(Error::Usage(format!(
            "{} does not hold a JSON object",
            path.display()
        )));
    };
    let hooks = root.entry("hooks").or_insert_with(|| json!({}));
    let pre = hooks
        .as_object_mut()
        .ok_or_else(|| Error::Usage("`hooks` is not an object".into()))?
        .entry(hook.event)
        .or_insert_with(|| json!([]));
    let list = pre
        .as_array_mut()
        .ok_or_else(|| Error::Usage(format!("`hooks.{}` is not a list", hook.event)))?;
    if list.iter().any(|e| is_guard(agent, e)) {
        eprintln!(
            "guard: {} already has guard's hook; nothing to do",
            path.display()
        );
        return Ok(0);
    }
    let entry = entry(agent, hook, &guard);
    list.push(entry.clone());
    let new = serde_json::to_string_pretty(&value).map_err(|e| Error::Usage(e.to_string()))? + "\n";
    if args.dry_run {
        println!("{new}");
        eprintln!(
            "guard: dry run: {} would get the {} entry {entry}",
            path.display(),
            hook.event
        );
        return Ok(0);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            what: format!("cannot create {}", dir.display()),
            source: e,
        })?;
    }
    if !text.is_empty() {
        std::fs::write(backup_of(&path), &text).map_err(|e| Error::Io {
            what: format!("cannot back up {}", path.display()),
            source: e,
        })?;
    }
    std::fs::write(&path, &new).map_err(|e| Error::Io {
        what: format!("cannot write {}", path.display()),
        source: e,
    })?;
    eprintln!("guard: added to {}: {} {entry}", path.display(), hook.event);
    if !text.is_empty() {
        eprintln!(
            "guard: the previous file is at {}",
            backup_of(&path).display()
        );
    }
    // Codex skips a user hook it was not told to trust: record it, or say it is not done.
    if agent.name == "codex" && !args.system {
        return Ok(codex::trust(&path));
    }
    Ok(0)
}

pub fn uninstall(args: &InstallArgs) -> Result<i32, Error> {
    let (agent, hook) = agent_of(args)?;
    let path = target_path(hook, args)?;
    let (_, mut value) = read(&path)?;
    let backup = backup_of(&path);
    // Unchanged since install but for guard's entry: the backup is the file as it was,
    // byte for byte.
    if let Ok(before) = std::fs::read_to_string(&backup) {
        let (_, before_value) = read(&backup)?;
        let mut without = value.clone();
        remove_entries(agent, hook, &mut without);
        let mut was = before_value;
        remove_entries(agent, hook, &mut was);
        if pruned(without, hook) == pruned(was, hook) {
            if !args.dry_run {
                std::fs::write(&path, &before).map_err(|e| Error::Io {
                    what: format!("cannot write {}", path.display()),
                    source: e,
                })?;
                let _ = std::fs::remove_file(&backup);
            }
            eprintln!(
                "guard: restored {} from {}",
                path.display(),
                backup.display()
            );
            return Ok(0);
        }
    }
    let removed = remove_entries(agent, hook, &mut value);
    if removed == 0 {
        eprintln!("guard: {} has no guard hook; nothing to do", path.display());
        return Ok(0);
    }
    let new = serde_json::to_string_pretty(&value).map_err(|e| Error::Usage(e.to_string()))? + "\n";
    if args.dry_run {
        println!("{new}");
        return Ok(0);
    }
    std::fs::write(&path, new).map_err(|e| Error::Io {
        what: format!("cannot write {}", path.display()),
        source: e,
    })?;
    eprintln!("guard: removed guard's hook from {}", path.display());
    Ok(0)
}

/// Removes guard's entries; returns how many it removed.
fn remove_entries(agent: &Agent, hook: &Hook, value: &mut Value) -> usize {
    let Some(list) = value
        .pointer_mut(&format!("/hooks/{}", hook.event))
        .and_then(Value::as_array_mut)
    else {
        return 0;
    };
    let n = list.len();
    list.retain(|e| !is_guard(agent, e));
    n - list.len()
}

/// The settings without an empty hooks list or table (what install adds around its
/// entry), for telling whether a file is otherwise as it was.
fn pruned(mut value: Value, hook: &Hook) -> Value {
    let empty_list = value
        .pointer(&format!("/hooks/{}", hook.event))
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty);
    if let Some(hooks) = value.get_mut("hooks").and_then(Value::as_object_mut) {
        if empty_list {
            hooks.remove(hook.event);
        }
        if hooks.is_empty() {
            if let Some(root) = value.as_object_mut() {
                root.remove("hooks");
            }
        }
    }
    value
}
