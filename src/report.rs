//! What guard prints about a decision: the human explanation (sanitised) and the stable
//! JSON object of `guard check --json`.

use crate::decision::Decision;
use crate::matcher::Finding;
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
pub fn check_json(command: &str, decision: Decision, findings: &[Finding]) -> String {
    let report = CheckReport {
        version: JSON_VERSION,
        decision,
        command,
        findings,
    };
    serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
