//! `guard log`, `guard log verify` and `guard log rotate`.

use crate::audit::{Record, show};
use crate::cli::{LogArgs, LogCmd};
use crate::config::Invocation;
use crate::error::Error;
use crate::exit_code::ExitCode;
use std::path::{Path, PathBuf};

pub fn run(inv: &Invocation, args: &LogArgs) -> Result<i32, Error> {
    check_filters(args)?;
    let files = crate::store::files::Files::new(&inv.settings);
    let path = files.audit_path()?.to_path_buf();
    // A team's store: the shared trail, with this machine's allowed commands.
    let team = inv
        .settings
        .store
        .is_some()
        .then(|| super::wiring::store(inv));
    match (&args.verify, &team) {
        (Some(LogCmd::Verify { files }), Some(store)) if files.is_empty() => verify_store(&**store),
        (None, Some(store)) if args.file.is_none() => {
            let text: Vec<String> = store
                .records()?
                .iter()
                .filter_map(|r| serde_json::to_string(r).ok())
                .collect();
            show_text(&text.join("\n"), args)
        }
        _ => local(&path, args),
    }
}

fn verify_store(store: &dyn crate::store::Store) -> Result<i32, Error> {
    match store.verify()? {
        Ok(s) => {
            println!("{}: {} records, chains intact", store.location(), s.records);
            Ok(0)
        }
        Err(b) => {
            println!("record {}: {}", b.line, b.what);
            Ok(ExitCode::Failure.code())
        }
    }
}

fn local(path: &Path, args: &LogArgs) -> Result<i32, Error> {
    let path = path.to_path_buf();
    match &args.verify {
        Some(LogCmd::Verify { files }) if files.is_empty() => {
            verify_files(std::slice::from_ref(&path))
        }
        Some(LogCmd::Verify { files }) => verify_files(&in_chain_order(files)),
        Some(LogCmd::Rotate) => {
            let old = crate::store::files::rotate(&path, crate::time::now())?;
            println!("{} continues from {}", path.display(), old.display());
            Ok(0)
        }
        None => match &args.file {
            Some(f) => show_file(f, args),
            // The current log and the rotated ones before it, oldest first.
            None => {
                let mut text = String::new();
                for f in rotated_before(&path) {
                    text.push_str(&read(&f)?);
                }
                match crate::store::files::read_text(&path)? {
                    Some(t) => text.push_str(&t),
                    None if text.is_empty() => {
                        if !args.json {
                            eprintln!("guard: no records yet ({})", path.display());
                        }
                        return Ok(0);
                    }
                    None => {}
                }
                show_text(&text, args)
            }
        },
    }
}

/// The files `guard log rotate` left beside `path` (`audit.jsonl.TIME`), oldest first.
fn rotated_before(path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let stamp: u64 = n.strip_prefix(&prefix)?.parse().ok()?;
            Some((stamp, e.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// Files to verify in the order the chain runs: rotated files (`NAME.TIME`) by their
/// time, each before the file it was rotated from; anchors (`.head`) are not logs.
fn in_chain_order(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut keyed: Vec<(String, u64, PathBuf)> = files
        .iter()
        .filter(|f| f.extension().is_none_or(|e| e != "head"))
        .map(|f| {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match name
                .rsplit_once('.')
                .and_then(|(base, t)| Some((base, t.parse::<u64>().ok()?)))
            {
                Some((base, t)) => (base.to_string(), t, f.clone()),
                None => (name, u64::MAX, f.clone()),
            }
        })
        .collect();
    keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    keyed.into_iter().map(|(_, _, f)| f).collect()
}

/// `--since` and `--decision` as guard reads them, or a usage error that says how.
fn check_filters(args: &LogArgs) -> Result<(), Error> {
    if let Some(since) = &args.since {
        let is_time = since.len() >= 10
            && since.as_bytes()[4] == b'-'
            && since.as_bytes()[7] == b'-'
            && since[..4].bytes().all(|b| b.is_ascii_digit());
        if crate::time::parse_duration(since).is_none() && !is_time {
            return Err(Error::Usage(format!(
                "--since `{since}`: write how long ago (90s, 15m, 2h, 7d) or a time (2026-12-07 or 2026-12-07T10:00:00Z)"
            )));
        }
    }
    if let Some(d) = &args.decision {
        const KNOWN: &[&str] = &["allow", "warn", "confirm", "two-person", "deny", "breaker"];
        if !KNOWN.contains(&d.as_str()) {
            return Err(Error::Usage(format!(
                "--decision `{d}`: one of {}",
                KNOWN.join(", ")
            )));
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Io {
        what: format!("cannot read the audit log {}", path.display()),
        source: e,
    })
}

fn verify_files(paths: &[PathBuf]) -> Result<i32, Error> {
    let mut last: Option<String> = None;
    for path in paths {
        let head = crate::store::files::read_head(path)?;
        let Some(text) = crate::store::files::read_text(path)? else {
            return Ok(match head.filter(|h| h.records > 0) {
                Some(h) => {
                    println!(
                        "{}: missing, but its anchor says it held {} records: it was removed",
                        path.display(),
                        h.records
                    );
                    ExitCode::Failure.code()
                }
                None => {
                    println!("{}: no records yet", path.display());
                    0
                }
            });
        };
        match crate::store::files::verify_anchored(&text, head.as_ref()) {
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
    show_text(&read(path)?, args)
}

fn show_text(text: &str, args: &LogArgs) -> Result<i32, Error> {
    let since = args
        .since
        .as_ref()
        .map(|s| match crate::time::parse_duration(s) {
            Some(secs) => crate::time::rfc3339(crate::time::now().saturating_sub(secs)),
            None => s.clone(),
        });
    let filter = show::Filter {
        since,
        decision: args.decision.clone(),
        rule: args.rule.clone(),
        grep: args.grep.clone(),
        limit: args.limit,
    };
    let rows = show::select(text, &filter);
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
