//! What a command writes into a pipe when guard can know it: literal `echo`, `printf`,
//! `cat` and `tee` output, so `echo 'cmd' | sh` is read as the command it pipes; and
//! heredoc or here-string text, known or only known when the shell runs.

use super::parse::Stdin;
use super::words::{self, Expanded};

/// How an unknown stdin names the files `find -name PATTERN` printed.
pub(super) const FOUND_NAMES: &str = "the names find selects: ";

/// Text whose value guard knows, or an unknown source when it depends on expansions.
pub(super) fn known_or_not(e: Expanded, what: &str) -> Stdin {
    // A heredoc with `$HOME` in it is still mostly known: the commands in it are
    // read; a body that is nothing but an expansion (`<<< "$X"`) is not.
    let only_expansions = !e.literal && e.fixed == 0;
    if only_expansions {
        Stdin::Unknown(format!("{what} holding a value only known when it runs"))
    } else {
        Stdin::text(e.text)
    }
}

/// What `echo`, `printf`, `cat` and `tee` of literal text write, so `echo 'cmd' | sh`
/// can be read.
pub(super) fn literal_output(argv: &[String], all_literal: bool, stdin: &Stdin) -> Stdin {
    // Built without the formatting machinery: this runs for every command.
    let unknown = || Stdin::Unknown(["the output of ", argv[0].as_str()].concat());
    // A tool's own setup code (`pyenv init -`, `kubectl completion bash`): known harmless.
    if all_literal && super::setup::prints_setup_code(argv) {
        return Stdin::text(String::new());
    }
    if !all_literal {
        return unknown();
    }
    match argv[0].as_str() {
        "echo" => {
            let mut args = &argv[1..];
            let mut escapes = false;
            while let Some(flag) = args.first().filter(|a| {
                a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c))
            }) {
                escapes |= flag.contains('e');
                args = &args[1..];
            }
            let text = args.join(" ");
            // dash's echo (the /bin/sh of Debian and Ubuntu) always reads escapes, bash's
            // only with -e: text with a backslash may be read either way, so both
            // readings are what it writes.
            if !escapes && text.contains('\\') {
                let decoded = words::decode_echo(&text);
                return Stdin::text(if decoded == text {
                    text + "\n"
                } else {
                    format!("{text}\n{decoded}\n")
                });
            }
            Stdin::text(
                if escapes {
                    words::decode_ansi_c(&text)
                } else {
                    text
                } + "\n",
            )
        }
        "printf" => {
            let Some(format) = argv.get(1) else {
                return unknown();
            };
            let mut text = words::decode_ansi_c(format);
            for arg in &argv[2..] {
                match ["%s", "%b", "%d"].iter().filter_map(|p| text.find(p)).min() {
                    // `%b` reads escapes in its argument; `%s` and `%d` do not.
                    Some(at) if text[at..].starts_with("%b") => {
                        text.replace_range(at..at + 2, &words::decode_printf_b(arg))
                    }
                    Some(at) => text.replace_range(at..at + 2, arg),
                    None => {
                        text.push(' ');
                        text.push_str(arg);
                    }
                }
            }
            Stdin::text(text)
        }
        // `cat`, `cat -` and `tee FILE...` pass their input through.
        "cat" if argv[1..].iter().all(|a| a == "-") => stdin.clone(),
        "tee" => stdin.clone(),
        // `find … -name PATTERN`: names guard cannot list, but whose pattern it knows.
        "find" => match argv
            .windows(2)
            .filter(|w| matches!(w[0].as_str(), "-name" | "-iname"))
            .map(|w| w[1].clone())
            .next_back()
        {
            Some(pattern) => Stdin::Unknown(format!("{FOUND_NAMES}{pattern}")),
            None => unknown(),
        },
        _ => unknown(),
    }
}
