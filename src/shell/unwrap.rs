//! Programs that run another command: what they run, read from their own grammar.
//!
//! `sudo -u root terraform destroy` runs `terraform destroy`; `bash -lc 'STRING'` runs the
//! shell string; `ssh -p 22 host kubectl delete ns x` runs the remote string; `find /
//! -exec rm -rf {} +` runs `rm -rf {}`. Each wrapper's options that take a value are
//! listed, so the value is never mistaken for the command.

/// What a command runs besides itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    /// Another command, with assignments the wrapper adds (`env X=1 cmd`).
    Argv {
        via: String,
        argv: Vec<String>,
        assignments: Vec<(String, String)>,
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
}

const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "yash", "busybox",
];

/// An option scanner: which short letters and long names take a value.
struct Opts {
    short_values: &'static str,
    long_values: &'static [&'static str],
}

/// Scans leading options; returns the index of the first operand (after `--` if given).
fn skip_options(args: &[String], o: &Opts) -> usize {
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
    i
}

fn argv(via: &str, rest: &[String]) -> Vec<Inner> {
    if rest.is_empty() {
        return Vec::new();
    }
    vec![Inner::Argv {
        via: via.to_string(),
        argv: rest.to_vec(),
        assignments: Vec::new(),
    }]
}

fn script(via: &str, words: &[String]) -> Vec<Inner> {
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
        "script" => {
            let o = Opts {
                short_values: "cEIBOTtm",
                long_values: &[
                    "command",
                    "echo",
                    "log-in",
                    "log-out",
                    "log-io",
                    "log-timing",
                    "logging-format",
                    "output-limit",
                    "timing",
                ],
            };
            let start = skip_options(args, &o);
            let cmd = args[..start]
                .windows(2)
                .find(|w| {
                    w[0] == "-c"
                        || w[0] == "--command"
                        || (w[0].starts_with('-') && !w[0].starts_with("--") && w[0].ends_with('c'))
                })
                .map(|w| w[1].clone());
            cmd.map_or_else(Vec::new, |c| script(program, &[c]))
        }
        "taskset" => {
            let start = skip_options(
                args,
                &Opts {
                    short_values: "",
                    long_values: &[],
                },
            );
            if args[..start]
                .iter()
                .any(|a| a.starts_with("-p") || a == "--pid")
            {
                Vec::new()
            } else {
                // taskset [options] MASK COMMAND...; with -c the list is the first operand too.
                self::argv(program, args.get(start + 1..).unwrap_or_default())
            }
        }
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
        "at" | "batch" => {
            let given_file = args.iter().any(|a| a == "-f" || a.starts_with("-f"));
            if given_file {
                Vec::new()
            } else {
                vec![Inner::ShellStdin {
                    via: program.to_string(),
                }]
            }
        }
        "parallel" => {
            // GNU parallel [options] COMMAND ::: ARGS: the command, run once per argument.
            let end = args
                .iter()
                .position(|a| a.starts_with(":::"))
                .unwrap_or(args.len());
            let start = skip_options(
                &args[..end],
                &Opts {
                    short_values: "jSIdEaL",
                    long_values: &[
                        "jobs",
                        "sshlogin",
                        "delimiter",
                        "arg-file",
                        "joblog",
                        "results",
                        "timeout",
                        "memfree",
                    ],
                },
            );
            let mut words = args[start..end].to_vec();
            words.extend(
                args.get(end + 1..)
                    .unwrap_or_default()
                    .iter()
                    .filter(|a| !a.starts_with(":::"))
                    .cloned(),
            );
            script(program, &words)
        }
        "tmux" => tmux(args),
        "screen" => {
            let start = skip_options(
                args,
                &Opts {
                    short_values: "cehpSTtX",
                    long_values: &[],
                },
            );
            self::argv(program, &args[start..])
        }
        "setsid" => simple("", &[], 0),
        "exec" => simple("a", &[], 0),
        "command" => {
            let start = skip_options(
                args,
                &Opts {
                    short_values: "",
                    long_values: &[],
                },
            );
            let lookup_only = args[..start]
                .iter()
                .any(|a| a.starts_with('-') && (a.contains('v') || a.contains('V')));
            if lookup_only {
                Vec::new()
            } else {
                self::argv(program, &args[start..])
            }
        }
        "time" => simple("fo", &["format", "output"], 0),
        "timeout" => simple("sk", &["signal", "kill-after"], 1),
        "nice" => nice(args),
        "ionice" => {
            let o = Opts {
                short_values: "cnpPu",
                long_values: &["class", "classdata", "pid", "pgid", "uid"],
            };
            let start = skip_options(args, &o);
            // With -p/-P/-u ionice changes running processes and runs nothing.
            let running = ["-p", "-P", "-u", "--pid", "--pgid", "--uid"];
            let targets_running = args[..start]
                .iter()
                .any(|a| running.iter().any(|r| a.starts_with(r)));
            if targets_running {
                Vec::new()
            } else {
                self::argv(program, &args[start..])
            }
        }
        "stdbuf" => simple("ioe", &["input", "output", "error"], 0),
        "chroot" => simple("", &["userspec", "groups"], 1),
        "flock" => flock(args),
        "xargs" => xargs(args),
        "watch" => watch(args),
        "eval" => script(program, args),
        "ssh" => {
            let start = skip_options(
                args,
                &Opts {
                    short_values: "BbcDEeFIiJLlmOoPpQRSWw",
                    long_values: &[],
                },
            );
            // ssh HOST [--] [COMMAND...]; with no command the remote shell reads stdin.
            let rest = args.get(start + 1..).unwrap_or_default();
            let rest = rest.strip_prefix(&["--".to_string()]).unwrap_or(rest);
            if args.get(start).is_none() {
                Vec::new()
            } else if rest.is_empty() {
                vec![Inner::ShellStdin {
                    via: program.to_string(),
                }]
            } else {
                script(program, rest)
            }
        }
        "find" => find(args),
        "kubectl" | "oc" => after_double_dash(program, args, &["exec", "debug", "run"]),
        "docker" | "podman" | "nerdctl" => container(program, args),
        p if SHELLS.contains(&p) => shell(program, args),
        // `$SHELL -c '...'`: the user's shell, whichever it is.
        "$SHELL" | "${SHELL}" | "$BASH" | "${BASH}" => shell("$SHELL", args),
        p if is_interpreter(p) => interpreter(program, args),
        "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk" => {
            let start = skip_options(
                args,
                &Opts {
                    short_values: "Fvf",
                    long_values: &["field-separator", "assign", "file"],
                },
            );
            let from_file = args[..start]
                .iter()
                .any(|a| a.starts_with("-f") || a == "--file");
            match args.get(start) {
                Some(code) if !from_file => vec![Inner::Code {
                    via: program.to_string(),
                    code: code.clone(),
                }],
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn sudo(args: &[String]) -> Vec<Inner> {
    let o = Opts {
        short_values: "ugCDhprtTU",
        long_values: &[
            "user",
            "group",
            "close-from",
            "chdir",
            "host",
            "prompt",
            "role",
            "type",
            "command-timeout",
            "other-user",
            "chroot",
        ],
    };
    let start = skip_options(args, &o);
    // -e (sudoedit), -l (list), -v (validate), -k alone: no command runs.
    let edits = args[..start].iter().any(|a| a == "-e" || a == "--edit");
    if edits {
        Vec::new()
    } else {
        argv("sudo", &args[start..])
    }
}

fn env(args: &[String]) -> Vec<Inner> {
    let mut i = 0;
    let mut rest: Vec<String> = Vec::new();
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if let Some(s) = a.strip_prefix("--split-string=") {
            rest.extend(split_simple(s));
        } else if a == "-S" || a == "--split-string" {
            if let Some(s) = args.get(i + 1) {
                rest.extend(split_simple(s));
            }
            i += 1;
        } else if let Some(s) = a.strip_prefix("-S") {
            rest.extend(split_simple(s));
        } else if a == "-u" || a == "-C" || a == "--unset" || a == "--chdir" || a == "-P" {
            i += 1;
        } else if !a.starts_with('-') || a == "-" {
            break;
        }
        i += 1;
    }
    let mut assignments = Vec::new();
    while let Some(a) = args.get(i).filter(|a| super::is_assignment(a)) {
        if let Some((n, v)) = a.split_once('=') {
            assignments.push((n.to_string(), v.to_string()));
        }
        i += 1;
    }
    rest.extend(args.get(i..).unwrap_or_default().iter().cloned());
    // `env -S 'A=1 cmd'`: assignments can come from the split string too.
    let mut rest = rest.into_iter().peekable();
    while let Some(a) = rest.next_if(|a| super::is_assignment(a)) {
        if let Some((n, v)) = a.split_once('=') {
            assignments.push((n.to_string(), v.to_string()));
        }
    }
    let argv: Vec<String> = rest.collect();
    if argv.is_empty() {
        return Vec::new();
    }
    vec![Inner::Argv {
        via: "env".into(),
        argv,
        assignments,
    }]
}

/// Splits `env -S` strings on blanks with simple quotes.
fn split_simple(s: &str) -> Vec<String> {
    crate::matcher::args::split_env_words(s)
}

fn nice(args: &[String]) -> Vec<Inner> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "-n" || a == "--adjustment" {
            i += 2;
        } else if a == "--" {
            i += 1;
            break;
        } else if a.starts_with('-') && a.len() > 1 {
            i += 1;
        } else {
            break;
        }
    }
    argv("nice", args.get(i..).unwrap_or_default())
}

