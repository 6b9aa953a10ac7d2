//! The fast engine's loop. The tree runs untraced; the seccomp filter stops each
//! execve and the listener tells us. For each one:
//! 1. `PTRACE_SEIZE` the calling thread with `TRACEEXEC | EXITKILL` only (no fork,
//!    clone or exit tracing), check that the notification is still the same one
//!    (`NOTIF_ID_VALID`, so the tid was not reused), and answer `CONTINUE`;
//! 2. at its `PTRACE_EVENT_EXEC` stop (the new image loaded, not one instruction run)
//!    read it and ask the decider, exactly as the full-ptrace engine does;
//! 3. Continue: `PTRACE_DETACH`, and it runs untraced until its next execve. Hold: it
//!    stays at its exec stop. End: message, injected exit_group, detach.
//!
//! Invariants:
//! - no execve is let through unseen: a thread that cannot be seized (another tracer
//!   holds it) gets EPERM from its execve, never CONTINUE;
//! - a seized thread whose execve then fails (ENOENT…) never reaches an exec stop: after
//!   [`EXEC_GRACE`] it is interrupted and detached at that stop, so nothing stays traced;
//! - a process running the supervisor's own executable stays traced (if
//!   `Options::trace_own_executable`), so that it can tell it is supervised: its stops
//!   are passed through as by an untraced parent;
//! - the loop ends when the reaper (see `launch`) has exited, i.e. when the tree has no
//!   process left; if this thread returns early the reaper kills the tree.

use super::{Decider, Leftovers, Options, Verdict, end, procfs};
use crate::supervise::error::Error;
use crate::supervise::launch::{self, Launch, Launched};
use crate::supervise::seccomp::{self, Notice};
use crate::supervise::signals::{self, Installed, Wake};
use crate::supervise::sys::{self, EVENT_EXEC, EVENT_STOP, Report};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const WAIT_FLAGS: i32 = libc::__WALL | libc::__WNOTHREAD | libc::WNOHANG;
/// How long a seized thread may take from CONTINUE to its exec stop before it is taken
/// for a failed execve (interrupted and detached). Interrupting a slow exec that
/// succeeds anyway is harmless: its exec stop comes first.
const EXEC_GRACE: Duration = Duration::from_millis(50);
/// See the full-ptrace engine's STALE_STOP.
const STALE_STOP: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Let through its execve; its exec stop is due by `deadline`. `kept` if it runs
    /// the supervisor's own executable (and stays traced if the execve fails).
    Execing { deadline: Instant, kept: bool },
    /// Seized but not ours to keep (a failed execve, a reused tid): detach at its next
    /// stop, which an interrupt brings about.
    Stray,
    /// Stopped at its exec while the decider waits.
    Held,
    /// Runs the supervisor's own executable, traced (see the module doc).
    Kept,
}

struct Held {
    pid: i32,
    next_poll: Instant,
    own: bool,
}

struct Watch<'a> {
    tree: Launched,
    tasks: HashMap<i32, State>,
    held: Vec<Held>,
    main_status: Option<i32>,
    main_execed: bool,
    reaper_gone: bool,
    listening: bool,
    reporting: bool,
    own_exe: Option<PathBuf>,
    resumed_at: Option<Instant>,
    terminating: Option<Signal>,
    opts: &'a Options,
    decider: &'a mut dyn Decider,
    signals: &'a mut Installed,
    wake: Option<Wake>,
}

/// Runs the tree under the fast engine. `Ok(None)`: the seccomp listener cannot be had
/// here (nothing ran); the caller falls back to the full-ptrace engine.
pub(crate) fn run(
    program: &OsStr,
    args: &[OsString],
    env: Option<Vec<(OsString, OsString)>>,
    opts: &Options,
    decider: &mut dyn Decider,
    signals: &mut Installed,
) -> Result<Option<i32>, Error> {
    let own_exe = std::fs::read_link("/proc/self/exe").ok();
    let tree = match launch::launch(program, args, env, &signals.originals())? {
        Launch::Started(tree) => tree,
        Launch::NoListener => return Ok(None),
    };
    seccomp::sync_wake(&tree.listener);
    signals.register(tree.main);
    let _unblocked = signals::Unblocked::new();
    let mut w = Watch {
        tree,
        tasks: HashMap::new(),
        held: Vec::new(),
        main_status: None,
        main_execed: false,
        reaper_gone: false,
        listening: true,
        reporting: true,
        own_exe: own_exe.filter(|_| opts.trace_own_executable),
        resumed_at: None,
        terminating: None,
        opts,
        decider,
        signals,
        wake: Wake::acquire(),
    };
    let served = w.serve();
    w.finish();
    served?;
    let status = w.main_status.ok_or(Error::System {
        call: "waitpid",
        errno: Errno::ECHILD,
    })?;
    if !w.main_execed {
        let mut buf = [0u8; 4];
        if let Ok(4) = nix::unistd::read(&w.tree.errors, &mut buf) {
            return Err(Error::CannotExecute {
                program: program.to_string_lossy().into_owned(),
                errno: Errno::from_raw(i32::from_ne_bytes(buf)),
            });
        }
    }
    Ok(Some(status))
}

