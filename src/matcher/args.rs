//! Reads one command line with a tool's grammar: which words are options (and which of
//! those consume the next word as a value) and which are positional — the subcommand path
//! and its operands. Global options may stand anywhere before, between or after the
//! subcommand words; a value never counts as a subcommand.

use super::fast_hash::FastSet;
use crate::rules::model::{OptionStyle, ToolSpec};
pub use crate::shell::split_env_words;

/// A tool's grammar, ready for lookups.
#[derive(Debug, Default)]
pub struct Grammar {
    pub name: String,
    style: OptionStyle,
    value_options: FastSet<String>,
    flag_options: FastSet<String>,
    unknown_take_value: bool,
    pub environment_options: Vec<String>,
    pub environment_variables: Vec<String>,
    pub args_from_env: Vec<String>,
    pub stdin_as: Option<String>,
    help_options: Vec<String>,
    help_words: Vec<String>,
    abbreviations: bool,
    pub case_insensitive_commands: bool,
    type_name_after: Vec<String>,
    values_run_to_next_option: bool,
    pub generic_fallback: bool,
}

/// One option as written (`name` normalised: single-dash tools use `-name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    pub name: String,
    pub value: Option<String>,
    /// The environment variable the option came from (`TF_CLI_ARGS`), if not from argv.
    pub from_env: Option<String>,
}

/// A command line, read.
#[derive(Debug, Default)]
pub struct ParsedArgs {
    pub positionals: Vec<String>,
    pub options: Vec<Opt>,
}

impl Grammar {
    pub fn new(name: &str, spec: &ToolSpec) -> Self {
        let norm = |v: &Vec<String>| -> FastSet<String> {
            v.iter().map(|o| normalize(spec.style, o)).collect()
        };
        let mut value_options = norm(&spec.value_options);
        value_options.extend(norm(&spec.environment_options));
        Grammar {
            name: name.to_string(),
            style: spec.style,
            value_options,
            flag_options: norm(&spec.flag_options),
            unknown_take_value: spec.unknown_options_take_value,
            environment_options: spec
                .environment_options
                .iter()
                .map(|o| normalize(spec.style, o))
                .collect(),
            environment_variables: spec.environment_variables.clone(),
            args_from_env: spec.args_from_env.clone(),
            stdin_as: spec.stdin_as.clone(),
            help_options: spec.help_options.clone(),
            help_words: spec.help_words.clone(),
            abbreviations: spec.abbreviations,
            case_insensitive_commands: spec.case_insensitive_commands,
            type_name_after: spec.type_name_after.clone(),
            values_run_to_next_option: spec.values_run_to_next_option,
            generic_fallback: spec.generic_fallback,
        }
    }

    /// Whether the command line asks only for help.
    pub fn wants_help(&self, parsed: &ParsedArgs) -> bool {
        parsed.options.iter().any(|o| {
            self.help_options
                .iter()
                .any(|h| self.same_option(h, &o.name))
        }) || parsed
            .positionals
            .last()
            .is_some_and(|w| self.help_words.contains(w))
    }

    /// The grammar for a program no pack describes: GNU style, no option takes a value.
    pub fn plain(name: &str) -> Self {
        Grammar::new(name, &ToolSpec::default())
    }

    /// Whether a rule's spelling of an option names the option read as `name`.
    pub fn same_option(&self, spelling: &str, name: &str) -> bool {
        match self.style {
            OptionStyle::SingleDash => {
                spelling.trim_start_matches('-') == name.trim_start_matches('-')
            }
            // `--har` for `--hard`: at least two letters after the dashes, as the tool
            // itself would take it when the prefix is unambiguous.
            OptionStyle::Gnu => {
                spelling == name
                    || (self.abbreviations
                        && name.starts_with("--")
                        && name.len() >= 4
                        && spelling.starts_with("--")
                        && spelling.starts_with(name))
            }
        }
    }

    /// Whether the option takes the next word as its value (as written or assumed).
    pub fn takes_value(&self, name: &str) -> bool {
        if self.value_options.contains(name) {
            return true;
        }
        if self.flag_options.contains(name) || name.starts_with("--no-") {
            return false;
        }
        self.unknown_take_value && (name.starts_with("--") || self.style == OptionStyle::SingleDash)
    }

