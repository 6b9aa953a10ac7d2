//! guard's own binary: the names it answers to, and whether a file is the binary that is
//! running (a shim is a link to it). A leaf.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Whether a program name is guard's own (so it is run, not treated as a shim).
pub fn is_guard_name(name: &OsStr) -> bool {
    let base = Path::new(name)
        .file_name()
        .map_or(name.as_bytes(), OsStr::as_bytes);
    base.starts_with(b"guard")
}

/// Whether `m` is the running guard binary (the file a shim links to).
pub fn is_guard_binary(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    static SELF: std::sync::OnceLock<Option<(u64, u64)>> = std::sync::OnceLock::new();
    let me = SELF.get_or_init(|| {
        let m = std::fs::metadata("/proc/self/exe")
            .or_else(|_| std::env::current_exe().and_then(std::fs::metadata))
            .ok()?;
        Some((m.dev(), m.ino()))
    });
    *me == Some((m.dev(), m.ino()))
}
