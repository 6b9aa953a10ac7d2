//! `guard supervise`: every way around a text-reading guard that a review found, run
//! under the supervisor with a stub terraform that writes a marker when it runs — none
//! may be written — and the everyday work an agent does passing untouched. Where ptrace
//! is unavailable the tests say they were skipped.

use crate::util::{Cmd, GUARD, Out, Sandbox};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A sandbox with a stub `terraform` (a shell script, like many real CLIs) that writes
/// what it was asked to `ran.txt`.
struct Tree {
    s: Sandbox,
}

impl Tree {
    /// `None` (and says so) where this system cannot supervise.
    fn new() -> Option<Tree> {
        let s = Sandbox::new();
        s.write(
            "bin/terraform",
            "#!/bin/sh\necho \"terraform $*\" >> \"$MARKER\"\n",
        );
        chmod(&s.path("bin/terraform"));
        let t = Tree { s };
        let probe = t.supervise(&["true"]).run();
        if probe.code() == 69 {
            eprintln!("skipped: {}", probe.stderr().trim());
            return None;
        }
        assert_eq!(probe.code(), 0, "{}", probe.stderr());
        Some(t)
    }

    fn path(&self) -> String {
        format!(
            "{}:{}:{}",
            self.s.path("bin").display(),
            PathBuf::from(GUARD).parent().unwrap().display(),
            std::env::var("PATH").unwrap()
        )
    }

    /// `guard --wait 1s supervise -- ARGV...`
    fn supervise(&self, argv: &[&str]) -> Cmd {
        self.s
            .guard()
            .env("PATH", self.path())
            .env("MARKER", self.s.path("ran.txt"))
            .args(["--wait", "1s", "supervise", "--"])
            .args(argv)
    }

    /// A bash line under the supervisor.
    fn bash(&self, line: &str) -> Out {
        self.supervise(&["bash", "-c", line]).run()
    }

    fn ran(&self) -> String {
        std::fs::read_to_string(self.s.path("ran.txt")).unwrap_or_default()
    }
}

