//! Reads argv and the execve filename (AT_EXECFN) of a process stopped at its exec
//! straight from its new stack, in two process_vm_readv calls, instead of opening
//! /proc/PID/cmdline and /proc/PID/auxv (which cost about three times as much).
//!
//! At the exec stop the stack pointer points at the System V start-up block:
//! `argc, argv[0..argc], NULL, envp[..], NULL, auxv pairs…, AT_NULL`, and the strings
//! sit above it: the argv strings, then the environment strings, then the filename.
//! Invariant: anything that does not fit that layout (or does not fit in the two
//! pages read) returns `None`, and the caller falls back to /proc.

use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::io::IoSliceMut;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

const PAGE: usize = 4096;
const WORD: usize = 8;
const AT_NULL: u64 = 0;
const AT_EXECFN: u64 = 31;
/// Longer argument lists are read from /proc instead.
const MAX_ARGS_BYTES: usize = 256 * 1024;

/// argv and the execve filename of `pid`, stopped at its exec.
pub(crate) fn argv_and_execfn(pid: i32) -> Option<(Vec<OsString>, PathBuf)> {
    let sp = stack_pointer(pid)?;
    let block = read_pages(pid, sp)?;
    let words: Vec<u64> = block
        .chunks_exact(WORD)
        .map(|w| {
            let mut b = [0u8; WORD];
            b.copy_from_slice(w);
            u64::from_ne_bytes(b)
        })
        .collect();
    let argc = usize::try_from(*words.first()?).ok()?;
    let argv_ptrs = words.get(1..=argc)?;
    let envp_start = argc + 2;
    let envc = words.get(envp_start..)?.iter().position(|w| *w == 0)?;
    let auxv = words.get(envp_start + envc + 1..)?;
    let execfn = auxv
        .chunks_exact(2)
        .take_while(|pair| pair[0] != AT_NULL)
        .find(|pair| pair[0] == AT_EXECFN)?[1];
    let end = if envc > 0 { words[envp_start] } else { execfn };
    let first = argv_ptrs.first().copied().unwrap_or(end);
    strings(pid, first, end, execfn, argc)
}

/// Reads the argv strings `[first, end)` and the filename at `execfn` in one call.
fn strings(
    pid: i32,
    first: u64,
    end: u64,
    execfn: u64,
    argc: usize,
) -> Option<(Vec<OsString>, PathBuf)> {
    let (first, end, execfn) = (
        usize::try_from(first).ok()?,
        usize::try_from(end).ok()?,
        usize::try_from(execfn).ok()?,
    );
    let args_len = end.checked_sub(first)?;
    if args_len > MAX_ARGS_BYTES {
        return None;
    }
    let name_len = PAGE - execfn % PAGE;
    let mut args = vec![0u8; args_len];
    let mut name = vec![0u8; name_len + PAGE];
    let (name_head, name_tail) = name.split_at_mut(name_len);
    let remote = [
        RemoteIoVec {
            base: first,
            len: args_len,
        },
        RemoteIoVec {
            base: execfn,
            len: name_len,
        },
        RemoteIoVec {
            base: execfn + name_len,
            len: PAGE,
        },
    ];
    let mut local = [
        IoSliceMut::new(&mut args),
        IoSliceMut::new(name_head),
        IoSliceMut::new(name_tail),
    ];
    let got = process_vm_readv(Pid::from_raw(pid), &mut local, &remote).ok()?;
    let name_got = got.checked_sub(args_len)?;
    let nul = name[..name_got].iter().position(|b| *b == 0)?;
    name.truncate(nul);
    if args.last() == Some(&0) {
        args.pop();
    }
    let argv: Vec<OsString> = if argc == 0 {
        Vec::new()
    } else {
        args.split(|b| *b == 0)
            .map(|s| OsString::from_vec(s.to_vec()))
            .collect()
    };
    (argv.len() == argc).then(|| (argv, PathBuf::from(OsString::from_vec(name))))
}

/// Up to two pages of memory from `addr`: the rest of its page and the next one when
/// mapped (the kernel stops a partial read at a whole iovec).
fn read_pages(pid: i32, addr: u64) -> Option<Vec<u8>> {
    let addr = usize::try_from(addr).ok()?;
    let head = PAGE - addr % PAGE;
    let mut buf = vec![0u8; head + PAGE];
    let (a, b) = buf.split_at_mut(head);
    let remote = [
        RemoteIoVec {
            base: addr,
            len: head,
        },
        RemoteIoVec {
            base: addr + head,
            len: PAGE,
        },
    ];
    let got = process_vm_readv(
        Pid::from_raw(pid),
        &mut [IoSliceMut::new(a), IoSliceMut::new(b)],
        &remote,
    )
    .ok()?;
    buf.truncate(got - got % WORD);
    Some(buf)
}

#[cfg(target_arch = "x86_64")]
fn stack_pointer(pid: i32) -> Option<u64> {
    nix::sys::ptrace::getregs(Pid::from_raw(pid))
        .ok()
        .filter(|r| r.cs == 0x33) // a 64-bit image; 32-bit ones use /proc
        .map(|r| r.rsp)
}

#[cfg(target_arch = "aarch64")]
fn stack_pointer(pid: i32) -> Option<u64> {
    const PSR_MODE32: u64 = 0x10;
    nix::sys::ptrace::getregs(Pid::from_raw(pid))
        .ok()
        .filter(|r| r.pstate & PSR_MODE32 == 0)
        .map(|r| r.sp)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn stack_pointer(_pid: i32) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervise::sys;

    /// Runs `argv` seized, stops it at its exec, and reads it both ways.
    fn at_exec_stop(
        argv: &[&str],
        env: Vec<(OsString, OsString)>,
    ) -> Option<(Vec<OsString>, PathBuf)> {
        let args: Vec<OsString> = argv[1..].iter().map(OsString::from).collect();
        let started =
            crate::supervise::spawn::start(argv[0].as_ref(), &args, Some(env), &[]).ok()?;
        let pid = started.pid;
        let found = loop {
            let r = sys::wait(pid, libc::__WALL).ok()??;
            if !libc::WIFSTOPPED(r.status) {
                break None;
            }
            if r.status >> 16 == sys::EVENT_EXEC {
                break argv_and_execfn(pid);
            }
            let _ = sys::cont(pid, 0);
        };
        crate::supervise::probe::kill_and_reap(Pid::from_raw(pid));
        found
    }

    #[test]
    fn reads_argv_and_execfn_at_the_exec_stop() {
        let env = vec![("K".into(), "V".into())];
        let (argv, path) = at_exec_stop(&["/bin/echo", "a b", "", "c"], env).unwrap();
        assert_eq!(argv, ["/bin/echo", "a b", "", "c"]);
        assert_eq!(path, PathBuf::from("/bin/echo"));
        // No environment at all: the strings end where the filename starts.
        let (argv, path) = at_exec_stop(&["/bin/true", "x"], Vec::new()).unwrap();
        assert_eq!(argv, ["/bin/true", "x"]);
        assert_eq!(path, PathBuf::from("/bin/true"));
    }
}
