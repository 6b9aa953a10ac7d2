//! guard's own command line, met inside a shell string (`guard -qc '…'`, `guard --config
//! f -- terraform destroy`): what it would run. guard's grammar is data here, like every
//! other tool's: which global options take a value, which are flags, which words are
//! subcommands. A test in `cli` keeps these lists equal to the clap definition, so every
//! spelling guard accepts is read, and a command line guard would reject runs nothing.

/// Global options that take a value (`--config FILE`, `--config=FILE`).
pub const VALUE_OPTIONS: &[&str] = &[
    "--config",
    "--approval",
    "--approval-file",
    "--break-glass",
    "--plan-timeout-cap",
    "--wait",
];
/// Global options that take none.
pub const FLAGS: &[&str] = &["--non-interactive", "--quiet", "--help", "--version"];
/// Short flags, which may be clustered (`-qc STRING`).
pub const SHORT_FLAGS: &[char] = &['q', 'h', 'V'];
/// Subcommands that run nothing of the caller's.
pub const SUBCOMMANDS: &[&str] = &[
    "check",
    "rules",
    "request",
    "hook",
    "install",
    "uninstall",
    "shim",
    "breaker",
    "doctor",
    "completions",
    "man",
    "log",
    "approve",
    "setup",
    "supervise",
    "help",
];

/// What a guard command line runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runs {
    /// `guard [OPTIONS] -- PROGRAM ARGS...`
    Argv(Vec<String>),
    /// `guard [OPTIONS] -c STRING`
    Shell(String),
    /// A subcommand, or a command line guard rejects.
    Nothing,
}

/// Reads guard's arguments (after the program name) the way guard's own parser does.
pub fn read(args: &[String]) -> Runs {
    let mut shell: Option<String> = None;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        if a == "--" {
            let rest = args[i..].to_vec();
            return match shell {
                None if !rest.is_empty() => Runs::Argv(rest),
                _ => Runs::Nothing,
            };
        }
        if let Some(long) = a.strip_prefix("--") {
            let name = format!("--{}", long.split('=').next().unwrap_or_default());
            if VALUE_OPTIONS.contains(&name.as_str()) {
                if !long.contains('=') {
                    i += 1;
                }
            } else if !FLAGS.contains(&name.as_str()) || long.contains('=') {
                return Runs::Nothing;
            }
            continue;
        }
        if let Some(cluster) = a.strip_prefix('-').filter(|c| !c.is_empty()) {
            match short_cluster(cluster, args.get(i)) {
                Some((value, used_next)) => {
                    if value.is_some() {
                        if shell.is_some() {
                            return Runs::Nothing;
                        }
                        shell = value;
                    }
                    i += usize::from(used_next);
                }
                None => return Runs::Nothing,
            }
            continue;
        }
        // `guard supervise -- PROGRAM ARGS...` runs PROGRAM (and decides what it starts).
        if a == "supervise" && shell.is_none() {
            let rest = &args[i..];
            return match rest.iter().position(|w| w == "--") {
                Some(at) if at + 1 < rest.len() => Runs::Argv(rest[at + 1..].to_vec()),
                _ => Runs::Nothing,
            };
        }
        // A subcommand, or a word guard does not take.
        return Runs::Nothing;
    }
    shell.map_or(Runs::Nothing, Runs::Shell)
}

/// The subcommand of a guard command line: its first word that is not a global option
/// (or a global option's value); `None` for `guard -- ...` and `guard -c ...`.
pub fn subcommand<'a>(words: &[&'a str]) -> Option<&'a str> {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        i += 1;
        if *w == "--" {
            return None;
        }
        if let Some(long) = w.strip_prefix("--") {
            let name = format!("--{}", long.split('=').next().unwrap_or_default());
            if VALUE_OPTIONS.contains(&name.as_str()) && !long.contains('=') {
                i += 1;
            }
            continue;
        }
        if w.starts_with('-') && w.len() > 1 {
            if w.contains('c') {
                return None;
            }
            continue;
        }
        return Some(w);
    }
    None
}

