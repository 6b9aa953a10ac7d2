//! The AI agents guard knows, as data: one descriptor per agent, in a file of its own —
//! its hook protocol (event, shell tools, what it can answer and how), where its settings
//! keep hooks, how to tell that its hooks are off, and the variables it sets in the
//! commands it runs. The CLI, `guard install`, `guard doctor`, the hook and context
//! detection all read these, so adding an agent is one file and one line in [`ALL`].

mod claude_code;
mod codex;
mod cursor;
mod gemini;

use serde_json::{Value, json};
use std::path::PathBuf;

/// One agent.
#[derive(Debug)]
pub struct Agent {
    /// The name guard's command line and records use: `claude-code`.
    pub name: &'static str,
    /// Variables the agent sets in the commands it runs; any value marks it.
    pub markers: &'static [&'static str],
    /// Names its executable goes by (the process's executable, or the script a runtime
    /// such as node runs), and fragments of the paths it is installed under: a process
    /// tree with one of them above guard is the agent's, whatever variables it unset.
    pub executables: &'static [&'static str],
    pub install_paths: &'static [&'static str],
    /// Its pre-tool-use hook, when guard can answer one.
    pub hook: Option<Hook>,
}

/// An agent's pre-tool-use hook: the protocol and where its settings hold it.
#[derive(Debug)]
pub struct Hook {
    /// The event guard answers.
    pub event: &'static str,
    /// Tool names that run a shell command (the first is the canonical one).
    pub shell_tools: &'static [&'static str],
    /// Whether a confirm-level command can be handed to the person (`ask`).
    pub can_ask: bool,
    /// What to print when guard has nothing to say (allow).
    pub allow_output: Option<&'static str>,
    /// How an answer is shaped.
    pub answer: Answer,
    /// The settings file, relative to `~` or the project.
    pub settings_file: &'static str,
    /// A variable that moves the user's settings directory, and the file's name there.
    pub settings_home: Option<(&'static str, &'static str)>,
    /// The system-wide settings file (root's), whose hooks the agent treats as managed:
    /// the user cannot edit or switch them off.
    pub system_settings: &'static str,
    /// Whether the entry's `timeout` is in milliseconds (else seconds).
    pub timeout_in_ms: bool,
    /// The tool matcher of guard's entry.
    pub matcher: &'static str,
    /// Whether guard's entry carries `"name": "guard"` (Gemini lists hooks by name).
    pub named_entry: bool,
    /// Why the agent would run no hooks at all, from its settings (and the settings
    /// file's path, for files next to it).
    pub hooks_off: fn(&Value, &std::path::Path) -> Option<String>,
}

/// How an agent reads a hook's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `{"hookSpecificOutput": {"hookEventName", "permissionDecision", "permissionDecisionReason"}}`
    /// (Claude Code, Codex).
    HookSpecificOutput,
    /// `{"decision", "reason"}` at the top level (Gemini CLI).
    TopLevel,
}

/// Every agent guard knows.
pub static ALL: &[&Agent] = &[
    &claude_code::AGENT,
    &codex::AGENT,
    &gemini::AGENT,
    &cursor::AGENT,
];

/// The agent called `name`.
pub fn by_name(name: &str) -> Option<&'static Agent> {
    ALL.iter().copied().find(|a| a.name == name)
}

/// The names of the agents whose hook guard answers.
pub fn hook_names() -> Vec<&'static str> {
    ALL.iter()
        .filter(|a| a.hook.is_some())
        .map(|a| a.name)
        .collect()
}

/// Runtimes that run an agent's script: the agent is then named by the script.
const RUNTIMES: &[&str] = &["node", "nodejs", "bun", "deno"];

