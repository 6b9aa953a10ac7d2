//! guard's own exit codes — an interface, documented in the README. When the child runs,
//! guard exits with the child's status instead (128+N for a child killed by signal N).
//! The refusal, configuration and usage codes follow `sysexits.h`; 126 and 127 follow the
//! shell's convention for "cannot execute" and "not found".

use crate::decision::Decision;

/// An exit code guard itself chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success (for guard's own subcommands).
    Success = 0,
    /// `guard check` / `rules test`: a negative answer that is not an error.
    Failure = 1,
    /// The command line was not understood (EX_USAGE).
    Usage = 64,
    /// What guard needs is not available here: `guard supervise` without ptrace
    /// (EX_UNAVAILABLE).
    Unavailable = 69,
    /// guard failed in a way that is a bug or an unexpected system error (EX_SOFTWARE).
    Internal = 70,
    /// A file or guard's own state could not be read or written (EX_IOERR).
    Io = 74,
    /// Refused by policy: the command did not run (EX_NOPERM).
    Refused = 77,
    /// A config or rule file is wrong: nothing ran (EX_CONFIG).
    Config = 78,
    /// A person stopped guard with Ctrl-C before the command ran (128 + SIGINT).
    Interrupted = 130,
    /// The program was found but could not be executed.
    CannotExecute = 126,
    /// The program was not found on PATH.
    NotFound = 127,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// `guard check`'s status for a decision: 0 allow, 1 warn, 2 confirm, 3 two-person,
    /// 4 deny.
    pub fn for_check(decision: Decision) -> i32 {
        match decision {
            Decision::Allow => 0,
            Decision::Warn => 1,
            Decision::Confirm => 2,
            Decision::TwoPerson => 3,
            Decision::Deny => 4,
        }
    }
}
