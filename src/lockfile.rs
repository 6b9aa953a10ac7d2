//! Append-only files shared by many guard processes (the audit log, the approval
//! ledger): opened for reading and appending, created with their directory, and held
//! under an exclusive lock while a record is checked and written.

use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::path::Path;

/// Opens `path` (creating it and its directory) under an exclusive lock. `what` names
/// the file in errors: "the audit log".
pub fn open_locked(path: &Path, what: &str) -> Result<Flock<File>, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create the directory of {what} {}: {e}",
                dir.display()
            )
        })?;
    }
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("cannot open {what} {}: {e}", path.display()))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| format!("cannot lock {what} {}: {e}", path.display()))
}
