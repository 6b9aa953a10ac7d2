//! The inbox as a directory of JSON files, one per request (`inbox/ID.json`), each
//! replaced whole under the inbox's lock. In a protected install it sits in guard's
//! state directory, which every user's guard can reach and none of the users can: the
//! approvers on the machine see the requests, and no one edits them by hand.

use super::safe::{self, open_locked};
use crate::store::{Pending, StoreError};
use std::path::{Path, PathBuf};

const WHAT: &str = "the approval inbox";

/// How long past its expiry a request is kept, for `guard approve --list` to say it
/// expired rather than forget it at once.
const KEEP: u64 = 86_400;

fn entry(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json"))
}

fn lock(dir: &Path) -> Result<nix::fcntl::Flock<std::fs::File>, StoreError> {
    open_locked(&dir.join(".lock"), WHAT)
}

fn read(path: &Path) -> Result<Option<Pending>, StoreError> {
    match safe::read(path, WHAT)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Damaged {
                what: WHAT,
                path: path.to_path_buf(),
                why: e.to_string(),
            }),
    }
}

fn write(path: &Path, p: &Pending) -> Result<(), StoreError> {
    safe::replace(
        path,
        WHAT,
        &(serde_json::to_string(p).unwrap_or_default() + "\n"),
    )
}

pub fn post(
    dir: &Path,
    id: &str,
    request: &str,
    expires: u64,
    now: u64,
) -> Result<Pending, StoreError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StoreError::Unsupported(format!(
            "`{id}` is not a request id"
        )));
    }
    let _lock = lock(dir)?;
    prune(dir, now);
    let p = Pending {
        id: id.to_string(),
        request: request.to_string(),
        posted: now,
        expires,
        tokens: Vec::new(),
    };
    write(&entry(dir, &p.id), &p)?;
    Ok(p)
}

/// Every entry, oldest first (damaged ones skipped).
fn all(dir: &Path) -> Result<Vec<Pending>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("read", WHAT, dir)(e)),
    };
    let mut out: Vec<Pending> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| read(&p).ok().flatten())
        .collect();
    out.sort_by_key(|p| (p.posted, p.id.clone()));
    Ok(out)
}

pub fn waiting(dir: &Path, now: u64) -> Result<Vec<Pending>, StoreError> {
    Ok(all(dir)?.into_iter().filter(|p| p.expires >= now).collect())
}

pub fn find(dir: &Path, id: &str) -> Result<Option<Pending>, StoreError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let exact = read(&entry(dir, id))?;
    if exact.is_some() {
        return Ok(exact);
    }
    let mut found = all(dir)?.into_iter().filter(|p| p.id.starts_with(id));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(Some(one)),
        _ => Ok(None),
    }
}

pub fn add_token(dir: &Path, id: &str, token: &str) -> Result<Pending, StoreError> {
    let _lock = lock(dir)?;
    let path = entry(dir, id);
    let Some(mut p) = read(&path)? else {
        return Err(StoreError::Damaged {
            what: WHAT,
            path,
            why: format!("no request {id}"),
        });
    };
    if !p.tokens.iter().any(|t| t == token) {
        p.tokens.push(token.to_string());
    }
    write(&path, &p)?;
    Ok(p)
}

/// Forgets requests that expired more than a day ago.
fn prune(dir: &Path, now: u64) {
    for p in all(dir).unwrap_or_default() {
        let old = p.expires.saturating_add(KEEP) < now;
        if old {
            let _ = std::fs::remove_file(entry(dir, &p.id));
        }
    }
}
