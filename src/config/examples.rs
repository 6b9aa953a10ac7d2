//! Runs rules' own `match` and `not_match` examples, so a rule proves what it does. The
//! examples are shell strings; one matches when any command it would run (wrappers
//! unwrapped) matches the rule. The test suite runs every built-in example, `guard rules test` runs them for any file, and
//! loading a config layer refuses a rule whose examples fail.

use crate::error::{Error, line_col};
use crate::matcher::RuleSet;
use crate::matcher::rule::Source;
use crate::shell;

/// An example that did not do what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub rule: String,
    pub message: String,
}

impl ExampleFailure {
    pub fn into_error(self) -> Error {
        Error::RuleFile {
            path: self.path,
            line: self.line,
            col: self.col,
            message: self.message,
        }
    }
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.col, self.message
        )
    }
}

/// The path a rule's source is shown as.
pub fn source_path(source: &Source) -> String {
    match source {
        Source::Builtin(name) => format!("rules/{name}.toml"),
        Source::File(path) => path.clone(),
    }
}

/// Runs the examples of every rule whose source `which` selects; `text_of` gives the text
/// of a source, for line and column.
pub fn failures<'t>(
    set: &RuleSet,
    which: impl Fn(&Source) -> bool,
    text_of: &dyn Fn(&Source) -> Option<&'t str>,
) -> Vec<ExampleFailure> {
    let mut out = Vec::new();
    for rule in set.rules().iter().filter(|r| which(&r.source)) {
        let cases = rule.spec.matches.iter().map(|e| (e, true));
        let cases = cases.chain(rule.spec.not_match.iter().map(|e| (e, false)));
        for (example, expected) in cases {
            let problem = match shell::parse(example.get_ref()) {
                Err(e) => Some(format!(
                    "example `{}` does not parse: {e}",
                    example.get_ref()
                )),
                Ok(script)
                    if script.commands.iter().any(|c| set.rule_matches(rule, c)) != expected =>
                {
                    Some(if expected {
                        format!(
                            "rule `{}` does not match its example `{}`",
                            rule.id,
                            example.get_ref()
                        )
                    } else {
                        format!(
                            "rule `{}` matches its not_match example `{}`",
                            rule.id,
                            example.get_ref()
                        )
                    })
                }
                Ok(_) => None,
            };
            if let Some(message) = problem {
                let (line, col) =
                    text_of(&rule.source).map_or((0, 0), |t| line_col(t, example.span().start));
                out.push(ExampleFailure {
                    path: source_path(&rule.source),
                    line,
                    col,
                    rule: rule.id.clone(),
                    message,
                });
            }
        }
    }
    out
}