fn flock(args: &[String]) -> Vec<Inner> {
    let o = Opts {
        short_values: "wE",
        long_values: &["timeout", "conflict-exit-code"],
    };
    let start = skip_options(args, &o);
    // flock [options] FILE -c STRING | flock [options] FILE COMMAND...
    let rest = args.get(start + 1..).unwrap_or_default();
    match rest.first().map(String::as_str) {
        Some("-c" | "--command") => rest
            .get(1)
            .map_or_else(Vec::new, |s| script("flock", std::slice::from_ref(s))),
        _ => argv("flock", rest),
    }
}

fn xargs(args: &[String]) -> Vec<Inner> {
    let o = Opts {
        short_values: "adEILnPs",
        long_values: &[
            "arg-file",
            "delimiter",
            "eof",
            "replace",
            "max-lines",
            "max-args",
            "max-procs",
            "max-chars",
            "process-slot-var",
        ],
    };
    let start = skip_options(args, &o);
    argv("xargs", &args[start..])
}

fn watch(args: &[String]) -> Vec<Inner> {
    let o = Opts {
        short_values: "nq",
        long_values: &["interval", "equexit"],
    };
    let start = skip_options(args, &o);
    let exec = args[..start]
        .iter()
        .any(|a| a == "--exec" || (a.starts_with('-') && !a.starts_with("--") && a.contains('x')));
    if exec {
        argv("watch", &args[start..])
    } else {
        script("watch", &args[start..])
    }
}

