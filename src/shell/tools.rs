//! Commands that other tools run for you: package runners (`npx cdk destroy`, `bundle
//! exec rake db:drop`, `poetry run alembic downgrade base`), a platform's remote run
//! (`heroku run python manage.py flush`), and git's options, variables and subcommands
//! that run a command (`-c core.pager=CMD`, `GIT_SSH_COMMAND`, `submodule foreach CMD`,
//! `rebase --exec CMD`, `bisect run CMD`). Dispatched from `unwrap.rs`.

use super::unwrap::{Inner, Opts, argv, script, skip_options};

/// `npx [OPTIONS] TOOL ARGS...` (and bunx, pnpx, uvx); `npx -c 'CMD'` runs a shell string.
pub(super) fn package_runner(program: &str, args: &[String]) -> Vec<Inner> {
    if let Some(i) = args.iter().position(|a| a == "-c" || a == "--call") {
        return script(program, args.get(i + 1..i + 2).unwrap_or_default());
    }
    let o = Opts {
        short_values: "p",
        long_values: &[
            "package",
            "from",
            "with",
            "python",
            "registry",
            "cache",
            "userconfig",
        ],
    };
    let start = skip_options(args, &o);
    argv(program, &args[start..])
}

/// `npm exec`, `pnpm exec|dlx`, `yarn exec|dlx`, `bun x|exec`, `bundle exec`, `poetry
/// run`, `uv run`, `pipx run`, `pdm run`, `rye run`, `hatch run`, `pipenv run`: the tool
/// after the runner's own subcommand and options. `None` when the subcommand is another.
pub(super) fn runner_subcommand(program: &str, args: &[String]) -> Option<Vec<Inner>> {
    let runs: &[&str] = match program {
        "npm" => &["exec", "x"],
        "pnpm" => &["exec", "dlx"],
        "yarn" => &["exec", "dlx"],
        "bun" => &["x", "exec"],
        "bundle" | "bundler" => &["exec"],
        "poetry" | "uv" | "pipx" | "pdm" | "rye" | "hatch" | "pipenv" => &["run"],
        _ => return None,
    };
    let o = Opts {
        short_values: "pCw",
        long_values: &[
            "package",
            "with",
            "python",
            "directory",
            "project",
            "env",
            "group",
            "extra",
            "workspace",
            "filter",
            "spec",
        ],
    };
    let at = skip_options(args, &o);
    if !runs.contains(&args.get(at)?.as_str()) {
        return None;
    }
    let rest = &args[at + 1..];
    let start = skip_options(rest, &o);
    Some(argv(program, &rest[start..]))
}

/// `heroku run [OPTIONS] CMD...`: the command runs on a one-off dyno of the app.
pub(super) fn heroku_run(args: &[String]) -> Vec<Inner> {
    if args
        .first()
        .is_none_or(|a| a != "run" && a != "run:detached")
    {
        return Vec::new();
    }
    let valued = &[
        "-a", "--app", "-r", "--remote", "-s", "--size", "-e", "--env", "--type",
    ];
    one_off("heroku run", &args[1..], valued)
}

/// `scalingo [--app APP] [--region R] run [OPTIONS] CMD...`: the command runs in a
/// one-off container of the app, with its database's credentials.
pub(super) fn scalingo_run(args: &[String]) -> Vec<Inner> {
    let valued = &[
        "-a", "--app", "-r", "--remote", "--region", "-e", "--env", "-f", "--file", "-s", "--size",
        "-t", "--type",
    ];
    let mut i = 0;
    while let Some(a) = args.get(i).filter(|a| a.starts_with('-')) {
        i += if valued.contains(&a.as_str()) { 2 } else { 1 };
    }
    match args.get(i).map(String::as_str) {
        Some("run" | "r") => one_off("scalingo run", &args[i + 1..], valued),
        _ => Vec::new(),
    }
}

/// A platform's one-off run: its flags (those in `valued` take a value) may come anywhere
/// before the command, which is the rest.
fn one_off(via: &str, args: &[String], valued: &[&str]) -> Vec<Inner> {
    let mut words = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if words.is_empty() && valued.contains(&a.as_str()) {
            i += 2;
            continue;
        }
        match a.as_str() {
            "--" if words.is_empty() => {
                words.extend(args[i + 1..].iter().cloned());
                break;
            }
            _ if words.is_empty() && a.starts_with('-') => {}
            _ => words.push(a.clone()),
        }
        i += 1;
    }
    argv(via, &words)
}

/// The `-c NAME=VALUE` settings under which git runs VALUE as a shell command.
const GIT_COMMAND_SETTINGS: &[&str] = &[
    "core.pager",
    "core.editor",
    "core.sshcommand",
    "core.fsmonitor",
    "core.askpass",
    "sequence.editor",
    "diff.external",
    "credential.helper",
    "gpg.program",
];

