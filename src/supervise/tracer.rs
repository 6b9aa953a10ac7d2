//! The full-ptrace engine (the fallback where seccomp user notification is not to be
//! had, see `watch` for the fast one). The event loop: one blocking `waitpid(-1, __WALL | __WNOTHREAD)` per event, each
//! stop answered at once, so the tree runs as it would untraced.
//!
//! Invariants:
//! - every stop is answered exactly once: resumed (with the pending signal, for a
//!   signal-delivery stop), listened to (group-stop), ended, or left stopped on purpose
//!   (a held exec, or a new child whose creator's event has not arrived yet);
//! - only this thread's children and tracees are waited for (__WNOTHREAD), so other
//!   threads of the caller keep theirs;
//! - the loop ends when the last traced task is reaped, not when the first program
//!   exits: a daemon the tree left behind is still supervised (unless
//!   `Leftovers::Kill`, or a forwarded SIGTERM/SIGHUP, ends it).

use super::{Decider, Leftovers, Options, Verdict, end, procfs, spawn};
use crate::supervise::error::Error;
use crate::supervise::signals::{self, Installed};
use crate::supervise::sys::{
    self, EVENT_CLONE, EVENT_EXEC, EVENT_FORK, EVENT_STOP, EVENT_VFORK, Report,
};
use crate::supervise::tree::Tree;
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::ffi::{OsStr, OsString};
use std::time::{Duration, Instant};

const WAIT_FLAGS: i32 = libc::__WALL | libc::__WNOTHREAD;
/// After the supervisor is continued from Ctrl-Z, a job-control stop signal reported
/// this soon was sent before the SIGCONT and must not be re-delivered.
const STALE_STOP: Duration = Duration::from_millis(100);

/// A process held at its exec stop.
struct Held {
    pid: i32,
    next_poll: Instant,
}

struct Tracer<'a> {
    tree: Tree,
    main: i32,
    main_status: Option<i32>,
    main_execed: bool,
    main_stopped: bool,
    held: Vec<Held>,
    /// A child of ours that only sleeps until the next poll is due: its exit wakes the
    /// blocking waitpid.
    ticker: Option<i32>,
    resumed_at: Option<Instant>,
    /// A SIGTERM/SIGHUP forwarded to the first program: passed on to what it leaves.
    terminating: Option<Signal>,
    opts: &'a Options,
    decider: &'a mut dyn Decider,
    signals: &'a mut Installed,
}

/// See [`crate::supervise::supervise`]: the full-ptrace engine.
pub(crate) fn run(
    program: &OsStr,
    args: &[OsString],
    env: Option<Vec<(OsString, OsString)>>,
    opts: &Options,
    decider: &mut dyn Decider,
    signals: &mut Installed,
) -> Result<i32, Error> {
    let started = spawn::start(program, args, env, &signals.originals())?;
    signals.register(started.pid);
    let mut tracer = Tracer {
        tree: Tree::new(started.pid),
        main: started.pid,
        main_status: None,
        main_execed: false,
        main_stopped: false,
        held: Vec::new(),
        ticker: None,
        resumed_at: None,
        terminating: None,
        opts,
        decider,
        signals,
    };
    tracer.serve()?;
    let status = tracer.main_status.ok_or(Error::System {
        call: "waitpid",
        errno: Errno::ECHILD,
    })?;
    if !tracer.main_execed {
        if let Some(errno) = started.exec_error() {
            return Err(Error::CannotExecute {
                program: started.program,
                errno,
            });
        }
    }
    Ok(status)
}

