//! Starts the fast engine's tree: the supervisor S forks a *reaper* W, W forks the first
//! program C, and C installs the seccomp filter, hands its listener to S (SCM_RIGHTS)
//! and execs. That first execve already waits on the listener, so C never runs
//! undecided.
//!
//! W is the tree's anchor:
//! - it is a child subreaper, so a process whose parent exits (a double-forked daemon)
//!   is re-parented to W and stays a descendant of S: S may seize it under Yama's
//!   `ptrace_scope=1`, and W reaps it;
//! - it reports C's pid and C's wait status to S on a pipe, and exits when it has no
//!   child left: the whole tree is gone (S reaps W and returns);
//! - if S dies (its parent-death signal, SIGUSR1) or S asks (SIGUSR1), it SIGKILLs
//!   every process of the tree: its children, again and again as orphans land on it,
//!   until none is left. Only SIGKILL ends W itself (it ignores the terminal's and
//!   kill's signals), and C gets SIGKILL if W dies.
//!
//! Invariant: W and C run only async-signal-safe code on memory prepared before the
//! fork (the caller may have threads): raw system calls, stack buffers, no allocation.

use crate::supervise::error::Error;
use crate::supervise::seccomp::Filter;
use crate::supervise::spawn::{self, Prepared};
use nix::errno::Errno;
use nix::sys::signal::{SigAction, Signal};
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// A report from W: C's pid, then C's raw wait status.
pub(crate) const MAIN_PID: i32 = 1;
pub(crate) const MAIN_STATUS: i32 = 2;

/// A started tree.
pub(crate) struct Launched {
    pub reaper: i32,
    pub main: i32,
    pub listener: OwnedFd,
    /// W's reports (non-blocking read end).
    pub reports: OwnedFd,
    /// Where a failed first execve leaves its errno (non-blocking read end).
    pub errors: OwnedFd,
}

pub(crate) enum Launch {
    Started(Launched),
    /// The first program could not install the filter (an old kernel, a seccomp policy
    /// that forbids it, or a listener already in this process's filters): nothing ran,
    /// and the reaper has been reaped.
    NoListener,
}

fn pipe() -> Result<(OwnedFd, OwnedFd), Error> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(Error::system("pipe2"))
}

fn nonblocking(fd: &OwnedFd) {
    let _ = nix::fcntl::fcntl(
        fd,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    );
}

/// Forks W (which forks C) and waits for C's listener.
pub(crate) fn launch(
    program: &OsStr,
    args: &[OsString],
    env: Option<Vec<(OsString, OsString)>>,
    originals: &[(Signal, SigAction)],
) -> Result<Launch, Error> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
    let prepared = spawn::prepare(program, args, env)?;
    let filter = Filter::new();
    let (sock_s, sock_c) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(Error::system("socketpair"))?;
    let (reports_r, reports_w) = pipe()?;
    let (errors_r, errors_w) = pipe()?;
    let s_pid = nix::unistd::getpid().as_raw();
    let child = Child {
        prepared: &prepared,
        originals,
        filter: &filter,
        sock: sock_c.as_raw_fd(),
        reports: reports_w.as_raw_fd(),
        errors: errors_w.as_raw_fd(),
    };
    // SAFETY: the child runs only `reaper_main`, which calls async-signal-safe
    // functions on memory prepared above and never returns.
    #[allow(unsafe_code)]
    let fork = unsafe { nix::unistd::fork() }.map_err(Error::system("fork"))?;
    let reaper = match fork {
        nix::unistd::ForkResult::Child => reaper_main(&child, s_pid),
        nix::unistd::ForkResult::Parent { child } => child.as_raw(),
    };
    drop((sock_c, reports_w, errors_w));
    let received = receive_listener(&sock_s);
    let listener = match received {
        Ok(Ok(fd)) => fd,
        Ok(Err(_)) => {
            reap(reaper);
            return Ok(Launch::NoListener);
        }
        Err(errno) => {
            reap(reaper);
            return Err(Error::System {
                call: "recvmsg (the first program's listener)",
                errno,
            });
        }
    };
    let main = match read_report(&reports_r) {
        Some((MAIN_PID, pid)) => pid,
        _ => {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(reaper), Signal::SIGUSR1);
            reap(reaper);
            return Err(Error::System {
                call: "read (the first program's pid)",
                errno: Errno::EPIPE,
            });
        }
    };
    nonblocking(&reports_r);
    nonblocking(&errors_r);
    Ok(Launch::Started(Launched {
        reaper,
        main,
        listener,
        reports: reports_r,
        errors: errors_r,
    }))
}