/// The variables under which git runs their value as a shell command.
pub(super) const GIT_COMMAND_VARIABLES: &[&str] = &[
    "GIT_PAGER",
    "GIT_EDITOR",
    "GIT_SSH_COMMAND",
    "GIT_SEQUENCE_EDITOR",
    "GIT_EXTERNAL_DIFF",
    "GIT_ASKPASS",
];

/// What a `-c NAME=VALUE` runs, if NAME is one of git's command settings.
pub(super) fn git_setting(kv: &str) -> Option<Vec<Inner>> {
    let (name, value) = kv.split_once('=')?;
    let name = name.to_ascii_lowercase();
    if let Some(cmd) = name.strip_prefix("pager.") {
        let _ = cmd;
        return Some(script(&format!("git -c {name}"), &[value.to_string()]));
    }
    if name == "core.hookspath" {
        return Some(hooks_in(value));
    }
    GIT_COMMAND_SETTINGS
        .contains(&name.as_str())
        .then(|| script(&format!("git -c {name}"), &[value.to_string()]))
}

/// The hooks a `core.hooksPath` directory holds, each read as the script it is (git runs
/// them on commit, push, checkout, merge, rebase...). A directory that does not exist
/// (yet) holds none that guard can read.
fn hooks_in(dir: &str) -> Vec<Inner> {
    const HOOKS: &[&str] = &[
        "pre-commit",
        "prepare-commit-msg",
        "commit-msg",
        "post-commit",
        "pre-push",
        "post-checkout",
        "post-merge",
        "pre-rebase",
        "post-rewrite",
        "pre-auto-gc",
        "reference-transaction",
        "pre-merge-commit",
        "applypatch-msg",
        "pre-applypatch",
        "post-applypatch",
        "push-to-checkout",
        "fsmonitor-watchman",
    ];
    HOOKS
        .iter()
        .map(|h| format!("{}/{h}", dir.trim_end_matches('/')))
        .filter(|path| std::path::Path::new(path).is_file())
        .flat_map(|path| super::unwrap::argv("git -c core.hooksPath", &["sh".to_string(), path]))
        .collect()
}

/// git's subcommands that run a command: `submodule foreach [--recursive] CMD`, `rebase
/// --exec CMD` / `-x CMD`, `bisect run CMD ARGS`, `difftool -x CMD` / `--extcmd=CMD`.
pub(super) fn git_subcommand(sub: &str, rest: &[String]) -> Vec<Inner> {
    match sub {
        "submodule" => {
            let Some(at) = rest.iter().position(|a| a == "foreach") else {
                return Vec::new();
            };
            let words: Vec<String> = rest[at + 1..]
                .iter()
                .skip_while(|a| a.starts_with('-'))
                .cloned()
                .collect();
            script("git submodule foreach", &[words.join(" ")])
        }
        "rebase" | "difftool" => {
            let mut out = Vec::new();
            let mut i = 0;
            while let Some(a) = rest.get(i) {
                let value = match a.as_str() {
                    "--exec" | "-x" | "--extcmd" => rest.get(i + 1).cloned(),
                    _ => a
                        .strip_prefix("--exec=")
                        .or_else(|| a.strip_prefix("--extcmd="))
                        .map(String::from),
                };
                if let Some(v) = value {
                    out.extend(script(&format!("git {sub}"), &[v]));
                }
                i += 1;
            }
            out
        }
        "bisect" if rest.first().is_some_and(|a| a == "run") => argv("git bisect run", &rest[1..]),
        _ => Vec::new(),
    }
}

/// `npm run NAME` (`run-script`, and npm's `start`, `test`, `stop`, `restart`), `pnpm run
/// NAME`, `yarn run NAME`, `bun run NAME`: the package.json script (in `--prefix DIR` or
/// `-C DIR` when given). `None` for anything else.
pub(super) fn package_script(program: &str, args: &[String]) -> Option<Vec<Inner>> {
    let o = Opts {
        short_values: "Cw",
        long_values: &["prefix", "dir", "cwd", "filter", "workspace"],
    };
    let dir = args
        .windows(2)
        .find(|w| matches!(w[0].as_str(), "--prefix" | "-C" | "--dir" | "--cwd"))
        .map_or(String::new(), |w| w[1].clone());
    let at = skip_options(args, &o);
    let sub = args.get(at)?.as_str();
    let name = match sub {
        "run" | "run-script" | "rum" | "urn" => {
            let rest = &args[at + 1..];
            rest.get(skip_options(rest, &o))?.clone()
        }
        "start" | "stop" | "restart" if program == "npm" => sub.to_string(),
        "test" | "t" | "tst" if program == "npm" => "test".to_string(),
        _ => return None,
    };
    Some(vec![Inner::Recipe {
        via: format!("{program} run {name}"),
        recipe: super::recipes::Recipe::Package { dir, name },
    }])
}

