//! guard's errors. Each variant carries what a person needs to act, renders as one line,
//! and knows its exit code.

use crate::exit_code::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule or config file is wrong at a known place.
    #[error("{path}:{line}:{col}: {message}")]
    RuleFile {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
    /// A rule or config file is wrong (or unreadable) as a whole.
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    /// Policy refused the command; the message says why and what would be needed.
    #[error("{0}")]
    Refused(String),
    /// The program to run is not on PATH.
    #[error("{}", not_found(program))]
    NotFound { program: String },
    /// The program exists but could not be started.
    #[error("{program}: cannot execute: {source}")]
    CannotExecute {
        program: String,
        source: std::io::Error,
    },
    /// The command line given to guard is wrong.
    #[error("{0}")]
    Usage(String),
    /// A file guard needs could not be read or written.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// A person stopped guard (Ctrl-C) before the command ran.
    #[error("{0}")]
    Interrupted(String),
    /// What guard needs is not there on this system (ptrace for `guard supervise`).
    #[error("{0}")]
    Unavailable(String),
    /// guard's state (the audit trail, the ledger, the breaker) could not be used.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// A program named by a path was not there; a bare name was not on PATH.
fn not_found(program: &str) -> String {
    if program.contains('/') {
        format!("{program}: no such file")
    } else {
        format!("{program}: command not found (searched PATH)")
    }
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::RuleFile { .. } | Error::Config { .. } => ExitCode::Config,
            Error::Refused(_) => ExitCode::Refused,
            Error::NotFound { .. } => ExitCode::NotFound,
            Error::CannotExecute { .. } => ExitCode::CannotExecute,
            Error::Usage(_) => ExitCode::Usage,
            Error::Io { .. } | Error::Store(_) => ExitCode::Io,
            Error::Interrupted(_) => ExitCode::Interrupted,
            Error::Unavailable(_) => ExitCode::Unavailable,
        }
    }

    /// A rule-file error at a byte offset of `text`.
    pub fn at(path: &str, text: &str, offset: usize, message: impl Into<String>) -> Error {
        let (line, col) = line_col(text, offset);
        Error::RuleFile {
            path: path.to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let t = "a = 1\nbb = [\n  x\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 15), (3, 3));
        assert_eq!(line_col(t, 999), (4, 1));
    }
}
