//! Colour, only where a person reads it: on a terminal, never with `NO_COLOR` set
//! (https://no-color.org) or `TERM=dumb`.

use std::io::IsTerminal;

#[derive(Debug, Clone, Copy)]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

/// Whether output to stdout may be coloured.
pub fn stdout_colour() -> bool {
    allowed(std::io::stdout().is_terminal(), |k| std::env::var_os(k))
}

fn allowed(terminal: bool, var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    terminal
        && var("NO_COLOR").is_none_or(|v| v.is_empty())
        && var("TERM").is_none_or(|t| t != "dumb")
}

/// Whether a terminal guard opened itself (the prompt's `/dev/tty`) may be coloured.
pub fn tty_colour(_tty: &std::fs::File) -> bool {
    // A terminal names its type; with none set, nothing says it reads colour.
    std::env::var_os("TERM").is_some_and(|t| !t.is_empty())
        && allowed(true, |k| std::env::var_os(k))
}

/// A confirmation prompt, coloured when `on`: its first line (what is asked) in yellow,
/// each rule's name in red, and the word to type in bold.
pub fn prompt(text: &str, on: bool) -> String {
    if !on {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 0 {
            let (body, nl) = line.split_at(line.trim_end_matches('\n').len());
            out.push_str(&paint(body, Colour::Yellow, true));
            out.push_str(nl);
        } else if let Some(rest) = line.strip_prefix("  rule:") {
            let name_end = rest.find(" (").unwrap_or(0);
            out.push_str("  rule:");
            out.push_str(&paint(&rest[..name_end], Colour::Red, true));
            out.push_str(&rest[name_end..]);
        } else if let Some(rest) = line.strip_prefix("Type `") {
            // Type `WORD` to ...: the word in bold.
            match rest.find('`') {
                Some(end) => {
                    out.push_str("Type `\x1b[1m");
                    out.push_str(&rest[..end]);
                    out.push_str("\x1b[0m");
                    out.push_str(&rest[end..]);
                }
                None => out.push_str(line),
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `text` in `colour` when `on`, else as it is.
pub fn paint(text: &str, colour: Colour, on: bool) -> String {
    if !on {
        return text.to_string();
    }
    let code = match colour {
        Colour::Green => "32",
        Colour::Yellow => "33",
        Colour::Red => "1;31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_is_coloured_only_when_asked() {
        let text = "guard: this command needs your confirmation\n  command: x\n  rule:    git.push-force (confirm): r\nType `main` to run it: ";
        assert_eq!(prompt(text, false), text);
        let c = prompt(text, true);
        assert!(c.starts_with("\x1b[33mguard: this command needs your confirmation\x1b[0m\n"));
        assert!(
            c.contains("  rule:\x1b[1;31m    git.push-force\x1b[0m (confirm)"),
            "{c}"
        );
        assert!(c.contains("Type `\x1b[1mmain\x1b[0m` to run it"));
    }

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert!(allowed(true, env(&[("TERM", "xterm")])));
        assert!(!allowed(false, env(&[])));
        assert!(!allowed(true, env(&[("NO_COLOR", "1")])));
        // An empty NO_COLOR does not count, as the convention says.
        assert!(allowed(true, env(&[("NO_COLOR", "")])));
        assert!(!allowed(true, env(&[("TERM", "dumb")])));
        assert_eq!(paint("x", Colour::Red, false), "x");
        assert_eq!(paint("x", Colour::Green, true), "\x1b[32mx\x1b[0m");
    }
}
