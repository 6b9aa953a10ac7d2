//! The settings the config layers resolve to, beyond rules: `[approvals]`, `[audit]`,
//! `[plans]` and `[breaker]`, with their defaults. Plain data, resolved once by
//! `config` (which decides what each layer may say) and read by the layers below it. A
//! leaf.

use std::path::PathBuf;

/// The system config: root's, the only layer a protected install trusts for where state
/// lives and who is who.
pub const SYSTEM_CONFIG: &str = "/etc/guard/config.toml";
/// A protected install's state directory (group `guard`, closed to everyone else).
pub const PROTECTED_STATE: &str = "/var/lib/guard";
/// A protected install's shims (`guard setup --shims`), first on every login shell's PATH.
pub const SYSTEM_SHIMS: &str = "/usr/local/lib/guard/shims";

/// Everything but the rules.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub approvals: Approvals,
    pub audit: Audit,
    pub plans: Plans,
    pub breaker: BreakerLimits,
    pub notify: Notify,
    /// `[supervise] wait`: seconds a command held in a supervised tree waits for its
    /// approval before it is ended.
    pub supervise_wait: u64,
    /// `[store]`: a shared database, when one is named.
    pub store: Option<SharedStore>,
    /// guard runs protected: installed setgid to its group, with a system config. State
    /// paths and identities then come only from the system config and fixed defaults.
    pub protected: bool,
}

/// `[approvals]` after every layer, with defaults.
#[derive(Debug, Clone)]
pub struct Approvals {
    pub allowed_signers: Option<PathBuf>,
    /// The requester's principal: in a protected install, the system config's
    /// `[principals]` entry for the account; else `[approvals] principal`.
    pub principal: Option<String>,
    /// In a protected install, the account that has no `[principals]` entry: its
    /// approvals cannot be told apart from its own signature, so none verifies.
    pub unmapped: Option<String>,
    /// The system config's `[principals]`, all of it: a CI actor (`github:alice`) is
    /// looked up here by name.
    pub principals: Vec<(String, String)>,
    /// Seconds a new request stays approvable.
    pub lifetime: u64,
    pub max_lifetime: u64,
    pub required: usize,
    pub key: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
    pub token_confirms: bool,
    pub break_glass: bool,
}

impl Default for Approvals {
    fn default() -> Self {
        Approvals {
            allowed_signers: None,
            principal: None,
            unmapped: None,
            principals: Vec::new(),
            lifetime: 15 * 60,
            max_lifetime: 60 * 60,
            required: 1,
            key: None,
            ledger: None,
            token_confirms: false,
            break_glass: false,
        }
    }
}

/// `[store]`: the team's database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedStore {
    pub url: String,
    pub password_file: Option<PathBuf>,
}

/// `[audit]`: where the trail goes.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// The log file, when a config names one.
    pub path: Option<PathBuf>,
    /// Whether records also go to syslog.
    pub syslog: bool,
    /// The syslog socket (default `/dev/log`).
    pub syslog_socket: Option<PathBuf>,
    /// Which allowed commands get a record.
    pub allowed: AllowedRecords,
}

/// `[audit] allowed`: which allowed commands get a record. Every decision above allow
/// is recorded whatever this says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AllowedRecords {
    /// Every one, through shims too.
    All,
    /// Those run explicitly (`guard --`, `guard -c`); an allowed command through a shim
    /// runs at once, with no record.
    #[default]
    Explicit,
    /// None.
    None,
}

/// `[notify]`: who hears of a request posted or a breaker opened. Every layer that may
/// set it adds its own; none takes another's away.
#[derive(Debug, Clone, Default)]
pub struct Notify {
    /// Commands run with the event as JSON on stdin (`notify-send`, a script).
    pub commands: Vec<Vec<String>>,
    /// URLs the event is POSTed to as JSON, with a Slack-compatible `text`.
    pub webhooks: Vec<String>,
}

/// `[plans]` after every layer, with defaults.
#[derive(Debug, Clone)]
pub struct Plans {
    pub plan_first: bool,
    /// Seconds reading a plan may take.
    pub timeout: u64,
}

impl Default for Plans {
    fn default() -> Self {
        Plans {
            plan_first: false,
            timeout: 120,
        }
    }
}

/// `[breaker]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerLimits {
    pub enabled: bool,
    pub max_refusals: usize,
    pub max_destructive: usize,
    /// Seconds.
    pub window: u64,
}

impl Default for BreakerLimits {
    fn default() -> Self {
        BreakerLimits {
            enabled: true,
            max_refusals: 5,
            max_destructive: 10,
            window: 15 * 60,
        }
    }
}
