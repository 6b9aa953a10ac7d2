//! Every file under `examples/` is exercised: the CI workflows call guard commands that
//! exist and decide as their comments say, the policy test passes and fails as it
//! should, and no example is left untested.

use crate::util::{GUARD, Sandbox, words};
use clap::Parser;
use std::path::{Path, PathBuf};

fn example(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(rel)
}

/// The guard command lines in a CI file: `run:` values and script list items that
/// start with `guard `.
fn guard_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.strip_prefix("- ").unwrap_or(l))
        .map(|l| l.strip_prefix("run: ").unwrap_or(l))
        .filter(|l| l.starts_with("guard "))
        // A pipe or redirection ends guard's own words.
        .map(|l| l.split(" | ").next().unwrap_or(l).to_string())
        .collect()
}

/// A guard command line's words with the shell variables a CI runner would expand.
fn argv(line: &str) -> Vec<String> {
    let line = line
        .replace("\"$RUNNER_TEMP/guard-shims\"", "/tmp/guard-shims")
        .replace("\"$CI_PROJECT_DIR/.guard-shims\"", "/tmp/guard-shims");
    words(&line).1
}

#[test]
fn ci_workflows_call_guard_commands_that_exist_and_decide_as_documented() {
    for file in ["ci/github-actions.yml", "ci/gitlab-ci.yml"] {
        let text = std::fs::read_to_string(example(file)).unwrap();
        let lines = guard_lines(&text);
        assert!(lines.len() >= 4, "{file}: {lines:?}");
        for line in &lines {
            let words = argv(line);
            assert!(
                guard::cli::Cli::try_parse_from(&words).is_ok(),
                "{file}: `{line}` is not a guard command line"
            );
        }
        // The guarded apply is two-person under the example project config, so the token
        // from the secret is what lets it run; without one it is refused in one line.
        let apply = lines
            .iter()
            .find(|l| l.starts_with("guard -- terraform"))
            .unwrap_or_else(|| panic!("{file} has no guarded apply"));
        let s = Sandbox::new();
        s.project_config(&std::fs::read_to_string(example("project.guard.toml")).unwrap());
        let words = argv(apply);
        let out = s.guard().args(["check", "--json"]).args(&words[1..]).run();
        assert_eq!(out.json()["decision"], "two-person", "{file}: {apply}");
        let out = s
            .guard()
            .env("CI", "true")
            .args(&words[1..])
            .run()
            .expect_code(77);
        assert_eq!(out.stderr().lines().count(), 1, "{}", out.stderr());
        // The request step prints a request an approver can sign.
        let request = lines
            .iter()
            .find(|l| l.starts_with("guard request"))
            .unwrap();
        let out = s.guard().args(&argv(request)[1..]).run().expect_code(0);
        assert!(out.stdout().contains("guard approve guard-request-v1."));
    }
}

fn policy_test(s: &Sandbox, file: &Path) -> std::process::Output {
    let bin = Path::new(GUARD).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = s.command("sh");
    cmd.env("PATH", path)
        .arg(example("ci/guard-policy-test.sh"))
        .arg(file);
    cmd.output().unwrap()
}

#[test]
fn the_policy_test_passes_on_its_example_and_names_each_difference() {
    let s = Sandbox::new();
    s.project_config(&std::fs::read_to_string(example("project.guard.toml")).unwrap());
    let cases = example("ci/policy-commands.tsv");
    let out = policy_test(&s, &cases);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One expectation changed: the test fails and names the line.
    let text = std::fs::read_to_string(&cases).unwrap();
    let changed = text.replacen("deny\trm -rf /", "allow\trm -rf /", 1);
    assert_ne!(text, changed);
    let line = changed
        .lines()
        .position(|l| l == "allow\trm -rf /")
        .unwrap()
        + 1;
    let file = s.write("cases.tsv", &changed);
    let out = policy_test(&s, &file);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "{}:{line}: expected allow, guard decided deny: rm -rf /",
            file.display()
        )
    );
    // The pre-commit config runs that script on that file.
    let pre = std::fs::read_to_string(example("ci/pre-commit-config.yaml")).unwrap();
    assert!(pre.contains("entry: sh examples/ci/guard-policy-test.sh"));
    assert!(pre.contains("files: ^examples/ci/policy-commands\\.tsv$"));
}

/// Each file under examples/ is named in some test, so none goes stale untested.
#[test]
fn every_example_is_exercised_by_a_test() {
    let tests_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let sources: String = std::fs::read_dir(&tests_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let mut stack = vec![example("")];
    let mut missing = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            if !sources.contains(&format!("\"{name}\""))
                && !sources.contains(&format!("/{name}\""))
                && !sources.contains(&format!("{name}\","))
            {
                missing.push(p.display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "examples no test names: {missing:?}");
}
