//! Decisions from the plan: stub `terraform`, `tofu`, `pulumi` and `aws` executables
//! (tests/fixtures/stubs) print the tools' documented JSON (tests/fixtures/plans) and
//! record how they were called; guard runs them as it would the real tools.

use crate::util::{Cmd, Sandbox};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A sandbox with the stubs first on PATH.
struct Stubs {
    s: Sandbox,
}

impl Stubs {
    fn new() -> Stubs {
        let s = Sandbox::new();
        std::fs::create_dir_all(s.path("bin")).unwrap();
        for tool in ["terraform", "tofu", "pulumi", "aws"] {
            let to = s.path(&format!("bin/{tool}"));
            std::fs::copy(fixtures().join("stubs").join(tool), &to).unwrap();
        }
        Stubs { s }
    }

    /// guard, with the stubs on PATH answering with the fixture `plan`.
    fn guard(&self, plan: &str) -> Cmd {
        let path = format!(
            "{}:{}",
            self.s.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        self.s
            .guard()
            .env("PATH", path)
            .env("GUARD_STUB_PLAN", fixtures().join("plans").join(plan))
            .env("GUARD_STUB_LOG", self.s.path("stub.log"))
    }

    /// The stubs' calls, one per line, arguments separated by spaces.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.s.path("stub.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.replace('\t', " "))
            .collect()
    }

    fn check(&self, plan: &str, argv: &[&str]) -> serde_json::Value {
        self.guard(plan)
            .args(["check", "--json", "--"])
            .args(argv)
            .run()
            .json()
    }
}

fn rules(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn terraform_plans_decide_apply() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "plan bytes v1");
    let apply = ["terraform", "apply", "-auto-approve", "tf.plan"];
    for (plan, decision, names) in [
        ("terraform/create.json", "allow", &[][..]),
        ("terraform/update.json", "allow", &[]),
        ("terraform/read.json", "allow", &[]),
        ("terraform/noop.json", "allow", &[]),
        (
            "terraform/forget.json",
            "confirm",
            &["aws_s3_bucket.old (forget)"][..],
        ),
        (
            "terraform/delete.json",
            "two-person",
            &["aws_db_instance.main (delete)"],
        ),
        (
            "terraform/replace-delete-create.json",
            "two-person",
            &["aws_db_instance.main (replace)"],
        ),
        (
            "terraform/replace-create-delete.json",
            "two-person",
            &["module.net.aws_lb.front (replace)"],
        ),
    ] {
        let v = t.check(plan, &apply);
        assert_eq!(v["decision"], decision, "{plan}: {v}");
        let text = v.to_string();
        for n in names {
            assert!(text.contains(n), "{plan}: {n} not in {text}");
        }
        // The digest binds the plan file's content.
        assert_eq!(
            v["plan"].as_str(),
            Some(guard::plan::sha256(b"plan bytes v1").as_str()),
            "{plan}"
        );
    }
    // Each check ran only the read-only show.
    assert!(
        t.calls()
            .iter()
            .all(|c| c == "terraform show -json tf.plan")
    );
}

#[test]
fn a_plan_that_cannot_be_read_is_at_least_confirm_never_allow() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "x");
    let apply = ["tofu", "apply", "tf.plan"];
    let reason = |v: &serde_json::Value| v["findings"][0]["reason"].as_str().unwrap().to_string();
    for plan in ["terraform/malformed.json", "terraform/unknown-format.json"] {
        let v = t.check(plan, &apply);
        assert_eq!(v["decision"], "confirm", "{plan}");
        assert_eq!(rules(&v), ["plan.unreadable confirm"]);
    }
    // The tool fails.
    let v = t
        .guard("terraform/create.json")
        .env("GUARD_STUB_EXIT", "1")
        .args(["check", "--json", "--"])
        .args(apply)
        .run()
        .json();
    assert!(reason(&v).contains("exited with status 1"), "{v}");
    // The tool takes longer than the configured bound.
    t.s.user_config("[plans]\ntimeout = \"1s\"\n");
    let v = t
        .guard("terraform/create.json")
        .env("GUARD_STUB_SLEEP", "5")
        .args(["check", "--json", "--"])
        .args(apply)
        .run()
        .json();
    assert_eq!(v["decision"], "confirm");
    assert!(reason(&v).contains("timed out after 1s"), "{v}");
    // The plan file is missing: the show fails, and so does hashing it.
    std::fs::remove_file(t.s.path("work/tf.plan")).unwrap();
    let v = t.check("terraform/create.json", &apply);
    assert_eq!(v["decision"], "confirm");
    // The tool is not there at all.
    let v =
        t.s.guard()
            .env("PATH", "/usr/bin:/bin")
            .args(["check", "--json", "--", "pulumi", "up", "--yes"])
            .run()
            .json();
    assert_eq!(
        rules(&v),
        ["pulumi.up-unreviewed confirm", "plan.unreadable confirm"]
    );
}

