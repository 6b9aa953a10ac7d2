//! The doctor's look at the agents' hooks: installed, switched on, and refusing a
//! simulated `terraform destroy` through the installed command itself.

use super::{Report, Status};
use crate::agents::{Agent, Hook};
use crate::app::install::{self, settings_path};
use serde_json::Value;
use std::path::Path;

pub(super) fn hooks(r: &mut Report, agent: &Agent, hook: &Hook) {
    let name = agent.name;
    let mut any_settings = false;
    let places = [
        ("", settings_path(hook, false).ok()),
        (" --project", settings_path(hook, true).ok()),
        (
            " --system",
            Some(std::path::PathBuf::from(hook.system_settings)),
        ),
    ];
    for (flag, path) in places {
        let Some(path) = path else {
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
                    "{name}: {} has no guard hook: `guard install {name}{flag}`",
                    path.display()
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
            if install::guard_of(agent, &command).is_some_and(|(_, bare)| bare) {
                r.line(
                    Status::Warn,
                    "hooks",
                    format!(
                        "{name}: {} runs guard directly: if guard goes missing the agent runs every command; reinstall it (`guard install {name}`) for the wrapper that blocks instead",
                        path.display()
                    ),
                );
            }
            if name == "codex" && path == settings_path(hook, false).unwrap_or_default() {
                codex_trust(r, &path);
            }
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
    let name = agent.name;
    let Some((exe, _)) = install::guard_of(agent, command) else {
        return Err("is not guard's hook command: the hook does not run guard, so it protects nothing; not run".into());
    };
    let exe = &exe;
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

/// Codex runs a user hook only once trusted: ask Codex itself, when it is installed.
fn codex_trust(r: &mut Report, path: &Path) {
    let cwd = std::env::current_dir().unwrap_or_default();
    match install::codex::status(&cwd) {
        Ok(hooks) if hooks.is_empty() => r.line(
            Status::Fail,
            "hooks",
            format!("codex: {}: Codex does not list guard's hook", path.display()),
        ),
        Ok(hooks) => {
            for (key, status) in hooks {
                let ok = status == "trusted" || status == "managed";
                r.line(
                    if ok { Status::Ok } else { Status::Fail },
                    "hooks",
                    if ok {
                        format!("codex: Codex runs guard's hook ({status})")
                    } else {
                        format!("codex: Codex skips guard's hook {key}: it is {status}; trust it in Codex's /hooks, or run `guard install codex` again")
                    },
                );
            }
        }
        Err(why) => r.line(
            Status::Warn,
            "hooks",
            format!("codex: cannot ask Codex whether it trusts guard's hook ({why}): Codex skips an untrusted user hook without a word"),
        ),
    }
}
