//! What guard prints about a decision: the human explanation (sanitised) and the stable
//! JSON object of `guard check --json`.

use crate::decision::Decision;
use crate::finding::Finding;
use crate::sanitize::sanitize;
use serde::Serialize;
use std::fmt::Write as _;

/// Version of the `guard check --json` object. Fields are only ever added.
pub const JSON_VERSION: u32 = 1;

/// The `guard check --json` object.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub version: u32,
    pub decision: Decision,
    /// The input, shell-quoted.
    pub command: &'a str,
    pub findings: &'a [Finding],
    /// The digest of the plans read, when the decision came from a plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<&'a str>,
    /// What the plans destroy or recreate, by address.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub resources: &'a [String],
}

/// One line per finding and its details, indented, for prompts, refusals and `check`.
pub fn explain(command: &str, findings: &[Finding]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "  command: {}", sanitize(command));
    for f in findings {
        let _ = writeln!(
            s,
            "  rule:    {} ({}): {}",
            f.rule,
            f.severity,
            sanitize(&f.reason)
        );
        if f.command != command {
            let _ = writeln!(s, "    in:    {}", sanitize(&f.command));
        }
        if !f.origin.is_empty() && f.command != command {
            let _ = writeln!(s, "    at:    {}", sanitize(&f.origin));
        }
        if let Some(t) = &f.target {
            let _ = writeln!(s, "    target: {}", sanitize(t));
        }
        if let Some(env) = &f.protected_environment {
            let _ = writeln!(
                s,
                "    protected environment `{}`: raised from {} to {}",
                sanitize(env),
                f.rule_severity,
                f.severity
            );
        }
        if let Some(var) = &f.via_env {
            let _ = writeln!(s, "    via the environment variable {var}");
        }
        if let Some(alt) = &f.suggestion {
            let _ = writeln!(s, "    safer: {}", sanitize(alt));
        }
    }
    s
}

/// `guard check`'s human output.
pub fn check_text(command: &str, decision: Decision, findings: &[Finding]) -> String {
    if findings.is_empty() {
        return format!("{decision}: {} (no rule matched)\n", sanitize(command));
    }
    format!("{decision}\n{}", explain(command, findings))
}

/// `guard check --json`'s output: one line of JSON.
pub fn check_json(
    command: &str,
    decision: Decision,
    findings: &[Finding],
    plan: Option<&str>,
    resources: &[String],
) -> String {
    let report = CheckReport {
        version: JSON_VERSION,
        decision,
        command,
        findings,
        plan,
        resources,
    };
    serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// A refusal as one line, for CI logs: the first line, each rule with its reason, and
/// the approver's command when there is one.
pub fn one_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut out = lines.next().unwrap_or_default().to_string();
    let mut seen_rules = Vec::new();
    for l in lines {
        if let Some(rule) = l.strip_prefix("rule:") {
            let rule = rule.trim();
            if !seen_rules.contains(&rule) {
                seen_rules.push(rule);
                out.push_str("; rule ");
                out.push_str(rule);
            }
        } else if let Some(code) = l.strip_prefix("guard approve ") {
            out.push_str("; an approver runs `guard approve ");
            out.push_str(code);
            out.push_str("` and the job runs again with GUARD_APPROVAL set to the token");
        } else if l.starts_with("(an approval stands in") {
            out.push_str(
                " (for a confirm-level command, only with [approvals] token_confirms = true)",
            );
        }
    }
    out
}

/// A GitHub Actions error annotation (a workflow command, read from stdout) carrying
/// `message`; `%`, CR and LF are escaped as the workflow-command syntax requires.
pub fn github_error(title: &str, message: &str) -> String {
    let esc = |s: &str, prop: bool| {
        let mut o = s
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        if prop {
            o = o.replace(':', "%3A").replace(',', "%2C");
        }
        o
    };
    format!(
        "::error title={}::{}",
        esc(title, true),
        esc(message, false)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_keeps_the_reason_the_rules_and_the_approver_line() {
        let text = "rm -rf / (deny): never run\n  command: rm -rf /\n  rule:    fs.rm-root (deny): deletes everything\n  rule:    fs.rm-root (deny): deletes everything\n";
        assert_eq!(
            one_line(text),
            "rm -rf / (deny): never run; rule fs.rm-root (deny): deletes everything"
        );
        let two = "x (two-person): needs approval\napproval request:\n  command: x\nan approver (not you) runs:\n  guard approve guard-request-v1.abc\nthen run it again";
        assert_eq!(
            one_line(two),
            "x (two-person): needs approval; an approver runs `guard approve guard-request-v1.abc` and the job runs again with GUARD_APPROVAL set to the token"
        );
        assert!(!one_line(two).contains('\n'));
    }

    #[test]
    fn github_annotations_escape_what_the_syntax_reserves() {
        assert_eq!(
            github_error("a: b, c", "100% sure\r\nnext"),
            "::error title=a%3A b%2C c::100%25 sure%0D%0Anext"
        );
    }
}
