//! The supervisor's own signal dispositions while a tree runs, restored afterwards.
//!
//! - SIGINT, SIGQUIT: caught by a handler that does nothing, so the supervisor outlives
//!   the Ctrl-C the terminal sends to the whole foreground group (the tree gets its
//!   own copy). Caught, not ignored, so an exec resets them to the default.
//! - SIGTERM, SIGHUP: forwarded to the first program of every running supervision.
//! - SIGTSTP, SIGTTIN, SIGTTOU: noted; the tracer lets the tree stop first and then
//!   stops itself with the same signal, so a shell sees the job stop.
//! - SIGCHLD: set to the default if ignored, or waitpid would lose our children.
//!
//! A signal already ignored when supervision starts stays ignored (`nohup` keeps
//! working). Invariant: the handlers only touch atomics and call kill(2), all
//! async-signal-safe; none restarts syscalls, so the tracer's blocking waitpid returns
//! EINTR and it looks at [`take_stop`] and [`take_forwarded`].

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, kill, sigaction};
use nix::unistd::Pid;
use std::ffi::c_int;
use std::sync::atomic::{AtomicI32, Ordering};

const SLOTS: usize = 16;
/// First programs to forward SIGTERM and SIGHUP to (0 = free slot).
static MAIN: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];
/// A stop signal the supervisor received, 0 if none.
static STOP: AtomicI32 = AtomicI32::new(0);
/// The last signal forwarded, for the tracer to pass on once the first program is gone.
static FORWARDED: AtomicI32 = AtomicI32::new(0);

const OUTLIVE: [Signal; 2] = [Signal::SIGINT, Signal::SIGQUIT];
const FORWARD: [Signal; 2] = [Signal::SIGTERM, Signal::SIGHUP];
const JOB_STOP: [Signal; 3] = [Signal::SIGTSTP, Signal::SIGTTIN, Signal::SIGTTOU];

extern "C" fn outlive(_sig: c_int) {}

extern "C" fn forward(sig: c_int) {
    FORWARDED.store(sig, Ordering::SeqCst);
    if let Ok(signal) = Signal::try_from(sig) {
        for slot in &MAIN {
            let pid = slot.load(Ordering::SeqCst);
            if pid > 0 {
                let _ = kill(Pid::from_raw(pid), signal);
            }
        }
    }
}

extern "C" fn note_stop(sig: c_int) {
    STOP.store(sig, Ordering::SeqCst);
}

fn set(signal: Signal, handler: SigHandler) -> Option<SigAction> {
    let action = SigAction::new(handler, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handlers above touch only atomics and call kill(2), which is
    // async-signal-safe; SIG_DFL needs nothing.
    #[allow(unsafe_code)]
    unsafe {
        sigaction(signal, &action).ok()
    }
}

/// The dispositions in force before supervision, put back when dropped.
pub(crate) struct Installed {
    saved: Vec<(Signal, SigAction)>,
    slot: Option<usize>,
}

/// Installs the supervisor's dispositions (see the module doc).
pub(crate) fn install() -> Installed {
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
    if let Some(old) = set(Signal::SIGCHLD, SigHandler::SigDfl) {
        saved.push((Signal::SIGCHLD, old));
    }
    Installed { saved, slot: None }
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
        for (signal, action) in self.saved.drain(..).rev() {
            // SAFETY: putting back the action that was in force before we started.
            #[allow(unsafe_code)]
            unsafe {
                let _ = sigaction(signal, &action);
            }
        }
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
