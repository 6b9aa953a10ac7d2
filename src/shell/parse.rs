//! Shell string -> every simple command the shell would run, with wrappers unwrapped.
//!
//! Parsing uses brush-parser (a bash grammar). It was chosen by measurement: it got the
//! argv of every common wrapper form right, rejects malformed input with a typed error
//! and a position, and parses a one-liner in microseconds; tree-sitter-bash never reports
//! an error and needs its own quote removal. It stays behind this module.
//!
//! The walk visits `;` `&&` `||` `&` lists, pipelines, subshells, groups, `if`/`while`/
//! `until`/`for`/`case` bodies, functions (when called, with their arguments as `$1`,
//! `$@`), command and process substitutions, heredocs and here-strings, and literal text
//! piped into a program that reads its commands from standard input. Only words the
//! shell would execute become commands: arguments are data. Simple commands and what
//! their wrappers run are in `simple.rs`.
//!
//! Bounds: input over [`MAX_INPUT`] bytes, nesting over [`MAX_DEPTH`] levels or more than
//! [`MAX_COMMANDS`] commands is an error, so no input makes guard hang or overflow.

use super::syntax::{check_brackets, parse_program, to_syntax_error};
use super::{Command, SyntaxError};
use brush_parser::ast;
use std::collections::HashMap;
use std::sync::Arc;

/// Largest input guard reads, in bytes.
pub const MAX_INPUT: usize = 1 << 20;
/// Deepest nesting of shells in shells, substitutions and wrappers.
pub const MAX_DEPTH: usize = 16;
/// Most simple commands in one input (functions called many times count each time).
pub const MAX_COMMANDS: usize = 20_000;
/// Most simple commands one input may make guard walk (calls and expansions included).
pub const MAX_STEPS: usize = 100_000;
/// Most bytes of words all the commands of one input may hold once expanded.
pub const MAX_WORDS_BYTES: usize = 32 << 20;
/// Longest value guard keeps for a variable (`x=$x$x` doubles it each time).
pub(super) const MAX_VALUE: usize = 64 * 1024;
/// Most positional parameters guard keeps.
const MAX_VALUE_WORDS: usize = 1024;
/// Deepest bracket nesting handed to the parser (its grammar recurses).
pub(super) const MAX_BRACKETS: usize = 96;

/// Something guard cannot see through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concern {
    /// A shell or interpreter reads a program whose text is not in the input.
    UnknownInput {
        reader: String,
        source: String,
        origin: String,
    },
    /// An interpreter runs inline code (`literal` is false when the code itself is only
    /// known when the shell runs, as in `python3 -c "$CODE"`).
    InlineCode {
        interpreter: String,
        code: String,
        literal: bool,
        origin: String,
    },
}

/// Everything a shell string would run.
#[derive(Debug, Default)]
pub struct Script {
    pub commands: Vec<Command>,
    pub concerns: Vec<Concern>,
}

/// Where a command's standard input comes from (and what a command writes, as far as
/// guard can tell).
#[derive(Debug, Clone)]
pub(super) enum Stdin {
    Inherited,
    /// Shared: one heredoc may feed many commands.
    Literal(Arc<str>),
    Unknown(String),
}

impl Stdin {
    pub(super) fn text(t: impl Into<Arc<str>>) -> Stdin {
        Stdin::Literal(t.into())
    }
}

