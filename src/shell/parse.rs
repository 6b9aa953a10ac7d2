//! Shell string -> every simple command the shell would run, with wrappers unwrapped.
//!
//! Parsing uses brush-parser (a bash grammar). It was chosen by measurement: it got the
//! argv of every common wrapper form right, rejects malformed input with a typed error
//! and a position, and parses a one-liner in microseconds; tree-sitter-bash never reports
//! an error and needs its own quote removal. It stays behind this module.
//!
//! The walk visits `;` `&&` `||` `&` lists, pipelines, subshells, groups, `if`/`while`/
//! `until`/`for`/`case` bodies, functions (when called), command and process
//! substitutions, heredocs and here-strings fed to a shell, and literal text piped into
//! a shell. Only words the shell would execute become commands: arguments are data.
//!
//! Bounds: input over [`MAX_INPUT`] bytes, nesting over [`MAX_DEPTH`] levels or more than
//! [`MAX_COMMANDS`] commands is an error, so no input makes guard hang or overflow.

use super::unwrap::{self, Inner};
use super::words::{self, Expanded};
use super::{Command, SyntaxError};
use brush_parser::ast;
use std::collections::HashMap;

/// Largest input guard reads, in bytes.
pub const MAX_INPUT: usize = 1 << 20;
/// Deepest nesting of shells in shells, substitutions and wrappers.
pub const MAX_DEPTH: usize = 16;
/// Most simple commands in one input (functions called many times count each time).
pub const MAX_COMMANDS: usize = 20_000;
/// Deepest bracket nesting handed to the parser (its grammar recurses).
const MAX_BRACKETS: usize = 96;

/// Something guard cannot see through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concern {
    /// A shell or interpreter reads a program whose text is not in the input.
    UnknownInput {
        reader: String,
        source: String,
        origin: String,
    },
    /// An interpreter runs inline code.
    InlineCode {
        interpreter: String,
        code: String,
        origin: String,
    },
}

/// Everything a shell string would run.
#[derive(Debug, Default)]
pub struct Script {
    pub commands: Vec<Command>,
    pub concerns: Vec<Concern>,
}

/// Where a command's standard input comes from.
#[derive(Debug, Clone)]
enum Stdin {
    Inherited,
    Literal(String),
    Unknown(String),
}

struct Walker<'t> {
    text: &'t str,
    out: Script,
    vars: HashMap<String, String>,
    aliases: HashMap<String, String>,
    functions: HashMap<String, ast::FunctionBody>,
    depth: usize,
    chain: Vec<String>,
    top: String,
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
    let mut w = Walker {
        text,
        out: Script::default(),
        vars: HashMap::new(),
        aliases: HashMap::new(),
        functions: HashMap::new(),
        depth: 0,
        chain: Vec::new(),
        top: String::new(),
    };
    w.text_program(text)?;
    Ok(w.out)
}

/// One command given as argv (no shell), with the commands its wrappers run.
pub fn from_argv(argv: &[String]) -> Result<Script, SyntaxError> {
    let mut w = Walker {
        text: "",
        out: Script::default(),
        vars: HashMap::new(),
        aliases: HashMap::new(),
        functions: HashMap::new(),
        depth: 0,
        chain: Vec::new(),
        top: String::new(),
    };
    w.emit(argv.to_vec(), Vec::new(), false, &Stdin::Inherited)?;
    Ok(w.out)
}

fn parse_program(text: &str) -> Result<ast::Program, SyntaxError> {
    check_brackets(text)?;
    let mut parser = brush_parser::Parser::new(
        std::io::Cursor::new(text),
        &brush_parser::ParserOptions::default(),
    );
    parser.parse_program().map_err(|e| {
        let offset = match &e {
            brush_parser::ParseError::ParsingNear(p) => char_to_byte(text, p.index),
            brush_parser::ParseError::Tokenizing {
                position: Some(p), ..
            } => char_to_byte(text, p.index),
            _ => text.len(),
        };
        SyntaxError {
            message: e.to_string(),
            offset,
        }
    })
}

