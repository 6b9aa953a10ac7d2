//! A fast path for plain lines: a line made only of plain words and the operators
//! `&&`, `||`, `;`, `&` and `|` — no quoting, expansion, redirection, grouping or
//! reserved word — is split without the full grammar, because that is what most lines
//! of a script are and the grammar costs several microseconds a line. Anything else
//! returns `None` and takes the full parser. A test checks both paths agree.

use super::SyntaxError;
use super::parse::Walker;
use super::words::Expanded;
use std::fmt::Write as _;

/// Words that open or close shell syntax: a line holding one as a command word is not plain.
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "function", "select", "time", "in", "coproc", "!", "[[", "]]", "{", "}",
];

/// What a byte is to the scan: part of a plain word, a blank, an operator character, a
/// single quote, or anything else (which sends the line to the full parser).
const OTHER: u8 = 0;
const PLAIN: u8 = 1;
const BLANK: u8 = 2;
const OPERATOR: u8 = 3;
const QUOTE: u8 = 4;

const CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = if b.is_ascii_alphanumeric() {
            PLAIN
        } else {
            match b {
                b'-' | b'_' | b'.' | b'/' | b':' | b',' | b'@' | b'%' | b'+' | b'=' | b'^'
                | b'*' | b'?' | b'[' | b']' | b'~' => PLAIN,
                b' ' | b'\t' => BLANK,
                b'&' | b'|' | b';' => OPERATOR,
                b'\'' => QUOTE,
                _ => OTHER,
            }
        };
        c += 1;
    }
    table
};

/// A word of a plain line: its byte range, its text after quote removal, and whether
/// it held a quote.
struct Word {
    start: usize,
    end: usize,
    text: String,
    quoted: bool,
}

/// A plain line, split: its words, and each command as a range of them, marked when it
/// starts a list (after `&&`, `||`, `;` or `&`) rather than continuing a pipeline.
struct Split {
    words: Vec<Word>,
    commands: Vec<(std::ops::Range<usize>, bool)>,
}

/// Splits a plain line into commands; `None` if it is not plain. Single quotes are
/// plain too: nothing inside them is special.
fn split(line: &str) -> Option<Split> {
    let bytes = line.as_bytes();
    if line.contains("|&") || line.contains(";;") {
        return None;
    }
    let mut out = Split {
        words: Vec::with_capacity(8),
        commands: Vec::with_capacity(4),
    };
    let (mut first, mut starts_list) = (0, true);
    let mut i = 0;
    while i < bytes.len() {
        match CLASS[usize::from(bytes[i])] {
            BLANK => i += 1,
            OPERATOR => {
                // An empty command before an operator (`a && && b`, `| b`) is a syntax
                // error: the full parser reports it.
                if out.words.len() == first {
                    return None;
                }
                out.commands.push((first..out.words.len(), starts_list));
                let two = bytes.get(i..i + 2);
                let width = if two == Some(b"&&") || two == Some(b"||") {
                    2
                } else {
                    1
                };
                (first, starts_list) = (out.words.len(), width == 2 || bytes[i] != b'|');
                i += width;
            }
            _ => {
                let start = i;
                let mut quoted = false;
                while i < bytes.len() {
                    match CLASS[usize::from(bytes[i])] {
                        PLAIN => i += 1,
                        QUOTE => {
                            i += line[i + 1..].find('\'')? + 2;
                            quoted = true;
                        }
                        BLANK | OPERATOR => break,
                        _ => return None,
                    }
                }
                let raw = &line[start..i];
                // Quotes do not nest and nothing inside them is special: removing
                // them leaves the word's text.
                let text = if quoted {
                    raw.replace('\'', "")
                } else {
                    raw.to_string()
                };
                out.words.push(Word {
                    start,
                    end: i,
                    text,
                    quoted,
                });
            }
        }
    }
    if out.words.len() > first {
        out.commands.push((first..out.words.len(), starts_list));
    } else {
        // Nothing after the last operator: fine after a trailing `;` or `&`.
        let t = line.trim_end();
        if out.commands.is_empty() || !t.ends_with([';', '&']) || t.ends_with("&&") {
            return None;
        }
    }
    // No command starts with an unquoted reserved word.
    let reserved = out.commands.iter().any(|(r, _)| {
        let w = &out.words[r.start];
        RESERVED.contains(&&line[w.start..w.end])
    });
    (!reserved).then_some(out)
}

impl Walker<'_> {
    /// Walks a plain line; `false` if the line is not plain (nothing was walked).
    pub(super) fn plain_line(&mut self, line: &str, base: usize) -> Result<bool, SyntaxError> {
        let Some(Split { words, commands }) = split(line) else {
            return Ok(false);
        };
        let mut words = words.into_iter();
        let mut stdin = self.stdin.clone();
        for (range, starts_list) in commands {
            if starts_list {
                stdin = self.stdin.clone();
            }
            if self.chain.is_empty() && self.depth == 0 {
                // Written into the same string each time, not a new one.
                let (s, e) = (
                    words.as_slice()[0].start,
                    words.as_slice()[range.len() - 1].end,
                );
                self.top.clear();
                let _ = write!(self.top, "{}..{}", base + s, base + e);
            }
            let mut assignments = Vec::new();
            let mut argv = Vec::with_capacity(range.len());
            for word in words.by_ref().take(range.len()) {
                let raw = &line[word.start..word.end];
                let pattern = if word.quoted {
                    let unquoted: String = raw.split('\'').step_by(2).collect();
                    super::words::is_pattern(&unquoted)
                } else {
                    super::words::is_pattern(raw)
                };
                let w = Expanded {
                    fixed: word.text.len(),
                    pattern,
                    text: word.text,
                    literal: true,
                    ..Expanded::default()
                };
                // An assignment is NAME=... written unquoted before the program name.
                let assignment = (argv.is_empty() && super::is_assignment(raw))
                    .then(|| raw.split_once('='))
                    .flatten()
                    .filter(|(name, _)| !name.contains('\''));
                match assignment {
                    Some((name, value)) => {
                        let value = value.replace('\'', "");
                        assignments.push((
                            name.to_string(),
                            Expanded {
                                fixed: value.len(),
                                text: value,
                                ..w
                            },
                        ));
                    }
                    None => argv.push(w),
                }
            }
            stdin = self.finish(argv, assignments, stdin, None)?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_lines_take_the_fast_path() {
        assert!(split("terraform plan -out=tf.plan").is_some());
        assert!(split("cd infra && terraform plan | tee x; ls &").is_some());
        assert!(split("echo 'q $x' && git commit -m 'a; b | c'").is_some());
        for line in [
            "echo 'unterminated",
            "echo \"q\"",
            "a $x",
            "a > f",
            "a < f",
            "(a)",
            "{ a; }",
            "if true",
            "a |& b",
            "case x",
            "a # c",
            "x=$(y)",
            "a\\ b",
            "a && && b",
            "| b",
            "! a",
            "for i in a",
        ] {
            assert!(split(line).is_none(), "{line}");
        }
    }
}
