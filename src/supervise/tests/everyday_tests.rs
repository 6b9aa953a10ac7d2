//! Everyday work runs untouched under supervision, with the right exit status and the
//! signals, stops and continues an untraced tree would see.

use super::{Policy, Sandbox, dead, wait_for};
use crate::supervise::{Error, Options, supervise};

#[test]
fn git_init_and_commit() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run(
        "git init -q repo && cd repo &&
         git -c user.name=t -c user.email=t@example.com commit -q --allow-empty -m x &&
         git log --oneline | wc -l > ../count",
    );
    assert_eq!(status, 0);
    assert_eq!(sb.read("count").trim(), "1");
    assert!(
        policy
            .seen
            .iter()
            .any(|s| s.argv.iter().any(|a| a == "commit"))
    );
}

#[test]
fn ls_and_its_failure_status() {
    let sb = Sandbox::new();
    let (status, _) = sb.run("ls / > ls.out");
    assert_eq!(status, 0);
    assert!(sb.read("ls.out").lines().any(|l| l == "proc"));
    let (status, _) = sb.run("ls /nonexistent-dir 2> /dev/null");
    assert_eq!(status, 2);
}

#[test]
fn a_thousand_execs_of_true() {
    let sb = Sandbox::new();
    let (status, policy) =
        sb.run("i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done; echo $i > n");
    assert_eq!(status, 0);
    assert_eq!(sb.read("n").trim(), "1000");
    assert_eq!(policy.count("true"), 1000, "every exec was decided");
}

#[test]
fn python_prints() {
    let sb = Sandbox::new();
    let (status, _) = sb.run("python3 -c 'print(1)' > py.out");
    assert_eq!(status, 0);
    assert_eq!(sb.read("py.out"), "1\n");
}

#[test]
fn exit_statuses_and_signals_are_passed_on() {
    let sb = Sandbox::new();
    assert_eq!(sb.run("exit 0").0, 0);
    assert_eq!(sb.run("exit 3").0, 3);
    assert_eq!(sb.run("kill -INT $$").0, 130);
    assert_eq!(sb.run("kill -TERM $$").0, 143);
    assert_eq!(sb.run("sleep 5 & kill -KILL $!; wait $!").0, 137);
    let mut policy = Policy::default();
    let status = supervise(
        "false".as_ref(),
        &[],
        None,
        &Options::default(),
        &mut policy,
    );
    assert_eq!(status.unwrap(), 1);
}

