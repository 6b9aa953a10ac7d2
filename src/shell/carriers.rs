//! Programs that run a command given in one of their options, or that launch the rest of
//! their command line after options of their own: `tar --checkpoint-action=exec=CMD`,
//! `sed 'e CMD'`, `vim -c '!CMD'`, `emacs --eval '(shell-command "CMD")'`, `zip -TT CMD`,
//! `rsync -e CMD`, `ssh -o ProxyCommand=CMD`, `scp -S PROGRAM`, `crontab -` fed lines;
//! and `bwrap`, `unshare`, `valgrind`, `gdb --args`, `proot`, `cgexec`, `rlwrap`, `entr`,
//! `watchexec`, `catchsegv`, `toybox`, `rimraf`. Each is read as what it runs.

use super::unwrap::{Inner, Opts, argv, script, skip_options};

/// The value of `--name=V` / `--name V` (or a short `-xV` / `-x V`) options, every one.
fn values<'a>(args: &'a [String], long: &[&str], short: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = args.get(i + 1).map(String::as_str);
        for name in long.iter().chain(short) {
            if a == *name {
                out.extend(next);
                i += 1;
                break;
            }
            if let Some(v) = a.strip_prefix(name) {
                let v = if long.contains(name) {
                    v.strip_prefix('=')
                } else {
                    Some(v)
                };
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    out.push(v);
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

fn scripts(via: &str, texts: Vec<&str>) -> Vec<Inner> {
    texts
        .into_iter()
        .flat_map(|t| script(via, &[t.to_string()]))
        .collect()
}

/// GNU tar's options that run a command: `--checkpoint-action=exec=CMD`, `--to-command`,
/// `--use-compress-program` (`-I`), `--rsh-command`, `--info-script` (`-F`,
/// `--new-volume-script`).
pub(super) fn tar(args: &[String]) -> Vec<Inner> {
    let mut found: Vec<&str> = values(args, &["--checkpoint-action"], &[])
        .into_iter()
        .filter_map(|v| v.strip_prefix("exec="))
        .collect();
    found.extend(values(
        args,
        &[
            "--to-command",
            "--use-compress-program",
            "--rsh-command",
            "--info-script",
            "--new-volume-script",
        ],
        &["-I", "-F"],
    ));
    scripts("tar", found)
}

/// sed's `e CMD` command (GNU): the script's lines that start with `e `, in `-e SCRIPT`,
/// `--expression=SCRIPT` or the first operand.
pub(super) fn sed(args: &[String]) -> Vec<Inner> {
    let mut texts = values(args, &["--expression"], &["-e"]);
    if texts.is_empty() {
        let o = Opts {
            short_values: "flse",
            long_values: &["file", "line-length", "separate"],
        };
        texts.extend(args.get(skip_options(args, &o)).map(String::as_str));
    }
    let commands = texts
        .iter()
        .flat_map(|t| t.split(['\n', ';']))
        .filter_map(|line| {
            let line = line.trim_start();
            // An address may come first: `1e CMD`, `$e CMD`, `/re/e CMD`.
            let body = line.trim_start_matches(|c: char| c.is_ascii_digit() || c == '$');
            body.strip_prefix("e ").map(str::trim)
        })
        .collect();
    scripts("sed e", commands)
}

/// vim's `-c CMD`, `--cmd CMD` and `+CMD` that run a shell command (`!CMD`, `:!CMD`,
/// `silent !CMD`, `call system('CMD')`).
pub(super) fn vim(program: &str, args: &[String]) -> Vec<Inner> {
    let mut texts = values(args, &["--cmd"], &["-c"]);
    texts.extend(args.iter().filter_map(|a| a.strip_prefix('+')));
    let commands = texts
        .into_iter()
        .filter_map(|t| {
            let t = t.trim_start_matches([':', ' ']);
            let t = t.strip_prefix("silent").map_or(t, str::trim_start);
            t.strip_prefix('!').or_else(|| {
                let at = t.find("system(")?;
                let quoted = t[at + 7..].trim_start();
                let q = quoted.chars().next().filter(|c| *c == '\'' || *c == '"')?;
                quoted[1..].split(q).next()
            })
        })
        .collect();
    scripts(&format!("{program} -c"), commands)
}

/// emacs `--eval EXPR` / `-eval`: the strings given to `shell-command`,
/// `shell-command-to-string` and `async-shell-command`.
pub(super) fn emacs(args: &[String]) -> Vec<Inner> {
    let commands = values(args, &["--eval"], &["-eval"])
        .into_iter()
        .flat_map(|expr| {
            expr.match_indices("shell-command")
                .filter_map(move |(at, _)| {
                    let rest = &expr[at..];
                    let open = rest.find('"')?;
                    let body = &rest[open + 1..];
                    body.find('"').map(|end| &body[..end])
                })
                .collect::<Vec<_>>()
        })
        .collect();
    scripts("emacs --eval", commands)
}

/// `zip -T -TT CMD` / `--unzip-command CMD`: CMD tests the archive.
pub(super) fn zip(args: &[String]) -> Vec<Inner> {
    scripts("zip -TT", values(args, &["--unzip-command"], &["-TT"]))
}

/// `rsync -e CMD` / `--rsh=CMD`: CMD runs here, as the remote shell.
pub(super) fn rsync(args: &[String]) -> Vec<Inner> {
    scripts("rsync -e", values(args, &["--rsh"], &["-e"]))
}

/// ssh-family `-o ProxyCommand=CMD`, `LocalCommand`, `KnownHostsCommand` (also `-o
/// 'ProxyCommand CMD'`), and scp/sftp `-S PROGRAM`: run here, before or after the
/// connection.
pub(super) fn ssh_options(program: &str, args: &[String]) -> Vec<Inner> {
    let mut found = Vec::new();
    for option in values(args, &[], &["-o"]) {
        let (key, value) = match option.split_once(['=', ' ']) {
            Some((k, v)) => (k.trim(), v.trim()),
            None => continue,
        };
        if ["proxycommand", "localcommand", "knownhostscommand"]
            .contains(&key.to_ascii_lowercase().as_str())
            && !value.eq_ignore_ascii_case("none")
        {
            found.extend(script(&format!("{program} -o {key}"), &[value.to_string()]));
        }
    }
    if program != "ssh" {
        for prog in values(args, &[], &["-S"]) {
            found.extend(argv(&format!("{program} -S"), &[prog.to_string()]));
        }
    }
    found
}

/// `crontab -` (or no file) fed lines: each entry's command, after its five time fields
/// or its `@reboot`-style nickname, runs later.
pub(super) fn crontab_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| {
            !l.split_whitespace()
                .next()
                .is_some_and(|w| w.contains('=') && !w.starts_with('@'))
        })
        .filter_map(|l| {
            let fields = if l.starts_with('@') { 1 } else { 5 };
            let mut rest = l;
            for _ in 0..fields {
                rest = rest.trim_start();
                rest = &rest[rest.find(char::is_whitespace)?..];
            }
            Some(rest.trim().to_string())
        })
        .filter(|c| !c.is_empty())
        .collect()
}