/// Waits for W to be gone (after it reaped what it had).
pub(crate) fn reap(reaper: i32) {
    loop {
        match crate::supervise::sys::wait(reaper, libc::__WALL) {
            Err(Errno::EINTR) => continue,
            Ok(Some(r)) if libc::WIFSTOPPED(r.status) => continue,
            _ => break,
        }
    }
}

/// One 8-byte report from W, blocking (the read end is blocking until launch ends).
pub(crate) fn read_report(fd: &OwnedFd) -> Option<(i32, i32)> {
    let mut buf = [0u8; 8];
    let mut got = 0;
    while got < buf.len() {
        match nix::unistd::read(fd, &mut buf[got..]) {
            Ok(0) => return None,
            Ok(n) => got += n,
            Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
    let word = |b: &[u8]| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
    Some((word(&buf[..4]), word(&buf[4..])))
}

/// C's message: 0 and the listener fd, or the errno of a failed install.
fn receive_listener(sock: &OwnedFd) -> Result<Result<OwnedFd, Errno>, Errno> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    let mut buf = [0u8; 4];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    loop {
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        let msg = match recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(Errno::EINTR) => continue,
            other => other?,
        };
        if msg.bytes == 0 {
            return Err(Errno::EPIPE);
        }
        let mut fd = None;
        for cmsg in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(fds) = cmsg {
                for raw in fds {
                    // SAFETY: the kernel just installed `raw` in this process for us.
                    #[allow(unsafe_code)]
                    let owned = unsafe { OwnedFd::from_raw_fd(raw) };
                    fd = fd.or(Some(owned));
                }
            }
        }
        let errno = i32::from_ne_bytes(buf);
        return Ok(match (errno, fd) {
            (0, Some(fd)) => Ok(fd),
            (0, None) => Err(Errno::EIO),
            (e, _) => Err(Errno::from_raw(e)),
        });
    }
}

/// What W and C need, prepared before the fork.
struct Child<'a> {
    prepared: &'a Prepared,
    originals: &'a [(Signal, SigAction)],
    filter: &'a Filter,
    sock: RawFd,
    reports: RawFd,
    errors: RawFd,
}

/// Set in W when S was gone before W could ask to hear of its death.
static KILL_TREE: AtomicBool = AtomicBool::new(false);

/// W's SIGUSR1 (S died, or asks): kill the tree, right in the handler (everything
/// `kill_tree` calls is async-signal-safe), so no request can slip in between a check
/// and a blocking waitpid.
extern "C" fn kill_tree_requested(_: libc::c_int) {
    kill_tree(nix::unistd::getpid().as_raw());
}

/// W: see the module doc. Never returns.
fn reaper_main(child: &Child<'_>, s_pid: i32) -> ! {
    // SAFETY: prctl, fork, sigaction, getpid/getppid, waitpid, write, close and _exit
    // are async-signal-safe and take values or pointers to live locals.
    #[allow(unsafe_code)]
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        let me = libc::getpid();
        let main = libc::fork();
        if main == 0 {
            first_program(child, me);
        }
        if main < 0 {
            libc::_exit(127);
        }
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = kill_tree_requested as *const () as usize;
        libc::sigaction(libc::SIGUSR1, &act, std::ptr::null_mut());
        for sig in [
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
            libc::SIGPIPE,
            libc::SIGUSR2,
        ] {
            libc::signal(sig, libc::SIG_IGN);
        }
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGUSR1, 0, 0, 0);
        if libc::getppid() != s_pid {
            KILL_TREE.store(true, Ordering::SeqCst);
        }
        libc::close(child.sock);
        libc::close(child.errors);
        report(child.reports, MAIN_PID, main);
        close_all_but(child.reports);
        loop {
            if KILL_TREE.load(Ordering::SeqCst) {
                kill_tree(me);
            }
            let mut status = 0;
            let pid = libc::waitpid(-1, &mut status, libc::__WALL);
            if pid == main {
                report(child.reports, MAIN_STATUS, status);
            } else if pid < 0 && Errno::last() == Errno::ECHILD {
                libc::_exit(0);
            }
        }
    }
}

