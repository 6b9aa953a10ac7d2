//! The five decisions guard can reach, ordered so that the strictest wins with `max()`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What guard does with a command. `Ord` follows strictness:
/// `allow < warn < confirm < two-person < deny`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Runs silently.
    #[default]
    Allow,
    /// Runs, with a warning on stderr.
    Warn,
    /// Runs only after the person at the terminal types a confirmation.
    Confirm,
    /// Needs the confirmation and a signed approval from a different person.
    TwoPerson,
    /// Never runs.
    Deny,
}

impl Decision {
    /// Every decision, least strict first.
    pub const ALL: [Decision; 5] = [
        Decision::Allow,
        Decision::Warn,
        Decision::Confirm,
        Decision::TwoPerson,
        Decision::Deny,
    ];

    /// The name used in rule files, JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Warn => "warn",
            Decision::Confirm => "confirm",
            Decision::TwoPerson => "two-person",
            Decision::Deny => "deny",
        }
    }

    /// One level stricter, used for protected environments. `allow` is not raised (a
    /// command that matched no rule stays allowed wherever it points) and `deny` is the top.
    pub fn raised(self) -> Decision {
        match self {
            Decision::Allow => Decision::Allow,
            Decision::Warn => Decision::Confirm,
            Decision::Confirm => Decision::TwoPerson,
            Decision::TwoPerson | Decision::Deny => self,
        }
    }

    /// Parses the rule-file spelling.
    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictest_wins() {
        let all = [Decision::Warn, Decision::Deny, Decision::Confirm];
        assert_eq!(all.into_iter().max(), Some(Decision::Deny));
        assert!(Decision::Confirm < Decision::TwoPerson);
    }

    #[test]
    fn raising_goes_up_one_level_but_not_past_two_person() {
        assert_eq!(Decision::Allow.raised(), Decision::Allow);
        assert_eq!(Decision::Warn.raised(), Decision::Confirm);
        assert_eq!(Decision::Confirm.raised(), Decision::TwoPerson);
        assert_eq!(Decision::TwoPerson.raised(), Decision::TwoPerson);
        assert_eq!(Decision::Deny.raised(), Decision::Deny);
    }

    #[test]
    fn names_round_trip() {
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
        assert_eq!(Decision::parse("two_person"), None);
    }
}
