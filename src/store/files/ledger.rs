//! The one-time ledger as a JSON Lines file: every approval nonce that was spent, with
//! when and for what, kept under an exclusive lock while it is checked and written.
//!
//! A spend is committed with its decision record: the nonce is appended (and flushed),
//! then the record; when the record cannot be written, the ledger is cut back to the
//! length it had, so the approval stays unspent. A crash between the two leaves the
//! nonce spent without a record: the approval is lost, never replayable.

use super::safe::open_locked;
use crate::store::{Spend, StoreError};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

const WHAT: &str = "the approval ledger";

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    nonce: String,
    used_at: u64,
    command: String,
}

/// Spends the nonce, then runs `then` (which writes the decision record) while the
/// ledger is still locked; if `then` fails, the spend is taken back.
pub fn spend_with<T>(
    path: &Path,
    spend: Spend,
    then: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut locked = open_locked(path, WHAT)?;
    check_unspent(&mut locked, path, spend.nonce)?;
    let before = locked
        .seek(SeekFrom::End(0))
        .map_err(StoreError::io("read", WHAT, path))?;
    let entry = Entry {
        nonce: spend.nonce.to_string(),
        used_at: spend.now,
        command: spend.command.to_string(),
    };
    let line = serde_json::to_string(&entry).unwrap_or_default() + "\n";
    locked
        .write_all(line.as_bytes())
        .and_then(|()| locked.sync_all())
        .map_err(StoreError::io("write", WHAT, path))?;
    match then() {
        Ok(v) => Ok(v),
        Err(e) => {
            // The decision is not on the record: the approval is not spent either.
            if let Err(undo) = locked.set_len(before).and_then(|()| locked.sync_all()) {
                return Err(StoreError::Damaged {
                    what: WHAT,
                    path: path.to_path_buf(),
                    why: format!("{e}, and the spend could not be taken back ({undo})"),
                });
            }
            Err(e)
        }
    }
}

/// When and for what `nonce` was spent, if it was; a ledger that does not exist yet has
/// spent nothing.
pub fn spent(path: &Path, nonce: &str) -> Result<Option<(u64, String)>, StoreError> {
    let mut f = match super::safe::open(path, WHAT, false) {
        Ok(f) => f,
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    match check_unspent(&mut f, path, nonce) {
        Ok(()) => Ok(None),
        Err(StoreError::Spent { used_at, command }) => Ok(Some((used_at, command))),
        Err(e) => Err(e),
    }
}

/// Fails with [`StoreError::Spent`] when the nonce is in the ledger.
fn check_unspent(f: &mut File, path: &Path, nonce: &str) -> Result<(), StoreError> {
    f.rewind().map_err(StoreError::io("read", WHAT, path))?;
    for line in BufReader::new(&*f).lines() {
        let line = line.map_err(StoreError::io("read", WHAT, path))?;
        if let Ok(e) = serde_json::from_str::<Entry>(&line) {
            if e.nonce == nonce {
                return Err(StoreError::Spent {
                    used_at: e.used_at,
                    command: e.command,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(nonce: &str, now: u64) -> Spend<'_> {
        Spend {
            nonce,
            command: "terraform destroy",
            now,
        }
    }

    #[test]
    fn a_nonce_is_spent_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/ledger.jsonl");
        spend_with(&path, spend("n1", 100), || Ok(())).unwrap();
        spend_with(&path, spend("n2", 101), || Ok(())).unwrap();
        let err = spend_with(&path, spend("n1", 200), || Ok(())).unwrap_err();
        assert!(
            matches!(err, StoreError::Spent { used_at: 100, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("already used"), "{err}");
    }

    #[test]
    fn a_failed_record_leaves_the_nonce_unspent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let failed = spend_with(&path, spend("n1", 100), || -> Result<(), _> {
            Err(StoreError::NoPlace(
                "the record could not be written".into(),
            ))
        });
        assert!(failed.is_err());
        spend_with(&path, spend("n1", 101), || Ok(())).unwrap();
        assert!(spend_with(&path, spend("n1", 102), || Ok(())).is_err());
    }

    #[test]
    fn an_unwritable_ledger_refuses() {
        let err = spend_with(Path::new("/proc/guard-no/ledger"), spend("n", 1), || Ok(()));
        assert!(err.unwrap_err().to_string().contains("cannot"));
    }
}
