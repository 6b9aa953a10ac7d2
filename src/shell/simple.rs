//! Simple commands: words, assignments, redirections, aliases, function calls, and what
//! a command's wrappers run in turn. Part of the walk in `parse.rs`.

use super::parse::{Concern, MAX_COMMANDS, MAX_DEPTH, Stdin, Walker};
use super::piped::{known_or_not, literal_output};
use super::syntax::char_to_byte;
use super::unwrap::{self, Inner};
use super::words::{self, Expanded};
use super::{Command, SyntaxError};
use brush_parser::ast;

/// Programs that run a file of shell commands given as their first operand.
const SOURCES: &[&str] = &[
    "source", ".", "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh",
];

impl Walker<'_> {
    /// Expands a word and walks the command substitutions in it.
    pub(super) fn word(&mut self, raw: &str) -> Result<Expanded, SyntaxError> {
        let e =
            words::expand(raw, &self.vars).map_err(|message| SyntaxError { message, offset: 0 })?;
        for sub in &e.substitutions {
            self.nested("$(...)", sub, Stdin::Inherited, None)?;
        }
        // `$((1*2))` is arithmetic; `$((terraform destroy) )` is bash running a command.
        for expr in e
            .arithmetic
            .iter()
            .filter(|x| super::effects::may_hold_commands(x))
        {
            self.lenient("$((...))", expr)?;
        }
        Ok(e)
    }

    /// The words one raw word becomes: `"$@"` and an unquoted `$var` holding a known
    /// value with blanks are split the way the shell splits them.
    fn words_of(&mut self, raw: &str) -> Result<Vec<Expanded>, SyntaxError> {
        let lit = |t: &str| Expanded {
            text: t.to_string(),
            literal: true,
            ..Expanded::default()
        };
        if let (Some(args), "\"$@\"" | "$@" | "$*") = (&self.positional, raw) {
            return Ok(args.iter().map(|a| lit(a)).collect());
        }
        let name = raw
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
            .or_else(|| raw.strip_prefix('$'));
        if let Some(value) = name
            .and_then(|n| self.vars.get(n))
            .filter(|v| v.contains(char::is_whitespace))
        {
            return Ok(value.split_whitespace().map(lit).collect());
        }
        Ok(vec![self.word(raw)?])
    }

    /// Walks a redirection; returns the standard input it gives, if it gives one.
    pub(super) fn redirect(&mut self, io: &ast::IoRedirect) -> Result<Option<Stdin>, SyntaxError> {
        use ast::{IoFileRedirectKind as K, IoFileRedirectTarget as T, IoRedirect as R};
        let reads_stdin = |fd: &Option<i32>| fd.is_none_or(|f| f == 0);
        match io {
            R::File(fd, kind, target) => {
                let reads = matches!(kind, K::Read | K::ReadAndWrite) && reads_stdin(fd);
                match target {
                    T::Filename(w) | T::Duplicate(w) => {
                        let e = self.word(&w.value)?;
                        Ok(reads.then(|| Stdin::Unknown(format!("the file {}", e.text))))
                    }
                    T::ProcessSubstitution(_, sub) => {
                        let out = self.process_substitution(&sub.list)?;
                        Ok(reads.then_some(out))
                    }
                    T::Fd(_) => Ok(None),
                }
            }
            R::HereDocument(fd, doc) => {
                let body =
                    words::expand_heredoc(&doc.doc.value, doc.requires_expansion, &self.vars);
                for sub in &body.substitutions {
                    self.nested("$(...)", sub, Stdin::Inherited, None)?;
                }
                Ok(reads_stdin(fd).then(|| known_or_not(body, "a heredoc")))
            }
            R::HereString(fd, w) => {
                let mut e = self.word(&w.value)?;
                e.text.push('\n');
                Ok(reads_stdin(fd).then(|| known_or_not(e, "a here-string")))
            }
            R::OutputAndError(w, _) => {
                self.word(&w.value)?;
                Ok(None)
            }
        }
    }

    fn process_substitution(&mut self, list: &ast::CompoundList) -> Result<Stdin, SyntaxError> {
        self.chain.push("<(...)".into());
        let saved = std::mem::replace(&mut self.stdin, Stdin::Inherited);
        let r = self.list(list);
        self.stdin = saved;
        self.chain.pop();
        r
    }

    pub(super) fn simple(
        &mut self,
        sc: &ast::SimpleCommand,
        stdin: Stdin,
    ) -> Result<Stdin, SyntaxError> {
        self.step()?;
        use ast::CommandPrefixOrSuffixItem as I;
        if self.chain.is_empty() && self.depth == 0 {
            if let Some(loc) = ast::SourceLocation::location(sc) {
                let (a, b) = (
                    self.base + char_to_byte(self.text, loc.start.index),
                    self.base + char_to_byte(self.text, loc.end.index),
                );
                self.top = format!("{a}..{b}");
            }
        }
        // Prefix items, the program name, then suffix items, all by reference.
        enum Item<'a> {
            Name(&'a ast::Word),
            Other(&'a I),
        }
        let items = (sc.prefix.iter().flat_map(|p| p.0.iter()).map(Item::Other))
            .chain(sc.word_or_name.iter().map(Item::Name))
            .chain(sc.suffix.iter().flat_map(|s| s.0.iter()).map(Item::Other));
        let mut words: Vec<Expanded> = Vec::new();
        let mut assignments: Vec<(String, Expanded)> = Vec::new();
        let mut stdin = stdin;
        // The output of a process substitution given as a script's first operand.
        let mut script_from: Option<(usize, Stdin)> = None;
        // Files the command's standard output overwrites (`> FILE`, `>| FILE`).
        let mut overwrites: Vec<String> = Vec::new();
        for item in items {
            match item {
                Item::Name(w) | Item::Other(I::Word(w)) => words.extend(self.words_of(&w.value)?),
                // After the program name, `X=1` is an ordinary argument.
                Item::Other(I::AssignmentWord(_, w)) if !words.is_empty() => {
                    words.extend(self.words_of(&w.value)?)
                }
                Item::Other(I::AssignmentWord(a, _)) => {
                    let value = match &a.value {
                        ast::AssignmentValue::Scalar(w) => self.word(&w.value)?,
                        ast::AssignmentValue::Array(items) => {
                            for (_, w) in items {
                                self.word(&w.value)?;
                            }
                            Expanded::default()
                        }
                    };
                    // `x+=y` and `x[i]=y` leave `x` unknown rather than wrong.
                    let (name, value) = match &a.name {
                        ast::AssignmentName::VariableName(n) if !a.append => (n.clone(), value),
                        ast::AssignmentName::VariableName(n)
                        | ast::AssignmentName::ArrayElementName(n, _) => (
                            n.clone(),
                            Expanded {
                                literal: false,
                                ..value
                            },
                        ),
                    };
                    assignments.push((name, value));
                }
                Item::Other(I::IoRedirect(io)) => {
                    if let Some(s) = self.redirect(io)? {
                        stdin = s;
                    }
                    if let Some(file) = super::effects::overwritten(io) {
                        overwrites.push(self.word(&file)?.text);
                    }
                }
                Item::Other(I::ProcessSubstitution(_, sub)) => {
                    let out = self.process_substitution(&sub.list)?;
                    script_from.get_or_insert((words.len(), out));
                    words.push(Expanded {
                        text: "/dev/fd/63".into(),
                        literal: true,
                        ..Expanded::default()
                    });
                }
            }
        }
        // `> FILE`, `: > FILE`, `cat /dev/null > FILE`, `echo -n > FILE`, and a command
        // redirected onto a file it reads: the file is emptied in place, as `truncate -s 0
        // FILE` would (and is read as that). Any other
        // output replaces the file's content, as `tee FILE` would (and is read as that).
        let empties = super::effects::writes_nothing(&words);
        let written: Vec<String> = overwrites.clone();
        for file in overwrites {
            // `jq . f.json > f.json`, `sort f > f`: the shell empties the file before the
            // command opens it, so the command reads nothing and writes that back.
            let same = |w: &str| w.trim_start_matches("./") == file.trim_start_matches("./");
            let names_only = words.first().is_some_and(|p| {
                matches!(
                    p.text.as_str(),
                    "echo"
                        | "printf"
                        | "ls"
                        | "touch"
                        | "mkdir"
                        | "basename"
                        | "dirname"
                        | "realpath"
                        | "readlink"
                        | "stat"
                        | "test"
                        | "["
                        | "date"
                )
            });
            let reads_it = !names_only && words.iter().skip(1).any(|w| same(&w.text));
            let file = super::effects::lexically_normal(&file);
            let argv: Vec<String> = if empties || reads_it {
                ["truncate", "-s", "0", &file].map(String::from).to_vec()
            } else {
                ["tee", &file].map(String::from).to_vec()
            };
            self.chain.push("> FILE".into());
            let r = self.emit(argv, Vec::new(), false, &[], &Stdin::Inherited);
            self.chain.pop();
            r?;
        }
        let out = self.finish(words, assignments, stdin, script_from)?;
        // What it wrote is that file's text for the commands after it (`echo '…' > x.sh;
        // bash x.sh`); output guard cannot know makes the file unknown.
        for file in written {
            match &out {
                Stdin::Literal(text) if self.uncertain == 0 => {
                    self.written
                        .insert(file.trim_start_matches("./").to_string(), text.to_string());
                }
                _ => {
                    self.written.remove(file.trim_start_matches("./"));
                }
            }
        }
        Ok(out)
    }

    /// The rest of a simple command once its words are read: assignments, aliases,
    /// builtins, then the command itself and what it runs.
    pub(super) fn finish(
        &mut self,
        words: Vec<Expanded>,
        assignments: Vec<(String, Expanded)>,
        stdin: Stdin,
        script_from: Option<(usize, Stdin)>,
    ) -> Result<Stdin, SyntaxError> {
        if words.is_empty() {
            for (name, value) in assignments {
                self.assign(name, value);
            }
            return Ok(Stdin::text(String::new()));
        }
        // A program word with an unquoted glob or brace (`terr?form`, `{rm,-rf,/}`) is
        // only known once the shell expands it.
        // A path whose directory alone is a value (`"$CONDA_DIR/bin/conda"`) names its
        // program: the last step is written out.
        let named_in_path = words[0].text.rsplit_once('/').is_some_and(|(_, base)| {
            !base.is_empty() && !base.contains(['$', '`', '*', '?', '[', '{'])
        });
        let dynamic = (!words[0].literal && !named_in_path) || words[0].pattern;
        // The arguments as the shell passes them: `terraform {destroy,-auto-approve}` is
        // `terraform destroy -auto-approve`.
        let all_literal = words.iter().all(|w| w.literal);
        let unknown: Vec<String> = words
            .iter()
            .filter(|w| !w.literal)
            .map(|w| w.text.clone())
            .collect();
        let mut argv: Vec<String> = Vec::with_capacity(words.len());
        for (i, w) in words.into_iter().enumerate() {
            if i > 0 && w.pattern && w.text.contains('{') {
                argv.extend(words::brace_expand(&w.text));
            } else {
                argv.push(w.text);
            }
        }
        if !dynamic {
            if let Some(out) = self.alias(&argv, &stdin)? {
                return Ok(out);
            }
        }
        if dynamic && !self.functions.is_empty() {
            // `$(echo f)` may call any function defined so far.
            let names: Vec<String> = self.functions.keys().cloned().collect();
            for name in names {
                self.maybe(|w| w.call(&name, argv[1..].to_vec()))?;
            }
        }
        if !dynamic {
            if let Some(out) = self.builtin(&argv)? {
                return Ok(out);
            }
        }
        // `bash <(echo cmd)`, `source <(curl ...)`: the substitution's output is the script.
        if let Some((at, out)) = script_from {
            let first_operand = argv
                .iter()
                .skip(1)
                .position(|a| !a.starts_with('-'))
                .map(|p| p + 1);
            if SOURCES.contains(&argv[0].as_str()) && first_operand == Some(at) {
                self.run_input(&format!("{} <(...)", argv[0]), &out, true)?;
            }
        }
        let stdout = literal_output(&argv, all_literal, &stdin);
        let mut assigns = self.exported.clone();
        assigns.extend(assignments.into_iter().map(|(n, v)| (n, v.text)));
        self.emit(argv, assigns, dynamic, &unknown, &stdin)?;
        Ok(stdout)
    }

    fn assign(&mut self, name: String, value: Expanded) {
        if let Some(e) = self.exported.iter_mut().find(|(n, _)| *n == name) {
            e.1 = value.text.chars().take(super::parse::MAX_VALUE).collect();
        }
        // A value that keeps doubling (`x=$x$x`) is dropped before it grows without bound.
        if value.literal && self.uncertain == 0 && value.text.len() <= super::parse::MAX_VALUE {
            self.vars.insert(name, value.text);
        } else if self.uncertain == 0 && is_fresh_temporary(&value) {
            // `d=$(mktemp -d)`: a directory made this moment for this script; deleting
            // it later (`rm -rf "$d"`) deletes nothing anyone had.
            self.vars.insert(name, FRESH_TEMPORARY.to_string());
        } else {
            self.vars.remove(&name);
        }
    }

    /// `git config [--global] alias.NAME VALUE` is remembered; a later `git NAME ...` in
    /// the same string is read with that alias given on its command line (`git -c
    /// alias.NAME=VALUE NAME ...`), which git's own reading expands.
    fn git_alias_defined_earlier(&mut self, argv: &[String]) -> Vec<Inner> {
        if argv
            .first()
            .is_none_or(|p| p != "git" && !p.ends_with("/git"))
        {
            return Vec::new();
        }
        let words: Vec<&str> = argv[1..]
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
            .collect();
        if let ["config", name, value, ..] = words.as_slice() {
            if let Some(alias) = name.strip_prefix("alias.") {
                self.git_aliases.push(format!("alias.{alias}={value}"));
            }
            return Vec::new();
        }
        if self.git_aliases.is_empty() {
            return Vec::new();
        }
        let mut with = vec!["git".to_string()];
        for alias in &self.git_aliases {
            with.extend(["-c".to_string(), alias.clone()]);
        }
        with.extend(argv[1..].iter().cloned());
        unwrap::inner(&with)
    }

    /// A file's text: what this string wrote to it, else the file on disk.
    fn file_text(&self, path: &str) -> Option<String> {
        self.written
            .get(path.trim_start_matches("./"))
            .cloned()
            .or_else(|| super::recipes::read_text(path))
    }

    /// The shell text a script or recipe runs, when its file can be read.
    fn recipe_text(&self, recipe: &super::recipes::Recipe) -> Option<String> {
        use super::recipes::{self as r, Recipe};
        let in_dir = |dir: &str, name: &str| {
            if dir.is_empty() {
                name.to_string()
            } else {
                format!("{}/{name}", dir.trim_end_matches('/'))
            }
        };
        match recipe {
            Recipe::ShellFile(path) => {
                let text = self.file_text(path)?;
                r::shell_text(&text).map(str::to_string)
            }
            Recipe::Package { dir, name } => {
                r::package_script(&self.file_text(&in_dir(dir, "package.json"))?, name)
            }
            Recipe::Make { makefile, target } => {
                let text = if makefile.is_empty() || makefile.ends_with('/') {
                    ["GNUmakefile", "makefile", "Makefile"]
                        .iter()
                        .find_map(|f| self.file_text(&in_dir(makefile, f)))?
                } else {
                    self.file_text(makefile)?
                };
                r::make_recipe(&text, target.as_deref())
            }
            Recipe::Text(text) => Some(text.clone()),
            Recipe::Just { target } => {
                let text = ["justfile", "Justfile", ".justfile"]
                    .iter()
                    .find_map(|f| self.file_text(f))?;
                r::just_recipe(&text, target.as_deref())
            }
        }
    }

    /// Expands an alias: its text, with the command's other words after it, is read as
    /// shell code (an alias can hold `;` or `&&`). An alias naming itself stops there.
    fn alias(&mut self, argv: &[String], stdin: &Stdin) -> Result<Option<Stdin>, SyntaxError> {
        let name = &argv[0];
        let Some(value) = self
            .aliases
            .get(name)
            .filter(|_| !self.expanding.contains(name))
            .cloned()
        else {
            return Ok(None);
        };
        let rest: Vec<String> = argv[1..].iter().map(|a| super::quote(a)).collect();
        let text = format!("{value} {}", rest.join(" "));
        self.expanding.push(name.clone());
        let r = self.nested(&format!("alias {name}"), &text, stdin.clone(), None);
        self.expanding.pop();
        r.map(|()| Some(Stdin::Unknown(format!("the alias {name}"))))
    }

    /// Shell builtins that change what later commands see: `alias`, `export`, `set --`,
    /// and calls of functions defined earlier. Returns their output when handled.
    fn builtin(&mut self, argv: &[String]) -> Result<Option<Stdin>, SyntaxError> {
        let done = Ok(Some(Stdin::text(String::new())));
        match argv[0].as_str() {
            "alias" => {
                for (n, v) in argv[1..].iter().filter_map(|d| d.split_once('=')) {
                    self.aliases.insert(n.to_string(), v.to_string());
                }
                done
            }
            "export" | "declare" | "typeset"
                if argv[0] == "export" || argv[1..].iter().any(|a| a == "-x") =>
            {
                for a in argv[1..].iter().filter(|a| !a.starts_with('-')) {
                    let (name, value) = match a.split_once('=') {
                        Some((n, v)) => (n.to_string(), v.to_string()),
                        None => (a.clone(), self.vars.get(a).cloned().unwrap_or_default()),
                    };
                    self.vars.insert(name.clone(), value.clone());
                    self.exported.retain(|(n, _)| *n != name);
                    self.exported.push((name, value));
                }
                done
            }
            // Builtins that set variables guard does not model: those become unknown.
            "read" | "mapfile" | "readarray" | "getopts" | "local" | "declare" | "typeset"
            | "readonly" | "unset" | "let" | "printf" | "eval" => {
                for a in &argv[1..] {
                    let name = a.split(['=', '[', '+']).next().unwrap_or_default();
                    self.vars.remove(name);
                }
                Ok(None)
            }
            "set" if argv.get(1).is_some_and(|a| a == "--") => {
                self.set_positional(argv[2..].to_vec());
                done
            }
            name if self.functions.contains_key(name) => {
                self.call(name, argv[1..].to_vec())?;
                Ok(Some(Stdin::Unknown(format!("the function {name}"))))
            }
            _ => Ok(None),
        }
    }

    /// Counts bytes guard keeps for the input (words, assignments, inline code); past
    /// [`MAX_WORDS_BYTES`] the input is refused.
    pub(super) fn charge(&mut self, bytes: usize) -> Result<(), SyntaxError> {
        self.emitted += bytes;
        if self.emitted > super::parse::MAX_WORDS_BYTES {
            return Err(SyntaxError {
                message: format!(
                    "expands to more than {} MiB of words",
                    super::parse::MAX_WORDS_BYTES >> 20
                ),
                offset: 0,
            });
        }
        Ok(())
    }

    /// Counts one more step of work; past [`MAX_STEPS`] the input is refused.
    pub(super) fn step(&mut self) -> Result<(), SyntaxError> {
        self.steps += 1;
        if self.steps > super::parse::MAX_STEPS {
            return Err(SyntaxError {
                message: format!(
                    "makes guard walk more than {} commands (calls and expansions included)",
                    super::parse::MAX_STEPS
                ),
                offset: 0,
            });
        }
        Ok(())
    }

    fn call(&mut self, name: &str, args: Vec<String>) -> Result<(), SyntaxError> {
        self.step()?;
        let Some(body) = self.functions.get(name).cloned() else {
            return Ok(());
        };
        if self.depth >= MAX_DEPTH {
            return Err(self.nested_error());
        }
        self.depth += 1;
        self.chain.push(format!("function {name}"));
        let saved = self.set_positional(args);
        // Every definition that may be the one in force is walked.
        let maybe_several = body.len() > 1;
        self.uncertain += usize::from(maybe_several);
        let r = body.iter().try_for_each(|b| {
            for io in b.1.iter().flat_map(|r| r.0.iter()) {
                self.redirect(io)?;
            }
            self.compound(&b.0).map(|_| ())
        });
        self.uncertain -= usize::from(maybe_several);
        self.set_positional_opt(saved);
        self.chain.pop();
        self.depth -= 1;
        r
    }

    /// Records a command and walks what it runs in turn. `unknown` holds the words only
    /// known when the shell runs (`$CMD`), to tell when a wrapper runs one of them.
    pub(super) fn emit(
        &mut self,
        argv: Vec<String>,
        assignments: Vec<(String, String)>,
        dynamic_program: bool,
        unknown: &[String],
        stdin: &Stdin,
    ) -> Result<(), SyntaxError> {
        if self.out.commands.len() >= MAX_COMMANDS {
            return Err(SyntaxError {
                message: format!("more than {MAX_COMMANDS} commands"),
                offset: 0,
            });
        }
        let size = argv
            .iter()
            .chain(assignments.iter().map(|(_, v)| v))
            .map(String::len)
            .sum::<usize>();
        self.charge(size)?;
        let argv = self.in_directory(argv);
        let mut inner = unwrap::inner(&argv);
        // A program only known when it runs (`$ENGINE exec db bash -c '…'`, a template's
        // `{{ engine }}`): a shell it hands text to (`sh -c`, `bash -lc`) is read anyway.
        if dynamic_program {
            if let Some(at) = argv.iter().skip(1).position(|a| {
                matches!(
                    a.rsplit('/').next(),
                    Some("sh" | "bash" | "zsh" | "dash" | "ksh" | "ash")
                )
            }) {
                inner.extend(unwrap::inner(&argv[at + 1..]));
            }
        }
        // `GIT_PAGER='CMD' git log`: git runs the variable's value as a shell command.
        if argv
            .first()
            .is_some_and(|p| p == "git" || p.ends_with("/git"))
        {
            inner.extend(
                assignments
                    .iter()
                    .filter(|(k, _)| super::tools::GIT_COMMAND_VARIABLES.contains(&k.as_str()))
                    .map(|(k, v)| unwrap::Inner::Script {
                        via: k.clone(),
                        text: v.clone(),
                        args: None,
                    }),
            );
        }
        inner.extend(read_from_environment_or_input(&argv, &assignments, stdin));
        inner.extend(self.git_alias_defined_earlier(&argv));
        let unknown_args = argv
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, a)| unknown.iter().any(|u| u == *a))
            .map(|(i, _)| i)
            .collect();
        self.out.commands.push(Command {
            unknown_args,
            argv,
            assignments: assignments.clone(),
            origin: self.origin(),
            dynamic_program,
            stdin: match stdin {
                Stdin::Literal(t) => Some(t.clone()),
                _ => None,
            },
            stdin_given: !matches!(stdin, Stdin::Inherited),
        });
        for i in inner {
            self.inner(i, &assignments, unknown, stdin)?;
        }
        Ok(())
    }

    /// Follows `cd`, and adds to the operands that mean the whole current directory
    /// (`.`, `*`, `./*`) of the tools that delete or change a tree the directory they
    /// mean, where an earlier `cd` of the string says which it is: `cd / && rm -rf *`
    /// also deletes `/*`.
    fn in_directory(&mut self, mut argv: Vec<String>) -> Vec<String> {
        let Some(program) = argv.first().map(|p| p.rsplit('/').next().unwrap_or(p)) else {
            return argv;
        };
        match program {
            "cd" | "pushd" => self.cwd = cd_target(&argv[1..], self.cwd.as_deref()),
            "popd" => self.cwd = None,
            "rm" | "chmod" | "chown" | "chgrp" | "setfacl" | "find" | "shred" => {
                // The directory is added after the operand, not put in its place: a
                // `cd` that fails (`cd /tmp/gone; rm -rf *`) leaves the shell where it
                // was, so what `*` means there still counts.
                if let Some(cwd) = &self.cwd {
                    let mut i = 1;
                    while i < argv.len() {
                        if let Some(p) = whole_directory(cwd, &argv[i]) {
                            argv.insert(i + 1, p);
                            i += 1;
                        }
                        i += 1;
                    }
                }
            }
            _ => {}
        }
        argv
    }

    fn inner(
        &mut self,
        inner: Inner,
        outer: &[(String, String)],
        unknown: &[String],
        stdin: &Stdin,
    ) -> Result<(), SyntaxError> {
        let from_value = |text: &str| unknown.iter().any(|u| text.contains(u.as_str()));
        match inner {
            Inner::Argv {
                via,
                argv,
                assignments,
                replace,
            } => {
                // The outer assignments are in the inner command's environment too.
                let mut all = outer.to_vec();
                all.extend(assignments);
                let argvs = fed_commands(&via, argv, replace.as_deref(), stdin);
                if self.depth >= MAX_DEPTH {
                    return Err(self.nested_error());
                }
                self.depth += 1;
                self.chain.push(via);
                let r = argvs
                    .into_iter()
                    .try_for_each(|argv| self.emit(argv, all.clone(), false, unknown, stdin));
                self.chain.pop();
                self.depth -= 1;
                r
            }
            Inner::Script { via, text, args } => {
                // `eval "$(ssh-agent -s)"`: the tool's own setup code, read as harmless
                // (the substitution itself was checked as a command).
                if super::setup::is_setup_substitution(&text) {
                    return Ok(());
                }
                // `echo / | parallel rm -rf`: with no `:::`, GNU parallel takes its
                // arguments from standard input, each put at `{}` or else at the end.
                let text = match stdin {
                    Stdin::Literal(items) if via.rsplit('/').next() == Some("parallel") => {
                        with_inputs(&text, items)
                    }
                    _ => text,
                };
                // Only a value that can change which program runs makes the text
                // unknown (`sh -c "$CMD"`); one in an argument (`tar -I "xz -T$N"`) is
                // read where it stands, as the walk reads any unknown word.
                // A wrapper first (`exec $CMD`, `sudo $CMD`) runs the value as a program.
                const WRAPPERS: &[&str] = &[
                    "exec", "sudo", "doas", "env", "timeout", "nice", "nohup", "command",
                    "builtin", "eval", "xargs", "su", "setsid", "stdbuf", "ionice", "watch",
                    "time", "chroot", "runuser", "flock", "then", "do", "else", "!",
                ];
                let first = text.split_whitespace().next().unwrap_or_default();
                let program_known =
                    !from_value(first) && !first.contains(['$', '`']) && !WRAPPERS.contains(&first);
                if from_value(&text) && !program_known {
                    self.concern_unknown(&via, "a value only known when it runs");
                }
                self.nested(&via, &text, stdin.clone(), args)
            }
            Inner::ShellStdin { via } => self.run_input(&via, stdin, true),
            Inner::InterpreterStdin { via } => self.run_input(&via, stdin, false),
            Inner::Recipe { via, recipe } => match self.recipe_text(&recipe) {
                Some(text) => self.recipe(&via, &text),
                None => Ok(()),
            },
            Inner::Code { via, code } => {
                let literal = !from_value(&code);
                let origin = self.origin();
                self.charge(code.len())?;
                // The commands the code hands to a shell or runs (`os.system("...")`,
                // `` `...` ``, `execSync('...')`, `subprocess.run(["...", ...])`) are
                // read as the commands they are.
                // So are the files it deletes by a literal path (`shutil.rmtree('data')` is
                // `rm -rf data`).
                let deletions = super::code::deletions_in(&code);
                for command in super::code::commands_in(&code).into_iter().chain(deletions) {
                    self.lenient(&format!("{via} code"), &command)?;
                }
                self.out.concerns.push(Concern::InlineCode {
                    interpreter: via,
                    code,
                    literal,
                    origin,
                });
                Ok(())
            }
        }
    }

    /// A shell (`shell`) or interpreter reads its program from `input`.
    fn run_input(&mut self, via: &str, input: &Stdin, shell: bool) -> Result<(), SyntaxError> {
        match input {
            Stdin::Literal(text) if shell => {
                self.nested(&format!("{via} < input"), text, Stdin::Inherited, None)
            }
            Stdin::Literal(code) => {
                let origin = self.origin();
                let (interpreter, code) = (via.to_string(), code.to_string());
                self.charge(code.len())?;
                self.out.concerns.push(Concern::InlineCode {
                    interpreter,
                    code,
                    literal: true,
                    origin,
                });
                Ok(())
            }
            Stdin::Unknown(source) => {
                self.concern_unknown(via, source);
                Ok(())
            }
            Stdin::Inherited => Ok(()),
        }
    }

    fn concern_unknown(&mut self, reader: &str, source: &str) {
        let origin = self.origin();
        self.out.concerns.push(Concern::UnknownInput {
            reader: reader.to_string(),
            source: source.to_string(),
            origin,
        });
    }
}

