//! Building the compiled rule set: the built-in packs a command needs, then every
//! layer's tools and rules, then the layers' tuning (protected environments, severity
//! changes, disabled rules), each taken from a layer only as far as it is trusted.

use super::examples;
use super::layers::{Layer, LayerKind, Warnings, parse_builtin, parse_file};
use crate::decision::Decision;
use crate::error::Error;
use crate::matcher::RuleSet;
use crate::matcher::args::Grammar;
use crate::matcher::fast_hash::FastSet;
use crate::matcher::pattern::LazyRegex;
use crate::matcher::rule::{self, Rule, Source};
use crate::rules::builtin;
use crate::rules::model::{RuleFile, RuleSpec};

/// Builds the rule set from the built-in packs that cover `programs` (all packs when
/// `None`) and the layers.
pub fn build(layers: &[Layer], programs: Option<&[String]>) -> Result<(RuleSet, Warnings), Error> {
    build_with(layers, programs, None, true)
}

/// [`build`] for one check, whose commands' words are `text` (lowercased, one to a
/// line): a built-in rule that needs a first word that is none of them is not even
/// parsed. (With layers that have rules of their own, every rule is kept: their examples
/// run against the set.)
pub fn build_for(
    layers: &[Layer],
    programs: Option<&[String]>,
    text: &str,
) -> Result<(RuleSet, Warnings), Error> {
    let mut words: Vec<&str> = text.lines().collect();
    words.sort_unstable();
    words.dedup();
    let words = layers
        .iter()
        .all(|l| l.file.rules.is_empty())
        .then_some(&words[..]);
    build_with(layers, programs, words, true)
}

/// [`build`], optionally without running the layers' examples (`guard rules test` runs
/// them itself, to report every failure rather than the first).
pub fn build_with(
    layers: &[Layer],
    programs: Option<&[String]>,
    words: Option<&[&str]>,
    run_examples: bool,
) -> Result<(RuleSet, Warnings), Error> {
    let mut wanted: Option<Vec<String>> = programs.map(<[String]>::to_vec);
    if let Some(w) = wanted.as_mut() {
        // Layer rules about built-in tools need those tools' grammars (for their examples).
        w.extend(
            layers
                .iter()
                .flat_map(|l| l.file.rules.iter().flat_map(|r| r.tools.iter().cloned())),
        );
    }
    let mut set = RuleSet::default();
    set.generic = crate::matcher::generic::Generic::builtin();
    set.tuning.production_words = ["prod", "production", "live", "prd"]
        .map(String::from)
        .to_vec();
    for pack in builtin::packs_for(wanted.as_deref()) {
        let path = format!("rules/{}.toml", pack.name);
        // `rules test` (run_examples off: it runs every example itself) needs them.
        let (text, words) = if run_examples {
            (pack.runtime, words)
        } else {
            (pack.source, None)
        };
        let file = if run_examples {
            parse_builtin(&path, text, words)?
        } else {
            parse_file(&path, text)?
        };
        add_file(
            &mut set,
            Given::Owned(Box::new(file)),
            &Source::Builtin(pack.name.to_string()),
            &path,
            pack.source,
            false,
        )?;
    }
    for layer in layers {
        add_file(
            &mut set,
            Given::Borrowed(&layer.file),
            &Source::File(layer.path.clone()),
            &layer.path,
            &layer.text,
            true,
        )?;
    }
    let warnings = apply_tuning(&mut set, layers)?;
    for layer in layers.iter().filter(|_| run_examples) {
        let failures = examples::failures(
            &set,
            |src| *src == Source::File(layer.path.clone()),
            &|_| Some(layer.text.as_str()),
        );
        if let Some(f) = failures.into_iter().next() {
            return Err(f.into_error());
        }
    }
    Ok((set, warnings))
}

/// A rule file handed to `add_file`: a built-in pack is given over, so its rules move
/// into the set instead of being copied; a config layer's stays with the layer.
enum Given<'a> {
    Owned(Box<RuleFile>),
    Borrowed(&'a RuleFile),
}

impl Given<'_> {
    fn file(&self) -> &RuleFile {
        match self {
            Given::Owned(f) => f,
            Given::Borrowed(f) => f,
        }
    }

    fn into_rules(self) -> Vec<RuleSpec> {
        match self {
            Given::Owned(f) => f.rules,
            Given::Borrowed(f) => f.rules.clone(),
        }
    }
}

