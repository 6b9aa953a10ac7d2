//! Codex, PreToolUse (https://developers.openai.com/codex/hooks, and
//! `codex-rs/hooks/src/events/pre_tool_use.rs` in openai/codex): the same wire format as
//! Claude Code, shell calls named `Bash`, but only `permissionDecision: "deny"` is
//! honoured. `ask` and `allow` are "unsupported" and *fail open* (the tool runs), so guard
//! never sends them: a confirm-level command is denied with the way for a person to run
//! it. Hooks live in `.codex/hooks.json` (`$CODEX_HOME/hooks.json` when set); Codex turns
//! them off with `[features] hooks = false` (or the older `codex_hooks`) in config.toml.

use super::{Agent, Answer, Hook};
use serde_json::Value;

pub static AGENT: Agent = Agent {
    name: "codex",
    // With its sandbox off, Codex sets neither sandbox variable, but still names its
    // thread and session.
    markers: &[
        "CODEX_SANDBOX",
        "CODEX_SANDBOX_NETWORK_DISABLED",
        "CODEX_THREAD_ID",
        "CODEX_SESSION_ID",
    ],
    executables: &["codex", "codex-linux-sandbox", "codex-exec"],
    install_paths: &["@openai/codex"],
    hook: Some(Hook {
        event: "PreToolUse",
        // `Bash` is the canonical name; the others are Codex's own names for its shell
        // tools, accepted in case a version passes them through.
        shell_tools: &["Bash", "shell", "local_shell", "exec_command"],
        can_ask: false,
        allow_output: None,
        answer: Answer::HookSpecificOutput,
        settings_file: ".codex/hooks.json",
        settings_home: Some(("CODEX_HOME", "hooks.json")),
        // The system config layer (/etc/codex): its hooks are managed — trusted and
        // enabled whatever the user's config says (codex-rs/hooks/src/engine/discovery.rs).
        system_settings: "/etc/codex/hooks.json",
        timeout_in_ms: false,
        matcher: "Bash",
        named_entry: false,
        hooks_off,
    }),
};

/// `[features] hooks = false` in the config.toml next to the hooks file.
fn hooks_off(_: &Value, settings: &std::path::Path) -> Option<String> {
    let path = settings.with_file_name("config.toml");
    let text = std::fs::read_to_string(&path).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    let features = value.get("features")?;
    ["hooks", "codex_hooks"]
        .iter()
        .find(|k| features.get(**k).and_then(toml::Value::as_bool) == Some(false))
        .map(|k| {
            format!(
                "{} sets [features] {k} = false: Codex runs no hooks",
                path.display()
            )
        })
}
