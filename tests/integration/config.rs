//! Config layers: protected environments, tighten-only project files, locks, and
//! configuration errors that stop everything.

use crate::util::Sandbox;

fn decision(s: &Sandbox, argv: &[&str]) -> String {
    let out = s.guard().arg_list(&["check", "--json", "--"], argv).run();
    out.json()["decision"].as_str().unwrap().to_string()
}

#[test]
fn project_protected_environment_raises_one_level() {
    let s = Sandbox::new();
    s.project_config(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/project.guard.toml"
        ))
        .unwrap(),
    );
    // confirm -> two-person when the environment is protected
    let out = s
        .guard()
        .args([
            "check",
            "--json",
            "--",
            "terraform",
            "-chdir=envs/prod",
            "apply",
            "-auto-approve",
        ])
        .run();
    let j = out.json();
    assert_eq!(j["decision"], "two-person");
    assert_eq!(j["findings"][0]["rule_severity"], "confirm");
    assert_eq!(j["findings"][0]["protected_environment"], "envs/prod");
    assert_eq!(
        decision(
            &s,
            &["terraform", "-chdir=envs/dev", "apply", "-auto-approve"]
        ),
        "confirm"
    );
    // The workspace from the environment counts too.
    let out = s
        .guard()
        .args([
            "check",
            "--json",
            "--",
            "terraform",
            "apply",
            "-auto-approve",
        ])
        .env("TF_WORKSPACE", "production")
        .run();
    assert_eq!(out.json()["decision"], "two-person");
    // The example file also raises git.push-force to two-person.
    assert_eq!(decision(&s, &["git", "push", "--force"]), "two-person");
    // Protection never turns an allowed command into a refusal.
    assert_eq!(
        decision(&s, &["terraform", "-chdir=envs/prod", "plan"]),
        "allow"
    );
}

#[test]
fn project_config_is_found_walking_up() {
    let s = Sandbox::new();
    s.project_config("protected_environments = [\"prod*\"]\n");
    let sub = s.work().join("a/b/c");
    std::fs::create_dir_all(&sub).unwrap();
    let out = s
        .guard()
        .current_dir(&sub)
        .args([
            "check",
            "--json",
            "--",
            "terraform",
            "apply",
            "-auto-approve",
        ])
        .env("TF_WORKSPACE", "prod-eu")
        .run();
    assert_eq!(out.json()["decision"], "two-person");
}

#[test]
fn project_config_cannot_weaken_and_says_so() {
    let s = Sandbox::new();
    s.project_config(
        "disable = [\"terraform.destroy\"]\n[severity]\n\"git.push-force\" = \"allow\"\n",
    );
    let out = s
        .guard()
        .args(["check", "--json", "--", "git", "push", "-f"])
        .run();
    assert_eq!(out.json()["decision"], "confirm");
    let err = out.stderr();
    assert!(
        err.contains("cannot lower `git.push-force` from confirm to allow"),
        "{err}"
    );
    assert!(err.contains("cannot disable `terraform.destroy`"), "{err}");
    assert_eq!(decision(&s, &["terraform", "destroy"]), "two-person");
    // The project file may raise.
    s.project_config("[severity]\n\"git.push-force\" = \"deny\"\n");
    assert_eq!(decision(&s, &["git", "push", "-f"]), "deny");
}

#[test]
fn explicit_config_cannot_weaken_either() {
    let s = Sandbox::new();
    let f = s.write("weak.toml", "disable = [\"git.push-force\"]\n");
    let out = s
        .guard()
        .args(["check", "--json", "--config"])
        .arg(&f)
        .args(["--", "git", "push", "-f"])
        .run();
    assert_eq!(out.json()["decision"], "confirm");
    let out = s
        .guard()
        .args(["check", "--json", "--", "git", "push", "-f"])
        .env("GUARD_CONFIG", &f)
        .run();
    assert_eq!(out.json()["decision"], "confirm");
    assert!(out.stderr().contains("cannot disable"));
}

#[test]
fn user_config_may_weaken_unless_the_system_locks_it() {
    let s = Sandbox::new();
    s.user_config(
        "disable = [\"git.push-force\"]\n[severity]\n\"terraform.destroy\" = \"confirm\"\n",
    );
    assert_eq!(decision(&s, &["git", "push", "-f"]), "allow");
    assert_eq!(decision(&s, &["terraform", "destroy"]), "confirm");
    s.system_config("lock = true\n");
    assert_eq!(decision(&s, &["git", "push", "-f"]), "confirm");
    assert_eq!(decision(&s, &["terraform", "destroy"]), "two-person");
    // The system layer itself may weaken.
    s.system_config("lock = true\ndisable = [\"terraform.destroy\"]\n");
    assert_eq!(decision(&s, &["terraform", "destroy"]), "allow");
}

