//! The case tables in `tests/cases/*.txt`: `DECISION COMMAND` per line, each run through
//! `guard check --json` with no config. A floor, not the target: every family's
//! must-two-person, must-confirm, must-pass and data-not-code commands.

use crate::util::{Sandbox, words};

#[test]
fn case_tables() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let s = Sandbox::new();
    let (mut total, mut failures) = (0, Vec::new());
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "txt"))
    {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (want, command) = line.split_once(char::is_whitespace).unwrap();
            let (assigns, argv) = words(command.trim());
            let mut cmd = s.guard().args(["check", "--json", "--"]).args(&argv);
            for (k, v) in &assigns {
                cmd = cmd.env(k, v);
            }
            let out = cmd.run();
            let got = out.json()["decision"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            total += 1;
            if got != want {
                failures.push(format!(
                    "{}:{}: want {want}, got {got}: {}",
                    file.display(),
                    n + 1,
                    command.trim()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 150, "only {total} cases");
}
