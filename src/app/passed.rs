//! `GUARD_PASSED`: a command guard has already passed at confirm level or above (the
//! person confirmed, or a token was spent on it) is not asked about again when a shell
//! guard started runs it through a shim. guard hands the child `GUARD_PASSED` — its own
//! pid, then digests of exactly those argvs — and a shim whose argv is one of them runs
//! the real program straight away, while that pid is a live guard ancestor. The pass is
//! still on the record.

use crate::cli::GlobalArgs;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// The variable that carries the digests of commands a parent guard passed.
pub const PASSED_VAR: &str = "GUARD_PASSED";
/// At most this many digests are handed down.
const MAX_PASSED: usize = 64;

/// The digest of one argv, as handed down in `GUARD_PASSED`.
pub fn digest<S: AsRef<[u8]>>(argv: &[S]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for w in argv {
        h.update(w.as_ref());
        h.update([0]);
    }
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `GUARD_PASSED` for a child: this guard's pid, then the digests of these argvs. A shim
/// honours it only while this guard is its ancestor.
pub fn passed_value<'a>(argvs: impl Iterator<Item = &'a [String]>) -> Option<String> {
    let mut all: Vec<String> = Vec::new();
    for argv in argvs.filter(|a| !a.is_empty()) {
        let d = digest(argv);
        if !all.contains(&d) {
            all.push(d);
        }
    }
    all.truncate(MAX_PASSED);
    (!all.is_empty()).then(|| format!("{} {}", std::process::id(), all.join(" ")))
}

/// The pid of the ancestor guard that passed exactly `argv`, if one did: the value names
/// a process that is an ancestor of this one and is the guard binary, and lists the
/// argv's digest.
pub fn by_parent(argv: &[OsString]) -> Option<u32> {
    let list = std::env::var(PASSED_VAR).ok()?;
    let mut words = list.split_whitespace();
    let pid: u32 = words.next()?.parse().ok()?;
    let d = digest(&argv.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
    if !words.any(|x| x == d) || !is_guard_ancestor(pid) {
        return None;
    }
    Some(pid)
}

/// Whether `pid` is an ancestor of this process and runs the guard binary.
fn is_guard_ancestor(pid: u32) -> bool {
    crate::procs::ancestors().any(|a| a == pid)
        && std::fs::metadata(format!("/proc/{pid}/exe"))
            .is_ok_and(|m| crate::binary::is_guard_binary(&m))
}

/// A pass on a parent's decision is still on the record.
pub fn record(argv: &[OsString], parent: u32) {
    let Ok(inv) = super::wiring::resolve(&GlobalArgs::default()) else {
        return;
    };
    let (user, host) = (crate::identity::user(), crate::identity::host());
    let record = crate::audit::Record {
        kind: "decision".into(),
        run: crate::hex::random_id().unwrap_or_default(),
        time: crate::time::rfc3339(crate::time::now()),
        requester: crate::gate::requester(&inv.settings),
        host,
        user,
        cwd: crate::identity::cwd(),
        command: crate::audit::redact(&crate::analysis::Input::Argv(argv.to_vec()).shown()),
        gate: "passed".into(),
        detail: format!("already decided by the guard run that started it (pid {parent})"),
        ..crate::audit::Record::default()
    };
    if let Err(why) = super::wiring::store(&inv).append(record) {
        eprintln!("guard: warning: {why}; the command runs without its audit record");
    }
}
