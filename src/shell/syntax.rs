//! From text to brush-parser's syntax tree, behind guard's own checks: what the parser
//! cannot be trusted with is refused first, and its errors become a [`SyntaxError`] with a
//! byte offset.

use super::SyntaxError;
use super::parse::MAX_BRACKETS;
use brush_parser::ast;

pub(super) fn parse_program(text: &str) -> Result<ast::Program, SyntaxError> {
    check_brackets(text)?;
    let mut parser = brush_parser::Parser::new(
        std::io::Cursor::new(text),
        &brush_parser::ParserOptions::default(),
    );
    parser
        .parse_program()
        .map_err(|e| to_syntax_error(text, &e))
}

pub(super) fn to_syntax_error(text: &str, e: &brush_parser::ParseError) -> SyntaxError {
    let offset = match e {
        brush_parser::ParseError::ParsingNear(p) => char_to_byte(text, p.index),
        brush_parser::ParseError::Tokenizing {
            position: Some(p), ..
        } => char_to_byte(text, p.index),
        _ => text.len(),
    };
    SyntaxError {
        message: e.to_string(),
        offset,
    }
}

/// Refuses what the parser cannot be trusted with: bracket nesting deep enough to exhaust
/// its stack, and a heredoc delimiter written as a command substitution (`<<$(  `),
/// on which brush-parser 0.4's tokenizer allocates without end.
pub(super) fn check_brackets(text: &str) -> Result<(), SyntaxError> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find("<<") {
        // A run of `<`: two is a heredoc, three a here-string, more is `<<<` then `<<`.
        let i = at + found;
        let run = bytes[i..].iter().take_while(|&&b| b == b'<').count();
        at = i + run;
        // `\<` is a literal `<`: it does not count toward the operator.
        let escaped = usize::from(i > 0 && bytes[i - 1] == b'\\');
        if run - escaped == 3 || quoted_at(text, i) {
            continue;
        }
        let after = text[i + run..]
            .trim_start_matches('-')
            .trim_start_matches([' ', '\t']);
        // A quoted delimiter runs to its closing quote; an unclosed one is refused.
        let quoted = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        let delimiter = match quoted {
            // The word goes on after the closing quote (`'F'$(...)`): check all of it.
            Some(q) => match after[1..].find(q) {
                Some(end) => after
                    .split([' ', '\t', '\n'])
                    .next()
                    .filter(|w| w.len() > end + 2)
                    .unwrap_or(&after[1..=end]),
                None => "$(",
            },
            None => after
                .split([' ', '\t', '\n', ';', '|', '&', ')', '<', '>'])
                .next()
                .unwrap_or_default(),
        };
        let word: String = delimiter
            .chars()
            .filter(|c| !matches!(c, '\'' | '"' | '\\'))
            .collect();
        // Inside a substitution, a heredoc whose closing line never comes sends the
        // tokenizer into the same endless loop.
        let in_substitution = text[..i].contains("$(") || text[..i].contains('`');
        let closed = text[i..]
            .lines()
            .skip(1)
            .any(|l| l.trim_start_matches('\t') == word);
        if word.is_empty()
            || delimiter.contains("$(")
            || delimiter.contains('`')
            || delimiter.contains("${")
            || (in_substitution && !closed)
        {
            return Err(SyntaxError {
                                message: "a heredoc with no delimiter, or one written as an expansion: guard does not read it".into(),
                offset: i,
            });
        }
    }
    let mut depth: usize = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '{' | '[' | '`' => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return Err(SyntaxError {
                        message: format!("nested more than {MAX_BRACKETS} brackets deep"),
                        offset: i,
                    });
                }
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Whether byte `at` is quoted data: inside single quotes, or double quotes (not in a
/// substitution within them), or a comment, as the shell reads what comes before it.
/// `grep "a\\|<<"` holds no heredoc. Sure only while no heredoc comes earlier (a heredoc's
/// body is data whatever its quotes): past one, `false`, and the caller checks the `<<`.
fn quoted_at(text: &str, at: usize) -> bool {
    #[derive(PartialEq)]
    enum Ctx {
        Code,
        Single,
        AnsiC,
        Double,
        Substitution,
        Backquote,
    }
    let bytes = text.as_bytes();
    let mut stack = vec![Ctx::Code];
    let mut i = 0;
    while i < at {
        let b = bytes[i];
        let top = stack.last().unwrap_or(&Ctx::Code);
        match top {
            Ctx::Single => {
                if b == b'\'' {
                    stack.pop();
                }
            }
            Ctx::AnsiC | Ctx::Double if b == b'\\' => i += 1,
            Ctx::AnsiC => {
                if b == b'\'' {
                    stack.pop();
                }
            }
            Ctx::Double => match b {
                b'"' => {
                    stack.pop();
                }
                b'$' if bytes.get(i + 1) == Some(&b'(') => {
                    stack.push(Ctx::Substitution);
                    i += 1;
                }
                b'`' => stack.push(Ctx::Backquote),
                _ => {}
            },
            Ctx::Code | Ctx::Substitution | Ctx::Backquote => match b {
                b'\\' => i += 1,
                b'\'' if i > 0 && bytes[i - 1] == b'$' => stack.push(Ctx::AnsiC),
                b'\'' => stack.push(Ctx::Single),
                b'"' => stack.push(Ctx::Double),
                b'$' if bytes.get(i + 1) == Some(&b'(') => {
                    stack.push(Ctx::Substitution);
                    i += 1;
                }
                b'(' if *top == Ctx::Substitution => stack.push(Ctx::Substitution),
                b')' if *top == Ctx::Substitution => {
                    stack.pop();
                }
                b'`' if *top == Ctx::Backquote => {
                    stack.pop();
                }
                b'`' => stack.push(Ctx::Backquote),
                b'<' if bytes.get(i + 1) == Some(&b'<') => return false,
                b'#' if i == 0
                    || bytes[i - 1].is_ascii_whitespace()
                    || b";&|(".contains(&bytes[i - 1]) =>
                {
                    match text[i..at].find('\n') {
                        Some(n) => i += n,
                        None => return true,
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    !matches!(
        stack.last(),
        Some(Ctx::Code | Ctx::Substitution | Ctx::Backquote)
    )
}

pub(super) fn char_to_byte(text: &str, chars: usize) -> usize {
    if text.is_ascii() {
        return chars.min(text.len());
    }
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

/// Rewrites `text` byte for byte outside quotes: `at(bytes, i, out)` is called at each
/// unquoted byte that is no quote or escape, may write over `out` (same length, ASCII
/// for ASCII), and returns how many bytes it consumed (0 for one, untouched). Single-
/// and double-quoted text and backslash escapes are skipped. `None` when nothing changed.
pub(super) fn rewrite_unquoted(
    text: &str,
    mut at: impl FnMut(&[u8], usize, &mut [u8]) -> usize,
) -> Option<String> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => i += text[i + 1..].find('\'').map_or(b.len(), |n| n + 2),
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'\\' => i += 2,
            _ => i += at(b, i, &mut out).max(1),
        }
    }
    (out != b).then(|| String::from_utf8(out).unwrap_or_else(|_| text.to_string()))
}
