//! Files shared by many guard processes (the audit log, the approval ledger, the
//! breaker's lock): opened for reading and appending, created with their directory, and
//! held under an exclusive lock while a record is checked and written.

use crate::store::StoreError;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::path::Path;

/// Opens `path` (creating it and its directory) under an exclusive lock. `what` names
/// the file in errors: "the audit log".
pub fn open_locked(path: &Path, what: &'static str) -> Result<Flock<File>, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(StoreError::io(
            "create the directory of",
            what,
            path,
        ))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(StoreError::io("open", what, path))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| StoreError::io("lock", what, path)(e.into()))
}
