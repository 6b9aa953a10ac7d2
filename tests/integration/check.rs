//! `guard check`: decisions, explanations and the JSON interface.

use crate::util::Sandbox;

#[test]
fn json_has_the_documented_fields() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args([
            "check",
            "--json",
            "--",
            "terraform",
            "destroy",
            "-auto-approve",
        ])
        .run();
    let out = out.expect_code(3);
    let j = out.json();
    assert_eq!(j["version"], 1);
    assert_eq!(j["decision"], "two-person");
    assert_eq!(j["command"], "terraform destroy -auto-approve");
    let findings = j["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"terraform.destroy"), "{ids:?}");
    let f = findings
        .iter()
        .find(|f| f["rule"] == "terraform.destroy")
        .unwrap();
    assert_eq!(f["severity"], "two-person");
    assert_eq!(f["rule_severity"], "two-person");
    assert!(f["reason"].as_str().unwrap().contains("destroys"));
    assert!(f["suggestion"].as_str().unwrap().contains("plan -destroy"));
    assert_eq!(f["command"], "terraform destroy -auto-approve");
    assert!(f["protected_environment"].is_null());
}

#[test]
fn allow_is_an_empty_finding_list_and_exit_zero() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args(["check", "--json", "--", "ls", "-la"])
        .run()
        .expect_code(0);
    let j = out.json();
    assert_eq!(j["decision"], "allow");
    assert_eq!(j["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn exit_status_follows_the_decision() {
    let s = Sandbox::new();
    s.user_config(
        r#"
[[rules]]
id = "t.warn"
tools = ["w"]
severity = "warn"
reason = "r"
[[rules]]
id = "t.deny"
tools = ["d"]
severity = "deny"
reason = "r"
"#,
    );
    let cases: [(&[&str], i32); 5] = [
        (&["ls"], 0),
        (&["w"], 1),
        (&["git", "push", "--force"], 2),
        (&["terraform", "destroy"], 3),
        (&["d"], 4),
    ];
    for (argv, code) in cases {
        s.guard()
            .arg_list(&["check", "--"], argv)
            .run()
            .expect_code(code);
    }
}

#[test]
fn human_output_explains_rule_reason_and_alternative() {
    let s = Sandbox::new();
    s.guard()
        .args(["check", "--", "git", "push", "--force", "origin", "main"])
        .run()
        .expect_code(2)
        .stdout_has("confirm")
        .stdout_has("git.push-force")
        .stdout_has("rewrites")
        .stdout_has("safer: git push --force-with-lease")
        .stdout_has("target: main");
}

#[test]
fn check_never_runs_the_command() {
    let s = Sandbox::new();
    s.guard()
        .args(["check", "--", "touch", "made"])
        .run()
        .expect_code(0);
    assert!(!s.work().join("made").exists());
}

#[test]
fn escape_sequences_in_argv_are_not_printed_raw() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args(["check", "--", "git", "push", "-f", "origin", "\x1b[2Jmain"])
        .run();
    let out = out.expect_code(2);
    assert!(!out.stdout().contains('\x1b'), "{}", out.stdout());
    assert!(out.stdout().contains("\\x1b[2Jmain"));
}

#[test]
fn tf_cli_args_from_the_environment_count() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args(["check", "--json", "--", "terraform", "apply"])
        .env("TF_CLI_ARGS_apply", "-destroy -input=false")
        .run()
        .expect_code(3);
    let j = out.json();
    assert_eq!(j["findings"][0]["rule"], "terraform.apply-destroy");
    assert_eq!(j["findings"][0]["via_env"], "TF_CLI_ARGS_apply");
}

/// Scripts and task runners are read before they run: a script file, a package.json
/// script, a make target (with what it depends on), a just recipe; the same names with
/// harmless recipes pass, and a dry run reads nothing.
#[test]
fn scripts_and_task_runners_are_read_from_their_files() {
    let s = Sandbox::new();
    s.write(
        "work/x.sh",
        "#!/bin/sh\nset -e\nterraform destroy -auto-approve\n",
    );
    s.write(
        "work/build.sh",
        "#!/usr/bin/env bash\ncargo build --release\n",
    );
    // A configure-style script computes its programs: what it leaves unknown is not held
    // against the command that runs it.
    s.write(
        "work/configure",
        "#!/bin/sh\neval \"$(./detect --shell)\"\n$CC -o conftest conftest.c\nrm -f conftest\n",
    );
    s.write(
        "work/tool.py",
        "#!/usr/bin/env python3\nprint('terraform destroy')\n",
    );
    s.write(
        "work/package.json",
        r#"{"scripts":{"build":"tsc","destroy":"cdk destroy --force"}}"#,
    );
    s.write(
        "work/Makefile",
        "TF = terraform\n\nbuild:\n\tgo build ./...\n\nnuke: clean-state\n\t$(TF) destroy -auto-approve\n\nclean-state:\n\t@echo cleaning\n",
    );
    s.write(
        "work/justfile",
        "build:\n    cargo build\n\nwipe:\n    dropdb app\n",
    );
    let decide = |line: &str| {
        let out = s.guard().args(["check", "--json", "-c", line]).run();
        out.json()["decision"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    for line in [
        "bash x.sh",
        "./x.sh",
        "source x.sh",
        "sh ./x.sh",
        "npm run destroy",
        "make nuke",
        "make -C . nuke",
        "just wipe",
        "echo 'dropdb shop' > y.sh; bash y.sh",
        "cat > z.sh <<'EOF'\nkubectl delete ns prod\nEOF\nchmod +x z.sh && ./z.sh",
    ] {
        assert_eq!(decide(line), "two-person", "{line}");
    }
    for line in [
        "bash build.sh",
        "./configure",
        "./tool.py",
        "npm run build",
        "make build",
        "make",
        "make -n nuke",
        "just build",
        "bash missing.sh",
        "echo 'ls -la' > y.sh; bash y.sh",
    ] {
        assert_eq!(decide(line), "allow", "{line}");
    }
}
