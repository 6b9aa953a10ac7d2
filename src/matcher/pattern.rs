//! The small pattern languages of rules: `|`-separated alternatives of globs for words and
//! option names, and regexes compiled on first use.
//!
//! Globs support `*` (any run of characters) and `?` (one character); nothing else is
//! special. Regexes are compiled lazily so that loading a pack costs no regex compilation;
//! a regex that fails to compile fails closed: a `regex` condition holds and a
//! `not_regex` exclusion does not apply — the packs'
//! regexes are compiled by the test suite and config layers' regexes at load time, so this
//! path is only a backstop.

use crate::glob::glob_match;
use regex_lite::{Regex, RegexBuilder};
use std::sync::OnceLock;

/// `|`-separated alternatives, each a glob; whether it holds `*` or `?` is worked out
/// once, so a plain word (most of them) is compared, not matched.
#[derive(Debug, Clone)]
pub struct Alternatives(Vec<(String, bool)>);

impl Alternatives {
    pub fn new(spec: &str) -> Self {
        Alternatives(
            spec.split('|')
                .map(|p| (p.to_string(), p.contains(['*', '?'])))
                .collect(),
        )
    }

    pub fn matches(&self, text: &str) -> bool {
        self.0.iter().any(|(p, glob)| {
            if *glob {
                glob_match(p, text)
            } else {
                p == text
            }
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(p, _)| p.as_str())
    }
}

/// A regex compiled on first use.
#[derive(Debug)]
pub struct LazyRegex {
    source: String,
    compiled: OnceLock<Option<Compiled>>,
}

/// A compiled rule regex, with `regex-lite`, which is built for compiling fast: a rule's
/// regex is compiled the first time a command needs it and then matched against a few
/// short words, and a full engine's compile (its DFAs and prefilters) cost more than
/// everything else guard did for `rm -rf build`. Classes know ASCII only (`\w`, `\d`,
/// `\s`, `\b`, case folding); a Unicode class (`\p{L}`) is an error at load. Dropping the
/// full engine also dropped its Unicode tables: their 120 KB of pointers were relocated
/// at every start of guard, the largest single cost of starting.
pub type Compiled = Regex;

impl LazyRegex {
    pub fn new(source: &str) -> Self {
        LazyRegex {
            source: source.to_string(),
            compiled: OnceLock::new(),
        }
    }

    /// Compiles now, for validation; returns the error message on failure.
    pub fn compile(source: &str) -> Result<Compiled, String> {
        RegexBuilder::new(source)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let message = e.to_string();
                let message = message.lines().last().unwrap_or_default().trim();
                if message.contains("Unicode") {
                    format!(
                        "{message}: rule regexes know ASCII only (write a class such as [A-Za-z])"
                    )
                } else {
                    message.to_string()
                }
            })
    }

    /// Whether the regex matches; a regex that does not compile counts as matching.
    pub fn is_match(&self, text: &str) -> bool {
        self.matches_or(text, true)
    }

    /// Whether the regex matches; `broken` is the answer when it does not compile, so
    /// each use can fail closed (a broken `not_regex` must not exclude anything).
    pub fn matches_or(&self, text: &str, broken: bool) -> bool {
        match self
            .compiled
            .get_or_init(|| Self::compile(&self.source).ok())
        {
            Some(re) => re.is_match(text),
            None => broken,
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

/// A text condition: any glob or the regex matches (or neither is given), and the
/// `not_regex` does not match.
#[derive(Debug, Default)]
pub struct TextMatcher {
    pub globs: Vec<String>,
    pub regex: Option<LazyRegex>,
    pub not_regex: Option<LazyRegex>,
}

impl TextMatcher {
    pub fn matches(&self, text: &str) -> bool {
        let positive = if self.globs.is_empty() && self.regex.is_none() {
            true
        } else {
            self.globs.iter().any(|g| glob_match(g, text))
                || self.regex.as_ref().is_some_and(|r| r.is_match(text))
        };
        positive
            && !self
                .not_regex
                .as_ref()
                .is_some_and(|r| r.matches_or(text, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_know_ascii_classes_and_refuse_unicode_ones_at_load() {
        assert!(LazyRegex::new(r"^/+etc/+[^/]+$").is_match("//etc/passwd"));
        // Non-ASCII text and literals match as written.
        assert!(LazyRegex::new("^/data/é+$").is_match("/data/éé"));
        assert!(LazyRegex::new(r"(?i)^drop\s+table").is_match("DROP TABLE x"));
        // Classes are ASCII: \w is not a letter outside ASCII.
        assert!(!LazyRegex::new(r"^\w+$").is_match("café"));
        // A Unicode class is an error (at load for a config layer), and a regex that
        // does not compile fails closed in a rule: it matches.
        assert!(LazyRegex::compile(r"^\p{L}+$").is_err());
        assert!(LazyRegex::new(r"^\p{L}+$").is_match("anything"));
        assert!(LazyRegex::compile("(").is_err());
    }

    #[test]
    fn alternatives() {
        let a = Alternatives::new("rm|delete-*");
        assert!(a.matches("rm"));
        assert!(a.matches("delete-bucket"));
        assert!(!a.matches("ls"));
    }

    #[test]
    fn text_matcher_combines_conditions() {
        let m = TextMatcher {
            globs: vec![],
            regex: Some(LazyRegex::new(r"(?i)\bdelete\s+from\b")),
            not_regex: Some(LazyRegex::new(r"(?i)\bwhere\b")),
        };
        assert!(m.matches("DELETE FROM users"));
        assert!(!m.matches("delete from users where id = 1"));
        assert!(!m.matches("select 1"));
    }

    #[test]
    fn broken_regex_fails_closed() {
        assert!(LazyRegex::new("(").is_match("anything"));
        assert!(LazyRegex::compile("(").is_err());
        // A broken exclusion excludes nothing.
        let m = TextMatcher {
            globs: vec!["x".into()],
            regex: None,
            not_regex: Some(LazyRegex::new("(")),
        };
        assert!(m.matches("x"));
    }
}