#[test]
fn a_missing_or_unrunnable_program_is_an_error() {
    let sb = Sandbox::new();
    let mut policy = Policy::default();
    let err = supervise(
        "no-such-program-x".as_ref(),
        &[],
        None,
        &Options::default(),
        &mut policy,
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    sb.script("bin/empty-elf", "\x7fELF garbage");
    let path = sb.path("bin/empty-elf");
    let err = supervise(
        path.as_os_str(),
        &[],
        None,
        &Options::default(),
        &mut policy,
    )
    .unwrap_err();
    assert!(matches!(err, Error::CannotExecute { .. }), "{err}");
    assert!(err.to_string().contains("cannot execute"), "{err}");
}

#[test]
fn signals_reach_the_tree_including_realtime_ones() {
    let sb = Sandbox::new();
    let (status, _) = sb.run(
        "trap 'echo usr1 >> got' USR1
         trap 'echo rt >> got' RTMIN+3
         kill -USR1 $$; kill -s RTMIN+3 $$
         sh -c 'trap \"echo child-usr2 >> got; exit 0\" USR2; kill -USR2 $$; sleep 5'",
    );
    assert_eq!(status, 0);
    assert_eq!(sb.read("got"), "usr1\nrt\nchild-usr2\n");
}

#[test]
fn stop_and_continue_look_the_same_to_the_real_parent() {
    let sb = Sandbox::new();
    let (status, _) = sb.run(
        "python3 -c '
import os, signal, time
pid = os.fork()
if pid == 0:
    time.sleep(3)
    os._exit(0)
os.kill(pid, signal.SIGSTOP)
_, st = os.waitpid(pid, os.WUNTRACED)
print(\"stopped\", os.WIFSTOPPED(st) and os.WSTOPSIG(st) == signal.SIGSTOP)
state = open(\"/proc/%d/stat\" % pid).read().rsplit(\")\", 1)[1].split()[0]
print(\"state\", state in (\"T\", \"t\"))
os.kill(pid, signal.SIGCONT)
_, st = os.waitpid(pid, os.WCONTINUED)
print(\"continued\", os.WIFCONTINUED(st))
os.kill(pid, signal.SIGTERM)
_, st = os.waitpid(pid, 0)
print(\"term\", os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGTERM)
' > jc.out",
    );
    assert_eq!(status, 0);
    assert_eq!(
        sb.read("jc.out"),
        "stopped True\nstate True\ncontinued True\nterm True\n"
    );
}

#[test]
fn make_in_parallel() {
    let sb = Sandbox::new();
    let mut makefile = String::from("all: a b c d e f\n");
    for t in ["a", "b", "c", "d", "e", "f"] {
        makefile.push_str(&format!(
            "{t}:\n\t@sh -c 'for i in 1 2 3; do true; done' && touch out-{t}\n"
        ));
    }
    sb.write("Makefile", &makefile);
    let (status, policy) = sb.run("make -s -j4");
    assert_eq!(status, 0);
    for t in ["a", "b", "c", "d", "e", "f"] {
        assert!(sb.path(&format!("out-{t}")).exists(), "{t}");
    }
    assert!(policy.count("make") >= 1);
}

#[test]
fn exec_reports_what_the_decider_needs() {
    let sb = Sandbox::new();
    struct Look(Vec<(String, String, crate::supervise::StdinKind, Option<String>)>);
    impl crate::supervise::Decider for Look {
        fn on_exec(&mut self, e: &crate::supervise::Exec) -> crate::supervise::Verdict {
            self.0.push((
                e.exe.display().to_string(),
                e.cwd.display().to_string(),
                e.stdin(),
                e.env_var("LOOKED_AT")
                    .map(|v| v.to_string_lossy().into_owned()),
            ));
            crate::supervise::Verdict::Continue
        }
        fn poll(&mut self, _: i32) -> Option<crate::supervise::Verdict> {
            None
        }
    }
    let mut look = Look(Vec::new());
    sb.write("input", "x");
    let status = sb.run_with(
        "LOOKED_AT=yes /bin/true < /dev/null; echo | /bin/true; /bin/true < Makefile-none 2>/dev/null; /bin/true < input",
        &mut look,
    );
    assert_eq!(status, 0);
    let trues: Vec<_> = look.0.iter().filter(|l| l.0.ends_with("/true")).collect();
    assert_eq!(trues.len(), 3, "{:?}", look.0);
    assert_eq!(trues[0].2, crate::supervise::StdinKind::Null);
    assert_eq!(trues[0].3.as_deref(), Some("yes"));
    assert_eq!(trues[1].2, crate::supervise::StdinKind::Pipe);
    assert_eq!(trues[1].3, None);
    assert_eq!(trues[2].2, crate::supervise::StdinKind::File);
    assert_eq!(
        trues[0].1,
        sb.dir.path().canonicalize().unwrap().display().to_string()
    );
}

#[test]
fn leftovers_can_be_killed_when_the_first_program_exits() {
    let sb = Sandbox::new();
    let mut policy = Policy::default();
    let start = std::time::Instant::now();
    let status = supervise(
        "bash".as_ref(),
        &[
            "-c".into(),
            "sleep 100 & echo $! > \"$SB/bg.pid\"; exit 9".into(),
        ],
        Some(sb.env()),
        &Options {
            leftovers: crate::supervise::Leftovers::Kill,
            ..Options::default()
        },
        &mut policy,
    )
    .unwrap();
    assert_eq!(status, 9);
    assert!(start.elapsed().as_secs() < 20);
    let bg: i32 = sb.read("bg.pid").trim().parse().unwrap();
    assert!(wait_for(5, || dead(bg)), "sleep {bg} still runs");
}

/// The first program's status comes from the reaper's pipe; the reaper's exit may be
/// seen first (a poll that a signal interrupted): the status must not be lost.
#[test]
fn the_status_is_never_lost_however_short_the_run() {
    for i in 0..40 {
        let mut policy = Policy::default();
        let status = supervise(
            "sh".as_ref(),
            &["-c".into(), format!("exit {}", i % 7).into()],
            None,
            &Options::default(),
            &mut policy,
        );
        assert_eq!(status.unwrap(), i % 7, "run {i}");
    }
}
