//! Reads what a decider needs about a process stopped at its exec, and only that:
//! /proc/PID/exe is one readlink (cwd, fd/0 and environ are read on demand);
//! argv and the execve path come from the new stack ([`crate::supervise::stack`]), or from
//! /proc/PID/cmdline and auxv when that fails; environ is left for
//! [`crate::supervise::Exec::env`] to read on demand.
//!
//! Invariant: called only while the process is in a ptrace stop, so what is read
//! cannot change under us; a process that vanished reads as `None`.

use super::{Exec, StdinKind};
use std::ffi::OsString;
use std::io::IoSliceMut;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// The auxv key of the execve filename.
const AT_EXECFN: u64 = 31;
const PAGE: usize = 4096;

/// What is known of a new image, for the decider. `None` when the process is gone.
/// /proc/PID is looked up once; the rest is read relative to it.
/// `parent`: `Some` when the engine knows the process's creator (`Some(None)` for the
/// first program); `None` leaves it to [`Exec::parent`] to read on demand.
pub(crate) fn read_exec(
    pid: i32,
    former_tid: Option<i32>,
    parent: Option<Option<i32>>,
) -> Option<Exec> {
    let proc_dir = format!("/proc/{pid}");
    let exe = std::fs::read_link(format!("{proc_dir}/exe")).ok()?;
    let (argv, path) = crate::supervise::stack::argv_and_execfn(pid).unwrap_or_else(|| {
        let dir = std::path::Path::new(&proc_dir);
        let argv = split_nul(std::fs::read(dir.join("cmdline")).unwrap_or_default());
        let path = std::fs::read(dir.join("auxv"))
            .ok()
            .and_then(|auxv| execfn(pid, &auxv))
            .unwrap_or_else(|| exe.clone());
        (argv, path)
    });
    let mut exec = Exec::new(pid, exe, argv, PathBuf::new());
    exec.cwd = super::Cwd::of(pid);
    exec.former_tid = former_tid;
    if let Some(parent) = parent {
        let _ = exec.parent.set(parent);
    }
    exec.stdin = std::cell::OnceCell::new();
    exec.path = path;
    Some(exec)
}

/// NUL-separated strings (a trailing NUL or not).
fn split_nul(mut bytes: Vec<u8>) -> Vec<OsString> {
    if bytes.last() == Some(&0) {
        bytes.pop();
    }
    if bytes.is_empty() {
        return Vec::new();
    }
    bytes
        .split(|b| *b == 0)
        .map(|s| OsString::from_vec(s.to_vec()))
        .collect()
}

/// The parent of process `pid` now (the ppid field of /proc/PID/stat).
pub(crate) fn parent_now(pid: i32) -> Option<i32> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.iter().rposition(|b| *b == b')')? + 1..];
    let text = std::str::from_utf8(after).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

/// /proc/PID/environ as pairs; an entry with no `=` has an empty value.
pub(crate) fn environ(pid: i32) -> Vec<(OsString, OsString)> {
    let bytes = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    split_nul(bytes)
        .into_iter()
        .map(|entry| {
            let raw = entry.as_bytes();
            match raw.iter().position(|b| *b == b'=') {
                Some(i) => (
                    OsString::from_vec(raw[..i].to_vec()),
                    OsString::from_vec(raw[i + 1..].to_vec()),
                ),
                None => (entry.clone(), OsString::new()),
            }
        })
        .collect()
}

/// What /proc/PID/fd/0 is.
pub(crate) fn stdin_kind(pid: i32) -> StdinKind {
    match std::fs::read_link(format!("/proc/{pid}/fd/0")) {
        Ok(target) => kind_of(target.as_os_str().as_bytes()),
        Err(_) => StdinKind::Closed,
    }
}

fn kind_of(target: &[u8]) -> StdinKind {
    let starts = |p: &[u8]| target.starts_with(p);
    if starts(b"pipe:") {
        StdinKind::Pipe
    } else if starts(b"socket:") {
        StdinKind::Socket
    } else if target == b"/dev/null" {
        StdinKind::Null
    } else if starts(b"/dev/pts/") || starts(b"/dev/tty") || target == b"/dev/console" {
        StdinKind::Terminal
    } else if starts(b"/dev/") || !starts(b"/") {
        StdinKind::Other
    } else {
        StdinKind::File
    }
}

/// The filename given to execve(2), from the AT_EXECFN string on the new stack.
fn execfn(pid: i32, auxv: &[u8]) -> Option<PathBuf> {
    let addr = auxv
        .chunks_exact(16)
        .map(|pair| {
            let word = |b: &[u8]| {
                let mut w = [0u8; 8];
                w.copy_from_slice(b);
                u64::from_ne_bytes(w)
            };
            (word(&pair[..8]), word(&pair[8..]))
        })
        .find(|(key, _)| *key == AT_EXECFN)
        .map(|(_, value)| value)?;
    read_cstring(pid, usize::try_from(addr).ok()?).map(|b| PathBuf::from(OsString::from_vec(b)))
}

/// A NUL-terminated string in `pid`'s memory at `addr`, up to PATH_MAX. Reads to the end
/// of the page first and then one more page, so it never asks for an unmapped page
/// that the string does not reach.
fn read_cstring(pid: i32, addr: usize) -> Option<Vec<u8>> {
    use nix::sys::uio::{RemoteIoVec, process_vm_readv};
    let first = PAGE - addr % PAGE;
    let mut buf = vec![0u8; first + PAGE];
    let (head, tail) = buf.split_at_mut(first);
    let remote = [
        RemoteIoVec {
            base: addr,
            len: first,
        },
        RemoteIoVec {
            base: addr + first,
            len: PAGE,
        },
    ];
    let mut local = [IoSliceMut::new(head), IoSliceMut::new(tail)];
    let got = process_vm_readv(nix::unistd::Pid::from_raw(pid), &mut local, &remote).ok()?;
    let end = buf[..got].iter().position(|b| *b == 0)?;
    buf.truncate(end);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stdin_kinds() {
        assert_eq!(kind_of(b"pipe:[123]"), StdinKind::Pipe);
        assert_eq!(kind_of(b"socket:[9]"), StdinKind::Socket);
        assert_eq!(kind_of(b"/dev/null"), StdinKind::Null);
        assert_eq!(kind_of(b"/dev/pts/3"), StdinKind::Terminal);
        assert_eq!(kind_of(b"/dev/tty1"), StdinKind::Terminal);
        assert_eq!(kind_of(b"/dev/zero"), StdinKind::Other);
        assert_eq!(kind_of(b"anon_inode:[eventfd]"), StdinKind::Other);
        assert_eq!(kind_of(b"/home/x/in.txt"), StdinKind::File);
    }

    #[test]
    fn splits_nul_lists() {
        assert_eq!(split_nul(b"a\0bc\0".to_vec()), vec!["a", "bc"]);
        assert_eq!(split_nul(b"a\0\0b".to_vec()), vec!["a", "", "b"]);
        assert!(split_nul(Vec::new()).is_empty());
    }

    #[test]
    fn reads_its_own_execfn_and_env() {
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        let auxv = std::fs::read("/proc/self/auxv").unwrap();
        let path = execfn(me, &auxv).unwrap();
        assert!(!path.as_os_str().is_empty());
        assert!(environ(me).iter().any(|(k, _)| k == "PATH"));
        let parent = i32::try_from(std::os::unix::process::parent_id()).unwrap_or(0);
        assert_eq!(parent_now(me), Some(parent));
    }
}
