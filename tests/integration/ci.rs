//! In CI (no terminal, `CI=true`) a refusal is one line; in GitHub Actions it is also an
//! error annotation on stdout.

use crate::util::Sandbox;

#[test]
fn a_ci_refusal_is_one_line() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .env("CI", "true")
        .args(["--", "terraform", "destroy", "-auto-approve"])
        .run()
        .expect_code(77);
    let err = out.stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("guard: refused: terraform destroy -auto-approve (two-person)"));
    assert!(err.contains("rule terraform.destroy (two-person)"), "{err}");
    assert!(err.contains("an approver runs `guard approve guard-request-v1."));
    assert_eq!(out.stdout(), "", "no annotation outside GitHub Actions");
    // Outside CI the same refusal is the full, multi-line explanation.
    let out = s
        .guard()
        .args(["--non-interactive", "--", "terraform", "destroy"])
        .run()
        .expect_code(77);
    assert!(out.stderr().lines().count() > 5);
}

#[test]
fn github_actions_gets_an_error_annotation() {
    let s = Sandbox::new();
    let out = s
        .guard()
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .args(["-c", "kubectl --context prod delete namespace payments"])
        .run()
        .expect_code(77);
    let stdout = out.stdout();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let line = stdout.trim_end();
    assert!(
        line.starts_with("::error title=guard refused a command::kubectl --context prod delete namespace payments"),
        "{line}"
    );
    // The annotation carries the same one line as the log.
    let err = out.stderr();
    assert_eq!(
        line.split_once("::").unwrap().1.split_once("::").unwrap().1,
        err.trim_end().strip_prefix("guard: refused: ").unwrap()
    );
    // A command that passes prints nothing of guard's own.
    let out = s
        .guard()
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .args(["--", "true"])
        .run()
        .expect_code(0);
    assert_eq!((out.stdout(), out.stderr()), (String::new(), String::new()));
}
