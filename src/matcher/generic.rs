//! The general reading of a command-line tool guard has no pack for: `PROGRAM [GROUP…]
//! VERB [OBJECT…]`. A destructive VERB (delete, destroy, purge…) as a subcommand — one of
//! the first positional words, every word before it a plain name, never an option's value
//! and never a path or quoted data — is the verb reading; with an environment-level
//! OBJECT (cluster, project, database…) in the group, the verb itself or the word after
//! it, the environment reading. What the words are, and the safe families that read the
//! same way (a package manager's `remove`), are data: `[generic]` in `rules/generic.toml`
//! and in the user and system configs.

use crate::shell::Command;
use std::collections::HashSet;

/// The words of the general reading: the built-in lists (sorted, static) and what the
/// config layers added.
#[derive(Debug, Default, Clone)]
pub struct Generic {
    builtin: Option<&'static crate::rules::builtin::GenericWords>,
    verbs: HashSet<String>,
    /// The verbs that, with an environment-level object, make the environment reading.
    strong_verbs: HashSet<String>,
    objects: HashSet<String>,
    /// Programs whose arguments are data or names, never subcommands (`echo`, `grep`).
    not_programs: HashSet<String>,
    /// Command prefixes (`apt remove`, `pip cache purge`) that read as a destructive verb
    /// and are not.
    exceptions: Vec<Vec<String>>,
}

/// What the reading found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub verb: String,
    /// The environment-level object word, when there is one.
    pub object: Option<String>,
    /// What the verb acts on: the word after it.
    pub target: Option<String>,
}

/// How many positional words can hold the verb (`tool group sub verb`).
/// Subcommands that look, make or change without deleting: the words after one are its
/// operands, never a second verb.
const READING_VERBS: &[&str] = &[
    "show", "get", "list", "ls", "describe", "create", "new", "add", "inspect", "view", "info",
    "status", "diff", "open", "whoami", "version", "init", "clone", "copy", "cp", "rename", "mv",
    "start", "restart", "validate",
];

const MAX_DEPTH: usize = 4;

impl Generic {
    /// The built-in words.
    pub fn builtin() -> Generic {
        Generic {
            builtin: Some(&crate::rules::builtin::GENERIC_WORDS),
            ..Generic::default()
        }
    }

    /// Adds a `[generic]` table's words; exceptions and programs to leave alone only
    /// when the layer may `weaken`.
    pub fn extend(&mut self, spec: &crate::rules::model::GenericSpec, weaken: bool) {
        let lower = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>();
        self.strong_verbs.extend(lower(&spec.strong_verbs));
        self.verbs.extend(lower(&spec.strong_verbs));
        self.verbs.extend(lower(&spec.verbs));
        self.objects.extend(lower(&spec.objects));
        if weaken {
            self.not_programs.extend(spec.not_programs.iter().cloned());
            self.exceptions.extend(
                spec.exceptions
                    .iter()
                    .map(|e| e.split_whitespace().map(String::from).collect::<Vec<_>>())
                    .filter(|e| !e.is_empty()),
            );
        }
    }

    fn is_verb(&self, w: &str) -> bool {
        self.builtin
            .is_some_and(|b| b.verbs.contains_sorted(w) || b.strong_verbs.contains_sorted(w))
            || self.verbs.contains(w)
    }

    fn is_strong(&self, w: &str) -> bool {
        self.builtin
            .is_some_and(|b| b.strong_verbs.contains_sorted(w))
            || self.strong_verbs.contains(w)
    }

    fn is_object(&self, w: &str) -> bool {
        self.builtin.is_some_and(|b| b.objects.contains_sorted(w)) || self.objects.contains(w)
    }

    fn leaves_alone(&self, program: &str) -> bool {
        self.builtin
            .is_some_and(|b| b.not_programs.contains_sorted(program))
            || self.not_programs.contains(program)
    }

    /// Whether the command starts with an exception's words; `*` in one stands for any word.
    fn is_exception(&self, full: &[&str]) -> bool {
        let fits = |e: &mut dyn Iterator<Item = &str>| {
            let e: Vec<&str> = e.collect();
            !e.is_empty()
                && e.len() <= full.len()
                && e.iter()
                    .zip(full)
                    .all(|(a, b)| *a == "*" || a.eq_ignore_ascii_case(b))
        };
        self.builtin
            .is_some_and(|b| b.exceptions.iter().any(|e| fits(&mut e.split_whitespace())))
            || self
                .exceptions
                .iter()
                .any(|e| fits(&mut e.iter().map(String::as_str)))
    }

