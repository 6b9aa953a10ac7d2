//! The PostgreSQL backend: guard's state in one database that a team's machines share,
//! so the audit trail is one hash chain, an approval is spent once whichever machine
//! runs it, and the breaker counts every machine's refusals.
//!
//! Invariants: [`Postgres::new`] never touches the network (guard's allow path stays
//! fast and offline); the connection is made on first use, once per process, within
//! [`CONNECT_TIMEOUT`]. Everything guard does as the requester role is INSERT or SELECT:
//! no row is ever updated or deleted, and the role is granted nothing else (see
//! [`install`]). Writes that must not interleave (audit appends, breaker updates) hold
//! a transaction-scoped advisory lock, the only lock an insert-only role may take.
//! Errors are one line naming the database (never its password) and the cause.

mod audit;
mod breaker;
mod inbox;
mod ledger;
mod schema;

pub use schema::{SCHEMA_VERSION, SEQUENCES, TABLES, install};

use super::{AuditTrail, Breaker, Inbox, Ledger, Pending, Spend, StoreError};
use crate::audit::Record;
use crate::audit::verify::{Broken, Summary};
use crate::breaker::{Limits, State};
use postgres::{Client, NoTls};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// How long guard waits for the database to answer a connection, all in all (TCP,
/// startup and authentication), before it gives up and refuses.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Server settings for guard's sessions, before the URL's own `options`: wait for a
/// lock no longer than the files backend does, never run a statement for long, and
/// never leave a transaction open (a guard stopped in one must not hold the locks).
const SESSION: &str =
    "-c lock_timeout=10s -c statement_timeout=30s -c idle_in_transaction_session_timeout=30s";

/// guard's state in a PostgreSQL database.
pub struct Postgres {
    config: postgres::Config,
    location: String,
    timeout: Duration,
    /// Whether the first connection checks the schema's version (not when installing).
    check_schema: bool,
    client: Mutex<Option<Client>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// The advisory locks guard takes, as (class, key) pairs: one class for guard, one key
/// for each thing that must not interleave.
pub(super) const LOCK_CLASS: i32 = 0x6775_6172;
pub(super) const AUDIT_LOCK: i32 = 1;
pub(super) const BREAKER_LOCK: i32 = 2;
pub(super) const INSTALL_LOCK: i32 = 3;

/// Holds one of guard's advisory locks until the transaction ends.
pub(super) fn lock(tx: &mut postgres::Transaction, key: i32) -> Result<(), postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_CLASS, &key])
        .map(|_| ())
}

/// What went wrong inside an operation: the database's error (rendered with where and
/// what at the edge), or the store's own.
pub(super) enum Fail {
    Db(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Fail {
        Fail::Db(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::Store(e)
    }
}

impl Postgres {
    /// The store at `url` (`postgresql://USER@HOST:PORT/DB`, or `key=value` pairs),
    /// with `password` when it is kept apart from the URL. Does not connect.
    pub fn new(url: &str, password: Option<String>) -> Result<Postgres, StoreError> {
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            StoreError::NoPlace(format!(
                "the guard database's address is not valid: {}",
                one_line(&e)
            ))
        })?;
        if let Some(p) = password {
            config.password(p);
        }
        // The address's own `connect_timeout`, else ours; either bounds the whole connect.
        let timeout = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(CONNECT_TIMEOUT);
        config.connect_timeout(timeout);
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(30));
        }
        let options = match config.get_options() {
            Some(own) => format!("{SESSION} {own}"),
            None => SESSION.to_string(),
        };
        config.options(&options);
        if config.get_application_name().is_none() {
            config.application_name("guard");
        }
        Ok(Postgres {
            location: location(&config),
            config,
            timeout,
            check_schema: true,
            client: Mutex::new(None),
        })
    }

    /// The same store with another bound on the time to connect.
    pub fn connect_timeout(mut self, timeout: Duration) -> Postgres {
        self.timeout = timeout;
        self.config.connect_timeout(timeout);
        self
    }

    /// Where the database is, without the password: `postgresql://USER@HOST:PORT/DB`.
    pub fn address(&self) -> &str {
        &self.location
    }

    /// Runs `f` on the connection, connecting first when there is none (or it broke).
    /// A failure is one line: what was being done, where, and why. Not reentrant: `f`
    /// (and a breaker update's change) must not use the store again.
    pub(super) fn with_client<T>(
        &self,
        action: &str,
        f: impl FnOnce(&mut Client) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let mut slot = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = None;
            *slot = Some(self.connect()?);
        }
        let Some(client) = slot.as_mut() else {
            return Err(StoreError::NoPlace(format!(
                "cannot {action} in the guard database {}: no connection",
                self.location
            )));
        };
        f(client).map_err(|fail| match fail {
            Fail::Store(e) => e,
            Fail::Db(e) => StoreError::NoPlace(format!(
                "cannot {action} in the guard database {}: {}",
                self.location,
                one_line(&e)
            )),
        })
    }

    /// Connects within [`Postgres::connect_timeout`], all steps together: the driver
    /// bounds only the TCP connection, so the rest runs on a thread that is left behind
    /// if it takes too long.
    fn connect(&self) -> Result<Client, StoreError> {
        let failed = |why: String| {
            StoreError::NoPlace(format!(
                "cannot connect to the guard database {}: {why}",
                self.location
            ))
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let config = self.config.clone();
        std::thread::Builder::new()
            .name("guard-postgres-connect".into())
            .spawn(move || {
                let _ = tx.send(config.connect(NoTls));
            })
            .map_err(|e| failed(format!("cannot start a thread ({e})")))?;
        let mut client = match rx.recv_timeout(self.timeout) {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(failed(one_line(&e))),
            Err(_) => {
                return Err(failed(format!(
                    "no answer within {}s",
                    self.timeout.as_secs_f32()
                )));
            }
        };
        if self.check_schema {
            schema::check_version(&mut client, &self.location).map_err(|e| match e {
                Fail::Store(e) => e,
                Fail::Db(e) => failed(one_line(&e)),
            })?;
        }
        Ok(client)
    }
}

