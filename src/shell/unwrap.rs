//! Programs that run another command: what they run, read from their own grammar.
//!
//! `sudo -u root terraform destroy` runs `terraform destroy`; `bash -lc 'STRING'` runs the
//! shell string; `ssh -p 22 host kubectl delete ns x` runs the remote string; `find /
//! -exec rm -rf {} +` runs `rm -rf {}`. Each wrapper's options that take a value are
//! listed, so the value is never mistaken for the command. The programs with more than
//! a line of grammar are in `runners.rs`.

use super::launchers::*;
use super::remote::*;
use super::runners::*;

/// What a command runs besides itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    /// Another command, with assignments the wrapper adds (`env X=1 cmd`).
    Argv {
        via: String,
        argv: Vec<String>,
        assignments: Vec<(String, String)>,
        /// `xargs -I R`: each line the command is fed goes where R stands, one command
        /// a line, instead of at the end.
        replace: Option<String>,
    },
    /// A shell string (`bash -c`, `eval`, `ssh host CMD`, `watch 'CMD'`).
    Script {
        via: String,
        text: String,
        /// `$1`, `$2`... for the script (`sh -c STRING NAME ARGS...`).
        args: Option<Vec<String>>,
    },
    /// A shell reads its program from standard input.
    ShellStdin { via: String },
    /// An interpreter reads its program from standard input.
    InterpreterStdin { via: String },
    /// An interpreter runs inline code (`python3 -c CODE`).
    Code { via: String, code: String },
    /// A script or a task runner's recipe, read from its file (`bash x.sh`, `npm run
    /// destroy`, `make destroy`).
    Recipe {
        via: String,
        recipe: super::recipes::Recipe,
    },
}

const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "yash", "fish", "csh", "tcsh",
];

/// An option scanner: which short letters and long names take a value.
pub(super) struct Opts {
    pub(super) short_values: &'static str,
    pub(super) long_values: &'static [&'static str],
}