/// `make [OPTIONS] [TARGET...]`: each target's recipe (the first target's when none is
/// named), from `-f FILE` or the makefile in `-C DIR`. `make -n` (and `-q`, `-p`) runs no
/// recipe.
pub(super) fn make(program: &str, args: &[String]) -> Vec<Inner> {
    let mut dir = String::new();
    let mut file = String::new();
    let mut targets = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let next = args.get(i + 1).cloned().unwrap_or_default();
        match a.as_str() {
            "-n" | "--dry-run" | "--just-print" | "--recon" | "-q" | "--question" | "-p"
            | "--print-data-base" | "-h" | "--help" | "-v" | "--version" => return Vec::new(),
            "-C" | "--directory" => (dir, i) = (next, i + 1),
            "-f" | "--file" | "--makefile" => (file, i) = (next, i + 1),
            "-o" | "-W" | "-I" | "-l" | "--old-file" | "--what-if" | "--include-dir" => i += 1,
            a if a.starts_with("-C") && a.len() > 2 => dir = a[2..].to_string(),
            a if a.starts_with("-f") && a.len() > 2 => file = a[2..].to_string(),
            // A cluster with `n` (`-sn`, `-kn`) is a dry run too.
            a if a.starts_with('-') && !a.starts_with("--") && a.contains('n') => {
                return Vec::new();
            }
            a if a.starts_with('-') || a.contains('=') || a.bytes().all(|b| b.is_ascii_digit()) => {
            }
            a => targets.push(a.to_string()),
        }
        i += 1;
    }
    let makefile = match (dir.is_empty(), file.is_empty()) {
        (true, _) => file,
        (false, false) if file.starts_with('/') => file,
        (false, false) => format!("{dir}/{file}"),
        (false, true) => format!("{dir}/"),
    };
    let targets: Vec<Option<String>> = if targets.is_empty() {
        vec![None]
    } else {
        targets.into_iter().map(Some).collect()
    };
    targets
        .into_iter()
        .map(|target| Inner::Recipe {
            via: format!("{program} {}", target.as_deref().unwrap_or_default())
                .trim_end()
                .to_string(),
            recipe: super::recipes::Recipe::Make {
                makefile: makefile.clone(),
                target,
            },
        })
        .collect()
}

/// `just [OPTIONS] [RECIPE]`: the recipe's body. `--dry-run`, `--list`, `--show` run none.
pub(super) fn just(program: &str, args: &[String]) -> Vec<Inner> {
    let reads_only = |a: &String| {
        matches!(
            a.as_str(),
            "-n" | "--dry-run" | "-l" | "--list" | "--show" | "-s" | "--summary" | "-h" | "--help"
        )
    };
    if args.iter().any(reads_only) {
        return Vec::new();
    }
    let o = Opts {
        short_values: "df",
        long_values: &[
            "justfile",
            "working-directory",
            "set",
            "shell",
            "dotenv-filename",
            "dotenv-path",
        ],
    };
    let target = args
        .get(skip_options(args, &o))
        .filter(|a| !a.contains('='))
        .cloned();
    vec![Inner::Recipe {
        via: format!("{program} {}", target.as_deref().unwrap_or_default())
            .trim_end()
            .to_string(),
        recipe: super::recipes::Recipe::Just { target },
    }]
}

/// `yarn NAME ARGS...` and `pnpm NAME ARGS...` where NAME is none of their own commands:
/// the package's script NAME if it has one, else the installed binary NAME (`yarn cdk
/// destroy` runs `node_modules/.bin/cdk destroy`).
pub(super) fn package_bin(program: &str, args: &[String]) -> Vec<Inner> {
    const OWN: &[&str] = &[
        "add",
        "audit",
        "autoclean",
        "bin",
        "cache",
        "check",
        "config",
        "create",
        "dedupe",
        "dlx",
        "exec",
        "explain",
        "fetch",
        "generate-lock-entry",
        "global",
        "help",
        "import",
        "i",
        "info",
        "init",
        "install",
        "licenses",
        "link",
        "list",
        "ls",
        "login",
        "logout",
        "node",
        "outdated",
        "owner",
        "pack",
        "patch",
        "patch-commit",
        "plugin",
        "policies",
        "prune",
        "publish",
        "rebuild",
        "remove",
        "rm",
        "run",
        "set",
        "setup",
        "store",
        "tag",
        "team",
        "unlink",
        "unplug",
        "up",
        "update",
        "upgrade",
        "upgrade-interactive",
        "version",
        "versions",
        "why",
        "workspace",
        "workspaces",
        "env",
        "x",
        "test",
        "start",
        "root",
        "outdated",
        "doctor",
        "deploy",
        "approve-builds",
        "self-update",
        "sbom",
    ];
    let o = Opts {
        short_values: "Cw",
        long_values: &["cwd", "dir", "filter", "workspace", "prefix"],
    };
    let at = skip_options(args, &o);
    let Some(name) = args.get(at).filter(|n| !OWN.contains(&n.as_str())) else {
        return Vec::new();
    };
    let mut found = vec![Inner::Recipe {
        via: format!("{program} {name}"),
        recipe: super::recipes::Recipe::Package {
            dir: String::new(),
            name: name.clone(),
        },
    }];
    found.extend(argv(program, &args[at..]));
    found
}
