//! Two-person approvals with real SSH keys (ssh-keygen), the real binary on both sides,
//! and real git for the end-to-end force push.

use crate::util::{Out, Sandbox};
use guard::approval::{Request, Token};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A requester (alice, whose key is in her ~/.ssh), two approvers (bob, carol) and a
/// stranger (mallory), with an approvers file listing alice, bob and carol.
struct Team {
    s: Sandbox,
    keys: PathBuf,
}

fn keygen(path: &Path, comment: &str) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

impl Team {
    fn new(extra_config: &str) -> Team {
        let s = Sandbox::new();
        let keys = s.path("keys");
        std::fs::create_dir_all(&keys).unwrap();
        let mut signers = String::new();
        for who in ["alice", "bob", "carol", "mallory"] {
            keygen(&keys.join(who), who);
            let pubkey = std::fs::read_to_string(keys.join(format!("{who}.pub"))).unwrap();
            if who != "mallory" {
                signers.push_str(&format!("{who}@test {pubkey}"));
            }
        }
        std::fs::write(keys.join("allowed_signers"), signers).unwrap();
        std::fs::create_dir_all(s.path("home/.ssh")).unwrap();
        std::fs::copy(keys.join("alice.pub"), s.path("home/.ssh/id_ed25519.pub")).unwrap();
        // A stand-in terraform that records it ran.
        s.write(
            "bin/terraform",
            "#!/bin/sh\necho \"$@\" >> \"$PWD/ran.txt\"\n",
        );
        Command::new("chmod")
            .arg("755")
            .arg(s.path("bin/terraform"))
            .status()
            .unwrap();
        let t = Team { s, keys };
        t.config(extra_config);
        t
    }

    /// Writes alice's user config: the approvers file, her principal, and `extra`.
    fn config(&self, extra: &str) {
        self.s.user_config(&format!(
            "[approvals]\nallowed_signers = {:?}\nprincipal = \"alice@test\"\n{extra}",
            self.keys.join("allowed_signers")
        ));
    }

    fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.s.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    fn code(&self, argv: &[&str]) -> String {
        let out = self
            .s
            .guard()
            .arg_list(&["request", "--json", "--"], argv)
            .run()
            .expect_code(0);
        out.json()["code"].as_str().unwrap().to_string()
    }

    fn approve(&self, who: &str, code: &str) -> String {
        let out = self
            .s
            .guard()
            .args(["approve", "--yes", "--key"])
            .arg(self.keys.join(who))
            .arg(code)
            .run();
        let out = out.expect_code(0);
        let token = out.stdout().trim().to_string();
        assert!(token.starts_with("guard-approval-v1."), "{token}");
        assert_eq!(out.stdout().lines().count(), 1, "the token alone on stdout");
        token
    }

    fn run_with(&self, tokens: &[&str], argv: &[&str]) -> Out {
        let mut cmd = self.s.guard().env("PATH", self.path_env());
        for t in tokens {
            cmd = cmd.args(["--approval", t]);
        }
        cmd.arg_list(&["--"], argv).run()
    }

    fn ran(&self) -> String {
        std::fs::read_to_string(self.s.work().join("ran.txt")).unwrap_or_default()
    }

    /// Signs arbitrary request JSON as `who`, to build tokens the CLI would not make.
    fn forge(&self, who: &str, request_json: &str) -> String {
        let signature = guard::app::sign::sign(&self.keys.join(who), request_json).unwrap();
        Token {
            request: request_json.to_string(),
            signature,
        }
        .encode()
    }
}

const DESTROY: &[&str] = &["terraform", "destroy"];

#[test]
fn without_a_token_the_refusal_carries_the_request() {
    let t = Team::new("");
    let out = t.run_with(&[], DESTROY).expect_code(77);
    let err = out.stderr();
    assert!(
        err.contains("needs a signed approval from a second person"),
        "{err}"
    );
    assert!(err.contains("guard approve guard-request-v1."), "{err}");
    assert!(err.contains("requester: alice@test"), "{err}");
    assert_eq!(t.ran(), "", "nothing ran");
}

/// The decision record and the spent approval are committed together: a record that
/// cannot be written refuses the command and leaves the approval unspent, to be used
/// once the log is fixed (before, the nonce was spent first and the approval burned).
#[test]
fn an_unwritable_decision_record_leaves_the_approval_unspent() {
    // (The breaker is off: it would fail closed on the unreadable log first.)
    let t = Team::new("[audit]\npath = \"/dev/null/audit.jsonl\"\n[breaker]\nenabled = false\n");
    let token = t.approve("bob", &t.code(DESTROY));
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("the audit record could not be written first")
        .stderr_has("the approval was not spent");
    assert_eq!(t.ran(), "", "nothing ran");
    t.config("");
    t.run_with(&[&token], DESTROY).expect_code(0);
    assert_eq!(t.ran(), "destroy\n");
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("already used");
    assert_eq!(t.ran(), "destroy\n", "once");
}