#[test]
fn an_apply_of_a_harmless_plan_runs_and_a_destroying_one_is_refused() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "plan bytes");
    let out = t
        .guard("terraform/create.json")
        .args(["--", "terraform", "apply", "-auto-approve", "tf.plan"])
        .run()
        .expect_code(0);
    assert!(out.stdout().contains("stub terraform applied"));
    let out = t
        .guard("terraform/replace-delete-create.json")
        .args(["--non-interactive", "--", "terraform", "apply", "tf.plan"])
        .run()
        .expect_code(77);
    // The refusal and the approval request name what goes.
    let err = out.stderr();
    assert!(err.contains("aws_db_instance.main (replace)"), "{err}");
    assert!(err.contains("guard approve guard-request-v1."));
    // guard read the plan once into a sealed copy (a memory file nobody can change,
    // passed to terraform as /dev/fd/N), showed and applied that copy.
    let calls = t.calls();
    assert_eq!(calls.len(), 3, "the refused apply never ran: {calls:?}");
    let copy = calls[0]
        .strip_prefix("terraform show -json /dev/fd/")
        .unwrap_or_else(|| panic!("{calls:?}"));
    assert_eq!(
        calls[1],
        format!("terraform apply -auto-approve /dev/fd/{copy}")
    );
    assert!(
        calls[2].starts_with("terraform show -json /dev/fd/"),
        "{calls:?}"
    );
    let plans = t.s.path("home/.local/state/guard/plans");
    assert!(
        std::fs::read_dir(&plans).map_or(true, |mut d| d.next().is_none()),
        "no copy is left behind as a file"
    );
    // The audit record carries the plan digest and the resources.
    let log = t.s.guard().args(["log", "--json"]).run().stdout();
    let refused = log.lines().last().unwrap();
    assert!(
        refused.contains("aws_db_instance.main (replace)"),
        "{refused}"
    );
    assert!(
        refused.contains(&guard::plan::sha256(b"plan bytes")),
        "{refused}"
    );
}

#[test]
fn plan_first_plans_decides_and_applies_exactly_that_plan() {
    let t = Stubs::new();
    t.s.user_config("[plans]\nplan_first = true\n");
    std::fs::create_dir_all(t.s.path("work/envs/prod")).unwrap();
    let out = t
        .guard("terraform/update.json")
        .args([
            "--",
            "terraform",
            "-chdir=envs/prod",
            "apply",
            "-var",
            "size=2",
            "-auto-approve",
        ])
        .run()
        .expect_code(0);
    assert!(out.stdout().contains("stub terraform applied"));
    let calls = t.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    let saved = calls[0]
        .split(" -out=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert!(
        saved.starts_with(
            &t.s.path("home/.local/state/guard/plans")
                .display()
                .to_string()
        )
    );
    // What the plan wrote is read once, held sealed, and shown and applied from there.
    let held = calls[1]
        .strip_prefix("terraform -chdir=envs/prod show -json ")
        .unwrap_or_else(|| panic!("{calls:?}"));
    assert!(held.starts_with("/dev/fd/"), "{calls:?}");
    assert_eq!(
        calls,
        [
            format!("terraform -chdir=envs/prod plan -out={saved} -var size=2"),
            format!("terraform -chdir=envs/prod show -json {held}"),
            format!("terraform -chdir=envs/prod apply {held}"),
        ]
    );
    assert!(
        !std::path::Path::new(&saved).exists(),
        "applied, the plan is gone"
    );
    // A destroying plan: refused, and the way on is to apply that saved plan.
    let out = t
        .guard("terraform/delete.json")
        .args(["--non-interactive", "--", "terraform", "apply"])
        .run()
        .expect_code(77);
    let err = out.stderr();
    assert!(err.contains("aws_db_instance.main (delete)"), "{err}");
    assert!(
        err.contains(
            "once approved, apply exactly that plan:\n  guard --approval TOKEN -- terraform apply /"
        ),
        "{err}"
    );
    // `guard check` never plans.
    let before = t.calls().len();
    t.guard("terraform/delete.json")
        .args(["check", "--", "terraform", "apply"])
        .run();
    assert_eq!(t.calls().len(), before);
}