    /// Whether the option word `word` (without `=value`) takes `next` as its value, as
    /// [`Grammar::parse`] reads it.
    pub fn takes_next(&self, word: &str, next: Option<&str>) -> bool {
        if !(word.starts_with("--") || self.style == OptionStyle::SingleDash) {
            // A cluster of short options: the first that takes a value takes the rest
            // of the word, or the next word when the rest is empty.
            for (i, c) in word[1..].char_indices() {
                if self.takes_value(&format!("-{c}")) {
                    return next.is_some() && word[1 + i + c.len_utf8()..].is_empty();
                }
            }
            return false;
        }
        let name = normalize(self.style, word);
        if !self.takes_value(&name) {
            return false;
        }
        let assumed = !self.value_options.contains(&name);
        let next_is_option = next.is_some_and(|w| w.starts_with('-') && w.len() > 1);
        next.is_some() && !(assumed && next_is_option)
    }

    /// Reads `args` (argv without the program name) into options and positionals.
    pub fn parse(&self, args: &[String]) -> ParsedArgs {
        let mut out = ParsedArgs::default();
        self.parse_into(args, None, &mut out);
        self.split_type_name(&mut out);
        out
    }

    /// `delete deploy/api ns/prod`: the readings of the second and later `TYPE/NAME`
    /// operands, each as if it were the only one (`delete ns prod`), so a rule about a
    /// kind sees every kind the command names.
    pub fn other_type_names(&self, parsed: &ParsedArgs) -> Vec<ParsedArgs> {
        let Some(first) = parsed.positionals.first() else {
            return Vec::new();
        };
        if !self.type_name_after.iter().any(|s| s == first) {
            return Vec::new();
        }
        parsed
            .positionals
            .iter()
            .skip(3)
            .filter_map(|w| w.split_once('/'))
            .filter(|(kind, name)| !kind.is_empty() && !name.is_empty())
            .map(|(kind, name)| ParsedArgs {
                positionals: vec![first.clone(), kind.to_ascii_lowercase(), name.to_string()],
                options: parsed.options.clone(),
            })
            .collect()
    }

    /// `delete Namespace/prod` read as `delete namespace prod` (see
    /// `ToolSpec::type_name_after`).
    fn split_type_name(&self, parsed: &mut ParsedArgs) {
        let Some(first) = parsed.positionals.first() else {
            return;
        };
        if !self.type_name_after.iter().any(|s| s == first) {
            return;
        }
        let Some(operand) = parsed.positionals.get_mut(1) else {
            return;
        };
        let (kind, name) = match operand.split_once('/') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() => {
                (kind.to_ascii_lowercase(), Some(name.to_string()))
            }
            _ => (operand.to_ascii_lowercase(), None),
        };
        *operand = kind;
        if let Some(name) = name {
            parsed.positionals.insert(2, name);
        }
    }

    /// Reads more words (from an environment variable) into `out`.
    pub fn parse_into(&self, args: &[String], from_env: Option<&str>, out: &mut ParsedArgs) {
        let mut words = args.iter();
        let mut only_positionals = false;
        let opt = |name: String, value: Option<String>| Opt {
            name,
            value,
            from_env: from_env.map(str::to_string),
        };
        while let Some(word) = words.next() {
            if only_positionals || word == "-" || !word.starts_with('-') {
                out.positionals.push(word.clone());
            } else if word == "--" {
                // Kept as an option named `--` whose value is the word after it, if
                // any, for rules about what follows it (`git checkout -- FILE` names
                // files, `git checkout NAME --` switches branch).
                let next = words.clone().next().cloned();
                out.options.push(opt(word.clone(), next));
                only_positionals = true;
            } else if word.starts_with("--") || self.style == OptionStyle::SingleDash {
                let (name, value) = match word.split_once('=') {
                    Some((n, v)) => (normalize(self.style, n), Some(v.to_string())),
                    None => (normalize(self.style, word), None),
                };
                let value = match value {
                    None if self.takes_value(&name) => {
                        // An option guard only assumes takes a value (unknown, with
                        // `unknown_options_take_value`) never swallows another option, as
                        // argparse-style parsers do not.
                        let assumed = !self.value_options.contains(&name);
                        let next_is_option = words
                            .as_slice()
                            .first()
                            .is_some_and(|w| w.starts_with('-') && w.len() > 1);
                        if assumed && next_is_option {
                            None
                        } else {
                            words.next().cloned()
                        }
                    }
                    v => v,
                };
                // `--key-permissions get list delete`: the Azure CLI's options take every
                // word up to the next option, so none of them is a subcommand word (once
                // the command's path has begun: `az --subscription S disk delete`).
                if self.values_run_to_next_option
                    && value.is_some()
                    && !word.contains('=')
                    && out.positionals.len() >= 2
                {
                    while words
                        .as_slice()
                        .first()
                        .is_some_and(|w| !w.starts_with('-'))
                    {
                        words.next();
                    }
                }
                out.options.push(opt(name, value));
            } else {
                // A cluster of short options: `-rf`, `-n5`, `-nprod`, `-n=prod`.
                let body = &word[1..];
                for (i, c) in body.char_indices() {
                    let name = format!("-{c}");
                    if self.takes_value(&name) {
                        let rest = &body[i + c.len_utf8()..];
                        let rest = rest.strip_prefix('=').unwrap_or(rest);
                        let value = if rest.is_empty() {
                            words.next().cloned()
                        } else {
                            Some(rest.to_string())
                        };
                        out.options.push(opt(name, value));
                        break;
                    }
                    out.options.push(opt(name, None));
                }
            }
        }
    }
}

