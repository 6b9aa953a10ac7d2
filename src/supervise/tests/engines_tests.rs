//! The full-ptrace engine, the fallback where seccomp user notification cannot be had,
//! decides the same scenarios the same way.

use super::{Policy, Sandbox, assert_denied, compile_thread_exec};
use crate::supervise::{Engine, Options, supervise};

fn run(sb: &Sandbox, script: &str) -> (i32, Policy) {
    let mut policy = Policy::default();
    let status = sb.run_on(Engine::Ptrace, script, &mut policy);
    (status, policy)
}

#[test]
fn the_fallback_engine_decides_the_same_scenarios() {
    let sb = Sandbox::new();
    let (status, policy) = run(
        &sb,
        "printf 'terraform plan\\nterraform destroy\\necho \"after=$?\"\\n' > x.sh
         bash x.sh > out1
         python3 -c 'import subprocess; print(subprocess.run([\"terra\"+\"form\", \"destroy\"]).returncode)' > py.out
         nohup sh -c 'sleep 0.3; terraform destroy; echo \"late=$?\" > late' > /dev/null 2>&1 &
         exit 4",
    );
    assert_eq!(status, 4);
    assert_denied(&sb, &policy, 3);
    assert_eq!(sb.read("out1").trim(), "after=126");
    assert_eq!(sb.read("py.out").trim(), "126");
    assert_eq!(sb.read("late"), "late=126\n");
    if compile_thread_exec(&sb).is_some() {
        let (status, policy) = run(&sb, "texec terraform destroy");
        assert_eq!(status, 126);
        assert!(policy.ended()[0].former_tid.is_some());
    }
    // It knows every creator: the first program has none.
    let mut policy = Policy::default();
    let status = supervise(
        "terraform".as_ref(),
        &["destroy".into()],
        Some(sb.env()),
        &Options {
            engine: Engine::Ptrace,
            ..Options::default()
        },
        &mut policy,
    )
    .unwrap();
    assert_eq!(status, 126);
    assert_eq!(policy.seen[0].parent, None);
}

#[test]
fn both_engines_see_the_same_execs() {
    let sb = Sandbox::new();
    let script =
        "for i in 1 2 3; do /bin/true; done; sh -c 'ls / > /dev/null'; (cd bin && ./tf plan)";
    let (fast_status, fast) = sb.run(script);
    let (full_status, full) = run(&sb, script);
    assert_eq!((fast_status, full_status), (0, 0));
    let argvs =
        |p: &Policy| -> Vec<Vec<String>> { p.seen.iter().map(|s| s.argv.clone()).collect() };
    assert_eq!(argvs(&fast), argvs(&full));
}
