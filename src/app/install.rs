//! `guard install` / `guard uninstall`: puts guard's hook into an agent's settings file
//! and takes it out again. Install is idempotent, keeps every other setting (and their
//! order), and backs the file up first; uninstall restores the backup byte for byte when
//! the file is as install left it, and otherwise removes only guard's entry.
//!
//! Where each agent reads its hooks (see `hook.rs` for the protocol documents):
//! Claude Code `.claude/settings.json` (`hooks.PreToolUse`), Codex `.codex/hooks.json`
//! (`hooks.PreToolUse`, user file under `$CODEX_HOME` when set), Gemini CLI
//! `.gemini/settings.json` (`hooks.BeforeTool`); each under `~` for `--user` (the
//! default) or the working directory for `--project`.

use crate::agents::{Agent, Hook};
use crate::cli::InstallArgs;
use crate::error::Error;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

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

fn entry(agent: &Agent, hook: &Hook) -> Value {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "guard".into());
    let command = format!("{} {}", crate::shell::quote(&exe), mark(agent));
    let h = if hook.named_entry {
        json!({ "name": "guard", "type": "command", "command": command })
    } else {
        json!({ "type": "command", "command": command })
    };
    json!({ "matcher": hook.matcher, "hooks": [h] })
}

pub fn install(args: &InstallArgs) -> Result<i32, Error> {
    let (agent, hook) = agent_of(args)?;
    let path = settings_path(hook, args.project)?;
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
    let entry = entry(agent, hook);
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
    Ok(0)
}

pub fn uninstall(args: &InstallArgs) -> Result<i32, Error> {
    let (agent, hook) = agent_of(args)?;
    let path = settings_path(hook, args.project)?;
    let (text, mut value) = read(&path)?;
    let backup = backup_of(&path);
    // Unchanged since install: the backup is the file as it was, byte for byte.
    if let Ok(before) = std::fs::read_to_string(&backup) {
        let (_, before_value) = read(&backup)?;
        let mut expected = before_value;
        add_entry_for_compare(agent, hook, &mut expected);
        if serde_json::to_string_pretty(&expected)
            .map(|s| s + "\n")
            .ok()
            .as_deref()
            == Some(text.as_str())
        {
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
    let removed = value
        .pointer_mut(&format!("/hooks/{}", hook.event))
        .and_then(Value::as_array_mut)
        .map(|list| {
            let n = list.len();
            list.retain(|e| !is_guard(agent, e));
            n - list.len()
        })
        .unwrap_or(0);
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

/// What install makes of `value` (for recognising an untouched file).
fn add_entry_for_compare(agent: &Agent, hook: &Hook, value: &mut Value) {
    if let Some(root) = value.as_object_mut() {
        let hooks = root.entry("hooks").or_insert_with(|| json!({}));
        if let Some(h) = hooks.as_object_mut() {
            if let Some(list) = h
                .entry(hook.event)
                .or_insert_with(|| json!([]))
                .as_array_mut()
            {
                list.push(entry(agent, hook));
            }
        }
    }
}
