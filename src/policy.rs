//! From findings and context to what the gate does. Pure: the terminal check is passed in.

use crate::context::Context;
use crate::decision::Decision;
use crate::matcher::Finding;

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
    /// Ask the person at the terminal to type `expected`.
    Confirm { expected: String },
    /// Do not run it; `why` says what would be needed.
    Refuse { why: String },
}

/// The gate for a decision. `terminal` tells whether a person can be asked; it is only
/// called for confirm-level decisions.
pub fn gate(
    decision: Decision,
    findings: &[Finding],
    ctx: &Context,
    terminal: impl FnOnce() -> bool,
) -> Gate {
    match decision {
        Decision::Allow => Gate::Run,
        Decision::Warn => Gate::Warn,
        Decision::Confirm => match cannot_ask(ctx, terminal) {
            Some(why) => Gate::Refuse {
                why: format!("needs confirmation by a person at a terminal, and {why}"),
            },
            None => Gate::Confirm {
                expected: expected_answer(findings),
            },
        },
        Decision::TwoPerson => Gate::Refuse {
            why: "needs a signed approval from a second person (two-person rule): see `guard request`".to_string(),
        },
        Decision::Deny => Gate::Refuse {
            why: "denied by policy: it never runs through guard".to_string(),
        },
    }
}

/// Why no person can be asked here, if that is so.
fn cannot_ask(ctx: &Context, terminal: impl FnOnce() -> bool) -> Option<String> {
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
    fn confirm_asks_only_a_person_at_a_terminal() {
        let fs = [finding(Decision::Confirm, Some("prod-bucket"))];
        let person = Context::default();
        assert_eq!(
            gate(Decision::Confirm, &fs, &person, || true),
            Gate::Confirm {
                expected: "prod-bucket".into()
            }
        );
        assert!(matches!(
            gate(Decision::Confirm, &fs, &person, || false),
            Gate::Refuse { .. }
        ));
        let agent = Context {
            agent: Some("claude-code".into()),
            ..Context::default()
        };
        let Gate::Refuse { why } = gate(Decision::Confirm, &fs, &agent, || true) else {
            panic!("an agent must not be asked");
        };
        assert!(why.contains("agent"), "{why}");
        let ci = Context {
            ci: true,
            ..Context::default()
        };
        assert!(matches!(
            gate(Decision::Confirm, &fs, &ci, || true),
            Gate::Refuse { .. }
        ));
    }

    #[test]
    fn terminal_is_not_probed_for_allow() {
        let g = gate(Decision::Allow, &[], &Context::default(), || {
            panic!("probed")
        });
        assert_eq!(g, Gate::Run);
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
