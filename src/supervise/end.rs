//! Ends a process that is stopped at its exec before the new image runs a single
//! instruction of its own: writes the message to the process's own stderr, then
//! overwrites the code at its entry point (the dynamic loader's or the program's) with
//! `exit_group(status)` and resumes it, so its parent sees a plain exit with `status`.
//!
//! Why code and not registers: the exec stop is inside execve(2), whose return value
//! (0) is written to the syscall-number register after we resume, so the injected code
//! loads its own registers. PTRACE_POKEDATA writes through a private copy-on-write
//! page, so the file on disk and other processes are untouched. On an architecture
//! without an injector here, or if injection fails, the process gets SIGKILL instead
//! (the parent then sees 128+9).

use crate::supervise::sys;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::os::fd::OwnedFd;

/// How long to wait for room in a full pipe or terminal before giving up the message.
const WRITE_WAIT_MS: u16 = 100;

/// How an ended process is let go once its exit is in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// Resumed and still traced (the full-ptrace engine sees its exit).
    Cont,
    /// Detached: it exits untraced (the fast engine).
    Detach,
}

/// Writes `message` to `pid`'s stderr and makes it exit with `status` (falling back to
/// SIGKILL), then lets it go.
pub(crate) fn end(pid: i32, message: &str, status: u8, then: Then) {
    if !message.is_empty() {
        let mut line = message.as_bytes().to_vec();
        line.push(b'\n');
        tell(pid, &line);
    }
    if inject_exit(pid, status).is_err() {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = match then {
        Then::Cont => sys::cont(pid, 0),
        Then::Detach => sys::detach(pid, 0),
    };
}

/// Writes `line` on the process's fd 2: borrowed with pidfd_getfd (so it shares the
/// offset and the file, sockets included), or reopened through /proc/PID/fd/2 in
/// append mode on kernels before 5.6.
pub(crate) fn tell(pid: i32, line: &[u8]) {
    let fd = sys::pidfd_open(pid)
        .and_then(|pidfd| sys::pidfd_getfd(&pidfd, 2))
        .ok()
        .or_else(|| reopen_stderr(pid));
    if let Some(fd) = fd {
        let _ = sys::write_quietly(&fd, line, WRITE_WAIT_MS);
    }
}

fn reopen_stderr(pid: i32) -> Option<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(format!("/proc/{pid}/fd/2"))
        .ok()?;
    Some(OwnedFd::from(file))
}

/// Writes 16 bytes of code at the entry point, as two words.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn poke16(pid: i32, at: u64, code: [u8; 16]) -> Result<(), nix::errno::Errno> {
    for (i, chunk) in code.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let addr = at.wrapping_add(8 * i as u64);
        nix::sys::ptrace::write(
            Pid::from_raw(pid),
            addr as nix::sys::ptrace::AddressType,
            libc::c_long::from_ne_bytes(word),
        )?;
    }
    Ok(())
}

/// x86_64: `mov edi, status; mov eax, 231; syscall` (exit_group), or for a 32-bit
/// image (code segment 0x23) `mov ebx, status; mov eax, 252; int 0x80`.
#[cfg(target_arch = "x86_64")]
fn inject_exit(pid: i32, status: u8) -> Result<(), nix::errno::Errno> {
    let regs = nix::sys::ptrace::getregs(Pid::from_raw(pid))?;
    let code = exit_code_x86(status, regs.cs == 0x23);
    poke16(pid, regs.rip, code)
}

#[cfg(target_arch = "x86_64")]
fn exit_code_x86(status: u8, compat32: bool) -> [u8; 16] {
    let (load_arg, nr, trap): (u8, u8, [u8; 2]) = if compat32 {
        (0xbb, 252, [0xcd, 0x80])
    } else {
        (0xbf, 231, [0x0f, 0x05])
    };
    [
        load_arg, status, 0, 0, 0, // mov e[d|b]i, status
        0xb8, nr, 0, 0, 0, // mov eax, nr
        trap[0], trap[1], // syscall | int 0x80
        0xcc, 0xcc, 0xcc, 0xcc, // int3 padding, never reached
    ]
}

/// aarch64: `movz x0, #status; movz x8, #94; svc #0` (exit_group); a 32-bit (AArch32)
/// image gets SIGKILL.
#[cfg(target_arch = "aarch64")]
fn inject_exit(pid: i32, status: u8) -> Result<(), nix::errno::Errno> {
    const PSR_MODE32: u64 = 0x10;
    let regs = nix::sys::ptrace::getregs(Pid::from_raw(pid))?;
    if regs.pstate & PSR_MODE32 != 0 {
        return Err(nix::errno::Errno::ENOSYS);
    }
    let movz = |reg: u32, imm: u32| 0xd280_0000u32 | (imm << 5) | reg;
    let words = [
        movz(0, u32::from(status)),
        movz(8, 94),
        0xd400_0001,
        0xd503_201f,
    ];
    let mut code = [0u8; 16];
    for (slot, w) in code.chunks_exact_mut(4).zip(words) {
        slot.copy_from_slice(&w.to_le_bytes());
    }
    poke16(pid, regs.pc, code)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn inject_exit(_pid: i32, _status: u8) -> Result<(), nix::errno::Errno> {
    Err(nix::errno::Errno::ENOSYS)
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn encodes_exit_group() {
        let code = exit_code_x86(126, false);
        assert_eq!(
            &code[..12],
            &[0xbf, 126, 0, 0, 0, 0xb8, 231, 0, 0, 0, 0x0f, 0x05]
        );
        let code = exit_code_x86(3, true);
        assert_eq!(
            &code[..12],
            &[0xbb, 3, 0, 0, 0, 0xb8, 252, 0, 0, 0, 0xcd, 0x80]
        );
    }
}
