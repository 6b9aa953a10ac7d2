//! The inbox as insert-only rows: a request in `guard_inbox` (its id the primary key),
//! each approver's token in `guard_inbox_tokens` (unique per request). Posting the same
//! request again is a no-op; posting another under a taken id is refused, never a
//! replacement. Expired requests stay (nothing is deleted) and are left out of
//! `waiting`; removing old rows is the database administrator's job.

use super::Fail;
use crate::store::{Pending, StoreError};
use postgres::Client;

const WHAT: &str = "the approval inbox";

/// Refuses an id that is not a request's short id (hex digits).
pub fn check_id(id: &str) -> Result<(), StoreError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StoreError::Unsupported(format!(
            "`{id}` is not a request id"
        )));
    }
    Ok(())
}

pub fn post(
    client: &mut Client,
    id: &str,
    request: &str,
    expires: u64,
    now: u64,
) -> Result<Pending, Fail> {
    let inserted = client.execute(
        "INSERT INTO guard_inbox (id, request, posted, expires) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        &[&id, &request, &super::to_db(now), &super::to_db(expires)],
    )?;
    if inserted == 1 {
        return Ok(Pending {
            id: id.to_string(),
            request: request.to_string(),
            posted: now,
            expires,
            tokens: Vec::new(),
        });
    }
    match exact(client, id)? {
        Some(p) if p.request == request => Ok(p),
        _ => Err(StoreError::Damaged {
            what: WHAT,
            path: id.into(),
            why: "another request was posted under this id; post it again with a new one".into(),
        }
        .into()),
    }
}

pub fn waiting(client: &mut Client, now: u64) -> Result<Vec<Pending>, Fail> {
    let rows = client.query(
        "SELECT id, request, posted, expires FROM guard_inbox WHERE expires >= $1 ORDER BY posted, id",
        &[&super::to_db(now)],
    )?;
    let mut out = rows.iter().map(pending).collect::<Result<Vec<_>, _>>()?;
    with_tokens(client, &mut out)?;
    Ok(out)
}

/// The request with this id, or the only one whose id starts with it.
pub fn find(client: &mut Client, id: &str) -> Result<Option<Pending>, Fail> {
    if let Some(p) = exact(client, id)? {
        return Ok(Some(p));
    }
    // Ids are hex digits (checked), so the pattern has no wildcard but its end.
    let rows = client.query(
        "SELECT id, request, posted, expires FROM guard_inbox WHERE id LIKE $1 ORDER BY id LIMIT 2",
        &[&format!("{id}%")],
    )?;
    if rows.len() != 1 {
        return Ok(None);
    }
    let mut found = rows.iter().map(pending).collect::<Result<Vec<_>, _>>()?;
    with_tokens(client, &mut found)?;
    Ok(found.pop())
}

pub fn add_token(client: &mut Client, id: &str, token: &str) -> Result<Pending, Fail> {
    if exact(client, id)?.is_none() {
        return Err(no_request(id).into());
    }
    client.execute(
        "INSERT INTO guard_inbox_tokens (id, token) VALUES ($1, $2) ON CONFLICT (id, token) DO NOTHING",
        &[&id, &token],
    )?;
    exact(client, id)?.ok_or_else(|| no_request(id).into())
}

fn no_request(id: &str) -> StoreError {
    StoreError::Damaged {
        what: WHAT,
        path: id.into(),
        why: format!("no request {id}"),
    }
}

/// The request with exactly this id, with its tokens.
fn exact(client: &mut Client, id: &str) -> Result<Option<Pending>, Fail> {
    let Some(row) = client.query_opt(
        "SELECT id, request, posted, expires FROM guard_inbox WHERE id = $1",
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let mut found = vec![pending(&row)?];
    with_tokens(client, &mut found)?;
    Ok(found.pop())
}

fn pending(row: &postgres::Row) -> Result<Pending, postgres::Error> {
    Ok(Pending {
        id: row.try_get(0)?,
        request: row.try_get(1)?,
        posted: super::from_db(row.try_get(2)?),
        expires: super::from_db(row.try_get(3)?),
        tokens: Vec::new(),
    })
}

/// Fills in the requests' tokens, in the order they were added.
fn with_tokens(client: &mut Client, requests: &mut [Pending]) -> Result<(), Fail> {
    if requests.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = requests.iter().map(|p| p.id.as_str()).collect();
    for row in client.query(
        "SELECT id, token FROM guard_inbox_tokens WHERE id = ANY($1) ORDER BY seq",
        &[&ids],
    )? {
        let id: String = row.try_get(0)?;
        let token: String = row.try_get(1)?;
        if let Some(p) = requests.iter_mut().find(|p| p.id == id) {
            p.tokens.push(token);
        }
    }
    Ok(())
}