pub(super) struct Walker<'t> {
    /// The top-level text being walked (one piece of the input) and its byte offset.
    pub(super) text: &'t str,
    pub(super) base: usize,
    pub(super) out: Script,
    pub(super) vars: HashMap<String, String>,
    /// Variables exported earlier in the input: in every later command's environment.
    pub(super) exported: Vec<(String, String)>,
    pub(super) aliases: HashMap<String, String>,
    /// git aliases a command of this string defined (`git config alias.p 'push -f'`), as
    /// `alias.NAME=VALUE`, for the git commands after it.
    pub(super) git_aliases: Vec<String>,
    /// Files written earlier in the string with what was written to them (`echo '…' >
    /// x.sh`), for a later `bash x.sh`.
    pub(super) written: HashMap<String, String>,
    /// Function bodies by name; more than one when a definition may or may not run.
    pub(super) functions: HashMap<String, Vec<ast::FunctionBody>>,
    /// `$1`, `$2`... where known (a function call, `sh -c STRING NAME ARGS`, `set --`).
    pub(super) positional: Option<Vec<String>>,
    pub(super) depth: usize,
    pub(super) chain: Vec<String>,
    pub(super) top: String,
    /// Above zero while walking code that may or may not run (a branch, a loop body, an
    /// `&&`/`||` tail, a subshell or pipeline member): assignments there make a variable
    /// unknown rather than certain.
    pub(super) uncertain: usize,
    /// Bytes of words emitted so far, bounded by [`MAX_WORDS_BYTES`].
    pub(super) emitted: usize,
    /// Simple commands walked so far, function calls and alias expansions included,
    /// bounded by [`MAX_STEPS`] (`f(){ f; f; f; }; f` branches without end).
    pub(super) steps: usize,
    /// Aliases being expanded, so an alias that names itself (`alias ls='ls -l'`) stops.
    pub(super) expanding: Vec<String>,
    /// What the first command of each pipeline reads: the input of the program being
    /// walked (a heredoc fed to `ssh host bash`, say).
    pub(super) stdin: Stdin,
    /// The directory an earlier `cd` of the string moved to, where it is known
    /// (`cd /usr && rm -rf .` deletes /usr).
    pub(super) cwd: Option<String>,
}

impl<'t> Walker<'t> {
    fn new(text: &'t str) -> Self {
        Walker {
            text,
            base: 0,
            out: Script::default(),
            vars: HashMap::new(),
            exported: Vec::new(),
            aliases: HashMap::new(),
            git_aliases: Vec::new(),
            written: HashMap::new(),
            functions: HashMap::new(),
            positional: None,
            depth: 0,
            chain: Vec::new(),
            top: String::new(),
            stdin: Stdin::Inherited,
            uncertain: 0,
            emitted: 0,
            steps: 0,
            expanding: Vec::new(),
            cwd: None,
        }
    }

    /// Walks `f` as code that may or may not run.
    pub(super) fn maybe<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.uncertain += 1;
        let r = f(self);
        self.uncertain -= 1;
        r
    }
}

/// Reads a shell string.
pub fn parse(text: &str) -> Result<Script, SyntaxError> {
    if text.len() > MAX_INPUT {
        return Err(SyntaxError {
            message: format!(
                "input is {} bytes; guard reads at most {MAX_INPUT}",
                text.len()
            ),
            offset: MAX_INPUT,
        });
    }
    let mut out = read(text)?;
    // The text as a template, a Windows path or a default `$IFS` means it is read too,
    // and both readings count: a rewriting that guessed wrong can only add commands,
    // never hide the ones the shell itself would run.
    if let Some(prepared) = prepare(text, false) {
        if let Ok(more) = read(&prepared) {
            out.commands.extend(more.commands);
            out.concerns.extend(more.concerns);
        }
    }
    Ok(out)
}

fn read(text: &str) -> Result<Script, SyntaxError> {
    let mut w = Walker::new(text);
    if text.len() > ONE_PIECE {
        return parse_long(w, text);
    }
    let program = parse_program(text)?;
    w.walk_piece(0, text, &program)?;
    Ok(w.out)
}

/// A long input, line by line: a plain line (see `plain.rs`) is walked directly when
/// nothing before it is still open; other lines are gathered into a piece until the
/// piece parses. A piece still open after [`MAX_GROWTH`] lines makes the rest parse in
/// one piece, so the work stays linear.
fn parse_long<'t>(mut w: Walker<'t>, text: &'t str) -> Result<Script, SyntaxError> {
    let at = |base: usize, mut e: SyntaxError| {
        e.offset += base;
        e
    };
    let (mut pending, mut grown) = (None::<usize>, 0);
    let mut start = 0;
    while start < text.len() {
        let end = text[start..]
            .find('\n')
            .map_or(text.len(), |i| start + i + 1);
        if pending.is_none() && w.plain_line(text[start..end].trim_end_matches('\n'), start)? {
            start = end;
            continue;
        }
        let from = *pending.get_or_insert(start);
        let piece = &text[from..end];
        // `cmd \⏎ more` continues on the next line, though the piece alone parses.
        let continued = end < text.len() && continues(piece);
        match try_parse(piece) {
            Ok(program) if !continued => {
                w.walk_piece(from, piece, &program)?;
                (pending, grown) = (None, 0);
            }
            Ok(_) | Err((_, true)) if end < text.len() && grown < MAX_GROWTH => grown += 1,
            Ok(_) | Err((_, true)) if end < text.len() => {
                let rest = &text[from..];
                let program = parse_program(rest).map_err(|e| at(from, e))?;
                w.walk_piece(from, rest, &program)?;
                return Ok(w.out);
            }
            Ok(program) => {
                w.walk_piece(from, piece, &program)?;
                (pending, grown) = (None, 0);
            }
            Err((e, _)) => return Err(at(from, e)),
        }
        start = end;
    }
    Ok(w.out)
}

