//! Properties of the parser and matcher, over generated input (proptest):
//! - reading any string never panics, and finishes (no hang) for bounded input;
//! - wrapping a dangerous command in any supported wrapper never lowers its decision;
//! - adding a rule never lowers a decision.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use guard::analysis::{self, Input};
use guard::config::build::build;
use guard::config::layers::{Layer, LayerKind, parse_file};
use guard::decision::Decision;
use guard::matcher::RuleSet;
use guard::policy::decide;
use proptest::prelude::*;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn all_packs() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| build(&[], None).unwrap().0)
}

fn decision_with(set: &RuleSet, text: &str) -> Decision {
    match Input::Shell(text.to_string()).read() {
        Ok(script) => decide(&analysis::findings(&script, set, &|_| None)),
        Err(_) => Decision::Deny,
    }
}

/// Shell-ish fragments, so generated strings reach deep into the grammar.
const TOKENS: &[&str] = &[
    "terraform",
    "destroy",
    "apply",
    "-auto-approve",
    "kubectl",
    "delete",
    "ns",
    "prod",
    "rm",
    "-rf",
    "/",
    "git",
    "push",
    "--force",
    "sudo",
    "-u",
    "root",
    "env",
    "X=1",
    "bash",
    "-c",
    "sh",
    "eval",
    "xargs",
    "timeout",
    "5",
    "nohup",
    "ssh",
    "host",
    "find",
    "-exec",
    "{}",
    ";",
    "\\;",
    "+",
    "|",
    "||",
    "&&",
    "&",
    "(",
    ")",
    "{",
    "}",
    "$(",
    "`",
    "'",
    "\"",
    "\\",
    "$'\\x74'",
    "<<",
    "EOF",
    "<<<",
    "<",
    ">",
    ">>",
    "\n",
    "if",
    "then",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "case",
    "esac",
    "while",
    "f()",
    "$x",
    "${y}",
    "x=1",
    "echo",
    "printf",
    "%s",
    "cat",
    "docker",
    "run",
    "exec",
    "--",
    "alias",
    "t=terraform",
    "$t",
    "#",
];

fn shellish() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), prop::bool::ANY), 0..40).prop_map(
        |parts| {
            parts.into_iter().fold(String::new(), |mut s, (t, space)| {
                s.push_str(t);
                if space {
                    s.push(' ');
                }
                s
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// No panic and no hang: a generous bound that only a runaway loop would break.
    #[test]
    fn reading_never_panics_or_hangs(text in prop_oneof![shellish(), any::<String>(), "[ -~]{0,300}"]) {
        let start = Instant::now();
        let _ = decision_with(all_packs(), &text);
        prop_assert!(start.elapsed() < Duration::from_secs(2), "took {:?} on {text:?}", start.elapsed());
    }
}

const DANGEROUS: &[&str] = &[
    "terraform destroy",
    "terraform apply -auto-approve",
    "kubectl delete ns prod",
    "aws s3 rb s3://bucket --force",
    "git push --force origin main",
    "rm -rf /",
    "psql -c 'DROP DATABASE app'",
    "redis-cli FLUSHALL",
    "helm uninstall web",
    "docker volume rm data",
];

/// Wrappers: each turns a command string into a string that runs it.
fn wrap(kind: usize, inner: &str) -> String {
    let quoted = format!("'{}'", inner.replace('\'', r"'\''"));
    // Prefix wrappers take a simple command: a compound one goes through `sh -c`.
    let simple = !inner.contains(['|', ';', '&', '<', '>', '(', ')', '{', '}', '$', '`']);
    let prefixed = if simple {
        inner.to_string()
    } else {
        format!("sh -c {quoted}")
    };
    let inner = if matches!(kind, 0..=8 | 21..) {
        prefixed.as_str()
    } else {
        inner
    };
    match kind {
        0 => format!("sudo {inner}"),
        1 => format!("sudo -u root -E {inner}"),
        2 => format!("env A=1 {inner}"),
        3 => format!("nohup {inner}"),
        4 => format!("time {inner}"),
        5 => format!("timeout -s KILL 30 {inner}"),
        6 => format!("nice -n 5 {inner}"),
        7 => format!("stdbuf -oL {inner}"),
        8 => format!("command {inner}"),
        9 => format!("bash -c {quoted}"),
        10 => format!("sh -lc {quoted}"),
        11 => format!("eval {quoted}"),
        12 => format!("echo {quoted} | bash"),
        13 => format!("bash <<< {quoted}"),
        14 => format!("ssh -p 22 host {quoted}"),
        15 => format!("( {inner} )"),
        16 => format!("{{ {inner}; }}"),
        17 => format!("ls && {inner}"),
        18 => format!("if true; then {inner}; fi"),
        19 => format!("f() {{ {inner}; }}; f"),
        20 => format!("echo $( {inner} )"),
        21 => format!("xargs -n1 {inner} < /dev/null"),
        22 => format!("kubectl exec -it pod -- {inner}"),
        23 => format!("docker run --rm -e A=1 img {inner}"),
        24 => format!("flock -w 5 /tmp/lock {inner}"),
        _ => format!("ionice -c 3 {inner}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn wrapping_never_lowers_the_decision(
        which in 0..DANGEROUS.len(),
        kinds in prop::collection::vec(0usize..26, 1..4),
    ) {
        let plain = DANGEROUS[which];
        let base = decision_with(all_packs(), plain);
        prop_assert!(base >= Decision::Confirm, "{plain} is {base}");
        let wrapped = kinds.iter().fold(plain.to_string(), |s, k| wrap(*k, &s));
        let got = decision_with(all_packs(), &wrapped);
        prop_assert!(got >= base, "{wrapped:?} is {got}, but {plain:?} is {base}");
    }
}

const TOOLS: &[&str] = &["terraform", "kubectl", "git", "aws", "rm", "foo"];
const WORDS: &[&str] = &[
    "destroy", "delete", "push", "s3", "rb", "apply", "get", "ns", "-f", "--force", "x",
];

fn rule_text(tool: &str, command: &[&str], options: &[&str], severity: &str) -> String {
    let opts: Vec<String> = options.iter().map(|o| format!("{o:?}")).collect();
    format!(
        "[[rules]]\nid = \"prop.added\"\ntools = [{tool:?}]\ncommand = {:?}\noptions = [{}]\nseverity = {severity:?}\nreason = \"generated\"\n",
        command.join(" "),
        opts.join(", ")
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn adding_a_rule_never_lowers_a_decision(
        tool in prop::sample::select(TOOLS),
        command in prop::collection::vec(prop::sample::select(WORDS), 0..3),
        options in prop::collection::vec(prop::sample::select(&["-f", "--force", "-auto-approve"][..]), 0..2),
        severity in prop::sample::select(&["allow", "warn", "confirm", "two-person", "deny"][..]),
        probe_tool in prop::sample::select(TOOLS),
        probe_args in prop::collection::vec(prop::sample::select(WORDS), 0..5),
    ) {
        let text = rule_text(tool, &command, &options, severity);
        let layer = Layer { kind: LayerKind::User, path: "prop.toml".into(), text: text.clone(), file: parse_file("prop.toml", &text).unwrap() };
        let with_rule = build(std::slice::from_ref(&layer), None).unwrap().0;
        let probe = format!("{probe_tool} {}", probe_args.join(" "));
        let before = decision_with(all_packs(), &probe);
        let after = decision_with(&with_rule, &probe);
        prop_assert!(after >= before, "{probe:?}: {before} without the rule, {after} with\n{text}");
    }
}
