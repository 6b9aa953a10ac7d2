//! The one-time ledger: every token nonce that was used, with when and for what. A nonce
//! is recorded under an exclusive file lock, and flushed to disk, before the command
//! starts; a nonce already in the ledger is refused, saying when it was used.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::Path;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    nonce: String,
    used_at: u64,
    command: String,
}

/// Records `nonce` as used now; `Err` says why it cannot be (already used, or the ledger
/// cannot be written — either way the command must not run).
pub fn consume(path: &Path, nonce: &str, command: &str, now: u64) -> Result<(), String> {
    let mut locked = crate::lockfile::open_locked(path, "the approval ledger")?;
    locked.rewind().map_err(|e| e.to_string())?;
    for line in BufReader::new(&*locked).lines() {
        let line =
            line.map_err(|e| format!("cannot read the approval ledger {}: {e}", path.display()))?;
        if let Ok(e) = serde_json::from_str::<Entry>(&line) {
            if e.nonce == nonce {
                return Err(format!(
                    "this approval was already used at {} (Unix time {}) for `{}`; each approval runs a command once: ask for a new one",
                    crate::approval::verify::format_time(e.used_at),
                    e.used_at,
                    e.command
                ));
            }
        }
    }
    let entry = Entry {
        nonce: nonce.to_string(),
        used_at: now,
        command: command.to_string(),
    };
    let line = serde_json::to_string(&entry).map_err(|e| e.to_string())? + "\n";
    locked
        .write_all(line.as_bytes())
        .and_then(|()| locked.sync_all())
        .map_err(|e| format!("cannot write the approval ledger {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_used_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/ledger.jsonl");
        consume(&path, "n1", "terraform destroy", 100).unwrap();
        consume(&path, "n2", "terraform destroy", 101).unwrap();
        let err = consume(&path, "n1", "terraform destroy", 200).unwrap_err();
        assert!(err.contains("already used"), "{err}");
        assert!(err.contains("Unix time 100"), "{err}");
    }

    #[test]
    fn an_unwritable_ledger_refuses() {
        let err = consume(Path::new("/proc/guard-no/ledger"), "n", "x", 1).unwrap_err();
        assert!(err.contains("cannot"), "{err}");
    }
}