/// Adds a file's grammars and rules.
fn add_file(
    set: &mut RuleSet,
    given: Given<'_>,
    source: &Source,
    path: &str,
    text: &str,
    validate: bool,
) -> Result<(), Error> {
    let file = given.file();
    for (name, spec) in &file.tools {
        // A layer may teach new tools, never redefine one guard knows: an alias
        // `terraform` on a tool of its own would take every built-in terraform rule away.
        let taken = std::iter::once(name)
            .chain(&spec.aliases)
            .find(|n| builtin::is_builtin_program(n) || set.knows_tool(n));
        if let (true, Some(n)) = (validate, taken) {
            return Err(Error::Config {
                path: path.to_string(),
                message: format!(
                    "[tools.{name}]: `{n}` is already a known tool (a built-in pack or an earlier layer describes it); add rules with `tools = [\"{n}\"]` instead"
                ),
            });
        }
        set.add_grammar(Grammar::new(name, spec), &spec.aliases);
    }
    for spec in given.into_rules() {
        if validate {
            validate_rule(set, &spec, path, text)?;
        }
        let offset = spec.id.span().start;
        let rule = Rule::new(spec, source.clone()).map_err(|m| Error::at(path, text, offset, m))?;
        set.add_rule(rule);
    }
    Ok(())
}

/// Checks what serde cannot: non-empty fields, unique ids, regexes that compile.
fn validate_rule(set: &RuleSet, spec: &RuleSpec, path: &str, text: &str) -> Result<(), Error> {
    let id = spec.id.get_ref();
    let at = |offset: usize, msg: String| Error::at(path, text, offset, msg);
    let id_ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !id_ok {
        return Err(at(
            spec.id.span().start,
            format!("rule id `{id}`: use letters, digits, `-`, `_` and `.`"),
        ));
    }
    if set.rule(id).is_some() || builtin::builtin_severity(id).is_some() {
        return Err(at(
            spec.id.span().start,
            format!("rule id `{id}` is already defined"),
        ));
    }
    if spec.tools.is_empty() {
        return Err(at(
            spec.id.span().start,
            format!("rule `{id}`: `tools` must name at least one program"),
        ));
    }
    let mut regexes: Vec<&crate::rules::spanned::Spanned<String>> =
        spec.env.iter().map(|e| &e.regex).collect();
    for t in spec.args.iter() {
        regexes.extend(t.regex.iter().chain(t.not_regex.iter()));
    }
    for ov in &spec.option_values {
        regexes.extend(ov.regex.iter().chain(ov.not_regex.iter()));
    }
    for re in regexes {
        LazyRegex::compile(re.get_ref())
            .map_err(|m| at(re.span().start, format!("bad regex: {m}")))?;
    }
    for t in &spec.target {
        rule::check_target(t).map_err(|m| at(spec.id.span().start, format!("rule `{id}`: {m}")))?;
    }
    Ok(())
}

/// Applies protected environments, severity changes and disabled rules, layer by layer.
fn apply_tuning(set: &mut RuleSet, layers: &[Layer]) -> Result<Warnings, Error> {
    let mut warnings = Vec::new();
    let locked = super::layers::locked(layers);
    let mut disabled = FastSet::default();
    for layer in layers {
        if layer.file.lock && layer.kind != LayerKind::System {
            let msg = "`lock` is only honoured in the system config; ignored".to_string();
            warnings.push(format!("{}: {msg}", layer.path));
        }
        let may_weaken = match layer.kind {
            LayerKind::System => true,
            LayerKind::User => !locked,
            LayerKind::Project | LayerKind::Explicit => false,
        };
        let why_not = || match layer.kind {
            LayerKind::User => "the system config is locked",
            _ => "only the user and system configs may weaken rules",
        };
        for p in &layer.file.protected_environments {
            set.tuning.protected.push(p.get_ref().clone());
        }
        if let Some(g) = &layer.file.generic {
            // More verbs and objects make guard stricter; exceptions weaken it.
            if !may_weaken && (!g.not_programs.is_empty() || !g.exceptions.is_empty()) {
                warnings.push(format!(
                    "{}: [generic] not_programs and exceptions ignored: {}",
                    layer.path,
                    why_not()
                ));
            }
            set.generic.extend(g, may_weaken);
        }
        if let Some(words) = &layer.file.production_words {
            if may_weaken {
                set.tuning.production_words = words.clone();
            } else {
                for w in words {
                    if !set.tuning.production_words.contains(w) {
                        set.tuning.production_words.push(w.clone());
                    }
                }
            }
        }
        for (id, sev) in &layer.file.severity {
            let Some(current) = current_severity(set, id) else {
                return Err(Error::at(
                    &layer.path,
                    &layer.text,
                    sev.span().start,
                    format!("[severity]: no rule `{id}`"),
                ));
            };
            let wanted = *sev.get_ref();
            if wanted < current && !may_weaken {
                let (line, _) = crate::error::line_col(&layer.text, sev.span().start);
                warnings.push(format!(
                    "{}:{line}: cannot lower `{id}` from {current} to {wanted}: {}; ignored",
                    layer.path,
                    why_not()
                ));
                continue;
            }
            set.tuning.severity.insert(id.clone(), wanted);
        }
        for id in &layer.file.disable {
            if current_severity(set, id.get_ref()).is_none() {
                return Err(Error::at(
                    &layer.path,
                    &layer.text,
                    id.span().start,
                    format!("disable: no rule `{}`", id.get_ref()),
                ));
            }
            if may_weaken {
                disabled.insert(id.get_ref().clone());
            } else {
                let (line, _) = crate::error::line_col(&layer.text, id.span().start);
                warnings.push(format!(
                    "{}:{line}: cannot disable `{}`: {}; ignored",
                    layer.path,
                    id.get_ref(),
                    why_not()
                ));
            }
        }
    }
    set.tuning.disabled = disabled;
    Ok(warnings)
}

