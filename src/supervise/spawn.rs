//! Starts the first program so that it never runs unsupervised: the child is forked,
//! waits on a pipe until the parent has seized it with the tracing options, and only
//! then execs. If seizing fails the child is killed before it execs anything.
//!
//! Invariant: between fork and exec the child calls only async-signal-safe functions
//! on memory prepared before the fork (the caller may have other threads), so argv,
//! envp and the signal actions are all built first.

use crate::supervise::error::{Error, Unavailable};
use crate::supervise::probe;
use nix::errno::Errno;
use nix::sys::ptrace::Options as PtraceOptions;
use nix::sys::signal::{SigAction, Signal};
use nix::unistd::ForkResult;
use std::ffi::{CString, OsStr, OsString, c_char};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// The options every tracee gets (new children inherit them).
pub(crate) fn trace_options() -> PtraceOptions {
    PtraceOptions::PTRACE_O_TRACEFORK
        | PtraceOptions::PTRACE_O_TRACEVFORK
        | PtraceOptions::PTRACE_O_TRACECLONE
        | PtraceOptions::PTRACE_O_TRACEEXEC
        | PtraceOptions::PTRACE_O_EXITKILL
}

/// The first program, seized and released.
pub(crate) struct Started {
    pub pid: i32,
    pub program: String,
    /// Read end of the pipe on which a failed execve leaves its errno (non-blocking).
    errors: OwnedFd,
}

impl Started {
    /// The errno of a failed first execve, if the child left one.
    pub(crate) fn exec_error(&self) -> Option<Errno> {
        let mut buf = [0u8; 4];
        match nix::unistd::read(&self.errors, &mut buf) {
            Ok(4) => Some(Errno::from_raw(i32::from_ne_bytes(buf))),
            _ => None,
        }
    }
}

/// Everything the child needs, built before fork.
pub(crate) struct Prepared {
    path: CString,
    _argv: Vec<CString>,
    _envp: Vec<CString>,
    argv_ptrs: Vec<*const c_char>,
    envp_ptrs: Vec<*const c_char>,
}

impl Prepared {
    /// execve(2) of the prepared program; returns only if it failed (errno is set).
    /// Async-signal-safe.
    pub(crate) fn exec(&self) {
        // SAFETY: every pointer refers to memory built before fork that outlives the
        // call, and the argv/envp arrays end with a null pointer.
        #[allow(unsafe_code)]
        unsafe {
            libc::execve(
                self.path.as_ptr(),
                self.argv_ptrs.as_ptr(),
                self.envp_ptrs.as_ptr(),
            );
        }
    }
}

fn cstring(what: &'static str, s: &OsStr) -> Result<CString, Error> {
    CString::new(s.as_bytes()).map_err(|_| Error::Nul {
        what,
        text: s.to_string_lossy().into_owned(),
    })
}

fn pointers(strings: &[CString]) -> Vec<*const c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

pub(crate) fn prepare(
    program: &OsStr,
    args: &[OsString],
    env: Option<Vec<(OsString, OsString)>>,
) -> Result<Prepared, Error> {
    let env = env.unwrap_or_else(|| std::env::vars_os().collect());
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone());
    let path = resolve(program, path_var.as_deref())?;
    let mut argv = vec![cstring("the program name", program)?];
    for arg in args {
        argv.push(cstring("an argument", arg)?);
    }
    let mut envp = Vec::with_capacity(env.len());
    for (k, v) in &env {
        let mut entry = k.clone();
        entry.push("=");
        entry.push(v);
        envp.push(cstring("an environment variable", &entry)?);
    }
    Ok(Prepared {
        path: cstring("the program path", path.as_os_str())?,
        argv_ptrs: pointers(&argv),
        envp_ptrs: pointers(&envp),
        _argv: argv,
        _envp: envp,
    })
}

/// Finds `program` as a shell does: a name with `/` is a path; anything else is looked
/// up in `path_var` (an empty entry is the current directory).
pub(crate) fn resolve(program: &OsStr, path_var: Option<&OsStr>) -> Result<PathBuf, Error> {
    let shown = || program.to_string_lossy().into_owned();
    if program.as_bytes().contains(&b'/') {
        let p = PathBuf::from(program);
        return if p.exists() {
            Ok(p)
        } else {
            Err(Error::NotFound { program: shown() })
        };
    }
    let default = OsStr::new("/usr/local/bin:/usr/bin:/bin");
    let mut not_executable = None;
    for dir in std::env::split_paths(path_var.unwrap_or(default)) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(program);
        let Ok(meta) = candidate.metadata() else {
            continue;
        };
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            return Ok(candidate);
        }
        if meta.is_file() {
            not_executable = Some(candidate);
        }
    }
    match not_executable {
        Some(p) => Err(Error::CannotExecute {
            program: p.display().to_string(),
            errno: Errno::EACCES,
        }),
        None => Err(Error::NotFound { program: shown() }),
    }
}

