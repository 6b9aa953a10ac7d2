//! Compiled rules, indexed by program: a check reads the command with its tool's grammar
//! once, then tries only the rules for that program. Pure: no I/O, no process state.

pub mod args;
pub mod fast_hash;
pub mod generic;
pub mod pattern;
pub mod rule;

use crate::decision::Decision;
use crate::finding::Finding;
use crate::glob::glob_match;
use crate::shell::Command;
use args::{Grammar, ParsedArgs, split_env_words};
use fast_hash::{FastMap, FastSet};
use rule::Rule;
use std::sync::Arc;

/// How config layers tune the rules, already resolved for layer trust.
#[derive(Debug, Default, Clone)]
pub struct Tuning {
    /// Glob patterns of protected environment names.
    pub protected: Vec<String>,
    /// Words that make a name mean production, compared with each word of an
    /// environment's name (`acme-prod`, `Production`, `rg_prd_web`).
    pub production_words: Vec<String>,
    /// Effective severity by rule id, where a layer changed it.
    pub severity: FastMap<String, Decision>,
    /// Rule ids switched off.
    pub disabled: FastSet<String>,
}

/// Options that select an environment in nearly every tool that has them.
const SELECTOR_OPTIONS: &[&str] = &[
    "env",
    "environment",
    "stage",
    "profile",
    "context",
    "project",
    "workspace",
    "stack",
    "subscription",
    "namespace",
    "cluster",
    "account",
];

/// A tool's rules by the first word of their paths, and those a path of which can start
/// with any word; rule indices in load order.
#[derive(Debug, Default)]
struct FirstIndex {
    words: FastMap<String, Vec<usize>>,
    any: Vec<usize>,
}

