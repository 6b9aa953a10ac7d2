//! Gemini CLI, BeforeTool (https://geminicli.com/docs/hooks/reference): shell calls are
//! `tool_name: "run_shell_command"` with `tool_input.command`; the answer is top-level
//! `{"decision": "deny", "reason": ...}`, the reason going to the model. There is no
//! working `ask` for BeforeTool, so confirm-level is denied as for Codex. Its settings
//! name hooks (`"name": "guard"`) in the /hooks panel and in `hooksConfig.disabled`.

use super::{Agent, Answer, Hook};
use serde_json::Value;

pub static AGENT: Agent = Agent {
    name: "gemini",
    markers: &["GEMINI_CLI"],
    executables: &["gemini"],
    install_paths: &["@google/gemini-cli"],
    hook: Some(Hook {
        event: "BeforeTool",
        shell_tools: &["run_shell_command"],
        can_ask: false,
        // The reference's own examples answer `{}`: stdout is parsed as JSON.
        allow_output: Some("{}"),
        answer: Answer::TopLevel,
        settings_file: ".gemini/settings.json",
        settings_home: None,
        // System settings override the user's (https://geminicli.com/docs/cli/configuration).
        system_settings: "/etc/gemini-cli/settings.json",
        timeout_in_ms: true,
        matcher: "run_shell_command",
        named_entry: true,
        hooks_off,
    }),
};

fn hooks_off(settings: &Value, _: &std::path::Path) -> Option<String> {
    if settings.pointer("/hooksConfig/enabled") == Some(&Value::Bool(false))
        || settings.pointer("/hooks/enabled") == Some(&Value::Bool(false))
    {
        return Some("hooks are disabled (`hooksConfig.enabled` is false)".into());
    }
    let off = settings
        .pointer("/hooksConfig/disabled")
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().any(|v| v == "guard"));
    off.then(|| "`hooksConfig.disabled` lists guard's hook".into())
}
