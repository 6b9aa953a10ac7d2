//! Makes text safe to print on a terminal: argv, rule text and token fields can carry
//! escape sequences that would rewrite the screen (and hide what is being confirmed).

use std::borrow::Cow;

/// Characters that change how the text around them is shown: bidirectional overrides
/// and isolates (which can visually reorder a command) and zero-width characters.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Replaces control characters with visible escapes (`\x1b`, `\n`, `\t`), and
/// bidirectional and zero-width characters with `\u{...}`.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || invisible(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if invisible(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters_only() {
        assert_eq!(sanitize("plain text é"), "plain text é");
        assert_eq!(sanitize("a\x1b[2Jb\n"), "a\\x1b[2Jb\\n");
        assert_eq!(sanitize("\u{9b}31m"), "\\x9b31m");
        assert_eq!(sanitize("rm -rf \u{202e}tset"), "rm -rf \\u{202e}tset");
    }
}
