//! From the caller's input to findings: every command the input would run is matched
//! against the rules, and guard adds its own findings where it cannot see what runs —
//! a string that does not parse, a program name that is not literal, a program read
//! from unknown input, an interpreter's inline code that calls a guarded tool. Pure.

use crate::approval::Subject;
use crate::decision::Decision;
use crate::finding::Finding;
use crate::matcher::RuleSet;
use crate::plan;
use crate::shell::{self, Command, Concern, Script, SyntaxError};
use std::ffi::OsString;
use std::path::PathBuf;

/// What the caller asked to run.
#[derive(Debug, Clone)]
pub enum Input {
    /// `guard -- PROGRAM ARGS...`
    Argv(Vec<OsString>),
    /// `guard -c 'STRING'`
    Shell(String),
}

impl Input {
    /// How the input is shown: argv shell-quoted, a string as written.
    pub fn shown(&self) -> String {
        match self {
            Input::Argv(argv) => Command::from_argv(argv).to_string(),
            Input::Shell(s) => s.clone(),
        }
    }

    /// What an approval for this input binds: the argv, or the exact shell string. A
    /// string that is one plain command (words and quotes, nothing the shell would
    /// expand or redirect) binds its argv, so the same command approved through an
    /// agent's hook is the same command a shim or the supervisor sees run.
    pub fn subject(&self) -> Subject {
        match self {
            Input::Argv(argv) => Subject::Argv(
                argv.iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect(),
            ),
            Input::Shell(s) => match plain_argv(s) {
                Some(argv) => Subject::Argv(argv),
                None => Subject::Shell(s.clone()),
            },
        }
    }

    /// Every command the input would run.
    pub fn read(&self) -> Result<Script, SyntaxError> {
        match self {
            Input::Argv(argv) => {
                let words: Vec<String> = argv
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect();
                shell::from_argv(&words)
            }
            Input::Shell(s) => shell::parse(s),
        }
    }
}

/// The argv of a shell string that is one plain command: words and quotes only.
fn plain_argv(text: &str) -> Option<Vec<String>> {
    let special = |c: char| ";&|<>$`(){}[]*?!~#\n\\".contains(c);
    // Outside quotes nothing special may appear; inside single quotes anything may; in
    // double quotes `$`, backquotes and backslashes expand.
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => {}
            (Some(_), '$' | '`' | '\\') => return None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if special(c) => return None,
            (None, _) => {}
        }
    }
    let cmd = shell::split_words(text).ok()?;
    (quote.is_none() && cmd.assignments.is_empty() && !cmd.argv.is_empty()).then_some(cmd.argv)
}

/// A decision on one input.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub shown: String,
    pub findings: Vec<Finding>,
    pub decision: Decision,
    /// The digest of the plans read (bound into approvals and the audit record).
    pub plan: Option<String>,
    /// With plan_first: the argv that applies exactly the saved plan, run instead.
    pub exec: Option<Vec<OsString>>,
    /// What an approval binds when it is not the input (plan_first: the apply of the
    /// saved plan).
    pub subject: Option<Vec<OsString>>,
    /// What making that plan printed.
    pub plan_text: Vec<u8>,
    /// What the plans destroy or recreate, by address.
    pub resources: Vec<String>,
    /// Copies of plans guard applies instead of the originals, removed after the run.
    pub saved: Vec<PathBuf>,
}

/// Decides on one input, already read into `script`: the rules' findings and guard's
/// own, refined by the plans the tools print (through `runner`).
pub fn evaluate(
    input: &Input,
    script: &Script,
    set: &RuleSet,
    mode: plan::Mode,
    env: &dyn Fn(&str) -> Option<String>,
    runner: &dyn plan::Runner,
) -> Evaluation {
    let found = findings(script, set, env);
    let argv = match input {
        Input::Argv(a) => Some(a.as_slice()),
        Input::Shell(_) => None,
    };
    let refined = plan::refine(script, found, set, mode, argv, env, runner);
    Evaluation {
        shown: input.shown(),
        decision: crate::policy::decide(&refined.findings),
        findings: refined.findings,
        plan: refined.digest,
        exec: refined.exec,
        subject: refined.subject,
        plan_text: refined.plan_text,
        resources: refined.resources,
        saved: refined.saved,
    }
}

/// The decision on input that cannot be read: refused, and still on the record.
pub fn unreadable(shown: String, err: &SyntaxError) -> Evaluation {
    Evaluation {
        findings: vec![parse_error(&shown, err)],
        shown,
        decision: Decision::Deny,
        ..Evaluation::default()
    }
}

