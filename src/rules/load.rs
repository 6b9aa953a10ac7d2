//! Finding, reading and merging the config layers into one [`RuleSet`].
//!
//! Layers, in order: the built-in packs; `/etc/guard/config.toml` (system);
//! `$XDG_CONFIG_HOME/guard/config.toml` (user); the nearest `.guard.toml` walking up from
//! the working directory (project); `--config FILE` or `GUARD_CONFIG` (explicit).
//! Every layer may add tools, rules and protected environments and raise severities. Only
//! the system and user layers may lower a severity or disable a rule — a project file can
//! be written by anyone who can write the repository, an agent included, and an explicit
//! file can be named by whoever runs guard. A system file with `lock = true` takes that
//! power from the user layer too. A weakening that is not allowed is reported, not obeyed.
//! Any file that does not parse or validate is an error: nothing runs.

use super::builtin::{self, PACKS};
use super::examples;
use super::model::{RuleFile, RuleSpec};
use crate::decision::Decision;
use crate::error::Error;
use crate::matcher::RuleSet;
use crate::matcher::args::Grammar;
use crate::matcher::pattern::LazyRegex;
use crate::matcher::rule::{self, Rule, Source};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Which layer a file is, which decides what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    System,
    User,
    Project,
    Explicit,
}

impl LayerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::System => "system",
            LayerKind::User => "user",
            LayerKind::Project => "project",
            LayerKind::Explicit => "explicit",
        }
    }
}

/// One config file, read and parsed.
#[derive(Debug)]
pub struct Layer {
    pub kind: LayerKind,
    pub path: String,
    pub text: String,
    pub file: RuleFile,
}

/// Where to look for the layers.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub system: Option<PathBuf>,
    pub user: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub explicit: Option<PathBuf>,
}

impl LoadOptions {
    /// The standard locations. `GUARD_SYSTEM_CONFIG` moves the system file, in debug
    /// builds only, so tests can exercise it without touching `/etc`.
    pub fn standard(explicit: Option<PathBuf>) -> Self {
        let system = match std::env::var_os("GUARD_SYSTEM_CONFIG") {
            Some(p) if cfg!(debug_assertions) => PathBuf::from(p),
            _ => PathBuf::from("/etc/guard/config.toml"),
        };
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        LoadOptions {
            system: Some(system),
            user: config_home.map(|d| d.join("guard").join("config.toml")),
            cwd: std::env::current_dir().ok(),
            explicit: explicit.or_else(|| {
                std::env::var_os("GUARD_CONFIG")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            }),
        }
    }
}

/// Reads every layer that exists. A named explicit file must exist.
pub fn read_layers(opts: &LoadOptions) -> Result<Vec<Layer>, Error> {
    let mut layers = Vec::new();
    let optional = [
        (LayerKind::System, opts.system.clone()),
        (LayerKind::User, opts.user.clone()),
    ];
    for (kind, path) in optional {
        if let Some(p) = path.filter(|p| p.exists()) {
            layers.push(read_layer(kind, &p)?);
        }
    }
    if let Some(p) = opts.cwd.as_deref().and_then(find_project_file) {
        layers.push(read_layer(LayerKind::Project, &p)?);
    }
    if let Some(p) = &opts.explicit {
        layers.push(read_layer(LayerKind::Explicit, p)?);
    }
    Ok(layers)
}

/// The nearest `.guard.toml` in `dir` or above it.
pub fn find_project_file(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(".guard.toml"))
        .find(|p| p.is_file())
}

/// Reads and parses one file as a layer.
pub fn read_layer(kind: LayerKind, path: &Path) -> Result<Layer, Error> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
        path: shown.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let file = parse_file(&shown, &text)?;
    Ok(Layer {
        kind,
        path: shown,
        text,
        file,
    })
}

