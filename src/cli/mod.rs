//! The command-line shape, as clap sees it. Definitions only: no I/O, no decisions.
//! Everything after `--` is the child's argv, taken as raw `OsString`s; guard never looks
//! for its own options there.

pub mod quick;

use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Examples:
  guard -- terraform plan                 run a command through guard
  guard -c 'cd infra && terraform plan'   check every command in a shell string, then run it
  guard check -- git push --force         decide without running
  guard check --json -- kubectl delete ns prod
  guard rules list                        the rules in force

Exit codes: the child's own status when it ran (128+N if killed by signal N);
77 refused by policy, 78 bad configuration, 64 usage error, 74 a file or guard's
state could not be read or written, 126 cannot execute, 127 program not found.";

/// Stands between you and the tools that can destroy infrastructure: reads what is about
/// to run, decides how dangerous it is, asks the right people, and runs it.
#[derive(Debug, Parser)]
#[command(
    name = "guard",
    version,
    after_help = AFTER_HELP,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Sub>,

    /// A shell string: every command in it is checked, then the string runs with
    /// $GUARD_SHELL (default /bin/sh)
    #[arg(
        short = 'c',
        value_name = "STRING",
        conflicts_with = "argv",
        allow_hyphen_values = true
    )]
    pub shell: Option<String>,

    /// The command to run, after `--`: PROGRAM [ARGS...]. No shell is involved.
    #[arg(
        last = true,
        value_name = "PROGRAM [ARGS]",
        required_unless_present = "shell"
    )]
    pub argv: Vec<OsString>,
}

/// Options every subcommand takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Never ask at the terminal: a command that needs confirmation is refused
    #[arg(long)]
    pub non_interactive: bool,

    /// Print nothing for commands that pass; warnings and refusals are still shown
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// A second person's approval token for this command (repeat for several
    /// approvers) [env: GUARD_APPROVAL, blank-separated]
    #[arg(long, value_name = "TOKEN")]
    pub approval: Vec<String>,

    /// A file holding approval tokens, one per line
    #[arg(long, value_name = "FILE")]
    pub approval_file: Option<PathBuf>,

    /// Emergency override, when the system config allows it: run without the approval,
    /// recorded loudly with the reason (never for agents)
    #[arg(long, value_name = "REASON")]
    pub break_glass: Option<String>,

    /// When the command needs an approval that is not there yet: post the request and
    /// wait this long for it (`90s`, `15m`, `2h`), then run
    #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
    pub wait: Option<u64>,

    /// At most this many seconds to read a plan (only ever shortens [plans] timeout): what
    /// the hook gives its check, to answer within its own bound
    #[arg(long, hide = true, value_name = "SECS")]
    pub plan_timeout_cap: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Decide on a command and explain, without running it
    #[command(after_help = "\
Examples:
  guard check -- terraform destroy
  guard check --json -- aws --profile prod s3 rb s3://logs --force
  guard check -c 'sudo bash -c \"kubectl delete ns prod\"'
  printf '%s\\n' 'git push -f' 'ls' | guard check --stdin

Exit status: 0 allow, 1 warn, 2 confirm, 3 two-person, 4 deny; 78 bad configuration.")]
    Check(CheckArgs),

    /// List, show, test and lint rules
    #[command(subcommand)]
    Rules(RulesCmd),

    /// Make an approval request for a command, without trying to run it
    #[command(after_help = "\
Examples:
  guard request -- terraform destroy
  guard request --json -c 'kubectl delete ns staging'")]
    Request(RequestArgs),

    /// Answer an AI agent's pre-tool-use hook: decide on the shell command it is about to
    /// run, in that agent's protocol
    #[command(after_help = "\
Examples:
  guard install claude-code       writes the hook into ~/.claude/settings.json
  guard install codex --project   .codex/hooks.json in this directory
  guard install gemini            ~/.gemini/settings.json
  echo '{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"terraform destroy\"}}' | guard hook claude-code

Codex and Gemini CLI cannot ask the person, so there a confirm-level command is denied
with the line a person runs at their own terminal. Unreadable input exits 2 (blocks).")]
    Hook {
        /// The agent whose protocol to speak
        #[arg(value_parser = hook_agents())]
        agent: String,
    },

    /// Install guard's hook into an agent's settings (idempotent; backs the file up)
    #[command(after_help = "\
