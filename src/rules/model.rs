//! The rule-file format, as serde reads it. One schema serves the built-in packs and every
//! config layer: a file may teach tool grammars (`[tools.NAME]`), add rules (`[[rules]]`)
//! and, in config layers, declare protected environments and change severities.
//!
//! Unknown keys are errors (`deny_unknown_fields`), so a typo never silently disables a
//! check. Values whose later validation can fail keep their span, so the error can point
//! at the line and column.

pub use super::spanned::Spanned;
use crate::decision::Decision;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A rule pack or config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Tool grammars, keyed by the tool's canonical program name.
    #[serde(default)]
    pub tools: BTreeMap<String, ToolSpec>,
    /// Rules.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Name patterns (`prod*`) of environments that raise a matching command one level.
    #[serde(default)]
    pub protected_environments: Vec<Spanned<String>>,
    /// The words that make an environment's name mean production (`acme-prod`,
    /// `payments-live`): default prod, production, live, prd. The system and user files
    /// set the list; the others may only add words.
    #[serde(default)]
    pub production_words: Option<Vec<String>>,
    /// Severity changes by rule id. Raising is honoured from every layer; lowering only
    /// from the user and system layers.
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<Decision>>,
    /// Rule ids to switch off (user and system layers only).
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    /// System layer only: forbid the user layer from weakening rules too.
    #[serde(default)]
    pub lock: bool,
    /// Two-person approvals.
    #[serde(default)]
    pub approvals: Option<ApprovalsSpec>,
    /// The audit trail (user and system layers only).
    #[serde(default)]
    pub audit: Option<AuditSpec>,
    /// Reading plans before apply.
    #[serde(default)]
    pub plans: Option<PlansSpec>,
    /// The circuit breaker (user and system layers only).
    #[serde(default)]
    pub breaker: Option<BreakerSpec>,
    /// Who is told of requests and an opened breaker (user and system layers only).
    #[serde(default)]
    pub notify: Option<NotifySpec>,
    /// `guard supervise` (user and system layers only).
    #[serde(default)]
    pub supervise: Option<SuperviseSpec>,
    /// The general reading of tools with no pack: its words.
    #[serde(default)]
    pub generic: Option<GenericSpec>,
    /// A shared store for a team (where state lives: user and system layers).
    #[serde(default)]
    pub store: Option<StoreSpec>,
    /// Unix user name -> principal as written in the approvers file (system layer only):
    /// who the requester is, from the kernel's user id rather than any variable.
    #[serde(default)]
    pub principals: BTreeMap<String, String>,
}

/// `[breaker]`: when an agent that keeps pushing against the guard is stopped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    /// On by default.
    pub enabled: Option<bool>,
    /// Refused commands within the window that the breaker tolerates (default 5).
    pub max_refusals: Option<usize>,
    /// Destructive commands (confirm and above) let through within the window that the
    /// breaker tolerates (default 10).
    pub max_destructive: Option<usize>,
    /// The sliding window: `15m` by default.
    pub window: Option<Spanned<String>>,
}

/// `[notify]`: a command run with the event as JSON on stdin, and a webhook the event is
/// POSTed to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySpec {
    pub command: Option<Vec<String>>,
    pub webhook: Option<String>,
}

/// `[supervise]`: how long a held command waits for its approval.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuperviseSpec {
    pub wait: Option<Spanned<String>>,
}

/// `[generic]`: the words of the general reading of a CLI guard has no pack for. Every
/// layer may add verbs and objects; only the user and system files may add exceptions
/// and programs to leave alone (they weaken).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericSpec {
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default)]
    pub strong_verbs: Vec<String>,
    #[serde(default)]
    pub objects: Vec<String>,
    #[serde(default)]
    pub not_programs: Vec<String>,
    #[serde(default)]
    pub exceptions: Vec<String>,
}

/// `[store]`: a PostgreSQL database that a team's machines share, in place of the files.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSpec {
    /// `postgresql://USER@HOST:PORT/DB` (or `key=value` pairs), without the password.
    pub url: Option<String>,
    /// A file holding the password (readable by guard's group, never the command line).
    pub password_file: Option<String>,
}

/// `[plans]`: how guard reads what an apply will do.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlansSpec {
    /// Run `terraform plan -out=FILE` for an apply without a plan file, decide from that
    /// plan, then apply exactly that file (any layer may turn it on; only the user and
    /// system layers may turn it off).
    pub plan_first: Option<bool>,
    /// How long reading a plan may take before guard gives up and falls back to the
    /// argument rules raised to confirm: `120s` by default.
    pub timeout: Option<Spanned<String>>,
}