/// The agent a process is, from its executable and argv.
pub fn by_process(exe: Option<&std::path::Path>, argv: &[String]) -> Option<&'static Agent> {
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let mut names: Vec<String> = exe
        .and_then(|e| e.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .into_iter()
        .collect();
    names.extend(argv.first().map(|a| base(a)));
    let runtime = names.iter().any(|n| RUNTIMES.contains(&n.as_str()));
    if runtime {
        names.extend(argv.get(1).map(|a| base(a)));
    }
    let paths: Vec<&str> = argv.iter().take(2).map(String::as_str).collect();
    ALL.iter().copied().find(|a| {
        names.iter().any(|n| a.executables.contains(&n.as_str()))
            || paths
                .iter()
                .any(|p| a.install_paths.iter().any(|frag| p.contains(frag)))
    })
}

/// The agent an environment marks, if any (`var` looks a variable up).
pub fn detect(var: &dyn Fn(&str) -> Option<String>) -> Option<&'static Agent> {
    ALL.iter().copied().find(|a| {
        a.markers
            .iter()
            .any(|m| var(m).is_some_and(|v| !v.is_empty()))
    })
}

impl Hook {
    /// The answer for a decision, in this protocol.
    pub fn answer(&self, decision: &str, reason: &str) -> Value {
        match self.answer {
            Answer::HookSpecificOutput => json!({
                "hookSpecificOutput": {
                    "hookEventName": self.event,
                    "permissionDecision": decision,
                    "permissionDecisionReason": reason,
                }
            }),
            Answer::TopLevel => json!({ "decision": decision, "reason": reason }),
        }
    }

    /// Whether `stdout` is this protocol's answer that denies the call.
    pub fn is_denial(&self, stdout: &str) -> bool {
        let Ok(v) = serde_json::from_str::<Value>(stdout.trim()) else {
            return false;
        };
        match self.answer {
            Answer::HookSpecificOutput => {
                v.pointer("/hookSpecificOutput/permissionDecision") == Some(&json!("deny"))
            }
            Answer::TopLevel => v["decision"] == "deny",
        }
    }

    /// A shell call of `command` as the agent sends it (for `guard doctor`'s simulation).
    pub fn sample(&self, command: &str) -> Value {
        json!({
            "session_id": "guard-doctor",
            "transcript_path": null,
            "cwd": std::env::current_dir().unwrap_or_default(),
            "hook_event_name": self.event,
            "tool_name": self.shell_tools[0],
            "tool_input": { "command": command },
        })
    }

    /// The user's settings file: under the agent's home variable when set, else `~`.
    pub fn user_settings(&self, home: Option<PathBuf>) -> Option<PathBuf> {
        if let Some((var, file)) = self.settings_home {
            if let Some(dir) = std::env::var_os(var).filter(|d| !d.is_empty()) {
                return Some(PathBuf::from(dir).join(file));
            }
        }
        home.map(|h| h.join(self.settings_file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for a in ALL {
            assert_eq!(by_name(a.name).map(|b| b.name), Some(a.name));
        }
        assert_eq!(hook_names(), ["claude-code", "codex", "gemini"]);
        let marks = |k: &str| (k == "CODEX_SANDBOX_NETWORK_DISABLED").then(|| "1".to_string());
        assert_eq!(detect(&marks).map(|a| a.name), Some("codex"));
        assert!(detect(&|_| Some(String::new())).is_none());
    }

    #[test]
    fn agents_are_known_by_their_processes() {
        let argv = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let p = |exe: &str, a: &[&str]| {
            by_process(Some(std::path::Path::new(exe)), &argv(a)).map(|a| a.name)
        };
        assert_eq!(
            p("/usr/bin/node", &["node", "/opt/npm/bin/gemini", "-p"]),
            Some("gemini")
        );
        assert_eq!(
            p("/x/claude.exe", &["claude", "-p", "hi"]),
            Some("claude-code")
        );
        assert_eq!(
            p(
                "/usr/bin/node",
                &["node", "/n/node_modules/@openai/codex/bin/codex.js"]
            ),
            Some("codex")
        );
        assert_eq!(p("/usr/bin/bash", &["bash", "-c", "claude"]), None);
        assert_eq!(p("/usr/bin/node", &["node", "server.js"]), None);
    }
}
