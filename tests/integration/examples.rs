//! Every file under `examples/` is exercised: the CI workflows call guard commands that
//! exist and decide as their comments say, the policy test passes and fails as it
//! should, and no example is left untested.

use crate::util::{GUARD, Out, Sandbox, words};
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

/// A guard command line's words.
fn argv(line: &str) -> Vec<String> {
    words(line).1
}

/// The guard lines of each job, in order: GitHub's `jobs: plan:` and `apply:`, GitLab's
/// top-level `plan:` and `apply:` (its `after_script` included).
fn jobs(text: &str) -> Vec<(String, String)> {
    let mut job = String::new();
    let mut out = Vec::new();
    for raw in text.lines() {
        let head = raw.trim_end().strip_suffix(':').unwrap_or("");
        if raw.len() - raw.trim_start().len() <= 2 && matches!(head.trim(), "plan" | "apply") {
            job = head.trim().to_string();
        }
        for line in guard_lines(raw) {
            out.push((job.clone(), line));
        }
    }
    out
}

/// The variables a CI platform sets for a run of `commit` started by alice, checked out
/// at `workspace`, deploying to production.
fn platform_env(file: &str, workspace: &Path, commit: &str) -> Vec<(&'static str, String)> {
    let ws = workspace.display().to_string();
    let mut env = vec![
        ("CI", "true".to_string()),
        ("GUARD_ENVIRONMENT", "production".into()),
    ];
    if file.contains("github") {
        env.extend([
            ("GITHUB_ACTIONS", "true".to_string()),
            ("GITHUB_REPOSITORY", "acme/infra".into()),
            ("GITHUB_SHA", commit.into()),
            ("GITHUB_ACTOR", "alice".into()),
            ("GITHUB_WORKSPACE", ws),
        ]);
    } else {
        env.extend([
            ("GITLAB_CI", "true".to_string()),
            ("CI_PROJECT_PATH", "acme/infra".into()),
            ("CI_COMMIT_SHA", commit.into()),
            ("GITLAB_USER_LOGIN", "alice".into()),
            ("CI_PROJECT_DIR", ws),
        ]);
    }
    env
}

