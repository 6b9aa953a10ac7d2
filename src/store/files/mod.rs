//! The files backend, the embedded default: the audit trail, the one-time ledger and
//! the breaker's state as files in guard's state directory (`$XDG_STATE_HOME/guard`, else
//! `~/.local/state/guard`), or where the user and system configs put them. There is no
//! fallback to a shared directory: with neither HOME nor XDG_STATE_HOME, the state has
//! no safe place and every operation says so.

mod audit;
mod breaker;
mod inbox;
pub mod ledger;
pub mod safe;

use super::{AuditTrail, Breaker, Inbox, Ledger, Pending, Spend, StoreError};
use crate::audit::Record;
use crate::audit::verify::{Broken, Summary};
use crate::breaker::{Limits, State};
use crate::settings::Settings;
use std::path::{Path, PathBuf};

pub use audit::{head_path, read_head, rotate};

/// guard's state directory: a protected install's (`/var/lib/guard`), else
/// `$XDG_STATE_HOME/guard`, else `~/.local/state/guard`.
pub fn state_dir_for(settings: &Settings) -> Result<PathBuf, StoreError> {
    if settings.protected {
        return Ok(PathBuf::from(crate::settings::PROTECTED_STATE));
    }
    state_dir()
}

/// The user's own state directory: `$XDG_STATE_HOME/guard`, else `~/.local/state/guard`.
pub fn state_dir() -> Result<PathBuf, StoreError> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })
        .map(|d| d.join("guard"))
        .ok_or_else(|| {
            StoreError::NoPlace(
                "neither HOME nor XDG_STATE_HOME is set, so guard has no safe place for its audit log, approval ledger and breaker state (it never falls back to a shared directory such as /tmp): set HOME".into(),
            )
        })
}

/// The state kept in files.
#[derive(Debug, Clone)]
pub struct Files {
    audit: Result<PathBuf, String>,
    ledger: Result<PathBuf, String>,
    breaker: Result<PathBuf, String>,
    inbox: Result<PathBuf, String>,
    syslog: Option<PathBuf>,
}

impl Files {
    /// The files the settings name, else those in the state directory.
    pub fn new(settings: &Settings) -> Files {
        let state = state_dir_for(settings).map_err(|e| e.to_string());
        let at = |configured: &Option<PathBuf>, name: &str| match configured {
            Some(p) => Ok(p.clone()),
            None => state.as_ref().map(|d| d.join(name)).map_err(Clone::clone),
        };
        Files {
            audit: at(&settings.audit.path, "audit.jsonl"),
            ledger: at(&settings.approvals.ledger, "approvals.jsonl"),
            breaker: at(&None, "breaker.json"),
            inbox: at(&None, "inbox"),
            syslog: settings.audit.syslog.then(|| {
                settings
                    .audit
                    .syslog_socket
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("/dev/log"))
            }),
        }
    }

    pub fn audit_path(&self) -> Result<&Path, StoreError> {
        path(&self.audit)
    }

    pub fn ledger_path(&self) -> Result<&Path, StoreError> {
        path(&self.ledger)
    }

    pub fn breaker_path(&self) -> Result<&Path, StoreError> {
        path(&self.breaker)
    }

    /// Sends a written record on to syslog, when that is on; a failure is a warning.
    fn forward(&self, record: &Record) {
        if let Some(socket) = &self.syslog {
            // Once per run: a command's decision and its end would say it twice.
            static WARNED: std::sync::atomic::AtomicBool =
                std::sync::atomic::AtomicBool::new(false);
            if let Err(e) = super::syslog::send(socket, record) {
                if WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                eprintln!(
                    "guard: warning: could not send the audit record to syslog ({}): {e}",
                    socket.display()
                );
            }
        }
    }
}

fn path(p: &Result<PathBuf, String>) -> Result<&Path, StoreError> {
    p.as_deref().map_err(|e| StoreError::NoPlace(e.clone()))
}

impl AuditTrail for Files {
    fn append(&self, record: Record) -> Result<Record, StoreError> {
        let written = audit::append(self.audit_path()?, record)?;
        self.forward(&written);
        Ok(written)
    }

    fn records(&self) -> Result<Vec<Record>, StoreError> {
        let path = self.audit_path()?;
        Ok(read_text(path)?
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    fn verify(&self) -> Result<Result<Summary, Broken>, StoreError> {
        let path = self.audit_path()?;
        let text = read_text(path)?.unwrap_or_default();
        Ok(verify_anchored(&text, audit::read_head(path)?.as_ref()))
    }

    fn location(&self) -> String {
        match &self.audit {
            Ok(p) => p.display().to_string(),
            Err(e) => e.clone(),
        }
    }
}

/// Walks a log's chain and holds it to its anchor, when it has one.
pub fn verify_anchored(
    text: &str,
    head: Option<&crate::audit::verify::Head>,
) -> Result<Summary, Broken> {
    let summary = crate::audit::verify::verify(text)?;
    if let Some(h) = head {
        crate::audit::verify::check_head(text, h)?;
    }
    Ok(summary)
}

/// A file's text, or `None` when it does not exist.
pub fn read_text(path: &Path) -> Result<Option<String>, StoreError> {
    safe::read(path, "the audit log")
}

impl Ledger for Files {
    fn spent(&self, nonce: &str) -> Result<Option<(u64, String)>, StoreError> {
        ledger::spent(self.ledger_path()?, nonce)
    }

    fn commit(&self, record: Record, spend: Option<Spend>) -> Result<Record, StoreError> {
        match spend {
            None => self.append(record),
            Some(spend) => ledger::spend_with(self.ledger_path()?, spend, || self.append(record)),
        }
    }
}

impl Breaker for Files {
    fn update(&self, limits: &Limits, f: &mut dyn FnMut(&mut State)) -> Result<(), StoreError> {
        breaker::update(self.breaker_path()?, self.audit_path()?, limits, f)
    }
}

impl Inbox for Files {
    fn post(&self, id: &str, request: &str, expires: u64) -> Result<Pending, StoreError> {
        inbox::post(path(&self.inbox)?, id, request, expires, crate::time::now())
    }

    fn waiting(&self, now: u64) -> Result<Vec<Pending>, StoreError> {
        inbox::waiting(path(&self.inbox)?, now)
    }

    fn find(&self, id: &str) -> Result<Option<Pending>, StoreError> {
        inbox::find(path(&self.inbox)?, id)
    }

    fn add_token(&self, id: &str, token: &str) -> Result<Pending, StoreError> {
        inbox::add_token(path(&self.inbox)?, id, token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_backend_passes_the_conformance_cases() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| Ok(dir.path().join(name));
        let files = Files {
            audit: at("audit.jsonl"),
            ledger: at("approvals.jsonl"),
            breaker: at("breaker.json"),
            inbox: at("inbox"),
            syslog: None,
        };
        crate::store::conformance::run_all(&files);
    }
}
