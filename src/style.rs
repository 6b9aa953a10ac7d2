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