fn find(args: &[String]) -> Vec<Inner> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if matches!(args[i].as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            let start = i + 1;
            let mut end = start;
            while end < args.len() && args[end] != ";" && args[end] != "+" {
                end += 1;
            }
            out.extend(argv("find", &args[start..end]));
            i = end;
        }
        i += 1;
    }
    out
}

/// `kubectl exec POD -- COMMAND...`: what follows `--`, for the listed subcommands.
fn after_double_dash(via: &str, args: &[String], subcommands: &[&str]) -> Vec<Inner> {
    let Some(dd) = args.iter().position(|a| a == "--") else {
        return Vec::new();
    };
    if !args[..dd].iter().any(|a| subcommands.contains(&a.as_str())) {
        return Vec::new();
    }
    argv(via, &args[dd + 1..])
}

/// `docker exec [opts] CONTAINER CMD...`, `docker run [opts] IMAGE CMD...`, and the same
/// under `docker container` and `docker compose`.
fn container(via: &str, args: &[String]) -> Vec<Inner> {
    let global = Opts {
        short_values: "Hcl",
        long_values: &[
            "host",
            "context",
            "config",
            "log-level",
            "tlscacert",
            "tlscert",
            "tlskey",
        ],
    };
    let mut i = skip_options(args, &global);
    if matches!(
        args.get(i).map(String::as_str),
        Some("container" | "compose")
    ) {
        let compose = args[i] == "compose";
        i += 1;
        if compose {
            i += skip_options(
                &args[i..],
                &Opts {
                    short_values: "fp",
                    long_values: &[
                        "file",
                        "project-name",
                        "profile",
                        "env-file",
                        "project-directory",
                    ],
                },
            );
        }
    }
    let Some(sub) = args.get(i).map(String::as_str) else {
        return Vec::new();
    };
    if !matches!(sub, "exec" | "run") {
        return Vec::new();
    }
    let run = Opts {
        short_values: "aceEhlmpuvw",
        long_values: &[
            "add-host",
            "annotation",
            "attach",
            "blkio-weight",
            "cap-add",
            "cap-drop",
            "cgroup-parent",
            "cgroupns",
            "cidfile",
            "cpu-period",
            "cpu-quota",
            "cpu-shares",
            "cpus",
            "cpuset-cpus",
            "cpuset-mems",
            "detach-keys",
            "device",
            "dns",
            "dns-option",
            "dns-search",
            "domainname",
            "entrypoint",
            "env",
            "env-file",
            "expose",
            "gpus",
            "group-add",
            "health-cmd",
            "health-interval",
            "health-retries",
            "health-start-period",
            "health-timeout",
            "hostname",
            "ip",
            "ip6",
            "ipc",
            "isolation",
            "kernel-memory",
            "label",
            "label-file",
            "link",
            "log-driver",
            "log-opt",
            "mac-address",
            "memory",
            "memory-reservation",
            "memory-swap",
            "mount",
            "name",
            "network",
            "network-alias",
            "pid",
            "pids-limit",
            "platform",
            "publish",
            "pull",
            "restart",
            "runtime",
            "security-opt",
            "shm-size",
            "stop-signal",
            "stop-timeout",
            "storage-opt",
            "sysctl",
            "tmpfs",
            "ulimit",
            "user",
            "userns",
            "uts",
            "volume",
            "volumes-from",
            "workdir",
            "index",
            "service-ports",
        ],
    };
    let rest = &args[i + 1..];
    let start = skip_options(rest, &run);
    let mut cmd: Vec<String> = rest[..start.min(rest.len())]
        .windows(2)
        .find(|w| w[0] == "--entrypoint")
        .map(|w| vec![w[1].clone()])
        .or_else(|| {
            rest[..start.min(rest.len())]
                .iter()
                .find_map(|a| a.strip_prefix("--entrypoint=").map(|e| vec![e.to_string()]))
        })
        .unwrap_or_default();
    cmd.extend(rest.get(start + 1..).unwrap_or_default().iter().cloned());
    argv(via, &cmd)
}