fn chmod(p: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn scripts_interpreters_and_renamed_binaries_are_decided_at_their_exec() {
    let Some(t) = Tree::new() else { return };
    t.s.write(
        "work/Makefile",
        "destroy:\n\tterraform destroy -auto-approve\n",
    );
    t.s.write(
        "work/package.json",
        r#"{"name":"x","version":"1.0.0","scripts":{"destroy":"terraform destroy -auto-approve"}}"#,
    );
    for line in [
        "echo 'terraform destroy -auto-approve' > x.sh; bash x.sh",
        "printf '#!/bin/sh\\nterraform destroy -auto-approve\\n' > y.sh; chmod +x y.sh; ./y.sh",
        "echo 'terraform destroy -auto-approve' > z.sh; source z.sh",
        "make destroy",
        "npm run --silent destroy",
        r#"python3 -c 'import os; os.execvp("terra"+"form", ["terraform", "destroy"])'"#,
        r#"perl -e 'exec "terra"."form", "destroy"'"#,
        "xargs -I{} sh -c '{}' <<< 'terraform destroy'",
        ". /dev/stdin <<< 'terraform destroy -auto-approve'",
        "printf 'terraform destroy -auto-approve\\n' | bash -i",
        "ln -sf \"$(command -v terraform)\" tf && ./tf destroy",
        "cp \"$(command -v terraform)\" ./tc && ./tc destroy",
        "env -u PATH /usr/bin/env PATH=\"$PATH\" terraform destroy",
    ] {
        let out = t.bash(line);
        assert_eq!(t.ran(), "", "`{line}` ran terraform: {}", out.stderr());
        assert!(
            out.stderr().contains("terraform destroy") && out.stderr().contains("guard: refused"),
            "`{line}`: {}",
            out.stderr()
        );
    }
}

#[test]
fn programs_that_run_commands_from_options_and_variables_are_seen() {
    let Some(t) = Tree::new() else { return };
    let git = |args: &str| format!("git -c user.name=a -c user.email=a@b {args}");
    let setup = format!(
        "git init -q . && echo x > f && git add f && {} commit -qm init",
        git("")
    );
    let out = t.bash(&setup);
    assert_eq!(out.code(), 0, "{}", out.stderr());
    for line in [
        // A pager runs only on a terminal: `script` gives git one.
        "script -qec \"git -p -c core.pager='terraform destroy' log\" /dev/null".to_string(),
        "git -c core.fsmonitor='terraform destroy' status".to_string(),
        "GIT_SSH_COMMAND='terraform destroy' git ls-remote ssh://example.invalid/x".to_string(),
        "git -c user.name=a -c user.email=a@b rebase -q --exec 'terraform destroy' --root; git rebase --abort 2>/dev/null".to_string(),
        "tar --checkpoint=1 --checkpoint-action=exec='terraform destroy' -cf /dev/null f".to_string(),
        "sed -n '1e terraform destroy' f".to_string(),
        "find . -name f -exec terraform destroy \\;".to_string(),
    ] {
        let out = t.bash(&line);
        assert_eq!(t.ran(), "", "`{line}` ran terraform: {}", out.stderr());
        // It was tried, and refused at its exec.
        let said = out.stdout() + &out.stderr();
        assert!(
            said.contains("guard: refused: `terraform destroy"),
            "`{line}`: {said}"
        );
    }
}

#[test]
fn what_leaves_the_tree_is_decided_as_what_it_carries() {
    let Some(t) = Tree::new() else { return };
    for line in [
        "ssh -o BatchMode=yes localhost terraform plan",
        "tmux send-keys -t x 'terraform plan' Enter",
        "systemd-run --user terraform destroy",
        "docker run --rm hashicorp/terraform destroy",
    ] {
        let out = t.bash(line);
        let err = out.stderr();
        assert_eq!(out.code(), 77, "`{line}`: {err}");
        assert!(err.contains("guard: refused"), "`{line}`: {err}");
    }
    // A daemon left behind (nohup, disown, setsid) is still in the tree: its later
    // terraform is decided, and supervise returns only when it is done.
    let start = Instant::now();
    let out = t.bash(
        "nohup sh -c 'sleep 0.5; terraform destroy -auto-approve' >/dev/null 2>&1 & disown; setsid sh -c 'sleep 0.5; terraform destroy' </dev/null >/dev/null 2>&1 & exit 0",
    );
    assert_eq!(out.code(), 0, "{}", out.stderr());
    assert!(start.elapsed() >= Duration::from_millis(500));
    assert_eq!(t.ran(), "", "the daemons' terraform did not run");
}

#[test]
fn an_exec_from_another_thread_is_seen() {
    let Some(t) = Tree::new() else { return };
    let out = t.bash(
        r#"python3 -c '
import os, threading
def go():
    os.execvp("terraform", ["terraform", "destroy", "-auto-approve"])
th = threading.Thread(target=go)
th.start()
th.join()
'"#,
    );
    assert_eq!(t.ran(), "", "{}", out.stderr());
    assert_eq!(out.code(), 77, "{}", out.stderr());
}

#[test]
fn the_human_only_verbs_are_refused_in_the_tree() {
    let Some(t) = Tree::new() else { return };
    for line in [
        "guard approve 0123456789",
        "guard breaker reset",
        "guard setup --check",
        "guard install claude-code",
        "guard uninstall claude-code",
        "guard -q --break-glass outage -- terraform destroy",
    ] {
        let out = t.bash(line);
        assert_eq!(out.code(), 77, "`{line}`: {}", out.stderr());
        assert!(
            out.stderr()
                .contains("is a person's, and this runs under guard supervise"),
            "`{line}`: {}",
            out.stderr()
        );
    }
    // Looking is not approving.
    t.bash("guard approve --list").expect_code(0);
    assert_eq!(t.ran(), "");
}

#[test]
fn everyday_work_passes_untouched() {
    let Some(t) = Tree::new() else { return };
    let out = t.bash(
        "set -e; git init -q repo && cd repo && echo hi > a && git add a && git -c user.name=a -c user.email=a@b commit -qm one && git status --short && git log --oneline | wc -l; \
         python3 -c 'print(6*7)'; node -e 'console.log(1+1)'; npm --version >/dev/null; ls -la >/dev/null; \
         terraform version; terraform plan; rm -rf node_modules; mkdir node_modules; rm -rf node_modules",
    );
    assert_eq!(out.code(), 0, "{}", out.stderr());
    assert!(out.stdout().contains("42\n2\n"), "{}", out.stdout());
    assert_eq!(t.ran(), "terraform version\nterraform plan\n");
    assert!(!out.stderr().contains("guard"), "{}", out.stderr());
}

#[test]
fn when_the_supervisor_dies_the_tree_dies() {
    let Some(t) = Tree::new() else { return };
    let marker = t.s.path("alive");
    let mut child = t
        .supervise(&["sh", "-c", &format!("sleep 2; touch {}", marker.display())])
        .0
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!marker.exists(), "the tree went on without its supervisor");
}