fn wait_status(status: i32) -> i32 {
    if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}

impl Watch<'_> {
    fn serve(&mut self) -> Result<(), Error> {
        while !self.reaper_gone {
            self.wait_for_something()?;
            self.check_deadlines();
            if !self.held.is_empty() {
                self.poll_due();
            }
        }
        // The reaper is gone: all it wrote (the first program's status) is in the pipe,
        // even if its exit was seen before the pipe polled readable.
        self.take_reports()
    }

    /// Blocks in poll(2) until the listener, a report from the reaper, a signal (the
    /// wake eventfd: SIGCHLD for every tracee stop and our children's exits) or the
    /// next deadline; then takes one notification if there is one.
    fn wait_for_something(&mut self) -> Result<(), Error> {
        let timeout = self.next_deadline().map(|t| {
            let ms = t.saturating_duration_since(Instant::now()).as_millis();
            PollTimeout::try_from(ms.saturating_add(1)).unwrap_or(PollTimeout::MAX)
        });
        let timeout = match (&self.wake, timeout) {
            (Some(_), Some(t)) => t,
            (Some(_), None) => PollTimeout::NONE,
            // No wake eventfd: look at waitpid every few milliseconds.
            (None, t) => t.map_or(PollTimeout::from(5u8), |t| t.min(PollTimeout::from(5u8))),
        };
        let none = PollFlags::empty();
        let on = |yes: bool| if yes { PollFlags::POLLIN } else { none };
        let (listener, reports, woken) = {
            let mut fds = vec![
                PollFd::new(self.tree.listener.as_fd(), on(self.listening)),
                PollFd::new(self.tree.reports.as_fd(), on(self.reporting)),
            ];
            if let Some(wake) = &self.wake {
                fds.push(PollFd::new(wake.fd(), PollFlags::POLLIN));
            }
            let look = match poll(&mut fds, timeout) {
                // Nothing ready: a deadline passed; look at waitpid too, so that even a
                // lost wake-up costs at most a deadline.
                Ok(0) => true,
                Ok(_) => false,
                // A handler ran on this thread (SIGCHLD most often): as good as the
                // eventfd's wake-up, without another poll to see it.
                Err(Errno::EINTR) => true,
                Err(errno) => {
                    return Err(Error::System {
                        call: "poll",
                        errno,
                    });
                }
            };
            let revents = |i: usize| fds.get(i).and_then(PollFd::revents).unwrap_or(none);
            let woken = if look { PollFlags::POLLIN } else { revents(2) };
            (revents(0), revents(1), woken)
        };
        // A signal came (SIGCHLD: a tracee stopped or exited, or our child did), or
        // there is no eventfd to tell: look at waitpid. The eventfd is cleared first,
        // so a report that comes after the drain leaves it readable for the next poll.
        if self.wake.is_none() || !woken.is_empty() {
            if let Some(wake) = &self.wake {
                wake.drain();
            }
            self.take_waits()?;
            self.take_signals();
        }
        if !reports.is_empty() {
            self.take_reports()?;
        }
        if listener.contains(PollFlags::POLLIN) {
            if let Ok(notice) = seccomp::receive(&self.tree.listener) {
                self.on_notice(notice);
            }
        } else if listener.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL)
        {
            // No task uses the filter any more.
            self.listening = false;
        }
        Ok(())
    }

    fn next_deadline(&self) -> Option<Instant> {
        let execs = self.tasks.values().filter_map(|s| match s {
            State::Execing { deadline, .. } => Some(*deadline),
            _ => None,
        });
        execs.chain(self.held.iter().map(|h| h.next_poll)).min()
    }

    /// Every waitpid report that is ready.
    fn take_waits(&mut self) -> Result<(), Error> {
        loop {
            match sys::wait(-1, WAIT_FLAGS) {
                Ok(Some(report)) => self.dispatch(report),
                Ok(None) | Err(Errno::ECHILD) => return Ok(()),
                Err(Errno::EINTR) => {}
                Err(errno) => {
                    return Err(Error::System {
                        call: "waitpid",
                        errno,
                    });
                }
            }
        }
    }

    fn dispatch(&mut self, Report { tid, status }: Report) {
        if libc::WIFSTOPPED(status) {
            self.on_stop(tid, libc::WSTOPSIG(status), status >> 16);
            return;
        }
        if tid == self.tree.reaper {
            self.reaper_gone = true;
        }
        self.tasks.remove(&tid);
        self.held.retain(|h| h.pid != tid);
    }

    /// An execve waits: seize its thread, check, let it through.
    fn on_notice(&mut self, n: Notice) {
        let kept = match self.tasks.get(&n.tid) {
            None => {
                let options = nix::sys::ptrace::Options::PTRACE_O_TRACEEXEC
                    | nix::sys::ptrace::Options::PTRACE_O_EXITKILL;
                if nix::sys::ptrace::seize(Pid::from_raw(n.tid), options).is_err() {
                    // Traced by someone else (a debugger in the tree), or gone: never
                    // let it through unseen.
                    let _ = seccomp::answer(&self.tree.listener, n.id, libc::EPERM);
                    return;
                }
                false
            }
            Some(State::Kept | State::Execing { kept: true, .. }) => true,
            Some(State::Held) => {
                let _ = seccomp::answer(&self.tree.listener, n.id, libc::EPERM);
                return;
            }
            Some(State::Execing { .. } | State::Stray) => false,
        };
        // The answer is accepted only while the notification still waits, i.e. while
        // the task that asked is alive and blocked in it: so the thread seized above is
        // that task (its tid cannot have been reused). This is NOTIF_ID_VALID's check,
        // made by the answer itself, after the seize.
        let valid = seccomp::answer(&self.tree.listener, n.id, 0).is_ok();
        let state = if valid {
            State::Execing {
                deadline: Instant::now() + EXEC_GRACE,
                kept,
            }
        } else if kept {
            State::Kept
        } else {
            // Not the task that asked (it died and its tid was reused), or it was
            // interrupted and will ask again: let it go at its next stop.
            let _ = sys::interrupt(n.tid);
            State::Stray
        };
        self.tasks.insert(n.tid, state);
    }

    fn on_stop(&mut self, tid: i32, sig: i32, event: i32) {
        if event == EVENT_EXEC {
            self.on_exec(tid);
            return;
        }
        match self.tasks.get(&tid) {
            Some(State::Kept | State::Execing { kept: true, .. }) => {
                self.pass_through(tid, sig, event);
            }
            // Stopped at its exec by a decision; nothing else stops it.
            Some(State::Held) => {}
            _ => {
                // A failed execve, a reused tid or an unknown tracee: let it go, with
                // its signal; a group-stop stays a stop once detached.
                let _ = sys::detach(tid, if event == 0 { sig } else { 0 });
                self.tasks.remove(&tid);
            }
        }
    }

    /// A traced process's stop, answered as an untraced parent would see it.
    fn pass_through(&mut self, tid: i32, sig: i32, event: i32) {
        let _ = match event {
            0 => {
                let stale = sig != libc::SIGSTOP
                    && signals::is_stop_signal(sig)
                    && self.resumed_at.is_some_and(|t| t.elapsed() < STALE_STOP);
                sys::cont(tid, if stale { 0 } else { sig })
            }
            EVENT_STOP if signals::is_stop_signal(sig) => sys::listen(tid),
            _ => sys::cont(tid, 0),
        };
    }

    fn on_exec(&mut self, pid: i32) {
        let former = nix::sys::ptrace::getevent(Pid::from_raw(pid))
            .ok()
            .and_then(|m| i32::try_from(m).ok())
            .unwrap_or(pid);
        self.tasks.remove(&former);
        self.tasks.remove(&pid);
        self.held.retain(|h| h.pid != former && h.pid != pid);
        let first = pid == self.tree.main && !self.main_execed;
        if pid == self.tree.main {
            self.main_execed = true;
        }
        let former_tid = (former != pid).then_some(former);
        let Some(exec) = procfs::read_exec(pid, former_tid, first.then_some(None)) else {
            let _ = sys::detach(pid, 0);
            return;
        };
        let own = self.own_exe.as_ref().is_some_and(|own| *own == exec.exe);
        let verdict = self.decider.on_exec(&exec);
        self.apply(pid, verdict, own);
    }

    fn apply(&mut self, pid: i32, verdict: Verdict, own: bool) {
        match verdict {
            Verdict::Continue if own => {
                let _ = sys::cont(pid, 0);
                self.tasks.insert(pid, State::Kept);
            }
            Verdict::Continue => {
                let _ = sys::detach(pid, 0);
            }
            Verdict::Hold => {
                self.tasks.insert(pid, State::Held);
                self.held.push(Held {
                    pid,
                    next_poll: Instant::now() + self.opts.poll_interval,
                    own,
                });
            }
            Verdict::End { message, status } => {
                end::end(pid, &message, status, end::Then::Detach);
            }
        }
    }

    /// Asks the decider about every held process whose poll is due.
    fn poll_due(&mut self) {
        let now = Instant::now();
        let due: Vec<(i32, bool)> = self
            .held
            .iter()
            .filter(|h| h.next_poll <= now)
            .map(|h| (h.pid, h.own))
            .collect();
        for (pid, own) in due {
            match self.decider.poll(pid) {
                None | Some(Verdict::Hold) => {
                    if let Some(h) = self.held.iter_mut().find(|h| h.pid == pid) {
                        h.next_poll = now + self.opts.poll_interval;
                    }
                }
                Some(verdict) => {
                    self.held.retain(|h| h.pid != pid);
                    self.tasks.remove(&pid);
                    self.apply(pid, verdict, own);
                }
            }
        }
    }

    /// Execs let through that did not stop in time: failed; let the thread go.
    fn check_deadlines(&mut self) {
        let now = Instant::now();
        for (tid, state) in self.tasks.iter_mut() {
            if let State::Execing { deadline, kept } = *state {
                if deadline <= now {
                    *state = if kept {
                        State::Kept
                    } else {
                        let _ = sys::interrupt(*tid);
                        State::Stray
                    };
                }
            }
        }
    }

    /// What the reaper said: the first program's exit (its status is ours).
    fn take_reports(&mut self) -> Result<(), Error> {
        while self.reporting {
            let mut buf = [0u8; 8];
            match nix::unistd::read(&self.tree.reports, &mut buf) {
                Ok(8) => {
                    let kind = i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
                    let value = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
                    if kind == launch::MAIN_STATUS {
                        self.on_main_exit(wait_status(value));
                    }
                }
                Ok(_) => self.reporting = false,
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => {}
                Err(errno) => {
                    return Err(Error::System {
                        call: "read",
                        errno,
                    });
                }
            }
        }
        Ok(())
    }

    fn on_main_exit(&mut self, status: i32) {
        self.main_status = Some(status);
        self.signals.unregister();
        self.terminating = self.terminating.or(signals::take_forwarded());
        match (self.opts.leftovers, self.terminating) {
            (Leftovers::Kill, _) => self.kill_tree(),
            (Leftovers::Supervise, Some(sig)) => self.signal_tree(sig),
            (Leftovers::Supervise, None) => {}
        }
    }

    /// The reaper SIGKILLs everything it has, then exits.
    fn kill_tree(&self) {
        let _ = kill(Pid::from_raw(self.tree.reaper), Signal::SIGUSR1);
    }

    /// Sends `sig` to every process of the tree (the reaper's descendants).
    fn signal_tree(&self, sig: Signal) {
        let mut todo = vec![self.tree.reaper];
        while let Some(parent) = todo.pop() {
            launch::for_each_child(parent, |pid| {
                let _ = kill(Pid::from_raw(pid), sig);
                todo.push(pid);
            });
        }
    }

    /// See the full-ptrace engine's `take_signals`; here a Ctrl-Z only has to let the
    /// few traced processes take their stops before this one stops.
    fn take_signals(&mut self) {
        if let Some(sig) = signals::take_forwarded() {
            self.terminating = Some(sig);
            if self.main_status.is_some() {
                self.signal_tree(sig);
            }
        }
        if let Some(sig) = signals::take_stop() {
            let deadline = Instant::now() + self.opts.stop_grace;
            let mut quiet_since = Instant::now();
            while Instant::now() < deadline && quiet_since.elapsed() < Duration::from_millis(5) {
                match sys::wait(-1, WAIT_FLAGS) {
                    Ok(Some(report)) => {
                        self.dispatch(report);
                        quiet_since = Instant::now();
                    }
                    Ok(None) | Err(Errno::EINTR) => {
                        std::thread::sleep(Duration::from_micros(500));
                    }
                    Err(_) => break,
                }
            }
            signals::stop_self(sig);
            self.resumed_at = Some(Instant::now());
        }
    }

    /// Leaves nothing behind: a reaper still running (an error ended the loop) kills
    /// the tree; a task still traced (the tree escaped a killed reaper) is killed, as a
    /// dead supervisor's would be.
    fn finish(&mut self) {
        if !self.reaper_gone {
            self.kill_tree();
            launch::reap(self.tree.reaper);
            self.reaper_gone = true;
        }
        for tid in self.tasks.keys() {
            let _ = kill(Pid::from_raw(*tid), Signal::SIGKILL);
        }
        self.tasks.clear();
        let _ = self.take_waits();
    }
}