impl FirstIndex {
    /// The rules, in load order, that a command whose readings start with these first
    /// operands could match.
    fn candidates<'a>(&self, firsts: impl Iterator<Item = &'a str>) -> Vec<usize> {
        let mut out = self.any.clone();
        for first in firsts {
            let hit = if first.bytes().any(|b| b.is_ascii_uppercase()) || !first.is_ascii() {
                self.words.get(&first.to_lowercase())
            } else {
                self.words.get(first)
            };
            out.extend(hit.into_iter().flatten());
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Every loaded rule, indexed by tool.
#[derive(Debug, Default)]
pub struct RuleSet {
    grammars: FastMap<String, Arc<Grammar>>,
    rules: Vec<Rule>,
    by_tool: FastMap<String, Vec<usize>>,
    /// Each tool's rules again, by the first word of their subcommand paths: a command
    /// is tried only against the rules its first operand can start (`git add` against
    /// none of git's rules about push or reset).
    by_first: FastMap<String, FirstIndex>,
    pub tuning: Tuning,
    /// The words of the general reading, for programs no pack describes.
    pub generic: generic::Generic,
}

impl RuleSet {
    /// Teaches the set a tool's grammar, under its name and aliases.
    pub fn add_grammar(&mut self, grammar: Grammar, aliases: &[String]) {
        let g = Arc::new(grammar);
        for alias in aliases {
            self.grammars.insert(alias.clone(), Arc::clone(&g));
        }
        self.grammars.insert(g.name.clone(), g);
    }

    /// Every program the set knows: by a grammar or by a rule.
    pub fn programs(&self) -> impl Iterator<Item = &str> {
        self.grammars
            .keys()
            .chain(self.by_tool.keys())
            .map(String::as_str)
    }

    /// The grammar for a program name, when one is known.
    pub fn grammar(&self, program: &str) -> Option<Arc<Grammar>> {
        self.grammars.get(program).cloned()
    }

    /// Whether a grammar is known under this program name.
    pub fn knows_tool(&self, program: &str) -> bool {
        self.grammars.contains_key(program)
    }

    /// Adds a compiled rule. Call after the grammars its tools need are added.
    pub fn add_rule(&mut self, rule: Rule) {
        let idx = self.rules.len();
        let mut keys: Vec<String> = rule
            .tools
            .iter()
            .map(|t| self.canonical(t).to_string())
            .collect();
        keys.sort();
        keys.dedup();
        let first = rule.first_words();
        for key in keys {
            self.by_tool.entry(key.clone()).or_default().push(idx);
            let index = self.by_first.entry(key).or_default();
            match &first {
                Some(words) => {
                    for w in words {
                        let list = index.words.entry(w.clone()).or_default();
                        if list.last() != Some(&idx) {
                            list.push(idx);
                        }
                    }
                }
                None => index.any.push(idx),
            }
        }
        self.rules.push(rule);
    }

    /// The literal words of the subcommand paths of `program`'s rules (`delete`,
    /// `destroy`, `rb`): what a word only known when the shell runs could be.
    pub fn command_words(&self, program: &str) -> Vec<String> {
        let Some(indices) = self.by_tool.get(self.canonical(program)) else {
            return Vec::new();
        };
        let mut words: Vec<String> = indices
            .iter()
            .flat_map(|&i| self.rules[i].spec.command.to_vec())
            .flat_map(|path| {
                path.split_whitespace()
                    .flat_map(|w| w.split('|').map(str::to_string).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            })
            .filter(|w| !w.is_empty() && !w.contains(['*', '?', '[']))
            .collect();
        words.sort();
        words.dedup();
        words
    }

    /// The tools (canonical program names) that have rules.
    pub fn tools(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.by_tool.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    fn canonical<'a>(&'a self, program: &'a str) -> &'a str {
        self.grammars
            .get(program)
            .map_or(program, |g| g.name.as_str())
    }

    /// The effective severity of a rule, before protected environments.
    pub fn severity_of(&self, rule: &Rule) -> Decision {
        self.tuning
            .severity
            .get(&rule.id)
            .copied()
            .unwrap_or(rule.severity)
    }

    /// Every finding for one command. `base_env` looks up variables the command inherits;
    /// assignments written before the command take precedence.
    pub fn check(&self, cmd: &Command, base_env: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
        let Some(program) = cmd.program() else {
            return Vec::new();
        };
        // A program no pack describes is also read the general way, even when a config
        // gave it rules of its own: a rule added never lowers a decision.
        let described = self.grammars.contains_key(program)
            || crate::rules::builtin::is_builtin_program(self.canonical(program));
        let generic = if described {
            Vec::new()
        } else {
            self.check_generic(cmd)
        };
        // `*` keys the general reading's own rules, never a program's (a command whose
        // program is a glob, `./*`, is no tool guard knows).
        let indices = match self.canonical(program) {
            "*" => None,
            tool => self.by_tool.get(tool),
        };
        let Some(indices) = indices else {
            // A described tool none of whose rules could match (or were even loaded for
            // this command: `civo instance rm`, in a pack about `civo kubernetes rm`):
            // still read the general way when its grammar says so.
            let fallback = self.grammars.get(program).filter(|g| g.generic_fallback);
            if let Some(grammar) = fallback {
                let env = |name: &str| {
                    cmd.assignment(name)
                        .map(str::to_string)
                        .or_else(|| base_env(name))
                };
                if !readings(grammar, cmd, &env).is_empty() {
                    return self.check_generic(cmd);
                }
            }
            return generic;
        };
        let grammar = self.grammar_for(program);
        let grammar = grammar.as_ref();
        let env = |name: &str| {
            cmd.assignment(name)
                .map(str::to_string)
                .or_else(|| base_env(name))
        };
        let readings = readings(grammar, cmd, &env);
        let candidates = match self.by_first.get(self.canonical(program)) {
            Some(index) => index.candidates(
                readings
                    .iter()
                    .map(|r| r.positionals.first().map_or("", String::as_str)),
            ),
            None => indices.clone(),
        };
        let mut findings = Vec::new();
        let mut matched: Vec<&Rule> = Vec::new();
        for &i in &candidates {
            let rule = &self.rules[i];
            if self.tuning.disabled.contains(&rule.id) {
                continue;
            }
            if rule.spec.stdin && !cmd.stdin_given {
                continue;
            }
            let Some((hit, parsed)) = readings
                .iter()
                .find_map(|p| rule.matches(grammar, p, &env).map(|h| (h, p)))
            else {
                continue;
            };
            let mut severity = self.severity_of(rule);
            let mut reason = rule.reason.clone();
            if rule.spec.environment_objects {
                if let Some(object) = self.generic.read_any(cmd).and_then(|r| r.object) {
                    severity = severity.max(Decision::TwoPerson);
                    reason = format!("{reason}; what it deletes is a whole {object}");
                }
            }
            let protected = self.protected_value(grammar, parsed, hit.target.as_deref(), &env);
            if protected.is_some() {
                severity = severity.raised();
            }
            matched.push(rule);
            let mut f = finding(rule, cmd, severity, reason);
            (f.target, f.protected_environment, f.via_env) = (hit.target, protected, hit.via_env);
            findings.push(f);
        }
        findings.extend(generic);
        // A cloud CLI's resource the pack does not name (`doctl nfs delete`): read the
        // general way.
        // (No reading means the command asks only for help.)
        if findings.is_empty() && grammar.generic_fallback && !readings.is_empty() {
            findings = self.check_generic(cmd);
        }
        drop_shadowed(findings, &matched)
    }

    /// The general reading's findings for a program no pack describes.
    fn check_generic(&self, cmd: &Command) -> Vec<Finding> {
        let Some(indices) = self.by_tool.get("*") else {
            return Vec::new();
        };
        let Some(reading) = self.generic.read(cmd) else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        let mut matched: Vec<&Rule> = Vec::new();
        for &i in indices {
            let rule = &self.rules[i];
            if self.tuning.disabled.contains(&rule.id) || !generic_fits(rule, &reading) {
                continue;
            }
            let mut severity = self.severity_of(rule);
            let protected = reading
                .target
                .as_deref()
                .filter(|t| self.is_protected(t))
                .map(str::to_string)
                .or_else(|| self.protected_selector(cmd));
            if protected.is_some() {
                severity = severity.raised();
            }
            matched.push(rule);
            let reason = format!(
                "{} (`{}` reads as a destructive subcommand{})",
                rule.reason,
                reading.verb,
                reading
                    .object
                    .as_deref()
                    .map_or(String::new(), |o| format!(" of a whole {o}"))
            );
            let mut f = finding(rule, cmd, severity, reason);
            (f.target, f.protected_environment) = (reading.target.clone(), protected);
            findings.push(f);
        }
        drop_shadowed(findings, &matched)
    }

    /// Whether one rule matches a command on its own — no config layers, no environment
    /// but the command's own assignments. This is what a rule's examples test.
    pub fn rule_matches(&self, rule: &Rule, cmd: &Command) -> bool {
        if rule.spec.generic.is_some() {
            return self
                .generic
                .read(cmd)
                .is_some_and(|r| generic_fits(rule, &r));
        }
        let Some(program) = cmd.program() else {
            return false;
        };
        let canon = self.canonical(program);
        if !rule.tools.iter().any(|t| self.canonical(t) == canon) {
            return false;
        }
        if rule.spec.stdin && !cmd.stdin_given {
            return false;
        }
        let grammar = self.grammar_for(program);
        let env = |name: &str| cmd.assignment(name).map(str::to_string);
        readings(&grammar, cmd, &env)
            .iter()
            .any(|p| rule.matches(&grammar, p, &env).is_some())
    }

    fn grammar_for(&self, program: &str) -> Arc<Grammar> {
        match self.grammars.get(program) {
            Some(g) => Arc::clone(g),
            None => Arc::new(Grammar::plain(program)),
        }
    }

    /// The first value that selects an environment and matches a protected pattern.
    fn protected_value(
        &self,
        grammar: &Grammar,
        parsed: &ParsedArgs,
        target: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        if self.tuning.protected.is_empty() && self.tuning.production_words.is_empty() {
            return None;
        }
        // The grammar's own selectors, and the options that select an environment in
        // nearly every tool (`--env production`, `--stage prod`, `--profile prod`).
        let from_options = parsed.options.iter().filter_map(|o| {
            let selects = grammar
                .environment_options
                .iter()
                .any(|e| grammar.same_option(e, &o.name))
                || SELECTOR_OPTIONS.contains(&o.name.trim_start_matches('-'));
            if selects { o.value.clone() } else { None }
        });
        let from_env = grammar.environment_variables.iter().filter_map(|v| env(v));
        let selectors: Vec<String> = from_options.chain(from_env).collect();
        // What selects the environment (a context, profile, project, workspace, stack)
        // means production by its name; a resource's own name does so only by pattern.
        if let Some(v) = selectors.iter().find(|v| self.means_production(v)) {
            return Some(v.clone());
        }
        selectors
            .into_iter()
            .chain(target.map(str::to_string))
            .find(|v| self.is_protected(v))
    }

    /// For a command no pack describes: the value of an option that selects an
    /// environment in nearly every tool (`--env prod`, `--stage=production`), when it is
    /// protected, as [`Self::protected_value`] reads a grammar's selectors: by a name
    /// that means production or a configured pattern.
    fn protected_selector(&self, cmd: &Command) -> Option<String> {
        let args = cmd.argv.get(1..)?;
        args.iter().enumerate().find_map(|(i, a)| {
            let option = a.strip_prefix("--")?;
            let (name, value) = match option.split_once('=') {
                Some((name, value)) => (name, value),
                None => (option, args.get(i + 1)?.as_str()),
            };
            let protected = self.means_production(value) || self.is_protected(value);
            (SELECTOR_OPTIONS.contains(&name) && protected).then(|| value.to_string())
        })
    }

    /// Whether a name means production: one of its words (split at anything but letters
    /// and digits) is a production word, whatever its case.
    pub fn means_production(&self, value: &str) -> bool {
        value.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
            self.tuning
                .production_words
                .iter()
                .any(|p| p.eq_ignore_ascii_case(w))
        })
    }

    /// Whether a value names a protected environment: the whole value or any of its
    /// `/`- or `:`-separated parts (`envs/prod`, `arn:...:cluster/prod-eu`) matches.
    pub fn is_protected(&self, value: &str) -> bool {
        self.tuning.protected.iter().any(|p| {
            glob_match(p, value) || value.split(['/', ':']).any(|part| glob_match(p, part))
        })
    }
}

/// A rule's finding on a command, at `severity` for `reason`; the caller fills in what
/// was found (target, protected environment, the variable the option came from).
fn finding(rule: &Rule, cmd: &Command, severity: Decision, reason: String) -> Finding {
    Finding {
        rule: rule.id.clone(),
        severity,
        rule_severity: rule.severity,
        reason,
        suggestion: rule.suggestion.clone(),
        command: cmd.to_string(),
        origin: cmd.origin.clone(),
        target: None,
        protected_environment: None,
        via_env: None,
        argv: cmd.argv.clone(),
    }
}

/// Whether a rule of the general reading applies to what the reading found.
fn generic_fits(rule: &Rule, reading: &generic::Reading) -> bool {
    match rule.spec.generic.as_deref() {
        Some("environment") => reading.object.is_some(),
        Some(_) => true,
        None => false,
    }
}

/// Removes the findings of general rules that a matching, at least as strict, more
/// specific rule shadows. Never lowers the decision: only an equal or stricter finding
/// can hide another.
fn drop_shadowed(findings: Vec<Finding>, matched: &[&Rule]) -> Vec<Finding> {
    if matched.iter().all(|r| r.shadows.is_empty()) {
        return findings;
    }
    let hidden = |f: &Finding| {
        matched
            .iter()
            .zip(&findings)
            .any(|(r, by)| by.severity >= f.severity && r.shadows.contains(&f.rule))
    };
    let keep: Vec<bool> = findings.iter().map(|f| !hidden(f)).collect();
    findings
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect()
}

/// The ways a command is read: its argv (with arguments from the environment), plus what
/// its standard input holds for tools that read commands there. A command that asks
/// only for help has no reading: it runs nothing.
fn readings(
    grammar: &Grammar,
    cmd: &Command,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<ParsedArgs> {
    let args = &cmd.argv[1..];
    let mut parsed = read_command(grammar, args, env);
    if grammar.wants_help(&parsed) {
        return Vec::new();
    }
    let (Some(text), Some(mode)) = (&cmd.stdin, &grammar.stdin_as) else {
        let others = grammar.other_type_names(&parsed);
        let mut all = vec![parsed];
        all.extend(others);
        return all;
    };
    match mode.as_str() {
        "lines" => {
            let mut out = vec![parsed];
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let mut words = args.to_vec();
                words.extend(split_env_words(line));
                out.push(read_command(grammar, &words, env));
            }
            out
        }
        "arg" => {
            parsed.positionals.push(text.to_string());
            vec![parsed]
        }
        option => {
            parsed.options.push(args::Opt {
                name: option.to_string(),
                value: Some(text.to_string()),
                from_env: None,
            });
            vec![parsed]
        }
    }
}

/// Reads argv with the grammar, then the extra arguments the tool takes from the
/// environment (`TF_CLI_ARGS`, `TF_CLI_ARGS_apply`).
fn read_command(
    grammar: &Grammar,
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> ParsedArgs {
    let mut parsed = grammar.parse(args);
    for pattern in &grammar.args_from_env {
        let var = if pattern.contains("{command}") {
            match parsed.positionals.first() {
                Some(sub) => pattern.replace("{command}", sub),
                None => continue,
            }
        } else {
            pattern.clone()
        };
        if let Some(value) = env(&var) {
            grammar.parse_into(&split_env_words(&value), Some(&var), &mut parsed);
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::build::build;
    use crate::config::layers::{Layer, LayerKind, parse_file};
    use crate::shell::split_words;

    fn set(text: &str) -> RuleSet {
        let layer = Layer {
            kind: LayerKind::User,
            path: "test.toml".into(),
            text: text.into(),
            file: parse_file("test.toml", text).unwrap(),
        };
        build(std::slice::from_ref(&layer), Some(&[])).unwrap().0
    }

    fn ids(set: &RuleSet, line: &str) -> Vec<String> {
        set.check(&split_words(line).unwrap(), &|_| None)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    const PACK: &str = r#"
[tools.cloud]
value_options = ["--zone"]

[[rules]]
id = "c.delete-any"
tools = ["cloud"]
command = "* * delete"
not_command = "* describe delete"
severity = "confirm"
reason = "deletes a resource"

[[rules]]
id = "c.delete-db"
tools = ["cloud"]
command = "sql instances delete"
shadows = ["c.delete-any"]
severity = "two-person"
reason = "deletes a database"

[[rules]]
id = "c.weak-shadow"
tools = ["cloud"]
command = "sql backups delete"
shadows = ["c.delete-any"]
severity = "warn"
reason = "cannot hide a stricter finding"

[[rules]]
id = "c.prune"
tools = ["cloud"]
command = "apply"
options = ["--prune"]
without_options = ["--dry-run"]
severity = "confirm"
reason = "prunes"
"#;

    #[test]
    fn not_command_excludes_paths() {
        let s = set(PACK);
        assert_eq!(
            ids(&s, "cloud compute instances delete vm1"),
            ["c.delete-any"]
        );
        assert!(ids(&s, "cloud compute describe delete").is_empty());
    }

    #[test]
    fn shadows_hide_only_weaker_or_equal_findings() {
        let s = set(PACK);
        assert_eq!(ids(&s, "cloud sql instances delete db1"), ["c.delete-db"]);
        let both = ids(&s, "cloud --zone z sql backups delete b1");
        assert_eq!(both, ["c.delete-any", "c.weak-shadow"]);
    }

    #[test]
    fn flags_switched_off_with_false_count_as_absent() {
        let s = set(PACK);
        assert_eq!(ids(&s, "cloud apply --prune"), ["c.prune"]);
        assert!(ids(&s, "cloud apply --prune=false").is_empty());
        assert!(ids(&s, "cloud apply --prune --dry-run").is_empty());
        // `--dry-run=false` is a real run.
        assert_eq!(ids(&s, "cloud apply --prune --dry-run=false"), ["c.prune"]);
        assert_eq!(ids(&s, "cloud apply --prune=true"), ["c.prune"]);
    }
}
