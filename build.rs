//! Indexes the built-in rule packs (`rules/*.toml`) at build time.
//!
//! The packs are embedded into the binary as text, but guard parses a pack only when a
//! command names one of its programs. This script writes `packs.rs` into `OUT_DIR`: for
//! each pack its name, its source (via `include_str!`), the programs it covers and the ids
//! and severities of its rules, so start-up never has to parse a pack to know what is in
//! it. A pack that is not valid TOML fails the build here, with the file name.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("rules");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();

    let mut out = String::from("pub static PACKS: &[PackIndex] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let table: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut programs = Vec::new();
        if let Some(tools) = table.get("tools").and_then(|t| t.as_table()) {
            for (tool, spec) in tools {
                programs.push(tool.clone());
                if let Some(aliases) = spec.get("aliases").and_then(|a| a.as_array()) {
                    programs.extend(aliases.iter().filter_map(|a| a.as_str()).map(String::from));
                }
            }
        }
        let mut rules = Vec::new();
        for rule in table
            .get("rules")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            let get = |k: &str| rule.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            rules.push((get("id").to_string(), get("severity").to_string()));
            for tool in rule
                .get("tools")
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(t) = tool.as_str() {
                    programs.push(t.to_string());
                }
            }
        }
        programs.sort();
        programs.dedup();
        // What a run parses: the pack without its rules' examples (`match`, `not_match`),
        // which only `guard rules test` and `rules show` read; they are most of a pack.
        let mut runtime = table.clone();
        if let Some(list) = runtime.get_mut("rules").and_then(|r| r.as_array_mut()) {
            for rule in list.iter_mut().filter_map(|r| r.as_table_mut()) {
                rule.remove("match");
                rule.remove("not_match");
            }
        }
        // Stored as JSON, which guard reads several times faster than TOML; the pack was
        // checked as TOML (here and by the test suite), so no span is needed to point at.
        let runtime_text =
            serde_json::to_string(&runtime).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let runtime_dir = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("runtime");
        fs::create_dir_all(&runtime_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", runtime_dir.display()));
        let runtime_path = runtime_dir.join(format!("{name}.json"));
        fs::write(&runtime_path, runtime_text)
            .unwrap_or_else(|e| panic!("{}: {e}", runtime_path.display()));
        let _ = writeln!(
            out,
            "    PackIndex {{ name: {name:?}, source: include_str!({:?}), runtime: include_str!({:?}), programs: {}, rules: {} }},",
            path.display().to_string(),
            runtime_path.display().to_string(),
            words(&programs),
            words(
                &rules
                    .iter()
                    .map(|(id, sev)| format!("{id} {sev}"))
                    .collect::<Vec<_>>()
            ),
        );
    }
    out.push_str("];\n");
    out.push_str(&generic_words(&dir.join("words/generic.toml")));
    let dest = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("packs.rs");
    fs::write(dest, out).unwrap_or_else(|e| panic!("writing packs.rs: {e}"));
}

/// A `Words` literal (src/rules/builtin.rs): the words run together, and where each ends.
fn words<S: AsRef<str>>(list: &[S]) -> String {
    let mut text = String::new();
    let mut ends = Vec::new();
    for w in list {
        text.push_str(w.as_ref());
        ends.push(text.len());
    }
    format!("Words {{ text: {text:?}, ends: &{ends:?} }}")
}

/// The general reading's words, as sorted static lists (looked up by binary search), so
/// a run never parses them.
fn generic_words(path: &Path) -> String {
    println!("cargo:rerun-if-changed={}", path.display());
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let generic = table
        .get("generic")
        .and_then(|g| g.as_table())
        .unwrap_or_else(|| panic!("{}: no [generic] table", path.display()));
    let list = |key: &str, lower: bool| -> Vec<String> {
        let mut v: Vec<String> = generic
            .get(key)
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str())
            .map(|x| {
                if lower {
                    x.to_ascii_lowercase()
                } else {
                    x.to_string()
                }
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    format!(
        "pub static GENERIC_WORDS: GenericWords = GenericWords {{ verbs: {}, strong_verbs: {}, objects: {}, not_programs: {}, exceptions: {} }};\n",
        words(&list("verbs", true)),
        words(&list("strong_verbs", true)),
        words(&list("objects", true)),
        words(&list("not_programs", false)),
        words(&list("exceptions", false)),
    )
}
