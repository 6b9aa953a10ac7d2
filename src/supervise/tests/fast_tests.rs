//! The fast engine's own cases: what only a tree that runs untraced between its execs
//! can get wrong.

use super::{Policy, Sandbox, assert_denied, dead, wait_for};
use crate::supervise::{Decider, Engine, Exec, Options, Verdict, supervise};

/// `TracerPid` of a process, 0 if untraced (the tracer's thread id).
fn tracer_of(pid: i32) -> i32 {
    crate::supervise::sys::status_field(pid, "TracerPid:").unwrap_or(-1)
}

#[test]
fn a_failed_execve_neither_hangs_nor_leaves_the_process_traced() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run(
        "python3 -c '
import os, time
for i in range(200):
    try:
        os.execv(\"/nonexistent/x\", [\"x\"])
    except OSError as e:
        assert e.errno == 2, e
time.sleep(0.3)
print(open(\"/proc/self/status\").read().split(\"TracerPid:\")[1].split()[0])
os.environ[\"PATH\"] = \"/nonexistent/a:/nonexistent/b:\" + os.environ[\"PATH\"]
os.execvp(\"terraform\", [\"terraform\", \"destroy\"])
' > py.out",
    );
    assert_eq!(
        status, 126,
        "the exec after 200 failures was decided and ended"
    );
    assert_eq!(
        sb.read("py.out").trim(),
        "0",
        "detached after its failed execs"
    );
    assert_denied(&sb, &policy, 1);
}

#[test]
fn a_script_with_a_missing_interpreter_fails_as_usual() {
    let sb = Sandbox::new();
    sb.script("bin/broken", "#!/nonexistent/interpreter\n");
    let (status, policy) = sb.run("broken 2> err; echo \"st=$?\" > st; terraform plan");
    assert_eq!(status, 0);
    assert_eq!(sb.read("st"), "st=127\n", "{}", sb.read("err"));
    assert_eq!(sb.marker(), "plan\n");
    assert!(policy.count("broken") == 0);
}

#[test]
fn a_daemon_left_behind_is_decided_and_waited_for() {
    let sb = Sandbox::new();
    let start = std::time::Instant::now();
    let (status, policy) = sb.run(
        "setsid sh -c 'sleep 0.5; terraform plan; terraform destroy; echo \"late=$?\" > late' \
           < /dev/null > /dev/null 2>&1 &
         exit 3",
    );
    assert_eq!(status, 3, "the first program's status");
    assert!(
        start.elapsed().as_millis() >= 500,
        "returned before the daemon ended"
    );
    assert_denied(&sb, &policy, 1);
    assert_eq!(sb.read("late"), "late=126\n");
    assert_eq!(sb.marker(), "plan\n");
}

#[test]
fn an_exec_by_a_thread_that_another_tracer_holds_fails_closed() {
    let Ok(strace) = which("strace") else {
        eprintln!("skipped: strace is not installed");
        return;
    };
    let sb = Sandbox::new();
    let mut tracer: Option<std::process::Child> = None;
    let dir = sb.path("");
    let attach = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            // Outside the tree, a debugger attaches to a process of the tree.
            assert!(wait_for(10, || !sb.read("py.pid").trim().is_empty()));
            let pid: i32 = sb.read("py.pid").trim().parse().unwrap();
            let child = std::process::Command::new(&strace)
                .args(["-qq", "-o", "/dev/null", "-p", &pid.to_string()])
                .spawn()
                .unwrap();
            let attached = wait_for(10, || tracer_of(pid) == child.id() as i32);
            std::fs::write(dir.join("go"), "").unwrap();
            (child, attached)
        });
        let (status, policy) = sb.run(
            "python3 -c '
import os, time
open(\"py.pid\", \"w\").write(str(os.getpid()))
while not os.path.exists(\"go\"): time.sleep(0.01)
try:
    os.execv(\"/bin/true\", [\"true\"])
except OSError as e:
    open(\"errno\", \"w\").write(str(e.errno))
'",
        );
        let (child, attached) = watcher.join().unwrap();
        tracer = Some(child);
        (status, policy, attached)
    });
    if let Some(mut t) = tracer {
        let _ = t.kill();
        let _ = t.wait();
    }
    let (status, policy, attached) = attach;
    assert!(attached, "strace did not attach");
    assert_eq!(status, 0);
    assert_eq!(sb.read("errno"), "1", "EPERM, not an unseen exec");
    assert_eq!(policy.count("true"), 0, "never reached an exec stop");
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_tree_cannot_trace_or_listen_for_itself() {
    let sb = Sandbox::new();
    let (status, _) = sb.run(
        "python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
# PTRACE_TRACEME: refused by the filter.
r = libc.ptrace(0, 0, 0, 0)
print(\"traceme\", r, ctypes.get_errno())
# A filter of its own with a listener that would answer first: one per chain.
class Insn(ctypes.Structure):
    _fields_ = [(\"code\", ctypes.c_ushort), (\"jt\", ctypes.c_ubyte), (\"jf\", ctypes.c_ubyte), (\"k\", ctypes.c_uint)]
class Prog(ctypes.Structure):
    _fields_ = [(\"len\", ctypes.c_ushort), (\"filter\", ctypes.POINTER(Insn))]
allow = (Insn * 1)(Insn(6, 0, 0, 0x7fff0000))
prog = Prog(1, allow)
r = libc.syscall(317, 1, 8, ctypes.byref(prog))
print(\"listener\", r, ctypes.get_errno())
' > out; strace -o /dev/null true 2> strace.err; echo \"strace=$?\" >> out",
    );
    assert_eq!(status, 0);
    let out = sb.read("out");
    assert!(out.contains("traceme -1 1\n"), "{out}");
    assert!(out.contains("listener -1 16\n"), "EBUSY: {out}");
    if which("strace").is_ok() {
        assert!(!out.contains("strace=0"), "{out} {}", sb.read("strace.err"));
    }
}

/// Prints this process's tracer; run by `own_executable_stays_traced` inside a tree.
#[test]
#[ignore = "a helper that the test below runs inside a tree"]
fn report_tracer() {
    println!("tracer={}", tracer_of(0));
}

#[test]
fn own_executable_stays_traced_and_others_are_detached() {
    let sb = Sandbox::new();
    let me = std::fs::read_link("/proc/self/exe").unwrap();
    let status = sb.run_with(
        &format!(
            "grep TracerPid /proc/self/status > other
             '{}' --exact supervise::tests::fast_tests::report_tracer --ignored --nocapture -q > own",
            me.display()
        ),
        &mut Policy::default(),
    );
    assert_eq!(status, 0, "{}", sb.read("own"));
    assert!(
        sb.read("other").trim().ends_with("\t0"),
        "{}",
        sb.read("other")
    );
    let own = sb.read("own");
    assert!(
        own.contains(&format!("tracer={}", nix::unistd::gettid())),
        "the test binary saw itself traced by us: {own}"
    );
}

#[test]
fn when_the_reaper_is_killed_every_later_exec_fails() {
    let sb = Sandbox::new();
    let mut policy = Policy::default();
    // The first program kills its parent, the reaper: it dies too (parent-death
    // signal); a daemon that escapes runs on, but can exec nothing once the
    // supervision has ended.
    let result = supervise(
        "bash".as_ref(),
        &[
            "-c".into(),
            "cd \"$SB\"; setsid sh -c 'sleep 1; /bin/true; echo \"late=$?\" > late' \
               < /dev/null > /dev/null 2>&1 & sleep 0.3; kill -9 $PPID; sleep 5"
                .into(),
        ],
        Some(sb.env()),
        &Options::default(),
        &mut policy,
    );
    assert!(result.is_err(), "no status without the reaper: {result:?}");
    assert!(wait_for(5, || !sb.read("late").is_empty()));
    let late = sb.read("late");
    assert!(late == "late=126\n" || late == "late=127\n", "{late}");
    assert_eq!(policy.count("true"), 0);
}

#[test]
fn ending_a_held_process_from_poll_detaches_it_dead() {
    struct HoldThenEnd(Option<i32>);
    impl Decider for HoldThenEnd {
        fn on_exec(&mut self, exec: &Exec) -> Verdict {
            if super::is_destroy(exec) {
                self.0 = Some(exec.pid);
                return Verdict::Hold;
            }
            Verdict::Continue
        }
        fn poll(&mut self, pid: i32) -> Option<Verdict> {
            assert_eq!(Some(pid), self.0);
            assert_eq!(super::state(pid), Some('t'));
            Some(Verdict::End {
                message: "guard: no".into(),
                status: 77,
            })
        }
    }
    let sb = Sandbox::new();
    let mut d = HoldThenEnd(None);
    let status = sb.run_with("terraform destroy 2> err; echo \"st=$?\" > st", &mut d);
    assert_eq!(status, 0);
    assert_eq!(sb.read("st"), "st=77\n");
    assert_eq!(sb.read("err"), "guard: no\n");
    let pid = d.0.unwrap();
    assert!(dead(pid));
}

#[test]
fn available_here() {
    assert_eq!(crate::supervise::available(), Ok(()));
    assert_eq!(Options::default().engine, Engine::from_env());
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::split_paths(&std::env::var_os("PATH").ok_or(())?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}