#[test]
fn a_valid_token_runs_the_command_once() {
    let t = Team::new("");
    let token = t.approve("bob", &t.code(DESTROY));
    t.run_with(&[&token], DESTROY)
        .expect_code(0)
        .stderr_has("approved by bob@test");
    assert_eq!(t.ran(), "destroy\n");
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("already used");
    assert_eq!(t.ran(), "destroy\n", "the replay did not run");
    // GUARD_APPROVAL works the same, and is refused the same once used.
    let out =
        t.s.guard()
            .env("PATH", t.path_env())
            .env("GUARD_APPROVAL", &token)
            .args(["--", "terraform", "destroy"])
            .run();
    out.expect_code(77).stderr_has("already used");
}

#[test]
fn a_token_for_another_command_or_directory_is_refused() {
    let t = Team::new("");
    let token = t.approve(
        "bob",
        &t.code(&["terraform", "destroy", "-target=aws_db_instance.a"]),
    );
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("approval is for something else (command: approved `terraform destroy -target=aws_db_instance.a`, running `terraform destroy`)");
    let other = t.s.path("other");
    std::fs::create_dir_all(&other).unwrap();
    let token = t.approve("bob", &t.code(DESTROY));
    let out =
        t.s.guard()
            .env("PATH", t.path_env())
            .current_dir(&other)
            .args(["--approval", &token, "--", "terraform", "destroy"])
            .run();
    out.expect_code(77).stderr_has("directory: approved");
    assert_eq!(t.ran(), "");
}

#[test]
fn a_token_for_another_host_is_refused() {
    let t = Team::new("");
    let (mut req, _) = Request::from_code(&t.code(DESTROY)).unwrap();
    req.host = "some-other-host".into();
    let token = t.forge("bob", &req.to_json());
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("host: approved some-other-host");
}

#[test]
fn an_expired_token_is_refused() {
    let t = Team::new("");
    let token = t.approve("bob", &t.code(DESTROY));
    let later = guard::time::now() + 16 * 60;
    let out =
        t.s.guard()
            .env("PATH", t.path_env())
            .env("GUARD_NOW", later.to_string())
            .args(["--approval", &token, "--", "terraform", "destroy"])
            .run();
    out.expect_code(77).stderr_has("the approval expired at");
    assert_eq!(t.ran(), "");
}

#[test]
fn unknown_own_and_altered_signatures_are_refused() {
    let t = Team::new("");
    let code = t.code(DESTROY);
    // guard approve refuses both before anything is signed...
    let refused = |who: &str| {
        t.s.guard()
            .args(["approve", "--yes", "--key"])
            .arg(t.keys.join(who))
            .arg(&code)
            .run()
            .expect_code(77)
    };
    refused("mallory").stderr_has("is not an approver's key");
    refused("alice").stderr_has("this is your own request");
    // ...and tokens signed by other means are refused when used.
    let (_, json) = Request::from_code(&code).unwrap();
    let mallory = t.forge("mallory", &json);
    t.run_with(&[&mallory], DESTROY)
        .expect_code(77)
        .stderr_has("not an approver's");
    let alice = t.forge("alice", &json);
    t.run_with(&[&alice], DESTROY)
        .expect_code(77)
        .stderr_has("self-approval refused");
    // One byte of the signed request changed (the host name's first letter).
    let mut tok = Token::decode(&t.approve("bob", &code)).unwrap();
    let at = tok.request.find("\"host\":\"").unwrap() + 8;
    let flipped = if &tok.request[at..=at] == "x" {
        "y"
    } else {
        "x"
    };
    tok.request.replace_range(at..=at, flipped);
    t.run_with(&[&tok.encode()], DESTROY)
        .expect_code(77)
        .stderr_has("does not verify");
    assert_eq!(t.ran(), "");
}

#[test]
fn a_key_of_the_requester_under_another_name_is_still_self_approval() {
    let t = Team::new("");
    // alice's key listed as "bob-laptop": the key is in alice's own ~/.ssh, so it is hers.
    let alice_pub = std::fs::read_to_string(t.keys.join("alice.pub")).unwrap();
    std::fs::write(
        t.keys.join("allowed_signers"),
        format!("bob-laptop@test {alice_pub}"),
    )
    .unwrap();
    let token = t.approve("alice", &t.code(DESTROY));
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("self-approval refused");
}

#[test]
fn n_of_m_needs_distinct_approvers() {
    let t = Team::new("required = 2\n");
    let code = t.code(DESTROY);
    let bob = t.approve("bob", &code);
    t.run_with(&[&bob], DESTROY)
        .expect_code(77)
        .stderr_has("1 of 2 required approvals");
    t.run_with(&[&bob, &bob], DESTROY)
        .expect_code(77)
        .stderr_has("1 of 2 required approvals");
    let carol = t.approve("carol", &code);
    t.run_with(&[&bob, &carol], DESTROY).expect_code(0);
    assert_eq!(t.ran(), "destroy\n");
}