    /// Reads a command the general way.
    /// A word that is (or, compounded, holds) a verb that reads or creates and no verb
    /// that deletes: `show`, `apps:create`.
    fn only_reads(&self, word: &str) -> bool {
        if is_simple(word) {
            return READING_VERBS.contains(&word) && !self.is_verb(word);
        }
        // Compounded with `:` only: in `log-analytics` or `search-index` the reading
        // word is a noun.
        let lower = word.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split(':').collect();
        parts.iter().any(|p| READING_VERBS.contains(p))
            && !parts.iter().any(|p| words(p).any(|t| self.is_verb(&t)))
    }

    pub fn read(&self, cmd: &Command) -> Option<Reading> {
        let program = cmd.program()?;
        if self.leaves_alone(program) || crate::shell::is_interpreter(program) {
            return None;
        }
        self.read_any(cmd)
    }

    /// Reads any command the general way, a tool with a pack too (for its catch-all
    /// rules); exceptions still apply.
    pub fn read_any(&self, cmd: &Command) -> Option<Reading> {
        let program = cmd.program()?;
        let mut path: Vec<&str> = Vec::new();
        let mut maybe_value = false;
        for (i, w) in cmd.argv.iter().enumerate().skip(1) {
            let w = w.as_str();
            if w == "--" {
                break;
            }
            if w.len() > 1 && w.starts_with('-') {
                // `--DryRun False` (Tencent's, Alibaba's) and `--dry-run=false` are real runs.
                let next = cmd.argv.get(i + 1).map(String::as_str);
                if is_help_or_dry_run(w) && !says_false(w.split_once('=').map(|(_, v)| v).or(next))
                {
                    return None;
                }
                // `--opt value`: the next word may be the option's value, never a verb.
                maybe_value = !w.contains('=');
                continue;
            }
            if std::mem::take(&mut maybe_value) {
                continue;
            }
            if w == "help" {
                return None;
            }
            path.push(w);
            if path.len() > MAX_DEPTH {
                break;
            }
        }
        let full: Vec<&str> = std::iter::once(program)
            .chain(path.iter().copied())
            .collect();
        // The verb: in the program's own name (`lxc-destroy`), or one of the first
        // positional words, every word before it a plain name.
        // A verb that reads or creates ends the search: in `server show delete` and
        // `apps:create destroy-me`, what follows is a name.
        let at = full
            .iter()
            .take(MAX_DEPTH + 1)
            .take_while(|w| is_name(w) && !self.only_reads(w))
            .position(|w| any_word(w, |t| self.is_verb(t)))?;
        if self.is_exception(&full) {
            return None;
        }
        let verb = full[at].to_string();
        let after = full.get(at + 1).map(|w| w.to_string());
        // The object: a word of the verb itself (`delete-cluster`, `apps:destroy`), or a
        // whole word before it (`org delete`) or right after it (`delete cluster`) — and
        // only for a verb that deletes what it names.
        let strong = any_word(&verb, |t| self.is_strong(t));
        let whole = |w: &&&str| self.is_object(&w.to_ascii_lowercase());
        // In the verb's own word, the thing it deletes is its last word
        // (`delete-db-cluster`, not `delete-bucket-policy`), or the word before a verb
        // that ends it (`apps:destroy`).
        let parts: Vec<String> = words(&verb).collect();
        let named = match parts.as_slice() {
            [.., before, last] if self.is_verb(last) => Some(before.clone()),
            // Two words that name one thing (`Remove-AzResourceGroup`: resource group).
            [_, .., before, last] if self.is_object(&format!("{before}{last}")) => {
                Some(format!("{before}{last}"))
            }
            [_, .., last] => Some(last.clone()),
            _ => None,
        };
        let object = strong
            .then(|| {
                // Else the group right before it (`registry delete`, not `databases
                // user delete`) or the word right after it (`delete cluster`).
                // `SERVICE instance delete` (`stackit mariadb instance delete`, `scw rdb
                // instance delete`): the instance is the service's, so the service names
                // what it is.
                let group = match at.checked_sub(1).filter(|b| *b >= 1) {
                    Some(b) if b >= 2 && matches!(full[b], "instance" | "instances") => Some(b - 1),
                    before => before,
                };
                named.clone().filter(|t| self.is_object(t)).or_else(|| {
                    group
                        .and_then(|b| full.get(b))
                        .into_iter()
                        .chain(full.get(at + 1))
                        .find(whole)
                        .map(|w| w.to_ascii_lowercase())
                })
            })
            .flatten()
            // A verb compounded with its object in one word names what it deletes, even
            // a verb that is not always a delete (`Remove-AzResourceGroup`).
            .or_else(|| {
                let compound = parts.len() >= 2 && parts.first().is_some_and(|p| self.is_verb(p));
                named.clone().filter(|t| compound && self.is_object(t))
            });
        Some(Reading {
            verb,
            object,
            target: after,
        })
    }
}

/// A boolean option's value that turns it off.
fn says_false(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        ["false", "0", "no", "off"]
            .iter()
            .any(|f| f.eq_ignore_ascii_case(v))
    })
}

