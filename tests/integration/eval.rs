//! The evaluation sets (`tests/eval/`): 1,406 destructive commands across every family
//! and 4,300 ordinary ones, labelled by `RUBRIC.md` from the sources in `SOURCES.md`,
//! scored by `score.py` against the real binary. The thresholds are the product's: at
//! least 95% of destructive commands caught, at most 0.5% false alarms; the per-family
//! table is printed with `--nocapture`.

use crate::util::GUARD;
use std::process::Command;

#[test]
fn the_evaluation_sets_meet_the_thresholds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/eval");
    let out = Command::new("python3")
        .arg(format!("{dir}/score.py"))
        .args([
            "--guard",
            GUARD,
            "--min-caught",
            "0.95",
            "--max-false-alarm",
            "0.005",
        ])
        .output()
        .expect("python3 runs score.py");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(
        out.status.success(),
        "below the thresholds (exit {:?}):\n{report}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every environment-level row (two-person) is at least caught.
    assert!(report.contains("| **all** |"), "{report}");
}
