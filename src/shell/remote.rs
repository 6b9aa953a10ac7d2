//! Commands that run somewhere else or through another tool: in a container (`lxc exec`),
//! in a VM (`limactl shell`), on every host an inventory matches (`ansible -a`), as the
//! tool a wrapper drives (`atmos terraform`), or as the program a jar is (`java -jar
//! bfg.jar`). Each is read as the command it runs.

use super::unwrap::{Inner, Opts, argv, script, skip_options};

/// The words after a leading `--`, if there is one.
fn after_dashes(words: &[String]) -> &[String] {
    match words.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => words,
    }
}

/// `lxc exec INSTANCE [OPTIONS] [--] COMMAND...` (and `incus exec`; LXD takes its
/// options before or after the instance): the command runs in the container or VM.
/// `lxc-attach -n NAME -- COMMAND` likewise.
pub(super) fn instance_exec(via: &str, args: &[String]) -> Vec<Inner> {
    if via == "lxc-attach" {
        return args
            .iter()
            .position(|a| a == "--")
            .map_or_else(Vec::new, |dd| argv(via, &args[dd + 1..]));
    }
    let global = Opts {
        short_values: "",
        long_values: &["project"],
    };
    let local = Opts {
        short_values: "",
        long_values: &["env", "cwd", "user", "group", "mode", "project"],
    };
    exec_in_instance(args, &global, &local).map_or_else(Vec::new, |command| argv(via, command))
}

/// `TOOL [GLOBAL OPTIONS] exec INSTANCE [OPTIONS] [--] COMMAND...` (lxc, incus,
/// multipass): the command. With `--`, what follows it; without, the instance's own
/// options may still come first.
fn exec_in_instance<'a>(args: &'a [String], global: &Opts, local: &Opts) -> Option<&'a [String]> {
    let at = skip_options(args, global);
    if args.get(at)? != "exec" {
        return None;
    }
    let rest = &args[at + 1..];
    let after = rest.get(skip_options(rest, local) + 1..)?;
    Some(match after.iter().position(|a| a == "--") {
        Some(dd) => &after[dd + 1..],
        None => &after[skip_options(after, local)..],
    })
}

/// `limactl shell [OPTIONS] INSTANCE [COMMAND...]` and `lima COMMAND...`: the command runs
/// in the Lima VM. Lima quotes each word before its shell sees it, so the words arrive
/// as they were given (`lima bash -c "rm -rf /srv"` runs bash with that script), and
/// leading `NAME=VALUE` words are the command's environment.
pub(super) fn lima(via: &str, args: &[String]) -> Vec<Inner> {
    let words = if via == "lima" {
        args
    } else {
        let Some(at) = args.iter().position(|a| a == "shell") else {
            return Vec::new();
        };
        let rest = &args[at + 1..];
        let o = Opts {
            short_values: "",
            long_values: &["workdir", "shell"],
        };
        let instance = skip_options(rest, &o);
        rest.get(instance + 1..).unwrap_or_default()
    };
    let words = after_dashes(words);
    let split = words
        .iter()
        .position(|w| !super::is_assignment(w))
        .unwrap_or(words.len());
    if split == words.len() {
        return Vec::new();
    }
    vec![Inner::Argv {
        via: via.to_string(),
        argv: words[split..].to_vec(),
        assignments: words[..split]
            .iter()
            .filter_map(|w| w.split_once('='))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        replace: None,
    }]
}

/// Tools shipped as a jar that guard has rules for: `java -jar bfg-1.14.0.jar` is `bfg`.
/// Any other jar is an application, read as nothing more.
const JAR_TOOLS: &[&str] = &["bfg", "flyway", "liquibase", "jenkins-cli"];

