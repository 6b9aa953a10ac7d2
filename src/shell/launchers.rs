//! More programs that run another command (terminal multiplexers, schedulers, tracers,
//! credential and environment runners, remote shells, awk), each read with its own
//! options. Dispatched from `unwrap.rs`.

use super::unwrap::{Inner, Opts, argv, script, skip_options};

pub(super) fn script_cmd(program: &str, args: &[String]) -> Vec<Inner> {
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

pub(super) fn taskset(program: &str, args: &[String]) -> Vec<Inner> {
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
        argv(program, args.get(start + 1..).unwrap_or_default())
    }
}

pub(super) fn at(program: &str, args: &[String]) -> Vec<Inner> {
    let given_file = args.iter().any(|a| a == "-f" || a.starts_with("-f"));
    if given_file {
        Vec::new()
    } else {
        vec![Inner::ShellStdin {
            via: program.to_string(),
        }]
    }
}

pub(super) fn parallel(program: &str, args: &[String]) -> Vec<Inner> {
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
    // Without `:::` its arguments come from standard input (see `simple.rs`).
    if end < args.len() {
        script(&format!("{program} :::"), &words)
    } else {
        script(program, &words)
    }
}

pub(super) fn screen(program: &str, args: &[String]) -> Vec<Inner> {
    let start = skip_options(
        args,
        &Opts {
            short_values: "cehpSTtX",
            long_values: &[],
        },
    );
    argv(program, &args[start..])
}

pub(super) fn command(program: &str, args: &[String]) -> Vec<Inner> {
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
        argv(program, &args[start..])
    }
}

pub(super) fn ionice(program: &str, args: &[String]) -> Vec<Inner> {
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
        argv(program, &args[start..])
    }
}

pub(super) fn trap(program: &str, args: &[String]) -> Vec<Inner> {
    match args.first() {
        Some(cmd) if !cmd.starts_with('-') && args.len() > 1 => {
            script(program, std::slice::from_ref(cmd))
        }
        _ => Vec::new(),
    }
}

pub(super) fn credential_runner(program: &str, args: &[String]) -> Vec<Inner> {
    match args.iter().position(|a| a == "--") {
        Some(dd) => argv(program, &args[dd + 1..]),
        None => {
            let cmd = args
                .windows(2)
                .find(|w| w[0] == "--command" || w[0] == "-c");
            cmd.map_or_else(Vec::new, |w| script(program, std::slice::from_ref(&w[1])))
        }
    }
}

/// `nix run FLAKE [-- ARGS...]`: the flake's program with ARGS, named by its attribute
/// (`nixpkgs#hello` is `hello`) or else by its repository (`github:nix-community/disko/
/// latest` is `disko`).
fn nix_run(program: &str, args: &[String]) -> Option<Vec<Inner>> {
    // nix's options: some take two words (`--option NAME VALUE`, `--arg NAME EXPR`).
    let skip = |words: &[String]| -> usize {
        let mut i = 0;
        while let Some(a) = words.get(i) {
            i += match a.as_str() {
                "--option" | "--arg" | "--argstr" | "--override-input" | "--override-flake" => 3,
                "--experimental-features"
                | "--extra-experimental-features"
                | "--inputs-from"
                | "-I"
                | "--include"
                | "-j"
                | "--max-jobs"
                | "--store"
                | "--log-format"
                | "-f"
                | "--file"
                | "--expr"
                | "--profile"
                | "--reference-lock-file" => 2,
                a if a.starts_with('-') => 1,
                _ => return i,
            };
        }
        words.len()
    };
    let at = skip(args);
    if args.get(at)? != "run" {
        return None;
    }
    let rest = &args[at + 1..];
    let flake_at = skip(rest);
    let flake = rest.get(flake_at)?;
    let name = match flake.split_once('#') {
        Some((_, attr)) => attr.rsplit('.').next().unwrap_or(attr),
        None => {
            let path = flake.split_once(':').map_or(flake.as_str(), |(_, p)| p);
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            parts.get(1).or(parts.first()).copied().unwrap_or(path)
        }
    };
    // Packages whose program has another name.
    let name = match name {
        "awscli2" | "awscli" => "aws",
        "kubernetes-helm" => "helm",
        "opentofu" => "tofu",
        "google-cloud-sdk" => "gcloud",
        "azure-cli" => "az",
        "postgresql" => "psql",
        other => other,
    };
    let mut words = vec![name.to_string()];
    match rest.iter().position(|a| a == "--") {
        Some(dd) => words.extend_from_slice(&rest[dd + 1..]),
        None => words.extend_from_slice(&rest[flake_at + 1..]),
    }
    Some(argv(program, &words))
}

pub(super) fn nix(program: &str, args: &[String]) -> Vec<Inner> {
    if let Some(found) = nix_run(program, args) {
        return found;
    }
    let run = args
        .windows(2)
        .find(|w| w[0] == "--run" || w[0] == "--command");
    match run {
        Some(w) => script(program, std::slice::from_ref(&w[1])),
        None => match args.iter().position(|a| a == "--command" || a == "-c") {
            Some(i) => argv(program, &args[i + 1..]),
            None => Vec::new(),
        },
    }
}

pub(super) fn ssh(program: &str, args: &[String]) -> Vec<Inner> {
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

pub(super) fn awk(program: &str, args: &[String]) -> Vec<Inner> {
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