Examples:
  guard install claude-code --dry-run     show what would change
  guard install claude-code               ~/.claude/settings.json
  guard install claude-code --project     .claude/settings.json in this directory
  guard install codex                     ~/.codex/hooks.json (or $CODEX_HOME/hooks.json)
  guard install gemini --project          .gemini/settings.json in this directory")]
    Install(InstallArgs),

    /// Remove guard's hook from an agent's settings, exactly as it was before
    #[command(after_help = "\
Examples:
  guard uninstall claude-code            restores ~/.claude/settings.json from its backup
  guard uninstall gemini --project --dry-run")]
    Uninstall(InstallArgs),

    /// Put guard in front of programs on PATH: shims named after each guarded program
    #[command(subcommand)]
    Shim(ShimCmd),

    /// The circuit breaker: its state, and a person's reset
    #[command(subcommand)]
    Breaker(BreakerCmd),

    /// The protected install (as root): guard's group, the setgid binary, /etc/guard and
    /// /var/lib/guard, so the account guard runs for cannot undo what guard keeps
    #[command(after_help = "\
Examples:
  sudo guard setup                        installs /usr/local/bin/guard setgid `guard`
  sudo guard setup --bin-dir /opt/bin
  guard setup --check                     lists every mode and owner that is wrong
  PGPASSWORD=... guard setup --store postgresql://postgres@db.internal/guard
                                          creates (or upgrades) a team's database

Idempotent: creates what is missing, fixes modes and owners, and leaves an existing
config or approvers file as it is. --store creates the tables and the insert-only
requester role, or upgrades them; it changes nothing on this machine.")]
    Setup(SetupArgs),

    /// Run an agent (or any program) with every program started anywhere in its process
    /// tree checked before it runs
    #[command(after_help = "\
Examples:
  guard supervise -- claude
  guard supervise -- codex
  guard --wait 10m supervise -- gemini      holds a command up to 10m for its approval

Every exec in the tree is decided as `guard --` would decide it, by the program it really
is (a link or a copy of terraform is terraform). Allowed programs run at once; a command
that needs a confirmation or an approval is held, stopped before it runs, while its
request waits in the inbox (`guard approve --list`), up to --wait or [supervise] wait
(default 2m); then it runs, or it is ended with exit status 77 and one line on its
stderr. guard approve, breaker reset, setup, install, uninstall and --break-glass are
refused inside the tree. Linux only: needs ptrace (kernel.yama.ptrace_scope below 3).")]
    Supervise(SuperviseArgs),

    /// Check the setup end to end: config, approvers, audit log, shims, agent hooks
    #[command(after_help = "\
Each line is OK, WARN or FAIL with what to fix; the exit status is 1 when anything FAILs.
Example:
  guard doctor")]
    Doctor,

    /// Print the shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "\
Examples:
  guard completions bash > ~/.local/share/bash-completion/completions/guard
  guard completions zsh > \"${fpath[1]}/_guard\"
  guard completions fish > ~/.config/fish/completions/guard.fish")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page, guard(1), in roff
    #[command(after_help = "\
Examples:
  guard man | man -l -
  guard man > /usr/local/share/man/man1/guard.1")]
    Man,

    /// Show the audit trail, or verify its hash chain
    #[command(after_help = "\
Examples:
  guard log                          the last 20 runs
  guard log --decision two-person --since 1h
  guard log --json --grep terraform
  guard log verify")]
    Log(LogArgs),

    /// List the requests waiting for an approver, or review one and sign it with your own
    /// SSH key, printing the approval token
    #[command(after_help = "\
Examples:
  guard approve --list                    what is waiting for you
  guard approve 3fa2b1c9d0                review and sign a request in the inbox
  guard approve guard-request-v1.eyJ2ZXJzaW9u...
  guard approve --key ~/.ssh/id_ed25519 < request.txt
  guard approve --yes --key ci-approver.pub CODE     (key held by the SSH agent)

