//! The doctor's look at guard's state: the protected install, the approvers file and
//! ledger, the audit trail and the circuit breaker.

use super::{Report, Status};
use crate::settings::Settings;
use crate::store::files::Files;
use std::path::{Path, PathBuf};

/// Whether this is a protected install, and if not, what the account guard runs as can
/// undo.
pub(super) fn install(r: &mut Report, settings: &Settings) {
    use crate::app::setup;
    if settings.protected {
        let gid = setup::group();
        let bin = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("/usr/local/bin"));
        let problems = gid.map(|g| setup::inspect(&setup::wanted(&bin, g)));
        match problems {
            Some(p) if p.is_empty() => r.line(
                Status::Ok,
                "install",
                "protected: guard runs setgid `guard`; its state and the system config are out of this account's reach",
            ),
            Some(p) => {
                for p in p {
                    r.line(Status::Fail, "install", format!("{}: {}", p.what, p.fix));
                }
            }
            None => r.line(Status::Fail, "install", "the `guard` group is missing: sudo guard setup"),
        }
        if let Some(g) = gid.filter(|g| nix::unistd::getgroups().is_ok_and(|gs| gs.contains(g))) {
            r.line(
                Status::Fail,
                "install",
                format!(
                    "this account is in the `guard` group ({g}): it can write guard's state itself; take it out: sudo gpasswd -d {} guard",
                    crate::identity::user()
                ),
            );
        }
        if let Some(user) = &settings.approvals.unmapped {
            r.line(
                Status::Warn,
                "install",
                format!(
                    "{user} has no principal under [principals] in {}: approvals for {user}'s commands never verify",
                    crate::settings::SYSTEM_CONFIG
                ),
            );
        }
        return;
    }
    if crate::privilege::elevated() {
        r.line(
            Status::Fail,
            "install",
            format!(
                "guard runs setgid but {} is missing, so it is not protected: sudo guard setup",
                crate::settings::SYSTEM_CONFIG
            ),
        );
        return;
    }
    r.line(
        Status::Warn,
        "install",
        "not a protected install: guard's state and config belong to the account it runs as, which can undo them — replay a spent approval (move or edit the ledger, or set XDG_STATE_HOME), reset the breaker (delete its state and the audit log), cut the audit trail and rewrite its anchor, name its own approvers or weaken the rules in its user config, and point the hooks at another binary. `sudo guard setup` closes these",
    );
}

pub(super) fn approvals(r: &mut Report, a: &crate::settings::Approvals, files: &Files) {
    let Some(path) = &a.allowed_signers else {
        r.line(
            Status::Warn,
            "approvals",
            "no approvers file ([approvals] allowed_signers in the user or system config): two-person commands can never run",
        );
        return;
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            r.line(
                Status::Fail,
                "approvals",
                format!("cannot read the approvers file {}: {e}", path.display()),
            );
            return;
        }
    };
    match crate::approval::signers::parse(&text) {
        Ok(signers) if signers.is_empty() => r.line(
            Status::Warn,
            "approvals",
            format!(
                "{} names no approver: two-person commands can never run",
                path.display()
            ),
        ),
        Ok(signers) => r.line(
            Status::Ok,
            "approvals",
            format!("{}: {} approver key(s)", path.display(), signers.len()),
        ),
        Err(e) => r.line(
            Status::Fail,
            "approvals",
            format!("the approvers file {} is wrong at {e}", path.display()),
        ),
    }
    if let Some(p) = writable_by_me(path) {
        let root = nix::unistd::geteuid().is_root();
        if root {
            r.line(
                Status::Warn,
                "approvals",
                format!(
                    "{} is writable by you because you are root: the approvers file guards against other accounts, not root",
                    p.display()
                ),
            );
        } else {
            r.line(
                Status::Fail,
                "approvals",
                format!(
                    "{} is writable by you, so you could add your own key as an approver: make it and its directory owned by root and not writable by you",
                    p.display()
                ),
            );
        }
    }
    match files.ledger_path() {
        Ok(ledger) => can_write(r, "approvals", "the one-time ledger", ledger),
        Err(e) => r.line(Status::Fail, "approvals", e.to_string()),
    }
}

