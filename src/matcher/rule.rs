//! A rule ready to match: its conditions turned into patterns, evaluated against a command
//! line already read with the tool's grammar.

use super::args::{Grammar, ParsedArgs};
use super::pattern::{Alternatives, LazyRegex, TextMatcher};
use crate::decision::Decision;
use crate::rules::model::{RuleSpec, TextSpec};

/// Where a rule was defined, for `rules show` and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A built-in pack, by name.
    Builtin(String),
    /// A config or rule file.
    File(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Builtin(name) => write!(f, "built-in pack `{name}`"),
            Source::File(path) => f.write_str(path),
        }
    }
}

#[derive(Debug)]
enum Target {
    Arg(usize),
    Option(Alternatives),
    Env(String),
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub tools: Vec<String>,
    pub severity: Decision,
    pub reason: String,
    pub suggestion: Option<String>,
    pub source: Source,
    /// Ids of rules whose findings this one replaces (see `RuleSpec::shadows`).
    pub shadows: Vec<String>,
    pub spec: RuleSpec,
    commands: Vec<Vec<Alternatives>>,
    not_commands: Vec<Vec<Alternatives>>,
    options: Vec<Alternatives>,
    any_option: Vec<Alternatives>,
    without_options: Vec<Alternatives>,
    option_values: Vec<(Alternatives, TextMatcher)>,
    args: Option<TextMatcher>,
    env: Vec<(Alternatives, LazyRegex)>,
    target: Vec<Target>,
}

/// What a successful match found out.
#[derive(Debug, Default)]
pub struct Hit {
    /// The name of what the command acts on, where the rule can tell.
    pub target: Option<String>,
    /// The environment variable that supplied a matched option (`TF_CLI_ARGS`).
    pub via_env: Option<String>,
}

/// Whether a rule's `target` entry is well formed; the message says what is wrong.
pub fn check_target(spec: &str) -> Result<(), String> {
    parse_target(spec).map(|_| ())
}

fn parse_target(spec: &str) -> Result<Target, String> {
    match spec.split_once(':') {
        Some(("arg", n)) => match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Target::Arg(n - 1)),
            _ => Err(format!("target `{spec}`: `arg:N` needs N >= 1")),
        },
        Some(("option", names)) if !names.is_empty() => {
            Ok(Target::Option(Alternatives::new(names)))
        }
        Some(("env", var)) if !var.is_empty() => Ok(Target::Env(var.to_string())),
        _ => Err(format!(
            "target `{spec}`: expected `arg:N`, `option:NAME` or `env:VAR`"
        )),
    }
}

fn text(spec: &TextSpec) -> TextMatcher {
    TextMatcher {
        globs: spec.glob.clone(),
        regex: spec.regex.as_ref().map(|r| LazyRegex::new(r.get_ref())),
        not_regex: spec.not_regex.as_ref().map(|r| LazyRegex::new(r.get_ref())),
    }
}

impl Rule {
    /// Compiles a rule; regexes are checked by the loader, not here.
    pub fn new(spec: RuleSpec, source: Source) -> Result<Rule, String> {
        let alts = |v: &[String]| v.iter().map(|s| Alternatives::new(s)).collect::<Vec<_>>();
        let paths = |o: &crate::rules::model::OneOrMany| -> Vec<Vec<Alternatives>> {
            o.to_vec()
                .iter()
                .map(|path| path.split_whitespace().map(Alternatives::new).collect())
                .collect()
        };
        let commands = paths(&spec.command);
        let not_commands = paths(&spec.not_command);
        let target = spec
            .target
            .iter()
            .map(|t| parse_target(t))
            .collect::<Result<_, _>>()?;
        Ok(Rule {
            id: spec.id.get_ref().clone(),
            tools: spec.tools.clone(),
            severity: *spec.severity.get_ref(),
            reason: spec.reason.clone(),
            suggestion: spec.suggestion.clone(),
            source,
            shadows: spec.shadows.clone(),
            commands,
            not_commands,
            options: alts(&spec.options),
            any_option: alts(&spec.any_option),
            without_options: alts(&spec.without_options),
            option_values: spec
                .option_values
                .iter()
                .map(|ov| {
                    let t = TextSpec {
                        glob: ov.glob.clone(),
                        regex: ov.regex.clone(),
                        not_regex: ov.not_regex.clone(),
                    };
                    (Alternatives::new(&ov.option), text(&t))
                })
                .collect(),
            args: spec.args.as_ref().map(text),
            env: spec
                .env
                .iter()
                .map(|e| (Alternatives::new(&e.var), LazyRegex::new(e.regex.get_ref())))
                .collect(),
            target,
            spec,
        })
    }