The token alone goes to stdout; everything else to stderr.")]
    Approve(ApproveArgs),
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Only look: list what is wrong, with the command that fixes it; change nothing
    #[arg(long)]
    pub check: bool,

    /// Where the setgid binary goes
    #[arg(long, value_name = "DIR", default_value = "/usr/local/bin")]
    pub bin_dir: Option<std::path::PathBuf>,

    /// Also put root-owned shims for every guarded program on PATH in
    /// /usr/local/lib/guard/shims, first on every login shell's PATH (/etc/profile.d):
    /// agents that run `bash -lc` (Codex) get them too
    #[arg(long)]
    pub shims: bool,

    /// Create or upgrade the team's database instead, connecting as its administrator
    /// (the password from PGPASSWORD or --admin-password-file, never the command line)
    #[arg(long, value_name = "ADMIN_URL")]
    pub store: Option<String>,

    /// With --store: the role guard connects as, which may insert rows but never change
    /// or delete them
    #[arg(
        long,
        value_name = "NAME",
        default_value = "guard_requester",
        requires = "store"
    )]
    pub role: String,

    /// With --store: a file holding the administrator's password
    #[arg(long, value_name = "FILE", requires = "store")]
    pub admin_password_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct SuperviseArgs {
    /// The program to run supervised, and its arguments, after `--`
    #[arg(last = true, value_name = "PROGRAM [ARGS]", required = true)]
    pub argv: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Print one JSON object with the `code` and the request
    #[arg(long)]
    pub json: bool,

    /// A shell string to request approval for
    #[arg(
        short = 'c',
        value_name = "STRING",
        conflicts_with = "argv",
        allow_hyphen_values = true
    )]
    pub shell: Option<String>,

    /// The command to request approval for, after `--`
    #[arg(
        last = true,
        value_name = "PROGRAM [ARGS]",
        required_unless_present = "shell"
    )]
    pub argv: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The request: its id in the inbox (`3fa2b1c9d0`, or a unique prefix), or its whole
    /// code (read from --file or stdin when absent)
    pub code: Option<String>,

    /// List the requests waiting for an approver (not your own), and sign nothing
    #[arg(long, conflicts_with_all = ["code", "file", "yes"])]
    pub list: bool,

    /// With --list: one JSON array
    #[arg(long, requires = "list")]
    pub json: bool,

    /// A file holding the request code
    #[arg(long, value_name = "FILE", conflicts_with = "code")]
    pub file: Option<PathBuf>,

    /// Your signing key: a private key file, or a .pub file whose key is in the SSH agent
    /// (default: [approvals] key, else ~/.ssh/id_ed25519 or id_ecdsa)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Sign without asking: for an approver who reviewed the request elsewhere
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print one JSON object (a stable interface; see the README)
    #[arg(long)]
    pub json: bool,

    /// A shell string to decide on (every command in it)
    #[arg(short = 'c', value_name = "STRING", conflicts_with_all = ["argv", "stdin"], allow_hyphen_values = true)]
    pub shell: Option<String>,

    /// Decide on many inputs: one per line on stdin, a shell string or a JSON object
    /// `{"command": "..."}` / `{"argv": [...]}`; prints one JSON object per line
    #[arg(long, conflicts_with = "argv")]
    pub stdin: bool,

    /// The command to decide on, after `--`
    #[arg(last = true, value_name = "PROGRAM [ARGS]", required_unless_present_any = ["shell", "stdin"])]
    pub argv: Vec<OsString>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// List every rule in force, with its severity and where it comes from
    #[command(after_help = "Example:\n  guard rules list --json | jq -r '.[].id'")]
    List {
        /// One JSON array
        #[arg(long)]
        json: bool,
    },
    /// Show one rule in full, with its examples
    #[command(after_help = "Example:\n  guard rules show terraform.destroy")]
    Show {
        /// The rule's id
        id: String,
    },
    /// Run rules' match / not_match examples (the built-in packs, or the files given)
    #[command(after_help = "Examples:\n  guard rules test\n  guard rules test my-pack.toml")]
    Test {
        /// Rule files to test on top of the built-in packs
        files: Vec<PathBuf>,
    },
    /// Check rule or config files; errors name the line and column
    #[command(after_help = "Example:\n  guard rules lint .guard.toml")]
    Lint {
        /// Files to check
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(subcommand)]
    pub verify: Option<LogCmd>,
    /// Only records this recent: `90s`, `15m`, `2h`, or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only this decision (allow, warn, confirm, two-person, deny)
    #[arg(long)]
    pub decision: Option<String>,
    /// Only records where this rule matched
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,
    /// Only records whose command or detail contains TEXT
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// How many records at most
    #[arg(short = 'n', long, default_value_t = 20)]
    pub limit: usize,
    /// One JSON object per line
    #[arg(long)]
    pub json: bool,
    /// The log file (default: [audit] path, else $XDG_STATE_HOME/guard/audit.jsonl)
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LogCmd {
    /// Check the whole hash chain; reports the first broken link and exits non-zero.
    /// Give rotated files oldest first to check the chain across them.
    #[command(after_help = "\
Examples:
  guard log verify
  guard log verify ~/.local/state/guard/audit.jsonl.1795400000 ~/.local/state/guard/audit.jsonl")]
    Verify {
        /// The log files to check, oldest first (default: the current log)
        files: Vec<PathBuf>,
    },
    /// Start a new log file that continues the chain; the old one keeps its records
    #[command(after_help = "Example:\n  guard log rotate && guard log verify")]
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum ShimCmd {
    /// Write shims (links to guard) named after programs; the real program is the next
    /// one on PATH
    #[command(after_help = "\
Examples:
  guard shim install                     every program the rules name that is on PATH
  guard shim install terraform kubectl
  guard shim install --dir /opt/guard/shims
  export PATH=\"$HOME/.local/share/guard/shims:$PATH\"   then `terraform destroy` asks first")]
    Install {
        /// The shim directory (default: $XDG_DATA_HOME/guard/shims, else
        /// ~/.local/share/guard/shims)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Programs to shim (default: every program the enabled rules name, if on PATH)
        programs: Vec<String>,
    },
    /// List the shims, the real program each runs, and whether it comes first on PATH
    #[command(after_help = "Example:\n  guard shim list")]
    List {
        /// The shim directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Remove shims (all of them, or the programs named); other files are left alone
    #[command(after_help = "Examples:\n  guard shim remove\n  guard shim remove terraform")]
    Remove {
        /// The shim directory
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Programs whose shims to remove (default: all)
        programs: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BreakerCmd {
    /// Show whether the breaker is open, the counts in the window, and since when
    #[command(after_help = "\
Examples:
  guard breaker status
  guard breaker status --json | jq .open")]
    Status {
        /// One JSON object: `open`, the window, the limits, and each requester's counts
        #[arg(long)]
        json: bool,
    },
    /// Close the breaker: a person at a terminal types `reset`, or an approver's token
    /// for the reset is given
    #[command(after_help = "\
Examples:
  guard breaker reset                          at your own terminal
  guard --approval TOKEN breaker reset         with an approver's token for the reset
An agent's command, or a CI step without a token, cannot reset it: it gets the request an
approver signs.")]
    Reset,
}

/// A `--wait` duration.
fn parse_wait(text: &str) -> Result<u64, String> {
    crate::time::parse_duration(text)
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("`{text}`: write a duration such as 90s, 15m or 2h"))
}

/// The agents whose hook protocol guard speaks (`agents`), for clap.
fn hook_agents() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::agents::hook_names())
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The agent
    #[arg(value_parser = hook_agents())]
    pub agent: String,
    /// The project's settings (in this directory) instead of the user's (in ~)
    #[arg(long)]
    pub project: bool,
    /// The user's settings (the default)
    #[arg(long, conflicts_with = "project")]
    pub user: bool,
    /// The agent's system-wide settings (as root): managed hooks the user cannot edit or
    /// switch off
    #[arg(long, conflicts_with_all = ["project", "user"])]
    pub system: bool,
    /// The guard binary the hook runs (default: the protected install, else `guard` on
    /// PATH; never a build tree)
    #[arg(long, value_name = "PATH")]
    pub guard: Option<std::path::PathBuf>,
    /// Show the new settings without writing them
    #[arg(long)]
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The shell reads `guard …` inside a string with `shell::own`'s lists; they must be
    /// exactly guard's own options and subcommands, or a spelling guard accepts would be
    /// missed there.
    #[test]
    fn the_shells_reading_of_guards_command_line_matches_clap() {
        use crate::shell::own;
        let mut cmd = Cli::command();
        cmd.build();
        let mut values = Vec::new();
        let mut flags = Vec::new();
        let mut shorts = Vec::new();
        for arg in cmd.get_arguments().filter(|a| !a.is_positional()) {
            let takes_value = arg.get_action().takes_values();
            if let Some(long) = arg.get_long() {
                let long = format!("--{long}");
                if takes_value {
                    values.push(long);
                } else {
                    flags.push(long);
                }
            }
            if let Some(short) = arg.get_short() {
                if takes_value {
                    assert_eq!(short, 'c', "only -c takes a value among the short options");
                } else {
                    shorts.push(short);
                }
            }
        }
        values.sort();
        flags.sort();
        shorts.sort();
        let sorted = |l: &[&str]| {
            let mut v: Vec<String> = l.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(values, sorted(own::VALUE_OPTIONS));
        assert_eq!(flags, sorted(own::FLAGS));
        let mut own_shorts = own::SHORT_FLAGS.to_vec();
        own_shorts.sort();
        assert_eq!(shorts, own_shorts);
        let mut subs: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        subs.sort();
        assert_eq!(subs, sorted(own::SUBCOMMANDS));
    }
}