#[test]
fn broken_config_is_a_hard_error_and_nothing_runs() {
    let cases = [
        (
            "protected_environments = [\"prod\"\n",
            ":1:33: unclosed array",
        ),
        (
            "protected_enviroments = [\"prod\"]\n",
            "unknown field `protected_enviroments`",
        ),
        (
            "[[rules]]\nid = \"x.y\"\ntools = [\"touch\"]\nargs = { regex = \"(unclosed\" }\nseverity = \"confirm\"\nreason = \"r\"\n",
            ":4:18: bad regex",
        ),
        (
            "[[rules]]\nid = \"x.y\"\ntools = [\"touch\"]\nseverity = \"confirm\"\nreason = \"r\"\nnot_match = [\"touch a\"]\n",
            ":6:14: rule `x.y` matches its not_match example `touch a`",
        ),
        (
            "[[rules]]\nid = \"x.y\"\ntools = [\"touch\"]\nseverity = \"maybe\"\nreason = \"r\"\n",
            ":4:12:",
        ),
        (
            "[severity]\n\"no.such-rule\" = \"deny\"\n",
            "no rule `no.such-rule`",
        ),
    ];
    for (text, needle) in cases {
        let s = Sandbox::new();
        let path = s.user_config(text);
        let out = s.guard().args(["--", "touch", "made"]).run();
        let out = out.expect_code(78);
        let err = out.stderr();
        assert!(
            err.starts_with(&format!("guard: error: {}", path.display())),
            "{err}"
        );
        assert!(err.contains(needle), "expected {needle:?} in {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            !s.work().join("made").exists(),
            "nothing may run with a broken config"
        );
    }
}

#[test]
fn unreadable_explicit_config_is_an_error() {
    let s = Sandbox::new();
    s.guard()
        .args(["--config", "/nonexistent/guard.toml", "--", "true"])
        .run()
        .expect_code(78)
        .stderr_has("/nonexistent/guard.toml: cannot read");
}

#[test]
fn custom_pack_example_loads_and_decides() {
    let s = Sandbox::new();
    let pack = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/custom-pack.toml");
    s.user_config(&std::fs::read_to_string(pack).unwrap());
    s.project_config("protected_environments = [\"prod\"]\n");
    assert_eq!(
        decision(&s, &["deployctl", "--env", "staging", "teardown"]),
        "two-person"
    );
    assert_eq!(
        decision(
            &s,
            &["deployctl", "rollback", "--with-data", "-s", "billing"]
        ),
        "confirm"
    );
    // protected through the environment option: confirm -> two-person
    assert_eq!(
        decision(&s, &["deployctl", "-e", "prod", "rollback", "--with-data"]),
        "two-person"
    );
    assert_eq!(
        decision(&s, &["deployctl", "status", "--env", "prod"]),
        "allow"
    );
}

#[test]
fn a_layer_cannot_take_over_a_built_in_tool_by_alias() {
    let s = Sandbox::new();
    s.project_config("[tools.x]\naliases = [\"terraform\", \"kubectl\"]\n");
    s.guard()
        .args(["check", "--", "terraform", "destroy"])
        .run()
        .expect_code(78)
        .stderr_has("`terraform` is already a known tool");
    s.project_config("[tools.kubectl]\nvalue_options = []\n");
    s.guard()
        .args(["check", "--", "kubectl", "delete", "ns", "prod"])
        .run()
        .expect_code(78)
        .stderr_has("already a known tool");
}

/// The new sections fail like every other config error (one FILE:LINE:COL line, exit
/// 78), and a project cannot loosen them.
#[test]
fn plans_and_breaker_sections_are_checked_and_trusted_by_layer() {
    let s = Sandbox::new();
    s.user_config("[plans]\ntimeout = \"forever\"\n");
    let out = s.guard().args(["check", "--", "ls"]).run().expect_code(78);
    assert!(
        out.stderr().contains("config.toml:2:11"),
        "{}",
        out.stderr()
    );
    assert!(out.stderr().contains("[plans] timeout `forever`"));
    s.user_config("[breaker]\nwindow = \"5s\"\n");
    s.guard()
        .args(["check", "--", "ls"])
        .run()
        .expect_code(78)
        .stderr_has("[breaker] window `5s`");
    s.user_config("[breaker]\nmax_refusalz = 1\n");
    s.guard()
        .args(["check", "--", "ls"])
        .run()
        .expect_code(78)
        .stderr_has("max_refusalz");
    // A project can turn plan_first on, but not the breaker off or plan_first off.
    s.user_config("[plans]\nplan_first = true\n");
    s.project_config("[breaker]\nenabled = false\n[plans]\nplan_first = false\n");
    let out = s.guard().args(["breaker", "status", "--json"]).run();
    assert_eq!(out.json()["enabled"], true);
    assert!(
        out.stderr()
            .contains("[breaker], [plans] plan_first = false ignored"),
        "{}",
        out.stderr()
    );
}