/// The workflows run as written, on fresh runners that share only the team's store:
/// the plan job saves a plan and asks once; an approver lists and approves it by id from
/// a laptop; the apply job on another runner applies exactly that plan, once; a re-run
/// of the apply job finds the approval spent and runs nothing.
#[test]
fn ci_workflows_run_as_written_on_fresh_runners() {
    let stub = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stubs/terraform");
    let plan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans/terraform/replace-delete-create.json");
    for file in ["ci/github-actions.yml", "ci/gitlab-ci.yml"] {
        let text = std::fs::read_to_string(example(file)).unwrap();
        let lines = jobs(&text);
        for (_, line) in &lines {
            assert!(
                guard::cli::Cli::try_parse_from(argv(line)).is_ok(),
                "{file}: `{line}` is not a guard command line"
            );
        }
        let platform = if file.contains("github") {
            "github"
        } else {
            "gitlab"
        };
        // The team: alice pushed; bob approves; the store is shared.
        let team = Sandbox::new();
        let store = team.path("store");
        let keys = team.path("keys");
        std::fs::create_dir_all(&keys).unwrap();
        let mut signers = String::new();
        for who in ["alice", "bob"] {
            let st = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", who, "-f"])
                .arg(keys.join(who))
                .status()
                .unwrap();
            assert!(st.success());
            let name = if who == "alice" {
                format!("{platform}:alice")
            } else {
                "bob@acme".into()
            };
            let key = std::fs::read_to_string(keys.join(format!("{who}.pub"))).unwrap();
            signers.push_str(&format!("{name} {key}"));
        }
        let signers = team.write("keys/allowed_signers", &signers);
        let config = format!("[approvals]\nallowed_signers = {signers:?}\n");
        let runner = || {
            let r = Sandbox::new();
            r.system_config(&config);
            std::fs::create_dir_all(r.path("bin")).unwrap();
            std::fs::copy(&stub, r.path("bin/terraform")).unwrap();
            std::fs::create_dir_all(r.path("work/envs/prod")).unwrap();
            r
        };
        let commit = "4f2c0aa1e0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
        let run_job = |r: &Sandbox, job: &str, wait: Option<&str>| -> Vec<Out> {
            let path = format!(
                "{}:{}",
                r.path("bin").display(),
                std::env::var("PATH").unwrap()
            );
            lines
                .iter()
                .filter(|(j, _)| j == job)
                .map(|(_, line)| {
                    let mut words = argv(line);
                    if let (Some(w), Some(i)) = (wait, words.iter().position(|a| a == "--wait")) {
                        words[i + 1] = w.to_string();
                    }
                    let mut cmd = r
                        .guard()
                        .args(&words[1..])
                        .env("PATH", &path)
                        .env("XDG_STATE_HOME", &store)
                        .env("GUARD_STUB_PLAN", &plan)
                        .env("GUARD_STUB_LOG", r.path("stub.log"));
                    for (k, v) in platform_env(file, &r.work(), commit) {
                        cmd = cmd.env(k, v);
                    }
                    cmd.run()
                })
                .collect()
        };
        let applied = |r: &Sandbox| {
            std::fs::read_to_string(r.path("stub.log"))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("\tapply\t"))
                .count()
        };

        // The plan job.
        let a = runner();
        let outs = run_job(&a, "plan", None);
        assert_eq!(outs.len(), 3, "{file}: {lines:?}");
        for o in &outs {
            assert_eq!(o.code(), 0, "{file}: {}", o.stderr());
        }
        let asked = outs[2].stdout();
        assert!(
            asked.contains(
                "requester: {platform}:alice"
                    .replace("{platform}", platform)
                    .as_str()
            ),
            "{asked}"
        );
        assert!(
            asked.contains("ci run:    ") && asked.contains("environment production"),
            "{asked}"
        );

        // The approver, on a laptop sharing the store, lists it and approves it by id.
        let laptop = Sandbox::new();
        laptop.system_config(&config);
        let listed = laptop
            .guard()
            .env("XDG_STATE_HOME", &store)
            .args(["approve", "--list", "--json"])
            .run()
            .expect_code(0)
            .json();
        let waiting = listed.as_array().unwrap();
        assert_eq!(
            waiting.len(),
            1,
            "{file}: one request, asked once: {listed}"
        );
        let id = waiting[0]["id"].as_str().unwrap().to_string();
        laptop
            .guard()
            .env("XDG_STATE_HOME", &store)
            .args(["approve", "--yes", "--key"])
            .arg(keys.join("bob"))
            .arg(&id)
            .run()
            .expect_code(0);

        // The apply job, on a fresh runner, with the plan as an artifact.
        let b = runner();
        std::fs::copy(
            a.path("work/envs/prod/tfplan"),
            b.path("work/envs/prod/tfplan"),
        )
        .unwrap();
        for o in run_job(&b, "apply", None) {
            assert_eq!(o.code(), 0, "{file}: {}", o.stderr());
        }
        assert_eq!(applied(&b), 1, "{file}");
        // A re-run of the apply job on another fresh runner: the approval is spent; a new
        // one is asked for, and nothing runs without it.
        let c = runner();
        std::fs::copy(
            a.path("work/envs/prod/tfplan"),
            c.path("work/envs/prod/tfplan"),
        )
        .unwrap();
        let outs = run_job(&c, "apply", Some("1s"));
        let apply = outs
            .iter()
            .find(|o| o.code() != 0)
            .expect("the re-run is refused");
        assert_eq!(apply.code(), 77, "{file}: {}", apply.stderr());
        assert_eq!(applied(&c), 0, "{file}");
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