/// W's last act: SIGKILL its children, reap them, and again (their orphans land on
/// W), until it has none.
fn kill_tree(me: i32) -> ! {
    loop {
        for_each_child(me, |pid| {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        });
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes one int into a live local.
            #[allow(unsafe_code)]
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL | libc::WNOHANG) };
            if pid > 0 {
                continue;
            }
            if pid < 0 && Errno::last() == Errno::ECHILD {
                // SAFETY: _exit never returns and is async-signal-safe.
                #[allow(unsafe_code)]
                unsafe {
                    libc::_exit(0)
                }
            }
            if pid == 0 || Errno::last() != Errno::EINTR {
                break;
            }
        }
        let nap = libc::timespec {
            tv_sec: 0,
            tv_nsec: 2_000_000,
        };
        // SAFETY: nanosleep reads a live local; a null remainder is allowed.
        #[allow(unsafe_code)]
        unsafe {
            libc::nanosleep(&nap, std::ptr::null_mut());
        }
    }
}

fn report(fd: RawFd, kind: i32, value: i32) {
    let mut buf = [0u8; 8];
    buf[..4].copy_from_slice(&kind.to_ne_bytes());
    buf[4..].copy_from_slice(&value.to_ne_bytes());
    // SAFETY: write reads 8 bytes of a live local.
    #[allow(unsafe_code)]
    unsafe {
        libc::write(fd, buf.as_ptr().cast(), buf.len());
    }
}

/// Closes every descriptor of W above 2 but `keep` (W holds nothing of the caller's).
fn close_all_but(keep: RawFd) {
    let keep = u32::try_from(keep).unwrap_or(3);
    // SAFETY: close_range takes integers; failing (before Linux 5.9) leaves them open.
    #[allow(unsafe_code)]
    unsafe {
        if keep > 3 {
            libc::syscall(libc::SYS_close_range, 3u32, keep - 1, 0u32);
        }
        libc::syscall(libc::SYS_close_range, keep + 1, u32::MAX, 0u32);
    }
}

/// Calls `f` with every process whose parent is `parent`, from a scan of /proc that
/// allocates nothing.
pub(crate) fn for_each_child(parent: i32, mut f: impl FnMut(i32)) {
    // SAFETY: open/getdents64/close on a live path and buffer; the kernel writes at
    // most `buf.len()` bytes.
    #[allow(unsafe_code)]
    let dir = unsafe {
        libc::open(
            c"/proc".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if dir < 0 {
        return;
    }
    let mut buf = [0u64; 1024];
    loop {
        // SAFETY: see above.
        #[allow(unsafe_code)]
        let n =
            unsafe { libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), 8 * buf.len()) };
        let Ok(n) = usize::try_from(n) else { break };
        if n == 0 {
            break;
        }
        // SAFETY: viewing the u64 buffer as the bytes the kernel wrote.
        #[allow(unsafe_code)]
        let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) };
        let mut off = 0;
        while off + 19 < n {
            let reclen = usize::from(u16::from_ne_bytes([bytes[off + 16], bytes[off + 17]]));
            if reclen == 0 {
                break;
            }
            let name = &bytes[off + 19..(off + reclen).min(n)];
            let name = &name[..name.iter().position(|b| *b == 0).unwrap_or(name.len())];
            if let Some(pid) = number(name) {
                if parent_of(pid) == Some(parent) {
                    f(pid);
                }
            }
            off += reclen;
        }
    }
    // SAFETY: closing the fd opened above.
    #[allow(unsafe_code)]
    unsafe {
        libc::close(dir);
    }
}

fn number(digits: &[u8]) -> Option<i32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let mut n = 0i32;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i32::from(d - b'0');
    }
    Some(n)
}

