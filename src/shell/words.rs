//! Quote removal and what guard can know of a word before it runs: literal text stays,
//! quoting goes (`terr''aform`, `"destroy"`, `\terraform`, `$'\x74f'`), a variable whose
//! literal value was assigned earlier in the same string is substituted, and any other
//! expansion is kept as its source text (`$HOME`, `$(which terraform)`) with the word
//! marked as not literal. Command substitutions are handed back so their commands are
//! checked too: they run, even inside a quoted argument.

use brush_parser::ParserOptions;
use brush_parser::word::{Parameter, ParameterExpr, WordPiece, WordPieceWithSource};
use std::collections::HashMap;

/// A word after quote removal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    pub text: String,
    /// False when some part is only known when the shell runs.
    pub literal: bool,
    /// The source of each command substitution in the word (`$(...)`, backquotes).
    pub substitutions: Vec<String>,
    /// Characters other than blanks that come from literal text (not expansions).
    pub fixed: usize,
    /// An unquoted glob or brace expression: the shell may turn the word into others.
    pub pattern: bool,
    /// The text of each arithmetic expansion: bash runs `$((cmd) )` as a command
    /// substitution when it is not arithmetic, so it is read as a program too.
    pub arithmetic: Vec<String>,
}

/// Expands one word; `vars` holds literal values assigned earlier in the input.
pub fn expand(word: &str, vars: &HashMap<String, String>) -> Result<Expanded, String> {
    // Most words are plain text: no quoting, escapes or expansions to read.
    if !word.starts_with('~') && !word.contains(['\'', '"', '\\', '$', '`']) {
        return Ok(Expanded {
            text: word.to_string(),
            literal: true,
            pattern: is_pattern(word),
            fixed: word.len(),
            ..Expanded::default()
        });
    }
    let pieces = brush_parser::word::parse(word, &ParserOptions::default())
        .map_err(|e| format!("cannot read the word `{word}`: {e}"))?;
    let mut out = Expanded {
        literal: true,
        ..Expanded::default()
    };
    push_pieces(word, &pieces, vars, false, &mut out);
    Ok(out)
}

