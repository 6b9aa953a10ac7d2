//! What each wrapper program runs, read with that program's own options. The dispatch
//! by program name is in `unwrap.rs`.

use super::unwrap::{Inner, Opts, argv, script, skip_options};

pub(super) fn sudo(args: &[String]) -> Vec<Inner> {
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
        return Vec::new();
    }
    // `sudo NAME=VALUE... CMD`: the variables are set for the command.
    let rest = &args[start..];
    let vars = rest
        .iter()
        .take_while(|a| a.split_once('=').is_some_and(|(n, _)| is_name(n)))
        .count();
    let mut inner = argv("sudo", &rest[vars..]);
    if let Some(Inner::Argv { assignments, .. }) = inner.first_mut() {
        assignments.extend(rest[..vars].iter().filter_map(|a| {
            a.split_once('=')
                .map(|(n, v)| (n.to_string(), v.to_string()))
        }));
    }
    inner
}

pub(super) fn env(args: &[String]) -> Vec<Inner> {
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
        replace: None,
    }]
}

/// Splits `env -S` strings on blanks with simple quotes.
pub(super) fn split_simple(s: &str) -> Vec<String> {
    super::words::split_env_words(s)
}

pub(super) fn nice(args: &[String]) -> Vec<Inner> {
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

pub(super) fn flock(args: &[String]) -> Vec<Inner> {
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

pub(super) fn xargs(args: &[String]) -> Vec<Inner> {
    let o = Opts {
        short_values: "adEILnPs",
        long_values: &[
            "arg-file",
            "delimiter",
            "eof",
            "max-lines",
            "max-args",
            "max-procs",
            "max-chars",
            "process-slot-var",
        ],
    };
    let start = skip_options(args, &o);
    // `-I R`, `-IR`, `--replace=R` (and `-i`, `--replace`: `{}`): each input line is put
    // where R stands, one command a line, instead of at the end.
    // (`--replace` takes its value only after `=`; `-I` may close a cluster: `-0I{}`.)
    let mut replace = None;
    let mut i = 0;
    while i < start {
        let a = args[i].as_str();
        if let Some(r) = a.strip_prefix("--replace=") {
            replace = Some(r.to_string());
        } else if a == "--replace" {
            replace = Some("{}".to_string());
        } else if let Some(cluster) = a.strip_prefix('-').filter(|c| !c.starts_with('-')) {
            // Flags first; the first of `I` or `i` takes the rest of the word (or,
            // for `I` at its end, the next word).
            if let Some(at) = cluster.find(['I', 'i']) {
                let rest = &cluster[at + 1..];
                replace = match (&cluster[at..=at], rest.is_empty()) {
                    ("I", true) => {
                        i += 1;
                        args.get(i).cloned()
                    }
                    ("i", true) => Some("{}".to_string()),
                    _ => Some(rest.to_string()),
                };
            }
        }
        i += 1;
    }
    let mut inner = argv("xargs", &args[start..]);
    if let Some(Inner::Argv { replace: r, .. }) = inner.first_mut() {
        *r = replace.filter(|r| !r.is_empty());
    }
    inner
}

pub(super) fn watch(args: &[String]) -> Vec<Inner> {
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

pub(super) fn find(args: &[String]) -> Vec<Inner> {
    // What `{}` stands for, as far as the command line tells: the last name or path
    // pattern it selects by (not one it excludes, `! -name lock`), under the directory
    // it starts in; else that directory's files.
    // find's own options before the starting points (-H, -L, -P, -O3, -D x).
    let start = args
        .iter()
        .skip_while(|a| matches!(a.as_str(), "-H" | "-L" | "-P") || a.starts_with("-O"))
        .take_while(|a| !a.starts_with('-') && !matches!(a.as_str(), "(" | "!"))
        .next();
    let pattern = args
        .windows(2)
        .enumerate()
        .filter(|(k, w)| {
            matches!(
                w[0].as_str(),
                "-name" | "-iname" | "-path" | "-ipath" | "-wholename"
            ) && !(*k > 0 && matches!(args[k - 1].as_str(), "!" | "-not"))
        })
        .map(|(_, w)| w[1].clone())
        .next_back();
    let selected = match (pattern, start) {
        // A name under a directory the command names: `/var/cache/apt/*.deb`.
        (Some(p), Some(dir)) if !p.contains('/') && dir != "." && dir != "./" => {
            Some(format!("{}/{p}", dir.trim_end_matches('/')))
        }
        (Some(p), _) => Some(p),
        // What it finds there: the files under it (`find /tmp -mtime +7 -delete`
        // empties old files out of /tmp, it is not `rm -r /tmp`); `/` stays `/`.
        (None, start) => start.map(|start| match start.trim_end_matches('/') {
            "" => start.clone(),
            dir if dir.ends_with("/*") => dir.to_string(),
            dir => format!("{dir}/*"),
        }),
    };
    let fill = |words: &[String]| -> Vec<String> {
        words
            .iter()
            .map(|w| match &selected {
                Some(sel) if w == "{}" => sel.clone(),
                _ => w.clone(),
            })
            .collect()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if matches!(args[i].as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            let start = i + 1;
            let mut end = start;
            while end < args.len() && args[end] != ";" && args[end] != "+" {
                end += 1;
            }
            out.extend(argv("find", &fill(&args[start..end])));
            i = end;
        } else if args[i] == "-delete"
            && !(i > 0
                && matches!(
                    args[i - 1].as_str(),
                    "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-regex"
                ))
        {
            // `-delete` removes what it selects, as `rm -r` of it would.
            let sel = selected.clone().unwrap_or_else(|| "./*".to_string());
            out.extend(argv("find", &["rm".to_string(), "-r".to_string(), sel]));
        }
        i += 1;
    }
    out
}

/// `fd [OPTIONS] [PATTERN] [PATH...] -x|-X COMMAND...`: the command runs on what fd
/// finds, at `{}` and its variants or else after the command. What fd finds is written
/// as a pattern under its root (PATH, `--search-path`, `--base-directory`, else `.`):
/// `-e EXT` is `ROOT/*.EXT`, `-g GLOB` is `ROOT/GLOB`, a plain-name PATTERN is
/// `ROOT/NAME`, anything else every file under ROOT. The command ends at `;` or at the
/// end of the line; `--exec=CMD`, `-xCMD` and clusters (`-Hx`) are the same option.
pub(super) fn fd(args: &[String]) -> Vec<Inner> {
    let exec_at = |a: &str| -> Option<Option<String>> {
        if matches!(a, "--exec" | "--exec-batch") {
            return Some(None);
        }
        if let Some(v) = a
            .strip_prefix("--exec=")
            .or(a.strip_prefix("--exec-batch="))
        {
            return Some(Some(v.to_string()));
        }
        let body = a.strip_prefix('-').filter(|b| !b.starts_with('-'))?;
        let at = body.find(['x', 'X'])?;
        // Letters before it must be fd's flags (`-Hx`, `-HIx`).
        if !body[..at].chars().all(|c| "HIiLsapu0q".contains(c)) {
            return None;
        }
        let rest = &body[at + 1..];
        Some((!rest.is_empty()).then(|| rest.to_string()))
    };
    let Some((at, inline)) = args
        .iter()
        .enumerate()
        .find_map(|(i, a)| exec_at(a).map(|v| (i, v)))
    else {
        return Vec::new();
    };
    let start = at + 1;
    let end = args[start..]
        .iter()
        .position(|a| a == ";")
        .map_or(args.len(), |n| start + n);
    let mut command: Vec<String> = inline.into_iter().collect();
    command.extend_from_slice(&args[start..end]);
    let before: Vec<String> = args[..at]
        .iter()
        .chain(args.get(end + 1..).unwrap_or_default())
        .cloned()
        .collect();
    let (mut operands, mut root, mut ext, mut glob) = (Vec::new(), None, None, false);
    let mut i = 0;
    while let Some(a) = before.get(i) {
        let next = before.get(i + 1).cloned();
        let (name, value) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let take = |value: Option<String>, i: &mut usize| {
            value.or_else(|| {
                *i += 1;
                next.clone()
            })
        };
        match name {
            "--search-path" | "--base-directory" => root = take(value, &mut i),
            "-e" | "--extension" => ext = take(value, &mut i),
            "-g" | "--glob" => glob = true,
            "-t" | "--type" | "-d" | "--max-depth" | "--min-depth" | "--exact-depth" | "-E"
            | "--exclude" | "-c" | "--color" | "-j" | "--threads" | "-S" | "--size"
            | "--changed-within" | "--changed-before" | "-o" | "--owner" | "--ignore-file"
            | "--format" | "--max-results" | "--and" | "--batch-size" | "--path-separator" => {
                if value.is_none() {
                    i += 1;
                }
            }
            a if a.starts_with('-') && a.len() > 1 => {}
            _ => operands.push(a.clone()),
        }
        i += 1;
    }
    let pattern = operands.first().cloned();
    let root = root
        .or_else(|| operands.get(1).cloned())
        .unwrap_or_else(|| ".".to_string());
    let root = root.trim_end_matches('/');
    let dir = if root.is_empty() { "" } else { root };
    let leaf = match (ext, glob, pattern) {
        (Some(e), _, _) => format!("*.{}", e.trim_start_matches('.')),
        (None, true, Some(p)) => p,
        (None, false, Some(p))
            if !p.is_empty()
                && p.trim_matches(['^', '$'])
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
                && p != "." =>
        {
            p.trim_matches(['^', '$']).to_string()
        }
        _ => "*".to_string(),
    };
    let found = format!("{dir}/{leaf}");
    let placeholder = |w: &str| matches!(w, "{}" | "{/}" | "{//}" | "{.}" | "{/.}");
    let mut words: Vec<String> = command
        .iter()
        .map(|w| {
            if placeholder(w) {
                found.clone()
            } else {
                w.clone()
            }
        })
        .collect();
    if !command.iter().any(|w| placeholder(w)) {
        words.push(found);
    }
    argv("fd", &words)
}

/// `kubectl exec POD -- COMMAND...`: what follows `--`, for the listed subcommands.
pub(super) fn after_double_dash(via: &str, args: &[String], subcommands: &[&str]) -> Vec<Inner> {
    let Some(dd) = args.iter().position(|a| a == "--") else {
        return Vec::new();
    };
    if !args[..dd].iter().any(|a| subcommands.contains(&a.as_str())) {
        return Vec::new();
    }
    argv(via, &args[dd + 1..])
}

/// kubectl's own commands (and OpenShift's); any other first word is a plugin.
const KUBECTL_COMMANDS: &[&str] = &[
    "adm",
    "alpha",
    "annotate",
    "api-resources",
    "api-versions",
    "apply",
    "attach",
    "auth",
    "autoscale",
    "certificate",
    "cluster-info",
    "completion",
    "config",
    "cordon",
    "cp",
    "create",
    "debug",
    "delete",
    "describe",
    "diff",
    "drain",
    "edit",
    "events",
    "exec",
    "explain",
    "expose",
    "get",
    "help",
    "kustomize",
    "label",
    "login",
    "logout",
    "logs",
    "new-app",
    "new-project",
    "options",
    "patch",
    "plugin",
    "policy",
    "port-forward",
    "process",
    "project",
    "projects",
    "proxy",
    "replace",
    "rollback",
    "rollout",
    "rsh",
    "rsync",
    "run",
    "scale",
    "set",
    "start-build",
    "status",
    "tag",
    "taint",
    "top",
    "uncordon",
    "version",
    "wait",
    "whoami",
];

/// `kubectl NAME ARGS...` where NAME is not one of kubectl's commands runs the plugin
/// `kubectl-NAME` on PATH with ARGS (`kubectl cnpg destroy CLUSTER 1` is `kubectl-cnpg
/// destroy CLUSTER 1`). kubectl refuses options before a plugin's name, so only the
/// first word can be one.
pub(super) fn kubectl_plugin(via: &str, args: &[String]) -> Vec<Inner> {
    match args.split_first() {
        Some((name, rest))
            if !KUBECTL_COMMANDS.contains(&name.as_str())
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            let mut words = vec![format!("kubectl-{name}")];
            words.extend_from_slice(rest);
            argv(via, &words)
        }
        _ => Vec::new(),
    }
}

/// `docker exec [opts] CONTAINER CMD...`, `docker run [opts] IMAGE CMD...`, and the same
/// under `docker container` and `docker compose`.
pub(super) fn container(via: &str, args: &[String]) -> Vec<Inner> {
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
    // `docker run hashicorp/terraform:1.8 destroy`: a tool's official image runs the tool
    // with the words given, when no entrypoint is named.
    if cmd.is_empty() && sub == "run" {
        if let Some(tool) = rest.get(start).and_then(|image| image_tool(image)) {
            let given = rest.get(start + 1).map(String::as_str);
            if given != Some(tool) {
                cmd.push(tool.to_string());
            }
        }
    }
    cmd.extend(rest.get(start + 1..).unwrap_or_default().iter().cloned());
    argv(via, &cmd)
}

/// The tool an image runs by default: the official images of the guarded CLIs.
fn image_tool(image: &str) -> Option<&'static str> {
    let name = image.split(['@', ':']).next()?;
    let base = name.rsplit('/').next()?;
    Some(match base {
        "terraform" | "tofu" | "opentofu" => "terraform",
        "aws-cli" | "awscli" => "aws",
        "kubectl" => "kubectl",
        "google-cloud-cli" | "cloud-sdk" => "gcloud",
        "azure-cli" => "az",
        "helm" => "helm",
        "pulumi" => "pulumi",
        _ => return None,
    })
}

/// `su [options] [USER] -c STRING`, `runuser -u USER -- COMMAND...`.
pub(super) fn su(via: &str, args: &[String]) -> Vec<Inner> {
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
pub(super) fn tmux(args: &[String]) -> Vec<Inner> {
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

pub(super) fn shell(via: &str, args: &[String]) -> Vec<Inner> {
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
        // A script file: read from the file (or what this string wrote to it).
        (false, Some(file)) => vec![Inner::Recipe {
            via: format!("{via} {file}"),
            recipe: super::recipes::Recipe::ShellFile(file.clone()),
        }],
    }
}

/// Interpreters whose inline code or standard input can run other programs.
pub fn is_interpreter(p: &str) -> bool {
    let base = p.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        base,
        "python"
            | "node"
            | "nodejs"
            | "ruby"
            | "perl"
            | "php"
            | "deno"
            | "bun"
            | "pwsh"
            | "expect"
            | "tclsh"
            | "lua"
    )
}

pub(super) fn interpreter(via: &str, args: &[String]) -> Vec<Inner> {
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

/// A shell variable name.
fn is_name(n: &str) -> bool {
    n.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