/// Guard's own findings, with the ids `guard check --json` reports.
pub mod ids {
    pub const PARSE_ERROR: &str = "shell.parse-error";
    pub const UNKNOWN_PROGRAM: &str = "shell.unknown-program";
    pub const UNKNOWN_ARGUMENT: &str = "shell.unknown-argument";
    pub const UNKNOWN_INPUT: &str = "shell.unknown-input";
    pub const INLINE_CODE: &str = "shell.inline-code";
}

/// The programs whose packs a check needs; `None` means every pack (a program name that
/// is not literal could be any of them).
pub fn programs(script: &Script) -> Option<Vec<String>> {
    if script.commands.iter().any(|c| c.dynamic_program) {
        return None;
    }
    let mut v: Vec<String> = script
        .commands
        .iter()
        .filter_map(|c| c.program().map(str::to_string))
        .collect();
    // The general reading's rules (`*`) only when some command reads that way: for
    // `ls -la` nothing more is parsed. (A config's own tools are read the general way
    // too; `*` then comes in because the reading is about words, not packs.)
    let general = crate::matcher::generic::Generic::builtin();
    if script.commands.iter().any(|c| general.read(c).is_some()) {
        v.push("*".to_string());
    }
    v.sort();
    v.dedup();
    Some(v)
}

/// The words of every command in `script` (the program too), lowercased, one to a line:
/// a built-in rule whose command must start with a word that is none of them is not
/// parsed for the check. (A tool that also takes words from its standard input or the
/// environment has all its rules parsed.)
pub fn words(script: &Script) -> String {
    let mut text = String::new();
    for w in script.commands.iter().flat_map(|c| &c.argv) {
        text.push_str(&w.to_lowercase());
        text.push('\n');
    }
    text
}

/// The finding for input that does not parse: refused, never allowed.
pub fn parse_error(shown: &str, err: &SyntaxError) -> Finding {
    own(
        ids::PARSE_ERROR,
        Decision::Deny,
        format!("cannot read the shell string: {err}; guard refuses what it cannot read"),
        Some("fix the quoting or syntax; `bash -n -c '...'` shows the same error".into()),
        shown,
        "",
    )
}

fn own(
    id: &str,
    severity: Decision,
    reason: String,
    suggestion: Option<String>,
    command: &str,
    origin: &str,
) -> Finding {
    Finding {
        rule: id.to_string(),
        severity,
        rule_severity: severity,
        reason,
        suggestion,
        command: command.to_string(),
        origin: origin.to_string(),
        target: None,
        protected_environment: None,
        via_env: None,
        argv: Vec::new(),
    }
}

/// Every finding for a script.
pub fn findings(
    script: &Script,
    set: &RuleSet,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for cmd in &script.commands {
        if cmd.dynamic_program {
            out.extend(unknown_program(cmd, set, env));
        } else {
            let found = set.check(cmd, env);
            out.extend(unknown_argument(cmd, &found, set, env));
            out.extend(found);
        }
    }
    for concern in &script.concerns {
        out.extend(concern_finding(concern, set));
    }
    out
}

