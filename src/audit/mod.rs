//! The audit trail: every decision guard makes on a command it was asked to run, and how
//! each run ended, appended to one JSON Lines file as a hash chain.
//!
//! Each record carries `prev`, the `hash` of the record before it, and its own `hash`:
//! SHA-256 over the record's JSON with `hash` empty. Editing, deleting or reordering a
//! record breaks the chain at that line (`guard log verify`). Appends take an exclusive
//! lock on the file, so parallel guards never interleave or tear records, and the
//! decision record is flushed to disk before the command starts. A file a requester can
//! write can still be rewritten whole by them: forwarding records to syslog (which
//! leaves the machine through a team's log pipeline) is the protection against that.

pub mod show;
pub mod verify;

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The `prev` of the first record of a new log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One rule that matched, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHit {
    pub rule: String,
    pub severity: String,
    pub reason: String,
}

/// An audit record. `kind` is `decision` (before anything runs) or `exit` (how the run
/// ended, linked by `run`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub kind: String,
    /// Identifies the run; the exit record repeats it.
    pub run: String,
    /// RFC 3339, UTC.
    pub time: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub requester: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ci: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminal: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cwd: String,
    /// The command, secrets redacted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub decision: String,
    /// The circuit-breaker key the record counts against (the principal, or the agent
    /// session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleHit>,
    /// The digest of the plan the decision was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// How the gate was passed: `allowed`, `warned`, `confirmed`, `approved`,
    /// `break-glass`, or `refused`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gate: String,
    /// Why it was refused, or who confirmed and where.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    pub prev: String,
    pub hash: String,
}

impl Record {
    /// The hash of this record: SHA-256 of its JSON with `hash` empty.
    pub fn compute_hash(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.hash = String::new();
        let json = serde_json::to_string(&unhashed).unwrap_or_default();
        hex(&Sha256::digest(json.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends `record` to the log at `path`: under an exclusive lock, chained to the last
/// record, flushed to disk. Returns the record as written.
pub fn append(path: &Path, mut record: Record) -> Result<Record, String> {
    let shown = path.display();
    let mut f = crate::lockfile::open_locked(path, "the audit log")?;
    record.prev =
        last_hash(&mut f).map_err(|e| format!("cannot read the audit log {shown}: {e}"))?;
    record.hash = record.compute_hash();
    let line = serde_json::to_string(&record).map_err(|e| e.to_string())? + "\n";
    f.write_all(line.as_bytes())
        .map_err(|e| format!("cannot write the audit log {shown}: {e}"))?;
    // A decision must be on disk before its command starts; how a run ended can ride
    // on the next flush (a crash loses at most that exit record, never a decision).
    if record.kind != "exit" {
        f.sync_data()
            .map_err(|e| format!("cannot flush the audit log {shown}: {e}"))?;
    }
    Ok(record)
}

/// Starts a new log file: the current one is renamed `PATH.UNIXTIME`, and the new file's
/// first record continues the chain from the old file's last hash. Returns the old file's
/// new name.
pub fn rotate(path: &Path, now: u64) -> Result<std::path::PathBuf, String> {
    let shown = path.display();
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open the audit log {shown}: {e}"))?;
    let mut f = Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| format!("cannot lock the audit log {shown}: {e}"))?;
    let last = last_hash(&mut f).map_err(|e| format!("cannot read the audit log {shown}: {e}"))?;
    let old = path.with_file_name(format!(
        "{}.{now}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::rename(path, &old).map_err(|e| format!("cannot rotate {shown}: {e}"))?;
    let mut first = Record {
        kind: "rotate".into(),
        time: rfc3339(now),
        detail: format!("continues {}", old.display()),
        prev: last,
        ..Record::default()
    };
    first.hash = first.compute_hash();
    let line = serde_json::to_string(&first).map_err(|e| e.to_string())? + "\n";
    let mut new = OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    new.write_all(line.as_bytes())
        .and_then(|()| new.sync_data())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    drop(f);
    Ok(old)
}

/// The `hash` of the file's last record, or [`GENESIS`] for an empty file.
fn last_hash(f: &mut std::fs::File) -> std::io::Result<String> {
    let len = f.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(GENESIS.to_string());
    }
    // Records are a few KiB at most: read back far enough to hold the last one whole.
    let mut window = 16 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        f.seek(SeekFrom::Start(start))?;
        let mut tail = String::new();
        f.take(len - start).read_to_string(&mut tail)?;
        let body = tail.trim_end_matches('\n');
        if let Some(last) = body
            .rsplit('\n')
            .next()
            .filter(|_| start == 0 || body.contains('\n'))
        {
            return serde_json::from_str::<Record>(last)
                .map(|r| r.hash)
                .map_err(|e| {
                    std::io::Error::other(format!(
                        "its last record is damaged ({e}); run `guard log verify`"
                    ))
                });
        }
        window *= 4;
    }
}

/// Redacts secrets from a command as shown: values of options and variables whose names
/// say they hold one (`--password=x`, `PGPASSWORD=x`, `AWS_SECRET_ACCESS_KEY=x`,
/// `--token x`).
pub fn redact(command: &str) -> String {
    const SECRET: &str = r"(?i)([A-Za-z0-9_-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth)[A-Za-z0-9_-]*)";
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(&format!(r#"{SECRET}(=|\s+)('[^']*'|"[^"]*"|[^\s'"]+)"#)).ok()
    });
    match re {
        Some(re) => re
            .replace_all(command, |c: &regex::Captures| {
                let value = &c[3];
                // `--password-file path` and `-p` values that are only flags stay.
                if value.starts_with('-') {
                    c[0].to_string()
                } else {
                    format!("{}{}***", &c[1], &c[2])
                }
            })
            .into_owned(),
        // Without the pattern, nothing of the command is kept rather than a secret.
        None => "(command not recorded: redaction unavailable)".into(),
    }
}

/// Reads the RFC 3339 UTC times guard writes (`2026-11-23T04:16:58Z`) back to seconds
/// since the Unix epoch.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

/// Now, as RFC 3339 UTC.
pub fn rfc3339(unix: u64) -> String {
    crate::approval::verify::format_time(unix)
        .replacen(' ', "T", 1)
        .replace(" UTC", "Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        for t in [0, 951_782_400, 1_795_406_218, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t), "{t}");
        }
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact("psql --password=hunter2 -h db"),
            "psql --password=*** -h db"
        );
        assert_eq!(
            redact("PGPASSWORD=hunter2 psql -c 'select 1'"),
            "PGPASSWORD=*** psql -c 'select 1'"
        );
        assert_eq!(
            redact("AWS_SECRET_ACCESS_KEY='a b' aws s3 ls"),
            "AWS_SECRET_ACCESS_KEY=*** aws s3 ls"
        );
        assert_eq!(
            redact("vault login --token s.abc"),
            "vault login --token ***"
        );
        assert_eq!(redact("terraform destroy"), "terraform destroy");
    }

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
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
