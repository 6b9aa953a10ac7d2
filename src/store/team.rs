//! A team's store: the shared database (`[store] url`) for everything a second machine
//! must see — the decisions above allow and how those runs ended, the one-time ledger,
//! the breaker's counts and the inbox — and this machine's files for the allowed
//! commands. An allowed command so never waits for the database, nor fails for want of
//! it: guard connects only when a command needs more than allow.

use super::{AuditTrail, Breaker, Inbox, Ledger, Pending, Spend, StoreError};
use crate::audit::Record;
use crate::audit::verify::{Broken, Summary};
use crate::breaker::{Limits, State};
use std::sync::Mutex;

/// The shared store, with the local files beside it.
pub struct Team<S> {
    shared: S,
    local: super::files::Files,
    /// The runs whose decision went to the local trail: their exit records follow.
    local_runs: Mutex<Vec<String>>,
}

impl<S> Team<S> {
    pub fn new(shared: S, local: super::files::Files) -> Team<S> {
        Team {
            shared,
            local,
            local_runs: Mutex::new(Vec::new()),
        }
    }

    /// Whether a record belongs to the local trail: an allowed decision (with no
    /// approval spent), and the end of a run whose decision did.
    fn is_local(&self, r: &Record) -> bool {
        let runs = self.local_runs.lock().unwrap_or_else(|p| p.into_inner());
        match r.kind.as_str() {
            "decision" => r.decision == "allow" && r.nonce.is_empty(),
            "exit" => runs.contains(&r.run),
            _ => false,
        }
    }

    fn remember(&self, r: &Record) {
        if r.kind == "decision" {
            let mut runs = self.local_runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.push(r.run.clone());
        }
    }
}

impl<S: AuditTrail> AuditTrail for Team<S> {
    fn append(&self, record: Record) -> Result<Record, StoreError> {
        if self.is_local(&record) {
            self.remember(&record);
            return self.local.append(record);
        }
        self.shared.append(record)
    }

    /// The shared trail and this machine's allowed commands, in time order.
    fn records(&self) -> Result<Vec<Record>, StoreError> {
        let mut all = self.shared.records()?;
        all.extend(self.local.records()?);
        // RFC 3339 times in UTC sort as text; the sort is stable within a second.
        all.sort_by(|a, b| a.time.cmp(&b.time));
        Ok(all)
    }

    /// Both chains: the first broken link of either.
    fn verify(&self) -> Result<Result<Summary, Broken>, StoreError> {
        let shared = self.shared.verify()?;
        let local = self.local.verify()?;
        Ok(match (shared, local) {
            (Ok(a), Ok(b)) => Ok(Summary {
                records: a.records + b.records,
                continues_from: b.continues_from,
            }),
            (Err(e), _) => Err(Broken {
                line: e.line,
                what: format!("{} (in {})", e.what, self.shared.location()),
            }),
            (_, Err(e)) => Err(Broken {
                line: e.line,
                what: format!("{} (in {})", e.what, self.local.location()),
            }),
        })
    }

    fn location(&self) -> String {
        format!(
            "{} (allowed commands: {})",
            self.shared.location(),
            self.local.location()
        )
    }
}

impl<S: Ledger> Ledger for Team<S> {
    fn spent(&self, nonce: &str) -> Result<Option<(u64, String)>, StoreError> {
        self.shared.spent(nonce)
    }

    fn commit(&self, record: Record, spend: Option<Spend>) -> Result<Record, StoreError> {
        if spend.is_none() && self.is_local(&record) {
            self.remember(&record);
            return self.local.commit(record, None);
        }
        self.shared.commit(record, spend)
    }
}

impl<S: Breaker> Breaker for Team<S> {
    fn update(&self, limits: &Limits, f: &mut dyn FnMut(&mut State)) -> Result<(), StoreError> {
        self.shared.update(limits, f)
    }
}

impl<S: Inbox> Inbox for Team<S> {
    fn post(&self, id: &str, request: &str, expires: u64) -> Result<Pending, StoreError> {
        self.shared.post(id, request, expires)
    }

    fn waiting(&self, now: u64) -> Result<Vec<Pending>, StoreError> {
        self.shared.waiting(now)
    }

    fn find(&self, id: &str) -> Result<Option<Pending>, StoreError> {
        self.shared.find(id)
    }

    fn add_token(&self, id: &str, token: &str) -> Result<Pending, StoreError> {
        self.shared.add_token(id, token)
    }
}

/// A shared store that cannot be used at all (its address is not valid, its password
/// file cannot be read): every use says why, in one line, so commands above allow are
/// refused and allowed ones still run.
pub struct Unusable(pub String);

impl Unusable {
    fn fail<T>(&self) -> Result<T, StoreError> {
        Err(StoreError::NoPlace(self.0.clone()))
    }
}

impl AuditTrail for Unusable {
    fn append(&self, _: Record) -> Result<Record, StoreError> {
        self.fail()
    }
    fn records(&self) -> Result<Vec<Record>, StoreError> {
        self.fail()
    }
    fn verify(&self) -> Result<Result<Summary, Broken>, StoreError> {
        self.fail()
    }
    fn location(&self) -> String {
        "the guard database".into()
    }
}

impl Ledger for Unusable {
    fn spent(&self, _: &str) -> Result<Option<(u64, String)>, StoreError> {
        self.fail()
    }
    fn commit(&self, _: Record, _: Option<Spend>) -> Result<Record, StoreError> {
        self.fail()
    }
}

impl Breaker for Unusable {
    fn update(&self, _: &Limits, _: &mut dyn FnMut(&mut State)) -> Result<(), StoreError> {
        self.fail()
    }
}

impl Inbox for Unusable {
    fn post(&self, _: &str, _: &str, _: u64) -> Result<Pending, StoreError> {
        self.fail()
    }
    fn waiting(&self, _: u64) -> Result<Vec<Pending>, StoreError> {
        self.fail()
    }
    fn find(&self, _: &str) -> Result<Option<Pending>, StoreError> {
        self.fail()
    }
    fn add_token(&self, _: &str, _: &str) -> Result<Pending, StoreError> {
        self.fail()
    }
}
