//! Who is asking: a person at a terminal, an AI agent (by the variables each agent in
//! `agents` sets), or a CI job. Read from the environment once; whether a terminal can be opened is asked only when a decision
//! needs a person.

/// The circumstances of one guard invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The agent guard runs under, if one is detected.
    pub agent: Option<String>,
    /// Whether this is a CI job (`CI` set and not `false`/`0`).
    pub ci: bool,
    /// `--non-interactive`: never ask, refuse instead.
    pub non_interactive: bool,
}

impl Context {
    /// Reads the process environment.
    pub fn detect(non_interactive: bool) -> Self {
        Self::from_env(non_interactive, |k| std::env::var(k).ok())
    }

    /// Reads an environment given as a lookup function (for tests).
    pub fn from_env(non_interactive: bool, var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |k: &str| var(k).is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
        // Any value of an agent's marker counts: `CLAUDECODE=0` is still an agent.
        let agent = var("GUARD_AGENT")
            .filter(|v| !v.is_empty())
            .or_else(|| crate::agents::detect(&var).map(|a| a.name.to_string()));
        Context {
            agent,
            ci: set("CI"),
            non_interactive,
        }
    }
}

impl Context {
    /// The context with what the process tree says added: when guard runs under an
    /// agent's executable, or under guard's own supervisor, that is an agent whatever
    /// variables were unset on the way (`env -u CLAUDECODE script -qec '…'` still has
    /// Claude Code above it). Read from `/proc` only when a person might be asked.
    pub fn with_tree(mut self) -> Context {
        if self.agent.is_none() {
            self.agent = agent_in_tree();
        }
        self
    }
}

/// The agent whose process tree guard runs in: the nearest ancestor that is an agent's
/// executable, or guard's own supervisor.
pub fn agent_in_tree() -> Option<String> {
    crate::procs::ancestors().find_map(|pid| {
        let argv = crate::procs::argv(pid);
        let exe = crate::procs::exe(pid);
        if let Some(a) = crate::agents::by_process(exe.as_deref(), &argv) {
            return Some(a.name.to_string());
        }
        is_supervisor(exe.as_deref(), &argv).then(|| "guard supervise".to_string())
    })
}

/// Whether guard runs under its own supervisor, which checks every program started in
/// the tree (and so will see the command a hook lets through).
pub fn supervised() -> bool {
    crate::procs::ancestors()
        .any(|pid| is_supervisor(crate::procs::exe(pid).as_deref(), &crate::procs::argv(pid)))
}

fn is_supervisor(exe: Option<&std::path::Path>, argv: &[String]) -> bool {
    argv.iter().skip(1).any(|a| a == "supervise")
        && exe
            .and_then(|e| std::fs::metadata(e).ok())
            .is_some_and(|m| crate::binary::is_guard_binary(&m))
}

/// Whether the process has a controlling terminal that guard can open to ask a person.
pub fn has_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(vars: &[(&str, &str)]) -> Context {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Context::from_env(false, |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn detects_agents_and_ci() {
        assert_eq!(
            ctx(&[("CLAUDECODE", "1")]).agent.as_deref(),
            Some("claude-code")
        );
        assert_eq!(
            ctx(&[("GUARD_AGENT", "my-bot"), ("CLAUDECODE", "1")])
                .agent
                .as_deref(),
            Some("my-bot")
        );
        assert_eq!(
            ctx(&[("CLAUDECODE", "0")]).agent.as_deref(),
            Some("claude-code")
        );
        assert_eq!(ctx(&[("CLAUDECODE", "")]).agent, None);
        assert!(ctx(&[("CI", "true")]).ci);
        assert!(!ctx(&[("CI", "false")]).ci);
        assert!(!ctx(&[]).ci);
    }
}