/// `java [OPTIONS] -jar FILE.jar ARGS...`, for a jar that is one of [`JAR_TOOLS`], by its
/// name without `.jar` and a version.
pub(super) fn java_jar(args: &[String]) -> Vec<Inner> {
    let Some(at) = args.iter().position(|a| a == "-jar") else {
        return Vec::new();
    };
    let Some(jar) = args.get(at + 1) else {
        return Vec::new();
    };
    let name = jar
        .rsplit('/')
        .next()
        .unwrap_or(jar)
        .trim_end_matches(".jar");
    let program = match name.rsplit_once('-') {
        Some((base, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => base,
        _ => name,
    };
    if !JAR_TOOLS.contains(&program) {
        return Vec::new();
    }
    let mut words = vec![program.to_string()];
    words.extend_from_slice(&args[at + 2..]);
    argv("java", &words)
}

/// `atmos terraform|helmfile|packer SUBCOMMAND COMPONENT -s STACK`: atmos runs the tool
/// with that subcommand for the component in the stack (`deploy` is atmos's `apply
/// -auto-approve`; `--dry-run` only prints what it would run). `atmos auth exec ... --
/// CMD` runs CMD with the identity's credentials.
pub(super) fn atmos(args: &[String]) -> Vec<Inner> {
    let global = Opts {
        short_values: "",
        long_values: &[
            "base-path",
            "config",
            "config-path",
            "logs-level",
            "logs-file",
            "chdir",
        ],
    };
    let at = skip_options(args, &global);
    match args.get(at).map(String::as_str) {
        Some(tool @ ("terraform" | "tf" | "helmfile" | "packer")) => {
            if args.iter().any(|a| a == "--dry-run") {
                return Vec::new();
            }
            let tool = if tool == "tf" { "terraform" } else { tool };
            let mut words = vec![tool.to_string()];
            let rest = &args[at + 1..];
            match rest.split_first() {
                Some((sub, more)) if tool == "terraform" && sub == "deploy" => {
                    words.extend(["apply".to_string(), "-auto-approve".to_string()]);
                    words.extend_from_slice(more);
                }
                _ => words.extend_from_slice(rest),
            }
            argv("atmos", &words)
        }
        Some("auth") => args
            .iter()
            .position(|a| a == "--")
            .map_or_else(Vec::new, |dd| argv("atmos", &args[dd + 1..])),
        _ => Vec::new(),
    }
}

/// `ansible HOSTS -m MODULE -a ARGS`, an ad-hoc task on every host matched: the
/// `command`, `shell` and `raw` modules (`command` when no `-m` is given) run ARGS as a
/// command line; `file` with `state=absent` deletes its path, recursively, as `rm -rf`.
/// In check mode (`-C`, `--check`) nothing runs.
pub(super) fn ansible(via: &str, args: &[String]) -> Vec<Inner> {
    let (mut module, mut module_args) = ("command", None::<&str>);
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = args.get(i + 1).map(String::as_str);
        match a {
            "-C" | "--check" => return Vec::new(),
            "-m" | "--module-name" => (module, i) = (next.unwrap_or_default(), i + 1),
            "-a" | "--args" => (module_args, i) = (next, i + 1),
            _ => {
                if let Some(m) = a.strip_prefix("--module-name=").or(a.strip_prefix("-m")) {
                    module = m;
                } else if let Some(v) = a.strip_prefix("--args=").or(a.strip_prefix("-a")) {
                    module_args = Some(v);
                }
            }
        }
        i += 1;
    }
    let Some(text) = module_args else {
        return Vec::new();
    };
    let module = module
        .strip_prefix("ansible.builtin.")
        .or(module.strip_prefix("ansible.legacy."))
        .unwrap_or(module);
    match module {
        "command" | "shell" | "raw" | "win_shell" | "win_command" => vec![Inner::Script {
            via: via.to_string(),
            text: text.to_string(),
            args: None,
        }],
        "file" => {
            let pairs: Vec<(&str, &str)> = text
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k, v.trim_matches(['"', '\''])))
                .collect();
            let absent = pairs.iter().any(|&(k, v)| k == "state" && v == "absent");
            let path = pairs
                .iter()
                .find(|(k, _)| matches!(*k, "path" | "dest" | "name"))
                .map(|(_, v)| v.to_string());
            match path {
                Some(path) if absent => argv(via, &["rm".into(), "-rf".into(), path]),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The value of the option `name` (`--command CMD` or `--command=CMD`), if given.
fn option_value<'a>(args: &'a [String], names: &[&str]) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, a)| {
        names.iter().find_map(|n| {
            if a == n {
                args.get(i + 1).map(String::as_str)
            } else {
                a.strip_prefix(n)?.strip_prefix('=')
            }
        })
    })
}