/// What `echo WORD...` prints, when its words are plain text (no options, expansions,
/// escapes or operators) or one single-quoted string.
fn echoed(code: &str) -> Option<String> {
    let rest = code.trim().strip_prefix("echo ")?.trim();
    if let Some(inner) = rest.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return (!inner.contains('\'')).then(|| inner.to_string());
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || " _./~:=@%+,-".contains(c);
    (!rest.is_empty() && !rest.starts_with('-') && rest.chars().all(plain))
        .then(|| rest.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Expands a heredoc body (quotes are literal there).
pub fn expand_heredoc(body: &str, expand_params: bool, vars: &HashMap<String, String>) -> Expanded {
    if !expand_params {
        return Expanded {
            text: body.to_string(),
            fixed: body.len(),
            literal: true,
            ..Expanded::default()
        };
    }
    match brush_parser::word::parse_heredoc(body, &ParserOptions::default()) {
        Ok(pieces) => {
            let mut out = Expanded {
                literal: true,
                ..Expanded::default()
            };
            push_pieces(body, &pieces, vars, true, &mut out);
            out
        }
        Err(_) => Expanded {
            text: body.to_string(),
            literal: false,
            ..Expanded::default()
        },
    }
}

fn push_pieces(
    src: &str,
    pieces: &[WordPieceWithSource],
    vars: &HashMap<String, String>,
    quoted: bool,
    out: &mut Expanded,
) {
    for p in pieces {
        let raw = src.get(p.start_index..p.end_index).unwrap_or_default();
        match &p.piece {
            WordPiece::Text(t) | WordPiece::SingleQuotedText(t) => {
                let unquoted = matches!(p.piece, WordPiece::Text(_)) && !quoted;
                out.pattern |= unquoted && is_pattern(t);
                out.fixed += t.chars().filter(|c| !c.is_whitespace()).count();
                out.text.push_str(t);
            }
            WordPiece::AnsiCQuotedText(t) => {
                out.fixed += t.len();
                out.text.push_str(&decode_ansi_c(t));
            }
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                push_pieces(src, inner, vars, true, out);
            }
            WordPiece::EscapeSequence(e) => {
                out.fixed += 1;
                let c = e.strip_prefix('\\').unwrap_or(e);
                // Inside double quotes a backslash only escapes $ ` " \ and newline.
                if quoted && !matches!(c, "$" | "`" | "\"" | "\\" | "\n") {
                    out.text.push_str(e);
                } else if c != "\n" {
                    out.text.push_str(c);
                }
            }
            WordPiece::TildeExpansion(_) => {
                out.fixed += 1;
                out.text.push_str(raw);
            }
            WordPiece::ParameterExpansion(expr) => match known_value(expr, vars) {
                Some(v) => {
                    // Unquoted, a value with blanks (or any value once IFS is changed)
                    // is split into several words: not one literal word.
                    if !quoted && (v.contains(char::is_whitespace) || vars.contains_key("IFS")) {
                        out.literal = false;
                    }
                    out.fixed += v.len();
                    out.text.push_str(v);
                }
                None => {
                    // `${x:-$(cmd)}`, `${x/$(cmd)/y}`: substitutions inside run too.
                    out.substitutions
                        .extend(substitutions_in(raw.get(1..).unwrap_or_default()));
                    out.text.push_str(raw);
                    out.literal = false;
                }
            },
            WordPiece::CommandSubstitution(s) | WordPiece::BackquotedCommandSubstitution(s) => {
                out.substitutions.push(s.clone());
                // `$(echo /)` is `/`: what echo of plain words prints is known.
                // Unquoted, several words are split into several operands: not one word.
                match echoed(s).filter(|v| quoted || !v.contains(' ')) {
                    Some(v) => {
                        out.fixed += v.len();
                        out.text.push_str(&v);
                    }
                    None => {
                        out.text.push_str(raw);
                        out.literal = false;
                    }
                }
            }
            WordPiece::ArithmeticExpression(expr) => {
                out.arithmetic.push(expr.value.clone());
                out.text.push_str(raw);
                out.literal = false;
            }
        }
    }
}

/// Brace expansion as bash does it for `{a,b}` lists (nested too) and `{1..3}` ranges:
/// `-{auto-approve,destroy}` is two words. Text without a brace expression is one word;
/// at most `MAX_BRACE_WORDS` words come out (the rest is dropped, the caller having
/// marked the word as a pattern anyway).
pub fn brace_expand(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    expand_into(t, &mut out);
    out
}

const MAX_BRACE_WORDS: usize = 256;

fn expand_into(t: &str, out: &mut Vec<String>) {
    if out.len() >= MAX_BRACE_WORDS {
        return;
    }
    let Some((open, close, parts)) = first_brace(t) else {
        out.push(t.to_string());
        return;
    };
    let (prefix, suffix) = (&t[..open], &t[close + 1..]);
    for part in parts {
        expand_into(&format!("{prefix}{part}{suffix}"), out);
    }
}

/// The first `{...}` that expands: its bounds and alternatives.
fn first_brace(t: &str) -> Option<(usize, usize, Vec<String>)> {
    let b = t.as_bytes();
    for open in (0..b.len()).filter(|&i| b[i] == b'{') {
        let mut depth = 0;
        let mut commas = Vec::new();
        for (i, &c) in b.iter().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = &t[open + 1..i];
                        if !commas.is_empty() {
                            let mut parts = Vec::new();
                            let mut from = open + 1;
                            for &c in &commas {
                                parts.push(t[from..c].to_string());
                                from = c + 1;
                            }
                            parts.push(t[from..i].to_string());
                            return Some((open, i, parts));
                        }
                        if let Some(parts) = range(inner) {
                            return Some((open, i, parts));
                        }
                        break;
                    }
                }
                b',' if depth == 1 => commas.push(i),
                _ => {}
            }
        }
    }
    None
}

/// `1..3`, `a..c`: a short sequence.
fn range(inner: &str) -> Option<Vec<String>> {
    let (a, z) = inner.split_once("..")?;
    if let (Ok(a), Ok(z)) = (a.parse::<i64>(), z.parse::<i64>()) {
        let (lo, hi) = (a.min(z), a.max(z));
        return (hi - lo < MAX_BRACE_WORDS as i64)
            .then(|| (lo..=hi).map(|n| n.to_string()).collect());
    }
    let (a, z) = (a.chars().next()?, z.chars().next()?);
    (inner.len() == 4 && a.is_ascii_alphabetic() && z.is_ascii_alphabetic())
        .then(|| (a.min(z)..=a.max(z)).map(String::from).collect())
}