/// The ppid field of /proc/PID/stat, read into a stack buffer.
fn parent_of(pid: i32) -> Option<i32> {
    let mut path = [0u8; 32];
    path[..6].copy_from_slice(b"/proc/");
    let mut len = 6;
    let mut digits = [0u8; 10];
    let mut d = 0;
    let mut v = pid;
    loop {
        digits[d] = b'0' + u8::try_from(v % 10).unwrap_or(0);
        d += 1;
        v /= 10;
        if v == 0 || d == digits.len() {
            break;
        }
    }
    for i in (0..d).rev() {
        path[len] = digits[i];
        len += 1;
    }
    path[len..len + 6].copy_from_slice(b"/stat\0");
    let mut buf = [0u8; 512];
    // SAFETY: a NUL-terminated path on the stack; read writes into `buf`.
    #[allow(unsafe_code)]
    let n = unsafe {
        let fd = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return None;
        }
        let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
        libc::close(fd);
        n
    };
    let stat = &buf[..usize::try_from(n).ok()?];
    // "pid (comm) S ppid ...": comm may hold anything, so parse after the last ')'.
    let after = &stat[stat.iter().rposition(|b| *b == b')')? + 1..];
    let mut fields = after.split(|b| *b == b' ').filter(|f| !f.is_empty());
    fields.next()?;
    number(fields.next()?)
}

/// C, the first program: the plain-spawn reset (which makes it dumpable, so S can
/// seize it at its execve), SIGKILL if W dies, the filter, the listener to S, and
/// execve. Never returns.
fn first_program(child: &Child<'_>, reaper: i32) -> ! {
    spawn::reset_for_exec(child.originals);
    // SAFETY: prctl, getppid, close, write and _exit are async-signal-safe.
    #[allow(unsafe_code)]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        if libc::getppid() != reaper {
            libc::_exit(127);
        }
        libc::close(child.reports);
    }
    match child.filter.install() {
        Ok(listener) => {
            send(child.sock, 0, Some(listener));
            // SAFETY: our copy of the listener must be gone before execve, or a dead
            // supervisor would leave this execve waiting on it forever.
            #[allow(unsafe_code)]
            unsafe {
                libc::close(listener);
                libc::close(child.sock);
            }
        }
        Err(errno) => {
            send(child.sock, errno, None);
            // SAFETY: _exit is async-signal-safe.
            #[allow(unsafe_code)]
            unsafe {
                libc::_exit(127)
            }
        }
    }
    child.prepared.exec();
    let errno = Errno::last_raw().to_ne_bytes();
    // SAFETY: write reads a live local; _exit never returns.
    #[allow(unsafe_code)]
    unsafe {
        libc::write(child.errors, errno.as_ptr().cast(), errno.len());
        libc::_exit(127)
    }
}

/// sendmsg of `errno` with `fd` as SCM_RIGHTS, built on the stack.
fn send(sock: RawFd, errno: i32, fd: Option<RawFd>) {
    let mut payload = errno.to_ne_bytes();
    let mut control = [0u64; 4];
    // SAFETY: msghdr, iovec and the control buffer are live locals sized for one fd;
    // the CMSG_* helpers only compute offsets into that buffer.
    #[allow(unsafe_code)]
    unsafe {
        let mut iov = libc::iovec {
            iov_base: payload.as_mut_ptr().cast(),
            iov_len: payload.len(),
        };
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if let Some(fd) = fd {
            let space = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = space.min(8 * control.len());
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            if !cmsg.is_null() {
                (*cmsg).cmsg_level = libc::SOL_SOCKET;
                (*cmsg).cmsg_type = libc::SCM_RIGHTS;
                (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as usize;
                std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
            }
        }
        libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_its_own_children_in_proc() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        let mut found = Vec::new();
        for_each_child(me, |pid| found.push(pid));
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&(child.id() as i32)), "{found:?}");
        assert_eq!(parent_of(me), Some(nix::unistd::getppid().as_raw()));
        assert_eq!(number(b"123"), Some(123));
        assert_eq!(number(b"self"), None);
    }
}