/// `postgresql://USER@HOST:PORT/DB`, from what the address says (the driver's defaults
/// where it says nothing), never with the password.
fn location(config: &postgres::Config) -> String {
    use postgres::config::Host;
    let user = config.get_user().unwrap_or("");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => config
            .get_hostaddrs()
            .first()
            .map_or_else(|| "localhost".to_string(), ToString::to_string),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or(user);
    let at = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    format!("postgresql://{at}{host}:{port}/{db}")
}

/// An error and its causes on one line (the server's detail and hint included).
pub(super) fn one_line(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Seconds since the epoch as the `bigint` they are stored as.
pub(super) fn to_db(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// A stored `bigint` time back to seconds since the epoch.
pub(super) fn from_db(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}

impl AuditTrail for Postgres {
    fn append(&self, record: Record) -> Result<Record, StoreError> {
        self.with_client("append to the audit trail", |c| {
            let mut tx = c.transaction()?;
            let written = audit::append(&mut tx, record, &self.location)?;
            tx.commit()?;
            Ok(written)
        })
    }

    fn records(&self) -> Result<Vec<Record>, StoreError> {
        self.with_client("read the audit trail", audit::records)
    }

    fn verify(&self) -> Result<Result<Summary, Broken>, StoreError> {
        self.with_client("verify the audit trail", audit::verify)
    }

    fn location(&self) -> String {
        format!("the guard_audit table of {}", self.location)
    }
}

impl Ledger for Postgres {
    fn spent(&self, nonce: &str) -> Result<Option<(u64, String)>, StoreError> {
        self.with_client("read the approval ledger", |c| ledger::spent(c, nonce))
    }

    fn commit(&self, record: Record, spend: Option<Spend>) -> Result<Record, StoreError> {
        match spend {
            None => self.append(record),
            Some(spend) => self.with_client("spend the approval and record it", |c| {
                ledger::commit(c, record, spend, &self.location)
            }),
        }
    }
}

impl Breaker for Postgres {
    fn update(&self, limits: &Limits, f: &mut dyn FnMut(&mut State)) -> Result<(), StoreError> {
        self.with_client("update the circuit breaker", |c| {
            breaker::update(c, limits, f)
        })
    }
}

impl Inbox for Postgres {
    fn post(&self, id: &str, request: &str, expires: u64) -> Result<Pending, StoreError> {
        inbox::check_id(id)?;
        self.with_client("post to the approval inbox", |c| {
            inbox::post(c, id, request, expires, crate::time::now())
        })
    }

    fn waiting(&self, now: u64) -> Result<Vec<Pending>, StoreError> {
        self.with_client("read the approval inbox", |c| inbox::waiting(c, now))
    }

    fn find(&self, id: &str) -> Result<Option<Pending>, StoreError> {
        if inbox::check_id(id).is_err() {
            return Ok(None);
        }
        self.with_client("read the approval inbox", |c| inbox::find(c, id))
    }

    fn add_token(&self, id: &str, token: &str) -> Result<Pending, StoreError> {
        self.with_client("add a token to the approval inbox", |c| {
            inbox::add_token(c, id, token)
        })
    }
}
