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

fn plain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b" \t-_./:,@%+=^*?[]~&|;".contains(&c)
}

/// One simple command: each word's byte range in the line and its text after quote removal.
type Words = Vec<(usize, usize, String)>;

/// Splits a plain line into lists of pipelines of simple commands; `None` if it is not
/// plain. Single quotes are plain too: nothing inside them is special.
fn split(line: &str) -> Option<Vec<Vec<Words>>> {
    let bytes = line.as_bytes();
    if line.contains("|&") || line.contains(";;") {
        return None;
    }
    let mut lists: Vec<Vec<Words>> = vec![vec![Vec::new()]];
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let two = bytes.get(i..i + 2);
        if c == b' ' || c == b'\t' {
            i += 1;
        } else if two == Some(b"&&") || two == Some(b"||") {
            lists.push(vec![Vec::new()]);
            i += 2;
        } else if c == b';' || c == b'&' {
            lists.push(vec![Vec::new()]);
            i += 1;
        } else if c == b'|' {
            lists.last_mut()?.push(Vec::new());
            i += 1;
        } else {
            let start = i;
            // Most words hold no quote: their text is their bytes up to the next blank
            // or operator.
            let end = line[i..]
                .find([' ', '\t', '&', '|', ';'])
                .map_or(line.len(), |n| i + n);
            let mut text = String::with_capacity(end - i);
            while i < bytes.len() && !b" \t&|;".contains(&bytes[i]) {
                if bytes[i] == b'\'' {
                    let close = line[i + 1..].find('\'')? + i + 1;
                    text.push_str(&line[i + 1..close]);
                    i = close + 1;
                } else if plain_char(bytes[i]) {
                    text.push(char::from(bytes[i]));
                    i += 1;
                } else {
                    return None;
                }
            }
            lists.last_mut()?.last_mut()?.push((start, i, text));
        }
    }
    // An empty command between operators (`a && && b`, `| b`) is a syntax error: let
    // the full parser report it. A trailing `;` or `&` leaves an empty list: drop it.
    if lists.len() > 1
        && lists
            .last()
            .is_some_and(|l| l.len() == 1 && l[0].is_empty())
    {
        let t = line.trim_end();
        if t.ends_with([';', '&']) && !t.ends_with("&&") {
            lists.pop();
        }
    }
    // Every command has words, and none starts with an unquoted reserved word.
    let well_formed = lists.iter().flatten().all(|cmd| {
        cmd.first()
            .is_some_and(|(s, e, _)| !RESERVED.contains(&&line[*s..*e]))
    });
    well_formed.then_some(lists)
}

impl Walker<'_> {
    /// Walks a plain line; `false` if the line is not plain (nothing was walked).
    pub(super) fn plain_line(&mut self, line: &str, base: usize) -> Result<bool, SyntaxError> {
        let Some(lists) = split(line) else {
            return Ok(false);
        };
        for pipeline in lists {
            let mut stdin = self.stdin.clone();
            for cmd in pipeline {
                let (Some(first), Some(last)) = (cmd.first(), cmd.last()) else {
                    continue;
                };
                if self.chain.is_empty() && self.depth == 0 {
                    // Written into the same string each time, not a new one.
                    self.top.clear();
                    let _ = write!(self.top, "{}..{}", base + first.0, base + last.1);
                }
                let mut assignments = Vec::new();
                let mut words = Vec::new();
                for (s, e, text) in cmd {
                    let raw = &line[s..e];
                    let pattern = if raw.contains('\'') {
                        let unquoted: String = raw.split('\'').step_by(2).collect();
                        super::words::is_pattern(&unquoted)
                    } else {
                        super::words::is_pattern(raw)
                    };
                    let w = Expanded {
                        fixed: text.len(),
                        pattern,
                        text,
                        literal: true,
                        ..Expanded::default()
                    };
                    // An assignment is NAME=... written unquoted before the program name.
                    if words.is_empty()
                        && super::is_assignment(raw)
                        && !raw.split('=').next().unwrap_or_default().contains('\'')
                    {
                        let value = raw
                            .split_once('=')
                            .map_or(String::new(), |(_, v)| v.replace('\'', ""));
                        let name = raw.split('=').next().unwrap_or_default().to_string();
                        assignments.push((
                            name,
                            Expanded {
                                fixed: value.len(),
                                text: value,
                                ..w
                            },
                        ));
                    } else {
                        words.push(w);
                    }
                }
                stdin = self.finish(words, assignments, stdin, None)?;
            }
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