#[test]
fn pulumi_up_is_decided_from_its_preview() {
    let t = Stubs::new();
    for (plan, decision) in [
        ("pulumi/create.json", "allow"),
        ("pulumi/update.json", "allow"),
        ("pulumi/read.json", "allow"),
        ("pulumi/noop.json", "allow"),
        ("pulumi/delete.json", "two-person"),
        ("pulumi/replace.json", "two-person"),
        // Unreadable: confirm, raised for a stack whose name means production.
        ("pulumi/malformed.json", "two-person"),
    ] {
        let v = t.check(plan, &["pulumi", "up", "--yes", "-s", "prod"]);
        assert_eq!(v["decision"], decision, "{plan}: {v}");
    }
    let v = t.check("pulumi/replace.json", &["pulumi", "up"]);
    assert!(
        v.to_string()
            .contains("urn:pulumi:prod::shop::aws:eks/cluster:Cluster::main (replace)")
    );
    assert!(
        t.calls()
            .iter()
            .all(|c| c == "pulumi preview -s prod --json" || c == "pulumi preview --json"),
        "{:?}",
        t.calls()
    );
}

#[test]
fn cloudformation_change_sets_are_described_before_they_run() {
    let t = Stubs::new();
    let exec = [
        "aws",
        "--profile",
        "prod",
        "cloudformation",
        "execute-change-set",
        "--change-set-name",
        "release-42",
        "--stack-name",
        "prod-core",
        "--query",
        "x",
    ];
    for (plan, decision, name) in [
        ("cloudformation/add.json", "allow", ""),
        ("cloudformation/modify.json", "allow", ""),
        ("cloudformation/noop.json", "allow", ""),
        (
            "cloudformation/remove.json",
            "two-person",
            "Database (AWS::RDS::DBInstance prod-db-1) (delete)",
        ),
        (
            "cloudformation/replace-true.json",
            "two-person",
            "Database (AWS::RDS::DBInstance",
        ),
        (
            "cloudformation/replace-conditional.json",
            "two-person",
            "Queue (AWS::SQS::Queue",
        ),
        // Unreadable: confirm, raised for the production profile and stack.
        (
            "cloudformation/malformed.json",
            "two-person",
            "could not read the plan",
        ),
    ] {
        let v = t.check(plan, &exec);
        assert_eq!(v["decision"], decision, "{plan}: {v}");
        assert!(v.to_string().contains(name), "{plan}: {v}");
    }
    assert!(
        t.calls().iter().all(|c| c
            == "aws --profile prod cloudformation describe-change-set --change-set-name release-42 --stack-name prod-core --output json"),
        "{:?}",
        t.calls()
    );
}

