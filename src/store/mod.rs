//! Where guard's state is kept, behind one small trait per kind of state: the audit
//! trail (append, read, verify), the one-time ledger of spent approvals, the circuit
//! breaker's counts (read-modify-write under a lock), and the inbox of requests waiting
//! for an approver. Files are the embedded backend ([`files`]); a shared database can
//! implement the same traits.
//!
//! The invariant every backend keeps: a decision is committed in one step. The decision
//! record is written and the approval's nonce spent together, or neither is, so an
//! approval is never burned by a record that could not be written, and never spent
//! without its record.

// The backend-independent cases (test code, compiled with the library so the
// PostgreSQL backend's integration tests can run them too).
#[doc(hidden)]
pub mod conformance;
pub mod files;
pub mod postgres;
mod syslog;
pub mod team;

use crate::audit::Record;
use crate::audit::verify::{Broken, Summary};
use crate::breaker::{Limits, State};
use std::path::PathBuf;

/// Why the store could not do what was asked. Every variant renders as one line that
/// says what and where.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory could not be read, written, created or locked.
    #[error("cannot {action} {what} {}: {source}", path.display())]
    Io {
        action: &'static str,
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Stored state is there but cannot be read as what it should be.
    #[error("{what} {} is damaged: {why}", path.display())]
    Damaged {
        what: &'static str,
        path: PathBuf,
        why: String,
    },
    /// There is no safe place to keep guard's state.
    #[error("{0}")]
    NoPlace(String),
    /// The approval's nonce was spent before.
    #[error(
        "this approval was already used at {} (Unix time {used_at}) for `{command}`; each approval runs a command once: ask for a new one",
        crate::time::format_time(*used_at)
    )]
    Spent { used_at: u64, command: String },
    /// What the backend cannot do at all.
    #[error("{0}")]
    Unsupported(String),
}

impl StoreError {
    pub(crate) fn io(
        action: &'static str,
        what: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.to_path_buf();
        move |source| StoreError::Io {
            action,
            what,
            path,
            source,
        }
    }
}

/// An approval's nonce to spend with a decision.
#[derive(Debug, Clone, Copy)]
pub struct Spend<'a> {
    pub nonce: &'a str,
    /// The command it is spent on, as shown.
    pub command: &'a str,
    pub now: u64,
}

/// The audit trail.
pub trait AuditTrail {
    /// Appends one record, chained to the one before it; returns it as written. A
    /// decision record is durable before this returns.
    fn append(&self, record: Record) -> Result<Record, StoreError>;
    /// The whole trail in order, oldest first; empty when nothing was recorded yet.
    fn records(&self) -> Result<Vec<Record>, StoreError>;
    /// Walks the hash chain.
    fn verify(&self) -> Result<Result<Summary, Broken>, StoreError>;
    /// Where the trail is, for messages.
    fn location(&self) -> String;
}

/// The one-time ledger, committed with the decision record.
pub trait Ledger {
    /// When and for what the nonce was spent, if it was (a look, not a spend).
    fn spent(&self, nonce: &str) -> Result<Option<(u64, String)>, StoreError>;
    /// Writes `record` and, when given, spends the approval's nonce: both or neither. A
    /// nonce spent before is refused with [`StoreError::Spent`] and nothing is written.
    fn commit(&self, record: Record, spend: Option<Spend>) -> Result<Record, StoreError>;
}

/// The circuit breaker's state, changed under a lock so parallel guards count exactly.
pub trait Breaker {
    /// Runs `f` on the state under the lock and keeps what it changed. A state that is
    /// missing or damaged is rebuilt from the audit trail; when that is impossible too,
    /// `f` sees a state open for everyone (fail closed), which is never kept.
    fn update(&self, limits: &Limits, f: &mut dyn FnMut(&mut State)) -> Result<(), StoreError>;
}

/// A request waiting for approvers, with the tokens they signed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// The request's short id (`Request::id`).
    pub id: String,
    /// The request JSON exactly as approvers sign it.
    pub request: String,
    /// When it was posted and when it expires (seconds since the epoch).
    pub posted: u64,
    pub expires: u64,
    /// Approvers' tokens, as they signed them.
    #[serde(default)]
    pub tokens: Vec<String>,
}

/// The inbox of requests waiting for approvers: posted when guard refuses a command for
/// want of an approval, listed and signed by approvers (`guard approve --list`, `guard
/// approve ID`), and picked up by the requester's next run of the same command.
pub trait Inbox {
    /// Posts a request: its id, its JSON as approvers sign it, and when it expires.
    fn post(&self, id: &str, request: &str, expires: u64) -> Result<Pending, StoreError>;
    /// Every request not expired at `now`, oldest first.
    fn waiting(&self, now: u64) -> Result<Vec<Pending>, StoreError>;
    /// The request with this id (or the only one whose id starts with it).
    fn find(&self, id: &str) -> Result<Option<Pending>, StoreError>;
    /// Adds an approver's token to a request; returns it as it is now.
    fn add_token(&self, id: &str, token: &str) -> Result<Pending, StoreError>;
}

/// Everything guard keeps.
pub trait Store: AuditTrail + Ledger + Breaker + Inbox {}

impl<T: AuditTrail + Ledger + Breaker + Inbox> Store for T {}

/// Runs `f` on the breaker state and returns what it computed.
pub fn with_breaker<T>(
    store: &dyn Store,
    limits: &Limits,
    f: impl FnOnce(&mut State) -> T,
) -> Result<T, StoreError> {
    let mut f = Some(f);
    let mut out = None;
    store.update(limits, &mut |s| {
        if let Some(f) = f.take() {
            out = Some(f(s));
        }
    })?;
    out.ok_or_else(|| StoreError::Unsupported("the breaker's state was never read".into()))
}

/// The store the settings name: the files, or with `[store] url` the team's database
/// (with the files for allowed commands). Never connects: the database is reached on
/// first use, so an allowed command does not wait for it.
pub fn open(settings: &crate::settings::Settings) -> Box<dyn Store> {
    let local = files::Files::new(settings);
    let Some(shared) = &settings.store else {
        return Box::new(local);
    };
    let password = match &shared.password_file {
        None => Ok(None),
        Some(p) => std::fs::read_to_string(p)
            .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_string()))
            .map_err(|e| {
                format!(
                    "cannot read the guard database's password file {}: {e}; it must be readable by guard (in a protected install, by group guard)",
                    p.display()
                )
            }),
    };
    let pg =
        password.and_then(|pw| postgres::Postgres::new(&shared.url, pw).map_err(|e| e.to_string()));
    match pg {
        Ok(pg) => Box::new(team::Team::new(pg, local)),
        Err(why) => Box::new(team::Team::new(team::Unusable(why), local)),
    }
}
