//! The command lines guard reads before nearly every command an agent runs, read
//! without clap: building clap's whole command tree (every subcommand, every option)
//! and dropping it again costs a third of a `guard check`. Only the exact shapes below
//! are read here, each into the very `Cli` clap would make (a test holds them equal);
//! any other word, an option, a missing value, falls through to clap, which reads it
//! and reports what is wrong.
//!
//! - `guard check [--json] -- PROGRAM [ARGS...]` and `guard check [--json] -c STRING`
//! - `guard hook AGENT`
//! - `guard -- PROGRAM [ARGS...]` and `guard -c STRING`

use super::{CheckArgs, Cli, GlobalArgs, Sub};
use std::ffi::OsString;

/// The `Cli` for `words` (the arguments after the program name), or `None` to let clap
/// read them.
pub fn parse(words: &[OsString]) -> Option<Cli> {
    let (first, rest) = words.split_first()?;
    match first.to_str()? {
        "check" => {
            let (json, rest) = match rest.split_first() {
                Some((w, tail)) if w == "--json" => (true, tail),
                _ => (false, rest),
            };
            let (shell, argv) = command(rest)?;
            let args = CheckArgs {
                json,
                shell,
                stdin: false,
                argv,
            };
            Some(cli(Some(Sub::Check(args)), None, Vec::new()))
        }
        "hook" => match rest {
            [agent] => {
                let agent = agent.to_str()?;
                crate::agents::hook_names().contains(&agent).then(|| {
                    cli(
                        Some(Sub::Hook {
                            agent: agent.into(),
                        }),
                        None,
                        Vec::new(),
                    )
                })
            }
            _ => None,
        },
        _ => {
            let (shell, argv) = command(words)?;
            Some(cli(None, shell, argv))
        }
    }
}

/// `-- PROGRAM [ARGS...]` or `-c STRING`, and nothing more: the shell string, or the argv.
fn command(words: &[OsString]) -> Option<(Option<String>, Vec<OsString>)> {
    match words {
        [dashes, argv @ ..] if dashes == "--" && !argv.is_empty() => Some((None, argv.to_vec())),
        [c, string] if c == "-c" => {
            let string = string.to_str()?;
            // clap reads `-c --` and `-c -…` by its own rules; leave those to it.
            (!string.starts_with('-')).then(|| (Some(string.to_string()), Vec::new()))
        }
        _ => None,
    }
}

fn cli(command: Option<Sub>, shell: Option<String>, argv: Vec<OsString>) -> Cli {
    Cli {
        global: GlobalArgs::default(),
        command,
        shell,
        argv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn words(line: &[&str]) -> Vec<OsString> {
        line.iter().map(OsString::from).collect()
    }

    /// Every shape read here is read exactly as clap reads it.
    #[test]
    fn the_quick_reading_is_claps_reading() {
        let lines: &[&[&str]] = &[
            &["check", "--", "ls", "-la"],
            &["check", "--json", "--", "terraform", "destroy", "--", "x"],
            &["check", "--", "--json"],
            &["check", "-c", "git push --force && ls"],
            &["check", "--json", "-c", "rm -rf /"],
            &["check", "-c", ""],
            &["hook", "claude-code"],
            &["hook", "codex"],
            &["hook", "gemini"],
            &["--", "terraform", "plan"],
            &["--", "-c", "x"],
            &["-c", "cd infra && terraform plan"],
        ];
        for line in lines {
            let quick = parse(&words(line)).unwrap_or_else(|| panic!("not read: {line:?}"));
            let clap = Cli::try_parse_from(std::iter::once("guard").chain(line.iter().copied()))
                .unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_eq!(format!("{quick:?}"), format!("{clap:?}"), "{line:?}");
        }
    }

    /// Anything else, including every mistake, is left to clap and its messages.
    #[test]
    fn every_other_line_is_left_to_clap() {
        let lines: &[&[&str]] = &[
            &[],
            &["check"],
            &["check", "--"],
            &["check", "--stdin"],
            &["check", "--json"],
            &["check", "ls"],
            &["check", "--json", "--json", "--", "ls"],
            &["check", "-c"],
            &["check", "-c", "ls", "--", "ls"],
            &["check", "-c", "--"],
            &["check", "--quiet", "--", "ls"],
            &["hook"],
            &["hook", "vim"],
            &["hook", "claude-code", "extra"],
            &["--"],
            &["--quiet", "--", "ls"],
            &["--approval", "T", "--", "terraform", "destroy"],
            &["-c"],
            &["-c", "-x"],
            &["terraform", "plan"],
            &["rules", "list"],
            &["chek", "--", "ls"],
        ];
        for line in lines {
            assert!(parse(&words(line)).is_none(), "{line:?} was read");
        }
    }

    #[cfg(unix)]
    #[test]
    fn words_that_are_not_utf8_are_kept_after_the_dashes_and_left_to_clap_elsewhere() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'x', 0xff]);
        let line = vec!["check".into(), "--".into(), "rm".into(), odd.clone()];
        let quick = parse(&line).expect("read");
        assert!(matches!(quick.command, Some(Sub::Check(ref a)) if a.argv[1] == odd));
        assert!(parse(&["check".into(), "-c".into(), odd.clone()]).is_none());
        assert!(parse(&["hook".into(), odd]).is_none());
    }
}