/// A command string run on a machine: `fly ssh console -C CMD`, `gcloud compute ssh VM
/// --command CMD`, `vagrant ssh -c CMD`, `az vm run-command invoke --scripts CMD...`,
/// `aws ssm send-command --parameters commands=CMD`, `salt TARGET cmd.run CMD`.
pub(super) fn machine_command(via: &str, args: &[String]) -> Vec<Inner> {
    let sub = |words: &[&str]| {
        let mut it = args.iter().filter(|a| !a.starts_with('-'));
        words.iter().all(|w| it.any(|a| a == w))
    };
    let text: Vec<String> = match via {
        // `fly ssh console -C CMD`, `fly console -C CMD`, `fly machine exec ID CMD`.
        "fly" | "flyctl" if sub(&["ssh"]) || sub(&["console"]) => {
            option_value(args, &["-C", "--command"])
                .map(str::to_string)
                .into_iter()
                .collect()
        }
        "fly" | "flyctl" if sub(&["machine", "exec"]) || sub(&["m", "exec"]) => args
            .iter()
            .position(|a| a == "exec")
            .and_then(|at| {
                let rest: Vec<&String> = args[at + 1..]
                    .iter()
                    .filter(|a| !a.starts_with('-'))
                    .collect();
                rest.get(1).map(|c| c.to_string())
            })
            .into_iter()
            .collect(),
        // `gcloud compute ssh VM -- CMD`, `vagrant ssh -- CMD`: after `--`, ssh's own
        // arguments, the remote command among them.
        "gcloud" | "vagrant" if sub(&["ssh"]) => {
            let names: &[&str] = if via == "gcloud" {
                &["--command"]
            } else {
                &["-c", "--command"]
            };
            let mut found: Vec<String> = option_value(args, names)
                .map(str::to_string)
                .into_iter()
                .collect();
            if let Some(dd) = args.iter().position(|a| a == "--") {
                found.extend(
                    args.get(dd + 1..)
                        .filter(|r| !r.is_empty())
                        .map(|r| r.join(" ")),
                );
            }
            found
        }
        // `--scripts` takes every word up to the next option.
        "az" if sub(&["run-command"]) => args
            .iter()
            .position(|a| a == "--scripts" || a == "--script")
            .map(|at| {
                args[at + 1..]
                    .iter()
                    .take_while(|a| !a.starts_with("--"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_else(|| {
                option_value(args, &["--scripts", "--script"])
                    .map(str::to_string)
                    .into_iter()
                    .collect()
            }),
        "aws" if sub(&["ssm", "send-command"]) => option_value(args, &["--parameters"])
            .map(ssm_commands)
            .unwrap_or_default(),
        // `salt TARGET cmd.run CMD` (or `cmd=CMD`), `cmd.shell`, `cmd.retcode`,
        // `cmd.exec_code SHELL CODE`; `file.remove PATH` deletes it, a directory with
        // everything in it.
        "salt" | "salt-ssh" | "salt-call" => {
            let at = args.iter().position(|a| {
                a.starts_with("cmd.run")
                    || matches!(
                        a.as_str(),
                        "cmd.shell" | "cmd.retcode" | "cmd.exec_code" | "file.remove"
                    )
            });
            match at.map(|at| (args[at].as_str(), &args[at + 1..])) {
                Some(("file.remove", rest)) => {
                    return rest.first().map_or_else(Vec::new, |p| {
                        argv(via, &["rm".to_string(), "-rf".to_string(), p.clone()])
                    });
                }
                Some(("cmd.exec_code", rest)) => rest.get(1).cloned().into_iter().collect(),
                Some((_, rest)) => rest
                    .first()
                    .map(|c| c.strip_prefix("cmd=").unwrap_or(c).to_string())
                    .into_iter()
                    .collect(),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    text.into_iter()
        .flat_map(|t| script(via, std::slice::from_ref(&t)))
        .collect()
}

/// The command lines of an SSM `--parameters` value: `commands=CMD`, the shorthand list
/// `commands=A,B` or `commands=["A","B"]`, or JSON `{"commands":["A","B"]}`.
fn ssm_commands(value: &str) -> Vec<String> {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            serde_json::Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(value) {
        return json.get("commands").map(strings).unwrap_or_default();
    }
    let Some(rest) = value.strip_prefix("commands=") else {
        return Vec::new();
    };
    if let Ok(list) = serde_json::from_str::<serde_json::Value>(rest) {
        return strings(&list);
    }
    // The CLI's shorthand: a comma between commands (`commands=ls,dropdb app`).
    rest.split(',').map(str::to_string).collect()
}

/// `multipass exec NAME [--] COMMAND...`: the command runs in the VM, word for word.
pub(super) fn multipass(via: &str, args: &[String]) -> Vec<Inner> {
    let o = Opts {
        short_values: "d",
        long_values: &["working-directory"],
    };
    exec_in_instance(args, &o, &o).map_or_else(Vec::new, |command| argv(via, command))
}

/// Parallel shells: `pssh -h HOSTS CMD`, `pdsh -w HOSTS CMD...`, `clush -w NODES
/// CMD...`: the command runs on every host.
pub(super) fn parallel_shell(via: &str, args: &[String]) -> Vec<Inner> {
    let o = match via {
        "pdsh" => Opts {
            short_values: "wxglRftuN",
            long_values: &[],
        },
        "clush" => Opts {
            short_values: "wxgXlfturRoOE",
            long_values: &[
                "nodes", "group", "exclude", "user", "fanout", "options", "rcopy", "copy", "dest",
                "worker", "remote", "conf",
            ],
        },
        // pssh, parallel-ssh
        _ => Opts {
            short_values: "hHlpoetOxX",
            long_values: &[
                "hosts",
                "host",
                "user",
                "par",
                "outdir",
                "errdir",
                "timeout",
                "option",
                "extra-args",
                "extra-arg",
            ],
        },
    };
    let at = skip_options(args, &o);
    script(via, args.get(at..).unwrap_or_default())
}
