//! `guard log`: recent records as a table, or JSON, with filters.

use super::Record;
use crate::sanitize::sanitize;

/// Which records to show.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only records at or after this RFC 3339 time.
    pub since: Option<String>,
    pub decision: Option<String>,
    pub rule: Option<String>,
    pub grep: Option<String>,
    pub limit: usize,
}

impl Filter {
    fn keeps(&self, r: &Record) -> bool {
        self.since
            .as_ref()
            .is_none_or(|s| r.time.as_str() >= s.as_str())
            && self.decision.as_ref().is_none_or(|d| {
                let decision = if r.kind == "breaker" {
                    "breaker"
                } else {
                    r.decision.as_str()
                };
                decision == d
            })
            && self
                .rule
                .as_ref()
                .is_none_or(|id| r.rules.iter().any(|h| &h.rule == id))
            && self
                .grep
                .as_ref()
                .is_none_or(|g| r.command.contains(g.as_str()) || r.detail.contains(g.as_str()))
    }
}

/// The decision records that pass the filter, each with its exit status if it ran, the
/// most recent last.
pub fn select(text: &str, filter: &Filter) -> Vec<(Record, Option<Record>)> {
    let records: Vec<Record> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut out: Vec<(Record, Option<Record>)> = Vec::new();
    for r in &records {
        // Decisions, and the circuit breaker opening and being reset.
        if (r.kind == "decision" || r.kind == "breaker") && filter.keeps(r) {
            let exit = records
                .iter()
                .find(|e| e.kind == "exit" && e.run == r.run)
                .cloned();
            out.push((r.clone(), exit));
        }
    }
    let skip = out.len().saturating_sub(filter.limit.max(1));
    out.split_off(skip)
}

/// The readable table.
pub fn table(rows: &[(Record, Option<Record>)]) -> String {
    let mut s = String::from(
        "TIME                  DECISION    GATE         EXIT  RULE                          COMMAND\n",
    );
    for (r, exit) in rows {
        let rule = r
            .rules
            .iter()
            .max_by_key(|h| h.severity.clone())
            .map_or("-", |h| h.rule.as_str());
        let exit = exit
            .as_ref()
            .and_then(|e| e.status)
            .map_or("-".to_string(), |s| s.to_string());
        let gate = if r.approvers.is_empty() {
            r.gate.clone()
        } else {
            format!("{} ({})", r.gate, r.approvers.join(","))
        };
        if r.kind == "breaker" {
            let key = r.key.as_deref().unwrap_or("*");
            s.push_str(&format!(
                "{:21} {:11} {:12} {:5} {:29} {}\n",
                r.time,
                "breaker",
                sanitize(&r.gate),
                "-",
                "-",
                sanitize(&format!("{key}: {}", r.detail))
            ));
            continue;
        }
        s.push_str(&format!(
            "{:21} {:11} {:12} {:5} {:29} {}\n",
            r.time,
            r.decision,
            sanitize(&gate),
            exit,
            sanitize(rule),
            sanitize(&r.command)
        ));
    }
    s
}
