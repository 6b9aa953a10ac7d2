//! The evaluation sets: `tests/eval/` (1,406 destructive commands across every family and
//! 4,300 ordinary ones), `tests/eval/second/` (853 and 3,732, built later from other
//! public sources: other guards' test suites, cheat-sheet collections, CI steps of
//! public repositories) and `tests/eval/third/` (533 and 761, from ten more guards'
//! suites and a cheat-sheet collection; its misses were fixed after it was scored, see
//! RESULTS.md), `tests/eval/fourth/` (553 and 1,194, the examples of official CLI
//! reference documentation; likewise fixed after scoring), `tests/eval/fifth/` (438 and
//! 1,005, from 66 sources none of the others used; likewise) and `tests/eval/sixth/`
//! (313 and 609, from 96 sources none of the others or this machine had; likewise) and
//! `tests/eval/seventh/` (368 and 606, from 76 sources none of the others or this machine
//! had; likewise), `tests/eval/eighth/` (297 and 603, 76 more sources, Windows among
//! them; likewise), `tests/eval/ninth/` (315 and 697, from seven more guards' suites) and
//! `tests/eval/tenth/` (241 and 609, from 34 documentation and runbook sources; both
//! likewise), `tests/eval/eleventh/` (157 and 652, CI pipelines' steps; likewise) and
//! `tests/eval/twelfth/` (261 and 670, commands embedded in Ansible, Salt, Chef,
//! Dockerfiles and Kubernetes specs: below the thresholds, held to a floor, see its test),
//! labelled by `tests/eval/RUBRIC.md` from the sources each
//! `SOURCES.md` cites, scored by `score.py` against the real binary. The thresholds are
//! the product's: at least 95% of destructive commands caught, at most 0.5% false
//! alarms; the per-family tables are printed with `--nocapture`.

use crate::util::GUARD;
use std::process::Command;

fn score(set: Option<&str>, min_caught: &str, max_false_alarm: &str) -> std::process::Output {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/eval");
    let mut cmd = Command::new("python3");
    cmd.arg(format!("{dir}/score.py")).args([
        "--guard",
        GUARD,
        "--min-caught",
        min_caught,
        "--max-false-alarm",
        max_false_alarm,
    ]);
    if let Some(sub) = set {
        cmd.arg("--destructive")
            .arg(format!("{dir}/{sub}/destructive.tsv"))
            .arg("--ordinary")
            .arg(format!("{dir}/{sub}/ordinary.tsv"));
    }
    cmd.output().expect("python3 runs score.py")
}

fn meets_the_thresholds(set: Option<&str>) {
    meets(set, "0.95", "0.005");
}

fn meets(set: Option<&str>, min_caught: &str, max_false_alarm: &str) {
    let out = score(set, min_caught, max_false_alarm);
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(
        out.status.success(),
        "below the thresholds (exit {:?}):\n{report}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("| **all** |"), "{report}");
}

#[test]
fn the_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(None);
}

#[test]
fn the_second_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("second"));
}

#[test]
fn the_third_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("third"));
}

#[test]
fn the_fourth_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("fourth"));
}

#[test]
fn the_fifth_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("fifth"));
}

#[test]
fn the_sixth_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("sixth"));
}

#[test]
fn the_seventh_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("seventh"));
}

#[test]
fn the_eighth_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("eighth"));
}

#[test]
fn the_ninth_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("ninth"));
}

#[test]
fn the_tenth_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("tenth"));
}

#[test]
fn the_eleventh_evaluation_set_meets_the_thresholds() {
    meets_the_thresholds(Some("eleventh"));
}

/// Commands embedded in configuration management and container specs, with template
/// placeholders (`{{ base_dir }}/bin/kubectl`) guard reads both as the shell would and
/// as values only known when the template is rendered, keeping the stricter. It does not
/// meet the product's thresholds (tests/eval/RESULTS.md says why: a placeholder as the
/// program is an unknown program, which guard refuses to guess, and the shell's own
/// reading of a placeholder is words); this floor keeps it from getting worse.
#[test]
fn the_twelfth_evaluation_set_stays_above_its_floor() {
    meets(Some("twelfth"), "0.93", "0.025");
}