/// `su [options] [USER] -c STRING`, `runuser -u USER -- COMMAND...`.
fn su(via: &str, args: &[String]) -> Vec<Inner> {
    if let Some(i) = args.iter().position(|a| a == "-c" || a == "--command") {
        return args
            .get(i + 1)
            .map_or_else(Vec::new, |c| script(via, std::slice::from_ref(c)));
    }
    if let Some(c) = args.iter().find_map(|a| a.strip_prefix("--command=")) {
        return script(via, &[c.to_string()]);
    }
    match args.iter().position(|a| a == "--") {
        Some(i) if args[..i].iter().any(|a| a == "-u" || a == "--user") => {
            argv(via, &args[i + 1..])
        }
        _ => Vec::new(),
    }
}

/// `tmux new-session [-d] [-s NAME] 'CMD'`, `tmux new-window 'CMD'`, `tmux send-keys 'CMD' Enter`.
fn tmux(args: &[String]) -> Vec<Inner> {
    let global = skip_options(
        args,
        &Opts {
            short_values: "cfLST",
            long_values: &[],
        },
    );
    let Some(sub) = args.get(global).map(String::as_str) else {
        return Vec::new();
    };
    let rest = &args[global + 1..];
    match sub {
        "new-session" | "new" | "new-window" | "neww" | "split-window" | "splitw"
        | "respawn-pane" | "respawn-window" => {
            let start = skip_options(
                rest,
                &Opts {
                    short_values: "cefFnstxyl",
                    long_values: &[],
                },
            );
            script("tmux", rest.get(start..).unwrap_or_default())
        }
        "send-keys" | "send" => {
            let start = skip_options(
                rest,
                &Opts {
                    short_values: "Nt",
                    long_values: &[],
                },
            );
            let keys: Vec<String> = rest[start..]
                .iter()
                .filter(|k| !matches!(k.as_str(), "Enter" | "C-m" | "KPEnter"))
                .cloned()
                .collect();
            script("tmux", &keys)
        }
        _ => Vec::new(),
    }
}

