//! The errors of supervision. Each renders as one line that says what went wrong and
//! what a person can do about it; `Unavailable` alone means "this machine or this
//! process cannot supervise", so a caller can decide to refuse or to fall back.

use nix::errno::Errno;

/// Why this process cannot trace its children here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    /// `kernel.yama.ptrace_scope` is 3: no process may use ptrace until reboot.
    #[error(
        "ptrace is disabled here (kernel.yama.ptrace_scope=3); set it to 1 or lower at boot, or run without supervision"
    )]
    YamaDisabled,
    /// `kernel.yama.ptrace_scope` is 2: only a process with CAP_SYS_PTRACE may trace.
    #[error(
        "ptrace is limited to administrators here (kernel.yama.ptrace_scope=2); set it to 1 or 0 (sysctl kernel.yama.ptrace_scope=1), or run without supervision"
    )]
    YamaAdminOnly,
    /// The child was traced before we could seize it: this process runs under strace,
    /// gdb or another supervisor that follows forks.
    #[error(
        "the child is already traced by pid {tracer} (strace -f, gdb or an outer supervisor?); run outside that tracer"
    )]
    AlreadyTraced { tracer: i32 },
    /// This process is itself traced, and may not trace: it runs inside another
    /// supervision (whose filter refuses ptrace in its tree) or under a debugger.
    #[error(
        "this process is already traced by pid {tracer} (inside another guard supervise, which already decides every program here, or under a debugger); run outside it"
    )]
    Nested { tracer: i32 },
    /// A seccomp filter (a container's default profile, say) refuses ptrace.
    #[error(
        "ptrace is refused by a seccomp filter ({errno}); allow ptrace in the container or sandbox profile, or run without supervision"
    )]
    Seccomp { errno: Errno },
    /// The kernel refused for another reason (a Yama scope of 1-2 never refuses a
    /// parent, so this is a security module or a sandbox).
    #[error(
        "the kernel refused to let this process trace its child ({errno}); check Yama, SELinux/AppArmor or sandbox policy"
    )]
    Refused { errno: Errno },
    /// ptrace does not exist here (gVisor without it, a kernel built without it).
    #[error(
        "ptrace is not supported by this kernel or sandbox ({errno}); supervision needs Linux ptrace"
    )]
    NotSupported { errno: Errno },
    /// Not Linux.
    #[error("exec supervision needs Linux ptrace; this is not Linux")]
    NotLinux,
}

/// Why `supervise` could not run the program.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Supervision is impossible here; nothing was run.
    #[error("cannot supervise: {0}")]
    Unavailable(#[from] Unavailable),
    /// The program is not on PATH (or the path does not exist).
    #[error("{program}: command not found (searched PATH)")]
    NotFound { program: String },
    /// The program exists but execve(2) refused it.
    #[error("{program}: cannot execute: {errno}")]
    CannotExecute { program: String, errno: Errno },
    /// An argument or environment entry holds a NUL byte.
    #[error("{what} contains a NUL byte: {text}")]
    Nul { what: &'static str, text: String },
    /// A system call the supervisor depends on failed.
    #[error("supervisor: {call} failed: {errno}")]
    System { call: &'static str, errno: Errno },
}

impl Error {
    pub(crate) fn system(call: &'static str) -> impl FnOnce(Errno) -> Error {
        move |errno| Error::System { call, errno }
    }
}
