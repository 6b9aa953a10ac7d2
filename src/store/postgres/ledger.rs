//! The one-time ledger as `guard_ledger`, whose primary key is the nonce: an approval is
//! spent by inserting its row, in the same transaction as its decision record, so both
//! are written or neither is. A second spend, from this machine or any other, breaks the
//! key and is refused as [`StoreError::Spent`] with who spent it first; nothing of it is
//! written. The row names its decision record's hash, so a verification can tell when
//! that record was removed from the trail.

use super::Fail;
use crate::audit::Record;
use crate::store::{Spend, StoreError};
use postgres::Client;
use postgres::error::SqlState;

/// When and for what `nonce` was spent, if it was.
pub fn spent(client: &mut Client, nonce: &str) -> Result<Option<(u64, String)>, Fail> {
    let row = client.query_opt(
        "SELECT used_at, command FROM guard_ledger WHERE nonce = $1",
        &[&nonce],
    )?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some((
            super::from_db(row.try_get(0)?),
            row.try_get::<_, String>(1)?,
        ))),
    }
}

/// Spends the nonce and writes `record` in one transaction. The audit lock is taken
/// first, so spends and appends from every machine are one sequence.
pub fn commit(
    client: &mut Client,
    record: Record,
    spend: Spend,
    location: &str,
) -> Result<Record, Fail> {
    let mut tx = client.transaction()?;
    let (seq, record) = super::audit::chain(&mut tx, record)?;
    let inserted = tx.execute(
        "INSERT INTO guard_ledger (nonce, used_at, command, record_hash) VALUES ($1, $2, $3, $4)",
        &[
            &spend.nonce,
            &super::to_db(spend.now),
            &spend.command,
            &record.hash,
        ],
    );
    match inserted {
        Ok(_) => {}
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            tx.rollback()?;
            return Err(match spent(client, spend.nonce)? {
                Some((used_at, command)) => StoreError::Spent { used_at, command }.into(),
                // The key broke, yet no row is there: it was removed since (by someone
                // who may delete). Refused all the same.
                None => Fail::Db(e),
            });
        }
        Err(e) => return Err(e.into()),
    }
    super::audit::insert(&mut tx, seq, &record, location)?;
    tx.commit()?;
    Ok(record)
}
