//! The supervisor's own signal dispositions while a tree runs, restored afterwards.
//!
//! - SIGINT, SIGQUIT: caught by a handler that does nothing, so the supervisor outlives
//!   the Ctrl-C the terminal sends to the whole foreground group (the tree gets its
//!   own copy). Caught, not ignored, so an exec resets them to the default.
//! - SIGTERM, SIGHUP: forwarded to the first program of every running supervision.
//! - SIGTSTP, SIGTTIN, SIGTTOU: noted; the tracer lets the tree stop first and then
//!   stops itself with the same signal, so a shell sees the job stop.
//! - SIGCHLD: caught (with SA_RESTART), so that a child's or a tracee's report wakes
//!   the fast engine's poll(2) through its [`Wake`] eventfd; never left ignored, or
//!   waitpid would lose our children.
//!
//! Every handler also writes to every [`Wake`] eventfd in use, so a supervision
//! blocked in poll(2) on any thread sees the signal.
//!
//! A signal already ignored when supervision starts stays ignored (`nohup` keeps
//! working). The process is also made non-dumpable while it supervises (see
//! [`set_dumpable`]). The dispositions are installed by the first of several concurrent
//! supervisions in a process and restored by the last. Invariant: the handlers only
//! touch atomics and call kill(2) and write(2), all async-signal-safe, and keep errno;
//! apart from SIGCHLD none restarts syscalls, so the full-ptrace engine's blocking
//! waitpid returns EINTR and it looks at [`take_stop`] and [`take_forwarded`].

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, kill, sigaction};
use nix::unistd::Pid;
use std::ffi::c_int;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

const SLOTS: usize = 16;
/// First programs to forward SIGTERM and SIGHUP to (0 = free slot).
static MAIN: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];
/// A stop signal the supervisor received, 0 if none.
static STOP: AtomicI32 = AtomicI32::new(0);
/// The last signal forwarded, for the tracer to pass on once the first program is gone.
static FORWARDED: AtomicI32 = AtomicI32::new(0);
/// Eventfds that wake a supervision's poll (-1: not made yet). Made once per slot and
/// never closed, so a handler can never write to a descriptor that was reused.
static WAKE: [AtomicI32; SLOTS] = [const { AtomicI32::new(-1) }; SLOTS];
static WAKE_USED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
/// How many supervisions run, the dispositions in force before the first, and whether
/// the process was dumpable then.
static INSTALLED: Mutex<Shared> = Mutex::new((0, Vec::new(), -1));

/// (supervisions running, dispositions before the first, dumpable before the first).
type Shared = (usize, Vec<(Signal, SigAction)>, i32);

const OUTLIVE: [Signal; 2] = [Signal::SIGINT, Signal::SIGQUIT];
const FORWARD: [Signal; 2] = [Signal::SIGTERM, Signal::SIGHUP];
const JOB_STOP: [Signal; 3] = [Signal::SIGTSTP, Signal::SIGTTIN, Signal::SIGTTOU];

/// Runs `f` with errno saved and restored, then wakes every supervision.
/// Whether a signal stops a process (and so, in the tree, is a group stop the tracer
/// lets happen rather than a signal it delivers).
pub(crate) fn is_stop_signal(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
    )
}

fn in_handler(f: impl FnOnce()) {
    let errno = nix::errno::Errno::last_raw();
    f();
    for slot in &WAKE {
        let fd = slot.load(Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: `fd` is an eventfd that is never closed; `one` is a live local.
            #[allow(unsafe_code)]
            unsafe {
                let one = 1u64;
                libc::write(fd, (&one as *const u64).cast(), 8);
            }
        }
    }
    nix::errno::Errno::set_raw(errno);
}

extern "C" fn outlive(_sig: c_int) {
    in_handler(|| {});
}