#[test]
fn a_supervisor_inside_a_supervised_tree_refuses_to_start_in_one_line() {
    let Some(t) = Tree::new() else { return };
    let out = t.bash("guard supervise -- terraform destroy");
    assert_eq!(out.code(), 69, "{}", out.stderr());
    let err = out.stderr();
    assert!(err.contains("already traced"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(t.ran(), "");
}

/// A held command runs once its approval arrives: a two-person command by an
/// approver's signature, a confirm-level one by the person's own confirmation at their
/// own terminal — each within a poll of the answer, and once.
#[test]
fn a_held_command_runs_when_it_is_approved_or_confirmed() {
    let Some(t) = Tree::new() else { return };
    std::fs::create_dir_all(t.s.path("keys")).unwrap();
    for who in ["alice", "bob"] {
        let st = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", who, "-f"])
            .arg(t.s.path(&format!("keys/{who}")))
            .status()
            .unwrap();
        assert!(st.success());
    }
    let key = |who: &str| std::fs::read_to_string(t.s.path(&format!("keys/{who}.pub"))).unwrap();
    t.s.write(
        "keys/allowed_signers",
        &format!("alice@test {}bob@test {}", key("alice"), key("bob")),
    );
    t.s.user_config(&format!(
        "[approvals]\nallowed_signers = {:?}\nprincipal = \"alice@test\"\n",
        t.s.path("keys/allowed_signers")
    ));
    let bob_config = t.s.path("bob-config");
    std::fs::create_dir_all(bob_config.join("guard")).unwrap();
    std::fs::write(
        bob_config.join("guard/config.toml"),
        format!(
            "[approvals]\nallowed_signers = {:?}\nprincipal = \"bob@test\"\n",
            t.s.path("keys/allowed_signers")
        ),
    )
    .unwrap();
    let waiting = |as_bob: bool| -> Option<String> {
        let mut c = t.s.guard().args(["approve", "--list", "--json"]);
        if as_bob {
            c = c.env("XDG_CONFIG_HOME", &bob_config);
        }
        let v = c.run().json();
        v[0]["id"].as_str().map(str::to_string)
    };
    let held = |line: &str| {
        t.s.guard()
            .env("PATH", t.path())
            .env("MARKER", t.s.path("ran.txt"))
            .args(["--wait", "30s", "supervise", "--", "sh", "-c", line])
            .0
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let poll_for = |as_bob: bool| {
        let start = Instant::now();
        loop {
            if let Some(id) = waiting(as_bob) {
                return id;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no request was posted"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    // Two-person: bob approves it by its id.
    let child = held("terraform destroy; echo rc=$?");
    let id = poll_for(true);
    assert_eq!(t.ran(), "", "it is held");
    let approved = Instant::now();
    t.s.guard()
        .env("XDG_CONFIG_HOME", &bob_config)
        .args(["approve", "--yes", "--key"])
        .arg(t.s.path("keys/bob"))
        .arg(&id)
        .run()
        .expect_code(0);
    let out = child.wait_with_output().unwrap();
    let took = approved.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(t.ran(), "terraform destroy\n");
    assert!(
        took < Duration::from_millis(1500),
        "ran {took:?} after the approval"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("request {id}")), "{err}");

    // Confirm-level: the person confirms it at their own terminal, outside the tree.
    let child = held("terraform apply -auto-approve");
    let id = poll_for(false);
    let mut p = crate::confirm::spawn(
        &t.s,
        &format!("GUARD approve {id} </dev/tty; echo \"exit=$?\""),
    );
    p.exp_string("Type `confirm`").unwrap();
    p.send_line("confirm").unwrap();
    p.exp_string("exit=0").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        t.ran(),
        "terraform destroy\nterraform apply -auto-approve\n"
    );
    // On the record, with who approved and who confirmed.
    let log = t.s.guard().args(["log", "--json"]).run().stdout();
    assert!(log.contains("\"approvers\":[\"bob@test\"]"), "{log}");
    assert!(log.contains("from their own terminal"), "{log}");
}

/// Whether a process is gone (or a zombie nobody reaped yet).
fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_none_or(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

fn pid_in(t: &Tree, name: &str) -> i32 {
    assert!(
        wait_until(10, || !std::fs::read_to_string(t.s.work().join(name))
            .unwrap_or_default()
            .trim()
            .is_empty()),
        "no {name}"
    );
    std::fs::read_to_string(t.s.work().join(name))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The tree runs untraced between its execs: when the supervisor is killed, what it
/// left running (a setsid daemon, a nohup job) is killed too, and nothing runs later.
#[test]
fn killing_the_supervisor_kills_its_daemons_too() {
    let Some(t) = Tree::new() else { return };
    let mut child = t
        .supervise(&[
            "bash",
            "-c",
            "setsid sleep 1000 < /dev/null > /dev/null 2>&1 & echo $! > bg.pid
             nohup sh -c 'sleep 1; touch late' > /dev/null 2>&1 &
             sleep 1000",
        ])
        .0
        .spawn()
        .unwrap();
    let bg = pid_in(&t, "bg.pid");
    assert!(!gone(bg), "the daemon runs");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = child.wait();
    assert!(
        wait_until(5, || gone(bg)),
        "daemon {bg} outlived the supervisor"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!t.s.work().join("late").exists(), "a job ran on");
}

/// SIGTERM to the supervisor reaches the first program (its trap runs, its status is
/// returned), and Ctrl-C at a terminal (SIGINT to the whole group) leaves the
/// supervisor alive to return the tree's 130.
#[test]
fn sigterm_is_forwarded_and_sigint_does_not_end_the_supervisor() {
    use std::os::unix::process::CommandExt;
    let Some(t) = Tree::new() else { return };
    let mut cmd = t.supervise(&[
        "bash",
        "-c",
        "trap 'echo term > got; exit 7' TERM; echo $$ > main.pid; sleep 100 & wait",
    ]);
    cmd.0.process_group(0);
    let mut child = cmd.0.spawn().unwrap();
    pid_in(&t, "main.pid");
    let sup = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(sup, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(7));
    assert_eq!(
        std::fs::read_to_string(t.s.work().join("got")).unwrap(),
        "term\n"
    );

    let mut cmd = t.supervise(&["bash", "-c", "echo $$ > int.pid; sleep 100; exit 0"]);
    cmd.0.process_group(0);
    let mut child = cmd.0.spawn().unwrap();
    pid_in(&t, "int.pid");
    std::thread::sleep(Duration::from_millis(100));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(-(child.id() as i32)),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
}

/// Ctrl-Z (SIGTSTP to the group) stops the tree and then the supervisor, as a job;
/// nothing runs while it is stopped; SIGCONT finishes it.
#[test]
#[allow(clippy::zombie_processes)] // reaped with waitpid, which also sees the stop
fn ctrl_z_stops_the_tree_and_then_the_supervisor() {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use std::os::unix::process::CommandExt;
    let Some(t) = Tree::new() else { return };
    let mut cmd = t.supervise(&[
        "bash",
        "-c",
        "sleep 1.5 & echo $! > sleep.pid; wait; echo done > done",
    ]);
    cmd.0.process_group(0);
    let child = cmd.0.spawn().unwrap();
    let sup = nix::unistd::Pid::from_raw(child.id() as i32);
    let sleeper = pid_in(&t, "sleep.pid");
    let group = nix::unistd::Pid::from_raw(-sup.as_raw());
    nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGTSTP).unwrap();
    match waitpid(sup, Some(WaitPidFlag::WUNTRACED)).unwrap() {
        WaitStatus::Stopped(_, nix::sys::signal::Signal::SIGTSTP) => {}
        other => panic!("the supervisor did not stop like a job: {other:?}"),
    }
    let state = std::fs::read_to_string(format!("/proc/{sleeper}/stat")).unwrap();
    let state = state
        .rsplit_once(')')
        .unwrap()
        .1
        .trim_start()
        .chars()
        .next();
    assert!(matches!(state, Some('T' | 't')), "the tree stopped too");
    std::thread::sleep(Duration::from_millis(1600));
    assert!(
        !t.s.work().join("done").exists(),
        "nothing ran while stopped"
    );
    nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGCONT).unwrap();
    match waitpid(sup, None).unwrap() {
        WaitStatus::Exited(_, 0) => {}
        other => panic!("after SIGCONT: {other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(t.s.work().join("done")).unwrap(),
        "done\n"
    );
}

/// The supervisor's peak RSS (VmHWM), sampled while it runs `argv`.
fn peak_rss_kib(t: &Tree, argv: &[&str]) -> u64 {
    let mut child = t.supervise(argv).0.spawn().unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(peak_kib > 0, "no reading");
    peak_kib
}

/// A thousand execs do not grow the supervisor: its peak RSS stays within 2 MiB of what
/// guard itself takes (a release build's whole supervisor is about 7 MiB; this debug
/// build's guard alone is larger), and under 10 MiB in a release build.
#[test]
fn the_supervisor_stays_small() {
    let Some(t) = Tree::new() else { return };
    let idle = peak_rss_kib(&t, &["sleep", "0.5"]);
    let busy = peak_rss_kib(
        &t,
        &[
            "sh",
            "-c",
            "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done; sleep 0.3",
        ],
    );
    assert!(
        busy < idle + 2048,
        "peak RSS {busy} KiB over 1000 execs, {idle} KiB idle"
    );
    if !cfg!(debug_assertions) {
        assert!(busy < 10 * 1024, "peak RSS {busy} KiB");
    }
}