/// Scans leading options; returns the index of the first operand (after `--` if given).
pub(super) fn skip_options(args: &[String], o: &Opts) -> usize {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            return i + 1;
        }
        if !a.starts_with('-') || a == "-" {
            return i;
        }
        if let Some(long) = a.strip_prefix("--") {
            if !long.contains('=') && o.long_values.contains(&long) {
                i += 1;
            }
        } else {
            let body = &a[1..];
            for (k, c) in body.char_indices() {
                if o.short_values.contains(c) {
                    if k + c.len_utf8() == body.len() {
                        i += 1;
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    // An option that takes a value can be the last word: the index never passes the end.
    i.min(args.len())
}

pub(super) fn argv(via: &str, rest: &[String]) -> Vec<Inner> {
    if rest.is_empty() {
        return Vec::new();
    }
    vec![Inner::Argv {
        via: via.to_string(),
        argv: rest.to_vec(),
        assignments: Vec::new(),
        replace: None,
    }]
}

pub(super) fn script(via: &str, words: &[String]) -> Vec<Inner> {
    if words.is_empty() {
        return Vec::new();
    }
    vec![Inner::Script {
        via: via.to_string(),
        text: words.join(" "),
        args: None,
    }]
}

/// What `argv` runs besides itself; empty when it runs nothing else.
pub fn inner(argv: &[String]) -> Vec<Inner> {
    let Some(first) = argv.first() else {
        return Vec::new();
    };
    let program = first.rsplit('/').next().unwrap_or(first);
    let args = &argv[1..];
    let simple = |short: &'static str, long: &'static [&'static str], operands: usize| {
        let start = skip_options(
            args,
            &Opts {
                short_values: short,
                long_values: long,
            },
        ) + operands;
        args.get(start..)
            .map_or_else(Vec::new, |rest| self::argv(program, rest))
    };
    match program {
        "sudo" => sudo(args),
        "doas" => simple("uC", &[], 0),
        "env" => env(args),
        "nohup" | "builtin" | "unbuffer" | "pkexec" if args.first().is_some_and(|a| a == "--") => {
            self::argv(program, &args[1..])
        }
        "nohup" | "builtin" | "unbuffer" => self::argv(program, args),
        "pkexec" => simple("", &["user"], 0),
        "su" | "runuser" => su(program, args),
        "script" => script_cmd(program, args),
        "taskset" => taskset(program, args),
        "strace" | "ltrace" => simple(
            "abeEIoOpPsSuUX",
            &["output", "signal", "trace", "status", "user", "env"],
            0,
        ),
        "nsenter" => simple(
            "tSGwrCTmunipU",
            &["target", "setuid", "setgid", "wd", "root", "env"],
            0,
        ),
        "systemd-run" => simple(
            "pEM",
            &[
                "unit",
                "property",
                "description",
                "slice",
                "uid",
                "gid",
                "nice",
                "working-directory",
                "setenv",
                "machine",
                "host",
                "on-active",
                "on-boot",
                "on-calendar",
                "timer-property",
                "path-property",
                "socket-property",
                "service-type",
            ],
            0,
        ),
        "at" | "batch" => at(program, args),
        "parallel" => parallel(program, args),
        "tmux" => tmux(args),
        "screen" => screen(program, args),
        "setsid" => simple("", &[], 0),
        "exec" => simple("a", &[], 0),
        "command" => command(program, args),
        "time" => simple("fo", &["format", "output"], 0),
        "timeout" => simple("sk", &["signal", "kill-after"], 1),
        "nice" => nice(args),
        "ionice" => ionice(program, args),
        "stdbuf" => simple("ioe", &["input", "output", "error"], 0),
        // Launchers that set limits, a scheduler, a sandbox or a proxy, then run the rest.
        "fakeroot" => simple("lsib", &["lib", "faked"], 0),
        "prlimit" => simple("p", &["pid", "output"], 0),
        "chrt" => simple(
            "TPD",
            &["sched-runtime", "sched-period", "sched-deadline"],
            1,
        ),
        "numactl" => simple(
            "imNCpP",
            &[
                "interleave",
                "membind",
                "cpunodebind",
                "physcpubind",
                "preferred",
                "preferred-many",
                "weighted-interleave",
            ],
            0,
        ),
        "firejail" => simple("", &[], 0),
        "xvfb-run" => simple(
            "nsfepw",
            &[
                "server-num",
                "server-args",
                "auth-file",
                "error-file",
                "xauth-protocol",
                "wait",
            ],
            0,
        ),
        "proxychains" | "proxychains4" => simple("f", &[], 0),
        "chpst" => simple("uUbe/nlLmdoptfc", &[], 0),
        // `sg GROUP -c 'CMD'` runs the string; `sg GROUP CMD...` the command.
        "sg" => match args {
            [_, c, text, ..] if c == "-c" => script(program, std::slice::from_ref(text)),
            [_, rest @ ..] => self::argv(program, rest),
            [] => Vec::new(),
        },
        "chroot" => simple("", &["userspec", "groups"], 1),
        "flock" => flock(args),
        "xargs" => xargs(args),
        "watch" => watch(args),
        "eval" => script(program, args),
        // `busybox APPLET ARGS...` is the applet.
        "busybox" => self::argv(program, args),
        // `trap 'CMD' SIGNAL...` runs CMD later, in this shell.
        "trap" => trap(program, args),
        "guard" => guard(args),
        "git" => git_alias(args),
        "npx" | "bunx" | "pnpx" | "uvx" => super::tools::package_runner(program, args),
        // A package.json script (`npm run X`), else the runner's own exec, else (yarn,
        // pnpm) an installed binary by its name.
        "npm" | "pnpm" | "yarn" | "bun" | "bundle" | "bundler" | "poetry" | "uv" | "pipx"
        | "pdm" | "rye" | "hatch" | "pipenv" => matches!(program, "npm" | "pnpm" | "yarn" | "bun")
            .then(|| super::tools::package_script(program, args))
            .flatten()
            .or_else(|| super::tools::runner_subcommand(program, args))
            .unwrap_or_else(|| match program {
                "yarn" | "pnpm" => super::tools::package_bin(program, args),
                _ => Vec::new(),
            }),
        "make" | "gmake" => super::tools::make(program, args),
        "just" => super::tools::just(program, args),
        "heroku" => super::tools::heroku_run(args),
        "scalingo" => super::tools::scalingo_run(args),
        // Runners that set up credentials or tools, then run what follows `--`.
        "aws-vault" | "doppler" | "op" | "mise" | "rtx" | "dotenv" | "dotenvx" | "infisical"
        | "chamber" | "with-contenv" => credential_runner(program, args),
        "direnv" if args.first().is_some_and(|a| a == "exec") => {
            self::argv(program, args.get(2..).unwrap_or_default())
        }
        "nix-shell" | "nix" => nix(program, args),
        "ssh" => {
            let mut found = ssh(program, args);
            found.extend(super::carriers::ssh_options(program, args));
            found
        }
        "scp" | "sftp" => super::carriers::ssh_options(program, args),
        "tar" | "gtar" => super::carriers::tar(args),
        "sed" | "gsed" => super::carriers::sed(args),
        "vim" | "vi" | "nvim" | "view" | "ex" | "gvim" => super::carriers::vim(program, args),
        "emacs" | "emacsclient" => super::carriers::emacs(args),
        "zip" => super::carriers::zip(args),
        "rsync" => super::carriers::rsync(args),
        "bwrap" | "unshare" | "gdb" | "cgdb" | "valgrind" | "catchsegv" | "toybox" | "proot"
        | "cgexec" | "rlwrap" | "entr" | "watchexec" => super::carriers::launcher(program, args),
        // `rimraf PATH...` is `rm -rf PATH...` (npm's cross-platform one).
        "rimraf" => {
            let mut words = vec!["rm".to_string(), "-rf".to_string(), "--".to_string()];
            words.extend(args.iter().filter(|a| !a.starts_with('-')).cloned());
            self::argv(program, &words)
        }
        // `. /dev/stdin <<< 'CMD'`: the shell reads the script from its input.
        "." | "source"
            if args
                .first()
                .is_some_and(|a| a == "/dev/stdin" || a == "/proc/self/fd/0") =>
        {
            vec![Inner::ShellStdin {
                via: program.to_string(),
            }]
        }
        "." | "source" => args.first().map_or_else(Vec::new, |file| {
            vec![Inner::Recipe {
                via: format!("{program} {file}"),
                recipe: super::recipes::Recipe::ShellFile(file.clone()),
            }]
        }),
        // git's dashed forms (`git-push` is `git push`, as git dispatches `git lfs` to
        // `git-lfs`).
        p if p.starts_with("git-") && p.len() > 4 => {
            let mut words = vec![p[4..].to_string()];
            words.extend_from_slice(args);
            let mut found = git_alias(&words);
            let mut whole = vec!["git".to_string()];
            whole.extend(words);
            found.extend(self::argv(program, &whole));
            found
        }
        "find" => find(args),
        "kubectl" | "oc" => {
            let mut found = after_double_dash(program, args, &["exec", "debug", "run"]);
            found.extend(kubectl_plugin(program, args));
            found
        }
        "docker" | "podman" | "nerdctl" => container(program, args),
        // Compose v1 and podman's: `docker-compose exec db CMD` is `docker compose exec`.
        "docker-compose" | "podman-compose" => {
            let mut words = vec!["compose".to_string()];
            words.extend_from_slice(args);
            container(program, &words)
        }
        "fly" | "flyctl" | "gcloud" | "vagrant" | "az" | "aws" | "salt" | "salt-ssh"
        | "salt-call" => machine_command(program, args),
        "multipass" => multipass(program, args),
        "pssh" | "parallel-ssh" | "pdsh" | "clush" => parallel_shell(program, args),
        "fd" | "fdfind" => fd(args),
        "lxc" | "incus" | "lxd.lxc" | "lxc-attach" => instance_exec(program, args),
        "ansible" => ansible(program, args),
        "java" if args.iter().any(|a| a == "-jar") => java_jar(args),
        "atmos" => atmos(args),
        "limactl" | "lima" => lima(program, args),
        p if SHELLS.contains(&p) => shell(program, args),
        // `$SHELL -c '...'`: the user's shell, whichever it is.
        "$SHELL" | "${SHELL}" | "$BASH" | "${BASH}" => shell("$SHELL", args),
        "powershell" | "powershell.exe" | "pwsh" | "pwsh.exe" => {
            super::windows::powershell(program, args)
        }
        p if p.eq_ignore_ascii_case("remove-item")
            || p.eq_ignore_ascii_case("microsoft.powershell.management\\remove-item") =>
        {
            super::windows::remove_item(program, args)
        }
        // PowerShell's `rd`/`rmdir` with a parameter are Remove-Item; cmd's take `/s`.
        "rd" | "rmdir"
            if args.iter().any(|a| {
                a.len() > 1 && a.starts_with('-') && "-recurse".starts_with(&a.to_ascii_lowercase())
            }) =>
        {
            super::windows::remove_item(program, args)
        }
        // Ruby's documentation tool is `ri` too: its options are GNU-style.
        "ri" if args.is_empty() || args.iter().any(|a| a.starts_with("--")) => Vec::new(),
        "erase" | "del" if args.is_empty() => Vec::new(),
        "Remove-Item" | "remove-item" | "ri" | "erase" | "del" => {
            if args.iter().any(|a| a.starts_with('/')) && !args.iter().any(|a| a.starts_with('-')) {
                super::windows::cmd_delete(program, program, args)
            } else {
                super::windows::remove_item(program, args)
            }
        }
        "rd" => super::windows::cmd_delete(program, program, args),
        "cmd" | "cmd.exe" => super::windows::cmd(program, args),
        "rmdir"
            if args
                .iter()
                .any(|a| a.starts_with('/') && a.to_ascii_lowercase().contains("/s")) =>
        {
            super::windows::cmd_delete(program, program, args)
        }
        p if super::sql::is_sql_client(p) => super::sql::sql_client(program, args),
        p if is_interpreter(p) => interpreter(program, args),
        "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk" => awk(program, args),
        // A script run by its path (`./deploy.sh`, `scripts/x.sh`, `/opt/x/run.sh`): its
        // text, when it is a shell script guard can read.
        _ if first.contains('/') && (!first.starts_with('/') || first.ends_with(".sh")) => {
            vec![Inner::Recipe {
                via: first.clone(),
                recipe: super::recipes::Recipe::ShellFile(first.clone()),
            }]
        }
        _ => Vec::new(),
    }
}

/// `git -c alias.NAME=VALUE NAME ARGS...`: an alias given on the command line runs
/// `VALUE` — a shell string when it starts with `!`, else git with those words.
fn git_alias(args: &[String]) -> Vec<Inner> {
    let mut aliases: Vec<(&str, &str)> = Vec::new();
    // What `-c core.pager=CMD` and the like run, whatever the subcommand.
    let mut found: Vec<Inner> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "-c" => {
                let kv = args.get(i + 1).map(String::as_str).unwrap_or_default();
                if let Some((name, value)) =
                    kv.strip_prefix("alias.").and_then(|kv| kv.split_once('='))
                {
                    aliases.push((name, value));
                } else if let Some(runs) = super::tools::git_setting(kv) {
                    found.extend(runs);
                }
                i += 2;
            }
            // Global options that take the next word.
            "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--exec-path" => i += 2,
            _ if a.starts_with('-') => i += 1,
            name => {
                let Some((_, value)) = aliases.iter().rev().find(|(n, _)| *n == name) else {
                    found.extend(super::tools::git_subcommand(name, &args[i + 1..]));
                    return found;
                };
                let rest = &args[i + 1..];
                return match value.strip_prefix('!') {
                    Some(shell) => vec![Inner::Script {
                        via: format!("git alias {name}"),
                        text: shell.to_string(),
                        args: Some(rest.to_vec()),
                    }],
                    None => {
                        let mut argv = vec!["git".to_string()];
                        argv.extend(
                            super::split_words(value)
                                .map(|c| c.argv)
                                .unwrap_or_default(),
                        );
                        argv.extend(rest.iter().cloned());
                        self::argv(&format!("git alias {name}"), &argv)
                    }
                };
            }
        }
    }
    found
}

/// `guard -- CMD...` and `guard -c STRING` run what they are given; its subcommands
/// (`check`, `request`, `rules`...) run nothing. Read with guard's own grammar, so every
/// spelling guard accepts (`-qc STRING`, `-cSTRING`, `--config FILE -- CMD`) is seen;
/// a command line guard would reject runs nothing.
fn guard(args: &[String]) -> Vec<Inner> {
    match super::own::read(args) {
        super::own::Runs::Argv(inner) => argv("guard", &inner),
        super::own::Runs::Shell(text) => script("guard -c", std::slice::from_ref(&text)),
        super::own::Runs::Nothing => Vec::new(),
    }
}
