//! A plain timing program for the engine alone (a decider that reads nothing and lets
//! everything run), ignored by default:
//!
//! ```text
//! cargo test --release --lib supervise::tests::bench_tests -- --ignored --nocapture --test-threads=1
//! ```
//!
//! `benches/supervise.sh` times the whole `guard supervise` (with guard's own decider)
//! against the unsupervised commands, interleaved.

use super::Sandbox;
use crate::supervise::{Decider, Engine, Exec, Options, Verdict, supervise};
use std::time::{Duration, Instant};

struct Nothing(usize);

impl Decider for Nothing {
    fn on_exec(&mut self, _: &Exec) -> Verdict {
        self.0 += 1;
        Verdict::Continue
    }
    fn poll(&mut self, _: i32) -> Option<Verdict> {
        Some(Verdict::Continue)
    }
}

fn bare(script: &str) -> Duration {
    let start = Instant::now();
    let st = std::process::Command::new("sh")
        .args(["-c", script])
        .status()
        .unwrap();
    assert!(st.success());
    start.elapsed()
}

fn supervised(engine: Engine, script: &str) -> (Duration, usize) {
    let mut d = Nothing(0);
    let start = Instant::now();
    let opts = Options {
        engine,
        ..Options::default()
    };
    let st = supervise(
        "sh".as_ref(),
        &["-c".into(), script.into()],
        None,
        &opts,
        &mut d,
    )
    .unwrap();
    assert_eq!(st, 0);
    (start.elapsed(), d.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
#[ignore = "a timing program: run it by hand (see the module doc)"]
fn engine_overhead() {
    let _sb = Sandbox::new();
    let n = 1000;
    let cases = [
        (
            "sh loop: 1000 x /bin/true",
            format!("i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"),
        ),
        (
            "sh loop: 1000 x subshell fork, no exec",
            format!("i=0; while [ $i -lt {n} ]; do (:); i=$((i+1)); done"),
        ),
    ];
    println!(
        "| workload | bare | fast | full ptrace | fast extra per iteration | full extra per iteration | execs seen |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, script) in cases {
        let (mut b, mut f, mut p) = (Vec::new(), Vec::new(), Vec::new());
        let mut seen = 0;
        for _ in 0..7 {
            b.push(bare(&script));
            let (t, s) = supervised(Engine::Auto, &script);
            f.push(t);
            seen = s;
            p.push(supervised(Engine::Ptrace, &script).0);
        }
        let (b, f, p) = (median(b), median(f), median(p));
        let per = |t: Duration| (t.as_secs_f64() - b.as_secs_f64()) * 1e6 / n as f64;
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} µs | {:.1} µs | {seen} |",
            b.as_secs_f64() * 1e3,
            f.as_secs_f64() * 1e3,
            p.as_secs_f64() * 1e3,
            per(f),
            per(p)
        );
    }
}