fn normalize(style: OptionStyle, name: &str) -> String {
    match style {
        OptionStyle::SingleDash => format!("-{}", name.trim_start_matches('-')),
        OptionStyle::Gnu => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn gnu(values: &[&str], unknown: bool) -> Grammar {
        let spec = ToolSpec {
            value_options: values.iter().map(|s| s.to_string()).collect(),
            unknown_options_take_value: unknown,
            ..ToolSpec::default()
        };
        Grammar::new("t", &spec)
    }

    #[test]
    fn value_options_do_not_become_subcommands() {
        let g = gnu(&["--profile", "--region", "-n", "--context"], false);
        let p = g.parse(&words(
            "--profile prod --region eu-west-1 -n kube-system delete ns x",
        ));
        assert_eq!(p.positionals, ["delete", "ns", "x"]);
        assert_eq!(p.options[0].value.as_deref(), Some("prod"));
        assert_eq!(p.options[2].name, "-n");
        assert_eq!(p.options[2].value.as_deref(), Some("kube-system"));
    }

    #[test]
    fn clusters_expand_and_attached_values_split() {
        let g = gnu(&["-n", "-C"], false);
        let p = g.parse(&words("-rf -nprod -n=staging -C/tmp dir"));
        let names: Vec<_> = p.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["-r", "-f", "-n", "-n", "-C"]);
        assert_eq!(p.options[2].value.as_deref(), Some("prod"));
        assert_eq!(p.options[3].value.as_deref(), Some("staging"));
        assert_eq!(p.options[4].value.as_deref(), Some("/tmp"));
        assert_eq!(p.positionals, ["dir"]);
    }

    #[test]
    fn double_dash_ends_options() {
        let g = gnu(&[], false);
        let p = g.parse(&words("exec pod -- rm -rf /"));
        assert_eq!(p.positionals, ["exec", "pod", "rm", "-rf", "/"]);
        let names: Vec<_> = p.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["--"]);
        assert_eq!(p.options[0].value.as_deref(), Some("rm"));
    }

    #[test]
    fn unknown_long_options_take_values_when_told() {
        let mut g = gnu(&[], true);
        g.flag_options.insert("--force".into());
        let p = g.parse(&words("--output json s3 rb s3://b --force --no-paginate x"));
        assert_eq!(p.positionals, ["s3", "rb", "s3://b", "x"]);
    }

    #[test]
    fn assumed_value_options_do_not_swallow_options() {
        let g = gnu(&["--query"], true);
        let p = g.parse(&words(
            "s3 rm --unknown-flag --recursive s3://b --query --weird",
        ));
        let names: Vec<_> = p.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["--unknown-flag", "--recursive", "--query"]);
        assert_eq!(p.options[0].value, None);
        // A listed value option takes the next word whatever it is.
        assert_eq!(p.options[2].value.as_deref(), Some("--weird"));
        assert_eq!(p.positionals, ["s3", "rm"]);
    }

    #[test]
    fn single_dash_style_is_never_a_cluster() {
        let spec = ToolSpec {
            style: OptionStyle::SingleDash,
            value_options: vec!["-chdir".into(), "-replace".into()],
            ..ToolSpec::default()
        };
        let g = Grammar::new("terraform", &spec);
        let p = g.parse(&words(
            "-chdir=envs/prod apply --auto-approve -replace aws_instance.a",
        ));
        assert_eq!(p.positionals, ["apply"]);
        let names: Vec<_> = p.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["-chdir", "-auto-approve", "-replace"]);
        assert_eq!(p.options[2].value.as_deref(), Some("aws_instance.a"));
    }

    #[test]
    fn env_words_split_like_terraform() {
        assert_eq!(
            split_env_words(r#"-destroy -var 'a=b c'  -x"#),
            ["-destroy", "-var", "a=b c", "-x"]
        );
        assert!(split_env_words("   ").is_empty());
        assert_eq!(split_env_words("''"), [""]);
    }
}