/// Forks the first program, seizes it, and lets it exec.
pub(crate) fn start(
    program: &OsStr,
    args: &[OsString],
    env: Option<Vec<(OsString, OsString)>>,
    originals: &[(Signal, SigAction)],
) -> Result<Started, Error> {
    let prepared = prepare(program, args, env)?;
    let (gate_r, gate_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(Error::system("pipe2"))?;
    let (ready_r, ready_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(Error::system("pipe2"))?;
    let (err_r, err_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
            .map_err(Error::system("pipe2"))?;
    // The child's end must block: only the parent's read end is non-blocking.
    let _ = nix::fcntl::fcntl(
        &err_w,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::empty()),
    );
    // SAFETY: the child runs only `child_main`, which calls async-signal-safe functions
    // on memory prepared above and never returns.
    #[allow(unsafe_code)]
    let fork = unsafe { nix::unistd::fork() }.map_err(Error::system("fork"))?;
    let child = match fork {
        ForkResult::Child => child_main(
            &prepared,
            originals,
            [gate_r.as_raw_fd(), ready_w.as_raw_fd()],
            err_w.as_raw_fd(),
        ),
        ForkResult::Parent { child } => child,
    };
    drop(gate_r);
    drop(ready_w);
    drop(err_w);
    // The supervisor is not dumpable, and neither is its child until it has made
    // itself dumpable again: seizing it before that would fail without CAP_SYS_PTRACE.
    wait_ready(&ready_r);
    if let Err(errno) = nix::sys::ptrace::seize(child, trace_options()) {
        let why: Unavailable = probe::diagnose(errno, child.as_raw());
        probe::kill_and_reap(child);
        return Err(why.into());
    }
    // Release the child: it execs now, and its exec stop is the first event.
    if let Err(errno) = nix::unistd::write(&gate_w, b"g") {
        probe::kill_and_reap(child);
        return Err(Error::System {
            call: "write",
            errno,
        });
    }
    Ok(Started {
        pid: child.as_raw(),
        program: program.to_string_lossy().into_owned(),
        errors: err_r,
    })
}

/// The child between fork and exec: restore the dispositions and mask a plain spawn
/// would give (SIGPIPE default, nothing blocked, our handlers undone), wait for the
/// parent's go, exec, and report a failed exec's errno.
fn child_main(
    prepared: &Prepared,
    originals: &[(Signal, SigAction)],
    [gate, ready]: [RawFd; 2],
    errors: RawFd,
) -> ! {
    reset_for_exec(originals);
    // SAFETY: read, write and _exit are async-signal-safe; `go` and `errno` are live
    // locals.
    #[allow(unsafe_code)]
    unsafe {
        libc::write(ready, b"r".as_ptr().cast(), 1);
        let mut go = 0u8;
        loop {
            let n = libc::read(gate, (&mut go as *mut u8).cast(), 1);
            if n == 1 {
                break;
            }
            if n == 0 || Errno::last() != Errno::EINTR {
                libc::_exit(127);
            }
        }
        prepared.exec();
        let errno = Errno::last_raw().to_ne_bytes();
        libc::write(errors, errno.as_ptr().cast(), errno.len());
        libc::_exit(127)
    }
}

/// Waits for a child's "ready" byte (or its end, if it died first).
pub(crate) fn wait_ready(fd: &OwnedFd) {
    let mut byte = [0u8; 1];
    while let Err(Errno::EINTR) = nix::unistd::read(fd, &mut byte) {}
}

/// In a new child before it execs: the dispositions and mask a plain spawn would give
/// (the caller's original actions back, SIGPIPE default, nothing blocked), and a
/// setgid supervisor's group given up. Async-signal-safe.
pub(crate) fn reset_for_exec(originals: &[(Signal, SigAction)]) {
    // SAFETY: sigaction, signal, sigprocmask, setresgid and prctl are async-signal-
    // safe and take values or pointers to live locals.
    #[allow(unsafe_code)]
    unsafe {
        for (signal, action) in originals {
            let _ = nix::sys::signal::sigaction(*signal, action);
        }
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        // A setgid supervisor (a protected install) keeps its group; the tree never has
        // it. Giving it up makes the process undumpable, and a supervising process is
        // undumpable anyway (see `signals`), which would keep the parent from seizing
        // it: it is made dumpable again (it holds nothing secret yet, and only what the
        // user could read is left in it; execve sets it anew for the new image).
        let gid = libc::getgid();
        if libc::getegid() != gid && libc::setresgid(gid, gid, gid) != 0 {
            libc::_exit(127);
        }
        libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("data"), "").unwrap();
        let path = std::env::join_paths(["/nonexistent", dir.path().to_str().unwrap()]).unwrap();
        assert_eq!(resolve(OsStr::new("tool"), Some(&path)).unwrap(), exe);
        assert!(matches!(
            resolve(OsStr::new("data"), Some(&path)),
            Err(Error::CannotExecute { .. })
        ));
        assert!(matches!(
            resolve(OsStr::new("nope"), Some(&path)),
            Err(Error::NotFound { .. })
        ));
    }
}
