//! PATH shims: real programs (git, touch) run through a shim, with the decision and the
//! audit record; a shim directory listed twice, or shims reached through shims, never
//! call themselves; what a parent guard passed is not asked about twice.

use crate::confirm::spawn;
use crate::util::{GUARD, Sandbox};
use std::path::Path;
use std::process::Output;

/// Runs a shell line the way a person or an agent would, with `dirs` first on PATH.
fn sh(s: &Sandbox, dirs: &[&Path], line: &str, agent: bool) -> Output {
    let mut path: Vec<_> = dirs.iter().map(|d| d.to_path_buf()).collect();
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut cmd = s.command("sh");
    cmd.env("PATH", std::env::join_paths(path).unwrap())
        .arg("-c")
        .arg(line);
    if agent {
        cmd.env("GUARD_AGENT", "test-agent");
    }
    cmd.output().unwrap()
}

/// The decision records in the audit log, as (command, gate).
fn decisions(s: &Sandbox) -> Vec<(String, String)> {
    let out = s.guard().args(["log", "--json", "-n", "100"]).run();
    out.stdout()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["decision"]["command"].as_str().unwrap().to_string(),
                v["decision"]["gate"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn install(s: &Sandbox, dir: &Path, programs: &[&str]) {
    s.guard()
        .args(["shim", "install", "--dir"])
        .arg(dir)
        .args(programs)
        .run()
        .expect_code(0);
}

#[test]
fn real_git_runs_through_a_shim_with_its_decision_on_record() {
    let s = Sandbox::new();
    let shims = s.path("shims");
    install(&s, &shims, &["git"]);
    assert!(std::fs::read_link(shims.join("git")).is_ok());
    let out = sh(
        &s,
        &[&shims],
        "git init -q repo && git -C repo status --short && echo ran",
        false,
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ran"),
        "{out:?}"
    );
    assert!(s.work().join("repo/.git").is_dir(), "the real git ran");
    // An agent's force push is refused by the shim, before git starts.
    let out = sh(&s, &[&shims], "git -C repo push --force origin main", true);
    assert_eq!(out.status.code(), Some(77), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("git.push-force"), "{err}");
    // Allowed commands through a shim keep no record by default ([audit] allowed =
    // "explicit"); the refusal does.
    assert_eq!(
        decisions(&s),
        [(
            "git -C repo push --force origin main".to_string(),
            "refused".to_string()
        ),]
    );
    // With `allowed = "all"`, every one is on the record.
    s.user_config("[audit]\nallowed = \"all\"\n");
    let out = sh(
        &s,
        &[&shims],
        "git -C repo status --short && echo ran",
        false,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ran"));
    assert_eq!(
        decisions(&s).last(),
        Some(&(
            "git -C repo status --short".to_string(),
            "allowed".to_string()
        ))
    );
}

#[test]
fn a_shim_directory_listed_twice_still_finds_the_real_program() {
    let s = Sandbox::new();
    let (a, b) = (s.path("shims-a"), s.path("shims-b"));
    install(&s, &a, &["git"]);
    install(&s, &b, &["git"]);
    // shims, other shims, shims again, then the real git.
    let out = sh(&s, &[&a, &b, &a], "git --version", false);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("git version"),
        "{out:?}"
    );
    // guard itself run with the shims first on PATH runs the real git, not a shim: one
    // decision per run, where a shim calling guard again would make two.
    let line = format!("{GUARD} -- git --version");
    let out = sh(&s, &[&a, &b], &line, false);
    assert!(out.status.success(), "{out:?}");
    // The shim's allowed run keeps no record by default; guard's explicit run does.
    assert_eq!(
        decisions(&s),
        [("git --version".to_string(), "allowed".to_string())]
    );
    // A shim whose program is nowhere else on PATH says so instead of looping.
    let out = s
        .guard()
        .args(["shim", "install", "--dir"])
        .arg(&a)
        .arg("no-such-program-xyz")
        .run()
        .expect_code(0);
    assert!(out.stderr().contains("not on PATH"));
    let out = sh(
        &s,
        &[&a, &a],
        "no-such-program-xyz; echo \"exit=$?\"",
        false,
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("exit=127"),
        "{out:?}"
    );
}

#[test]
fn list_and_remove_touch_only_guards_shims() {
    let s = Sandbox::new();
    let shims = s.path("home/.local/share/guard/shims");
    // The default directory; a foreign file in it is never overwritten or removed.
    s.write(
        "home/.local/share/guard/shims/kubectl",
        "#!/bin/sh\necho mine\n",
    );
    let out = s.guard().args(["shim", "install", "git", "kubectl"]).run();
    assert_eq!(out.code(), 1);
    assert!(out.stderr().contains("is not a guard shim; left alone"));
    assert!(out.stdout().contains("added: git"));
    assert!(out.stdout().contains("export PATH="), "PATH advice");
    let out = s.guard().args(["shim", "list"]).run().expect_code(0);
    assert!(out.stdout().contains("git "), "{}", out.stdout());
    assert!(!out.stdout().contains("kubectl"));
    assert!(
        out.stdout().contains("NOT guarded"),
        "not first on PATH here"
    );
    for bad in ["guard", "../git", "/usr/bin/git"] {
        s.guard()
            .args(["shim", "install", bad])
            .run()
            .expect_code(64)
            .stderr_has("cannot be a shim");
    }
    s.guard()
        .args(["shim", "remove", "kubectl"])
        .run()
        .expect_code(1)
        .stderr_has("not a guard shim");
    s.guard()
        .args(["shim", "remove"])
        .run()
        .expect_code(0)
        .stdout_has("removed from");
    assert!(!shims.join("git").exists());
    assert_eq!(
        std::fs::read_to_string(shims.join("kubectl")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn by_default_every_guarded_program_on_path_gets_a_shim() {
    let s = Sandbox::new();
    let out = s.guard().args(["shim", "install"]).run().expect_code(0);
    let added = out
        .stdout()
        .lines()
        .find_map(|l| l.trim().strip_prefix("added: ").map(str::to_string))
        .unwrap();
    let added: Vec<&str> = added.split(' ').collect();
    // git, rm and kubectl are on this machine's PATH and named by the packs; a program
    // no pack names is not shimmed.
    for p in ["git", "rm", "kubectl"] {
        assert!(added.contains(&p), "{added:?}");
    }
    assert!(!added.contains(&"ls") && !added.contains(&"cat"));
}

const TOUCH_RULE: &str = r#"
[[rules]]
id = "test.touch"
tools = ["touch"]
severity = "confirm"
reason = "creates a file"
target = ["arg:1"]
"#;

/// A command confirmed once by `guard -c` is not asked about again by the shim its
/// shell reaches; a command guard did not see is.
#[test]
fn what_guard_passed_is_not_asked_twice_but_unseen_commands_are() {
    let s = Sandbox::new();
    s.user_config(TOUCH_RULE);
    let shims = s.path("shims");
    install(&s, &shims, &["touch"]);
    let path = format!("{}:{}", shims.display(), std::env::var("PATH").unwrap());
    let mut p = spawn(
        &s,
        &format!("PATH='{path}' GUARD -c 'touch first-file'; echo \"exit=$?\""),
    );
    p.exp_string("Type `first-file`").unwrap();
    p.send_line("first-file").unwrap();
    p.exp_string("exit=0").unwrap();
    assert!(s.work().join("first-file").exists());
    // The shim's pass is on the record, naming the guard run that decided.
    let records = decisions(&s);
    assert_eq!(
        records,
        [
            ("touch first-file".to_string(), "confirmed".to_string()),
            ("touch first-file".to_string(), "passed".to_string()),
        ]
    );
    // A script guard cannot read runs touch: the shim asks.
    s.write("work/make-file.sh", "touch second-file\n");
    let mut p = spawn(
        &s,
        &format!("PATH='{path}' GUARD -- sh make-file.sh; echo \"exit=$?\""),
    );
    p.exp_string("Type `second-file`").unwrap();
    p.send_line("no").unwrap();
    p.exp_string("exit=77").unwrap();
    assert!(!s.work().join("second-file").exists());
}

/// `GUARD_PASSED` is honoured only from a live guard ancestor: a value an agent makes up
/// (its own digest, any pid) passes nothing.
#[test]
fn a_forged_pass_is_refused() {
    let s = Sandbox::new();
    let shims = s.path("shims");
    install(&s, &shims, &["git"]);
    let argv = ["git", "push", "--force", "origin", "main"];
    let d = guard::app::passed::digest(&argv);
    for value in [
        format!("1 {d}"),
        format!("{} {d}", std::process::id()),
        d.clone(),
    ] {
        let out = sh(
            &s,
            &[&shims],
            &format!("GUARD_PASSED='{value}' {}", argv.join(" ")),
            true,
        );
        assert_eq!(out.status.code(), Some(77), "{value}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("git.push-force"),
            "{value}"
        );
    }
}