/// Launchers that run the rest of the command line after options of their own.
pub(super) fn launcher(program: &str, args: &[String]) -> Vec<Inner> {
    let rest: &[String] = match program {
        "bwrap" => return bwrap(args),
        "unshare" => {
            let o = Opts {
                short_values: "SGRw",
                long_values: &[
                    "setgroups",
                    "setuid",
                    "setgid",
                    "root",
                    "wd",
                    "map-user",
                    "map-group",
                    "map-users",
                    "map-groups",
                    "propagation",
                    "load-interp",
                ],
            };
            &args[skip_options(args, &o)..]
        }
        "gdb" | "cgdb" => match args.iter().position(|a| a == "--args") {
            Some(at) => &args[at + 1..],
            None => &[],
        },
        "valgrind" | "catchsegv" | "toybox" => {
            &args[skip_options(
                args,
                &Opts {
                    short_values: "",
                    long_values: &[],
                },
            )..]
        }
        "proot" => {
            let o = Opts {
                short_values: "rbmqwk",
                long_values: &[
                    "rootfs",
                    "bind",
                    "mount",
                    "qemu",
                    "cwd",
                    "pwd",
                    "kernel-release",
                ],
            };
            &args[skip_options(args, &o)..]
        }
        "cgexec" => {
            &args[skip_options(
                args,
                &Opts {
                    short_values: "g",
                    long_values: &[],
                },
            )..]
        }
        "rlwrap" => {
            let o = Opts {
                short_values: "afHlpPsSotwbeqzCDgMO",
                long_values: &[
                    "file",
                    "history-filename",
                    "logfile",
                    "prompt-colour",
                    "pre-given",
                    "histsize",
                    "substitute-prompt",
                    "set-term-name",
                    "wait-before-prompt",
                    "break-chars",
                    "extra-char-after-completion",
                    "quote-characters",
                    "filter",
                    "command-name",
                    "history-no-dupes",
                    "forget-matching",
                    "only-cook",
                ],
            };
            &args[skip_options(args, &o)..]
        }
        "entr" => {
            // `entr -s 'CMD'` hands CMD to a shell.
            let at = skip_options(
                args,
                &Opts {
                    short_values: "",
                    long_values: &[],
                },
            );
            if args[..at]
                .iter()
                .any(|a| a.starts_with('-') && a.contains('s'))
            {
                return script(program, args.get(at..at + 1).unwrap_or_default());
            }
            &args[at..]
        }
        "watchexec" => match args.iter().position(|a| a == "--") {
            Some(at) => &args[at + 1..],
            None => {
                let o = Opts {
                    short_values: "wefidsWEF",
                    long_values: &[
                        "watch",
                        "exts",
                        "filter",
                        "ignore",
                        "debounce",
                        "signal",
                        "shell",
                        "on-busy-update",
                        "delay-run",
                        "poll",
                        "project-origin",
                        "workdir",
                        "env",
                        "filter-file",
                        "ignore-file",
                        "stop-signal",
                        "stop-timeout",
                    ],
                };
                &args[skip_options(args, &o)..]
            }
        },
        _ => &[],
    };
    argv(program, rest)
}

