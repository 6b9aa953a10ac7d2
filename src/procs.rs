//! Reading processes from `/proc`: a process's parent, argv and executable, and the
//! chain of this process's ancestors. A leaf.

use std::path::PathBuf;

/// The parent of `pid`: the 4th field of `/proc/PID/stat`, after the `(comm)` field.
pub fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// The argv of `pid` (empty when it cannot be read).
pub fn argv(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The executable `pid` runs, when it can be read.
pub fn exe(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

/// This process's ancestors, nearest first, up to (not including) pid 1; at most 64.
pub fn ancestors() -> impl Iterator<Item = u32> {
    let mut current = Some(std::os::unix::process::parent_id());
    std::iter::from_fn(move || {
        let pid = current.filter(|p| *p > 1)?;
        current = parent(pid);
        Some(pid)
    })
    .take(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_parent_is_the_first_ancestor() {
        let first = ancestors().next();
        assert_eq!(
            first,
            Some(std::os::unix::process::parent_id()).filter(|p| *p > 1)
        );
        assert_eq!(
            parent(std::process::id()),
            Some(std::os::unix::process::parent_id())
        );
        assert!(!argv(std::process::id()).is_empty());
        assert!(exe(std::process::id()).is_some());
    }
}
