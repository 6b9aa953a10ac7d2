//! `guard log` and `guard log verify`, and writing the records of a run.

use super::load_rules;
use crate::audit::{self, Record, show, verify};
use crate::cli::{GlobalArgs, LogArgs, LogCmd};
use crate::error::Error;
use crate::exit_code::ExitCode;
use std::path::{Path, PathBuf};

/// Where records go, from the config.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub path: PathBuf,
    pub syslog: bool,
}

impl Target {
    pub fn from_settings(settings: &crate::matcher::Settings) -> Target {
        Target {
            path: settings
                .audit_path
                .clone()
                .unwrap_or_else(|| crate::approval::identity::state_dir().join("audit.jsonl")),
            syslog: settings.audit_syslog,
        }
    }

    /// Appends a record (and sends it to syslog when asked).
    pub fn write(&self, record: Record) -> Result<Record, String> {
        let written = audit::append(&self.path, record)?;
        if self.syslog {
            if let Err(e) = to_syslog(&written) {
                eprintln!("guard: warning: could not send the audit record to syslog: {e}");
            }
        }
        Ok(written)
    }
}

/// Sends one record to the local syslog socket (journald reads it too), as user.info.
fn to_syslog(r: &Record) -> std::io::Result<()> {
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let line = format!(
        "<14>guard: {}",
        serde_json::to_string(r).unwrap_or_default()
    );
    sock.send_to(line.as_bytes(), "/dev/log").map(|_| ())
}

pub fn run(global: &GlobalArgs, args: &LogArgs) -> Result<i32, Error> {
    let target = Target::from_settings(&load_rules(global, Some(&[]))?.settings);
    match &args.verify {
        Some(LogCmd::Verify { file }) => verify_file(file.as_deref().unwrap_or(&target.path)),
        None => show_file(args.file.as_deref().unwrap_or(&target.path), args),
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("cannot read the audit log {}: {e}", path.display())))
}

fn verify_file(path: &Path) -> Result<i32, Error> {
    match verify::verify(&read(path)?) {
        Ok(s) => {
            println!("{}: {} records, chain intact", path.display(), s.records);
            if let Some(h) = s.continues_from {
                println!("(continues a rotated log whose last record's hash is {h})");
            }
            Ok(0)
        }
        Err(b) => {
            println!("{}:{}: {}", path.display(), b.line, b.what);
            Ok(ExitCode::Failure.code())
        }
    }
}

fn show_file(path: &Path, args: &LogArgs) -> Result<i32, Error> {
    let since = args
        .since
        .as_ref()
        .map(|s| match crate::approval::parse_duration(s) {
            Some(secs) => audit::rfc3339(crate::approval::identity::now().saturating_sub(secs)),
            None => s.clone(),
        });
    let filter = show::Filter {
        since,
        decision: args.decision.clone(),
        rule: args.rule.clone(),
        grep: args.grep.clone(),
        limit: args.limit,
    };
    let rows = show::select(&read(path)?, &filter);
    if args.json {
        for (r, exit) in &rows {
            let v = serde_json::json!({ "decision": r, "exit": exit });
            println!("{v}");
        }
    } else {
        print!("{}", show::table(&rows));
    }
    Ok(0)
}
