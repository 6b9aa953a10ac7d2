//! Verdict::Hold: the held exec stays stopped at its exec (it has not run: it has not
//! even seen its sibling's last line) while a sibling keeps running and being served;
//! the poll answer then continues or ends it.

use super::{Sandbox, names, state};
use crate::supervise::{Decider, Exec, Verdict};

struct HoldUntil {
    sib: std::path::PathBuf,
    answer: Verdict,
    held: Option<i32>,
    polls: usize,
    states: Vec<Option<char>>,
    execs_while_held: usize,
}

impl Decider for HoldUntil {
    fn on_exec(&mut self, exec: &Exec) -> Verdict {
        if self.held.is_some() {
            self.execs_while_held += 1;
        }
        if names(exec).iter().any(|n| n == b"held-tool") {
            self.held = Some(exec.pid);
            return Verdict::Hold;
        }
        Verdict::Continue
    }

    fn poll(&mut self, pid: i32) -> Option<Verdict> {
        assert_eq!(Some(pid), self.held);
        self.polls += 1;
        self.states.push(state(pid));
        let lines = std::fs::read_to_string(&self.sib)
            .unwrap_or_default()
            .lines()
            .count();
        (lines >= 5).then(|| self.answer.clone())
    }
}

fn held_scenario(answer: Verdict) -> (Sandbox, i32, HoldUntil) {
    let sb = Sandbox::new();
    sb.script(
        "bin/held-tool",
        "#!/bin/sh\nwc -l < \"$SB/sib\" | tr -d ' ' > \"$SB/seen-by-held\"\n",
    );
    let mut decider = HoldUntil {
        sib: sb.path("sib"),
        answer,
        held: None,
        polls: 0,
        states: Vec::new(),
        execs_while_held: 0,
    };
    let status = sb.run_with(
        "(for i in 1 2 3 4 5; do /bin/echo $i >> sib; sleep 0.1; done) &
         held-tool; echo \"held=$?\" > held.out
         wait",
        &mut decider,
    );
    (sb, status, decider)
}

#[test]
fn a_held_exec_waits_while_its_sibling_runs_then_continues() {
    let (sb, status, decider) = held_scenario(Verdict::Continue);
    assert_eq!(status, 0);
    assert_eq!(sb.read("held.out"), "held=0\n");
    assert_eq!(
        sb.read("seen-by-held"),
        "5\n",
        "it ran only after the sibling's 5th line"
    );
    assert!(decider.polls >= 3, "polled {} times", decider.polls);
    assert!(
        decider.states.iter().all(|s| *s == Some('t')),
        "held in a trace stop: {:?}",
        decider.states
    );
    assert!(
        decider.execs_while_held >= 5,
        "the sibling's execs were served meanwhile"
    );
}

#[test]
fn a_held_exec_can_be_ended_later() {
    let (sb, status, decider) = held_scenario(Verdict::End {
        message: "guard: not approved".into(),
        status: 126,
    });
    assert_eq!(status, 0);
    assert_eq!(sb.read("held.out"), "held=126\n");
    assert!(
        !sb.path("seen-by-held").exists(),
        "the held program never ran"
    );
    assert!(decider.polls >= 3);
}