/// Parses a rule or config file; syntax errors and unknown keys point at line and column.
pub fn parse_file(path: &str, text: &str) -> Result<RuleFile, Error> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => Error::at(path, text, span.start, message),
            None => Error::Config {
                path: path.to_string(),
                message,
            },
        }
    })
}

/// What building the rule set had to say that is not an error.
pub type Warnings = Vec<String>;

/// Builds the rule set from the built-in packs that cover `programs` (all packs when
/// `None`) and the layers.
pub fn build(layers: &[Layer], programs: Option<&[String]>) -> Result<(RuleSet, Warnings), Error> {
    build_with(layers, programs, true)
}

/// [`build`], optionally without running the layers' examples (`guard rules test` runs
/// them itself, to report every failure rather than the first).
pub fn build_with(
    layers: &[Layer],
    programs: Option<&[String]>,
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
    for pack in builtin::packs_for(wanted.as_deref()) {
        let path = format!("rules/{}.toml", pack.name);
        let file = parse_file(&path, pack.source)?;
        add_file(
            &mut set,
            &file,
            &Source::Builtin(pack.name.to_string()),
            &path,
            pack.source,
            false,
        )?;
    }
    for layer in layers {
        add_file(
            &mut set,
            &layer.file,
            &Source::File(layer.path.clone()),
            &layer.path,
            &layer.text,
            true,
        )?;
    }
    let warnings = apply_settings(&mut set, layers)?;
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

fn add_file(
    set: &mut RuleSet,
    file: &RuleFile,
    source: &Source,
    path: &str,
    text: &str,
    validate: bool,
) -> Result<(), Error> {
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
    for spec in &file.rules {
        if validate {
            validate_rule(set, spec, path, text)?;
        }
        let offset = spec.id.span().start;
        let rule = Rule::new(spec.clone(), source.clone())
            .map_err(|m| Error::at(path, text, offset, m))?;
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
    let mut regexes: Vec<&toml::Spanned<String>> = spec.env.iter().map(|e| &e.regex).collect();
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
fn apply_settings(set: &mut RuleSet, layers: &[Layer]) -> Result<Warnings, Error> {
    let mut warnings = Vec::new();
    let locked = layers
        .iter()
        .any(|l| l.kind == LayerKind::System && l.file.lock);
    let mut disabled = HashSet::new();
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
            set.settings.protected.push(p.get_ref().clone());
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
            set.settings.severity.insert(id.clone(), wanted);
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
    set.settings.disabled = disabled;
    super::sections::apply(set, layers, locked, &mut warnings)?;
    Ok(warnings)
}

fn current_severity(set: &RuleSet, id: &str) -> Option<Decision> {
    if let Some(s) = set.settings.severity.get(id) {
        return Some(*s);
    }
    set.rule(id)
        .map(|r| r.severity)
        .or_else(|| builtin::builtin_severity(id))
}

/// Every program some loaded or built-in rule applies to.
pub fn builtin_programs() -> Vec<&'static str> {
    let mut v: Vec<&str> = PACKS
        .iter()
        .flat_map(|p| p.programs.iter().copied())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
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
        for pack in PACKS {
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
                copy.id = toml::Spanned::new(spec.id.span(), format!("{id}.__check"));
                validate_rule(&empty, &copy, &path, pack.source).unwrap_or_else(|e| panic!("{e}"));
                for tool in &spec.tools {
                    assert!(
                        pack.programs.contains(&tool.as_str()),
                        "{path}: `{id}` tool `{tool}` not indexed"
                    );
                }
            }
        }
    }

    #[test]
    fn loading_for_one_program_parses_only_its_packs() {
        let (set, _) = build(&[], Some(&["terraform".to_string()])).unwrap();
        assert!(set.rules().iter().all(|r| r.id.starts_with("terraform.")));
        assert!(set.rule("terraform.destroy").is_some());
        let (set, _) = build(&[], Some(&["ls".to_string()])).unwrap();
        assert!(set.rules().is_empty());
    }
}
