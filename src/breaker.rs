//! The circuit breaker: a short memory of refusals and destructive commands per
//! requester (the principal, or an agent session), that trips when an agent keeps
//! pushing against the guard. Pure: the state, the events and the clock are given; the
//! file under its lock is the caller's (`app::breaker`).
//!
//! In a sliding window, more than `max_refusals` refused commands, or more than
//! `max_destructive` destructive ones (confirm level and above) let through, opens the
//! breaker for that key. Open, every command above `allow` is refused, whatever
//! approval it carries, until a person resets it. A state that cannot be trusted (a
//! corrupt file that the audit log cannot rebuild) is open for every key.

use crate::audit::Record;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::settings::BreakerLimits as Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A command guard refused.
    Refused,
    /// A command at confirm level or above that passed the gate.
    Destructive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub time: u64,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    pub at: u64,
    pub why: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyState {
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened: Option<Opened>,
}

/// Everything the breaker remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub version: u32,
    #[serde(default)]
    pub keys: BTreeMap<String, KeyState>,
    /// Open for every key: the state could not be trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Opened>,
}

const VERSION: u32 = 1;

impl State {
    pub fn new() -> State {
        State {
            version: VERSION,
            ..State::default()
        }
    }

    /// Reads a state file's text.
    pub fn parse(text: &str) -> Result<State, String> {
        let s: State =
            serde_json::from_str(text).map_err(|e| format!("not a breaker state ({e})"))?;
        if s.version != VERSION {
            return Err(format!(
                "breaker state version {} is not {VERSION}",
                s.version
            ));
        }
        Ok(s)
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Why the breaker is open for `key`, if it is.
    pub fn open_for(&self, key: &str) -> Option<&Opened> {
        self.all
            .as_ref()
            .or_else(|| self.keys.get(key).and_then(|k| k.opened.as_ref()))
    }

    /// (refusals, destructive) for `key` within the window before `now`.
    pub fn counts(&self, key: &str, limits: &Limits, now: u64) -> (usize, usize) {
        let Some(k) = self.keys.get(key) else {
            return (0, 0);
        };
        let recent = |kind: Kind| {
            k.events
                .iter()
                .filter(|e| e.kind == kind && now.saturating_sub(e.time) < limits.window)
                .count()
        };
        (recent(Kind::Refused), recent(Kind::Destructive))
    }

    /// Counts one event; returns why the breaker opened, when this event opened it.
    pub fn count(&mut self, key: &str, kind: Kind, limits: &Limits, now: u64) -> Option<Opened> {
        let k = self.keys.entry(key.to_string()).or_default();
        k.events
            .retain(|e| now.saturating_sub(e.time) < limits.window);
        k.events.push(Event { time: now, kind });
        if k.opened.is_some() || !limits.enabled {
            return None;
        }
        let (refused, destructive) = self.counts(key, limits, now);
        let window = crate::time::duration(limits.window);
        let why = if refused > limits.max_refusals {
            format!(
                "{refused} refused commands within {window} (the limit is {})",
                limits.max_refusals
            )
        } else if destructive > limits.max_destructive {
            format!(
                "{destructive} destructive commands within {window} (the limit is {})",
                limits.max_destructive
            )
        } else {
            return None;
        };
        let opened = Opened { at: now, why };
        if let Some(k) = self.keys.get_mut(key) {
            k.opened = Some(opened.clone());
        }
        Some(opened)
    }

    /// Closes every breaker and forgets the counts; returns the keys that were open.
    pub fn reset(&mut self) -> Vec<String> {
        let mut was: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, k)| k.opened.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        if self.all.take().is_some() {
            was.push("*".into());
        }
        self.keys.clear();
        was
    }

    /// The state the audit log implies: decision records count, breaker records open
    /// and reset.
    pub fn rebuild(records: &[Record], limits: &Limits, now: u64) -> State {
        let mut s = State::new();
        for r in records {
            let (Some(key), Some(time)) = (r.key.as_deref(), crate::time::parse_rfc3339(&r.time))
            else {
                continue;
            };
            match (r.kind.as_str(), r.gate.as_str()) {
                ("breaker", "reset") => {
                    s.reset();
                }
                ("breaker", "open") => {
                    s.keys.entry(key.to_string()).or_default().opened = Some(Opened {
                        at: time,
                        why: r.detail.clone(),
                    });
                }
                // Handed to an agent's own prompt: not guard's pass, never counted.
                ("decision", "asked") => {}
                ("decision", gate) if now.saturating_sub(time) < limits.window => {
                    let kind = if gate == "refused" {
                        Kind::Refused
                    } else if matches!(r.decision.as_str(), "confirm" | "two-person" | "deny") {
                        Kind::Destructive
                    } else {
                        continue;
                    };
                    // An agent's run counts for its session and for the principal.
                    let mut keys = vec![key];
                    if !r.requester.is_empty() && r.requester != key {
                        keys.push(r.requester.as_str());
                    }
                    for k in keys {
                        s.keys
                            .entry(k.to_string())
                            .or_default()
                            .events
                            .push(Event { time, kind });
                    }
                }
                _ => {}
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            enabled: true,
            max_refusals: 3,
            max_destructive: 2,
            window: 600,
        }
    }

    #[test]
    fn refusals_up_to_the_limit_keep_it_closed_and_one_more_opens_it() {
        let mut s = State::new();
        for t in 0..3 {
            assert_eq!(s.count("alice@h", Kind::Refused, &limits(), 100 + t), None);
        }
        assert!(s.open_for("alice@h").is_none());
        let opened = s.count("alice@h", Kind::Refused, &limits(), 110).unwrap();
        assert_eq!(opened.why, "4 refused commands within 10m (the limit is 3)");
        assert_eq!(s.open_for("alice@h"), Some(&opened));
        // Another requester is not affected.
        assert!(s.open_for("agent:codex").is_none());
    }

    #[test]
    fn the_window_slides() {
        let mut s = State::new();
        let l = limits();
        for t in [0, 100, 200] {
            s.count("k", Kind::Refused, &l, t);
        }
        // 600s after the first, it no longer counts: three in the window, still closed.
        assert_eq!(s.count("k", Kind::Refused, &l, 600), None);
        assert_eq!(s.counts("k", &l, 600), (3, 0));
        assert!(s.count("k", Kind::Refused, &l, 601).is_some());
    }

    #[test]
    fn destructive_commands_count_separately_and_reset_clears_all() {
        let mut s = State::new();
        let l = limits();
        s.count("k", Kind::Destructive, &l, 1);
        s.count("k", Kind::Destructive, &l, 2);
        assert!(s.open_for("k").is_none());
        assert!(s.count("k", Kind::Destructive, &l, 3).is_some());
        assert_eq!(s.reset(), ["k"]);
        assert!(s.open_for("k").is_none());
        assert_eq!(s.counts("k", &l, 4), (0, 0));
        s.all = Some(Opened {
            at: 5,
            why: "corrupt".into(),
        });
        assert!(s.open_for("anyone").is_some());
        assert_eq!(s.reset(), ["*"]);
    }

    #[test]
    fn a_state_round_trips_and_a_foreign_one_is_refused() {
        let mut s = State::new();
        s.count("k", Kind::Refused, &limits(), 7);
        assert_eq!(State::parse(&s.to_text()).unwrap(), s);
        assert!(State::parse("{\"version\": 9}").is_err());
        assert!(State::parse("{not json").is_err());
    }
}