/// `parallel`'s command with each input line put in: at `{}` when it has one, else
/// after the command (the lines joined by `;`, one command each).
/// The commands `xargs` (or `parallel`) runs with what it is fed: literal lines at the end
/// of the command, or one command a line where `xargs -I R`'s R stands; for a program
/// that deletes what it is given, names read from an input guard cannot see stand there
/// as an unknown set. Any other wrapper runs its command as it is.
fn fed_commands(
    via: &str,
    mut argv: Vec<String>,
    replace: Option<&str>,
    stdin: &Stdin,
) -> Vec<Vec<String>> {
    let unknown_names = || {
        match stdin {
            Stdin::Unknown(s) => s.strip_prefix(super::piped::FOUND_NAMES),
            _ => None,
        }
        .unwrap_or("*")
        .to_string()
    };
    match (stdin, replace) {
        (Stdin::Literal(items), Some(r)) => {
            let each: Vec<Vec<String>> = items
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|item| argv.iter().map(|w| w.replace(r, item)).collect())
                .collect();
            // No line at all: the command is still read, as it is written.
            if !each.is_empty() {
                return each;
            }
        }
        (Stdin::Literal(items), None) if matches!(via, "xargs" | "parallel") => {
            argv.extend(items.split_whitespace().map(String::from));
        }
        (_, Some(r)) => {
            let operands: Vec<String> = argv.iter().filter(|w| !w.contains(r)).cloned().collect();
            if super::effects::deletes_its_operands(&operands) {
                let names = unknown_names();
                argv = argv.iter().map(|w| w.replace(r, &names)).collect();
            }
        }
        (_, None) if via == "xargs" && super::effects::deletes_its_operands(&argv) => {
            argv.push(unknown_names());
        }
        _ => {}
    }
    vec![argv]
}

