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

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// The CI run, as its platform names it: `github acme/infra at COMMIT, environment
    /// production` (the platform's own reviewers approved that environment's job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_run: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminal: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cwd: String,
    /// The command, secrets redacted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// The reason the agent gave for the command, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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
        crate::hex::encode(&Sha256::digest(json.as_bytes()))
    }
}

/// Redacts secrets from a command as shown: values of options and variables whose names
/// say they hold one (`--password=x`, `PGPASSWORD=x`, `AWS_SECRET_ACCESS_KEY=x`,
/// `--token x`).
pub fn redact(command: &str) -> String {
    const SECRET: &str = r"(?i)([A-Za-z0-9_-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth)[A-Za-z0-9_-]*)";
    static RE: std::sync::OnceLock<Option<regex_lite::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex_lite::Regex::new(&format!(r#"{SECRET}(=|\s+)('[^']*'|"[^"]*"|[^\s'"]+)"#)).ok()
    });
    match re {
        Some(re) => re
            .replace_all(command, |c: &regex_lite::Captures| {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
