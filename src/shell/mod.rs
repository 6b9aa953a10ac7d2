//! From what the caller gave guard to the simple commands that would run.
//!
//! A [`Command`] is one simple command: its quote-removed words, the variable assignments
//! that stand before it, and where it came from. [`parse`] reads a shell string with a
//! real shell grammar; [`from_argv`] takes `guard -- PROGRAM ARGS...` as it is. Both
//! unwrap what runs another command (sudo, env, bash -c, ssh, xargs, find -exec...).
//! [`split_words`] reads one simple command with shell quoting, for tests and tables.

mod carriers;
mod code;
mod effects;
mod launchers;
pub mod own;
mod parse;
mod piped;
mod plain;
mod recipes;
mod remote;
mod runners;
mod setup;
mod simple;
mod sql;
mod syntax;
mod tools;
mod unwrap;
mod windows;
mod words;

#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod unwrap_tests;

pub use parse::{Concern, MAX_COMMANDS, MAX_DEPTH, MAX_INPUT, Script, from_argv, parse};
pub use runners::is_interpreter;
pub use words::split_env_words;

use std::fmt;

/// One simple command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    /// The words after quote removal; `argv[0]` is the program as written.
    pub argv: Vec<String>,
    /// `NAME=value` assignments written before the program.
    pub assignments: Vec<(String, String)>,
    /// Where the command stands in the input: the byte range of the top-level command,
    /// then what it was nested in (`0..32 > sudo > bash -c`). Empty for a plain argv.
    pub origin: String,
    /// The program word is not literal (`$t`, `$(which terraform)`): guard cannot tell
    /// which program runs.
    pub dynamic_program: bool,
    /// The text the command reads on standard input, when the input holds it (a
    /// heredoc, a here-string, `echo ... |`).
    pub stdin: Option<std::sync::Arc<str>>,
    /// Standard input comes from the input itself (a pipe, heredoc, here-string or
    /// redirect), known or not, rather than from guard's own stdin: a prompt the
    /// program shows is answered by it, not by a person.
    pub stdin_given: bool,
    /// Positions in `argv` (after the program) of words only known when the shell runs
    /// (`$VERB`, `$(echo delete)`, `"${args[@]}"`).
    pub unknown_args: Vec<usize>,
}

impl Command {
    pub fn from_argv<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Command {
            argv: argv
                .into_iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect(),
            ..Command::default()
        }
    }

    /// The program's basename: `/usr/local/bin/terraform` and `./terraform` are `terraform`.
    pub fn program(&self) -> Option<&str> {
        let first = self.argv.first()?;
        // zsh expands `=terraform` to terraform's path (the `=` expansion, on by default).
        let first = first
            .strip_prefix('=')
            .filter(|n| !n.is_empty())
            .unwrap_or(first);
        Some(first.rsplit('/').next().unwrap_or(first))
    }

    /// The value of an assignment written before the command (the last one wins).
    pub fn assignment(&self, name: &str) -> Option<&str> {
        self.assignments
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Command {
    /// Shell-quoted, so what is shown can be pasted back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let assigns = self
            .assignments
            .iter()
            .map(|(n, v)| format!("{n}={}", quote(v)));
        for word in assigns.chain(self.argv.iter().map(|w| quote(w))) {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(&word)?;
        }
        Ok(())
    }
}

/// Quotes a word for display when the shell would otherwise split or expand it.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,^~".contains(c) || !c.is_ascii());
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Why a text could not be read as a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (byte {offset})")]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Reads one simple command from text: words split on blanks, `'...'`, `"..."` and
/// backslash quoting removed, leading `NAME=value` words taken as assignments.
pub fn split_words(text: &str) -> Result<Command, SyntaxError> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => cur.push(c),
                        None => return Err(unterminated("single quote", i)),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c @ ('"' | '\\' | '$' | '`'))) => cur.push(c),
                            Some((_, '\n')) => {}
                            Some((_, c)) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err(unterminated("double quote", i)),
                        },
                        Some((_, c)) => cur.push(c),
                        None => return Err(unterminated("double quote", i)),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some((_, '\n')) => {}
                    Some((_, c)) => cur.push(c),
                    None => {
                        return Err(SyntaxError {
                            message: "backslash at end of input".into(),
                            offset: i,
                        });
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    let mut cmd = Command::default();
    let mut rest = words.into_iter().peekable();
    while let Some(w) = rest.next_if(|w| is_assignment(w)) {
        if let Some((n, v)) = w.split_once('=') {
            cmd.assignments.push((n.to_string(), v.to_string()));
        }
    }
    cmd.argv = rest.collect();
    Ok(cmd)
}

fn unterminated(what: &str, offset: usize) -> SyntaxError {
    SyntaxError {
        message: format!("unterminated {what}"),
        offset,
    }
}

/// `NAME=...` with a valid shell variable name.
pub fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_removed() {
        let c = split_words(r#"terr''aform "destroy" \-auto-approve 'a b'"#).unwrap();
        assert_eq!(c.argv, ["terraform", "destroy", "-auto-approve", "a b"]);
    }

    #[test]
    fn leading_assignments() {
        let c = split_words("TF_CLI_ARGS='-destroy -x' A=1 terraform apply B=2").unwrap();
        assert_eq!(
            c.assignments,
            [
                ("TF_CLI_ARGS".into(), "-destroy -x".into()),
                ("A".into(), "1".into())
            ]
        );
        assert_eq!(c.argv, ["terraform", "apply", "B=2"]);
        assert_eq!(c.assignment("A"), Some("1"));
    }

    #[test]
    fn unterminated_quote_is_an_error_with_position() {
        let e = split_words("echo 'abc").unwrap_err();
        assert_eq!(e.offset, 5);
        assert!(e.message.contains("single quote"));
        assert!(split_words("a \"b").is_err());
        assert!(split_words("a \\").is_err());
    }

    #[test]
    fn program_is_the_basename() {
        let c = Command::from_argv(["/usr/local/bin/terraform", "destroy"]);
        assert_eq!(c.program(), Some("terraform"));
        assert_eq!(Command::default().program(), None);
    }

    #[test]
    fn display_quotes_what_needs_it() {
        let c = split_words(r#"X='a b' git commit -m "it's done""#).unwrap();
        assert_eq!(c.to_string(), r#"X='a b' git commit -m 'it'\''s done'"#);
    }
}
