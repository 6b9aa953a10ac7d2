//! Scripts and task runners, read before they run: a shell script file (`bash x.sh`,
//! `./x.sh`, `source x.sh`), an npm-style `package.json` script (`npm run destroy`), a
//! make target's recipe and the targets it depends on (`make destroy`), a just recipe.
//! The text comes from a file written earlier in the same string (`echo '…' > x.sh; bash
//! x.sh`) or from the file on disk when it exists; make is never run (`make -n` runs
//! `$(shell …)`), its simple variables are put in by hand.

use std::collections::HashMap;

/// Where a recipe's text is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipe {
    /// A shell script file, by path.
    ShellFile(String),
    /// `scripts.NAME` of the package.json in DIR ("" for the current one), with its
    /// `preNAME` and `postNAME`.
    Package { dir: String, name: String },
    /// A make target of MAKEFILE ("" for GNUmakefile/makefile/Makefile), or the first one.
    Make {
        makefile: String,
        target: Option<String>,
    },
    /// A just recipe of the justfile, or the first one.
    Just { target: Option<String> },
    /// Text in another shell's language (PowerShell's): read as shell where it parses,
    /// line by line where it does not, never refused for its syntax.
    Text(String),
}

/// The biggest file read: a script longer than this is not what an agent just wrote.
pub const MAX_FILE: u64 = 256 * 1024;

/// A regular, readable, text file's content, at most [`MAX_FILE`] bytes.
pub fn read_text(path: &str) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    (!text.contains('\0')).then_some(text)
}

/// A shell script's text: what runs when a shell reads it (a file with another
/// interpreter's `#!` line is not shell).
pub fn shell_text(text: &str) -> Option<&str> {
    match text.strip_prefix("#!") {
        Some(rest) => {
            let line = rest.lines().next().unwrap_or_default();
            let shell = ["sh", "bash", "zsh", "dash", "ksh", "ash"];
            let words: Vec<&str> = line.split_whitespace().collect();
            let interpreter = match words.as_slice() {
                [env, prog, ..] if env.ends_with("/env") => *prog,
                [prog, ..] => prog.rsplit('/').next().unwrap_or(prog),
                [] => "sh",
            };
            shell.contains(&interpreter).then_some(text)
        }
        None => Some(text),
    }
}

