//! `--wait DURATION`: a command that needs an approval posts its request and waits for
//! approvers to sign it, with one live line on stderr (what it waits for, who can
//! approve, how long is left), then runs. Ctrl-C or the deadline ends the wait; the gate
//! then refuses it, on the record.

use crate::approval::signers;
use crate::error::Error;
use crate::gate::{Case, Deps, inbox};
use crate::sanitize::sanitize;
use std::io::Write;
use std::time::{Duration, Instant};

/// How often the inbox is looked at.
const POLL: Duration = Duration::from_millis(200);

/// Waits up to `secs` for the approval; returns whether a Ctrl-C stopped the wait.
pub fn for_approval(case: &Case, deps: &Deps, secs: u64) -> Result<bool, Error> {
    let (req, posted) = inbox::request_for(case, deps).map_err(|r| Error::Refused(r.message))?;
    if !posted {
        return Err(Error::Refused(format!(
            "--wait needs the approval inbox, which cannot be written: {}",
            deps.store.location()
        )));
    }
    crate::exec::catch_interrupt();
    let who = approvers_of(deps.settings, &req.requester);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let live = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut shown_at: Option<Instant> = None;
    loop {
        if !inbox::approvals_for(case, deps).is_empty() {
            finish(live, "approved");
            return Ok(false);
        }
        if crate::exec::interrupted() {
            finish(live, "stopped");
            return Ok(true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            finish(live, "no approval in time");
            return Ok(false);
        }
        // On a terminal the line is redrawn every second; in a log, once a minute.
        let every = if live {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(60)
        };
        if shown_at.is_none_or(|t| t.elapsed() >= every) {
            let line = format!(
                "guard: waiting for an approval of `{}` (request {}; {} can approve: guard approve {}); {} left",
                sanitize(case.shown),
                req.id(),
                who,
                req.id(),
                crate::time::ago(left.as_secs())
            );
            if live {
                eprint!("\r\x1b[K{line}");
            } else {
                eprintln!("{line}");
            }
            let _ = std::io::stderr().flush();
            shown_at = Some(Instant::now());
        }
        std::thread::sleep(POLL);
    }
}

fn finish(live: bool, how: &str) {
    if live {
        eprintln!("\r\x1b[Kguard: {how}");
    } else {
        eprintln!("guard: {how}");
    }
}

/// Who can approve: the approvers file's principals, but the requester.
pub fn approvers_of(settings: &crate::settings::Settings, requester: &str) -> String {
    let listed = settings
        .approvals
        .allowed_signers
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| signers::parse(&t).ok())
        .unwrap_or_default();
    let mut names: Vec<String> = listed
        .iter()
        .filter(|s| !s.names(requester))
        .flat_map(|s| s.principals.iter().cloned())
        .collect();
    names.sort();
    names.dedup();
    match names.len() {
        0 => "no approver is listed yet".into(),
        1..=3 => names.join(", "),
        n => format!("{}, and {} more", names[..3].join(", "), n - 3),
    }
}
