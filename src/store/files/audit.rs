//! The audit trail as one JSON Lines file: appended under an exclusive lock, chained to
//! the last record, a decision flushed to disk before its command starts; rotated by
//! renaming, the new file continuing the chain. Next to it, `PATH.head` anchors it: the
//! record count and last hash after every append (see `audit::verify::Head`). In a
//! protected install both sit where the account guard runs as cannot write.

use super::safe::open_locked;
use crate::audit::verify::Head;
use crate::audit::{GENESIS, Record};
use crate::store::StoreError;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const WHAT: &str = "the audit log";

/// Appends `record` to the log at `path`: under an exclusive lock, chained to the last
/// record, flushed to disk. Returns the record as written.
pub fn append(path: &Path, record: Record) -> Result<Record, StoreError> {
    let mut f = open_locked(path, WHAT)?;
    append_locked(&mut f, path, record)
}

/// [`append`] on a log already open and locked.
pub fn append_locked(
    f: &mut std::fs::File,
    path: &Path,
    mut record: Record,
) -> Result<Record, StoreError> {
    record.prev = last_hash(f, path)?;
    record.hash = record.compute_hash();
    let line = serde_json::to_string(&record).map_err(|e| StoreError::Damaged {
        what: WHAT,
        path: path.to_path_buf(),
        why: format!("a record could not be written as JSON: {e}"),
    })? + "\n";
    f.write_all(line.as_bytes())
        .map_err(StoreError::io("write", WHAT, path))?;
    // A decision must be on disk before its command starts; how a run ended can ride
    // on the next flush (a crash loses at most that exit record, never a decision).
    if record.kind != "exit" {
        f.sync_data().map_err(StoreError::io("flush", WHAT, path))?;
    }
    // The anchor follows the record; a crash between the two leaves a log one record
    // longer than its anchor, which verification accepts.
    let head = match read_head(path)? {
        Some(h) if h.last == record.prev => Head {
            records: h.records + 1,
            last: record.hash.clone(),
            first_prev: h.first_prev,
        },
        _ => count(f, path, &record)?,
    };
    write_head(path, &head)?;
    Ok(record)
}

/// The anchor from the whole file, when there is none yet (or it does not follow).
fn count(f: &mut std::fs::File, path: &Path, last: &Record) -> Result<Head, StoreError> {
    let mut text = String::new();
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.read_to_string(&mut text))
        .map_err(StoreError::io("read", WHAT, path))?;
    let first_prev = text
        .lines()
        .next()
        .and_then(|l| serde_json::from_str::<Record>(l).ok())
        .map_or_else(|| GENESIS.to_string(), |r| r.prev);
    Ok(Head {
        records: text.lines().count(),
        last: last.hash.clone(),
        first_prev,
    })
}

/// Where a log's anchor is kept.
pub fn head_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".head");
    path.with_file_name(name)
}

/// A log's anchor, if it has one.
pub fn read_head(path: &Path) -> Result<Option<Head>, StoreError> {
    let hp = head_path(path);
    match super::safe::read(&hp, "the audit log's anchor")? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Damaged {
                what: "the audit log's anchor",
                path: hp,
                why: e.to_string(),
            }),
    }
}

fn write_head(path: &Path, head: &Head) -> Result<(), StoreError> {
    let text = serde_json::to_string(head).unwrap_or_default();
    super::safe::overwrite(&head_path(path), "the audit log's anchor", &text, 256)
}

/// Starts a new log file: the current one is renamed `PATH.UNIXTIME`, and the new file's
/// first record continues the chain from the old file's last hash. Returns the old file's
/// new name.
pub fn rotate(path: &Path, now: u64) -> Result<PathBuf, StoreError> {
    if super::safe::read(path, WHAT)?.is_none() {
        return Err(StoreError::io("open", WHAT, path)(
            std::io::ErrorKind::NotFound.into(),
        ));
    }
    let mut f = open_locked(path, WHAT)?;
    let last = last_hash(&mut f, path)?;
    let old = path.with_file_name(format!(
        "{}.{now}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::rename(path, &old).map_err(StoreError::io("rotate", WHAT, path))?;
    let mut first = Record {
        kind: "rotate".into(),
        time: crate::time::rfc3339(now),
        detail: format!("continues {}", old.display()),
        prev: last,
        ..Record::default()
    };
    first.hash = first.compute_hash();
    let line = serde_json::to_string(&first).unwrap_or_default() + "\n";
    let mut new = OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(path)
        .map_err(StoreError::io("start", WHAT, path))?;
    new.write_all(line.as_bytes())
        .and_then(|()| new.sync_data())
        .map_err(StoreError::io("write", WHAT, path))?;
    write_head(
        path,
        &Head {
            records: 1,
            last: first.hash.clone(),
            first_prev: first.prev.clone(),
        },
    )?;
    drop(f);
    Ok(old)
}

/// The `hash` of the file's last record, or [`GENESIS`] for an empty file.
fn last_hash(f: &mut std::fs::File, path: &Path) -> Result<String, StoreError> {
    let io = StoreError::io("read", WHAT, path);
    let len = f.seek(SeekFrom::End(0)).map_err(io)?;
    if len == 0 {
        return Ok(GENESIS.to_string());
    }
    // Records are a few KiB at most: read back far enough to hold the last one whole.
    let mut window = 16 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        let mut tail = String::new();
        f.seek(SeekFrom::Start(start))
            .and_then(|_| f.take(len - start).read_to_string(&mut tail))
            .map_err(StoreError::io("read", WHAT, path))?;
        let body = tail.trim_end_matches('\n');
        if let Some(last) = body
            .rsplit('\n')
            .next()
            .filter(|_| start == 0 || body.contains('\n'))
        {
            return serde_json::from_str::<Record>(last)
                .map(|r| r.hash)
                .map_err(|e| StoreError::Damaged {
                    what: WHAT,
                    path: path.to_path_buf(),
                    why: format!("its last record is unreadable ({e}); run `guard log verify`"),
                });
        }
        window *= 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/audit.jsonl");
        let one = append(
            &path,
            Record {
                kind: "decision".into(),
                run: "r1".into(),
                ..Record::default()
            },
        )
        .unwrap();
        let two = append(
            &path,
            Record {
                kind: "exit".into(),
                run: "r1".into(),
                ..Record::default()
            },
        )
        .unwrap();
        assert_eq!(one.prev, GENESIS);
        assert_eq!(two.prev, one.hash);
        assert_eq!(two.hash, two.compute_hash());
    }
}
