//! `guard -c STRING`, `guard check -c` and `guard check --stdin` through the real binary.

use crate::util::Sandbox;

#[test]
fn shell_string_runs_with_its_exit_status() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args(["-c", "echo one; echo two >&2; exit 5"])
        .run()
        .expect_code(5);
    assert_eq!(out.stdout(), "one\n");
    assert_eq!(out.stderr(), "two\n");
}

#[test]
fn guard_shell_chooses_the_shell() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args(["-c", "echo $0"])
        .env("GUARD_SHELL", "/bin/bash")
        .run()
        .expect_code(0);
    assert_eq!(out.stdout().trim(), "/bin/bash");
}

#[test]
fn a_dangerous_command_anywhere_refuses_the_whole_string() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args([
            "-c",
            "touch before; sudo bash -c 'git push --force origin main'; touch after",
        ])
        .run();
    out.expect_code(77)
        .stderr_has("git.push-force")
        .stderr_has("> sudo > bash -c");
    // Nothing ran: not even the harmless commands before it.
    assert!(!s.work().join("before").exists());
    assert!(!s.work().join("after").exists());
}

#[test]
fn unparsable_strings_are_denied_and_never_run() {
    let s = Sandbox::new();
    for text in [
        "touch x; echo 'unterminated",
        "touch x )",
        "if true; then touch x",
    ] {
        s.guard()
            .args(["-c", text])
            .run()
            .expect_code(77)
            .stderr_has("shell.parse-error");
        assert!(!s.work().join("x").exists(), "{text}");
        let out = s
            .guard()
            .args(["check", "--json", "-c", text])
            .run()
            .expect_code(4);
        assert_eq!(out.json()["findings"][0]["rule"], "shell.parse-error");
    }
}

#[test]
fn data_in_strings_passes_silently() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args([
            "-c",
            "echo 'terraform destroy' > notes.md && grep 'rm -rf' notes.md; echo done",
        ])
        .run()
        .expect_code(0);
    assert_eq!(out.stdout(), "done\n");
    assert_eq!(out.stderr(), "", "no warning for data");
}

#[test]
fn findings_say_where_in_the_string() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args(["check", "--json", "-c", "ls && kubectl delete ns payments"])
        .run()
        .expect_code(3);
    let f = &out.json()["findings"][0];
    assert_eq!(f["rule"], "kubernetes.delete-namespace");
    assert_eq!(f["origin"], "6..32");
    assert_eq!(f["command"], "kubectl delete ns payments");
    assert_eq!(f["target"], "payments");
}

#[test]
fn argv_commands_are_unwrapped_too() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .args([
            "check",
            "--json",
            "--",
            "sudo",
            "-u",
            "root",
            "terraform",
            "destroy",
        ])
        .run();
    let j = out.expect_code(3).json();
    assert_eq!(j["findings"][0]["rule"], "terraform.destroy");
    assert_eq!(j["findings"][0]["origin"], "sudo");
}

#[test]
fn check_stdin_decides_each_line() {
    let s = Sandbox::new();
    let input = "git status\n\nterraform destroy\n{\"argv\": [\"git\", \"push\", \"-f\"]}\n{\"command\": \"echo 'rm -rf /'\"}\n{\"argv\": bad json\n";
    let out = s
        .guard()
        .args(["check", "--stdin"])
        .run_with_input(input.as_bytes());
    assert_eq!(out.code(), 4, "exit status is the strictest decision");
    let lines: Vec<serde_json::Value> = out
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| (l["line"].as_u64().unwrap(), l["decision"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (1, "allow"),
            (3, "two-person"),
            (4, "confirm"),
            (5, "allow"),
            (6, "deny")
        ]
    );
}

/// A line starting with `{` is JSON only when it is: a shell brace group is a command,
/// and a broken JSON object is refused rather than read as shell.
#[test]
fn check_stdin_tells_brace_groups_from_json() {
    let s = Sandbox::new();
    let input = "{ git fetch && git status; } 2>&1 | tee status.log\n{ terraform destroy; }\n{\"command\": \"rm -rf /\"\n";
    let out = s
        .guard()
        .args(["check", "--stdin"])
        .run_with_input(input.as_bytes());
    let decisions: Vec<String> = out
        .stdout()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["decision"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(decisions, ["allow", "two-person", "deny"]);
}