fn with_inputs(text: &str, items: &str) -> String {
    items
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|item| {
            let quoted = shell_quote(item.trim());
            if text.contains("{}") {
                text.replace("{}", &quoted)
            } else {
                format!("{text} {quoted}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// What a variable assigned `$(mktemp ...)` stands for: a new path under /tmp.
const FRESH_TEMPORARY: &str = "/tmp/tmp.guard-mktemp";

/// A value that is exactly one `$(mktemp ...)`: the path of a file or directory mktemp
/// has just made.
fn is_fresh_temporary(value: &Expanded) -> bool {
    value.fixed == 0
        && matches!(value.substitutions.as_slice(), [one] if {
            let words: Vec<&str> = one.split_whitespace().collect();
            words.first() == Some(&"mktemp") && words.iter().all(|w| !w.contains(['$', '`', ';', '|', '&']))
        })
}

/// What a command runs from its environment or its input, beyond its words:
/// `PROMPT_COMMAND='CMD' bash -i` runs CMD before each prompt; `crontab -` (or with no
/// file) fed lines installs their commands, which run later.
fn read_from_environment_or_input(
    argv: &[String],
    assignments: &[(String, String)],
    stdin: &Stdin,
) -> Vec<Inner> {
    let program = argv
        .first()
        .map_or("", |p| p.rsplit('/').next().unwrap_or(p));
    let mut out = Vec::new();
    if matches!(program, "bash" | "sh" | "zsh" | "dash" | "ksh") {
        out.extend(
            assignments
                .iter()
                .filter(|(k, _)| matches!(k.as_str(), "PROMPT_COMMAND" | "PS0"))
                .map(|(k, v)| Inner::Script {
                    via: k.clone(),
                    text: v.clone(),
                    args: None,
                }),
        );
    }
    let reads_input = argv.iter().skip(1).all(|a| a == "-" || a.starts_with('-'))
        && !argv
            .iter()
            .skip(1)
            .any(|a| matches!(a.as_str(), "-l" | "-r" | "-e" | "-i"));
    if program == "crontab" && reads_input {
        if let Stdin::Literal(text) = stdin {
            out.extend(
                super::carriers::crontab_lines(text)
                    .into_iter()
                    .map(|line| Inner::Script {
                        via: "crontab entry".into(),
                        text: line,
                        args: None,
                    }),
            );
        }
    }
    out
}

/// Where `cd ARGS` goes from `cwd`: an absolute path, the home directory (`~`, `$HOME`,
/// or none given), or a relative path from a known directory; `None` when that is only
/// known when the shell runs (`cd "$DIR"`, `cd -`).
fn cd_target(args: &[String], cwd: Option<&str>) -> Option<String> {
    let mut operands = args.iter().skip_while(|a| {
        a.len() > 1 && a.starts_with('-') && a.bytes().skip(1).all(|b| b"LPe@".contains(&b))
    });
    let target = match operands.next().map(String::as_str) {
        Some("--") => operands.next().map(String::as_str),
        t => t,
    };
    let Some(target) = target else {
        return Some("~".to_string());
    };
    if target == "~" || target.starts_with("~/") {
        return Some(target.to_string());
    }
    for home in ["$HOME", "${HOME}"] {
        if let Some(rest) = target.strip_prefix(home) {
            if rest.is_empty() || rest.starts_with('/') {
                return Some(format!("~{rest}"));
            }
        }
    }
    if target.contains(['$', '`', '*', '?', '[']) || target == "-" {
        return None;
    }
    if target.starts_with('/') {
        return Some(super::effects::lexically_normal(target));
    }
    let cwd = cwd?;
    Some(if cwd.starts_with('/') {
        super::effects::lexically_normal(&format!("{}/{target}", cwd.trim_end_matches('/')))
    } else {
        format!("{}/{target}", cwd.trim_end_matches('/'))
    })
}

/// An operand that means the whole directory `cwd` (`.`, `./`) or everything in it
/// (`*`, `./*`, `.*`), written as that directory.
fn whole_directory(cwd: &str, operand: &str) -> Option<String> {
    let base = cwd.trim_end_matches('/');
    match operand {
        "." | "./" => Some(if base.is_empty() {
            "/".to_string()
        } else {
            base.to_string()
        }),
        "*" | "./*" => Some(format!("{base}/*")),
        ".*" | "./.*" => Some(format!("{base}/.*")),
        _ => None,
    }
}
