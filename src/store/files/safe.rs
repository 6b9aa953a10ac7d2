//! Opening guard's own state files so that nothing put in their place can fool or stall
//! guard: never through a symbolic link (`O_NOFOLLOW`), never blocking on the open (a
//! FIFO put where a file was would hang it: `O_NONBLOCK`), only a regular file of the
//! expected owner (the account guard runs as, or in a protected install guard's group),
//! and a lock waited for only so long. Whatever fails here is an error that refuses the
//! command, never a pass.

use crate::store::StoreError;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long guard waits for another guard's lock before it gives up (and refuses).
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// `O_NOFOLLOW | O_NONBLOCK`: no link is followed, no FIFO blocks the open.
fn flags() -> i32 {
    use nix::fcntl::OFlag;
    (OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits()
}

/// Why an open file is not one guard may trust, if it is not.
fn untrusted(f: &File) -> Option<String> {
    let m = f.metadata().ok()?;
    if !m.file_type().is_file() {
        return Some(
            "it is not a regular file (a FIFO, a device or a directory was put in its place)"
                .into(),
        );
    }
    match crate::privilege::elevation() {
        Some(e) if m.gid() != e.effective.as_raw() => {
            Some(format!("its group is {}, not guard's", m.gid()))
        }
        None if m.uid() != nix::unistd::geteuid().as_raw() => Some(format!(
            "it belongs to user {}, not to this account",
            m.uid()
        )),
        _ => None,
    }
}

/// Opens `path` for reading and appending (creating it, and its directory, when asked).
pub fn open(path: &Path, what: &'static str, create: bool) -> Result<File, StoreError> {
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && create)
    {
        std::fs::create_dir_all(dir).map_err(StoreError::io(
            "create the directory of",
            what,
            path,
        ))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(create)
        .mode(0o660)
        .custom_flags(flags())
        .open(path)
        .map_err(StoreError::io("open", what, path))?;
    check(&file, path, what)?;
    Ok(file)
}

/// Writes `text` over the start of `path` in place (creating it), padded to `width`
/// bytes so a shorter text leaves nothing of a longer one. No temporary file and no
/// rename: on ext4 a rename over a file flushes it, which costs as much as a sync on
/// every command. For a small file rewritten under a lock (the log's anchor); a write
/// of one block is not torn.
pub fn overwrite(
    path: &Path,
    what: &'static str,
    text: &str,
    width: usize,
) -> Result<(), StoreError> {
    use std::os::unix::fs::FileExt;
    let mut body = text.trim_end_matches('\n').to_string();
    while body.len() + 1 < width {
        body.push(' ');
    }
    body.push('\n');
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o660)
        .custom_flags(flags())
        .open(path)
        .map_err(StoreError::io("open", what, path))?;
    check(&file, path, what)?;
    file.write_all_at(body.as_bytes(), 0)
        .and_then(|()| file.set_len(body.len() as u64))
        .map_err(StoreError::io("write", what, path))
}

/// Refuses a file that is not a regular file of the expected owner.
fn check(file: &File, path: &Path, what: &'static str) -> Result<(), StoreError> {
    match untrusted(file) {
        Some(why) => Err(StoreError::Damaged {
            what,
            path: path.to_path_buf(),
            why: format!("{why}: guard will not use it; remove it"),
        }),
        None => Ok(()),
    }
}

/// Opens `path` (as [`open`]) and locks it exclusively, waiting at most [`LOCK_WAIT`].
pub fn open_locked(path: &Path, what: &'static str) -> Result<Flock<File>, StoreError> {
    let mut file = open(path, what, true)?;
    let start = Instant::now();
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => return Ok(locked),
            Err((f, nix::errno::Errno::EWOULDBLOCK)) if start.elapsed() < LOCK_WAIT => {
                file = f;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                return Err(StoreError::Damaged {
                    what,
                    path: path.to_path_buf(),
                    why: format!(
                        "another process has held its lock for over {}s; guard does not wait longer",
                        LOCK_WAIT.as_secs()
                    ),
                });
            }
            Err((_, e)) => return Err(StoreError::io("lock", what, path)(e.into())),
        }
    }
}

/// The text of `path`, or `None` when it does not exist.
pub fn read(path: &Path, what: &'static str) -> Result<Option<String>, StoreError> {
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags())
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io("open", what, path)(e)),
    };
    check(&file, path, what)?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(StoreError::io("read", what, path))?;
    Ok(Some(text))
}

/// Replaces `path` with `text` in one rename, never writing through a link.
pub fn replace(path: &Path, what: &'static str, text: &str) -> Result<(), StoreError> {
    use std::io::Write;
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&tmp);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o660)
        .custom_flags(flags())
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(StoreError::io("write", what, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_or_a_link_in_place_of_a_state_file_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("breaker.json");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let start = Instant::now();
        let err = read(&fifo, "the breaker").unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        assert!(open(&fifo, "the breaker", true).is_err());
        assert!(start.elapsed() < Duration::from_secs(1), "no open blocked");
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "x").unwrap();
        let link = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(
            read(&link, "the audit log").is_err(),
            "a link is not followed"
        );
        assert!(open(&link, "the audit log", true).is_err());
    }

    #[test]
    fn replace_writes_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        replace(&p, "b", "one").unwrap();
        replace(&p, "b", "two").unwrap();
        assert_eq!(read(&p, "b").unwrap().as_deref(), Some("two"));
        assert_eq!(read(&dir.path().join("none"), "b").unwrap(), None);
    }
}
