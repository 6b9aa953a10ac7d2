//! Makes text safe to print on a terminal: argv, rule text and token fields can carry
//! escape sequences that would rewrite the screen (and hide what is being confirmed).

use std::borrow::Cow;

/// Replaces control characters with visible escapes (`\x1b`, `\n`, `\t`).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
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
    }
}
