//! From findings and context to what the gate does. Pure: whether a person can be asked
//! is passed in.

use crate::context::Context;
use crate::decision::Decision;
use crate::finding::Finding;

/// The strictest decision among the findings; `allow` when there are none.
pub fn decide(findings: &[Finding]) -> Decision {
    findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Decision::Allow)
}

/// What the gate does with a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Run it.
    Run,
    /// Run it, after printing the findings as a warning.
    Warn,
    /// Ask the person to type `expected`.
    Confirm { expected: String },
    /// Run it only with a second person's signed approval; where a person is here, they
    /// confirm too (`confirm` is what they type). With `stands_in`, the approval stands
    /// in for a confirmation nobody here can give (`[approvals] token_confirms`).
    Approval {
        confirm: Option<String>,
        stands_in: bool,
    },
    /// Do not run it; `why` says what would be needed, and `request` whether a person
    /// can act on an approval request for it.
    Refuse { why: String, request: bool },
}

/// The gate for a decision. `can_ask` says whether a person can be asked here, or why
/// not; `token_confirms` whether an approval may stand in for a confirmation.
pub fn gate(
    decision: Decision,
    findings: &[Finding],
    can_ask: Result<(), String>,
    token_confirms: bool,
) -> Gate {
    match decision {
        Decision::Allow => Gate::Run,
        Decision::Warn => Gate::Warn,
        Decision::Confirm => match can_ask {
            Ok(()) => Gate::Confirm {
                expected: expected_answer(findings),
            },
            Err(_) if token_confirms => Gate::Approval {
                confirm: None,
                stands_in: true,
            },
            Err(why) => Gate::Refuse {
                why: format!("needs confirmation by a person at a terminal, and {why}"),
                request: true,
            },
        },
        Decision::TwoPerson => Gate::Approval {
            confirm: can_ask.ok().map(|()| expected_answer(findings)),
            stands_in: false,
        },
        Decision::Deny => Gate::Refuse {
            why: "denied by policy: it never runs through guard".to_string(),
            request: false,
        },
    }
}

/// Why no person can be asked at this terminal, if that is so. `terminal` is only
/// probed when nothing else already says no.
pub fn cannot_ask(ctx: &Context, terminal: impl FnOnce() -> bool) -> Option<String> {
    if let Some(agent) = &ctx.agent {
        return Some(format!(
            "an agent ({agent}) cannot confirm for a person: ask the person to run it at their own terminal"
        ));
    }
    if ctx.non_interactive {
        return Some("--non-interactive was given: run it at a terminal without it".to_string());
    }
    if ctx.ci {
        return Some("CI has no person at a terminal: run it at a terminal instead".to_string());
    }
    if !terminal() {
        return Some("there is no terminal to ask at (guard reads /dev/tty, never stdin): run it at a terminal".to_string());
    }
    None
}

/// What the person must type: the target of the strictest finding where the rule can name
/// it and it is plain enough to type, else `yes`.
pub fn expected_answer(findings: &[Finding]) -> String {
    let typeable = |t: &&String| {
        !t.is_empty() && t.chars().count() <= 64 && t.chars().all(|c| c.is_ascii_graphic())
    };
    let strictest = findings.iter().max_by_key(|f| f.severity);
    strictest
        .and_then(|f| f.target.as_ref())
        .filter(typeable)
        .cloned()
        .unwrap_or_else(|| "yes".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Decision, target: Option<&str>) -> Finding {
        Finding {
            rule: "r".into(),
            severity,
            rule_severity: severity,
            reason: "because".into(),
            suggestion: None,
            command: "x".into(),
            origin: String::new(),
            target: target.map(String::from),
            protected_environment: None,
            via_env: None,
            argv: Vec::new(),
        }
    }

    fn nobody() -> Result<(), String> {
        Err("nobody is here".into())
    }

    #[test]
    fn decision_is_the_strictest_finding() {
        assert_eq!(decide(&[]), Decision::Allow);
        let fs = [
            finding(Decision::Warn, None),
            finding(Decision::TwoPerson, None),
        ];
        assert_eq!(decide(&fs), Decision::TwoPerson);
    }

    #[test]
    fn confirm_asks_only_where_a_person_can_be_asked() {
        let fs = [finding(Decision::Confirm, Some("prod-bucket"))];
        assert_eq!(
            gate(Decision::Confirm, &fs, Ok(()), false),
            Gate::Confirm {
                expected: "prod-bucket".into()
            }
        );
        let Gate::Refuse { why, request } = gate(Decision::Confirm, &fs, nobody(), false) else {
            panic!("nobody can confirm");
        };
        assert!(why.contains("nobody is here") && request, "{why}");
        assert_eq!(
            gate(Decision::Confirm, &fs, nobody(), true),
            Gate::Approval {
                confirm: None,
                stands_in: true
            }
        );
    }

    #[test]
    fn two_person_needs_an_approval_and_the_person_here_confirms_too() {
        let fs = [finding(Decision::TwoPerson, Some("prod"))];
        assert_eq!(
            gate(Decision::TwoPerson, &fs, Ok(()), false),
            Gate::Approval {
                confirm: Some("prod".into()),
                stands_in: false
            }
        );
        assert_eq!(
            gate(Decision::TwoPerson, &fs, nobody(), true),
            Gate::Approval {
                confirm: None,
                stands_in: false
            }
        );
        assert!(matches!(
            gate(Decision::Deny, &fs, Ok(()), true),
            Gate::Refuse { request: false, .. }
        ));
    }

    #[test]
    fn agents_ci_and_no_terminal_cannot_be_asked() {
        let person = Context::default();
        assert_eq!(cannot_ask(&person, || true), None);
        assert!(cannot_ask(&person, || false).is_some());
        let agent = Context {
            agent: Some("claude-code".into()),
            ..Context::default()
        };
        let why = cannot_ask(&agent, || panic!("not probed")).unwrap();
        assert!(why.contains("agent"), "{why}");
        let ci = Context {
            ci: true,
            ..Context::default()
        };
        assert!(cannot_ask(&ci, || true).is_some());
    }

    #[test]
    fn untypeable_targets_fall_back_to_yes() {
        assert_eq!(
            expected_answer(&[finding(Decision::Confirm, Some("a b"))]),
            "yes"
        );
        assert_eq!(
            expected_answer(&[finding(Decision::Confirm, Some("\x1b[31m"))]),
            "yes"
        );
        assert_eq!(expected_answer(&[finding(Decision::Confirm, None)]), "yes");
    }
}
