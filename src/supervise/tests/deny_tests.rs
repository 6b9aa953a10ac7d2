//! Every way an agent might reach `terraform destroy` indirectly is seen and ended
//! before the stub runs: the stub's marker never records `destroy`, while a `plan` in
//! the same scenario proves the path to terraform worked.

use super::{Policy, Sandbox, assert_denied, compile_thread_exec};

#[test]
fn a_written_script_run_three_ways() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run(
        "printf 'terraform plan\\nterraform destroy\\necho \"after=$?\"\\n' > x.sh
         chmod +x x.sh
         bash x.sh > out1; ./x.sh > out2; . ./x.sh > out3",
    );
    assert_eq!(status, 0);
    assert_denied(&sb, &policy, 3);
    assert_eq!(sb.marker().lines().filter(|l| *l == "plan").count(), 3);
    for out in ["out1", "out2", "out3"] {
        assert_eq!(sb.read(out).trim(), "after=126", "{out}");
    }
}

#[test]
fn the_denied_program_says_why_on_its_own_stderr_and_the_shell_adds_nothing() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run("terraform destroy 2> err; echo \"st=$?\" > st");
    assert_eq!(status, 0);
    assert_denied(&sb, &policy, 1);
    assert_eq!(sb.read("err"), "guard: terraform destroy denied\n");
    assert_eq!(sb.read("st"), "st=126\n");
}

#[test]
fn the_first_program_itself_is_decided() {
    let sb = Sandbox::new();
    let mut policy = Policy::default();
    let status = crate::supervise::supervise(
        "terraform".as_ref(),
        &["destroy".into()],
        Some(sb.env()),
        &crate::supervise::Options::default(),
        &mut policy,
    )
    .unwrap();
    assert_eq!(status, 126);
    assert_denied(&sb, &policy, 1);
    assert_eq!(policy.seen[0].parent, None);
}

#[test]
fn make_with_a_destroy_recipe() {
    let sb = Sandbox::new();
    sb.write(
        "Makefile",
        "all: plan destroy\nplan:\n\tterraform plan\ndestroy:\n\tterraform destroy\n",
    );
    let (status, policy) = sb.run("make -s -k all 2> make.err");
    assert_eq!(
        status,
        2,
        "make fails the destroy recipe: {}",
        sb.read("make.err")
    );
    assert_denied(&sb, &policy, 1);
    assert!(sb.marker().contains("plan"));
    assert!(sb.read("make.err").contains("126") || sb.read("make.err").contains("Error"));
}

#[test]
fn python_building_the_name() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run(
        "python3 -c 'import subprocess
subprocess.run([\"terra\"+\"form\", \"plan\"])
r = subprocess.run([\"terra\"+\"form\", \"destroy\"])
print(r.returncode)' > py.out",
    );
    assert_eq!(status, 0);
    assert_denied(&sb, &policy, 1);
    assert_eq!(sb.read("py.out").trim(), "126");
}

#[test]
fn perl_exec_of_a_built_name() {
    let sb = Sandbox::new();
    let (status, policy) = sb
        .run("perl -e 'system \"terra\".\"form\", \"plan\"; exec \"terra\".\"form\", \"destroy\"'");
    assert_eq!(status, 126, "perl's own process was ended");
    assert_denied(&sb, &policy, 1);
}

#[test]
fn a_symlink_to_terraform_under_another_name() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run("cd bin && ./tf plan && ./tf destroy");
    assert_eq!(status, 126);
    assert_denied(&sb, &policy, 1);
    let ended = &policy.ended()[0];
    assert_eq!(ended.path.to_str(), Some("./tf"), "{ended:?}");
}

#[test]
fn xargs_sh_c() {
    let sb = Sandbox::new();
    let (status, policy) =
        sb.run("printf 'plan\\ndestroy\\n' | xargs -n1 sh -c 'terraform \"$0\"'");
    assert_eq!(status, 123, "xargs reports a failed command");
    assert_denied(&sb, &policy, 1);
}

#[test]
fn nohup_and_disown_stay_in_the_tree() {
    let sb = Sandbox::new();
    let start = std::time::Instant::now();
    let (status, policy) = sb.run(
        "nohup sh -c 'sleep 0.4; terraform plan; terraform destroy; echo \"late=$?\" > late' \
           > /dev/null 2>&1 &
         disown
         exit 5",
    );
    assert_eq!(status, 5, "the first program's status");
    assert!(
        start.elapsed().as_millis() >= 400,
        "returned before the tree ended"
    );
    assert_denied(&sb, &policy, 1);
    assert_eq!(sb.read("late"), "late=126\n");
}

#[test]
fn a_double_forked_daemon_that_runs_terraform_later() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run(
        "python3 -c '
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        fd = os.open(\"/dev/null\", os.O_RDWR)
        for i in (0, 1, 2): os.dup2(fd, i)
        time.sleep(0.4)
        os.system(\"terraform plan\")
        os.execvp(\"terraform\", [\"terraform\", \"destroy\"])
    os._exit(0)
os.wait()
'",
    );
    assert_eq!(status, 0);
    assert_denied(&sb, &policy, 1);
    let ended = policy.ended()[0];
    let daemon = policy.seen.iter().find(|s| s.pid == ended.pid).unwrap();
    assert!(
        daemon.parent.is_some(),
        "the daemon's parent is known: {daemon:?}"
    );
}

#[test]
fn exec_from_a_non_main_thread_in_c() {
    let sb = Sandbox::new();
    if compile_thread_exec(&sb).is_none() {
        eprintln!("gcc is missing: the Python variant below covers thread exec");
        return;
    }
    let (status, policy) = sb.run("texec terraform plan; texec terraform destroy");
    assert_eq!(status, 126);
    assert_denied(&sb, &policy, 1);
    let ended = policy.ended()[0];
    assert!(
        ended.former_tid.is_some_and(|t| t != ended.pid),
        "{ended:?}"
    );
    assert!(sb.marker().contains("plan"));
}

#[test]
fn exec_from_a_python_thread() {
    let sb = Sandbox::new();
    let (status, policy) = sb.run(
        "python3 -c '
import os, threading, time
def run(): os.execvp(\"terraform\", [\"terraform\", \"destroy\"])
threading.Thread(target=run).start()
time.sleep(10)
'",
    );
    assert_eq!(status, 126);
    assert_denied(&sb, &policy, 1);
    let ended = policy.ended()[0];
    assert!(
        ended.former_tid.is_some_and(|t| t != ended.pid),
        "{ended:?}"
    );
}

#[test]
fn an_interactive_bash_fed_on_stdin() {
    let sb = Sandbox::new();
    sb.write(
        "typed",
        "terraform plan\nterraform destroy\necho \"typed=$?\" > typed.out\nexit 4\n",
    );
    let (status, policy) = sb.run("bash --norc -i < typed 2> bash.err");
    assert_eq!(status, 4, "{}", sb.read("bash.err"));
    assert_denied(&sb, &policy, 1);
    assert_eq!(sb.read("typed.out"), "typed=126\n");
    assert!(
        sb.read("bash.err")
            .contains("guard: terraform destroy denied")
    );
}