/// `-h`, `--help`, `--dry-run`: the command changes nothing.
fn is_help_or_dry_run(w: &str) -> bool {
    let name = w.split('=').next().unwrap_or(w);
    // Spelled in any case: Tencent's and Alibaba's CLIs take their APIs' `--DryRun True`.
    matches!(name, "-h" | "--help")
        || ["--dry-run", "--dryrun", "--what-if", "--whatif"]
            .iter()
            .any(|d| d.eq_ignore_ascii_case(name))
}

/// A plain name: letters, digits and `-_:.`, starting with a letter (no path, no data).
fn is_name(w: &str) -> bool {
    let mut chars = w.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "-_:.".contains(c))
}

/// The words of a name: `apps:destroy` is `apps`, `destroy`; `delete-cluster` is
/// `delete`, `cluster`; `DeleteCluster` is `delete`, `cluster`.
/// A word of lowercase letters and digits only: it is its own one word.
fn is_simple(w: &str) -> bool {
    w.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether `f` holds for one of `w`'s words; a simple word is tried as it is, without
/// splitting (most words are, and this runs for every word of every command).
fn any_word(w: &str, mut f: impl FnMut(&str) -> bool) -> bool {
    if is_simple(w) {
        return !w.is_empty() && f(w);
    }
    words(w).any(|t| f(&t))
}

fn words(w: &str) -> impl Iterator<Item = String> + '_ {
    w.split(['-', '_', ':', '.'])
        .flat_map(split_camel)
        .filter(|t| !t.is_empty())
}

fn split_camel(w: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut prev_lower = false;
    for c in w.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push(String::new());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        if let Some(last) = out.last_mut() {
            last.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic() -> Generic {
        let mut g = Generic::default();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let spec = crate::rules::model::GenericSpec {
            verbs: s(&["remove", "rm"]),
            strong_verbs: s(&["delete", "destroy", "drop", "purge"]),
            objects: s(&["cluster", "apps", "app", "database", "db"]),
            not_programs: s(&["echo", "grep"]),
            exceptions: s(&["apt remove", "pip cache purge"]),
        };
        g.extend(&spec, true);
        g
    }

    fn read(line: &str) -> Option<Reading> {
        generic().read(&crate::shell::split_words(line).unwrap())
    }

    #[test]
    fn verbs_as_subcommands() {
        let r = read("lxc-destroy -n web").unwrap();
        assert_eq!(r.verb, "lxc-destroy");
        let r = read("linode-cli linodes delete 123").unwrap();
        assert_eq!(
            (r.verb.as_str(), r.object, r.target.as_deref()),
            ("delete", None, Some("123"))
        );
        let r = read("dokku apps:destroy shop").unwrap();
        assert_eq!(r.object.as_deref(), Some("apps"));
        let r = read("mytool --region eu DeleteCluster main").unwrap();
        assert_eq!(r.object.as_deref(), Some("cluster"));
        let r = read("pgctl drop database shop").unwrap();
        assert_eq!(r.object.as_deref(), Some("database"));
    }

    #[test]
    fn a_verb_that_reads_or_creates_ends_the_search() {
        assert!(read("openstack server show delete").is_none());
        assert!(read("heroku apps:create destroy-me").is_none());
        assert!(read("mycloud volume create delete-me").is_none());
        assert_eq!(read("mycloud volume delete show").unwrap().verb, "delete");
        assert_eq!(
            read("heroku apps:destroy shop").unwrap().verb,
            "apps:destroy"
        );
    }

    #[test]
    fn a_service_instance_is_named_by_its_service() {
        assert_eq!(
            read("acme db instance delete main")
                .unwrap()
                .object
                .as_deref(),
            Some("db")
        );
        assert_eq!(read("acme web instance delete main").unwrap().object, None);
    }

    #[test]
    fn only_a_deleting_verb_with_a_whole_object_word_is_an_environment() {
        assert_eq!(read("pgctl database rm shop").unwrap().object, None);
        assert_eq!(read("kpcli rm database_file entry").unwrap().object, None);
        assert_eq!(
            read("pgctl database delete shop")
                .unwrap()
                .object
                .as_deref(),
            Some("database")
        );
        assert_eq!(
            read("acme delete cluster main").unwrap().object.as_deref(),
            Some("cluster")
        );
    }

    #[test]
    fn data_values_paths_and_exceptions_are_not_verbs() {
        for line in [
            "echo delete everything",
            "grep -r delete src",
            "mytool --mode delete",
            "mytool run ./delete.sh",
            "mytool 'delete all'",
            "mytool list",
            "mytool delete --help",
            "mytool delete --dry-run x",
            "mytool help delete",
            "apt remove vim",
            "pip cache purge",
            "mytool a b c d delete",
            "mytool -- delete",
        ] {
            assert_eq!(read(line), None, "{line}");
        }
    }
}