extern "C" fn forward(sig: c_int) {
    in_handler(|| {
        FORWARDED.store(sig, Ordering::SeqCst);
        if let Ok(signal) = Signal::try_from(sig) {
            for slot in &MAIN {
                let pid = slot.load(Ordering::SeqCst);
                if pid > 0 {
                    let _ = kill(Pid::from_raw(pid), signal);
                }
            }
        }
    });
}

extern "C" fn note_stop(sig: c_int) {
    in_handler(|| STOP.store(sig, Ordering::SeqCst));
}

extern "C" fn child(_sig: c_int) {
    in_handler(|| {});
}

fn set(signal: Signal, handler: SigHandler) -> Option<SigAction> {
    let flags = if signal == Signal::SIGCHLD {
        SaFlags::SA_RESTART
    } else {
        SaFlags::empty()
    };
    let action = SigAction::new(handler, flags, SigSet::empty());
    // SAFETY: the handlers above touch only atomics and call kill(2) and write(2),
    // which are async-signal-safe, and keep errno; SIG_DFL needs nothing.
    #[allow(unsafe_code)]
    unsafe {
        sigaction(signal, &action).ok()
    }
}

/// One supervision's hold on the dispositions: the last one dropped puts back what was
/// in force before the first.
pub(crate) struct Installed {
    saved: Vec<(Signal, SigAction)>,
    slot: Option<usize>,
}

/// Installs the supervisor's dispositions (see the module doc), unless another
/// supervision of this process already has.
pub(crate) fn install() -> Installed {
    let mut state = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if state.0 == 0 {
        state.1 = install_handlers();
        state.2 = set_dumpable(0);
    }
    state.0 += 1;
    Installed {
        saved: state.1.clone(),
        slot: None,
    }
}

fn install_handlers() -> Vec<(Signal, SigAction)> {
    let mut saved = Vec::new();
    let groups: [(&[Signal], extern "C" fn(c_int)); 3] = [
        (&OUTLIVE, outlive),
        (&FORWARD, forward),
        (&JOB_STOP, note_stop),
    ];
    for (signals, handler) in groups {
        for &signal in signals {
            if let Some(old) = set(signal, SigHandler::Handler(handler)) {
                if matches!(old.handler(), SigHandler::SigIgn) {
                    set(signal, SigHandler::SigIgn);
                }
                saved.push((signal, old));
            }
        }
    }
    if let Some(old) = set(Signal::SIGCHLD, SigHandler::Handler(child)) {
        saved.push((Signal::SIGCHLD, old));
    }
    saved
}

impl Installed {
    /// The dispositions to restore in a new child before it execs, so it starts with
    /// what this process had.
    pub(crate) fn originals(&self) -> Vec<(Signal, SigAction)> {
        self.saved.clone()
    }

    /// Forward SIGTERM and SIGHUP to `pid` from now on.
    pub(crate) fn register(&mut self, pid: i32) {
        for (i, slot) in MAIN.iter().enumerate() {
            if slot
                .compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                self.slot = Some(i);
                return;
            }
        }
    }

    /// Stop forwarding (the first program has exited).
    pub(crate) fn unregister(&mut self) {
        if let Some(i) = self.slot.take() {
            MAIN[i].store(0, Ordering::SeqCst);
        }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        self.unregister();
        let mut state = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = state.0.saturating_sub(1);
        if state.0 > 0 {
            return;
        }
        for (signal, action) in state.1.drain(..).rev() {
            // SAFETY: putting back the action that was in force before we started.
            #[allow(unsafe_code)]
            unsafe {
                let _ = sigaction(signal, &action);
            }
        }
        if state.2 >= 0 {
            set_dumpable(state.2);
        }
    }
}

