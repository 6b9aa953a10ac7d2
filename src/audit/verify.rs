//! `guard log verify`: walks the chain and reports the first broken link, and holds the
//! log to its anchor ([`Head`]): the record count and the last hash, kept where the
//! account guard runs as cannot write, so records cut from either end, or a log emptied
//! or removed, are found too.

use super::{GENESIS, Record};
use serde::{Deserialize, Serialize};

/// The anchor of a log: how many records it held and its last hash when guard last
/// wrote it, and what its first record follows (the genesis, or the file it continues).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub records: usize,
    pub last: String,
    pub first_prev: String,
}

/// Checks a log's text against its anchor. The log may hold more records than the
/// anchor (guard stopped between writing a record and its anchor), never fewer, and the
/// anchor's last record must be where it says.
pub fn check_head(text: &str, head: &Head) -> Result<(), Broken> {
    let lines: Vec<&str> = text.lines().collect();
    let record = |i: usize| {
        lines
            .get(i)
            .and_then(|l| serde_json::from_str::<Record>(l).ok())
    };
    let first_prev = record(0).map_or_else(|| GENESIS.to_string(), |r| r.prev);
    if head.records > 0 && !lines.is_empty() && first_prev != head.first_prev {
        return Err(Broken {
            line: 1,
            what: "the first record is not the one the anchor began with: records were cut from the start".into(),
        });
    }
    if lines.len() < head.records {
        return Err(Broken {
            line: lines.len(),
            what: format!(
                "the log holds {} records but its anchor says {}: records were cut from the end, or the log was emptied or replaced",
                lines.len(),
                head.records
            ),
        });
    }
    if let Some(i) = head.records.checked_sub(1) {
        if record(i).map(|r| r.hash) != Some(head.last.clone()) {
            return Err(Broken {
                line: head.records,
                what: "the record the anchor ends with is not there: the log was rewritten".into(),
            });
        }
    }
    Ok(())
}

/// What a whole, unbroken log holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    pub records: usize,
    /// The hash a rotated log continues from (the last hash of the file before it).
    pub continues_from: Option<String>,
}

/// The first broken link: the line (from 1) and what is wrong there.
#[derive(Debug, PartialEq, Eq)]
pub struct Broken {
    pub line: usize,
    pub what: String,
}

pub fn verify(text: &str) -> Result<Summary, Broken> {
    let mut prev: Option<String> = None;
    let mut continues_from = None;
    let mut records = 0;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let broken = |what: String| Broken { line: n, what };
        if line.trim().is_empty() {
            return Err(broken(
                "an empty line: a record was removed or the file was cut".into(),
            ));
        }
        let r: Record = serde_json::from_str(line).map_err(|e| {
            broken(format!(
                "not a whole record ({e}): the file was edited or cut"
            ))
        })?;
        if r.hash != r.compute_hash() {
            return Err(broken(
                "the record was altered: its hash does not match its content".into(),
            ));
        }
        match &prev {
            None if r.prev != GENESIS => continues_from = Some(r.prev.clone()),
            Some(p) if *p != r.prev => {
                return Err(broken(format!(
                    "the chain is broken: this record follows {}, not line {} ({}); a record was deleted, inserted or moved",
                    short(&r.prev),
                    n - 1,
                    short(p)
                )));
            }
            _ => {}
        }
        prev = Some(r.hash);
        records += 1;
    }
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(Broken {
            line: records,
            what: "the last record is not finished: the file was cut".into(),
        });
    }
    Ok(Summary {
        records,
        continues_from,
    })
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: usize) -> (String, Vec<Record>) {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for i in 0..n {
            let mut r = Record {
                kind: "decision".into(),
                run: format!("r{i}"),
                prev: prev.clone(),
                ..Record::default()
            };
            r.hash = r.compute_hash();
            prev = r.hash.clone();
            out.push(r);
        }
        let text: String = out
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect();
        (text, out)
    }

    #[test]
    fn records_cut_from_either_end_or_an_emptied_log_break_the_anchor() {
        let (text, records) = log(4);
        let head = Head {
            records: 4,
            last: records[3].hash.clone(),
            first_prev: GENESIS.into(),
        };
        assert!(verify(&text).is_ok() && check_head(&text, &head).is_ok());
        // A record more than the anchor knows: guard stopped before writing the anchor.
        let (longer, _) = log(5);
        assert!(check_head(&longer, &head).is_ok());
        // Cut from the end: the chain alone is intact, the anchor is not.
        let cut_end: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
        assert!(verify(&cut_end).is_ok());
        assert!(
            check_head(&cut_end, &head)
                .unwrap_err()
                .what
                .contains("cut from the end")
        );
        // Cut from the start: it would pass as a rotated log, but not against the anchor.
        let cut_start: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert!(verify(&cut_start).is_ok());
        assert!(check_head(&cut_start, &head).is_err());
        // Emptied.
        assert!(verify("").is_ok());
        assert!(check_head("", &head).is_err());
    }
}