/// Refuses bracket nesting deep enough to exhaust the parser's stack.
fn check_brackets(text: &str) -> Result<(), SyntaxError> {
    let mut depth: usize = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '{' | '[' | '`' => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return Err(SyntaxError {
                        message: format!("nested more than {MAX_BRACKETS} brackets deep"),
                        offset: i,
                    });
                }
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

impl Walker<'_> {
    fn nested_error(&self) -> SyntaxError {
        SyntaxError {
            message: format!(
                "nested more than {MAX_DEPTH} levels deep (shells, substitutions, wrappers)"
            ),
            offset: 0,
        }
    }

    /// Walks a (nested) shell program's text.
    fn text_program(&mut self, text: &str) -> Result<(), SyntaxError> {
        let program = parse_program(text)?;
        for list in &program.complete_commands {
            self.list(list)?;
        }
        Ok(())
    }

    /// Walks `text` as a shell program run by `via`.
    fn nested(&mut self, via: &str, text: &str) -> Result<(), SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.nested_error());
        }
        self.depth += 1;
        self.chain.push(via.to_string());
        let r = self.text_program(text);
        self.chain.pop();
        self.depth -= 1;
        r
    }

    fn origin(&self) -> String {
        if self.chain.is_empty() || self.top.is_empty() {
            let mut parts = vec![self.top.as_str()];
            parts.extend(self.chain.iter().map(String::as_str));
            parts.retain(|p| !p.is_empty());
            parts.join(" > ")
        } else {
            format!("{} > {}", self.top, self.chain.join(" > "))
        }
    }

    fn list(&mut self, list: &ast::CompoundList) -> Result<(), SyntaxError> {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            self.pipeline(&and_or.first)?;
            for next in &and_or.additional {
                match next {
                    ast::AndOr::And(p) | ast::AndOr::Or(p) => self.pipeline(p)?,
                }
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, p: &ast::Pipeline) -> Result<(), SyntaxError> {
        let mut stdin = Stdin::Inherited;
        for cmd in &p.seq {
            stdin = self.command(cmd, stdin)?;
        }
        Ok(())
    }

    /// Walks one command; returns what it writes to standard output, as far as known.
    fn command(&mut self, cmd: &ast::Command, stdin: Stdin) -> Result<Stdin, SyntaxError> {
        match cmd {
            ast::Command::Simple(sc) => self.simple(sc, stdin),
            ast::Command::Compound(cc, redirects) => {
                if let Some(r) = redirects {
                    for io in &r.0 {
                        self.redirect(io)?;
                    }
                }
                self.compound(cc)?;
                Ok(Stdin::Unknown("a compound command".into()))
            }
            ast::Command::Function(f) => {
                self.functions.insert(f.fname.value.clone(), f.body.clone());
                Ok(Stdin::Inherited)
            }
            ast::Command::ExtendedTest(test, _) => {
                // `[[ ... ]]` only evaluates; substitutions inside it still run.
                self.substitutions_in(&test.to_string())?;
                Ok(Stdin::Inherited)
            }
        }
    }

    fn compound(&mut self, cc: &ast::CompoundCommand) -> Result<(), SyntaxError> {
        use ast::CompoundCommand as C;
        match cc {
            // brush-parser reads `( ( cmd ) )` as arithmetic, where bash sees two
            // subshells; and `(( x = $(cmd) ))` runs cmd. Walk the text as a program too
            // when it reads as one.
            C::Arithmetic(a) => self.lenient("((...))", &a.expr.value),
            C::ArithmeticForClause(f) => self.list(&f.body.list),
            C::BraceGroup(g) => self.list(&g.list),
            C::Subshell(s) => self.list(&s.list),
            C::ForClause(f) => {
                for w in f.values.iter().flatten() {
                    self.word(&w.value)?;
                }
                self.list(&f.body.list)
            }
            C::CaseClause(c) => {
                self.word(&c.value.value)?;
                for item in &c.cases {
                    if let Some(l) = &item.cmd {
                        self.list(l)?;
                    }
                }
                Ok(())
            }
            C::IfClause(i) => {
                self.list(&i.condition)?;
                self.list(&i.then)?;
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.list(c)?;
                    }
                    self.list(&e.body)?;
                }
                Ok(())
            }
            C::WhileClause(w) | C::UntilClause(w) => {
                self.list(&w.0)?;
                self.list(&w.1.list)
            }
            C::Coprocess(c) => self.command(&c.body, Stdin::Inherited).map(|_| ()),
        }
    }

    /// Walks `text` as a program when it reads as one (arithmetic that bash may run as
    /// commands); text that does not parse is arithmetic and runs nothing.
    fn lenient(&mut self, via: &str, text: &str) -> Result<(), SyntaxError> {
        match parse_program(text) {
            Ok(program) if self.depth < MAX_DEPTH => {
                self.depth += 1;
                self.chain.push(via.to_string());
                let r = program
                    .complete_commands
                    .iter()
                    .try_for_each(|l| self.list(l));
                self.chain.pop();
                self.depth -= 1;
                r
            }
            _ => Ok(()),
        }
    }

    /// Expands a word and walks the command substitutions in it.
    fn word(&mut self, raw: &str) -> Result<Expanded, SyntaxError> {
        let e =
            words::expand(raw, &self.vars).map_err(|message| SyntaxError { message, offset: 0 })?;
        for sub in &e.substitutions {
            self.nested("$(...)", sub)?;
        }
        for expr in &e.arithmetic {
            self.lenient("$((...))", expr)?;
        }
        Ok(e)
    }

    fn substitutions_in(&mut self, raw: &str) -> Result<(), SyntaxError> {
        if raw.contains("$(") || raw.contains('`') {
            for w in raw.split_whitespace() {
                if let Ok(e) = words::expand(w, &self.vars) {
                    for sub in &e.substitutions {
                        self.nested("$(...)", sub)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Walks a redirection; returns the standard input it gives, if it gives one.
    fn redirect(&mut self, io: &ast::IoRedirect) -> Result<Option<Stdin>, SyntaxError> {
        use ast::{IoFileRedirectKind as K, IoFileRedirectTarget as T, IoRedirect as R};
        match io {
            R::File(fd, kind, target) => {
                let reads = matches!(kind, K::Read | K::ReadAndWrite) && fd.is_none_or(|f| f == 0);
                match target {
                    T::Filename(w) | T::Duplicate(w) => {
                        let e = self.word(&w.value)?;
                        Ok(reads.then(|| Stdin::Unknown(format!("the file {}", e.text))))
                    }
                    T::ProcessSubstitution(_, sub) => {
                        self.chain.push("<(...)".into());
                        let r = self.list(&sub.list);
                        self.chain.pop();
                        r?;
                        Ok(reads.then(|| Stdin::Unknown("a process substitution".into())))
                    }
                    T::Fd(_) => Ok(None),
                }
            }
            R::HereDocument(fd, doc) => {
                let body =
                    words::expand_heredoc(&doc.doc.value, doc.requires_expansion, &self.vars);
                for sub in &body.substitutions {
                    self.nested("$(...)", sub)?;
                }
                Ok(fd
                    .is_none_or(|f| f == 0)
                    .then_some(Stdin::Literal(body.text)))
            }
            R::HereString(fd, w) => {
                let e = self.word(&w.value)?;
                Ok(fd
                    .is_none_or(|f| f == 0)
                    .then(|| Stdin::Literal(format!("{}\n", e.text))))
            }
            R::OutputAndError(w, _) => {
                self.word(&w.value)?;
                Ok(None)
            }
        }
    }

    fn simple(&mut self, sc: &ast::SimpleCommand, stdin: Stdin) -> Result<Stdin, SyntaxError> {
        use ast::CommandPrefixOrSuffixItem as I;
        if self.chain.is_empty() && self.depth == 0 {
            if let Some(loc) = ast::SourceLocation::location(sc) {
                let (a, b) = (
                    char_to_byte(self.text, loc.start.index),
                    char_to_byte(self.text, loc.end.index),
                );
                self.top = format!("{a}..{b}");
            }
        }
        let items = sc.prefix.iter().flat_map(|p| p.0.iter());
        let name = sc.word_or_name.iter().map(|w| I::Word(w.clone()));
        let items: Vec<I> = items
            .cloned()
            .chain(name)
            .chain(sc.suffix.iter().flat_map(|s| s.0.iter().cloned()))
            .collect();
        let mut words: Vec<Expanded> = Vec::new();
        let mut assignments: Vec<(String, Expanded)> = Vec::new();
        let mut stdin = stdin;
        for item in &items {
            match item {
                I::Word(w) => words.push(self.word(&w.value)?),
                // After the program name, `X=1` is an ordinary argument.
                I::AssignmentWord(_, w) if !words.is_empty() => words.push(self.word(&w.value)?),
                I::AssignmentWord(a, _) => {
                    let value = match &a.value {
                        ast::AssignmentValue::Scalar(w) => self.word(&w.value)?,
                        ast::AssignmentValue::Array(items) => {
                            for (_, w) in items {
                                self.word(&w.value)?;
                            }
                            Expanded::default()
                        }
                    };
                    assignments.push((a.name.to_string(), value));
                }
                I::IoRedirect(io) => {
                    if let Some(s) = self.redirect(io)? {
                        stdin = s;
                    }
                }
                I::ProcessSubstitution(_, sub) => {
                    self.chain.push("<(...)".into());
                    let r = self.list(&sub.list);
                    self.chain.pop();
                    r?;
                }
            }
        }
        if words.is_empty() {
            for (name, value) in assignments {
                if value.literal {
                    self.vars.insert(name, value.text);
                } else {
                    self.vars.remove(&name);
                }
            }
            return Ok(Stdin::Inherited);
        }
        let dynamic = !words[0].literal;
        let mut argv: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
        if !dynamic {
            if let Some(value) = self.aliases.get(&argv[0]) {
                if let Ok(c) = super::split_words(value) {
                    argv.splice(0..1, c.argv);
                }
            }
        }
        match argv.first().map(String::as_str) {
            Some("alias") => {
                for def in &argv[1..] {
                    if let Some((n, v)) = def.split_once('=') {
                        self.aliases.insert(n.to_string(), v.to_string());
                    }
                }
            }
            Some(name) if !dynamic && self.functions.contains_key(name) => {
                return self
                    .call(name)
                    .map(|()| Stdin::Unknown(format!("the function {name}")));
            }
            _ => {}
        }
        let stdout = literal_output(&argv, &words, &stdin);
        let assigns = assignments.into_iter().map(|(n, v)| (n, v.text)).collect();
        self.emit(argv, assigns, dynamic, &stdin)?;
        Ok(stdout)
    }

    fn call(&mut self, name: &str) -> Result<(), SyntaxError> {
        let Some(body) = self.functions.get(name).cloned() else {
            return Ok(());
        };
        if self.depth >= MAX_DEPTH {
            return Err(self.nested_error());
        }
        self.depth += 1;
        self.chain.push(format!("function {name}"));
        if let Some(r) = &body.1 {
            for io in &r.0 {
                self.redirect(io)?;
            }
        }
        let r = self.compound(&body.0);
        self.chain.pop();
        self.depth -= 1;
        r
    }

    /// Records a command and walks what it runs in turn.
    fn emit(
        &mut self,
        argv: Vec<String>,
        assignments: Vec<(String, String)>,
        dynamic_program: bool,
        stdin: &Stdin,
    ) -> Result<(), SyntaxError> {
        if self.out.commands.len() >= MAX_COMMANDS {
            return Err(SyntaxError {
                message: format!("more than {MAX_COMMANDS} commands"),
                offset: 0,
            });
        }
        let inner = unwrap::inner(&argv);
        self.out.commands.push(Command {
            argv,
            assignments: assignments.clone(),
            origin: self.origin(),
            dynamic_program,
        });
        for i in inner {
            if self.depth >= MAX_DEPTH {
                return Err(self.nested_error());
            }
            self.depth += 1;
            let r = self.inner(i, &assignments, stdin);
            self.depth -= 1;
            r?;
        }
        Ok(())
    }

    fn inner(
        &mut self,
        inner: Inner,
        outer: &[(String, String)],
        stdin: &Stdin,
    ) -> Result<(), SyntaxError> {
        match inner {
            Inner::Argv {
                via,
                argv,
                assignments,
            } => {
                // The outer assignments are in the inner command's environment too.
                let mut all = outer.to_vec();
                all.extend(assignments);
                self.chain.push(via);
                let r = self.emit(argv, all, false, stdin);
                self.chain.pop();
                r
            }
            Inner::Script { via, text } => {
                self.depth -= 1;
                let r = self.nested(&via, &text);
                self.depth += 1;
                r
            }
            Inner::ShellStdin { via } => match stdin {
                Stdin::Literal(text) => {
                    self.depth -= 1;
                    let r = self.nested(&format!("{via} < input"), text);
                    self.depth += 1;
                    r
                }
                Stdin::Unknown(source) => {
                    self.out.concerns.push(Concern::UnknownInput {
                        reader: via,
                        source: source.clone(),
                        origin: self.origin(),
                    });
                    Ok(())
                }
                Stdin::Inherited => Ok(()),
            },
            Inner::InterpreterStdin { via } => {
                match stdin {
                    Stdin::Literal(code) => self.out.concerns.push(Concern::InlineCode {
                        interpreter: via,
                        code: code.clone(),
                        origin: self.origin(),
                    }),
                    Stdin::Unknown(source) => self.out.concerns.push(Concern::UnknownInput {
                        reader: via,
                        source: source.clone(),
                        origin: self.origin(),
                    }),
                    Stdin::Inherited => {}
                }
                Ok(())
            }
            Inner::Code { via, code } => {
                self.out.concerns.push(Concern::InlineCode {
                    interpreter: via,
                    code,
                    origin: self.origin(),
                });
                Ok(())
            }
        }
    }
}

/// What `echo`, `printf` and `cat` of literal text write, so `echo 'cmd' | sh` can be read.
fn literal_output(argv: &[String], words: &[Expanded], stdin: &Stdin) -> Stdin {
    let unknown = || Stdin::Unknown(format!("the output of {}", argv[0]));
    if !words.iter().all(|w| w.literal) {
        return unknown();
    }
    match argv[0].as_str() {
        "echo" => {
            let mut args = &argv[1..];
            let mut escapes = false;
            while let Some(flag) = args.first().filter(|a| {
                a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c))
            }) {
                escapes |= flag.contains('e');
                args = &args[1..];
            }
            let text = args.join(" ");
            Stdin::Literal(
                if escapes {
                    words::decode_ansi_c(&text)
                } else {
                    text
                } + "\n",
            )
        }
        "printf" => {
            let Some(format) = argv.get(1) else {
                return unknown();
            };
            let mut text = words::decode_ansi_c(format);
            for arg in &argv[2..] {
                match ["%s", "%b", "%d"].iter().filter_map(|p| text.find(p)).min() {
                    Some(at) => text.replace_range(at..at + 2, arg),
                    None => {
                        text.push(' ');
                        text.push_str(arg);
                    }
                }
            }
            Stdin::Literal(text)
        }
        "cat" if argv.len() == 1 => match stdin {
            Stdin::Literal(t) => Stdin::Literal(t.clone()),
            _ => unknown(),
        },
        _ => unknown(),
    }
}