/// A cluster of short options: flags, possibly ending in `c` with its value attached
/// (`-qcSTRING`) or in the next word. Returns `-c`'s value, if there is one, and whether
/// the next word was taken; `None` when an option is not guard's.
fn short_cluster(cluster: &str, next: Option<&String>) -> Option<(Option<String>, bool)> {
    for (at, c) in cluster.char_indices() {
        if c == 'c' {
            let attached = &cluster[at + 1..];
            return if attached.is_empty() {
                next.map(|n| (Some(n.clone()), true))
            } else {
                Some((Some(attached.to_string()), false))
            };
        }
        if !SHORT_FLAGS.contains(&c) {
            return None;
        }
    }
    Some((None, false))
}

/// What a person most likely meant by a command line guard does not take: a subcommand
/// misspelled (`guard chek`), or a program written without the `--` before it (`guard
/// terraform plan`). `None` when the first word is a subcommand or none is given.
pub fn did_you_mean(args: &[String]) -> Option<String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = subcommand(&words)?;
    if SUBCOMMANDS.contains(&first) {
        return None;
    }
    let close = SUBCOMMANDS
        .iter()
        .map(|s| (edit_distance(first, s), *s))
        .filter(|(d, s)| *d <= 2 && *d < s.len())
        .min();
    Some(match close {
        Some((_, sub)) => {
            format!("`{first}` is not a guard subcommand; did you mean `guard {sub}`?")
        }
        None => {
            let at = words.iter().position(|w| *w == first).unwrap_or(0);
            let (before, rest) = words.split_at(at);
            let shown = crate::shell::Command::from_argv(rest).to_string();
            let opts = if before.is_empty() {
                String::new()
            } else {
                format!("{} ", before.join(" "))
            };
            format!(
                "`{first}` is not a guard subcommand; to run it through guard, put it after `--`: guard {opts}-- {shown}"
            )
        }
    })
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_words(line: &str) -> Runs {
        let words: Vec<String> = line.split(' ').map(String::from).collect();
        read(&words)
    }

    #[test]
    fn every_spelling_of_what_guard_runs() {
        assert_eq!(
            read_words("-- terraform destroy"),
            Runs::Argv(vec!["terraform".into(), "destroy".into()])
        );
        assert_eq!(
            read_words("--config f.toml -- rm x"),
            Runs::Argv(vec!["rm".into(), "x".into()])
        );
        assert_eq!(
            read_words("--config=f.toml -q -- rm"),
            Runs::Argv(vec!["rm".into()])
        );
        assert_eq!(
            read(&["-qc".into(), "rm -rf /".into()]),
            Runs::Shell("rm -rf /".into())
        );
        assert_eq!(read(&["-crm".into()]), Runs::Shell("rm".into()));
        assert_eq!(
            read(&["-c".into(), "x".into(), "--quiet".into()]),
            Runs::Shell("x".into())
        );
    }

    #[test]
    fn subcommands_and_rejected_lines_run_nothing() {
        assert_eq!(read_words("check -- terraform destroy"), Runs::Nothing);
        assert_eq!(
            read_words("--config check -- terraform destroy"),
            Runs::Argv(vec!["terraform".into(), "destroy".into()])
        );
        assert_eq!(read_words("rules list"), Runs::Nothing);
        assert_eq!(read_words("--frobnicate -- rm"), Runs::Nothing);
        assert_eq!(read_words("-x -- rm"), Runs::Nothing);
        assert_eq!(read_words("terraform destroy"), Runs::Nothing);
        assert_eq!(
            read(&["-c".into(), "a".into(), "--".into(), "rm".into()]),
            Runs::Nothing
        );
        assert_eq!(read(&[]), Runs::Nothing);
    }

    #[test]
    fn supervise_runs_its_program() {
        assert_eq!(
            read_words("--wait 5m supervise -- terraform destroy"),
            Runs::Argv(vec!["terraform".into(), "destroy".into()])
        );
        assert_eq!(read_words("supervise"), Runs::Nothing);
        assert_eq!(
            subcommand(&["--config", "f", "approve", "x"]),
            Some("approve")
        );
        assert_eq!(subcommand(&["-q", "breaker", "reset"]), Some("breaker"));
        assert_eq!(subcommand(&["--", "approve"]), None);
        assert_eq!(subcommand(&["-qc", "guard approve"]), None);
    }
}
