//! Thin safe wrappers over the system calls the tracer needs that `nix` leaves out or
//! wraps too narrowly: ptrace requests that carry any signal number (real-time ones
//! included), `PTRACE_LISTEN`, raw `waitpid` statuses, pidfds and `tgkill`.
//!
//! Invariant: each wrapper passes only integers or pointers to live locals to the
//! kernel, so none can break memory safety; every error comes back as an `Errno`.

use nix::errno::Errno;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `status >> 16` of a ptrace event stop.
pub(crate) const EVENT_FORK: i32 = 1;
pub(crate) const EVENT_VFORK: i32 = 2;
pub(crate) const EVENT_CLONE: i32 = 3;
pub(crate) const EVENT_EXEC: i32 = 4;
pub(crate) const EVENT_STOP: i32 = 128;

const PTRACE_CONT: libc::c_long = 7;
const PTRACE_DETACH: libc::c_long = 17;
const PTRACE_INTERRUPT: libc::c_long = 0x4207;
const PTRACE_LISTEN: libc::c_long = 0x4208;

/// One `waitpid` report: the thread id and the raw status word.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Report {
    pub tid: i32,
    pub status: i32,
}

fn check(ret: libc::c_long) -> Result<libc::c_long, Errno> {
    if ret == -1 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

/// A ptrace request that takes no pointer: `data` is a signal number or 0.
fn request(req: libc::c_long, tid: i32, data: i32) -> Result<(), Errno> {
    // SAFETY: PTRACE_CONT, DETACH, INTERRUPT and LISTEN read no memory of ours; addr is
    // ignored and data is a signal number (or 0) passed by value.
    #[allow(unsafe_code)]
    let ret = unsafe {
        libc::syscall(
            libc::SYS_ptrace,
            req,
            libc::c_long::from(tid),
            0 as libc::c_long,
            libc::c_long::from(data),
        )
    };
    check(ret).map(drop)
}

/// Resumes a stopped tracee, delivering signal `sig` (0 for none).
pub(crate) fn cont(tid: i32, sig: i32) -> Result<(), Errno> {
    request(PTRACE_CONT, tid, sig)
}

/// Lets a stopped tracee go, untraced from now on, delivering signal `sig` (0 for none).
/// A tracee in group-stop stays stopped, as an untraced one would.
pub(crate) fn detach(tid: i32, sig: i32) -> Result<(), Errno> {
    request(PTRACE_DETACH, tid, sig)
}

/// Makes a seized, running tracee stop (PTRACE_EVENT_STOP) at its next chance.
pub(crate) fn interrupt(tid: i32) -> Result<(), Errno> {
    request(PTRACE_INTERRUPT, tid, 0)
}

/// Lets a tracee in group-stop stay stopped, but wake on SIGCONT like an untraced one.
pub(crate) fn listen(tid: i32) -> Result<(), Errno> {
    request(PTRACE_LISTEN, tid, 0)
}

/// A numeric field of /proc/PID/status (PID 0: this process), e.g. `TracerPid:`.
pub(crate) fn status_field(pid: i32, field: &str) -> Option<i32> {
    let path = if pid == 0 {
        "/proc/self/status".to_string()
    } else {
        format!("/proc/{pid}/status")
    };
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|v| v.trim().parse().ok())
}

/// `waitpid(pid, &status, flags)`; `Ok(None)` when WNOHANG found nothing.
pub(crate) fn wait(pid: i32, flags: i32) -> Result<Option<Report>, Errno> {
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a live local the kernel writes one int into.
    #[allow(unsafe_code)]
    let tid = unsafe { libc::waitpid(pid, &mut status, flags) };
    match tid {
        -1 => Err(Errno::last()),
        0 => Ok(None),
        tid => Ok(Some(Report { tid, status })),
    }
}

/// Whether thread `tid` belongs to thread group `tgid` (signal 0 only checks).
pub(crate) fn in_thread_group(tgid: i32, tid: i32) -> bool {
    // SAFETY: tgkill with signal 0 sends nothing and takes integers only.
    #[allow(unsafe_code)]
    let ret = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::c_long::from(tgid),
            libc::c_long::from(tid),
            0 as libc::c_long,
        )
    };
    // EPERM still means the kernel found `tid` in `tgid`.
    ret == 0 || Errno::last() == Errno::EPERM
}