/// `scripts.NAME` (with `preNAME` before and `postNAME` after) of a package.json text.
pub fn package_script(json: &str, name: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let scripts = value.get("scripts")?;
    let get = |n: &str| scripts.get(n).and_then(|v| v.as_str()).map(str::to_string);
    let main = get(name)?;
    let parts: Vec<String> = [
        get(&format!("pre{name}")),
        Some(main),
        get(&format!("post{name}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    Some(parts.join("\n"))
}

/// A makefile's recipe for `target` (the first target when none), after the recipes of
/// the targets it depends on, with simple variables put in.
pub fn make_recipe(text: &str, target: Option<&str>) -> Option<String> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut rules: Vec<(Vec<String>, Vec<String>, Vec<String>)> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with('\t') || line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        // `VAR = value`, `VAR := value`, `VAR ?= value`, `VAR += value`
        if let Some((name, value)) = assignment(line) {
            let value = expand(&value, &vars);
            vars.entry(name.clone())
                .and_modify(|v| {
                    if line.contains("+=") {
                        v.push(' ');
                        v.push_str(&value);
                    } else if !line.contains("?=") {
                        v.clone_from(&value);
                    }
                })
                .or_insert(value);
            continue;
        }
        let Some((targets, prereqs)) = line.split_once(':') else {
            continue;
        };
        if prereqs.starts_with('=') {
            continue;
        }
        let targets: Vec<String> = targets.split_whitespace().map(str::to_string).collect();
        let prereqs: Vec<String> = prereqs
            .split(';')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut recipe = Vec::new();
        if let Some((_, inline)) = line.split_once(';') {
            recipe.push(inline.trim().to_string());
        }
        while let Some(next) = lines.peek() {
            if let Some(body) = next.strip_prefix('\t') {
                recipe.push(body.to_string());
                lines.next();
            } else if next.trim().is_empty() || next.trim_start().starts_with('#') {
                lines.next();
            } else {
                break;
            }
        }
        rules.push((targets, prereqs, recipe));
    }
    let first = rules
        .iter()
        .flat_map(|(t, _, _)| t)
        .find(|t| !t.starts_with('.'))
        .cloned();
    let target = target.map(str::to_string).or(first)?;
    let mut out = Vec::new();
    let mut seen = Vec::new();
    collect(&rules, &target, &vars, &mut out, &mut seen, 0);
    (!out.is_empty()).then(|| out.join("\n"))
}

type Rule = (Vec<String>, Vec<String>, Vec<String>);

fn collect(
    rules: &[Rule],
    target: &str,
    vars: &HashMap<String, String>,
    out: &mut Vec<String>,
    seen: &mut Vec<String>,
    depth: usize,
) {
    if depth > 6 || seen.iter().any(|s| s == target) {
        return;
    }
    seen.push(target.to_string());
    for (targets, prereqs, recipe) in rules
        .iter()
        .filter(|(t, _, _)| t.iter().any(|t| t == target))
    {
        let _ = targets;
        for p in prereqs {
            collect(rules, &expand(p, vars), vars, out, seen, depth + 1);
        }
        for line in recipe {
            let line = line.trim_start().trim_start_matches(['@', '-', '+']);
            out.push(expand(line, vars).replace("$$", "$"));
        }
    }
}

fn assignment(line: &str) -> Option<(String, String)> {
    let at = line.find('=')?;
    let (left, right) = (&line[..at], &line[at + 1..]);
    let name = left.trim_end_matches([':', '?', '+', '!']).trim();
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    // `target: VAR=value` is a target-specific variable, not an assignment line here.
    (plain && !left.trim_end_matches([':', '?', '+', '!']).contains(':'))
        .then(|| (name.to_string(), right.trim().to_string()))
}

/// `$(VAR)` and `${VAR}` of simple variables put in; anything else is left as written.
fn expand(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (name, value) in vars {
        out = out
            .replace(&format!("$({name})"), value)
            .replace(&format!("${{{name}}}"), value);
    }
    out
}

/// A justfile's recipe body for `target` (the first recipe when none).
pub fn just_recipe(text: &str, target: Option<&str>) -> Option<String> {
    let mut lines = text.lines().peekable();
    let mut first: Option<String> = None;
    while let Some(line) = lines.next() {
        if line.starts_with([' ', '\t', '#']) || line.trim().is_empty() || line.contains(":=") {
            continue;
        }
        let Some((head, _deps)) = line.split_once(':') else {
            continue;
        };
        let name = head
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_start_matches('@');
        let wanted = match target {
            Some(t) => t == name,
            None => first.is_none(),
        };
        let mut body = Vec::new();
        while let Some(next) = lines.peek() {
            if next.starts_with([' ', '\t']) {
                body.push(next.trim().trim_start_matches(['@', '-']).to_string());
                lines.next();
            } else {
                break;
            }
        }
        if wanted {
            first = Some(body.join("\n"));
            if target.is_some() {
                break;
            }
        }
    }
    first.filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_targets_with_their_prerequisites_and_variables() {
        let mk = "TF = terraform\nENV ?= prod\n\nall: build\n\nbuild:\n\tgo build ./...\n\nclean-state:\n\t@rm -f plan.out\n\ndestroy: clean-state\n\t$(TF) destroy -auto-approve -var env=$(ENV)\n";
        assert_eq!(
            make_recipe(mk, Some("destroy")).as_deref(),
            Some("rm -f plan.out\nterraform destroy -auto-approve -var env=prod")
        );
        assert_eq!(make_recipe(mk, None).as_deref(), Some("go build ./..."));
        assert!(make_recipe(mk, Some("nothing")).is_none());
    }

    #[test]
    fn package_scripts_with_their_hooks() {
        let pj = r#"{"scripts":{"predestroy":"echo bye","destroy":"cdk destroy --force","build":"tsc"}}"#;
        assert_eq!(
            package_script(pj, "destroy").as_deref(),
            Some("echo bye\ncdk destroy --force")
        );
        assert_eq!(package_script(pj, "build").as_deref(), Some("tsc"));
        assert!(package_script(pj, "test").is_none());
    }

    #[test]
    fn just_recipes() {
        let j = "set shell := [\"bash\", \"-c\"]\n\nbuild:\n    cargo build\n\ndestroy env='dev':\n    @terraform destroy -auto-approve\n";
        assert_eq!(
            just_recipe(j, Some("destroy")).as_deref(),
            Some("terraform destroy -auto-approve")
        );
        assert_eq!(just_recipe(j, None).as_deref(), Some("cargo build"));
    }

    #[test]
    fn only_shell_scripts_are_shell() {
        assert!(shell_text("#!/usr/bin/env bash\nrm -rf x").is_some());
        assert!(shell_text("#!/bin/sh\nls").is_some());
        assert!(shell_text("#!/usr/bin/env python3\nprint(1)").is_none());
        assert!(shell_text("terraform destroy").is_some());
    }
}