impl Tracer<'_> {
    fn serve(&mut self) -> Result<(), Error> {
        while !(self.tree.is_empty() && self.ticker.is_none()) {
            match sys::wait(-1, WAIT_FLAGS) {
                Ok(Some(report)) => self.dispatch(report),
                Ok(None) | Err(Errno::EINTR) => {}
                Err(Errno::ECHILD) => break,
                Err(errno) => {
                    return Err(Error::System {
                        call: "waitpid",
                        errno,
                    });
                }
            }
            self.take_signals();
            if !self.held.is_empty() {
                self.poll_due();
            }
        }
        Ok(())
    }

    fn dispatch(&mut self, Report { tid, status }: Report) {
        if Some(tid) == self.ticker {
            if !libc::WIFSTOPPED(status) {
                self.ticker = None;
            }
        } else if libc::WIFSTOPPED(status) {
            self.on_stop(tid, libc::WSTOPSIG(status), status >> 16);
        } else if libc::WIFEXITED(status) {
            self.on_gone(tid, libc::WEXITSTATUS(status));
        } else if libc::WIFSIGNALED(status) {
            self.on_gone(tid, 128 + libc::WTERMSIG(status));
        }
    }

    fn on_gone(&mut self, tid: i32, status: i32) {
        self.tree.gone(tid);
        self.held.retain(|h| h.pid != tid);
        if tid == self.main {
            self.main_status = Some(status);
            self.signals.unregister();
            self.terminating = self.terminating.or(signals::take_forwarded());
            match (self.opts.leftovers, self.terminating) {
                (Leftovers::Kill, _) => self.signal_tree(Signal::SIGKILL),
                (Leftovers::Supervise, Some(sig)) => self.signal_tree(sig),
                (Leftovers::Supervise, None) => {}
            }
        }
        if self.held.is_empty() {
            self.stop_ticker();
        }
    }

    fn on_stop(&mut self, tid: i32, sig: i32, event: i32) {
        match event {
            0 => self.on_signal(tid, sig),
            EVENT_FORK | EVENT_VFORK | EVENT_CLONE => self.on_birth(tid, event),
            EVENT_EXEC => self.on_exec(tid),
            EVENT_STOP => self.on_event_stop(tid, sig),
            _ => {
                let _ = sys::cont(tid, 0);
            }
        }
    }

    /// A signal is about to be delivered: deliver it, unless it is a job-control stop
    /// sent before the SIGCONT that just woke the tree (see [`STALE_STOP`]).
    fn on_signal(&mut self, tid: i32, sig: i32) {
        let stale = sig != libc::SIGSTOP
            && signals::is_stop_signal(sig)
            && self.resumed_at.is_some_and(|t| t.elapsed() < STALE_STOP);
        let _ = sys::cont(tid, if stale { 0 } else { sig });
    }

    /// PTRACE_EVENT_STOP: a group-stop (listen, so SIGCONT wakes it as usual), a new
    /// task's first stop, or a wake-up after SIGCONT (resume).
    fn on_event_stop(&mut self, tid: i32, sig: i32) {
        if !self.tree.knows(tid) {
            self.tree.park(tid, sig);
            return;
        }
        if tid == self.main {
            self.main_stopped = signals::is_stop_signal(sig);
        }
        resume_from_event_stop(tid, sig);
    }

    fn on_birth(&mut self, tid: i32, event: i32) {
        if let Ok(msg) = nix::sys::ptrace::getevent(Pid::from_raw(tid)) {
            let child = i32::try_from(msg).unwrap_or(0);
            let creator = self.tree.task(tid).map_or(tid, |t| t.tgid);
            let thread = event == EVENT_CLONE && sys::in_thread_group(creator, child);
            if child > 0 {
                if let Some(first) = self.tree.born(tid, child, thread) {
                    resume_from_event_stop(child, first);
                }
            }
        }
        let _ = sys::cont(tid, 0);
    }

    fn on_exec(&mut self, pid: i32) {
        let former = nix::sys::ptrace::getevent(Pid::from_raw(pid))
            .ok()
            .and_then(|m| i32::try_from(m).ok())
            .unwrap_or(pid);
        if former != pid {
            self.held.retain(|h| h.pid != former);
        }
        let parent = self.tree.exec(pid, former);
        if pid == self.main {
            self.main_execed = true;
        }
        let former_tid = (former != pid).then_some(former);
        let Some(exec) = procfs::read_exec(pid, former_tid, Some(parent)) else {
            let _ = sys::cont(pid, 0);
            return;
        };
        let verdict = self.decider.on_exec(&exec);
        self.apply(pid, verdict);
    }

    fn apply(&mut self, pid: i32, verdict: Verdict) {
        match verdict {
            Verdict::Continue => {
                let _ = sys::cont(pid, 0);
            }
            Verdict::Hold => {
                self.held.push(Held {
                    pid,
                    next_poll: Instant::now() + self.opts.poll_interval,
                });
                self.start_ticker();
            }
            Verdict::End { message, status } => end::end(pid, &message, status, end::Then::Cont),
        }
    }

    /// Asks the decider about every held process whose poll is due.
    fn poll_due(&mut self) {
        let now = Instant::now();
        let due: Vec<i32> = self
            .held
            .iter()
            .filter(|h| h.next_poll <= now)
            .map(|h| h.pid)
            .collect();
        for pid in due {
            match self.decider.poll(pid) {
                None | Some(Verdict::Hold) => {
                    if let Some(h) = self.held.iter_mut().find(|h| h.pid == pid) {
                        h.next_poll = now + self.opts.poll_interval;
                    }
                }
                Some(verdict) => {
                    self.held.retain(|h| h.pid != pid);
                    self.apply(pid, verdict);
                }
            }
        }
        if self.held.is_empty() {
            self.stop_ticker();
        } else {
            self.start_ticker();
        }
    }

    /// Forks a ticker that sleeps until the earliest poll is due, unless one runs.
    fn start_ticker(&mut self) {
        if self.ticker.is_some() {
            return;
        }
        let Some(next) = self.held.iter().map(|h| h.next_poll).min() else {
            return;
        };
        let wait = next.saturating_duration_since(Instant::now());
        // Without a ticker the holds are polled at the tree's next event.
        self.ticker = sys::sleeper(wait.max(Duration::from_micros(100))).ok();
    }

    fn stop_ticker(&mut self) {
        if let Some(pid) = self.ticker {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }

    /// Sends `sig` to every process left in the tree.
    fn signal_tree(&self, sig: Signal) {
        for pid in self.tree.processes() {
            let _ = kill(Pid::from_raw(pid), sig);
        }
    }

    /// Acts on signals the handlers noted: passes on a SIGTERM/SIGHUP once the first
    /// program is gone, and takes a Ctrl-Z (see [`Tracer::stop_tree_then_self`]).
    ///
    /// Checked after every event, not only when waitpid returns EINTR: a signal that
    /// lands while an event is being handled does not interrupt the next waitpid. No
    /// signal is lost that way, because each one we act on also makes the tree report:
    /// a Ctrl-Z reaches the tree's foreground members too (their stops are events),
    /// and a SIGTERM is forwarded by the handler itself (the first program's exit is
    /// an event).
    fn take_signals(&mut self) {
        if let Some(sig) = signals::take_forwarded() {
            self.terminating = Some(sig);
            if self.main_status.is_some() {
                self.signal_tree(sig);
            }
        }
        if let Some(sig) = signals::take_stop() {
            self.stop_tree_then_self(sig);
        }
    }

    /// The supervisor got SIGTSTP/SIGTTIN/SIGTTOU (the terminal sends them to the whole
    /// foreground group): keep serving the tree so its members take their stops first,
    /// for up to `stop_grace` or until the first program has stopped and the tree is
    /// quiet, then stop ourselves with the same signal so the shell sees the job stop.
    fn stop_tree_then_self(&mut self, sig: Signal) {
        let deadline = Instant::now() + self.opts.stop_grace;
        let mut quiet_since = Instant::now();
        while Instant::now() < deadline {
            match sys::wait(-1, WAIT_FLAGS | libc::WNOHANG) {
                Ok(Some(report)) => {
                    self.dispatch(report);
                    quiet_since = Instant::now();
                }
                Ok(None) | Err(Errno::EINTR) => {
                    let settled = self.main_stopped || self.main_status.is_some();
                    if settled && quiet_since.elapsed() > Duration::from_millis(5) {
                        break;
                    }
                    std::thread::sleep(Duration::from_micros(500));
                }
                Err(_) => break,
            }
        }
        signals::stop_self(sig);
        self.resumed_at = Some(Instant::now());
    }
}

/// Resumes a task from a PTRACE_EVENT_STOP: listen if it is a group-stop, else go on.
fn resume_from_event_stop(tid: i32, sig: i32) {
    let _ = if signals::is_stop_signal(sig) {
        sys::listen(tid)
    } else {
        sys::cont(tid, 0)
    };
}