fn shell(via: &str, args: &[String]) -> Vec<Inner> {
    let mut command_mode = false;
    let mut stdin_mode = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" || a == "-" {
            i += 1;
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            if matches!(long, "rcfile" | "init-file") {
                i += 1;
            }
        } else if (a.starts_with('-') || a.starts_with('+')) && a.len() > 1 {
            let body = &a[1..];
            command_mode |= body.contains('c');
            stdin_mode |= body.contains('s');
            if body.ends_with('o') || body.ends_with('O') {
                i += 1;
            }
        } else {
            break;
        }
        i += 1;
    }
    match (command_mode, args.get(i)) {
        (true, Some(text)) => vec![Inner::Script {
            via: format!("{via} -c"),
            text: text.clone(),
            // `sh -c STRING NAME ARGS...`: NAME is $0, ARGS are $1...
            args: args.get(i + 2..).map(<[String]>::to_vec),
        }],
        (false, Some(file)) if file == "/dev/stdin" || file == "-" => vec![Inner::ShellStdin {
            via: via.to_string(),
        }],
        (true, None) => Vec::new(),
        (false, None) => vec![Inner::ShellStdin {
            via: via.to_string(),
        }],
        (false, Some(_)) if stdin_mode => vec![Inner::ShellStdin {
            via: via.to_string(),
        }],
        // A script file: its content is not in the string.
        (false, Some(_)) => Vec::new(),
    }
}

/// Interpreters whose inline code or standard input can run other programs.
pub fn is_interpreter(p: &str) -> bool {
    let base = p.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        base,
        "python" | "node" | "nodejs" | "ruby" | "perl" | "php" | "deno" | "bun" | "pwsh"
    )
}