    /// The words, lowercase, one of which a command's first operand must be for the rule
    /// to match; `None` when a path can start with any word (none given, or a glob).
    pub fn first_words(&self) -> Option<Vec<String>> {
        if self.commands.is_empty() {
            return None;
        }
        let mut words = Vec::new();
        for path in &self.commands {
            for alt in path.first()?.iter() {
                if alt.contains(['*', '?']) {
                    return None;
                }
                words.push(alt.to_lowercase());
            }
        }
        Some(words)
    }

    /// Matches a command read with `grammar`; `env` looks variables up.
    pub fn matches(
        &self,
        grammar: &Grammar,
        parsed: &ParsedArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Hit> {
        let lowered: Vec<String>;
        let words = if grammar.case_insensitive_commands {
            lowered = parsed
                .positionals
                .iter()
                .map(|w| w.to_lowercase())
                .collect();
            &lowered
        } else {
            &parsed.positionals
        };
        let depth = path_depth(&self.commands, words)?;
        if !self.not_commands.is_empty() && path_depth(&self.not_commands, words).is_some() {
            return None;
        }
        let mut hit = Hit::default();
        let mut used = |alts: &Alternatives| -> bool {
            let found = parsed.options.iter().find(|o| present(grammar, alts, o));
            if let Some(o) = found {
                if hit.via_env.is_none() {
                    hit.via_env.clone_from(&o.from_env);
                }
            }
            found.is_some()
        };
        if !self.options.iter().all(&mut used) {
            return None;
        }
        if !self.any_option.is_empty() && !self.any_option.iter().any(&mut used) {
            return None;
        }
        let has = |alts: &Alternatives| parsed.options.iter().any(|o| present(grammar, alts, o));
        if self.without_options.iter().any(has) {
            return None;
        }
        for (alts, cond) in &self.option_values {
            let ok = parsed.options.iter().any(|o| {
                option_is(grammar, alts, &o.name)
                    // A bare `--flag` is tested as the empty string, so a
                    // `not_regex = "^false$"` condition holds for it.
                    && cond.matches(o.value.as_deref().unwrap_or(""))
            });
            if !ok {
                return None;
            }
        }
        let operands = &parsed.positionals[depth..];
        if let Some(cond) = &self.args {
            if !operands.iter().any(|a| cond.matches(a)) {
                return None;
            }
        }
        for (vars, re) in &self.env {
            let ok = vars
                .iter()
                .any(|v| env(v).is_some_and(|val| re.is_match(&val)));
            if !ok {
                return None;
            }
        }
        hit.target = self.target(grammar, parsed, operands, env);
        Some(hit)
    }

    fn target(
        &self,
        grammar: &Grammar,
        parsed: &ParsedArgs,
        operands: &[String],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        self.target.iter().find_map(|t| match t {
            Target::Arg(n) => operands.get(*n).cloned(),
            Target::Option(alts) => parsed
                .options
                .iter()
                .find(|o| option_is(grammar, alts, &o.name))
                .and_then(|o| o.value.clone()),
            Target::Env(var) => env(var),
        })
    }
}

/// How many positionals the first matching path takes; `Some(0)` when there are no paths.
fn path_depth(paths: &[Vec<Alternatives>], positionals: &[String]) -> Option<usize> {
    if paths.is_empty() {
        return Some(0);
    }
    paths.iter().find_map(|path| {
        let ok = path.len() <= positionals.len()
            && path.iter().zip(positionals).all(|(p, w)| p.matches(w));
        ok.then_some(path.len())
    })
}

/// Whether an option is present: named, and not a flag switched off with
/// `=false` (`--prune=false`, `-purge=0`, `--dry-run=none`), which tools read as absent.
fn present(grammar: &Grammar, alts: &Alternatives, o: &super::args::Opt) -> bool {
    let switched_off = || {
        !grammar.takes_value(&o.name)
            && o.value.as_deref().is_some_and(|v| {
                ["false", "0", "no", "off", "none"]
                    .iter()
                    .any(|f| v.eq_ignore_ascii_case(f))
            })
    };
    option_is(grammar, alts, &o.name) && !switched_off()
}

/// Whether an option name as read matches one of a rule's spellings.
fn option_is(grammar: &Grammar, alts: &Alternatives, name: &str) -> bool {
    alts.iter().any(|a| grammar.same_option(a, name))
}
