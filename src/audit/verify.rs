//! `guard log verify`: walks the chain and reports the first broken link.

use super::{GENESIS, Record};

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
