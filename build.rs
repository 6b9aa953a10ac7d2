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
    order_hot_symbols();
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("rules");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();

    let tables: Vec<toml::Table> = files
        .iter()
        .map(|path| {
            let text =
                fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            text.parse()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect();
    let fed = tools_fed_from_outside(&tables);
    let mut every_program: Vec<String> = Vec::new();
    let mut out = String::from("pub static PACKS: &[PackIndex] = &[\n");
    for (path, table) in files.iter().zip(&tables) {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
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
        // A rule about a tool another pack names answers to that tool's aliases too
        // (`neon`, an alias of `neonctl`, must load every pack with a neonctl rule).
        let named: Vec<String> = programs.clone();
        programs.extend(named.iter().flat_map(|p| aliases_of(&tables, p)));
        programs.sort();
        programs.dedup();
        every_program.extend(programs.iter().cloned());
        // What a run parses: the pack without its rules' examples (`match`, `not_match`),
        // which only `guard rules test` and `rules show` read; they are most of a pack.
        // Stored as JSON, which guard reads several times faster than TOML; the pack was
        // checked as TOML (here and by the test suite), so no span is needed to point at.
        // The first line is the pack without its rules; then one line a rule, `KEYS\tJSON`:
        // a rule that can only match when one of KEYS is its command's first word is not
        // even parsed for a command whose text holds none of them (`git status` parses
        // none of git's rules about push, reset or clean).
        let mut header = table.clone();
        header.remove("rules");
        let mut runtime_text =
            serde_json::to_string(&header).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for rule in table
            .get("rules")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_table())
        {
            let mut rule = rule.clone();
            rule.remove("match");
            rule.remove("not_match");
            let json =
                serde_json::to_string(&rule).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let _ = write!(
                runtime_text,
                "\n{}\t{json}",
                first_words(&rule, &fed).join(" ")
            );
        }
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
    every_program.sort();
    every_program.dedup();
    let _ = writeln!(
        out,
        "pub static PROGRAMS: Words = {};",
        words(&every_program)
    );
    out.push_str(&generic_words(&dir.join("words/generic.toml")));
    let dest = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("packs.rs");
    fs::write(dest, out).unwrap_or_else(|e| panic!("writing packs.rs: {e}"));
}

/// Asks the linker to put the functions guard runs on its everyday paths side by side
/// (`scripts/hot-symbols.txt`, made by `scripts/hot-symbols`): the kernel maps a
/// binary's pages 64 KB at a time around each one touched, so hot code scattered through
/// 5 MB of code cost a megabyte and more of resident memory and page faults at every run.
/// Only where the linker is known to take the option: rust-lld, the default for
/// x86_64-unknown-linux-gnu since Rust 1.90, with no other linker configured.
/// `GUARD_NO_SYMBOL_ORDER=1` turns it off.
fn order_hot_symbols() {
    println!("cargo:rerun-if-env-changed=GUARD_NO_SYMBOL_ORDER");
    println!("cargo:rerun-if-changed=scripts/hot-symbols.txt");
    let var = |k: &str| env::var(k).unwrap_or_default();
    let file = Path::new(&var("CARGO_MANIFEST_DIR")).join("scripts/hot-symbols.txt");
    let rustc_minor = std::process::Command::new(var("RUSTC"))
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
        .and_then(|v| v.split('.').nth(1).and_then(|m| m.parse::<u32>().ok()))
        .unwrap_or(0);
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let lld = var("TARGET") == "x86_64-unknown-linux-gnu"
        && rustc_minor >= 90
        && env::var_os("RUSTC_LINKER").is_none()
        && !flags.contains("linker")
        && !flags.contains("fuse-ld")
        && !flags.contains("link-self-contained");
    if lld && file.is_file() && env::var_os("GUARD_NO_SYMBOL_ORDER").is_none() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            file.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// The aliases every pack gives `tool` in its `[tools.TOOL]` table.
fn aliases_of(tables: &[toml::Table], tool: &str) -> Vec<String> {
    tables
        .iter()
        .filter_map(|t| t.get("tools").and_then(|t| t.get(tool)))
        .filter_map(|spec| spec.get("aliases").and_then(|a| a.as_array()))
        .flatten()
        .filter_map(|a| a.as_str().map(String::from))
        .collect()
}

/// The tools whose words come from outside their argv too (the environment, standard
/// input): a rule about them is always parsed, whatever the command's text holds.
fn tools_fed_from_outside(tables: &[toml::Table]) -> Vec<String> {
    let mut fed = Vec::new();
    for tools in tables
        .iter()
        .filter_map(|t| t.get("tools").and_then(|t| t.as_table()))
    {
        for (tool, spec) in tools {
            if spec.get("args_from_env").is_some() || spec.get("stdin_as").is_some() {
                fed.push(tool.clone());
                fed.extend(
                    spec.get("aliases")
                        .and_then(|a| a.as_array())
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str())
                        .map(String::from),
                );
            }
        }
    }
    fed
}

/// The words one of which a rule's command must start with, lowercased; empty when the
/// rule may match without any (no `command`, a glob first word, a tool fed from outside).
fn first_words(rule: &toml::Table, fed: &[String]) -> Vec<String> {
    let tools = rule.get("tools").and_then(|t| t.as_array());
    if tools.into_iter().flatten().any(|t| {
        t.as_str()
            .is_none_or(|t| t == "*" || fed.iter().any(|f| f == t))
    }) {
        return Vec::new();
    }
    let paths: Vec<&str> = match rule.get("command") {
        Some(toml::Value::String(s)) => vec![s.as_str()],
        Some(toml::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => return Vec::new(),
    };
    let mut keys = Vec::new();
    for path in paths {
        let first = path.split_whitespace().next().unwrap_or_default();
        for alt in first.split('|') {
            if alt.is_empty() || alt.contains(['*', '?']) {
                return Vec::new();
            }
            keys.push(alt.to_lowercase());
        }
    }
    keys.sort();
    keys.dedup();
    keys
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