/// Whether unquoted text would be expanded by the shell into other words: a glob
/// (`*`, `?`, `[...]`) or a brace expression (`{a,b}`, `{1..3}`).
pub fn is_pattern(t: &str) -> bool {
    // Most words hold none of the four: one pass over the bytes says so.
    if !t.bytes().any(|c| matches!(c, b'*' | b'?' | b'[' | b'{')) {
        return false;
    }
    // A `[` with no `]` after it (`[ -n "$x" ]`'s first word) is a plain character.
    t.contains(['*', '?'])
        || t.find('[').is_some_and(|open| t[open + 1..].contains(']'))
        || t.find('{').is_some_and(|open| {
            t[open..].find('}').is_some_and(|close| {
                let inner = &t[open..open + close];
                inner.contains(',') || inner.contains("..")
            })
        })
}

/// The value of `$NAME`, `${NAME}`, `$1` or `$@` when it is known: assigned a literal
/// earlier, or a positional parameter of a function call or `sh -c` seen in the input.
fn known_value<'a>(expr: &ParameterExpr, vars: &'a HashMap<String, String>) -> Option<&'a str> {
    use brush_parser::word::SpecialParameter as S;
    let ParameterExpr::Parameter {
        parameter,
        indirect: false,
    } = expr
    else {
        return None;
    };
    let key = match parameter {
        Parameter::Named(name) => name.clone(),
        Parameter::Positional(n) => n.to_string(),
        Parameter::Special(S::AllPositionalParameters { .. }) => "@".to_string(),
        _ => return None,
    };
    vars.get(&key).map(String::as_str)
}