fn interpreter(via: &str, args: &[String]) -> Vec<Inner> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let code_flag = matches!(
            a.as_str(),
            "-c" | "-e" | "-E" | "--eval" | "-p" | "--print" | "-r" | "-Command" | "-command"
        );
        if code_flag {
            return args.get(i + 1).map_or_else(Vec::new, |code| {
                vec![Inner::Code {
                    via: via.to_string(),
                    code: code.clone(),
                }]
            });
        }
        if let Some(code) = a.strip_prefix("--eval=") {
            return vec![Inner::Code {
                via: via.to_string(),
                code: code.to_string(),
            }];
        }
        if a == "-m" {
            // python -m MODULE: runs a module, not stdin.
            return Vec::new();
        }
        if !a.starts_with('-') {
            return Vec::new();
        }
        if a == "-" {
            break;
        }
        i += 1;
    }
    vec![Inner::InterpreterStdin {
        via: via.to_string(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Vec<Inner> {
        inner(
            &line
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
        )
    }

    fn first_argv(line: &str) -> String {
        match run(line).into_iter().next() {
            Some(Inner::Argv { argv, .. }) => argv.join(" "),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn wrappers_with_options_that_take_values() {
        assert_eq!(
            first_argv("sudo -u root -E terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("sudo -Eu root terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("timeout -s KILL 30s terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(first_argv("nice -n 10 rm -rf /"), "rm -rf /");
        assert_eq!(first_argv("nice -5 rm -rf /"), "rm -rf /");
        assert_eq!(first_argv("ionice -c 3 rm -rf /"), "rm -rf /");
        assert_eq!(
            first_argv("ionice -c3 ssh -p 22 host x"),
            "ssh -p 22 host x"
        );
        assert_eq!(first_argv("ionice -c 3 sudo -u root x"), "sudo -u root x");
        assert!(run("ionice -c 3 -p 1234").is_empty());
        assert_eq!(
            first_argv("stdbuf -oL -e 0 terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("xargs -I {} -n 1 kubectl delete ns {}"),
            "kubectl delete ns {}"
        );
        assert_eq!(
            first_argv("time -f %e terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("flock -w 5 /tmp/l terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("exec -a name terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("watch -x -n 5 kubectl delete pod x"),
            "kubectl delete pod x"
        );
        assert_eq!(first_argv("chroot /mnt rm -rf /"), "rm -rf /");
    }

    #[test]
    fn env_collects_assignments() {
        let r = run("env -i -u HOME TF_CLI_ARGS=-destroy terraform apply");
        assert_eq!(
            r,
            [Inner::Argv {
                via: "env".into(),
                argv: vec!["terraform".into(), "apply".into()],
                assignments: vec![("TF_CLI_ARGS".into(), "-destroy".into())],
            }]
        );
        assert!(run("env").is_empty());
        assert!(run("command -v terraform").is_empty());
    }

    #[test]
    fn shells_and_scripts() {
        let text = |r: Vec<Inner>| match r.into_iter().next() {
            Some(Inner::Script { text, .. }) => text,
            other => panic!("{other:?}"),
        };
        let mut v: Vec<String> = ["bash", "-lc", "terraform destroy"]
            .map(String::from)
            .to_vec();
        assert_eq!(text(inner(&v)), "terraform destroy");
        v = ["sh", "-e", "-o", "pipefail", "-c", "x y"]
            .map(String::from)
            .to_vec();
        assert_eq!(text(inner(&v)), "x y");
        assert_eq!(text(run("eval terraform destroy")), "terraform destroy");
        assert_eq!(
            text(run("ssh -p 22 -i key host kubectl delete ns x")),
            "kubectl delete ns x"
        );
        assert_eq!(text(run("watch -n 5 kubectl get pods")), "kubectl get pods");
        assert_eq!(run("bash"), [Inner::ShellStdin { via: "bash".into() }]);
        assert_eq!(
            run("bash -s arg"),
            [Inner::ShellStdin { via: "bash".into() }]
        );
        assert!(run("bash deploy.sh").is_empty());
        // With no remote command, the remote shell reads standard input.
        assert_eq!(run("ssh host"), [Inner::ShellStdin { via: "ssh".into() }]);
        assert_eq!(
            text(run("ssh host -- terraform destroy")),
            "terraform destroy"
        );
        assert!(run("ssh").is_empty());
        assert_eq!(
            run("bash /dev/stdin"),
            [Inner::ShellStdin { via: "bash".into() }]
        );
    }

    #[test]
    fn more_runners() {
        assert_eq!(
            first_argv("nohup -- terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(first_argv("pkexec --user root rm -rf /"), "rm -rf /");
        assert_eq!(first_argv("runuser -u app -- rm -rf /"), "rm -rf /");
        assert_eq!(
            first_argv("taskset -c 0 terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("strace -f -o log terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("nsenter -t 1 -m -u kubectl delete ns prod"),
            "kubectl delete ns prod"
        );
        assert_eq!(
            first_argv("systemd-run --scope -p x=y terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("screen -dmS x terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(
            first_argv("docker run --rm --entrypoint terraform hashicorp/terraform:1.7 destroy"),
            "terraform destroy"
        );
        let script_text = |line: &str| match run(line).into_iter().next() {
            Some(Inner::Script { text, .. }) => text,
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(
            script_text("tmux new-session -d -s x terraform destroy"),
            "terraform destroy"
        );
        assert_eq!(script_text("script -qc x /dev/null"), "x");
        assert_eq!(
            script_text("parallel kubectl delete ns ::: a b"),
            "kubectl delete ns a b"
        );
        assert_eq!(run("at now"), [Inner::ShellStdin { via: "at".into() }]);
        let su: Vec<String> = ["su", "-", "root", "-c", "rm -rf /"]
            .map(String::from)
            .to_vec();
        assert!(
            matches!(inner(&su).as_slice(), [Inner::Script { text, .. }] if text == "rm -rf /")
        );
        let awk: Vec<String> = ["awk", "-F,", "BEGIN{system(\"x\")}"]
            .map(String::from)
            .to_vec();
        assert!(matches!(inner(&awk).as_slice(), [Inner::Code { .. }]));
    }

    #[test]
    fn find_exec_and_containers() {
        let r = run("find / -name x -exec rm -rf {} ; -execdir shred {} +");
        assert_eq!(r.len(), 2);
        assert_eq!(first_argv("find . -exec rm -rf {} +"), "rm -rf {}");
        assert_eq!(
            first_argv("kubectl exec -n prod pod -c app -- rm -rf /data"),
            "rm -rf /data"
        );
        assert!(run("kubectl get pods -- x").is_empty());
        assert_eq!(
            first_argv("docker exec -it -u root db psql -c x"),
            "psql -c x"
        );
        assert_eq!(
            first_argv("docker run --rm -v /:/host -e A=1 alpine rm -rf /host"),
            "rm -rf /host"
        );
        assert_eq!(
            first_argv("docker compose -f c.yml exec -T db dropdb x"),
            "dropdb x"
        );
        assert!(run("docker ps").is_empty());
    }

    #[test]
    fn interpreters() {
        let v: Vec<String> = ["python3", "-c", "import os"].map(String::from).to_vec();
        assert_eq!(
            inner(&v),
            [Inner::Code {
                via: "python3".into(),
                code: "import os".into()
            }]
        );
        assert_eq!(
            run("python3"),
            [Inner::InterpreterStdin {
                via: "python3".into()
            }]
        );
        assert!(run("python3 script.py").is_empty());
        assert!(run("python3 -m http.server").is_empty());
        assert!(is_interpreter("python3.11"));
        assert!(!is_interpreter("pythonic"));
    }
}