/// With the system config locked, the user file may only tighten, in every section: it
/// cannot move the audit log, turn the breaker off, loosen its limits or shorten its
/// window, turn plan_first off or change the plan timeout, or name approvers; it can
/// lower a limit and turn syslog forwarding on.
#[test]
fn a_locked_system_config_lets_the_user_file_only_tighten_every_section() {
    let s = Sandbox::new();
    s.system_config(
        "lock = true\n[breaker]\nmax_refusals = 4\nwindow = \"30m\"\n[plans]\nplan_first = true\n",
    );
    s.user_config(&format!(
        "[audit]\npath = {:?}\n[breaker]\nenabled = false\nmax_refusals = 9\nmax_destructive = 3\nwindow = \"1m\"\n[plans]\nplan_first = false\ntimeout = \"1s\"\n[approvals]\nallowed_signers = \"/tmp/mine\"\ntoken_confirms = true\n",
        s.path("elsewhere.jsonl")
    ));
    let out = s
        .guard()
        .args(["breaker", "status", "--json"])
        .run()
        .expect_code(0);
    let v = out.json();
    assert_eq!(v["enabled"], true);
    assert_eq!(v["max_refusals"], 4, "raising a limit weakens it");
    assert_eq!(v["max_destructive"], 3, "lowering one tightens it");
    assert_eq!(v["window"], "30m");
    for what in [
        "[audit] path",
        "[breaker] enabled = false",
        "[breaker] max_refusals",
        "[breaker] window",
        "[plans] plan_first = false",
        "[plans] timeout",
        "[approvals] allowed_signers",
        "[approvals] token_confirms",
    ] {
        assert!(out.stderr().contains(what), "{what}: {}", out.stderr());
    }
    // The audit log stayed where it was.
    s.guard().args(["--", "true"]).run().expect_code(0);
    assert!(!s.path("elsewhere.jsonl").exists());
    assert!(s.path("home/.local/state/guard/audit.jsonl").exists());
}

/// A context, profile or project whose name means production is protected with no
/// config at all; the user file can change the words, a project file only add to them.
#[test]
fn names_that_mean_production_are_protected_by_default() {
    let s = Sandbox::new();
    let decide = |s: &Sandbox, line: &str| {
        s.guard().args(["check", "--json", "-c", line]).run().json()["decision"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let delete = "kubectl --context CTX delete deployment api";
    for (ctx, want) in [
        ("prod-cluster", "two-person"),
        ("eu-PRODUCTION", "two-person"),
        ("payments_live", "two-person"),
        ("acme-prd", "two-person"),
        ("staging", "confirm"),
        ("products", "confirm"),
        ("delivery", "confirm"),
    ] {
        assert_eq!(decide(&s, &delete.replace("CTX", ctx)), want, "{ctx}");
    }
    // A tool no pack describes, read the general way, is raised by its selector too.
    assert_eq!(
        decide(&s, "acmectl secret delete KEY --stack prod"),
        "two-person"
    );
    assert_eq!(
        decide(&s, "acmectl secret delete KEY --env=production"),
        "two-person"
    );
    assert_eq!(
        decide(&s, "acmectl secret delete KEY --env staging"),
        "confirm"
    );
    assert_eq!(decide(&s, "acmectl secret list --env prod"), "allow");
    // The user's words replace the defaults.
    s.user_config("production_words = [\"main\"]\n");
    assert_eq!(
        decide(&s, &delete.replace("CTX", "prod-cluster")),
        "confirm"
    );
    assert_eq!(decide(&s, &delete.replace("CTX", "eu-main")), "two-person");
    // A project may add a word, never take one away.
    s.project_config("production_words = [\"blue\"]\n");
    assert_eq!(decide(&s, &delete.replace("CTX", "blue-1")), "two-person");
    assert_eq!(decide(&s, &delete.replace("CTX", "eu-main")), "two-person");
}
