//! Exec-level supervision: runs a program as the root of a process tree and asks a
//! [`Decider`] about every successful execve(2) anywhere in that tree, at the moment
//! the new image is loaded and before it runs one instruction of its own.
//!
//! Two engines, one guarantee. The fast one (`watch`, the default) leaves the tree
//! untraced: a seccomp filter that no process of the tree can remove sends each execve
//! to the supervisor, which seizes that one thread with ptrace, lets the execve run,
//! decides at its exec stop and detaches. Where seccomp user notification cannot be
//! had it falls back to the full-ptrace engine (`tracer`), which follows every fork,
//! clone and signal of the tree.
//!
//! Invariants: the first program never runs undecided (its own execve is the first
//! decision); no execve in the tree runs without a decision at its exec stop; if the
//! supervisor dies, the tree dies (the reaper's SIGKILLs, or `PTRACE_O_EXITKILL`), and
//! until then every execve in it fails. See `docs/supervise.md` for the mechanism, the
//! figures and the known limits.

#[cfg(target_os = "linux")]
mod end;
mod error;
#[cfg(target_os = "linux")]
mod launch;
#[cfg(target_os = "linux")]
mod probe;
#[cfg(target_os = "linux")]
mod procfs;
#[cfg(target_os = "linux")]
mod seccomp;
#[cfg(target_os = "linux")]
mod signals;
#[cfg(target_os = "linux")]
mod spawn;
#[cfg(target_os = "linux")]
mod stack;
#[cfg(target_os = "linux")]
mod sys;
#[cfg(target_os = "linux")]
mod tracer;
#[cfg(target_os = "linux")]
mod tree;
#[cfg(target_os = "linux")]
mod watch;

#[cfg(all(test, target_os = "linux"))]
mod tests;

pub use error::{Error, Unavailable};

use std::cell::OnceCell;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a process's standard input is, read from /proc/PID/fd/0 at its exec (see
/// [`Exec::stdin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdinKind {
    /// A terminal (a pty or a console): someone may be typing.
    Terminal,
    Pipe,
    /// A regular file (or another path that is not a device).
    File,
    /// /dev/null.
    Null,
    Socket,
    /// fd 0 is not open.
    Closed,
    /// Anything else: another device, an anonymous inode.
    Other,
}

/// One execve that succeeded, seen at `PTRACE_EVENT_EXEC` with the new image loaded and
/// stopped before its first instruction.
#[derive(Debug, Clone)]
pub struct Exec {
    /// The thread-group id (process id) that now runs the new image.
    pub pid: i32,
    /// When a thread other than the leader called execve: its thread id, now gone.
    pub former_tid: Option<i32>,
    /// See [`Exec::parent`].
    parent: OnceCell<Option<i32>>,
    /// /proc/PID/exe: the resolved executable. For a `#!` script this is the
    /// interpreter; see [`Exec::path`].
    pub exe: PathBuf,
    /// The file named to execve(2), as the caller spelled it (the kernel's AT_EXECFN),
    /// relative to `cwd` when relative. For a script this is the script itself.
    pub path: PathBuf,
    /// /proc/PID/cmdline. For a script the kernel has replaced argv[0] with the
    /// interpreter and put `path` after it: `["/bin/sh", "./tf", "destroy"]`.
    pub argv: Vec<OsString>,
    /// /proc/PID/cwd, read on first use (see [`Cwd`]).
    pub cwd: Cwd,
    /// See [`Exec::stdin`].
    stdin: OnceCell<StdinKind>,
    /// /proc/PID/environ, read on first use (see [`Exec::env`]).
    env: OnceCell<Vec<(OsString, OsString)>>,
    /// `path` with symlinks resolved, computed on first use.
    resolved: OnceCell<PathBuf>,
}

impl Exec {
    /// An `Exec` built by hand, for testing a decider. `path` is `exe`, stdin a
    /// terminal (see [`Exec::with_stdin`]), and the environment empty unless [`Exec::with_env`] sets it.
    pub fn new(pid: i32, exe: PathBuf, argv: Vec<OsString>, cwd: PathBuf) -> Exec {
        Exec {
            pid,
            former_tid: None,
            parent: OnceCell::new(),
            path: exe.clone(),
            exe,
            argv,
            cwd: Cwd::known(cwd),
            stdin: OnceCell::from(StdinKind::Terminal),
            env: OnceCell::new(),
            resolved: OnceCell::new(),
        }
    }

    /// Sets the environment an [`Exec::env`] call returns.
    pub fn with_env(self, env: Vec<(OsString, OsString)>) -> Exec {
        let cell = OnceCell::new();
        let _ = cell.set(env);
        Exec { env: cell, ..self }
    }

