//! The flow reads one way: every module imports only from modules below it. This test
//! reads the sources' `crate::` and (in `app/`) `super::` paths — code only, not
//! comments and not the `#[cfg(test)]` part at the end of a file, where tests may build
//! fixtures from any layer — and fails on an import from a module above.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

/// Top to bottom. A module may import from any module after it, never from one before
/// it or beside it (a group's members import nothing from each other).
const LAYERS: &[&[&str]] = &[
    // The subcommands, then what they share (app/mod.rs only dispatches).
    &["app"],
    &["app::doctor"],
    &["app::setup"],
    &[
        "app::shim",
        "app::hook",
        "app::check",
        "app::approve",
        "app::breaker",
        "app::log",
        "app::rules_cmd",
        "app::docs",
        "app::supervise",
    ],
    &["app::guarded", "app::install"],
    &["app::wait"],
    &["app::passed"],
    &["app::terminal", "app::sign", "app::wiring", "app::notify"],
    // Resolving the command line, the environment and the config layers, once.
    &["config"],
    &["cli"],
    // Input to findings.
    &["analysis"],
    &["plan"],
    // Findings to what happens.
    &["gate"],
    &["policy", "confirm"],
    &["report"],
    // Rules and reading commands.
    &["matcher"],
    &["rules", "approval"],
    &["shell"],
    // Running children, and state.
    &["exec"],
    &["error"],
    &["store"],
    &["breaker"],
    &["audit"],
    &["context"],
    // Leaves.
    &[
        "agents",
        "settings",
        "identity",
        "binary",
        "exit_code",
        "finding",
        "time",
        "procs",
    ],
    &[
        "decision",
        "glob",
        "hex",
        "privilege",
        "sanitize",
        "style",
        "supervise",
    ],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|group| group.contains(&module))
}

/// The module a source file belongs to: `src/gate/second.rs` is `gate`, `src/app/hook.rs`
/// is `app::hook`, `src/app/mod.rs` is `app`.
fn module_of(rel: &Path) -> Option<String> {
    let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
    let stem = |f: &str| f.trim_end_matches(".rs").to_string();
    match parts.as_slice() {
        [file] if *file == "lib.rs" || *file == "main.rs" => None,
        [file] => Some(stem(file)),
        ["app", "mod.rs"] => Some("app".into()),
        ["app", file] => Some(format!("app::{}", stem(file))),
        // A subcommand in a directory of its own (`app/doctor/`) is one module.
        ["app", dir, ..] => Some(format!("app::{dir}")),
        [dir, ..] => Some((*dir).to_string()),
        [] => None,
    }
}

/// The code of a file: without line comments and without the trailing test module.
fn code(text: &str) -> String {
    let text = text.find("#[cfg(test)]").map_or(text, |i| &text[..i]);
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Words following `prefix` (`crate::gate` -> `gate`, then `crate::gate::x`).
fn paths_after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = Vec<&'a str>> + 'a {
    code.match_indices(prefix).map(move |(i, _)| {
        let before = code[..i].chars().next_back();
        let rest = &code[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return Vec::new();
        }
        rest.split("::")
            .take(2)
            .map(|seg| {
                let end = seg
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(seg.len());
                &seg[..end]
            })
            .take_while(|s| !s.is_empty())
            .collect()
    })
}

/// The modules a file's code imports, by the module it belongs to.
fn imports(module: &str, code: &str, app_files: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in paths_after(code, "crate::") {
        match path.as_slice() {
            ["app", sub, ..] if app_files.contains(*sub) => out.insert(format!("app::{sub}")),
            [top, ..] => out.insert((*top).to_string()),
            [] => false,
        };
    }
    if module.starts_with("app::") {
        for path in paths_after(code, "super::") {
            match path.first() {
                Some(sub) if app_files.contains(*sub) => out.insert(format!("app::{sub}")),
                Some(_) => out.insert("app".into()),
                None => false,
            };
        }
    }
    out.remove(module);
    out
}

/// Every import of a module from one at its own rank or above.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let app_files: BTreeSet<String> = files
        .iter()
        .filter_map(|(m, _)| m.strip_prefix("app::").map(str::to_string))
        .collect();
    let mut out = Vec::new();
    for (module, text) in files {
        let Some(own) = rank(module) else {
            out.push(format!(
                "{module}: not in LAYERS; give it a place in the flow"
            ));
            continue;
        };
        for dep in imports(module, &code(text), &app_files) {
            match rank(&dep) {
                Some(r) if r > own => {}
                Some(_) => out.push(format!("{module} imports {dep}, which is not below it")),
                None => out.push(format!("{module} imports {dep}, which is not in LAYERS")),
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&root).expect("under src").to_path_buf();
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            // Test-only files (`parse_tests.rs`, `plan/tests.rs`) are tests.
            if !name.ends_with(".rs") || name.ends_with("tests.rs") {
                continue;
            }
            if let Some(module) = module_of(&rel) {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((module, text));
            }
        }
    }
    out
}

#[test]
fn every_import_points_down_the_flow() {
    let found = violations(&sources());
    assert!(
        found.is_empty(),
        "imports against the flow:\n  {}",
        found.join("\n  ")
    );
}

/// Every child guard starts is made by `exec::command`, which gives up guard's group in
/// the child: a `Command::new` anywhere else would run a program with it.
#[test]
fn only_exec_makes_child_processes() {
    let spawning: Vec<String> = sources()
        .into_iter()
        .filter(|(m, text)| m != "exec" && code(text).contains("Command::new"))
        .map(|(m, _)| m)
        .collect();
    assert!(
        spawning.is_empty(),
        "Command::new outside exec: {spawning:?}"
    );
}

#[test]
fn a_backward_import_is_caught() {
    let files = |shell: &str| {
        vec![
            ("shell".to_string(), shell.to_string()),
            ("cli".to_string(), "pub struct Cli;".to_string()),
            (
                "app::hook".to_string(),
                "use super::wiring::resolve;".to_string(),
            ),
            ("app::wiring".to_string(), String::new()),
        ]
    };
    assert_eq!(violations(&files("fn f() {}")), Vec::<String>::new());
    assert_eq!(
        violations(&files("fn f() { crate::cli::Cli::parse(); }")),
        ["shell imports cli, which is not below it"]
    );
    // Comments and the test module do not count.
    assert!(violations(&files("// crate::cli\n#[cfg(test)]\nuse crate::cli;")).is_empty());
    // Nor does a path that only ends in `crate::`.
    assert!(violations(&files("fn f() { my_crate::cli::x(); }")).is_empty());
    assert_eq!(
        violations(&[
            ("app::wiring".into(), "use super::hook::run;".into()),
            ("app::hook".into(), String::new())
        ]),
        ["app::wiring imports app::hook, which is not below it"]
    );
    assert_eq!(
        violations(&[("newmod".into(), String::new())]),
        ["newmod: not in LAYERS; give it a place in the flow"]
    );
}
