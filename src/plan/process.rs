//! The real [`Runner`]: the tools' read-only commands run as child processes bounded in
//! time, and saved plans kept in guard's own plan directory, readable by this user only.

use super::{Runner, Unreadable};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Runs the tools' plan commands for the plan stage, bounded in time.
pub struct ProcessRunner {
    pub timeout: std::time::Duration,
    /// Where saved plans go, or why there is no such place.
    pub dir: Result<PathBuf, String>,
}

impl ProcessRunner {
    /// Plans under `state` (guard's state directory), or nowhere when there is none.
    pub fn new(timeout_secs: u64, state: Result<PathBuf, String>) -> ProcessRunner {
        ProcessRunner {
            timeout: std::time::Duration::from_secs(timeout_secs),
            dir: state.map(|s| s.join("plans")),
        }
    }

    /// The plan directory, made private (0700) if it is not.
    fn plans_dir(&self) -> Result<&Path, Unreadable> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let dir = self
            .dir
            .as_deref()
            .map_err(|e| Unreadable::File(format!("no place to keep plans: {e}")))?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
            .map_err(|e| Unreadable::File(format!("cannot create {}: {e}", dir.display())))?;
        Ok(dir)
    }

    /// Removes plan files guard wrote in its own plan directory (and nothing else).
    pub fn remove(&self, files: &[PathBuf]) {
        let Ok(dir) = self.dir.as_deref() else {
            return;
        };
        for f in files.iter().filter(|f| f.starts_with(dir)) {
            let _ = std::fs::remove_file(f);
        }
    }
}

impl Runner for ProcessRunner {
    fn capture(&self, argv: &[OsString], env: &[(String, String)]) -> Result<Vec<u8>, Unreadable> {
        crate::exec::capture(argv, env, self.timeout).map_err(Unreadable::Tool)
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>, Unreadable> {
        std::fs::read(path)
            .map_err(|e| Unreadable::File(format!("cannot read {}: {e}", path.display())))
    }

    fn plan_path(&self) -> Result<PathBuf, Unreadable> {
        let name = crate::hex::random_id()
            .map_err(|e| Unreadable::File(format!("no randomness for a plan's name: {e}")))?;
        Ok(self.plans_dir()?.join(format!("{name}.tfplan")))
    }

    fn hold(&self, bytes: &[u8], name: &str) -> Result<PathBuf, Unreadable> {
        hold(bytes, name).map_err(|e| {
            Unreadable::File(format!("cannot hold the plan in a sealed memory file: {e}"))
        })
    }

    fn save(&self, bytes: &[u8], name: &str) -> Result<PathBuf, Unreadable> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.plans_dir()?.join(name);
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(bytes))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                Unreadable::File(format!("cannot save the plan to {}: {e}", path.display()))
            })?;
        Ok(path)
    }
}

/// `bytes` in a memory file sealed against every change (write, shrink, grow, and more
/// seals), left open without close-on-exec so the children guard starts read it at the
/// same `/dev/fd/N`. It lives until guard exits.
fn hold(bytes: &[u8], name: &str) -> std::io::Result<PathBuf> {
    use nix::fcntl::{FcntlArg, SealFlag, fcntl};
    use nix::sys::memfd::{MFdFlags, memfd_create};
    use std::io::Write;
    use std::os::fd::IntoRawFd;
    let name = std::ffi::CString::new(format!("guard-{name}")).unwrap_or_default();
    let fd =
        memfd_create(name.as_c_str(), MFdFlags::MFD_ALLOW_SEALING).map_err(std::io::Error::from)?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    let seals = SealFlag::F_SEAL_WRITE
        | SealFlag::F_SEAL_SHRINK
        | SealFlag::F_SEAL_GROW
        | SealFlag::F_SEAL_SEAL;
    fcntl(&file, FcntlArg::F_ADD_SEALS(seals)).map_err(std::io::Error::from)?;
    let raw = file.into_raw_fd();
    Ok(PathBuf::from(format!("/dev/fd/{raw}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_plan_cannot_be_changed_by_anyone() {
        let path = hold(b"plan bytes", "p.tfplan").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"plan bytes");
        // Even opened for writing through the path, as another process of the same user
        // could through /proc, it does not change.
        let w = std::fs::OpenOptions::new().write(true).open(&path);
        let changed = w.and_then(|mut f| std::io::Write::write_all(&mut f, b"evil"));
        assert!(changed.is_err(), "a sealed file takes no write");
        let truncated = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(0));
        assert!(truncated.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"plan bytes");
    }
}
