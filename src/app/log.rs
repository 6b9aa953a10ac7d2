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
    /// The syslog socket to send records to, when forwarding is on.
    pub syslog: Option<PathBuf>,
}

impl Target {
    pub fn from_settings(settings: &crate::matcher::Settings) -> Target {
        Target {
            path: settings
                .audit_path
                .clone()
                .unwrap_or_else(|| crate::approval::identity::state_dir().join("audit.jsonl")),
            syslog: settings.audit_syslog.then(|| {
                settings
                    .audit_syslog_socket
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("/dev/log"))
            }),
        }
    }

    /// Appends a record (and sends it to syslog when asked).
    pub fn write(&self, record: Record) -> Result<Record, String> {
        let written = audit::append(&self.path, record)?;
        if let Some(socket) = &self.syslog {
            if let Err(e) = to_syslog(socket, &written) {
                eprintln!(
                    "guard: warning: could not send the audit record to syslog ({}): {e}",
                    socket.display()
                );
            }
        }
        Ok(written)
    }
}

/// Sends one record to the local syslog socket (journald reads it too), as user.info.
fn to_syslog(socket: &Path, r: &Record) -> std::io::Result<()> {
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let line = format!(
        "<14>guard: {}",
        serde_json::to_string(r).unwrap_or_default()
    );
    sock.send_to(line.as_bytes(), socket).map(|_| ())
}

pub fn run(global: &GlobalArgs, args: &LogArgs) -> Result<i32, Error> {
    let target = Target::from_settings(&load_rules(global, Some(&[]))?.settings);
    match &args.verify {
        Some(LogCmd::Verify { files }) if files.is_empty() => {
            verify_files(std::slice::from_ref(&target.path))
        }
        Some(LogCmd::Verify { files }) => verify_files(files),
        Some(LogCmd::Rotate) => {
            let old = audit::rotate(&target.path, crate::approval::identity::now())
                .map_err(Error::Usage)?;
            println!("{} continues from {}", target.path.display(), old.display());
            Ok(0)
        }
        None => show_file(args.file.as_deref().unwrap_or(&target.path), args),
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("cannot read the audit log {}: {e}", path.display())))
}

fn verify_files(paths: &[PathBuf]) -> Result<i32, Error> {
    let mut last: Option<String> = None;
    for path in paths {
        let text = read(path)?;
        match verify::verify(&text) {
            Ok(s) => {
                println!("{}: {} records, chain intact", path.display(), s.records);
                match (&last, &s.continues_from) {
                    (Some(prev), from) if from.as_ref() != Some(prev) => {
                        let follows = from.as_deref().unwrap_or("the start of a new log");
                        println!(
                            "{}:1: does not continue the file before it (it follows {follows}, that file ends at {prev})",
                            path.display()
                        );
                        return Ok(ExitCode::Failure.code());
                    }
                    (_, Some(from)) => {
                        println!("(continues a rotated log whose last record's hash is {from})")
                    }
                    _ => {}
                }
                last = text
                    .lines()
                    .last()
                    .and_then(|l| serde_json::from_str::<Record>(l).ok())
                    .map(|r| r.hash);
            }
            Err(b) => {
                println!("{}:{}: {}", path.display(), b.line, b.what);
                return Ok(ExitCode::Failure.code());
            }
        }
    }
    Ok(0)
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