/// `[audit]`: where the trail goes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSpec {
    /// The log file (default `$XDG_STATE_HOME/guard/audit.jsonl`).
    pub path: Option<String>,
    /// Also send each record to syslog (`/dev/log`), so it leaves the machine.
    pub syslog: Option<bool>,
    /// The syslog socket (default `/dev/log`).
    pub syslog_socket: Option<String>,
    /// Which allowed commands get a record: `all`, `explicit` (run with `guard --` or
    /// `-c`, not through a shim; the default) or `none`. Decisions above allow always do.
    pub allowed: Option<Spanned<String>>,
}

/// `[approvals]`: who may approve, who the requester is, and how long approvals last.
/// What decides who may approve comes only from the user and system layers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsSpec {
    /// The approvers file, in OpenSSH `allowed_signers` format (user/system only).
    pub allowed_signers: Option<String>,
    /// The requester's principal; default `USER@HOST` of the account (user/system only).
    pub principal: Option<String>,
    /// How long a request stays approvable: `15m` by default (any layer may shorten).
    pub lifetime: Option<String>,
    /// The longest lifetime accepted on a request (user/system only; default `1h`).
    pub max_lifetime: Option<String>,
    /// Distinct approvers a two-person command needs (any layer may raise; default 1).
    pub required: Option<usize>,
    /// The approver's signing key for `guard approve` (a private key file, or a `.pub`
    /// whose private key is in the SSH agent).
    pub key: Option<String>,
    /// The one-time ledger of used approvals (user/system only).
    pub ledger: Option<String>,
    /// Whether a valid token may stand in for a person's confirmation when guard runs
    /// under an agent or in CI (user/system only; default false).
    pub token_confirms: Option<bool>,
    /// Whether `--break-glass REASON` is allowed (system layer only; default false).
    pub break_glass: Option<bool>,
}

/// How a tool writes its options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptionStyle {
    /// `-abc` is `-a -b -c`, `--name=value`, `--` ends options (GNU, pflag, most tools).
    #[default]
    Gnu,
    /// `-name` and `--name` are the same long option, never a cluster (Go's `flag`,
    /// terraform, find's predicates).
    SingleDash,
}

/// What guard must know about a tool to read its command line: which options take a
/// value (so that value is not mistaken for a subcommand) and what selects an environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    /// Other program names for the same tool (`tofu` for terraform).
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub style: OptionStyle,
    /// Options that take the next word as their value when not written `--opt=value`.
    #[serde(default)]
    pub value_options: Vec<String>,
    /// With `unknown_options_take_value`, the options that take no value.
    #[serde(default)]
    pub flag_options: Vec<String>,
    /// Whether an option guard has not been told about takes the next word as its value
    /// (true for the AWS CLI, where nearly every option does).
    #[serde(default)]
    pub unknown_options_take_value: bool,
    /// Options whose values select an environment (`--profile`, `--context`, `-chdir`).
    #[serde(default)]
    pub environment_options: Vec<String>,
    /// Environment variables whose values select an environment (`AWS_PROFILE`).
    #[serde(default)]
    pub environment_variables: Vec<String>,
    /// Environment variables whose words the tool reads as extra arguments after the
    /// subcommand; `{command}` stands for the first positional (`TF_CLI_ARGS_{command}`).
    #[serde(default)]
    pub args_from_env: Vec<String>,
    /// How the tool reads commands from standard input when the input holds their text
    /// (`echo 'DROP DATABASE x' | psql`): an option name (`"-c"`: read as that option's
    /// value), `"arg"` (one more operand) or `"lines"` (each line is the arguments of one
    /// invocation, as redis-cli reads them).
    #[serde(default)]
    pub stdin_as: Option<String>,
    /// Options that make the tool print help and do nothing else (`-help`): with one of
    /// them present, no rule for the tool matches.
    #[serde(default)]
    pub help_options: Vec<String>,
    /// The tool takes a long option by any unambiguous prefix (`git reset --har` is
    /// `--hard`), as git's option parser and Python's argparse do.
    #[serde(default)]
    pub abbreviations: bool,
    /// The tool reads its command words in any case (`redis-cli FLUSHall`): rules match
    /// them lowercased.
    #[serde(default)]
    pub case_insensitive_commands: bool,
    /// Subcommands whose first operand is a resource `TYPE[/NAME]` (kubectl's `delete`,
    /// `scale`...): that word is read lowercased, with `TYPE/NAME` split in two, so a rule
    /// names a kind once (`delete CephCluster/x` is `delete cephcluster x`).
    #[serde(default)]
    pub type_name_after: Vec<String>,
    /// A long option with a value takes every word up to the next option (the Azure
    /// CLI's `--key-permissions get list delete`), so none of them is a subcommand word.
    #[serde(default)]
    pub values_run_to_next_option: bool,
    /// Positional words that make the tool print help and do nothing else, at the end of
    /// the command (`aws s3 rb help`).
    #[serde(default)]
    pub help_words: Vec<String>,
    /// The general reading (`PROGRAM [GROUP...] VERB [OBJECT...]`) also applies to this
    /// tool when none of its pack's rules match: for cloud and platform CLIs, where
    /// `delete`, `destroy` or `remove` of any resource deletes it, and the pack names
    /// only the resources it knows.
    #[serde(default)]
    pub generic_fallback: bool,
}

