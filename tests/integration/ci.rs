//! In CI (no terminal, `CI=true`) a refusal is one line; in GitHub Actions it is also an
//! error annotation on stdout. An approval in CI binds the run (repository, commit,
//! environment) and the plan, not the runner.

use crate::util::{Cmd, GUARD, Sandbox};
use guard::approval::{Request, Token};

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

/// A fresh CI runner: its own HOME and state (an empty ledger), the checkout at its own
/// path, its own hostname (under `unshare --uts` when the suite runs as root), and the
/// stub terraform on PATH.
struct Runner {
    s: Sandbox,
    host: &'static str,
}

const SIGNERS: &str = "keys/allowed_signers";

impl Runner {
    fn new(host: &'static str, team: &Sandbox) -> Runner {
        let s = Sandbox::new();
        let stub = fixtures().join("stubs/terraform");
        std::fs::create_dir_all(s.path("bin")).unwrap();
        std::fs::copy(stub, s.path("bin/terraform")).unwrap();
        std::fs::create_dir_all(s.path("work/envs/prod")).unwrap();
        s.user_config(&format!(
            "[approvals]\nallowed_signers = {:?}\n",
            team.path(SIGNERS)
        ));
        Runner { s, host }
    }

    /// guard in this run of `commit`, started by alice, deploying to production.
    fn guard(&self, commit: &str, plan: &str) -> Cmd {
        let cmd = if hostnames_can_differ() {
            let mut c = self.s.command("unshare");
            c.args([
                "--uts",
                "sh",
                "-c",
                "hostname \"$0\" && exec \"$@\"",
                self.host,
                GUARD,
            ]);
            Cmd(c)
        } else {
            self.s.guard()
        };
        let path = format!(
            "{}:{}",
            self.s.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        cmd.env("PATH", path)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", "acme/infra")
            .env("GITHUB_SHA", commit)
            .env("GITHUB_ACTOR", "alice")
            .env("GITHUB_WORKSPACE", self.s.work())
            .env("GUARD_ENVIRONMENT", "production")
            .env(
                "GUARD_STUB_PLAN",
                fixtures().join("plans/terraform").join(plan),
            )
            .env("GUARD_STUB_LOG", self.s.path("stub.log"))
            .current_dir(self.s.path("work/envs/prod"))
    }

    fn plan_file(&self) -> std::path::PathBuf {
        self.s.path("work/envs/prod/tfplan")
    }

    fn applied(&self) -> usize {
        std::fs::read_to_string(self.s.path("stub.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("terraform\tapply"))
            .count()
    }
}

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn hostnames_can_differ() -> bool {
    nix::unistd::geteuid().is_root()
        && std::process::Command::new("unshare")
            .args(["--uts", "true"])
            .status()
            .is_ok_and(|s| s.success())
}

fn keygen(path: &std::path::Path, comment: &str) -> String {
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read_to_string(path.with_extension("pub")).unwrap()
}

/// The CI flow on fresh runners: the plan job saves a plan and asks once; an approver
/// signs from a laptop; the apply job, on another runner with another hostname and
/// checkout path, applies exactly that plan with the approval, once. A token bound to
/// the run is refused for another commit or another plan, and the actor who started
/// the run cannot approve it.
#[test]
fn a_ci_approval_binds_the_run_and_the_plan_not_the_runner() {
    let team = Sandbox::new();
    std::fs::create_dir_all(team.path("keys")).unwrap();
    let alice = keygen(&team.path("keys/alice"), "alice");
    let bob = keygen(&team.path("keys/bob"), "bob");
    // The approvers file names alice by her GitHub login, so her key is hers.
    team.write(SIGNERS, &format!("github:alice {alice}bob@acme {bob}"));
    let commit = "4f2c0aa1e0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";

    // The plan job, on runner-a.
    let a = Runner::new("runner-a", &team);
    a.guard(commit, "delete.json")
        .args(["--", "terraform", "plan", "-out=tfplan"])
        .run()
        .expect_code(0);
    let v = a
        .guard(commit, "delete.json")
        .args(["request", "--json", "--", "terraform", "apply", "tfplan"])
        .run()
        .expect_code(0)
        .json();
    let req = &v["request"];
    assert_eq!(v["decision"], "two-person", "{v}");
    assert_eq!(req["requester"], "github:alice");
    assert_eq!(
        (req["host"].as_str(), req["cwd"].as_str()),
        (Some(""), Some("envs/prod"))
    );
    assert_eq!(
        req["ci"],
        serde_json::json!({"platform": "github", "repository": "acme/infra", "commit": commit, "environment": "production"})
    );
    let plan_bytes = std::fs::read(a.plan_file()).unwrap();
    assert_eq!(
        req["plan"].as_str(),
        Some(guard::plan::sha256(&plan_bytes).as_str())
    );
    let code = v["code"].as_str().unwrap();

    // Approved from a laptop, outside CI: the approver sees the run, not a host.
    let laptop = Sandbox::new();
    laptop.user_config(&format!(
        "[approvals]\nallowed_signers = {:?}\n",
        team.path(SIGNERS)
    ));
    let out = laptop
        .guard()
        .args(["approve", "--yes", "--key"])
        .arg(team.path("keys/bob"))
        .arg(code)
        .run()
        .expect_code(0);
    let token = out.stdout().trim().to_string();
    assert!(
        out.stderr()
            .contains("ci run:    github acme/infra at commit 4f2c0aa1"),
        "{}",
        out.stderr()
    );

    // The apply job, on runner-b: the plan file comes as an artifact.
    let b = Runner::new("runner-b", &team);
    std::fs::write(b.plan_file(), &plan_bytes).unwrap();
    let apply = |r: &Runner, commit: &str, token: &str| {
        r.guard(commit, "delete.json")
            .env("GUARD_APPROVAL", token)
            .args(["--", "terraform", "apply", "tfplan"])
            .run()
    };
    apply(&b, commit, &token)
        .expect_code(0)
        .stdout_has("stub terraform applied");
    assert_eq!(b.applied(), 1);
    // On the record: the run, the actor, who approved.
    let log = b
        .guard(commit, "delete.json")
        .args(["log", "--json"])
        .run()
        .expect_code(0)
        .stdout();
    let v: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(
        v["decision"]["ci_run"],
        format!("github acme/infra at {commit}, environment production")
    );
    assert_eq!(v["decision"]["requester"], "github:alice");
    assert_eq!(v["decision"]["approvers"][0], "bob@acme");
    // A re-run of the job replays the token: spent.
    apply(&b, commit, &token)
        .expect_code(77)
        .stderr_has("already used");
    assert_eq!(b.applied(), 1);

    // Another commit pushed since the approval: refused, on a fresh runner.
    let c = Runner::new("runner-c", &team);
    std::fs::write(c.plan_file(), &plan_bytes).unwrap();
    let other = "9999999999999999999999999999999999999999";
    apply(&c, other, &token)
        .expect_code(77)
        .stderr_has("CI run: approved github acme/infra at 4f2c0aa1");
    // A new plan for the same commit: refused.
    std::fs::write(c.plan_file(), b"another plan").unwrap();
    apply(&c, commit, &token)
        .expect_code(77)
        .stderr_has("the plan changed since it was approved");
    assert_eq!(c.applied(), 0);

    // The actor who started the run signs it herself: that is no second person.
    let own = laptop
        .guard()
        .args(["approve", "--yes", "--key"])
        .arg(team.path("keys/alice"))
        .arg(code)
        .run();
    let d = Runner::new("runner-d", &team);
    std::fs::write(d.plan_file(), &plan_bytes).unwrap();
    let own = own.expect_code(77);
    assert!(
        own.stderr()
            .contains("this is your own request: the key is listed for github:alice"),
        "{}",
        own.stderr()
    );
    // And the token she could make by hand does not run either.
    let json = Request::from_code(code).unwrap().1;
    let forged = Token {
        signature: guard::app::sign::sign(&team.path("keys/alice"), &json).unwrap(),
        request: json,
    }
    .encode();
    let d = Runner::new("runner-d", &team);
    std::fs::write(d.plan_file(), &plan_bytes).unwrap();
    apply(&d, commit, &forged)
        .expect_code(77)
        .stderr_has("github:alice");
    assert_eq!(d.applied(), 0);
}