/// The Claude Code hook decides from the plan too, and its request binds the digest.
#[test]
fn the_agent_hook_reads_the_plan() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "bytes");
    let payload = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": "terraform apply tf.plan" }
    });
    let out = t
        .guard("terraform/delete.json")
        .args(["hook", "claude-code"])
        .run_with_input(payload.to_string().as_bytes());
    let (decision, reason) = crate::util::pretooluse_answer(&out.stdout());
    assert_eq!(decision, "deny");
    assert!(reason.contains("aws_db_instance.main (delete)"), "{reason}");
    let code = reason
        .split_whitespace()
        .find(|w| w.starts_with("guard-request-v1."))
        .unwrap();
    let (req, _) = guard::approval::Request::from_code(code).unwrap();
    assert_eq!(
        req.plan.as_deref(),
        Some(guard::plan::sha256(b"bytes").as_str())
    );
}

/// At a terminal, the confirmation prompt lists what the plan does.
#[test]
fn the_prompt_lists_the_resources() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "p");
    let line = format!(
        "PATH='{}:'\"$PATH\" GUARD_STUB_PLAN='{}' GUARD -- terraform apply tf.plan; echo \"exit=$?\"",
        t.s.path("bin").display(),
        fixtures().join("plans/terraform/forget.json").display()
    );
    let mut p = crate::confirm::spawn(&t.s, &line);
    p.exp_string("plan.forgets (confirm)").unwrap();
    p.exp_string("aws_s3_bucket.old (forget)").unwrap();
    p.exp_string("Type `").unwrap();
    p.send_line("no").unwrap();
    p.exp_string("exit=77").unwrap();
}

/// With plan_first, `cloudformation deploy` makes its change set without executing it,
/// is decided from it, and then exactly that change set is executed.
#[test]
fn plan_first_deploys_through_a_described_change_set() {
    let t = Stubs::new();
    t.s.user_config("[plans]\nplan_first = true\n");
    let deploy = [
        "--",
        "aws",
        "--region",
        "us-east-1",
        "cloudformation",
        "deploy",
        "--template-file",
        "packaged.yaml",
        "--stack-name",
        "prod-core",
    ];
    let out = t
        .guard("cloudformation/add.json")
        .args(deploy)
        .run()
        .expect_code(0);
    assert!(
        out.stdout().contains("stub aws executed"),
        "{}",
        out.stdout()
    );
    let arn = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/awscli-cloudformation-package-deploy-1700000000/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
    assert_eq!(
        t.calls(),
        [
            "aws --region us-east-1 cloudformation deploy --template-file packaged.yaml --stack-name prod-core --no-execute-changeset".to_string(),
            format!("aws --region us-east-1 cloudformation describe-change-set --change-set-name {arn} --output json"),
            format!("aws --region us-east-1 cloudformation execute-change-set --change-set-name {arn}"),
        ]
    );
    let out = t
        .guard("cloudformation/remove.json")
        .args(["--non-interactive"])
        .args(deploy)
        .run()
        .expect_code(77);
    assert!(
        out.stderr()
            .contains("Database (AWS::RDS::DBInstance prod-db-1) (delete)")
    );
    // Without plan_first the deploy is decided from its arguments: confirm.
    let s = Stubs::new();
    let v = s.check("cloudformation/add.json", &deploy[1..]);
    assert_eq!(rules(&v), ["aws.cloudformation-deploy confirm"]);
    assert!(s.calls().is_empty(), "a check makes no change set");
}

/// The read-only command runs with the variables the command sets for itself: the
/// profile it names is the one the change set comes from.
#[test]
fn the_plan_is_read_with_the_commands_own_variables() {
    let t = Stubs::new();
    let remove = fixtures().join("plans/cloudformation/remove.json");
    let add = fixtures().join("plans/cloudformation/add.json");
    t.s.write(
        "bin/aws",
        &format!(
            "#!/bin/sh\nif [ \"$AWS_PROFILE\" = prod ]; then cat '{}'; else cat '{}'; fi\n",
            remove.display(),
            add.display()
        ),
    );
    let v = t
        .guard("cloudformation/add.json")
        .args([
            "check",
            "--json",
            "-c",
            "AWS_PROFILE=prod aws cloudformation execute-change-set --change-set-name cs --stack-name db",
        ])
        .run()
        .json();
    assert_eq!(v["decision"], "two-person", "{v}");
}