/// The command substitutions (`$(...)`, backquotes) anywhere in a text, found by
/// matching parentheses; for places the word parser leaves unexpanded.
pub fn substitutions_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'(') && bytes.get(i + 2) != Some(&b'(') {
            let start = i + 2;
            let mut depth = 1;
            let mut j = start;
            while j < bytes.len() && depth > 0 {
                match bytes[j] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            if depth == 0 {
                out.push(text[start..j - 1].to_string());
            }
            i = j;
        } else if bytes[i] == b'`' {
            match text[i + 1..].find('`') {
                Some(end) => {
                    out.push(text[i + 1..i + 1 + end].to_string());
                    i += end + 2;
                }
                None => break,
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Decodes `echo` text the way dash's echo does (and bash's `echo -e`): `\\`, `\a`,
/// `\b`, `\f`, `\n`, `\r`, `\t`, `\v`, `\0NNN`, and `\c` ends the output.
pub fn decode_echo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('v') => out.push('\x0b'),
            Some('c') => break,
            Some('0') => {
                let mut n = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(n).unwrap_or('\0'));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Decodes a `printf %b` argument: like `$'...'`, but octal is written `\0NNN`.
pub fn decode_printf_b(s: &str) -> String {
    let mut fixed = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("\\0") {
        fixed.push_str(&rest[..at]);
        let digits: String = rest[at + 2..]
            .chars()
            .take_while(|c| c.is_digit(8))
            .take(3)
            .collect();
        match u32::from_str_radix(&digits, 8)
            .ok()
            .and_then(char::from_u32)
        {
            Some(c) if !digits.is_empty() => fixed.push(c),
            _ => fixed.push('\0'),
        }
        rest = &rest[at + 2 + digits.len()..];
    }
    fixed.push_str(rest);
    decode_ansi_c(&fixed)
}

/// Decodes the body of `$'...'` the way bash does.
pub fn decode_ansi_c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '?' => Some(e),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            continue;
        }
        let (radix, max) = match e {
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='7' => (8, 3),
            'c' => {
                if let Some(ctl) = chars.next() {
                    out.push(char::from((ctl as u8) & 0x1f));
                }
                continue;
            }
            _ => {
                out.push('\\');
                out.push(e);
                continue;
            }
        };
        let mut digits = String::new();
        if radix == 8 {
            digits.push(e);
        }
        while digits.len() < max {
            match chars.peek() {
                Some(d) if d.is_digit(radix) => {
                    digits.push(*d);
                    chars.next();
                }
                _ => break,
            }
        }
        match u32::from_str_radix(&digits, radix)
            .ok()
            .and_then(char::from_u32)
        {
            Some(ch) if !digits.is_empty() => out.push(ch),
            _ => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    out
}

/// Splits an environment variable's value into words the way tools such as terraform do
/// for `TF_CLI_ARGS`: on white space, with single and double quotes grouping.
pub fn split_env_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in value.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod brace_tests {
    use super::brace_expand;

    #[test]
    fn braces_expand_as_bash_does() {
        assert_eq!(
            brace_expand("{destroy,-auto-approve}"),
            ["destroy", "-auto-approve"]
        );
        assert_eq!(brace_expand("-{a,b}x"), ["-ax", "-bx"]);
        assert_eq!(brace_expand("{a,{b,c}}"), ["a", "b", "c"]);
        assert_eq!(brace_expand("v{1..3}"), ["v1", "v2", "v3"]);
        assert_eq!(brace_expand("{a}"), ["{a}"]);
        assert_eq!(brace_expand("plain"), ["plain"]);
        assert_eq!(brace_expand("{a,b}{c,d}").len(), 4);
        assert!(brace_expand(&"{a,b}".repeat(20)).len() <= 256);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(w: &str) -> String {
        let e = expand(w, &HashMap::new()).unwrap();
        assert!(e.literal, "{w} should be literal");
        e.text
    }

    #[test]
    fn quote_removal() {
        assert_eq!(lit("terr''aform"), "terraform");
        assert_eq!(lit(r#""terraform""#), "terraform");
        assert_eq!(lit(r"\terraform"), "terraform");
        assert_eq!(lit(r#""a\"b\$c\d""#), r#"a"b$c\d"#);
        assert_eq!(lit(r"$'\x74erraform'"), "terraform");
        assert_eq!(lit(r"$'de\163troy'"), "destroy");
        assert_eq!(lit("'rm -rf /'"), "rm -rf /");
        assert_eq!(lit("~"), "~");
        assert_eq!(lit("/*"), "/*");
    }

    #[test]
    fn expansions_are_kept_and_flagged() {
        let e = expand("$HOME/x", &HashMap::new()).unwrap();
        assert_eq!(e.text, "$HOME/x");
        assert!(!e.literal);
        let e = expand(r#""$(which terraform)""#, &HashMap::new()).unwrap();
        assert!(!e.literal);
        assert_eq!(e.substitutions, ["which terraform"]);
        let vars = HashMap::from([("t".to_string(), "terraform".to_string())]);
        let e = expand("$t", &vars).unwrap();
        assert_eq!((e.text.as_str(), e.literal), ("terraform", true));
        let e = expand("${t}", &vars).unwrap();
        assert_eq!(e.text, "terraform");
    }

    #[test]
    fn substitutions_hidden_in_expansions() {
        let e = expand("${x:-$(terraform destroy)}", &HashMap::new()).unwrap();
        assert_eq!(e.substitutions, ["terraform destroy"]);
        let e = expand("\"${x/`rm -rf /`/y}\"", &HashMap::new()).unwrap();
        assert_eq!(e.substitutions, ["rm -rf /"]);
        assert_eq!(substitutions_in("[[ -n $(a (b)) ]] `c`"), ["a (b)", "c"]);
        assert!(substitutions_in("$((1+2))").is_empty());
    }

    #[test]
    fn positional_parameters() {
        let vars = HashMap::from([("1".to_string(), "destroy".to_string())]);
        assert_eq!(expand("\"$1\"", &vars).unwrap().text, "destroy");
    }

    #[test]
    fn ansi_c_escapes() {
        assert_eq!(decode_ansi_c(r"a\nb\tc\\\'"), "a\nb\tc\\'");
        assert_eq!(decode_ansi_c(r"\u00e9\x41\101\cA"), "éAA\x01");
        assert_eq!(decode_ansi_c(r"\q\x"), r"\q\x");
    }
}
