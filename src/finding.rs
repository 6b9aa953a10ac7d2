//! One rule (or one of guard's own checks) that matched one command: what the
//! explanation, the JSON answer, the approval request and the audit record are made of.
//! A leaf.

use crate::decision::Decision;
use serde::Serialize;

/// One rule that matched one command.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The decision this finding asks for, after config and protected environments.
    pub severity: Decision,
    /// The severity written in the rule.
    pub rule_severity: Decision,
    pub reason: String,
    pub suggestion: Option<String>,
    /// The command the rule matched, shell-quoted.
    pub command: String,
    /// Where that command stands in the input; empty for a plain argv.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub origin: String,
    /// What the command acts on (a workspace, bucket, namespace...), where the rule can tell.
    pub target: Option<String>,
    /// The protected environment the command touches, which raised the severity.
    pub protected_environment: Option<String>,
    /// The environment variable that supplied the matching arguments, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_env: Option<String>,
    /// The matched command's argv (without assignments), for `GUARD_PASSED`.
    #[serde(skip)]
    pub argv: Vec<String>,
}
