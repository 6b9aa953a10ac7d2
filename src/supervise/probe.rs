//! Whether this process may trace a child here, and why not when it may not: a forked
//! child that only waits to be killed is seized and killed; a refusal is explained from
//! Yama's scope, the child's TracerPid and this process's seccomp mode.
//!
//! Invariant: the probe child never execs and never outlives the probe.

use crate::supervise::error::Unavailable;
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{ForkResult, Pid};
use std::os::fd::AsRawFd;

/// See [`crate::supervise::available`].
pub(crate) fn available() -> Result<(), Unavailable> {
    if yama_scope() == Some(3) {
        return Err(Unavailable::YamaDisabled);
    }
    let (ready_r, ready_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|errno| Unavailable::Refused { errno })?;
    // SAFETY: the child only calls prctl, write, pause and _exit, all async-signal-safe.
    #[allow(unsafe_code)]
    let fork = unsafe { nix::unistd::fork() }.map_err(|errno| Unavailable::Refused { errno })?;
    let child = match fork {
        ForkResult::Child => {
            // SAFETY: prctl takes integers (a supervising process is undumpable, and
            // so would its child be); write reads a static byte; pause takes no
            // arguments; the parent kills us.
            #[allow(unsafe_code)]
            unsafe {
                libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0);
                libc::write(ready_w.as_raw_fd(), b"r".as_ptr().cast(), 1);
                loop {
                    libc::pause();
                }
            }
        }
        ForkResult::Parent { child } => child,
    };
    drop(ready_w);
    crate::supervise::spawn::wait_ready(&ready_r);
    let options = nix::sys::ptrace::Options::PTRACE_O_EXITKILL;
    let result = nix::sys::ptrace::seize(child, options).map_err(|e| diagnose(e, child.as_raw()));
    kill_and_reap(child);
    result
}

/// Kills a child we forked and waits for it to be gone.
pub(crate) fn kill_and_reap(child: Pid) {
    let _ = kill(child, Signal::SIGKILL);
    loop {
        match crate::supervise::sys::wait(child.as_raw(), libc::__WALL) {
            Err(Errno::EINTR) => continue,
            Ok(Some(r)) if libc::WIFSTOPPED(r.status) => continue,
            _ => break,
        }
    }
}

/// Explains why PTRACE_SEIZE of our own child `child` failed with `errno`.
pub(crate) fn diagnose(errno: Errno, child: i32) -> Unavailable {
    match errno {
        Errno::ENOSYS | Errno::EIO => Unavailable::NotSupported { errno },
        Errno::EPERM | Errno::EACCES => {
            if yama_scope() == Some(3) {
                Unavailable::YamaDisabled
            } else if yama_scope() == Some(2) {
                Unavailable::YamaAdminOnly
            } else if let Some(tracer) =
                crate::supervise::sys::status_field(child, "TracerPid:").filter(|t| *t != 0)
            {
                Unavailable::AlreadyTraced { tracer }
            } else if let Some(tracer) =
                crate::supervise::sys::status_field(0, "TracerPid:").filter(|t| *t != 0)
            {
                Unavailable::Nested { tracer }
            } else if crate::supervise::sys::status_field(0, "Seccomp:")
                .is_some_and(|mode| mode != 0)
            {
                Unavailable::Seccomp { errno }
            } else {
                Unavailable::Refused { errno }
            }
        }
        _ => Unavailable::Refused { errno },
    }
}

fn yama_scope() -> Option<i32> {
    std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_refusals() {
        assert!(matches!(
            diagnose(Errno::ENOSYS, 1),
            Unavailable::NotSupported { .. }
        ));
        assert!(crate::supervise::sys::status_field(0, "TracerPid:").is_some());
        let line = Unavailable::AlreadyTraced { tracer: 42 }.to_string();
        assert!(line.contains("42") && !line.contains('\n'), "{line}");
    }
}
