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
            r#"\b(?:system|popen|exec[lvpe]*|spawn[A-Za-z]*|execSync|execFileSync|spawnSync|check_output|check_call|call|run|Popen|getoutput|getstatusoutput|shell_exec|passthru|proc_open)\s*\(\s*(?:"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)')"#,
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
        for c in re.captures_iter(code) {
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
            commands_in(r#"require('child_process').execSync('aws s3 rb s3://old-logs --force')"#),
            ["aws s3 rb s3://old-logs --force"]
        );
        assert!(commands_in(r#"print("terraform destroy")"#).is_empty());
        assert!(commands_in("x = 1 + 2").is_empty());
    }
}