/// Forks a child that sleeps for `nap` and exits: its exit wakes a blocking waitpid,
/// which is how the tracer keeps a poll deadline without signals or threads.
pub(crate) fn sleeper(nap: std::time::Duration) -> Result<i32, Errno> {
    let nap = libc::timespec {
        tv_sec: libc::time_t::try_from(nap.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(nap.subsec_nanos()),
    };
    // SAFETY: the child only calls nanosleep(2) and _exit(2), both async-signal-safe,
    // on a timespec built before the fork, so it is sound even if the caller has other
    // threads.
    #[allow(unsafe_code)]
    let fork = unsafe { nix::unistd::fork() }?;
    match fork {
        nix::unistd::ForkResult::Child => {
            // SAFETY: `nap` is a live local; a null remainder pointer is allowed.
            #[allow(unsafe_code)]
            unsafe {
                libc::nanosleep(&nap, std::ptr::null_mut());
                libc::_exit(0)
            }
        }
        nix::unistd::ForkResult::Parent { child } => Ok(child.as_raw()),
    }
}

/// A pidfd for process `pid`.
pub(crate) fn pidfd_open(pid: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: integers only; a non-negative return is a new fd that we now own.
    #[allow(unsafe_code)]
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pidfd_open,
            libc::c_long::from(pid),
            0 as libc::c_long,
        )
    };
    let fd = check(ret)?;
    owned(fd)
}

/// A duplicate of file descriptor `target` of the process behind `pidfd`.
pub(crate) fn pidfd_getfd(pidfd: &OwnedFd, target: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: integers only; a non-negative return is a new fd that we now own.
    #[allow(unsafe_code)]
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pidfd_getfd,
            libc::c_long::from(pidfd.as_raw_fd()),
            libc::c_long::from(target),
            0 as libc::c_long,
        )
    };
    let fd = check(ret)?;
    owned(fd)
}

fn owned(fd: libc::c_long) -> Result<OwnedFd, Errno> {
    let fd = RawFd::try_from(fd).map_err(|_| Errno::EBADF)?;
    // SAFETY: the kernel just returned `fd` as a new descriptor nobody else owns.
    #[allow(unsafe_code)]
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether `fd` is a socket.
pub(crate) fn is_socket(fd: &OwnedFd) -> bool {
    nix::sys::stat::fstat(fd)
        .map(|st| st.st_mode & libc::S_IFMT == libc::S_IFSOCK)
        .unwrap_or(false)
}

/// Writes `bytes` to `fd` without ever blocking for long and without raising SIGPIPE in
/// the supervisor: waits at most `wait_ms` for room, sends on sockets with
/// MSG_NOSIGNAL, and blocks SIGPIPE in this thread around a plain write (consuming the
/// one a broken pipe would raise).
pub(crate) fn write_quietly(fd: &OwnedFd, bytes: &[u8], wait_ms: u16) -> Result<(), Errno> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
    let mut fds = [PollFd::new(
        std::os::fd::AsFd::as_fd(fd),
        PollFlags::POLLOUT,
    )];
    if poll(&mut fds, PollTimeout::from(wait_ms))? == 0 {
        return Err(Errno::EAGAIN);
    }
    if is_socket(fd) {
        let flags =
            nix::sys::socket::MsgFlags::MSG_NOSIGNAL | nix::sys::socket::MsgFlags::MSG_DONTWAIT;
        return nix::sys::socket::send(fd.as_raw_fd(), bytes, flags).map(drop);
    }
    let mut pipe = SigSet::empty();
    pipe.add(Signal::SIGPIPE);
    let mut old = SigSet::empty();
    pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&pipe), Some(&mut old))?;
    let result = nix::unistd::write(fd, bytes).map(drop);
    if result == Err(Errno::EPIPE) && !old.contains(Signal::SIGPIPE) {
        consume_pending(&pipe);
    }
    pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old), None)?;
    result
}

/// Takes a pending signal of `set` off this thread without waiting.
fn consume_pending(set: &nix::sys::signal::SigSet) {
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `set` and `zero` are live for the call; a null siginfo pointer is allowed.
    #[allow(unsafe_code)]
    unsafe {
        libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &zero);
    }
}
