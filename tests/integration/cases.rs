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

/// Shell-string cases (`tests/cases/shell/`): `DECISION<TAB>STRING` lines and JSON lines
/// `{"decision", "command"}` for strings with newlines, all decided in one
/// `guard check --stdin` run.
#[test]
fn shell_string_case_tables() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases/shell");
    let mut cases: Vec<(String, String, String)> = Vec::new(); // (place, want, command)
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let place = format!("{}:{}", path.display(), n + 1);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if path.extension().is_some_and(|e| e == "jsonl") {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                cases.push((
                    place,
                    v["decision"].as_str().unwrap().into(),
                    v["command"].as_str().unwrap().into(),
                ));
            } else {
                let (want, command) = line
                    .split_once('\t')
                    .unwrap_or_else(|| panic!("{place}: no tab"));
                cases.push((place, want.into(), command.into()));
            }
        }
    }
    let input: String = cases
        .iter()
        .map(|(_, _, c)| serde_json::json!({ "command": c }).to_string() + "\n")
        .collect();
    let s = Sandbox::new();
    let out = s
        .guard()
        .args(["check", "--stdin"])
        .run_with_input(input.as_bytes());
    let results: Vec<serde_json::Value> = out
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), cases.len());
    let failures: Vec<String> = cases
        .iter()
        .zip(&results)
        .filter(|((_, want, _), r)| r["decision"] != want.as_str())
        .map(|((place, want, cmd), r)| {
            format!("{place}: want {want}, got {}: {cmd}", r["decision"])
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 120, "only {} shell cases", cases.len());
}