    /// The new image's environment. Read from /proc/PID/environ on the first call,
    /// which must come while the process is still stopped at its exec (inside
    /// [`Decider::on_exec`], or while it is held); empty if it cannot be read.
    pub fn env(&self) -> &[(OsString, OsString)] {
        self.env.get_or_init(|| {
            #[cfg(target_os = "linux")]
            {
                procfs::environ(self.pid)
            }
            #[cfg(not(target_os = "linux"))]
            {
                Vec::new()
            }
        })
    }

    /// The process that created this one, `None` for the first program. The
    /// full-ptrace engine follows every fork and knows the creator even after it has
    /// exited; the fast engine does not follow forks and reads the parent at the first
    /// call (from /proc/PID/stat, so call it while the process is stopped at its exec):
    /// for an orphan that is the supervisor's reaper. `None` if it cannot be read.
    pub fn parent(&self) -> Option<i32> {
        *self.parent.get_or_init(|| {
            #[cfg(target_os = "linux")]
            {
                procfs::parent_now(self.pid)
            }
            #[cfg(not(target_os = "linux"))]
            {
                None
            }
        })
    }

    /// What its standard input is, from /proc/PID/fd/0, read on the first call (while
    /// the process is stopped at its exec, as for [`Exec::env`]).
    pub fn stdin(&self) -> StdinKind {
        *self.stdin.get_or_init(|| {
            #[cfg(target_os = "linux")]
            {
                procfs::stdin_kind(self.pid)
            }
            #[cfg(not(target_os = "linux"))]
            {
                StdinKind::Other
            }
        })
    }

    /// Sets what [`Exec::stdin`] returns.
    pub fn with_stdin(self, kind: StdinKind) -> Exec {
        Exec {
            stdin: OnceCell::from(kind),
            ..self
        }
    }

    /// One variable of [`Exec::env`].
    pub fn env_var(&self, name: &str) -> Option<&OsStr> {
        self.env()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_os_str())
    }

    /// `path` made absolute with every symlink resolved (so `./tf`, a link to
    /// `terraform`, is `/…/terraform`); `exe` when that fails. Resolved the way the
    /// process sees the file system (through /proc/PID/cwd and /proc/PID/root, so a
    /// chroot or another mount namespace does not mislead), which needs the process
    /// still stopped at its exec, as for [`Exec::env`]; `cwd` is the fallback.
    pub fn resolved_path(&self) -> &Path {
        self.resolved.get_or_init(|| {
            let path = self.path.as_path();
            // /dev/fd and /proc/self would name the supervisor's own descriptors.
            let fd = path
                .strip_prefix("/dev/fd")
                .or_else(|_| path.strip_prefix("/proc/self/fd"));
            let own_view = match (fd, path.strip_prefix("/")) {
                (Ok(n), _) => PathBuf::from(format!("/proc/{}/fd", self.pid)).join(n),
                (_, Ok(rel)) => PathBuf::from(format!("/proc/{}/root", self.pid)).join(rel),
                (_, Err(_)) => PathBuf::from(format!("/proc/{}/cwd", self.pid)).join(path),
            };
            std::fs::canonicalize(own_view)
                .or_else(|_| std::fs::canonicalize(self.cwd.join(path)))
                .unwrap_or_else(|_| self.exe.clone())
        })
    }

    /// Whether the kernel ran an interpreter for a `#!` script: `path` is then the
    /// script and not the same file as `exe`.
    pub fn is_script(&self) -> bool {
        self.resolved_path() != self.exe
    }
}

/// A process's working directory at its exec, read from /proc/PID/cwd on first use
/// (most execs are of programs a decider lets run without looking further), so like
/// [`Exec::env`] it must be used while the process is stopped at its exec. It is a
/// `Path` (`Deref`, `AsRef<Path>`); empty if it cannot be read.
#[derive(Debug, Clone)]
pub struct Cwd {
    pid: i32,
    path: OnceCell<PathBuf>,
}

impl Cwd {
    /// A working directory already known.
    pub fn known(path: PathBuf) -> Cwd {
        Cwd {
            pid: 0,
            path: OnceCell::from(path),
        }
    }

    #[cfg(target_os = "linux")]
    fn of(pid: i32) -> Cwd {
        Cwd {
            pid,
            path: OnceCell::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.path.get_or_init(|| {
            std::fs::read_link(format!("/proc/{}/cwd", self.pid)).unwrap_or_default()
        })
    }
}

impl std::ops::Deref for Cwd {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.path()
    }
}

impl AsRef<Path> for Cwd {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

/// What to do with a new image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let it run now.
    Continue,
    /// Keep it stopped (the rest of the tree runs on); [`Decider::poll`] decides later.
    Hold,
    /// Never let it run: write `message` and a newline to its stderr, then make it exit
    /// with `status` before its first instruction.
    End { message: String, status: u8 },
}

