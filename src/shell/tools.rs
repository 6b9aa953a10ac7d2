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
    // Its flags may come anywhere before the command; those that take a value are known.
    let mut words = Vec::new();
    let mut i = 1;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-a" | "--app" | "-r" | "--remote" | "-s" | "--size" | "-e" | "--env" | "--type" => {
                i += 2;
                continue;
            }
            "-x" | "--exit-code" | "--no-tty" | "--no-notify" => {}
            "--" => {
                words.extend(args[i + 1..].iter().cloned());
                break;
            }
            _ if words.is_empty() && a.starts_with('-') => {}
            _ => words.push(a.clone()),
        }
        i += 1;
    }
    argv("heroku run", &words)
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