/// Ways around reading the plan: a plan file given through TF_CLI_ARGS, a pipe in place
/// of a file, a terragrunt plan, a plan read in place for a string guard does not run.
#[test]
fn plans_guard_cannot_pin_are_at_least_confirm() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "bytes");
    let check = |line: &str| {
        t.guard("terraform/create.json")
            .args(["check", "--json", "-c", line])
            .run()
            .json()
    };
    let v = check("TF_CLI_ARGS_apply=destroy.tfplan terraform apply");
    assert_eq!(v["decision"], "confirm");
    assert!(
        v.to_string()
            .contains("TF_CLI_ARGS_apply gives `destroy.tfplan`"),
        "{v}"
    );
    let v = check("terragrunt apply destroy.tfplan");
    assert_eq!(v["decision"], "confirm");
    let fifo = t.s.path("work/p");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let v = check("terraform apply p");
    assert!(v.to_string().contains("`p` is not a regular file"), "{v}");
    // A harmless plan read in place, for a string the agent's shell runs: confirm,
    // with the way to have guard apply what it read.
    let v = check("terraform apply tf.plan");
    assert_eq!(v["decision"], "confirm", "{v}");
    assert!(
        v.to_string()
            .contains("run it as `guard -- terraform apply tf.plan`")
    );
    // The same as guard's own argv is pinned (a run applies the copy): allow.
    let v = t.check("terraform/create.json", &["terraform", "apply", "tf.plan"]);
    assert_eq!(v["decision"], "allow", "{v}");
}

/// `yes | guard -- terraform apply`: the answer to terraform's own prompt comes from a
/// pipe into guard, not from a person.
#[test]
fn a_prompt_answered_through_guards_stdin_is_confirm() {
    let t = Stubs::new();
    let out = t
        .guard("terraform/create.json")
        .args(["--non-interactive", "--", "terraform", "apply"])
        .run_with_input(b"yes\n")
        .expect_code(77);
    assert!(
        out.stderr().contains("terraform.answered-by-stdin"),
        "{}",
        out.stderr()
    );
    // With stdin at /dev/null there is nothing to answer it: the argument rules stand.
    t.guard("terraform/create.json")
        .args(["--", "terraform", "apply"])
        .run()
        .expect_code(0)
        .stdout_has("stub terraform applied");
}

/// The copy guard decides on cannot be swapped before the apply: the stub's `show`
/// overwrites the file it is given (as a loop run by the same user could, through
/// /proc), and the apply still gets the bytes guard read.
#[test]
fn the_plan_guard_read_is_the_plan_applied_even_if_someone_writes_to_it() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "plan bytes");
    let out = t
        .guard("terraform/create.json")
        .env("GUARD_STUB_TAMPER", "1")
        .args(["--", "terraform", "apply", "-auto-approve", "tf.plan"])
        .run()
        .expect_code(0);
    assert!(
        out.stdout().contains("applied the plan: plan bytes"),
        "{}",
        out.stdout()
    );
    assert_eq!(
        std::fs::read_to_string(t.s.work().join("tf.plan")).unwrap(),
        "plan bytes"
    );
}

/// The hook decides in its own process, bounded: a decision that outlasts the bound (a
/// plan that takes too long to read) blocks the call, in time, with exit 2.
#[test]
fn a_hook_decision_past_its_bound_blocks_the_call() {
    let t = Stubs::new();
    t.s.write("work/tf.plan", "bytes");
    let payload = serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": "terraform apply tf.plan" }
    });
    let start = std::time::Instant::now();
    let out = t
        .guard("terraform/delete.json")
        .env("GUARD_STUB_SLEEP", "30")
        .env("GUARD_HOOK_BOUND", "2")
        .args(["hook", "claude-code"])
        .run_with_input(payload.to_string().as_bytes());
    let took = start.elapsed();
    assert_eq!(out.code(), 2, "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("took longer than 2s; the call is blocked"),
        "{}",
        out.stderr()
    );
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}