/// A command whose program is not literal: as each guarded tool, what would it be?
fn unknown_program(
    cmd: &Command,
    set: &RuleSet,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Finding> {
    let mut worst: Option<(Finding, String)> = None;
    // A tool the word names (`$(which terraform)`) is the likeliest: try it first, so it
    // is the one reported when several tools would be as strict.
    let mut tools = set.tools();
    tools.sort_by_key(|t| !mentions(&cmd.argv[0], t));
    for tool in tools {
        let mut as_tool = cmd.clone();
        as_tool.argv[0] = tool.to_string();
        // A rule that also fires on the tool with a plain word, a path or a variable
        // (`lvremove x/y`, `shred x`, `mkfs $x`) says nothing about these words: it
        // would make any unknown program strict.
        let found = set.check(&as_tool, env);
        let plain: Vec<Finding> = if found.is_empty() {
            Vec::new()
        } else {
            ["x", "x/y", "/x/y", "$x"]
                .iter()
                .flat_map(|w| set.check(&Command::from_argv([tool, w]), &|_: &str| None))
                .collect()
        };
        let telling = found
            .into_iter()
            .filter(|f| !plain.iter().any(|p| p.rule == f.rule));
        for f in telling {
            if worst.as_ref().is_none_or(|(w, _)| f.severity > w.severity) {
                worst = Some((f, tool.to_string()));
            }
        }
    }
    let Some((f, tool)) = worst else {
        // Nothing but a value (`$cmd`, `"$(curl ...)"`): the whole command is unknown.
        return (cmd.argv.len() == 1).then(|| {
            own(
                ids::UNKNOWN_PROGRAM,
                Decision::Confirm,
                format!("cannot tell what runs: the whole command is `{}`, only known when the shell runs", cmd.argv[0]),
                Some("write the command out literally so guard can check it".into()),
                &cmd.to_string(),
                &cmd.origin,
            )
        });
    };
    let severity = f.severity.max(Decision::Confirm);
    let reason = format!(
        "cannot tell which program runs: `{}` is only known when the shell runs; as `{tool}` this would be {} ({}: {})",
        cmd.argv[0], f.severity, f.rule, f.reason
    );
    let suggestion = Some("write the program name literally so guard can check it".to_string());
    Some(own(
        ids::UNKNOWN_PROGRAM,
        severity,
        reason,
        suggestion,
        &cmd.to_string(),
        &cmd.origin,
    ))
}

/// A guarded tool whose subcommand is only known when the shell runs (`kubectl $(echo
/// delete) ns prod`, `terraform $ACTION`): as each subcommand word its rules name, would
/// it be stricter? Only the first operand is tried, and only when it is wholly a value:
/// an option (`-chdir=$DIR`), an option's value or a later operand (`cp "$FILE"`) is
/// data, and reading it as a subcommand would cry wolf.
fn unknown_argument(
    cmd: &Command,
    found: &[Finding],
    set: &RuleSet,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Finding> {
    if cmd.unknown_args.is_empty() {
        return None;
    }
    let program = cmd.program()?;
    let grammar = set.grammar(program)?;
    // The first operand: past the options and their values, as the tool reads them.
    let mut at = 1;
    while let Some(w) = cmd.argv.get(at) {
        if !w.starts_with('-') || w == "-" {
            break;
        }
        let next = cmd.argv.get(at + 1).map(String::as_str);
        at += if !w.contains('=') && grammar.takes_next(w, next) {
            2
        } else {
            1
        };
    }
    let wholly_a_value = cmd
        .argv
        .get(at)
        .is_some_and(|w| w.starts_with('$') || w.starts_with('`'));
    if !cmd.unknown_args.contains(&at) || !wholly_a_value {
        return None;
    }
    let known = found
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Decision::Allow);
    // A variable named for options (`etcdctl $AUTH_OPTIONS member list`, `$KUBECTL_OPTS`)
    // holds options: the command is read without it, and the words after it say what
    // it does.
    // (Only when a plain word follows it: `terraform $TF_OPTS -auto-approve` says
    // nothing of what the variable is.)
    let operand_follows = cmd
        .argv
        .get(at + 1)
        .is_some_and(|w| !w.starts_with('-') && !w.starts_with('$'));
    if options_variable(&cmd.argv[at]) && operand_follows {
        let mut without = cmd.clone();
        without.argv.remove(at);
        without.unknown_args.clear();
        let f = set
            .check(&without, env)
            .into_iter()
            .filter(|f| f.severity > known)
            .max_by_key(|f| f.severity)?;
        let reason = format!(
            "`{}` holds options only known when the shell runs; read without them: {} ({}: {})",
            cmd.argv[at], f.severity, f.rule, f.reason
        );
        return Some(own(
            ids::UNKNOWN_ARGUMENT,
            f.severity,
            reason,
            Some("write the options out literally so guard can check them".into()),
            &cmd.to_string(),
            &cmd.origin,
        ));
    }
    let mut worst: Option<(Finding, usize, String)> = None;
    for word in set.command_words(program) {
        let mut as_word = cmd.clone();
        as_word.argv[at] = word.clone();
        as_word.unknown_args.clear();
        for f in set.check(&as_word, env) {
            let stricter = f.severity > known
                && worst
                    .as_ref()
                    .is_none_or(|(w, _, _)| f.severity > w.severity);
            if stricter {
                worst = Some((f, at, word.clone()));
            }
        }
    }
    let (f, at, word) = worst?;
    let reason = format!(
        "cannot tell what `{}` is until the shell runs; as `{word}` this would be {} ({}: {})",
        cmd.argv[at], f.severity, f.rule, f.reason
    );
    Some(own(
        ids::UNKNOWN_ARGUMENT,
        f.severity.max(Decision::Confirm),
        reason,
        Some("write the arguments out literally so guard can check them".into()),
        &cmd.to_string(),
        &cmd.origin,
    ))
}

/// `$OPTS`, `${EXTRA_FLAGS}`, `$AUTH_OPTIONS`: a variable whose name says it holds options.
fn options_variable(word: &str) -> bool {
    let name = word
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_ascii_uppercase();
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && ["OPTS", "OPTIONS", "FLAGS", "OPT"]
            .iter()
            .any(|s| name == *s || name.ends_with(&format!("_{s}")))
}

/// Substrings that show inline code starting another process.
const SPAWNS: &[&str] = &[
    "subprocess",
    "os.system",
    "os.popen",
    "os.exec",
    "os.spawn",
    "pty.spawn",
    "child_process",
    "execSync",
    "spawnSync",
    "exec(",
    "execFile",
    "system(",
    "popen",
    "Popen",
    "%x",
    "Open3",
    "IO.popen",
    "shell_exec",
    "passthru",
    "proc_open",
    "Start-Process",
    "Invoke-Expression",
    "Deno.Command",
    "Bun.spawn",
    // Perl's and Ruby's `system "cmd"` / `exec 'cmd'` (a bare word `system ` is too
    // often prose: "docker system prune"), and expect's `spawn cmd`.
    "system \"",
    "system '",
    "system q",
    "exec \"",
    "exec '",
    "exec q",
    "spawn ",
];

/// Interpreters where backquotes run a command (`` `git rev-parse HEAD` ``); in
/// JavaScript they are template strings, in Python plain text.
const BACKQUOTE_RUNS: &[&str] = &["ruby", "perl", "php"];

fn concern_finding(concern: &Concern, set: &RuleSet) -> Option<Finding> {
    match concern {
        Concern::UnknownInput {
            reader,
            source,
            origin,
        } => Some(own(
            ids::UNKNOWN_INPUT,
            Decision::Confirm,
            format!("{reader} runs a program read from {source}, which guard cannot see"),
            Some("save it to a file, read it, then run the file".into()),
            reader,
            origin,
        )),
        Concern::InlineCode {
            interpreter,
            code,
            literal,
            origin,
        } => {
            if !literal {
                return Some(own(
                    ids::INLINE_CODE,
                    Decision::Confirm,
                    format!("{interpreter} runs code that is only known when the shell runs"),
                    Some("write the code out, or run the commands it would run directly".into()),
                    interpreter,
                    origin,
                ));
            }
            let backquotes = code.contains('`')
                && BACKQUOTE_RUNS.iter().any(|i| {
                    interpreter
                        .rsplit('/')
                        .next()
                        .is_some_and(|n| n.starts_with(i))
                });
            if !backquotes && !SPAWNS.iter().any(|s| code.contains(s)) {
                return None;
            }
            let tool = set
                .tools()
                .into_iter()
                .chain(crate::rules::builtin::builtin_programs())
                .find(|t| mentions(code, t))?;
            Some(own(
                ids::INLINE_CODE,
                Decision::Confirm,
                format!(
                    "{interpreter} code starts a process that mentions `{tool}`; guard cannot check commands inside a program"
                ),
                Some(format!(
                    "run the `{tool}` command directly, where guard can check it"
                )),
                interpreter,
                origin,
            ))
        }
    }
}

/// Whether `code` names `word` as a whole word.
fn mentions(code: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back().is_none_or(|c| !is_ident(c));
        let after = code[i + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_ident(c));
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_string_binds_its_argv_and_anything_else_the_string() {
        let argv = |s: &str| match Input::Shell(s.into()).subject() {
            Subject::Argv(a) => Some(a),
            Subject::Shell(_) => None,
        };
        assert_eq!(
            argv("terraform destroy"),
            Some(vec!["terraform".into(), "destroy".into()])
        );
        assert_eq!(
            argv("git commit -m 'a b'"),
            Some(vec![
                "git".into(),
                "commit".into(),
                "-m".into(),
                "a b".into()
            ])
        );
        for shell in [
            "cd x && terraform destroy",
            "terraform destroy $X",
            "echo \"$(id)\"",
            "rm *.log",
            "X=1 terraform destroy",
            "a | b",
            "echo 'unclosed",
        ] {
            assert_eq!(argv(shell), None, "{shell}");
        }
    }

    #[test]
    fn whole_word_mentions() {
        assert!(mentions(
            "subprocess.run(['terraform','destroy'])",
            "terraform"
        ));
        assert!(!mentions("import terraformer", "terraform"));
        assert!(mentions("os.system('rm -rf /')", "rm"));
        assert!(!mentions("os.system('perform')", "rm"));
    }
}