fn current_severity(set: &RuleSet, id: &str) -> Option<Decision> {
    if let Some(s) = set.tuning.severity.get(id) {
        return Some(*s);
    }
    set.rule(id)
        .map(|r| r.severity)
        .or_else(|| builtin::builtin_severity(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every built-in rule is complete and its regexes compile — so the lazy compilation
    /// at match time never meets a bad one.
    #[test]
    fn builtin_packs_are_valid() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for pack in builtin::PACKS {
            let path = format!("rules/{}.toml", pack.name);
            let file = parse_file(&path, pack.source).unwrap_or_else(|e| panic!("{e}"));
            for spec in &file.rules {
                let id = spec.id.get_ref();
                if let Some(other) = seen.insert(id.clone(), pack.name) {
                    panic!("{path}: rule id `{id}` also in rules/{other}.toml");
                }
                assert!(
                    id.starts_with(&format!("{}.", pack.name)),
                    "{path}: `{id}` must start with `{}.`",
                    pack.name
                );
                assert!(
                    !spec.reason.trim().is_empty(),
                    "{path}: `{id}` has no reason"
                );
                assert!(
                    !spec.matches.is_empty(),
                    "{path}: `{id}` has no match example"
                );
                assert!(
                    !spec.not_match.is_empty(),
                    "{path}: `{id}` has no not_match example"
                );
                let empty = RuleSet::default();
                let mut copy = spec.clone();
                copy.id =
                    crate::rules::spanned::Spanned::new(spec.id.span(), format!("{id}.__check"));
                validate_rule(&empty, &copy, &path, pack.source).unwrap_or_else(|e| panic!("{e}"));
                for tool in &spec.tools {
                    assert!(
                        pack.programs.contains(tool),
                        "{path}: `{id}` tool `{tool}` not indexed"
                    );
                }
            }
        }
    }

    #[test]
    fn loading_for_one_program_parses_only_its_packs() {
        // The general reading (`rules/generic.toml`) applies to every program.
        let general = |id: &str| id.starts_with("generic.");
        let (set, _) = build(&[], Some(&["terraform".to_string()])).unwrap();
        assert!(
            set.rules()
                .iter()
                .all(|r| r.id.starts_with("terraform.") || general(&r.id))
        );
        assert!(set.rule("terraform.destroy").is_some());
        let (set, _) = build(&[], Some(&["ls".to_string()])).unwrap();
        assert!(set.rules().iter().all(|r| general(&r.id)));
    }

    #[test]
    fn loading_for_one_command_parses_only_the_rules_its_words_can_start() {
        let words = |c: &str| crate::analysis::words(&crate::shell::parse(c).unwrap());
        let ids = |c: &str| -> Vec<String> {
            let script = crate::shell::parse(c).unwrap();
            let programs = crate::analysis::programs(&script);
            let (set, _) = build_for(&[], programs.as_deref(), &words(c)).unwrap();
            set.rules().iter().map(|r| r.id.clone()).collect()
        };
        let status = ids("git -C repo status --short");
        assert!(!status.iter().any(|id| id == "git.push-force"));
        assert!(
            ids("git push --force origin main")
                .iter()
                .any(|id| id == "git.push-force")
        );
        // A word anywhere in the text keeps the rule (an alias, a nested string).
        assert!(
            ids("git -c alias.p='push --force' p")
                .iter()
                .any(|id| id == "git.push-force")
        );
        // A layer with rules of its own keeps every rule, for its examples.
        let layer: Layer = Layer {
            kind: LayerKind::User,
            path: "u.toml".into(),
            text: String::new(),
            file: parse_file(
                "u.toml",
                "[[rules]]\nid = \"u.x\"\ntools = [\"git\"]\ncommand = \"frob\"\nseverity = \"confirm\"\nreason = \"r\"\n",
            )
            .unwrap(),
        };
        let (set, _) = build_for(
            std::slice::from_ref(&layer),
            Some(&["git".into()]),
            "status",
        )
        .unwrap();
        assert!(set.rule("git.push-force").is_some());
    }

    /// Every pack example and every command of the evaluation sets.
    fn every_known_command() -> Vec<String> {
        let mut commands: Vec<String> = Vec::new();
        for pack in builtin::PACKS {
            let file = parse_file(pack.name, pack.source).unwrap();
            for spec in file.rules {
                commands.extend(
                    spec.matches
                        .iter()
                        .chain(&spec.not_match)
                        .map(|e| e.get_ref().clone()),
                );
            }
        }
        let eval = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval");
        for dir in ["", "second", "third", "fourth", "fifth"] {
            // The command is the fourth column of a destructive row, the second of an
            // ordinary one.
            for (name, column) in [("destructive.tsv", 3), ("ordinary.tsv", 1)] {
                let text = std::fs::read_to_string(eval.join(dir).join(name)).unwrap();
                commands.extend(
                    text.lines()
                        .skip(1)
                        .filter(|l| !l.starts_with('#'))
                        .filter_map(|l| l.split('\t').nth(column))
                        .map(String::from),
                );
            }
        }
        commands
    }

    /// What leaving rules unparsed relies on: a rule that matches a command always has
    /// one of its first words in the command's text. Checked on every pack example and
    /// every command of the evaluation sets, against the whole set.
    #[test]
    fn a_rule_left_unparsed_for_a_command_could_never_have_matched_it() {
        let mut keys: HashMap<String, Vec<String>> = HashMap::new();
        for pack in builtin::PACKS {
            for line in pack.runtime.lines().skip(1) {
                let (k, json) = line.split_once('\t').unwrap();
                let v: serde_json::Value = serde_json::from_str(json).unwrap();
                let id = v["id"].as_str().unwrap().to_string();
                keys.insert(
                    id,
                    k.split(' ')
                        .filter(|k| !k.is_empty())
                        .map(String::from)
                        .collect(),
                );
            }
        }
        let commands = every_known_command();
        assert!(commands.len() > 15_000, "{}", commands.len());
        let (set, _) = build(&[], None).unwrap();
        let mut kept = 0;
        for c in &commands {
            let Ok(script) = crate::shell::parse(c) else {
                continue;
            };
            let words = crate::analysis::words(&script);
            for f in crate::analysis::findings(&script, &set, &|_| None) {
                let Some(k) = keys.get(&f.rule) else { continue };
                assert!(
                    k.is_empty() || k.iter().any(|k| words.lines().any(|w| w == k)),
                    "`{c}`: {} matched, but needs one of {k:?} in {words:?}",
                    f.rule
                );
                kept += 1;
            }
        }
        assert!(kept > 5_000, "{kept}");
    }

    /// A check that loads only its programs' packs, and of them only the rules its words
    /// can start, finds what one with every rule finds: on a sample of every known
    /// command (one in five: a build per command; all of them pass).
    #[test]
    fn loading_for_one_command_finds_what_every_rule_finds() {
        let (all, _) = build(&[], None).unwrap();
        let ids = |set: &RuleSet, script: &crate::shell::Script| {
            let mut v: Vec<(String, Decision)> = crate::analysis::findings(script, set, &|_| None)
                .into_iter()
                .map(|f| (f.rule, f.severity))
                .collect();
            v.sort();
            v
        };
        let mut compared = 0;
        for c in every_known_command().iter().step_by(5) {
            let Ok(script) = crate::shell::parse(c) else {
                continue;
            };
            let programs = crate::analysis::programs(&script);
            let words = crate::analysis::words(&script);
            let (some, _) = build_for(&[], programs.as_deref(), &words).unwrap();
            assert_eq!(ids(&some, &script), ids(&all, &script), "`{c}`");
            compared += 1;
        }
        assert!(compared > 3_000, "{compared}");
    }
}
