//! Claude Code, PreToolUse (https://code.claude.com/docs/en/hooks.md#pretooluse): shell
//! calls are `tool_name: "Bash"` with `tool_input.command`; on exit 0 it reads
//! `hookSpecificOutput.permissionDecision` = `allow` / `deny` / `ask` with a
//! `permissionDecisionReason` (shown to the model for deny, to the person for ask).
//! Exit 2 blocks the call with stderr as the reason; any other failure lets it through.

use super::{Agent, Answer, Hook};
use serde_json::Value;

pub static AGENT: Agent = Agent {
    name: "claude-code",
    markers: &["CLAUDECODE"],
    executables: &["claude", "claude.exe"],
    install_paths: &["@anthropic-ai/claude-code"],
    hook: Some(Hook {
        event: "PreToolUse",
        shell_tools: &["Bash"],
        can_ask: true,
        allow_output: None,
        answer: Answer::HookSpecificOutput,
        settings_file: ".claude/settings.json",
        settings_home: None,
        // Managed settings (https://code.claude.com/docs/en/settings): hooks there run
        // whatever the user's own settings say.
        system_settings: "/etc/claude-code/managed-settings.json",
        timeout_in_ms: false,
        matcher: "Bash",
        named_entry: false,
        hooks_off,
    }),
};

fn hooks_off(settings: &Value, _: &std::path::Path) -> Option<String> {
    (settings["disableAllHooks"] == Value::Bool(true))
        .then(|| "`disableAllHooks` is true: Claude Code runs no hooks".into())
}
