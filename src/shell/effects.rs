//! What a simple command does besides running a program, as the walk in `simple.rs`
//! reads it: a redirection that empties a file, an arithmetic expansion that may hold
//! commands, a deleting program whose operands `xargs` supplies.

use super::words::Expanded;
use brush_parser::ast;

/// `rm -f`, `shred -u`, `unlink`...: a deleting program with no operand of its own, whose
/// operands `xargs` supplies.
pub(super) fn deletes_its_operands(argv: &[String]) -> bool {
    // `xargs sudo -u x rm`, `xargs nice env A=1 rm`: the program behind the wrappers, as
    // the wrappers' own readers find it.
    let mut argv = argv.to_vec();
    for _ in 0..4 {
        match super::unwrap::inner(&argv).as_slice() {
            [super::unwrap::Inner::Argv { argv: next, .. }] => argv = next.clone(),
            _ => break,
        }
    }
    let program = argv.first().map(|p| p.rsplit('/').next().unwrap_or(p));
    matches!(program, Some("rm" | "shred" | "unlink" | "srm" | "rmdir"))
        && argv.iter().skip(1).all(|a| a.starts_with('-'))
}
/// The file a redirection overwrites with standard output, if it does.
pub(super) fn overwritten(io: &ast::IoRedirect) -> Option<String> {
    use ast::{IoFileRedirectKind as K, IoFileRedirectTarget as T, IoRedirect as R};
    match io {
        R::File(fd, K::Write | K::Clobber, T::Filename(w)) if fd.is_none_or(|f| f == 1) => {
            Some(w.value.clone())
        }
        _ => None,
    }
}
/// An absolute path with its `.` and `..` steps taken as written (`/tmp/../etc/passwd` is
/// `/etc/passwd`), so a rule about a place sees the place; anything else as it is.
pub(super) fn lexically_normal(path: &str) -> String {
    if !path.starts_with('/') || !path.split('/').any(|s| s == "." || s == "..") {
        return path.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for step in path.split('/') {
        match step {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let tail = if path.ends_with('/') && !parts.is_empty() {
        "/"
    } else {
        ""
    };
    format!("/{}{tail}", parts.join("/"))
}
/// A command that writes nothing to standard output: none at all (`> FILE`), `:`,
/// `true`, `cat /dev/null`, `echo -n`, `echo ''`, `printf ''`.
pub(super) fn writes_nothing(words: &[Expanded]) -> bool {
    let w: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    match w.as_slice() {
        [] | [":"] | ["true"] | ["cat", "/dev/null"] => true,
        ["echo", rest @ ..] => {
            rest.iter().all(|a| a.is_empty() || *a == "-n") && rest.contains(&"-n")
                || rest.iter().all(|a| a.is_empty()) && !rest.is_empty()
        }
        ["printf", rest @ ..] => rest.iter().all(|a| a.is_empty()) && !rest.is_empty(),
        _ => false,
    }
}
/// Whether an arithmetic expansion's text may be commands after all: a substitution in
/// it, or two words side by side with no operator between (arithmetic never has that).
pub(super) fn may_hold_commands(expr: &str) -> bool {
    if expr.contains("$(") || expr.contains('`') {
        return true;
    }
    let wordy = |t: &str| {
        let t = t.trim_matches(|c| c == '(' || c == ')');
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
    };
    let tokens: Vec<&str> = expr.split_whitespace().collect();
    tokens.windows(2).any(|w| wordy(w[0]) && wordy(w[1]))
}
