//! Commands inside an interpreter's inline code: what it hands to a shell or runs as a
//! program — `os.system("…")`, `subprocess.run(["…", …])`, Perl's and Ruby's `system`,
//! backquotes and `qx{}`/`%x{}`, Node's `execSync('…')`, PHP's `shell_exec`. Read from
//! the literal strings passed to those calls; code that builds its command some other
//! way stays the inline-code concern it already is.

use regex_lite::Regex;
use std::sync::OnceLock;

/// The shell commands literally present in `code`'s calls that run commands.
pub fn commands_in(code: &str) -> Vec<String> {
    // Every pattern below needs one of these words: code without any (`{print $2}`, most
    // awk and most one-liners) is not searched.
    const HINTS: &[&str] = &[
        "system",
        "popen",
        "exec",
        "spawn",
        "check_",
        "call",
        "run",
        "Popen",
        "output",
        "passthru",
        "proc_open",
        "`",
        "qx",
        "%x",
    ];
    if !HINTS.iter().any(|h| code.contains(h)) {
        return Vec::new();
    }
    static CALL: OnceLock<Option<Regex>> = OnceLock::new();
    static LIST: OnceLock<Option<Regex>> = OnceLock::new();
    static QUOTED: OnceLock<Option<Regex>> = OnceLock::new();
    static BACKTICK: OnceLock<Option<Regex>> = OnceLock::new();
    let call = CALL.get_or_init(|| {
        Regex::new(
            r#"\b(?:system|popen|exec[lvpe]*|spawn[A-Za-z]*|execSync|execFileSync|spawnSync|check_output|check_call|call|run|Popen|getoutput|getstatusoutput|shell_exec|passthru|proc_open)\s*\(\s*(?:[rRbBuUfF]{1,2})?(?:"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)')"#,
        )
        .ok()
    });
    let list = LIST.get_or_init(|| {
        Regex::new(
            r#"\b(?:run|call|check_call|check_output|Popen|execvp?e?|spawn[A-Za-z]*|execFileSync)\s*\(\s*\[([^\]]*)\]"#,
        )
        .ok()
    });
    let quoted =
        QUOTED.get_or_init(|| Regex::new(r#""((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'"#).ok());
    let backtick = BACKTICK
        .get_or_init(|| Regex::new(r"`([^`]+)`|%x\{([^}]*)\}|qx\{([^}]*)\}|qx\(([^)]*)\)").ok());
    let mut out = Vec::new();
    if let Some(re) = call {
        for c in calls(re, code) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                out.push(unescape(m.as_str()));
            }
        }
    }
    if let (Some(re), Some(q)) = (list, quoted) {
        for c in re.captures_iter(code) {
            let words: Vec<String> = q
                .captures_iter(&c[1])
                .filter_map(|w| w.get(1).or_else(|| w.get(2)).map(|m| unescape(m.as_str())))
                .collect();
            if !words.is_empty() {
                out.push(
                    words
                        .iter()
                        .map(|w| crate::shell::quote(w))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
    }
    if let Some(re) = backtick {
        for c in re.captures_iter(code) {
            if let Some(m) = (1..=4).find_map(|i| c.get(i)) {
                out.push(m.as_str().to_string());
            }
        }
    }
    out
}

/// The files and trees inline code deletes with a literal path, as the `rm` command that
/// does the same: Python's `shutil.rmtree('data')` is `rm -rf data`, `os.remove('x.db')`
/// is `rm x.db`; likewise Node's `fs.rmSync(P, {recursive: true})`, `rimraf`, fs-extra's
/// `remove`, Ruby's `FileUtils.rm_rf` and `File.delete`, Perl's `unlink` (of a `glob`
/// too) and `File::Path`'s `rmtree`/`remove_tree`, PHP's `unlink`. The rules for `rm`
/// then decide, so a build directory passes and a data directory does not.
pub fn deletions_in(code: &str) -> Vec<String> {
    const HINTS: &[&str] = &[
        "rmtree", "rm_r", "remove", "unlink", "rimraf", "rm", "delete", "emptyDir",
    ];
    if !HINTS.iter().any(|h| code.contains(h)) {
        return Vec::new();
    }
    // A quoted path: group `q` (double quotes) or `s` (single quotes), with Python's
    // string prefixes (`r'…'`, `b"…"`) and the wrappers that only name a path
    // (`Path('…')`, `os.path.expanduser('~/…')`, `Pathname.new('…')`) around it.
    const WRAP: &str = r"(?:(?:pathlib\.)?(?:Pure)?(?:Posix)?Path\s*\(\s*|Pathname(?:\.new)?\s*\(\s*|os\.path\.(?:expanduser|abspath|realpath)\s*\(\s*)?(?:[rRbBuU]{1,2})?";
    const PREFIX: &str = "(?:[rRbBuU]{1,2})?";
    const PATH: &str = r#"(?:"(?P<q>(?:\\.|[^"\\])*)"|'(?P<s>(?:\\.|[^'\\])*)')"#;
    const PATH2: &str = r#"(?:"(?P<q2>(?:\\.|[^"\\])*)"|'(?P<s2>(?:\\.|[^'\\])*)')"#;
    static TREE: OnceLock<Option<Regex>> = OnceLock::new();
    static FILE: OnceLock<Option<Regex>> = OnceLock::new();
    static NODE: OnceLock<Option<Regex>> = OnceLock::new();
    let tree = TREE.get_or_init(|| {
        Regex::new(&format!(
            r"(?:\bshutil\.rmtree|FileUtils\.(?:rm_rf|rm_r|remove_dir|remove_entry(?:_secure)?|rmtree)|\brmtree|\bremove_tree|\brimraf(?:\.sync|Sync)?|(?:\b(?:fse|fsExtra|fs)|\))\.(?:remove|emptyDir)(?:Sync)?)\s*\(?\s*{WRAP}{PATH}\s*(?:[),;]|$)|\bPathname(?:\.new)?\s*\(\s*{PREFIX}{PATH2}\s*\)\.rmtree\b"
        ))
        .ok()
    });
    let file = FILE.get_or_init(|| {
        Regex::new(&format!(
            r"(?:\bos\.(?:remove|unlink)|\bFile\.(?:delete|unlink)|FileUtils\.(?:rm_f|rm|remove_file)|\bunlink(?:Sync)?)\s*\(?\s*(?P<glob>glob\s*\(?\s*)?{WRAP}{PATH}|\bPath\s*\(\s*{PREFIX}{PATH2}\s*\)\.unlink\s*\("
        ))
        .ok()
    });
    let node = NODE.get_or_init(|| {
        Regex::new(&format!(
            r"(?:\b(?:fs|fsp|promises|Deno)|\))\.(?:rm|rmSync|rmdir|rmdirSync|remove)\s*\(\s*{WRAP}{PATH}(?P<rest>[^)]*)"
        ))
        .ok()
    });
    let path = |c: &regex_lite::Captures| {
        ["q", "s", "q2", "s2"]
            .iter()
            .find_map(|n| c.name(n))
            .map(|m| unescape(m.as_str()))
    };
    let mut out = Vec::new();
    if let Some(re) = tree {
        for c in calls(re, code) {
            out.extend(path(&c).map(|p| format!("rm -rf {}", crate::shell::quote(&p))));
        }
    }
    if let Some(re) = file {
        for c in calls(re, code) {
            let Some(p) = path(&c) else { continue };
            // A glob's pattern is expanded as the shell would: left unquoted when it is
            // only a pattern.
            let pattern = c.name("glob").is_some()
                && p.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-_./*?[]".contains(ch));
            let word = if pattern { p } else { crate::shell::quote(&p) };
            out.push(format!("rm {word}"));
        }
    }
    if let Some(re) = node {
        for c in calls(re, code) {
            let Some(p) = path(&c) else { continue };
            let recursive = c
                .name("rest")
                .is_some_and(|r| r.as_str().contains("recursive"));
            let flags = if recursive { "-rf " } else { "" };
            out.push(format!("rm {flags}{}", crate::shell::quote(&p)));
        }
    }
    out
}

/// The matches of `re` in `code` that are not inside a string literal.
fn calls<'a>(re: &'a Regex, code: &'a str) -> impl Iterator<Item = regex_lite::Captures<'a>> {
    // A match that starts inside a string is data, and the search goes on from the next
    // byte, not past it: `x='unlink'; os.remove('/etc/passwd')` must not hide the call.
    let mut at = 0;
    std::iter::from_fn(move || {
        while at <= code.len() {
            let c = re.captures_at(code, at)?;
            let m = c.get(0)?;
            if in_string(code, m.start()) {
                at = code[m.start()..]
                    .char_indices()
                    .nth(1)
                    .map_or(code.len() + 1, |(n, _)| m.start() + n);
                continue;
            }
            at = m.end().max(m.start() + 1);
            return Some(c);
        }
        None
    })
}

/// Whether byte `at` of `code` is inside a string literal (quoted with `'`, `"` or
/// `` ` ``): a call written inside one is data, as in `print('os.remove("x")')`.
fn in_string(code: &str, at: usize) -> bool {
    let mut open: Option<u8> = None;
    let mut escaped = false;
    for &b in &code.as_bytes()[..at.min(code.len())] {
        match open {
            Some(_) if escaped => escaped = false,
            Some(_) if b == b'\\' => escaped = true,
            Some(q) if b == q => open = None,
            Some(_) => {}
            None if matches!(b, b'\'' | b'"' | b'`') => open = Some(b),
            None => {}
        }
    }
    open.is_some()
}

/// `\"` and `\\` as the string means them.
fn unescape(s: &str) -> String {
    s.replace("\\\"", "\"")
        .replace("\\'", "'")
        .replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_handed_to_a_shell_are_found() {
        assert_eq!(
            commands_in(r#"import os; os.system("terraform destroy -auto-approve")"#),
            ["terraform destroy -auto-approve"]
        );
        assert_eq!(
            commands_in(
                r#"import subprocess; subprocess.run(["kubectl", "delete", "ns", "prod"])"#
            ),
            ["kubectl delete ns prod"]
        );
        assert_eq!(
            commands_in(r#"system("kubectl delete ns prod")"#),
            ["kubectl delete ns prod"]
        );
        assert_eq!(commands_in("`dropdb shop`"), ["dropdb shop"]);
        assert_eq!(
            commands_in("import ctypes; ctypes.CDLL(None).system(b'rm -rf /srv')"),
            ["rm -rf /srv"]
        );
        assert_eq!(
            commands_in(r#"require('child_process').execSync('aws s3 rb s3://old-logs --force')"#),
            ["aws s3 rb s3://old-logs --force"]
        );
        assert!(commands_in(r#"print("terraform destroy")"#).is_empty());
        assert!(commands_in("x = 1 + 2").is_empty());
    }

    #[test]
    fn deletions_are_read_as_the_rm_that_does_the_same() {
        let cases: &[(&str, &[&str])] = &[
            (
                "import shutil; shutil.rmtree('/srv/data')",
                &["rm -rf /srv/data"],
            ),
            (r#"import os; os.remove("prod.db")"#, &["rm prod.db"]),
            (
                "from pathlib import Path; Path('app.sqlite').unlink()",
                &["rm app.sqlite"],
            ),
            (
                "require('fs').rmSync('data', {recursive: true})",
                &["rm -rf data"],
            ),
            ("fs.unlinkSync('state.json')", &["rm state.json"]),
            (
                r#"require "fileutils"; FileUtils.rm_rf("/var/lib/app")"#,
                &["rm -rf /var/lib/app"],
            ),
            (r#"unlink glob "*.db""#, &["rm *.db"]),
            ("use File::Path; rmtree('/data')", &["rm -rf /data"]),
            (r#"unlink("database.sqlite");"#, &["rm database.sqlite"]),
            ("rimraf.sync('dist')", &["rm -rf dist"]),
            ("shutil.rmtree(r'/srv/data')", &["rm -rf /srv/data"]),
            (
                "shutil.rmtree(os.path.expanduser('~/work'))",
                &["rm -rf ~/work"],
            ),
            (
                "import pathlib; shutil.rmtree(pathlib.Path('/var/lib/app'))",
                &["rm -rf /var/lib/app"],
            ),
            ("os.remove(b'state.db')", &["rm state.db"]),
            ("Path(r'app.sqlite').unlink()", &["rm app.sqlite"]),
            (
                "Pathname.new('/srv/uploads').rmtree",
                &["rm -rf /srv/uploads"],
            ),
            (
                "require('fs-extra').emptyDirSync('/srv/www')",
                &["rm -rf /srv/www"],
            ),
            (
                "await fs.promises.rm('cache', { force: true })",
                &["rm cache"],
            ),
        ];
        for (code, want) in cases {
            assert_eq!(deletions_in(code), *want, "{code}");
        }
        assert!(deletions_in("print('rm -rf /')").is_empty());
        assert!(deletions_in("os.remove(path)").is_empty());
        assert!(deletions_in("x.delete()").is_empty());
        assert!(deletions_in(r#"print('os.remove("prod.db")')"#).is_empty());
        assert_eq!(
            deletions_in("x='unlink'; import os; os.remove('/etc/passwd')"),
            ["rm /etc/passwd"]
        );
    }
}