#[test]
fn ssh_keygen_verifies_a_token_independently() {
    let t = Team::new("");
    let tok = Token::decode(&t.approve("bob", &t.code(DESTROY))).unwrap();
    let sig = t.s.write("sig", &tok.signature);
    let mut child = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            guard::approval::NAMESPACE,
            "-I",
            "bob@test",
            "-f",
        ])
        .arg(t.keys.join("allowed_signers"))
        .arg("-s")
        .arg(&sig)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(tok.request.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Good \"guard-approval\" signature for bob@test")
    );
}

#[test]
fn project_config_cannot_name_approvers() {
    let t = Team::new("");
    t.s.project_config(&format!(
        "[approvals]\nallowed_signers = {:?}\n",
        t.keys.join("allowed_signers")
    ));
    t.run_with(&[], DESTROY)
        .expect_code(77)
        .stderr_has("[approvals] allowed_signers ignored");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_force_push_needs_the_approval_and_then_goes_through() {
    let t = Team::new("");
    // Force pushes are two-person in this team's config.
    let mut cfg = std::fs::read_to_string(t.s.path("home/.config/guard/config.toml")).unwrap();
    cfg = format!("[severity]\n\"git.push-force\" = \"two-person\"\n{cfg}");
    t.s.user_config(&cfg);
    let remote = t.s.path("remote.git");
    git(
        &t.s.work(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    let repo = t.s.work().join("repo");
    git(
        &t.s.work(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            repo.to_str().unwrap(),
        ],
    );
    std::fs::write(repo.join("a"), "1").unwrap();
    git(&repo, &["add", "a"]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    git(&repo, &["push", "-q", "origin", "HEAD:main"]);
    let before = git(&remote, &["rev-parse", "main"]);
    git(&repo, &["commit", "-q", "--amend", "-m", "rewritten"]);
    let push = ["git", "push", "-q", "--force", "origin", "HEAD:main"];
    let out =
        t.s.guard()
            .current_dir(&repo)
            .arg_list(&["--"], &push)
            .run();
    out.expect_code(77).stderr_has("git.push-force");
    assert_eq!(
        git(&remote, &["rev-parse", "main"]),
        before,
        "the remote's history is unchanged"
    );
    let code = {
        let out =
            t.s.guard()
                .current_dir(&repo)
                .arg_list(&["request", "--json", "--"], &push)
                .run();
        out.json()["code"].as_str().unwrap().to_string()
    };
    let token = t.approve("bob", &code);
    t.s.guard()
        .current_dir(&repo)
        .args(["--approval", &token])
        .arg_list(&["--"], &push)
        .run()
        .expect_code(0);
    assert_eq!(
        git(&remote, &["rev-parse", "main"]),
        git(&repo, &["rev-parse", "HEAD"])
    );
    assert_ne!(git(&remote, &["rev-parse", "main"]), before);
}

/// A moto S3 server on a free loopback port, stopped when dropped.
struct S3Server {
    child: std::process::Child,
    url: String,
}

impl S3Server {
    fn start() -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m moto.server (scripts/test installs moto)");
        let start = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        S3Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_bucket_survives_rb_without_an_approval_and_is_gone_with_one() {
    let t = Team::new("");
    let s3 = S3Server::start();
    let aws_env = |c: Command| -> Command {
        let mut c = c;
        c.env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        c
    };
    let aws = |args: &[&str]| -> std::process::Output {
        let mut c = aws_env(Command::new("aws"));
        c.args(["--endpoint-url", &s3.url])
            .args(args)
            .output()
            .expect("aws CLI (scripts/test installs it)")
    };
    assert!(aws(&["s3", "mb", "s3://logs"]).status.success());
    t.s.write("work/obj.txt", "data");
    let obj = t.s.work().join("obj.txt");
    assert!(
        aws(&["s3", "cp", obj.to_str().unwrap(), "s3://logs/a/obj.txt"])
            .status
            .success()
    );
    let listing = || String::from_utf8_lossy(&aws(&["s3", "ls"]).stdout).to_string();
    assert!(listing().contains("logs"));

    let rb: Vec<&str> = vec![
        "aws",
        "--endpoint-url",
        &s3.url,
        "s3",
        "rb",
        "s3://logs",
        "--force",
    ];
    let guard_rb = |token: Option<&str>| {
        let mut c = aws_env(t.s.guard().0);
        if let Some(tok) = token {
            c.args(["--approval", tok]);
        }
        c.arg("--").args(&rb);
        crate::util::Out(c.output().unwrap())
    };
    guard_rb(None).expect_code(77).stderr_has("aws.s3-rb");
    assert!(listing().contains("logs"), "the bucket survives a refusal");
    let out = aws(&["s3", "ls", "s3://logs", "--recursive"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("a/obj.txt"),
        "and so do its objects"
    );

    let code = {
        let out =
            t.s.guard()
                .arg_list(&["request", "--json", "--"], &rb)
                .run();
        out.json()["code"].as_str().unwrap().to_string()
    };
    let token = t.approve("bob", &code);
    guard_rb(Some(&token)).expect_code(0);
    assert!(
        !listing().contains("logs"),
        "the bucket is gone after an approved run"
    );
    guard_rb(Some(&token))
        .expect_code(77)
        .stderr_has("already used");
}

#[test]
fn approving_at_a_terminal_takes_a_typed_approve() {
    let t = Team::new("");
    let code = t.code(DESTROY);
    let key = t.keys.join("bob");
    let line = format!(
        "GUARD approve --key {} {code} > token.txt; echo \"exit=$?\"",
        key.display()
    );
    let mut p = crate::confirm::spawn(&t.s, &line);
    p.exp_string("command:   terraform destroy").unwrap();
    p.exp_string("requester: alice@test").unwrap();
    p.exp_string("Type `approve`").unwrap();
    p.send_line("approve").unwrap();
    p.exp_string("exit=0").unwrap();
    let token = std::fs::read_to_string(t.s.work().join("token.txt")).unwrap();
    assert!(token.starts_with("guard-approval-v1."));

    let mut p = crate::confirm::spawn(&t.s, &line);
    p.exp_string("Type `approve`").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("not approved").unwrap();
    p.exp_string("exit=77").unwrap();
    assert_eq!(
        std::fs::read_to_string(t.s.work().join("token.txt")).unwrap(),
        "",
        "nothing was signed"
    );
}

#[test]
fn at_a_terminal_the_requester_confirms_too() {
    let t = Team::new("");
    let token = t.approve("bob", &t.code(DESTROY));
    let line = format!(
        "PATH={}; GUARD --approval {token} -- terraform destroy; echo \"exit=$?\"",
        t.path_env()
    );
    let mut p = crate::confirm::spawn(&t.s, &line);
    p.exp_string("approved by bob@test").unwrap();
    p.exp_string("Type `yes` to run it").unwrap();
    p.send_line("no").unwrap();
    p.exp_string("exit=77").unwrap();
    assert_eq!(
        t.ran(),
        "",
        "a token without the person's confirmation does not run at a terminal"
    );
}

#[test]
fn an_agent_cannot_approve() {
    let t = Team::new("");
    let code = t.code(DESTROY);
    let out =
        t.s.guard()
            .env("CLAUDECODE", "1")
            .args(["approve", "--yes", "--key"])
            .arg(t.keys.join("bob"))
            .arg(&code)
            .run();
    let out = out
        .expect_code(77)
        .stderr_has("an agent (claude-code) cannot approve");
    assert_eq!(out.stdout(), "", "no token");
}

#[test]
fn a_locked_system_config_keeps_the_user_file_from_naming_approvers() {
    let t = Team::new("");
    t.s.system_config("lock = true\n");
    let (_, json) = Request::from_code(&t.code(DESTROY)).unwrap();
    let token = t.forge("bob", &json);
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("no approvers file is configured");
    assert_eq!(t.ran(), "");
}

#[test]
fn a_request_dated_in_the_future_is_refused() {
    let t = Team::new("");
    let (mut req, _) = Request::from_code(&t.code(DESTROY)).unwrap();
    req.created += 10 * 365 * 86_400;
    req.expires = req.created + 600;
    let token = t.forge("bob", &req.to_json());
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("after now");
}

#[test]
fn an_agent_gets_the_request_for_a_confirm_level_command_and_a_token_stands_in_only_when_allowed() {
    let t = Team::new("");
    let apply = ["terraform", "apply", "-auto-approve"];
    let out =
        t.s.guard()
            .env("PATH", t.path_env())
            .env("CLAUDECODE", "1")
            .arg_list(&["--"], &apply)
            .run();
    out.expect_code(77)
        .stderr_has("guard approve guard-request-v1.")
        .stderr_has("token_confirms = true");
    // Allowed by the user's config: an approval stands in for the person.
    let t = Team::new("token_confirms = true\n");
    let token = t.approve("bob", &t.code(&apply));
    let out =
        t.s.guard()
            .env("PATH", t.path_env())
            .env("CLAUDECODE", "1")
            .args(["--approval", &token, "--"])
            .args(apply)
            .run();
    out.expect_code(0);
    assert_eq!(t.ran(), "apply -auto-approve\n");
}

/// A confirm-level command under an agent: its request waits in the inbox, and the
/// person the agent works for confirms it from their own terminal with `guard approve
/// ID` — not with --yes, not from the agent — and the agent's next run of the same
/// command runs once.
#[test]
fn the_person_confirms_their_own_agents_command_from_their_own_terminal() {
    let t = Team::new("");
    let apply = ["terraform", "apply", "-auto-approve"];
    let agent = || {
        t.s.guard()
            .env("PATH", t.path_env())
            .env("CLAUDECODE", "1")
            .arg_list(&["--"], &apply)
            .run()
    };
    let err = agent().expect_code(77).stderr();
    let id = err
        .lines()
        .find_map(|l| {
            l.split("from their own terminal (not through an agent): guard approve ")
                .nth(1)
        })
        .unwrap_or_else(|| panic!("no confirmation line in: {err}"))
        .trim()
        .to_string();
    // Not from the agent, not without typing it.
    t.s.guard()
        .env("CLAUDECODE", "1")
        .args(["approve", &id])
        .run()
        .expect_code(77)
        .stderr_has("an agent (claude-code) cannot approve");
    t.s.guard()
        .args(["approve", "--yes", &id])
        .run()
        .expect_code(77)
        .stderr_has("--yes cannot give it");
    // The person lists it as theirs to confirm, and confirms it at the terminal.
    let listed =
        t.s.guard()
            .args(["approve", "--list", "--json"])
            .run()
            .json();
    assert_eq!(listed[0]["yours_to_confirm"], true, "{listed}");
    let mut p = crate::confirm::spawn(
        &t.s,
        &format!("GUARD approve {id} </dev/tty; echo \"exit=$?\""),
    );
    p.exp_string("requester: alice@test").unwrap();
    p.exp_string("Type `confirm`").unwrap();
    p.send_line("confirm").unwrap();
    p.exp_string("exit=0").unwrap();
    agent().expect_code(0);
    assert_eq!(t.ran(), "apply -auto-approve\n");
    agent().expect_code(77);
    assert_eq!(t.ran(), "apply -auto-approve\n", "once");
    let log = t.s.guard().args(["log", "--json"]).run().stdout();
    assert!(
        log.contains("confirmed by alice@test (") && log.contains("from their own terminal"),
        "{log}"
    );
    // A two-person request of one's own is still no one's to confirm but a second person.
    let code = t.code(DESTROY);
    t.s.guard()
        .args(["approve", "--yes", "--key"])
        .arg(t.keys.join("alice"))
        .arg(&code)
        .run()
        .expect_code(77)
        .stderr_has("your own request");
}

#[test]
fn break_glass_only_from_the_system_config_and_never_for_agents() {
    let t = Team::new("");
    let bg = |agent: bool| {
        let mut c = t.s.guard().env("PATH", t.path_env());
        if agent {
            c = c.env("CLAUDECODE", "1");
        }
        c.args([
            "--break-glass",
            "prod outage INC-42",
            "--",
            "terraform",
            "destroy",
        ])
        .run()
    };
    bg(false)
        .expect_code(77)
        .stderr_has("--break-glass is not enabled");
    // The user file cannot enable it.
    let cfg = std::fs::read_to_string(t.s.path("home/.config/guard/config.toml")).unwrap();
    t.s.user_config(&format!("{cfg}break_glass = true\n"));
    bg(false)
        .expect_code(77)
        .stderr_has("--break-glass is not enabled");
    t.s.system_config("[approvals]\nbreak_glass = true\n");
    bg(true)
        .expect_code(77)
        .stderr_has("never available to an agent");
    assert_eq!(t.ran(), "");
    bg(false)
        .expect_code(0)
        .stderr_has("BREAK-GLASS by alice@test")
        .stderr_has("Reason: prod outage INC-42");
    assert_eq!(t.ran(), "destroy\n");
}

/// A key ssh-keygen cannot load is one clear error, never a silent death by SIGPIPE
/// (ssh-keygen exits before reading the request); repeated, since that was a race.
#[test]
fn a_missing_signing_key_is_a_clear_error() {
    let t = Team::new("");
    let code = t.code(DESTROY);
    for _ in 0..5 {
        let out =
            t.s.guard()
                .args(["approve", "--yes", "--key"])
                .arg(t.s.path("no-such-key"))
                .arg(&code)
                .run()
                .expect_code(64);
        assert!(
            out.stderr().contains("cannot read the public key of")
                && out.stderr().contains("no-such-key"),
            "{}",
            out.stderr()
        );
        assert_eq!(out.stdout(), "");
    }
}

/// An approval for a plan-based decision binds the plan file's content: a changed plan
/// is refused with the old token, and the approved plan runs with it.
#[test]
fn a_changed_plan_needs_a_new_approval() {
    let t = Team::new("");
    // The documented-JSON stub in place of the stand-in terraform.
    let stub = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stubs/terraform");
    std::fs::copy(stub, t.s.path("bin/terraform")).unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans/terraform/replace-delete-create.json");
    let guard = || {
        t.s.guard()
            .env("PATH", t.path_env())
            .env("GUARD_STUB_PLAN", &plan)
            .env("GUARD_STUB_LOG", t.s.path("stub.log"))
    };
    t.s.write("work/tf.plan", "reviewed plan");
    let out = guard()
        .args(["request", "--json", "--", "terraform", "apply", "tf.plan"])
        .run()
        .expect_code(0);
    let v = out.json();
    assert_eq!(v["decision"], "two-person");
    assert_eq!(
        v["request"]["plan"].as_str(),
        Some(guard::plan::sha256(b"reviewed plan").as_str())
    );
    let token = t.approve("bob", v["code"].as_str().unwrap());
    // Someone planned again: same command, another plan.
    t.s.write("work/tf.plan", "a different plan");
    guard()
        .args(["--approval", &token, "--", "terraform", "apply", "tf.plan"])
        .run()
        .expect_code(77)
        .stderr_has("the plan changed since it was approved");
    // The reviewed plan is back: the token applies it, once.
    t.s.write("work/tf.plan", "reviewed plan");
    guard()
        .args(["--approval", &token, "--", "terraform", "apply", "tf.plan"])
        .run()
        .expect_code(0)
        .stdout_has("stub terraform applied");
    let log = std::fs::read_to_string(t.s.path("stub.log")).unwrap();
    assert_eq!(
        log.lines()
            .filter(|l| l.starts_with("terraform\tapply"))
            .count(),
        1
    );
}

/// An open circuit breaker refuses a command even with a valid approval; an approver's
/// token for the reset closes it, and the command's own token then works.
#[test]
fn an_open_breaker_refuses_a_valid_token_and_a_signed_reset_closes_it() {
    let t = Team::new("[breaker]\nmax_refusals = 1\n");
    let code = t.code(DESTROY);
    let token = t.approve("bob", &code);
    // Two refusals (another command, with no approval anywhere) open alice's breaker.
    for _ in 0..2 {
        t.run_with(&[], &["terraform", "destroy", "-lock=false"])
            .expect_code(77);
    }
    t.run_with(&[&token], DESTROY)
        .expect_code(77)
        .stderr_has("the circuit breaker is open for alice@test");
    assert_eq!(t.ran(), "", "nothing ran");
    // The reset request, signed by an approver.
    let out =
        t.s.guard()
            .args(["--non-interactive", "breaker", "reset"])
            .run()
            .expect_code(77);
    let reset_code = out
        .stderr()
        .split_whitespace()
        .find(|w| w.starts_with("guard-request-v1."))
        .unwrap()
        .to_string();
    let reset_token = t.approve("carol", &reset_code);
    // A token for the reset does not run a command, and a command's token does not reset.
    t.s.guard()
        .args(["--approval", &token, "breaker", "reset"])
        .run()
        .expect_code(77)
        .stderr_has("breaker reset refused");
    t.s.guard()
        .args(["--approval", &reset_token, "breaker", "reset"])
        .run()
        .expect_code(0)
        .stdout_has("closed again for alice@test");
    t.run_with(&[&token], DESTROY).expect_code(0);
    assert_eq!(t.ran(), "destroy\n");
}

/// The breaker reset goes through the inbox too: refused where nobody can be asked, its
/// request waits under an id, an approver approves it by that id, and the next reset
/// finds the approval and closes the breaker, once.
#[test]
fn a_breaker_reset_is_approved_through_the_inbox() {
    let t = Team::new("[breaker]\nmax_refusals = 1\n");
    for _ in 0..2 {
        t.run_with(&[], &["terraform", "destroy", "-lock=false"])
            .expect_code(77);
    }
    let reset = || {
        t.s.guard()
            .args(["--non-interactive", "breaker", "reset"])
            .run()
    };
    let err = reset().expect_code(77).stderr();
    let id = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("guard approve ")
                .filter(|w| w.len() == 10)
        })
        .unwrap_or_else(|| panic!("no request id in: {err}"))
        .to_string();
    assert!(
        err.contains("then run `guard breaker reset` again"),
        "{err}"
    );
    let listed = t
        .as_bob()
        .args(["approve", "--list", "--json"])
        .run()
        .expect_code(0)
        .json();
    let reset_request = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["command"] == "guard breaker reset")
        .unwrap_or_else(|| panic!("no reset request in the inbox: {listed}"));
    assert_eq!(reset_request["id"], id.as_str());
    t.as_bob()
        .args(["approve", "--yes", "--key"])
        .arg(t.keys.join("bob"))
        .arg(&id)
        .run()
        .expect_code(0);
    reset()
        .expect_code(0)
        .stdout_has("closed again for alice@test (reset with the approval of bob@test)");
    // Spent: the next reset needs a new approval.
    for _ in 0..2 {
        t.run_with(&[], &["terraform", "destroy", "-lock=false"])
            .expect_code(77);
    }
    reset().expect_code(77);
}

impl Team {
    /// guard as bob: his own config (his principal, the same approvers), the same state.
    fn as_bob(&self) -> crate::util::Cmd {
        let dir = self.s.path("bob-config");
        std::fs::create_dir_all(dir.join("guard")).unwrap();
        std::fs::write(
            dir.join("guard/config.toml"),
            format!(
                "[approvals]\nallowed_signers = {:?}\nprincipal = \"bob@test\"\n",
                self.keys.join("allowed_signers")
            ),
        )
        .unwrap();
        self.s.guard().env("XDG_CONFIG_HOME", dir)
    }
}

/// The request guard refuses with is in the inbox under a short id; an approver lists
/// it and approves it by that id; the requester's next run of the same command picks the
/// approval up and runs once. A retry before the approval gets the same id, not a new
/// request.
#[test]
fn a_request_waits_in_the_inbox_is_approved_by_id_and_picked_up_once() {
    let t = Team::new("");
    let id_of = |err: &str| {
        err.lines()
            .find_map(|l| {
                l.strip_prefix("approval request ")
                    .and_then(|r| r.split(' ').next())
            })
            .unwrap_or_else(|| panic!("no request id in: {err}"))
            .to_string()
    };
    let first = t.run_with(&[], DESTROY).expect_code(77).stderr();
    let id = id_of(&first);
    assert!(first.contains(&format!("guard approve {id}")), "{first}");
    let again = t.run_with(&[], DESTROY).expect_code(77).stderr();
    assert_eq!(id_of(&again), id, "a retry gets the same request");
    // alice does not see her own request; bob does.
    let own =
        t.s.guard()
            .args(["approve", "--list", "--json"])
            .run()
            .expect_code(0);
    assert_eq!(own.stdout().trim(), "[]");
    let listed = t
        .as_bob()
        .args(["approve", "--list", "--json"])
        .run()
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&listed.stdout()).unwrap();
    assert_eq!(v[0]["id"], id.as_str());
    assert_eq!(v[0]["requester"], "alice@test");
    assert_eq!(v[0]["command"], "terraform destroy");
    assert_eq!(v[0]["approvals"], 0);
    t.as_bob()
        .args(["approve", "--yes", "--key"])
        .arg(t.keys.join("bob"))
        .arg(&id)
        .run()
        .expect_code(0)
        .stderr_has("the approval is in the inbox");
    // The same command, unchanged, runs once; then the approval is spent.
    t.run_with(&[], DESTROY)
        .expect_code(0)
        .stderr_has("approved by bob@test");
    assert_eq!(t.ran(), "destroy\n");
    t.run_with(&[], DESTROY).expect_code(77);
    assert_eq!(t.ran(), "destroy\n", "once");
    // Another command is not covered by that approval.
    t.run_with(&[], &["terraform", "destroy", "-lock=false"])
        .expect_code(77);
}

/// `--wait`: the requester waits for the approval and runs within a second of it.
#[test]
fn wait_runs_within_a_second_of_the_approval() {
    let t = Team::new("");
    let mut cmd = t.s.guard().env("PATH", t.path_env());
    cmd = cmd.args(["--wait", "30s", "--", "terraform", "destroy"]);
    let child = cmd.0.stderr(std::process::Stdio::piped()).spawn().unwrap();
    // The request appears in the inbox.
    let start = std::time::Instant::now();
    let id = loop {
        let out = t.as_bob().args(["approve", "--list", "--json"]).run();
        let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap_or_default();
        if let Some(id) = v[0]["id"].as_str() {
            break id.to_string();
        }
        assert!(start.elapsed().as_secs() < 10, "no request was posted");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(t.ran(), "", "it waits");
    let approved_at = std::time::Instant::now();
    t.as_bob()
        .args(["approve", "--yes", "--key"])
        .arg(t.keys.join("bob"))
        .arg(&id)
        .run()
        .expect_code(0);
    let out = child.wait_with_output().unwrap();
    let took = approved_at.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took.as_millis() < 1500, "ran {took:?} after the approval");
    assert_eq!(t.ran(), "destroy\n");
    // Without an approval, the deadline ends it, refused and on the record.
    let out =
        t.s.guard()
            .env("PATH", t.path_env())
            .args(["--wait", "1s", "--", "terraform", "destroy", "-lock=false"])
            .run()
            .expect_code(77);
    assert!(
        out.stderr().contains("no approval in time"),
        "{}",
        out.stderr()
    );
}

/// Through an agent's hook: denied with the request, approved by id, the same command
/// through the hook is then let through once (the approval spent in the same step), and
/// refused after.
#[test]
fn an_approval_in_the_inbox_lets_the_hook_pass_the_same_command_once() {
    let t = Team::new("");
    let call = || {
        let payload = serde_json::json!({
            "session_id": "s1",
            "cwd": t.s.work(),
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "terraform destroy", "description": "tear down the test stack"}
        });
        t.s.guard()
            .args(["hook", "claude-code"])
            .run_with_input(payload.to_string().as_bytes())
    };
    let out = call();
    let (decision, reason) = crate::util::pretooluse_answer(&out.stdout());
    assert_eq!(decision, "deny");
    let id = reason
        .split("guard approve ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_hexdigit()).next())
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 10, "{reason}");
    // The approver reads the agent's own reason in the request.
    let listed = t.as_bob().args(["approve", "--list"]).run().expect_code(0);
    assert!(
        listed.stdout().contains("reason: tear down the test stack"),
        "{}",
        listed.stdout()
    );
    t.as_bob()
        .args(["approve", "--yes", "--key"])
        .arg(t.keys.join("bob"))
        .arg(&id)
        .run()
        .expect_code(0);
    let out = call();
    assert_eq!(
        (out.code(), out.stdout().trim()),
        (0, ""),
        "let through: {}",
        out.stderr()
    );
    let out = call();
    assert_eq!(
        crate::util::pretooluse_answer(&out.stdout()).0,
        "deny",
        "once"
    );
    // On the record: the approval, with the agent's reason.
    let log = std::fs::read_to_string(t.s.path("home/.local/state/guard/audit.jsonl")).unwrap();
    let approved = log
        .lines()
        .find(|l| l.contains("\"gate\":\"approved\""))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        approved.contains("\"reason\":\"tear down the test stack\""),
        "{approved}"
    );
    assert!(
        approved.contains("\"approvers\":[\"bob@test\"]"),
        "{approved}"
    );
}