/// bubblewrap: options take zero, one or two operands; the command follows them.
fn bwrap(args: &[String]) -> Vec<Inner> {
    const TWO: &[&str] = &[
        "--bind",
        "--bind-try",
        "--dev-bind",
        "--dev-bind-try",
        "--ro-bind",
        "--ro-bind-try",
        "--setenv",
        "--symlink",
        "--file",
        "--bind-data",
        "--ro-bind-data",
        "--chmod",
        "--overlay-src",
    ];
    const ONE: &[&str] = &[
        "--args",
        "--userns",
        "--userns2",
        "--pidns",
        "--uid",
        "--gid",
        "--hostname",
        "--chdir",
        "--unsetenv",
        "--lock-file",
        "--sync-fd",
        "--remount-ro",
        "--exec-label",
        "--file-label",
        "--proc",
        "--dev",
        "--tmpfs",
        "--mqueue",
        "--dir",
        "--seccomp",
        "--add-seccomp-fd",
        "--block-fd",
        "--userns-block-fd",
        "--info-fd",
        "--json-status-fd",
        "--cap-add",
        "--cap-drop",
        "--perms",
        "--size",
        "--argv0",
        "--tmp-overlay",
        "--ro-overlay",
    ];
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with("--") {
            break;
        }
        i += 1 + if TWO.contains(&a.as_str()) {
            2
        } else {
            usize::from(ONE.contains(&a.as_str()))
        };
    }
    argv("bwrap", args.get(i..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crontab_entries_are_their_commands() {
        assert_eq!(
            crontab_lines(
                "# m h dom mon dow\nSHELL=/bin/sh\n0 3 * * * rm -rf /srv\n@reboot terraform destroy\n"
            ),
            ["rm -rf /srv", "terraform destroy"]
        );
    }
}
