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
    /// The CI run, when the platform names one (GitHub Actions, GitLab CI).
    pub run: Option<CiRun>,
}

/// A CI run as its platform names it: what an approval in CI binds instead of the
/// runner's host and account, which are fresh on every run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiRun {
    /// `github`, `gitlab`.
    pub platform: &'static str,
    /// `owner/name`, `group/project`.
    pub repository: String,
    /// The commit SHA the run is for.
    pub commit: String,
    /// The environment the run deploys to: `GUARD_ENVIRONMENT`, else GitLab's
    /// `CI_ENVIRONMENT_NAME` (GitHub Actions names none in the environment).
    pub environment: String,
    /// Who started the run: `GITHUB_ACTOR`, `GITLAB_USER_LOGIN`.
    pub actor: String,
    /// Where the repository is checked out on this runner.
    pub workspace: String,
}

impl CiRun {
    /// The run the platform's variables name, when every one it needs is set.
    pub fn detect(var: &impl Fn(&str) -> Option<String>) -> Option<CiRun> {
        let get = |k: &str| var(k).filter(|v| !v.is_empty());
        let environment = get("GUARD_ENVIRONMENT");
        if get("GITHUB_ACTIONS").as_deref() == Some("true") {
            return Some(CiRun {
                platform: "github",
                repository: get("GITHUB_REPOSITORY")?,
                commit: get("GITHUB_SHA")?,
                environment: environment.unwrap_or_default(),
                actor: get("GITHUB_ACTOR")?,
                workspace: get("GITHUB_WORKSPACE").unwrap_or_default(),
            });
        }
        if get("GITLAB_CI").as_deref() == Some("true") {
            return Some(CiRun {
                platform: "gitlab",
                repository: get("CI_PROJECT_PATH")?,
                commit: get("CI_COMMIT_SHA")?,
                environment: environment
                    .or_else(|| get("CI_ENVIRONMENT_NAME"))
                    .unwrap_or_default(),
                actor: get("GITLAB_USER_LOGIN")?,
                workspace: get("CI_PROJECT_DIR").unwrap_or_default(),
            });
        }
        None
    }

    /// The directory `cwd` as the run names it: relative to the checkout, which sits at
    /// a different path on every runner.
    pub fn directory(&self, cwd: &str) -> String {
        let ws = self.workspace.trim_end_matches('/');
        if ws.is_empty() {
            return cwd.to_string();
        }
        match cwd.strip_prefix(ws) {
            Some("") => ".".into(),
            Some(rest) if rest.starts_with('/') => rest.trim_start_matches('/').to_string(),
            _ => cwd.to_string(),
        }
    }
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
        let run = CiRun::detect(&var);
        Context {
            agent,
            ci: set("CI") || run.is_some(),
            non_interactive,
            run,
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

/// The agent whose process tree guard runs in: guard's own supervisor, which traces this
/// process, or the nearest ancestor that is an agent's executable.
pub fn agent_in_tree() -> Option<String> {
    if supervised() {
        return Some("guard supervise".to_string());
    }
    crate::procs::ancestors().find_map(|pid| {
        let argv = crate::procs::argv(pid);
        let exe = crate::procs::exe(pid);
        crate::agents::by_process(exe.as_deref(), &argv).map(|a| a.name.to_string())
    })
}

/// Whether guard runs under its own supervisor, which decides every program started in
/// the tree (and so will see the command a hook or a shim lets through): this process's
/// tracer is the guard binary. Only `guard supervise` traces, and a process cannot
/// choose its tracer, so an agent cannot fake it.
pub fn supervised() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let tracer = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|p| *p != 0);
    // A protected install's supervisor runs setgid, so its executable cannot be looked
    // at from here; its name can. (No process of the account can trace this one then:
    // the supervisor already does.)
    tracer.is_some_and(|pid| match std::fs::metadata(format!("/proc/{pid}/exe")) {
        Ok(m) => crate::binary::is_guard_binary(&m),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "guard")
        }
        Err(_) => false,
    })
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

    #[test]
    fn names_the_ci_run() {
        let gh = ctx(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/infra"),
            ("GITHUB_SHA", "abc123"),
            ("GITHUB_ACTOR", "alice"),
            ("GITHUB_WORKSPACE", "/home/runner/work/infra/infra"),
            ("GUARD_ENVIRONMENT", "production"),
        ]);
        assert!(gh.ci);
        let run = gh.run.unwrap();
        assert_eq!(
            (run.platform, run.repository.as_str(), run.commit.as_str()),
            ("github", "acme/infra", "abc123")
        );
        assert_eq!(
            (run.actor.as_str(), run.environment.as_str()),
            ("alice", "production")
        );
        assert_eq!(
            run.directory("/home/runner/work/infra/infra/envs/prod"),
            "envs/prod"
        );
        assert_eq!(run.directory("/home/runner/work/infra/infra"), ".");
        assert_eq!(
            run.directory("/home/runner/work/infra/infra2"),
            "/home/runner/work/infra/infra2"
        );
        let gl = ctx(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "acme/infra"),
            ("CI_COMMIT_SHA", "def456"),
            ("CI_ENVIRONMENT_NAME", "prod"),
            ("GITLAB_USER_LOGIN", "bob"),
        ])
        .run
        .unwrap();
        assert_eq!(
            (gl.platform, gl.environment.as_str(), gl.actor.as_str()),
            ("gitlab", "prod", "bob")
        );
        // Without every variable it needs, no run is named: the host binds as anywhere.
        assert_eq!(
            ctx(&[("GITHUB_ACTIONS", "true"), ("GITHUB_SHA", "abc")]).run,
            None
        );
    }
}