/// With guard's shim in front of the program, the hook lets the approved command through
/// without spending the approval, and the shim that runs it spends it: exactly once.
#[test]
fn with_a_shim_the_approval_is_spent_once_by_the_guard_that_runs_it() {
    let t = Team::new("");
    let (_, shim_path) = t.s.shims(&["terraform"]);
    let path = format!("{}:{}", shim_path.split(':').next().unwrap(), t.path_env());
    let call = || {
        let payload = serde_json::json!({
            "session_id": "s1",
            "cwd": t.s.work(),
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "terraform destroy"}
        });
        t.s.guard()
            .env("PATH", &path)
            .args(["hook", "claude-code"])
            .run_with_input(payload.to_string().as_bytes())
    };
    let (_, reason) = crate::util::pretooluse_answer(&call().stdout());
    let id = reason
        .split("guard approve ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_hexdigit()).next())
        .unwrap()
        .to_string();
    t.as_bob()
        .args(["approve", "--yes", "--key"])
        .arg(t.keys.join("bob"))
        .arg(&id)
        .run()
        .expect_code(0);
    // The hook lets it through, twice even: it spends nothing.
    for _ in 0..2 {
        let out = call();
        assert_eq!(
            (out.code(), out.stdout().trim()),
            (0, ""),
            "{}",
            out.stderr()
        );
    }
    // The shim runs it, spending the approval; then it is spent.
    let shim = |expect: i32| {
        let mut c = t.s.command("sh");
        c.env("PATH", &path).args(["-c", "terraform destroy"]);
        let out = c.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(expect),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    shim(0);
    assert_eq!(t.ran(), "destroy\n");
    shim(77);
    assert_eq!(t.ran(), "destroy\n", "once");
}

/// `[notify]`: a posted request reaches a webhook (a loopback HTTP server here) and a
/// command (the event as JSON on stdin); a notifier that fails is a warning, and the
/// refusal and the inbox are as they would be without it.
#[test]
fn notifiers_hear_of_a_request_and_a_failing_one_is_only_a_warning() {
    use std::io::{BufRead, BufReader, Read, Write};
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let got = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .unwrap();
        String::from_utf8(body).unwrap()
    });
    let heard = t_path("heard.json");
    let t = Team::new(&format!(
        "[notify]\nwebhook = \"http://127.0.0.1:{port}/hook\"\ncommand = [\"sh\", \"-c\", \"cat > {}\"]\n",
        heard.display()
    ));
    // (the command writes into the team's own sandbox)
    let out = t.run_with(&[], DESTROY).expect_code(77);
    let id = out
        .stderr()
        .lines()
        .find_map(|l| {
            l.strip_prefix("approval request ")
                .and_then(|r| r.split(' ').next())
        })
        .unwrap()
        .to_string();
    let body: serde_json::Value = serde_json::from_str(&got.join().unwrap()).unwrap();
    assert_eq!(body["event"], "request");
    assert_eq!(body["id"], id.as_str());
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains(&format!("guard approve {id}"))
    );
    let by_command: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&heard).unwrap()).unwrap();
    assert_eq!(by_command["request"]["requester"], "alice@test");
    // A failing command and a webhook nobody answers: warnings, the same refusal.
    let t = Team::new("[notify]\nwebhook = \"http://127.0.0.1:9/nobody\"\ncommand = [\"false\"]\n");
    let out = t.run_with(&[], DESTROY).expect_code(77);
    assert!(
        out.stderr().contains("the notify command `false` failed"),
        "{}",
        out.stderr()
    );
    assert!(
        out.stderr()
            .contains("the notify webhook http://127.0.0.1:9/nobody failed")
    );
    let listed = t
        .as_bob()
        .args(["approve", "--list", "--json"])
        .run()
        .expect_code(0);
    assert!(
        listed.stdout().contains("terraform destroy"),
        "still in the inbox"
    );
}

/// A file in a fresh temporary directory that outlives the test's sandboxes.
fn t_path(name: &str) -> std::path::PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    dir.join(name)
}
