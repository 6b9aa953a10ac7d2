//! Completions and the man page are generated from the CLI definition; the copies in
//! `contrib/` must match what the binary generates (run with `GUARD_BLESS=1` to update
//! them after a CLI change). Every subcommand's help carries examples.

use crate::util::Sandbox;
use clap::CommandFactory;
use std::path::Path;

const GENERATED: &[(&[&str], &str)] = &[
    (&["completions", "bash"], "contrib/completions/guard.bash"),
    (&["completions", "zsh"], "contrib/completions/_guard"),
    (&["completions", "fish"], "contrib/completions/guard.fish"),
    (&["man"], "contrib/man/guard.1"),
];

#[test]
fn contrib_completions_and_man_page_match_the_cli() {
    let s = Sandbox::new();
    let bless = std::env::var_os("GUARD_BLESS").is_some();
    let mut drifted = Vec::new();
    for (args, rel) in GENERATED {
        let out = s.guard().args(*args).run().expect_code(0);
        let generated = out.stdout();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        if bless {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        if kept != generated {
            drifted.push(*rel);
        }
    }
    assert!(
        drifted.is_empty(),
        "{drifted:?} differ from what `guard` generates: run `GUARD_BLESS=1 cargo test --test integration docs` and commit"
    );
}

#[test]
fn completions_know_every_subcommand() {
    let s = Sandbox::new();
    let bash = s
        .guard()
        .args(["completions", "bash"])
        .run()
        .expect_code(0)
        .stdout();
    for sub in guard::cli::Cli::command().get_subcommands() {
        assert!(
            bash.contains(&format!(
                "guard__subcmd__{}",
                sub.get_name().replace('-', "__")
            )),
            "{} missing from the bash completions",
            sub.get_name()
        );
    }
    let man = s.guard().args(["man"]).run().expect_code(0).stdout();
    assert!(man.starts_with(".ie"), "roff");
    assert!(man.contains(".TH guard 1"));
}

/// Every subcommand, at every depth, shows examples in its help.
#[test]
fn every_subcommand_has_examples_in_its_help() {
    fn walk(cmd: &clap::Command, path: String, missing: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{path} {}", sub.get_name());
            let help = sub
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            if sub.get_subcommands().next().is_none() && !help.contains("Example") {
                missing.push(name.clone());
            }
            walk(sub, name, missing);
        }
    }
    let mut missing = Vec::new();
    walk(&guard::cli::Cli::command(), "guard".into(), &mut missing);
    assert!(
        missing.is_empty(),
        "no examples in the help of: {missing:?}"
    );
}

#[test]
fn quiet_silences_only_what_passes() {
    let s = Sandbox::new();
    let out = s.guard().args(["check", "--", "ls"]).run().expect_code(0);
    assert_eq!(out.stdout(), "allow: ls (no rule matched)\n");
    let out = s
        .guard()
        .args(["--quiet", "check", "--", "ls"])
        .run()
        .expect_code(0);
    assert_eq!(out.stdout(), "");
    let out = s
        .guard()
        .args(["--quiet", "check", "--", "git", "push", "-f"])
        .run()
        .expect_code(2);
    assert!(out.stdout().starts_with("confirm\n"), "{}", out.stdout());
    // Global options go before the subcommand too; `-c` with a subcommand is refused.
    s.guard()
        .args(["--non-interactive", "check", "--", "ls"])
        .run()
        .expect_code(0);
    s.guard()
        .args(["-c", "ls", "check", "--", "ls"])
        .run()
        .expect_code(64)
        .stderr_has("cannot be given with a subcommand");
}
