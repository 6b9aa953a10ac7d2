//! The audit trail as rows of `guard_audit`: each holds a record's JSON exactly as it was
//! hashed, its `prev` and `hash`, and `seq`, its place in the one chain every machine
//! appends to. An append holds the audit lock for its transaction, reads the last row,
//! chains the record to it and inserts it as `seq + 1`, so `seq` runs 1, 2, 3... without
//! a gap (a transaction that fails takes no number). Verification walks the chain as
//! `audit::verify` walks a log file, and also finds rows cut from the start (the first
//! row is not 1, or does not start at the genesis) and from the middle (a gap in `seq`),
//! and a spent approval whose decision record is gone (cut from the end).

use super::Fail;
use crate::audit::verify::{Broken, Summary};
use crate::audit::{GENESIS, Record};
use crate::store::StoreError;
use postgres::{Client, Transaction};
use std::collections::HashSet;

const WHAT: &str = "the audit trail";

/// Chains `record` to the last row and inserts it, in the caller's transaction, which
/// must commit for the record to be written. Returns the record as written.
pub fn append(tx: &mut Transaction, record: Record, location: &str) -> Result<Record, Fail> {
    let (seq, record) = chain(tx, record)?;
    insert(tx, seq, &record, location)?;
    Ok(record)
}

/// Takes the audit lock and chains `record` to the last row: its `seq` and the record
/// with `prev` and `hash` set. The lock is held until the transaction ends.
pub fn chain(tx: &mut Transaction, mut record: Record) -> Result<(i64, Record), Fail> {
    super::lock(tx, super::AUDIT_LOCK)?;
    let last = tx.query_opt(
        "SELECT seq, hash FROM guard_audit ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    let (seq, prev) = match last {
        Some(row) => (row.try_get::<_, i64>(0)? + 1, row.try_get::<_, String>(1)?),
        None => (1, GENESIS.to_string()),
    };
    record.prev = prev;
    record.hash = record.compute_hash();
    Ok((seq, record))
}

/// Inserts a chained record as row `seq`.
pub fn insert(tx: &mut Transaction, seq: i64, record: &Record, location: &str) -> Result<(), Fail> {
    let json = serde_json::to_string(record).map_err(|e| StoreError::Damaged {
        what: WHAT,
        path: location.into(),
        why: format!("a record could not be written as JSON: {e}"),
    })?;
    tx.execute(
        "INSERT INTO guard_audit (seq, prev, hash, record) VALUES ($1, $2, $3, $4)",
        &[&seq, &record.prev, &record.hash, &json],
    )?;
    Ok(())
}

/// Every record in order; rows that are not records are left out (`verify` says where).
pub fn records(client: &mut Client) -> Result<Vec<Record>, Fail> {
    let rows = client.query("SELECT record FROM guard_audit ORDER BY seq", &[])?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let json: String = row.try_get(0)?;
        if let Ok(r) = serde_json::from_str(&json) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Walks the chain in one snapshot of the trail and the ledger.
pub fn verify(client: &mut Client) -> Result<Result<Summary, Broken>, Fail> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let rows = tx.query(
        "SELECT seq, hash, record FROM guard_audit ORDER BY seq",
        &[],
    )?;
    let mut text = String::new();
    let mut hashes = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 1;
        let seq: i64 = row.try_get(0)?;
        let hash: String = row.try_get(1)?;
        let json: String = row.try_get(2)?;
        if let Some(broken) = misplaced(line, seq, &hash, &json) {
            return Ok(Err(broken));
        }
        text.push_str(&json);
        text.push('\n');
        hashes.insert(hash);
    }
    let summary = match crate::audit::verify::verify(&text) {
        Ok(s) => s,
        Err(b) => return Ok(Err(b)),
    };
    if let Some(broken) = lost_spends(&mut tx, &hashes, summary.records)? {
        return Ok(Err(broken));
    }
    tx.commit()?;
    Ok(Ok(summary))
}

/// Why row number `line` is not where the chain needs it, if it is not: its `seq` is
/// not its place (rows before it were removed), the first row does not start at the
/// genesis, or its `hash` column is not its record's.
fn misplaced(line: usize, seq: i64, hash: &str, json: &str) -> Option<Broken> {
    let broken = |what: String| Some(Broken { line, what });
    if i64::try_from(line).ok() != Some(seq) {
        let before = if line == 1 {
            "the trail's first row".to_string()
        } else {
            format!("row {} is followed by row {seq}", line - 1)
        };
        return broken(format!(
            "{before}: rows were removed (the rows of a trail are numbered 1, 2, 3... without a gap)"
        ));
    }
    let record: Record = match serde_json::from_str(json) {
        Ok(r) => r,
        Err(e) => {
            return broken(format!(
                "row {seq} is not a whole record ({e}): it was edited"
            ));
        }
    };
    if line == 1 && record.prev != GENESIS {
        return broken(
            "the first record does not start the chain: rows were removed from the start".into(),
        );
    }
    if record.hash != hash {
        return broken(format!(
            "row {seq}'s hash column is not its record's: the row was altered"
        ));
    }
    None
}

/// A spent approval whose decision record is not in the trail, if there is one: its
/// record was removed, even from the end where the chain alone cannot tell.
fn lost_spends(
    tx: &mut Transaction,
    hashes: &HashSet<String>,
    records: usize,
) -> Result<Option<Broken>, Fail> {
    let rows = tx.query(
        "SELECT nonce, used_at, command, record_hash FROM guard_ledger ORDER BY used_at, nonce",
        &[],
    )?;
    for row in rows {
        let record_hash: String = row.try_get(3)?;
        if hashes.contains(&record_hash) {
            continue;
        }
        let used_at: i64 = row.try_get(1)?;
        let command: String = row.try_get(2)?;
        return Ok(Some(Broken {
            line: records,
            what: format!(
                "the decision record of the approval spent at {} for `{}` (record {}) is not in the trail: records were removed",
                crate::time::format_time(super::from_db(used_at)),
                crate::sanitize::sanitize(&command),
                record_hash.get(..12).unwrap_or(&record_hash)
            ),
        }));
    }
    Ok(None)
}
