//! `guard install` / `guard uninstall`: puts guard's hook into an agent's settings file
//! and takes it out again. Install is idempotent, keeps every other setting (and their
//! order), and backs the file up first; uninstall restores the backup byte for byte when
//! the file is as install left it, and otherwise removes only guard's entry.

use crate::cli::{HookAgent, InstallArgs};
use crate::error::Error;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const MARK: &str = "hook claude-code";

fn settings_path(args: &InstallArgs) -> Result<PathBuf, Error> {
    let HookAgent::ClaudeCode = args.agent;
    if args.project {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::Usage(format!("no working directory: {e}")))?;
        return Ok(cwd.join(".claude/settings.json"));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| Error::Usage("HOME is not set".into()))?;
    Ok(PathBuf::from(home).join(".claude/settings.json"))
}

fn backup_of(path: &Path) -> PathBuf {
    path.with_extension("json.guard-backup")
}

fn read(path: &Path) -> Result<(String, Value), Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::Usage(format!("cannot read {}: {e}", path.display()))),
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

fn is_guard(entry: &Value) -> bool {
    entry["hooks"].as_array().is_some_and(|hs| {
        hs.iter()
            .any(|h| h["command"].as_str().is_some_and(|c| c.contains(MARK)))
    })
}

fn guard_command() -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "guard".into());
    format!("{} {MARK}", crate::shell::quote(&exe))
}

pub fn install(args: &InstallArgs) -> Result<i32, Error> {
    let path = settings_path(args)?;
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
        .entry("PreToolUse")
        .or_insert_with(|| json!([]));
    let list = pre
        .as_array_mut()
        .ok_or_else(|| Error::Usage("`hooks.PreToolUse` is not a list".into()))?;
    if list.iter().any(is_guard) {
        eprintln!(
            "guard: {} already has guard's hook; nothing to do",
            path.display()
        );
        return Ok(0);
    }
    let entry = json!({ "matcher": "Bash", "hooks": [ { "type": "command", "command": guard_command() } ] });
    list.push(entry.clone());
    let new = serde_json::to_string_pretty(&value).map_err(|e| Error::Usage(e.to_string()))? + "\n";
    if args.dry_run {
        println!("{new}");
        eprintln!(
            "guard: dry run: {} would get the PreToolUse entry {entry}",
            path.display()
        );
        return Ok(0);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    if !text.is_empty() {
        std::fs::write(backup_of(&path), &text)
            .map_err(|e| Error::Usage(format!("cannot back up {}: {e}", path.display())))?;
    }
    std::fs::write(&path, &new)
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("guard: added to {}: PreToolUse {entry}", path.display());
    if !text.is_empty() {
        eprintln!(
            "guard: the previous file is at {}",
            backup_of(&path).display()
        );
    }
    Ok(0)
}

pub fn uninstall(args: &InstallArgs) -> Result<i32, Error> {
    let path = settings_path(args)?;
    let (text, mut value) = read(&path)?;
    let backup = backup_of(&path);
    // Unchanged since install: the backup is the file as it was, byte for byte.
    if let Ok(before) = std::fs::read_to_string(&backup) {
        let (_, before_value) = read(&backup)?;
        let mut expected = before_value;
        add_entry_for_compare(&mut expected);
        if serde_json::to_string_pretty(&expected)
            .map(|s| s + "\n")
            .ok()
            .as_deref()
            == Some(text.as_str())
        {
            if !args.dry_run {
                std::fs::write(&path, &before)
                    .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
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
        .pointer_mut("/hooks/PreToolUse")
        .and_then(Value::as_array_mut)
        .map(|list| {
            let n = list.len();
            list.retain(|e| !is_guard(e));
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
    std::fs::write(&path, new)
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("guard: removed guard's hook from {}", path.display());
    Ok(0)
}

/// What install makes of `value` (for recognising an untouched file).
fn add_entry_for_compare(value: &mut Value) {
    if let Some(root) = value.as_object_mut() {
        let hooks = root.entry("hooks").or_insert_with(|| json!({}));
        if let Some(h) = hooks.as_object_mut() {
            if let Some(list) = h
                .entry("PreToolUse")
                .or_insert_with(|| json!([]))
                .as_array_mut()
            {
                list.push(json!({ "matcher": "Bash", "hooks": [ { "type": "command", "command": guard_command() } ] }));
            }
        }
    }
}
