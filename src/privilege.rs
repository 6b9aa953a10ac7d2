//! guard's group privilege, held as a scope (OpenSSH's privilege separation, Postfix's
//! setgid `postdrop`). Installed setgid to its own group, guard starts with the `guard`
//! group as its effective group: the only way into its state directory, which the user
//! it runs as cannot open. At start-up [`init`] notes the real and the elevated group,
//! turns core dumps off (a dump would hold what was read with the group), and every child
//! guard starts — the command, ssh-keygen, the plan readers — drops the group in the
//! child before exec ([`drop_in_child`]): real, effective and saved group IDs all become
//! the user's, so nothing guard runs can take the group back. Supplementary groups are
//! never touched: a setgid binary leaves them as the user's. A leaf.

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::unistd::{Gid, getegid, getgid, setresgid};
use std::sync::OnceLock;

/// The group guard was started with, beyond the user's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elevation {
    /// The user's group.
    pub real: Gid,
    /// guard's group.
    pub effective: Gid,
    /// The core-dump limit the user had, given back to children.
    core: (u64, u64),
}

static ELEVATION: OnceLock<Option<Elevation>> = OnceLock::new();

/// Notes whether guard runs with a group of its own, and if so stops core dumps. Called
/// once, first thing in `main`, before any thread exists.
pub fn init() -> Option<Elevation> {
    *ELEVATION.get_or_init(|| {
        let (real, effective) = (getgid(), getegid());
        if real == effective {
            return None;
        }
        let core = getrlimit(Resource::RLIMIT_CORE).unwrap_or((0, 0));
        // The kernel already marks a setgid process non-dumpable; say so ourselves too,
        // and allow no core file (the hard limit stays, so a child can have its own back).
        let _ = nix::sys::prctl::set_dumpable(false);
        let _ = setrlimit(Resource::RLIMIT_CORE, 0, core.1);
        Some(Elevation {
            real,
            effective,
            core,
        })
    })
}

/// The elevation guard runs with, if any.
pub fn elevation() -> Option<Elevation> {
    ELEVATION.get().copied().flatten()
}

/// Whether guard runs with its own group (installed setgid).
pub fn elevated() -> bool {
    elevation().is_some()
}

/// In a child between fork and exec: gives up guard's group for good (real, effective
/// and saved group IDs become the user's) and gives the core-dump limit back. Calls only
/// setresgid(2) and setrlimit(2), which are async-signal-safe.
pub fn drop_in_child() -> std::io::Result<()> {
    if let Some(e) = elevation() {
        setresgid(e.real, e.real, e.real).map_err(std::io::Error::from)?;
        setrlimit(Resource::RLIMIT_CORE, e.core.0, e.core.1).map_err(std::io::Error::from)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_process_is_not_elevated_and_drops_nothing() {
        assert_eq!(init(), None);
        assert!(!elevated());
        drop_in_child().unwrap();
        assert_eq!(getgid(), getegid());
    }
}