/// Sets whether this process is dumpable; returns what it was (-1 if unknown). While
/// supervising it is not, so no process of the tree may read or write its memory or
/// take its descriptors (the seccomp listener, with pidfd_getfd) without
/// CAP_SYS_PTRACE. Children make themselves dumpable again before they exec (see
/// `spawn::reset_for_exec`), so that the supervisor may seize them.
fn set_dumpable(value: i32) -> i32 {
    // SAFETY: prctl with integer arguments only.
    #[allow(unsafe_code)]
    unsafe {
        let was = libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0);
        libc::prctl(libc::PR_SET_DUMPABLE, value, 0, 0, 0);
        was
    }
}

/// An eventfd that every handled signal (SIGCHLD included) makes readable: what the
/// fast engine polls besides its listener. `None` when all slots are taken (then the
/// engine polls on a short timeout).
pub(crate) struct Wake {
    slot: usize,
    fd: RawFd,
}

impl Wake {
    pub(crate) fn acquire() -> Option<Wake> {
        for (slot, used) in WAKE_USED.iter().enumerate() {
            if used
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
            {
                continue;
            }
            let mut fd = WAKE[slot].load(Ordering::SeqCst);
            if fd < 0 {
                let flags = libc::EFD_CLOEXEC | libc::EFD_NONBLOCK;
                // SAFETY: eventfd takes integers; the new fd is kept for the process's
                // lifetime in WAKE (never closed, see there).
                #[allow(unsafe_code)]
                let made = unsafe { libc::eventfd(0, flags) };
                if made < 0 {
                    used.store(false, Ordering::SeqCst);
                    return None;
                }
                WAKE[slot].store(made, Ordering::SeqCst);
                fd = made;
            }
            let wake = Wake { slot, fd };
            wake.drain();
            return Some(wake);
        }
        None
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the eventfd is never closed (see WAKE).
        #[allow(unsafe_code)]
        unsafe {
            BorrowedFd::borrow_raw(self.fd)
        }
    }

    /// Clears the counter.
    pub(crate) fn drain(&self) {
        let mut buf = [0u8; 8];
        let _ = nix::unistd::read(self.fd(), &mut buf);
    }
}

impl Drop for Wake {
    fn drop(&mut self) {
        WAKE_USED[self.slot].store(false, Ordering::SeqCst);
    }
}

/// A stop signal received since the last call, if any.
pub(crate) fn take_stop() -> Option<Signal> {
    Signal::try_from(STOP.swap(0, Ordering::SeqCst)).ok()
}

/// A SIGTERM or SIGHUP received since the last call, if any.
pub(crate) fn take_forwarded() -> Option<Signal> {
    Signal::try_from(FORWARDED.swap(0, Ordering::SeqCst)).ok()
}

/// Stops this process with `signal` as if it had its default action, and returns once
/// it is continued.
pub(crate) fn stop_self(signal: Signal) {
    let old = set(signal, SigHandler::SigDfl);
    let _ = nix::sys::signal::raise(signal);
    // The stop is taken on the way out of raise(3); this line runs after SIGCONT.
    if let Some(old) = old {
        // SAFETY: reinstalling the handler that was in force a moment ago.
        #[allow(unsafe_code)]
        unsafe {
            let _ = sigaction(signal, &old);
        }
    }
}

/// SIGCHLD unblocked on this thread while it supervises (a caller may have blocked it,
/// which would keep the fast engine from hearing of its tracees), and the mask put back
/// when dropped.
pub(crate) struct Unblocked(Option<nix::sys::signal::SigSet>);

impl Unblocked {
    pub(crate) fn new() -> Unblocked {
        use nix::sys::signal::{SigmaskHow, pthread_sigmask};
        let mut handled = SigSet::empty();
        handled.add(Signal::SIGCHLD);
        let mut old = SigSet::empty();
        let ok = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&handled), Some(&mut old));
        Unblocked(ok.ok().map(|()| old))
    }
}

impl Drop for Unblocked {
    fn drop(&mut self) {
        if let Some(old) = self.0 {
            let _ = nix::sys::signal::pthread_sigmask(
                nix::sys::signal::SigmaskHow::SIG_SETMASK,
                Some(&old),
                None,
            );
        }
    }
}