/// One words-or-patterns list: a single string or an array of strings. (Read by hand
/// rather than `#[serde(untagged)]`, which buffers the value and builds an error for each
/// shape it tries: every pack has dozens of these, on every run.)
#[derive(Debug, Clone, Default)]
pub enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Shape;
        impl<'de> serde::de::Visitor<'de> for Shape {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(s) = seq.next_element::<String>()? {
                    v.push(s);
                }
                Ok(OneOrMany::Many(v))
            }
        }
        d.deserialize_any(Shape)
    }
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A condition on a piece of text: any glob matches or the regex matches, and the
/// `not_regex` does not.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    #[serde(default)]
    pub glob: Vec<String>,
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub not_regex: Option<Spanned<String>>,
}

/// A condition on the value of an option: some occurrence of `option` has a value that
/// satisfies the text condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionValueSpec {
    pub option: String,
    #[serde(default)]
    pub glob: Vec<String>,
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub not_regex: Option<Spanned<String>>,
}

/// A condition on an environment variable (from the process or a leading assignment).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSpec {
    /// Variable names, `|`-separated alternatives.
    pub var: String,
    pub regex: Spanned<String>,
}

/// One rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    /// Tool or program names the rule applies to (matched on the basename of argv[0]).
    pub tools: Vec<String>,
    /// Subcommand path(s): words that the positional arguments must start with, each word
    /// a glob with `|` alternatives (`"rds delete-db-instance|delete-db-cluster"`).
    #[serde(default)]
    pub command: OneOrMany,
    /// Subcommand paths that keep the rule from matching even when `command` does
    /// (`"compute instances describe"` under a catch-all `"* * delete"`).
    #[serde(default)]
    pub not_command: OneOrMany,
    /// Options that must all be present; each entry lists `|`-separated spellings.
    #[serde(default)]
    pub options: Vec<String>,
    /// At least one of these options must be present.
    #[serde(default)]
    pub any_option: Vec<String>,
    /// None of these options may be present.
    #[serde(default)]
    pub without_options: Vec<String>,
    /// Conditions on option values; all must hold.
    #[serde(default)]
    pub option_values: Vec<OptionValueSpec>,
    /// Some argument after the subcommand path satisfies this.
    #[serde(default)]
    pub args: Option<TextSpec>,
    /// Conditions on environment variables; all must hold.
    #[serde(default)]
    pub env: Vec<EnvSpec>,
    pub severity: Spanned<Decision>,
    /// Shown to the person: what the command does that makes it dangerous.
    pub reason: String,
    /// A safer alternative, where one exists.
    #[serde(default)]
    pub suggestion: Option<String>,
    /// Where to find the name of what the command acts on, tried in order:
    /// `arg:N` (N-th argument after the subcommand path, from 1), `option:NAME|NAME`,
    /// `env:VAR`.
    #[serde(default)]
    pub target: Vec<String>,
    /// Ids of more general rules whose finding this rule replaces when both match the
    /// same command and this one is at least as strict (so the person sees one reason).
    #[serde(default)]
    pub shadows: Vec<String>,
    /// The command's standard input is given by the input (`yes |`, `<<< yes`, a
    /// redirect), so a confirmation prompt the program shows is answered without a
    /// person.
    #[serde(default)]
    pub stdin: bool,
    /// The rule flags that the command's effect is unknown from its arguments (an apply
    /// that does not show its plan): when guard reads the plan, the plan's own finding
    /// replaces this one.
    #[serde(default)]
    pub plan_supersedes: bool,
    /// A rule of the general reading (`verb` or `environment`), for every program with
    /// no pack: `tools = ["*"]` and no other condition.
    #[serde(default)]
    pub generic: Option<String>,
    /// A catch-all (`* delete-*`): when the general reading finds a deleting verb with
    /// an environment-level object in the command (`ecs delete-cluster`, `glue
    /// delete-database`), its finding is two-person.
    #[serde(default)]
    pub environment_objects: bool,
    /// Commands the rule must match.
    #[serde(rename = "match", default)]
    pub matches: Vec<Spanned<String>>,
    /// Commands the rule must not match.
    #[serde(default)]
    pub not_match: Vec<Spanned<String>>,
}
