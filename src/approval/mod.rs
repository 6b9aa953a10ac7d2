//! Two-person approvals: a request names exactly what is to run (command, directory,
//! host, requester, rules, expiry, a random nonce); an approver signs its bytes with
//! their own SSH key (SSHSIG, namespace [`NAMESPACE`]); guard verifies the signature
//! in-process against the approvers file, checks the binding, expiry and that the nonce
//! was never used, and records the nonce before the command starts.
//!
//! Wire forms are plain text so they survive chat, CI secrets and terminals:
//! a request code is `guard-request-v1.` + base64url(request JSON); a token is
//! `guard-approval-v1.` + base64url(token JSON), the token holding the request JSON
//! exactly as signed and the armored signature.

pub mod request;
pub mod signers;
pub mod verify;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

/// The SSHSIG namespace guard signs and verifies in; `ssh-keygen -Y verify -n` takes it.
pub const NAMESPACE: &str = "guard-approval";
const REQUEST_PREFIX: &str = "guard-request-v1.";
const TOKEN_PREFIX: &str = "guard-approval-v1.";
const CONFIRMATION_PREFIX: &str = "guard-confirmation-v1.";

/// What is to run, exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// `guard -- PROGRAM ARGS...`
    Argv(Vec<String>),
    /// `guard -c STRING`
    Shell(String),
}

/// One rule that made the command need approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub id: String,
    pub severity: String,
    pub reason: String,
}

/// An approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub version: u32,
    pub command: Subject,
    pub cwd: String,
    pub host: String,
    pub requester: String,
    pub rules: Vec<RuleRef>,
    /// Seconds since the Unix epoch.
    pub created: u64,
    pub expires: u64,
    /// 128 random bits, hex: makes every request, and so every token, one of a kind.
    pub nonce: String,
    /// The digest of the plan the decision was made from (a Terraform plan file's
    /// SHA-256, a preview's or change set's changes): a new plan needs a new approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// What the plan destroys or recreates, by address, for the approver to read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// The reason the agent gave for the command (Claude Code's Bash `description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// In CI: what the run is bound to instead of a host and a directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiBinding>,
}

/// What a CI run is: the repository, the commit, the environment it deploys to. A CI
/// approval binds these (and the plan's digest), not the runner's host or account:
/// runners are fresh machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiBinding {
    /// `github`, `gitlab`.
    pub platform: String,
    pub repository: String,
    pub commit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub environment: String,
}

impl Request {
    /// The short id a person types: the first ten hex digits of the nonce.
    pub fn id(&self) -> String {
        self.nonce.chars().take(10).collect()
    }
}

/// A signed approval of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// The request JSON exactly as signed.
    pub request: String,
    /// The armored SSHSIG signature over `request`.
    pub signature: String,
}

/// A person's confirmation of their own agent's confirm-level command, given at their own
/// terminal with `guard approve ID` and left in the inbox beside the request. Not a
/// signature and never a second person: it stands only for a confirmation, and only
/// guard writes it (in a protected install, into state the account cannot write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The nonce of the request confirmed.
    pub nonce: String,
    /// Who confirmed, and at which terminal.
    pub by: String,
    pub at: u64,
}

impl Confirmation {
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{CONFIRMATION_PREFIX}{}", B64.encode(json))
    }

    /// Reads a confirmation; anything else (a token) is `None`.
    pub fn decode(text: &str) -> Option<Confirmation> {
        let body = text.trim().strip_prefix(CONFIRMATION_PREFIX)?;
        serde_json::from_str(&decode(body, "confirmation").ok()?).ok()
    }
}

/// Why a code or token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

impl Request {
    /// The request as the bytes that get signed.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The short code an approver is given.
    pub fn code(&self) -> String {
        format!("{REQUEST_PREFIX}{}", B64.encode(self.to_json()))
    }

    /// Reads a request code (surrounding blanks ignored).
    pub fn from_code(code: &str) -> Result<(Request, String), FormatError> {
        let body = code.trim().strip_prefix(REQUEST_PREFIX).ok_or_else(|| {
            FormatError(format!(
                "not a guard request code (it starts with `{REQUEST_PREFIX}`)"
            ))
        })?;
        let json = decode(body, "request code")?;
        let req = serde_json::from_str(&json)
            .map_err(|e| FormatError(format!("the request code holds no valid request: {e}")))?;
        Ok((req, json))
    }
}

impl Token {
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{TOKEN_PREFIX}{}", B64.encode(json))
    }

    /// Reads a token (surrounding blanks ignored).
    pub fn decode(text: &str) -> Result<Token, FormatError> {
        let body = text.trim().strip_prefix(TOKEN_PREFIX).ok_or_else(|| {
            FormatError(format!(
                "not a guard approval token (it starts with `{TOKEN_PREFIX}`)"
            ))
        })?;
        let json = decode(body, "approval token")?;
        serde_json::from_str(&json)
            .map_err(|e| FormatError(format!("the approval token is damaged: {e}")))
    }
}

fn decode(body: &str, what: &str) -> Result<String, FormatError> {
    // The decoder's own words (a symbol, an offset) help nobody: say what to do.
    let bytes = B64.decode(body.trim()).map_err(|_| {
        FormatError(format!(
            "the {what} is damaged: part of it is missing or changed (a line break, a cut end, a character that does not belong); copy it again, whole"
        ))
    })?;
    String::from_utf8(bytes).map_err(|_| FormatError(format!("the {what} is damaged: not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            version: 1,
            command: Subject::Argv(vec!["terraform".into(), "destroy".into()]),
            cwd: "/srv/infra".into(),
            host: "build-1".into(),
            requester: "alice@build-1".into(),
            rules: vec![RuleRef {
                id: "terraform.destroy".into(),
                severity: "two-person".into(),
                reason: "r".into(),
            }],
            created: 100,
            expires: 1000,
            nonce: "00ff".into(),
            plan: None,
            resources: Vec::new(),
            reason: None,
            ci: None,
        }
    }

    #[test]
    fn codes_round_trip() {
        let r = request();
        let (back, json) = Request::from_code(&format!("  {}\n", r.code())).unwrap();
        assert_eq!(back, r);
        assert_eq!(json, r.to_json());
        let t = Token {
            request: json,
            signature: "sig".into(),
        };
        assert_eq!(Token::decode(&t.encode()).unwrap(), t);
    }

    #[test]
    fn damaged_codes_are_clear_errors() {
        assert!(
            Request::from_code("hello")
                .unwrap_err()
                .0
                .contains("not a guard request code")
        );
        assert!(
            Request::from_code("guard-request-v1.@@@")
                .unwrap_err()
                .0
                .contains("damaged")
        );
        assert!(
            Token::decode("guard-approval-v1.e30")
                .unwrap_err()
                .0
                .contains("damaged")
        );
    }
}