/// The approvers file or its directory, if the current user can write either.
fn writable_by_me(path: &Path) -> Option<PathBuf> {
    use nix::unistd::{AccessFlags, access};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    [path, dir]
        .into_iter()
        .find(|p| access(*p, AccessFlags::W_OK).is_ok())
        .map(Path::to_path_buf)
}

/// Whether a file guard appends to can be written (or created) by this user.
fn can_write(r: &mut Report, area: &str, what: &str, path: &Path) {
    use nix::unistd::{AccessFlags, access};
    let target = path
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    if access(target, AccessFlags::W_OK).is_ok() {
        r.line(
            Status::Ok,
            area,
            format!("{what} {} is writable", path.display()),
        );
    } else {
        r.line(
            Status::Fail,
            area,
            format!(
                "{what} {} cannot be written ({} is not writable): commands that need it are refused",
                path.display(),
                target.display()
            ),
        );
    }
}

pub(super) fn audit(r: &mut Report, files: &Files, settings: &Settings) {
    let path = match files.audit_path() {
        Ok(p) => p,
        Err(e) => {
            r.line(Status::Fail, "audit", e.to_string());
            return;
        }
    };
    can_write(r, "audit", "the audit log", path);
    match std::fs::read_to_string(path) {
        Ok(text) => match crate::audit::verify::verify(&text) {
            Ok(s) => r.line(
                Status::Ok,
                "audit",
                format!("{} records, hash chain intact", s.records),
            ),
            Err(b) => r.line(
                Status::Fail,
                "audit",
                format!(
                    "{}:{}: the hash chain is broken: {} (see guard log verify)",
                    path.display(),
                    b.line,
                    b.what
                ),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => r.line(
            Status::Fail,
            "audit",
            format!("cannot read {}: {e}", path.display()),
        ),
    }
    let socket = settings.audit.syslog.then(|| {
        settings
            .audit
            .syslog_socket
            .clone()
            .unwrap_or_else(|| PathBuf::from("/dev/log"))
    });
    if let Some(socket) = &socket {
        if socket.exists() {
            r.line(
                Status::Ok,
                "audit",
                format!("records also go to syslog at {}", socket.display()),
            );
        } else {
            r.line(
                Status::Warn,
                "audit",
                format!(
                    "syslog forwarding is on but {} does not exist",
                    socket.display()
                ),
            );
        }
    }
}

pub(super) fn breaker(r: &mut Report, limits: &crate::breaker::Limits, files: &Files) {
    if !limits.enabled {
        r.line(
            Status::Warn,
            "breaker",
            "the circuit breaker is off ([breaker] enabled = false)",
        );
        return;
    }
    let state = match crate::store::with_breaker(files, limits, |s| s.clone()) {
        Ok(s) => s,
        Err(why) => {
            r.line(Status::Fail, "breaker", why.to_string());
            return;
        }
    };
    let open: Vec<String> = state
        .all
        .iter()
        .map(|o| format!("everyone since {}: {}", crate::time::rfc3339(o.at), o.why))
        .chain(state.keys.iter().filter_map(|(k, v)| {
            v.opened
                .as_ref()
                .map(|o| format!("{k} since {}: {}", crate::time::rfc3339(o.at), o.why))
        }))
        .collect();
    if open.is_empty() {
        r.line(
            Status::Ok,
            "breaker",
            format!(
                "closed (opens at more than {} refused or {} destructive commands within {})",
                limits.max_refusals,
                limits.max_destructive,
                crate::time::duration(limits.window)
            ),
        );
    }
    for o in open {
        r.line(
            Status::Warn,
            "breaker",
            format!("open for {o}: a person resets it with `guard breaker reset`"),
        );
    }
}