/// The policy: called on the supervisor's thread, one call at a time. While a call
/// runs, the rest of the tree's stops wait, so a slow decision should answer
/// [`Verdict::Hold`] and finish in [`Decider::poll`].
pub trait Decider {
    fn on_exec(&mut self, exec: &Exec) -> Verdict;
    /// Called every `poll_interval` for each process held with Verdict::Hold; None =
    /// keep holding.
    fn poll(&mut self, pid: i32) -> Option<Verdict>;
}

/// How to supervise.
#[derive(Debug, Clone)]
pub struct Options {
    /// How often [`Decider::poll`] is asked about each held process.
    pub poll_interval: Duration,
    /// How long to keep serving the tree after the supervisor gets SIGTSTP (Ctrl-Z)
    /// before it stops itself, so that its children stop first.
    pub stop_grace: Duration,
    /// What happens to processes still running when the first program exits.
    pub leftovers: Leftovers,
    /// Which mechanism follows the tree.
    pub engine: Engine,
    /// Fast engine: a process that runs this supervisor's own executable stays traced
    /// once it is let run (the others are detached), so that it can tell from its
    /// `TracerPid` that it is supervised (guard's hooks and a nested `guard supervise`
    /// do). Its signals and stops are then passed through, as by the full engine.
    pub trace_own_executable: bool,
}

/// The mechanism that follows the tree (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// seccomp user notification where the kernel allows it (Linux 5.0+, no listener
    /// already in this process's filters), else full ptrace.
    Auto,
    /// Full ptrace: every fork, clone, exit and signal of the tree is a stop.
    Ptrace,
}

impl Engine {
    /// `Ptrace` if `GUARD_SUPERVISE_ENGINE=ptrace` is set (for measuring and for
    /// comparing the engines), else `Auto`.
    pub fn from_env() -> Engine {
        match std::env::var_os("GUARD_SUPERVISE_ENGINE") {
            Some(v) if v == "ptrace" => Engine::Ptrace,
            _ => Engine::Auto,
        }
    }
}

/// What to do with the rest of the tree once the first program has exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftovers {
    /// Keep supervising them; `supervise` returns when the last one exits (a daemon
    /// the program started is still decided about).
    Supervise,
    /// SIGKILL them and return at once.
    Kill,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            poll_interval: Duration::from_millis(100),
            stop_grace: Duration::from_millis(50),
            leftovers: Leftovers::Supervise,
            engine: Engine::from_env(),
            trace_own_executable: true,
        }
    }
}

/// Runs `program` (searched on PATH when it has no `/`) with `args`, with `env` as its
/// whole environment (`None`: this process's), and supervises it and everything it
/// starts until the last process of the tree has exited (see [`Leftovers`]). Returns the status to pass
/// on: the first program's exit code, or 128+N if signal N ended it.
///
/// While it runs, SIGINT and SIGQUIT do not end this process (the terminal sends them
/// to the whole foreground group, the tree included), SIGTERM and SIGHUP are forwarded
/// to the first program (and, once it has exited, to what it left running), and Ctrl-Z
/// stops the tree, then this process.
pub fn supervise(
    program: &OsStr,
    args: &[OsString],
    env: Option<Vec<(OsString, OsString)>>,
    opts: &Options,
    decider: &mut dyn Decider,
) -> Result<i32, Error> {
    #[cfg(target_os = "linux")]
    {
        let mut signals = signals::install();
        if opts.engine == Engine::Auto {
            let fast = watch::run(program, args, env.clone(), opts, decider, &mut signals)?;
            if let Some(status) = fast {
                return Ok(status);
            }
        }
        tracer::run(program, args, env, opts, decider, &mut signals)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (program, args, env, opts, decider);
        Err(Error::Unavailable(Unavailable::NotLinux))
    }
}

/// Writes `message` and a newline to the stderr of `pid`, a process held at its exec
/// (what it waits for): best effort, never blocking for more than 100 ms.
pub fn tell(pid: i32, message: &str) {
    #[cfg(target_os = "linux")]
    {
        let mut line = message.as_bytes().to_vec();
        line.push(b'\n');
        end::tell(pid, &line);
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (pid, message);
    }
}

/// Whether this process can supervise a child here: a cheap probe that forks a child,
/// tries to seize it, and kills it (about a fork's cost). Cache the answer if you ask
/// often.
pub fn available() -> Result<(), Unavailable> {
    #[cfg(target_os = "linux")]
    {
        probe::available()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(Unavailable::NotLinux)
    }
}