/// The text as the shell will read it, where a POSIX reading of the bytes would say
/// otherwise (same length, so offsets stay right): a Windows path's backslashes, and
/// the default `$IFS` between words (`rm$IFS-rf$IFS/` is `rm -rf /`). `None` when
/// nothing changes.
fn prepare(text: &str, ifs_assigned: bool) -> Option<String> {
    let mut out: Option<String> = None;
    for step in 0..3 {
        let now = out.as_deref().unwrap_or(text);
        let next = match step {
            0 => super::windows::drive_paths(now),
            1 => default_ifs(now, ifs_assigned),
            _ => template_placeholders(now),
        };
        if next.is_some() {
            out = next;
        }
    }
    out
}

/// A template's placeholder (`{{ item }}`, `{{ .Values.dir }}`: Ansible's Jinja, Go
/// templates, Helm) is a value only known when the template is rendered: written as a
/// variable of the same length whose name keeps the placeholder's words
/// (`{{ base_dir }}/bin/kubectl` is `${_base_dir__}/bin/kubectl`), so the walk reads it as
/// any unknown word, and the spaces inside it do not split it. Single-quoted text is left
/// as it is, and so is a brace expansion (`{{a,b}}`).
fn template_placeholders(text: &str) -> Option<String> {
    if !text.contains("{{") {
        return None;
    }
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut quote = None::<u8>;
    let mut i = 0;
    while i < b.len() {
        match (quote, b[i]) {
            (None, b'\\') | (Some(b'"'), b'\\') => i += 1,
            (None, q @ (b'\'' | b'"')) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            (None | Some(b'"'), b'{') if b.get(i + 1) == Some(&b'{') => {
                let end = text[i + 2..].find("}}").map(|n| i + 2 + n);
                let inner = end.map(|e| &b[i + 2..e]);
                if let (Some(end), Some(inner)) = (end, inner) {
                    // Nothing the shell itself would act on may be hidden in it: a
                    // substitution, a quote, and outside quotes an operator (`{{ x |
                    // rm -rf / }}` runs rm). A `$name` inside (Go's `{{ $x.y }}`) is a
                    // value either way.
                    let shell_syntax = |k: usize, c: u8| match c {
                        b'`' | b'"' | b'\'' | b'\\' | b'\n' => true,
                        b'$' => !inner
                            .get(k + 1)
                            .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_' || *n == b'.'),
                        b';' | b'|' | b'&' | b'<' | b'>' | b'(' | b')' => quote.is_none(),
                        _ => false,
                    };
                    let plain = !inner.is_empty()
                        && !inner.iter().enumerate().any(|(k, &c)| shell_syntax(k, c))
                        && !inner.contains(&b',')
                        && !inner.windows(2).any(|w| w == b"..");
                    if plain {
                        // `${` NAME `}`: the name takes the inner text's length plus one.
                        out[i] = b'$';
                        out[i + 1] = b'{';
                        for (k, &c) in inner.iter().enumerate() {
                            out[i + 2 + k] = if c.is_ascii_alphanumeric() { c } else { b'_' };
                        }
                        out[end] = b'_';
                        out[end + 1] = b'}';
                        if out[i + 2].is_ascii_digit() {
                            out[i + 2] = b'_';
                        }
                        i = end + 2;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    (out != b).then(|| String::from_utf8(out).unwrap_or_else(|_| text.to_string()))
}

/// Unquoted `$IFS`, `${IFS}` and `${IFS:0:1}` written as the blanks they split into,
/// when the string does not assign IFS itself.
fn default_ifs(text: &str, assigned: bool) -> Option<String> {
    if assigned || !text.contains("IFS") || text.contains("IFS=") {
        return None;
    }
    super::syntax::rewrite_unquoted(text, |b, i, out| {
        let rest = &b[i..];
        let ident = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        let len = if rest.starts_with(b"$IFS") && !ident(rest.get(4)) {
            4
        } else if rest.starts_with(b"${IFS}") {
            6
        } else if rest.starts_with(b"${IFS:0:1}") {
            10
        } else {
            0
        };
        out[i..i + len].fill(b' ');
        len
    })
}

/// Inputs up to this size are parsed in one piece; longer ones line by line, because
/// the parser costs about twice as much per line on one large program as on its lines
/// one by one, and a script is mostly one-line commands.
const ONE_PIECE: usize = 2048;
/// Lines a piece may grow by before the rest is parsed in one piece.
const MAX_GROWTH: usize = 16;

/// Whether a piece ends in a line continuation: an unescaped backslash before its
/// final newline.
fn continues(piece: &str) -> bool {
    let line = piece.strip_suffix('\n').unwrap_or(piece);
    line.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Parses a piece; the flag says whether the error is only that the piece ends early.
fn try_parse(piece: &str) -> Result<ast::Program, (SyntaxError, bool)> {
    check_brackets(piece).map_err(|e| (e, false))?;
    let mut parser = brush_parser::Parser::new(
        std::io::Cursor::new(piece),
        &brush_parser::ParserOptions::default(),
    );
    parser.parse_program().map_err(|e| {
        let incomplete = match &e {
            brush_parser::ParseError::ParsingAtEndOfInput => true,
            brush_parser::ParseError::Tokenizing { inner, .. } => inner.is_incomplete(),
            brush_parser::ParseError::ParsingNear(_) => false,
        };
        (to_syntax_error(piece, &e), incomplete)
    })
}

/// One command given as argv (no shell), with the commands its wrappers run.
pub fn from_argv(argv: &[String]) -> Result<Script, SyntaxError> {
    let mut w = Walker::new("");
    w.emit(argv.to_vec(), Vec::new(), false, &[], &Stdin::Inherited)?;
    Ok(w.out)
}

impl<'t> Walker<'t> {
    pub(super) fn nested_error(&self) -> SyntaxError {
        SyntaxError {
            message: format!(
                "nested more than {MAX_DEPTH} levels deep (shells, substitutions, wrappers)"
            ),
            offset: 0,
        }
    }

    /// Walks a parsed top-level piece of the input, which starts at byte `base`.
    fn walk_piece<'p>(
        &mut self,
        base: usize,
        piece: &'p str,
        program: &ast::Program,
    ) -> Result<(), SyntaxError>
    where
        'p: 't,
    {
        self.text = piece;
        self.base = base;
        for list in &program.complete_commands {
            self.list(list)?;
        }
        Ok(())
    }

    /// Walks a (nested) shell program's text.
    fn text_program(&mut self, text: &str) -> Result<(), SyntaxError> {
        self.text_program_as_written(text)?;
        // Read as a template, a Windows path or with the default `$IFS` too (see
        // `parse`): what that reading adds counts; its errors do not.
        if let Some(prepared) = prepare(text, self.vars.contains_key("IFS")) {
            let _ = self.text_program_as_written(&prepared);
        }
        Ok(())
    }

    fn text_program_as_written(&mut self, text: &str) -> Result<(), SyntaxError> {
        // `bash -c 'helm list -n web && helm status web'`: a plain line, as at the top.
        if !text.contains('\n') && self.plain_line(text, 0)? {
            return Ok(());
        }
        let program = parse_program(text)?;
        for list in &program.complete_commands {
            self.list(list)?;
        }
        Ok(())
    }

    /// Walks `text` as a shell program run by `via`, reading `stdin`, with `$1...` set to
    /// `positional` where given.
    pub(super) fn nested(
        &mut self,
        via: &str,
        text: &str,
        stdin: Stdin,
        positional: Option<Vec<String>>,
    ) -> Result<(), SyntaxError> {
        self.step()?;
        if self.depth >= MAX_DEPTH {
            return Err(self.nested_error());
        }
        self.depth += 1;
        self.chain.push(via.to_string());
        let saved_stdin = std::mem::replace(&mut self.stdin, stdin);
        let saved_args = positional.map(|p| self.set_positional(p));
        let r = self.text_program(text);
        if let Some(saved) = saved_args {
            self.set_positional_opt(saved);
        }
        self.stdin = saved_stdin;
        self.chain.pop();
        self.depth -= 1;
        r
    }

    /// Sets `$1...` and `$@`; returns what was set before.
    pub(super) fn set_positional(&mut self, args: Vec<String>) -> Option<Vec<String>> {
        // `set -- "$@" "$@"` doubles the list each time: past a bound it is unknown.
        let bounded = (args.len() <= MAX_VALUE_WORDS
            && args.iter().map(String::len).sum::<usize>() <= MAX_VALUE)
            .then_some(args);
        let old = std::mem::replace(&mut self.positional, bounded);
        self.sync_positional(old.as_deref());
        old
    }

    pub(super) fn set_positional_opt(&mut self, args: Option<Vec<String>>) {
        let old = std::mem::replace(&mut self.positional, args);
        self.sync_positional(old.as_deref());
    }

    fn sync_positional(&mut self, old: Option<&[String]>) {
        for i in 1..=old.map_or(0, <[String]>::len) {
            self.vars.remove(&i.to_string());
        }
        self.vars.remove("@");
        if let Some(args) = &self.positional {
            for (i, a) in args.iter().enumerate() {
                self.vars.insert((i + 1).to_string(), a.clone());
            }
            self.vars.insert("@".to_string(), args.join(" "));
        }
    }

    pub(super) fn origin(&self) -> String {
        if self.chain.is_empty() {
            return self.top.clone();
        }
        let mut parts = vec![self.top.as_str()];
        parts.extend(self.chain.iter().map(String::as_str));
        parts.retain(|p| !p.is_empty());
        parts.join(" > ")
    }

    /// Walks a list; returns what it writes, when every part writes known text.
    pub(super) fn list(&mut self, list: &ast::CompoundList) -> Result<Stdin, SyntaxError> {
        let mut written = String::new();
        let mut known = true;
        for ast::CompoundListItem(and_or, _) in &list.0 {
            let mut outputs = vec![self.pipeline(&and_or.first)?];
            for next in &and_or.additional {
                match next {
                    ast::AndOr::And(p) | ast::AndOr::Or(p) => {
                        outputs.push(self.maybe(|w| w.pipeline(p))?)
                    }
                }
            }
            for o in outputs {
                match o {
                    // Output past what guard reads at all is not followed.
                    Stdin::Literal(t) if written.len() + t.len() <= MAX_INPUT => {
                        written.push_str(&t)
                    }
                    _ => known = false,
                }
            }
        }
        Ok(if known {
            Stdin::text(written)
        } else {
            Stdin::Unknown("a command list".into())
        })
    }

    fn pipeline(&mut self, p: &ast::Pipeline) -> Result<Stdin, SyntaxError> {
        let mut stdin = self.stdin.clone();
        // The members of a real pipeline run in subshells: what they assign stays there.
        let sub = usize::from(p.seq.len() > 1);
        self.uncertain += sub;
        let r = p
            .seq
            .iter()
            .try_fold(stdin.clone(), |input, cmd| self.command(cmd, input));
        self.uncertain -= sub;
        stdin = r?;
        Ok(stdin)
    }

    /// Walks one command; returns what it writes to standard output, as far as known.
    fn command(&mut self, cmd: &ast::Command, stdin: Stdin) -> Result<Stdin, SyntaxError> {
        match cmd {
            ast::Command::Simple(sc) => self.simple(sc, stdin),
            ast::Command::Compound(cc, redirects) => {
                let mut stdin = stdin;
                for io in redirects.iter().flat_map(|r| r.0.iter()) {
                    if let Some(s) = self.redirect(io)? {
                        stdin = s;
                    }
                }
                let saved = std::mem::replace(&mut self.stdin, stdin);
                let r = self.compound(cc);
                self.stdin = saved;
                r
            }
            ast::Command::Function(f) => {
                let bodies = self.functions.entry(f.fname.value.clone()).or_default();
                if self.uncertain == 0 {
                    bodies.clear();
                }
                bodies.push(f.body.clone());
                Ok(Stdin::text(String::new()))
            }
            ast::Command::ExtendedTest(test, _) => {
                // `[[ ... ]]` only evaluates; substitutions inside it still run.
                for sub in super::words::substitutions_in(&test.to_string()) {
                    self.nested("$(...)", &sub, Stdin::Inherited, None)?;
                }
                Ok(Stdin::text(String::new()))
            }
        }
    }

    pub(super) fn compound(&mut self, cc: &ast::CompoundCommand) -> Result<Stdin, SyntaxError> {
        use ast::CompoundCommand as C;
        let unknown =
            |r: Result<Stdin, SyntaxError>| r.map(|_| Stdin::Unknown("a compound command".into()));
        match cc {
            // brush-parser reads `( ( cmd ) )` as arithmetic, where bash sees two
            // subshells; and `(( x = $(cmd) ))` runs cmd.
            C::Arithmetic(a) => self
                .lenient("((...))", &a.expr.value)
                .map(|()| Stdin::text(String::new())),
            C::ArithmeticForClause(f) => unknown(self.maybe(|w| w.list(&f.body.list))),
            C::BraceGroup(g) => self.list(&g.list),
            C::Subshell(s) => self.maybe(|w| w.list(&s.list)),
            C::ForClause(f) => {
                for w in f.values.iter().flatten() {
                    self.word(&w.value)?;
                }
                self.vars.remove(&f.variable_name);
                unknown(self.maybe(|w| w.list(&f.body.list)))
            }
            C::CaseClause(c) => {
                self.word(&c.value.value)?;
                for l in c.cases.iter().filter_map(|i| i.cmd.as_ref()) {
                    self.maybe(|w| w.list(l))?;
                }
                Ok(Stdin::Unknown("a case command".into()))
            }
            C::IfClause(i) => {
                self.list(&i.condition)?;
                self.maybe(|w| w.list(&i.then))?;
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.maybe(|w| w.list(c))?;
                    }
                    self.maybe(|w| w.list(&e.body))?;
                }
                Ok(Stdin::Unknown("an if command".into()))
            }
            C::WhileClause(w) | C::UntilClause(w) => {
                self.maybe(|me| me.list(&w.0))?;
                unknown(self.maybe(|me| me.list(&w.1.list)))
            }
            C::Coprocess(c) => unknown(self.command(&c.body, Stdin::Inherited)),
        }
    }

    /// Walks a script or a recipe read from a file: as one program when it parses; else
    /// line by line, as a shell runs a script up to its first syntax error and make runs
    /// each recipe line by itself.
    ///
    /// What the file's own commands leave unknown (`$CC -o x`, `eval "$(…)"`, a configure
    /// script's computed programs) is not held against the command that runs it, and a
    /// file too big to walk is read as far as the walk went: the rules' findings in it
    /// are the early answer; the supervisor sees each exec. (The agent's own text stays
    /// under the strict reading.)
    pub(super) fn recipe(&mut self, via: &str, text: &str) -> Result<(), SyntaxError> {
        let (commands, concerns) = (self.out.commands.len(), self.out.concerns.len());
        let (depth, chain) = (self.depth, self.chain.len());
        let _ = if parse_program(text).is_ok() {
            self.nested(via, text, Stdin::Inherited, None)
        } else {
            text.lines().try_for_each(|line| self.lenient(via, line))
        };
        self.depth = depth;
        self.chain.truncate(chain);
        for c in self.out.commands.iter_mut().skip(commands) {
            c.dynamic_program = false;
            c.unknown_args.clear();
        }
        self.out.concerns.truncate(concerns);
        Ok(())
    }

    /// Walks `text` as a program when it reads as one (arithmetic that bash may run as
    /// commands); text that does not parse is arithmetic and runs nothing.
    pub(super) fn lenient(&mut self, via: &str, text: &str) -> Result<(), SyntaxError> {
        match parse_program(text) {
            Ok(program) if self.depth < MAX_DEPTH => {
                self.depth += 1;
                self.chain.push(via.to_string());
                let r = program
                    .complete_commands
                    .iter()
                    .try_for_each(|l| self.list(l).map(|_| ()));
                self.chain.pop();
                self.depth -= 1;
                r
            }
            _ => Ok(()),
        }
    }
}
