//! guard's tables in PostgreSQL and the requester role's grants: installed, or upgraded,
//! by an administrator with [`install`], idempotently (`guard_schema` records each
//! version applied); checked by guard on its first connection. Upgrades only add:
//! a guard may write to a newer schema than its own, never to an older one.

use super::{Fail, Postgres};
use crate::store::StoreError;
use postgres::Client;
use postgres::error::SqlState;

/// The schema version this guard needs.
pub const SCHEMA_VERSION: i32 = 1;

/// Each version's statements, in order. Run once, in the install's transaction.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1)];

const V1: &str = r"
CREATE TABLE guard_audit (
    seq     bigint PRIMARY KEY,
    prev    text NOT NULL,
    hash    text NOT NULL UNIQUE,
    record  text NOT NULL,
    written timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE guard_ledger (
    nonce       text PRIMARY KEY,
    used_at     bigint NOT NULL,
    command     text NOT NULL,
    record_hash text NOT NULL,
    written     timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE guard_breaker_seq;
CREATE TABLE guard_breaker_events (
    seq  bigint PRIMARY KEY DEFAULT nextval('guard_breaker_seq'),
    key  text NOT NULL,
    time bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('refused', 'destructive'))
);
CREATE INDEX guard_breaker_events_time ON guard_breaker_events (time);
CREATE TABLE guard_breaker_opened (
    seq bigint PRIMARY KEY DEFAULT nextval('guard_breaker_seq'),
    key text NOT NULL,
    at  bigint NOT NULL,
    why text NOT NULL
);
CREATE TABLE guard_breaker_resets (
    seq      bigint PRIMARY KEY DEFAULT nextval('guard_breaker_seq'),
    at       bigint NOT NULL,
    reset_by text NOT NULL DEFAULT session_user
);
CREATE TABLE guard_inbox (
    id      text PRIMARY KEY CHECK (id ~ '^[0-9A-Fa-f]+$'),
    request text NOT NULL,
    posted  bigint NOT NULL,
    expires bigint NOT NULL
);
CREATE INDEX guard_inbox_expires ON guard_inbox (expires);
CREATE SEQUENCE guard_inbox_seq;
CREATE TABLE guard_inbox_tokens (
    seq   bigint PRIMARY KEY DEFAULT nextval('guard_inbox_seq'),
    id    text NOT NULL REFERENCES guard_inbox (id),
    token text NOT NULL,
    UNIQUE (id, token)
);
ALTER SEQUENCE guard_inbox_seq OWNED BY guard_inbox_tokens.seq;
";

/// The tables guard writes, all insert-only for the requester role.
pub const TABLES: &[&str] = &[
    "guard_audit",
    "guard_ledger",
    "guard_breaker_events",
    "guard_breaker_opened",
    "guard_breaker_resets",
    "guard_inbox",
    "guard_inbox_tokens",
];

/// The sequences the requester role draws numbers from (as the tables' defaults).
pub const SEQUENCES: &[&str] = &["guard_breaker_seq", "guard_inbox_seq"];

/// Creates or upgrades guard's tables in the database at `admin_url` (connected as an
/// administrator: the tables' owner, with CREATEROLE), creates `requester_role` when it
/// is missing, and grants it exactly what guard needs. Returns what it did, a line a
/// step. Everything happens in one transaction: all of it or nothing.
///
/// A role it creates is `LOGIN` with no password: the administrator sets one apart
/// (`ALTER ROLE guard_requester PASSWORD '...'`, or `\password` in psql), and gives it
/// to guard. A role that exists is left as it is (its login and password); only its
/// grants are set. The grants, with `guard_requester` for the role and `public` for
/// the schema the tables are in, are exactly:
///
/// ```sql
/// REVOKE ALL ON guard_audit, guard_ledger, guard_breaker_events, guard_breaker_opened,
///     guard_breaker_resets, guard_inbox, guard_inbox_tokens, guard_schema
///     FROM PUBLIC, guard_requester;
/// REVOKE ALL ON SEQUENCE guard_breaker_seq, guard_inbox_seq FROM PUBLIC, guard_requester;
/// GRANT USAGE ON SCHEMA public TO guard_requester;
/// GRANT SELECT, INSERT ON guard_audit, guard_ledger, guard_breaker_events,
///     guard_breaker_opened, guard_breaker_resets, guard_inbox, guard_inbox_tokens
///     TO guard_requester;
/// GRANT SELECT ON guard_schema TO guard_requester;
/// GRANT USAGE ON SEQUENCE guard_breaker_seq, guard_inbox_seq TO guard_requester;
/// -- Said again, so no one reading the grants has to know what ALL covers:
/// REVOKE UPDATE, DELETE, TRUNCATE ON guard_audit, guard_ledger, guard_breaker_events,
///     guard_breaker_opened, guard_breaker_resets, guard_inbox, guard_inbox_tokens,
///     guard_schema FROM guard_requester;
/// ```
///
/// `guard_schema` is read-only to the role: a version row it inserted would make the
/// next install skip an upgrade. `USAGE` on a sequence allows `nextval` only (`setval`
/// needs UPDATE). Then the install asks PostgreSQL whether the role can still UPDATE,
/// DELETE or TRUNCATE any of the tables (as a superuser, an owner, or through a role it
/// is a member of can) and, if so, refuses and undoes it all.
///
/// What the grants do not stop: whoever has the role's password can INSERT rows guard
/// did not write (a breaker reset, a spent nonce, a record at the end of the chain).
/// Keep the password where the people guard guards cannot read it, as a protected
/// install keeps its files.
pub fn install(
    admin_url: &str,
    admin_password: Option<String>,
    requester_role: &str,
) -> Result<String, StoreError> {
    let mut admin = Postgres::new(admin_url, admin_password)?;
    admin.check_schema = false;
    let role = ident(requester_role)?;
    admin.with_client("install guard's tables", |c| {
        let mut tx = c.transaction()?;
        super::lock(&mut tx, super::INSTALL_LOCK)?;
        let mut did = migrate(&mut tx)?;
        did.push(ensure_role(&mut tx, requester_role, &role)?);
        did.push(grant(&mut tx, requester_role, &role)?);
        tx.commit()?;
        Ok(did.join("\n"))
    })
}

/// Applies the versions the database does not have yet.
fn migrate(tx: &mut postgres::Transaction) -> Result<Vec<String>, Fail> {
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS guard_schema (
            version   integer PRIMARY KEY,
            installed timestamptz NOT NULL DEFAULT now()
        )",
    )?;
    let have: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM guard_schema", &[])?
        .try_get(0)?;
    let mut did = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > have) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO guard_schema (version) VALUES ($1)", &[version])?;
        did.push(format!("created guard's tables, schema version {version}"));
    }
    if did.is_empty() {
        did.push(format!(
            "guard's tables are at schema version {have}: nothing to upgrade"
        ));
    }
    Ok(did)
}

/// Creates the role when it is missing (LOGIN, no password); refuses the account that
/// installs, which owns the tables.
fn ensure_role(tx: &mut postgres::Transaction, name: &str, role: &str) -> Result<String, Fail> {
    let me: String = tx.query_one("SELECT current_user::text", &[])?.try_get(0)?;
    if me == name {
        return Err(refuse(format!(
            "the requester role cannot be {name}, the account that installs and owns guard's tables: name a role of its own"
        )));
    }
    let exists = tx.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])?;
    if exists.is_some() {
        return Ok(format!(
            "role {name} exists: its login and password are left as they are"
        ));
    }
    tx.batch_execute(&format!("CREATE ROLE {role} LOGIN"))?;
    Ok(format!(
        "created role {name} (LOGIN, no password yet: set one with ALTER ROLE {role} PASSWORD '...')"
    ))
}

/// Grants the role exactly SELECT and INSERT (see [`install`]), then makes sure it
/// cannot UPDATE, DELETE or TRUNCATE by any other way.
fn grant(tx: &mut postgres::Transaction, name: &str, role: &str) -> Result<String, Fail> {
    let schema: Option<String> = tx
        .query_one("SELECT current_schema()::text", &[])?
        .try_get(0)?;
    let Some(schema) = schema else {
        return Err(refuse(
            "no schema to install into: the search_path is empty".into(),
        ));
    };
    let tables = TABLES.join(", ");
    let sequences = SEQUENCES.join(", ");
    tx.batch_execute(&format!(
        "REVOKE ALL ON {tables}, guard_schema FROM PUBLIC, {role};
         REVOKE ALL ON SEQUENCE {sequences} FROM PUBLIC, {role};
         GRANT USAGE ON SCHEMA {schema} TO {role};
         GRANT SELECT, INSERT ON {tables} TO {role};
         GRANT SELECT ON guard_schema TO {role};
         GRANT USAGE ON SEQUENCE {sequences} TO {role};
         REVOKE UPDATE, DELETE, TRUNCATE ON {tables}, guard_schema FROM {role};",
        schema = ident(&schema).map_err(Fail::Store)?,
    ))?;
    let rows = tx.query(
        "SELECT t FROM unnest($1::text[]) AS t
         WHERE has_table_privilege($2, t, 'UPDATE')
            OR has_table_privilege($2, t, 'DELETE')
            OR has_table_privilege($2, t, 'TRUNCATE')",
        &[&TABLES, &name],
    )?;
    if let Some(row) = rows.first() {
        let table: String = row.try_get(0)?;
        return Err(refuse(format!(
            "role {name} could still change or remove rows of {table} (it is a superuser, owns the table, or is a member of a role that may): give guard a role of its own"
        )));
    }
    Ok(format!(
        "granted {name} SELECT and INSERT on {tables}, SELECT on guard_schema, USAGE on {sequences} and schema {schema}; nothing else"
    ))
}

/// Checks, on guard's first connection, that the tables are there and new enough.
pub(super) fn check_version(client: &mut Client, location: &str) -> Result<(), Fail> {
    let have: i32 =
        match client.query_one("SELECT coalesce(max(version), 0) FROM guard_schema", &[]) {
            Ok(row) => row.try_get(0)?,
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => 0,
            Err(e) => return Err(e.into()),
        };
    if have >= SCHEMA_VERSION {
        return Ok(());
    }
    let what = if have == 0 {
        "has no guard tables".to_string()
    } else {
        format!("has guard's schema version {have}, and this guard needs {SCHEMA_VERSION}")
    };
    Err(StoreError::NoPlace(format!(
        "the guard database {location} {what}: an administrator creates or upgrades them: guard setup --store postgresql://ADMIN@HOST/DATABASE"
    ))
    .into())
}

fn refuse(why: String) -> Fail {
    Fail::Store(StoreError::NoPlace(format!(
        "cannot install guard's tables: {why}"
    )))
}

/// A name as a quoted SQL identifier.
fn ident(name: &str) -> Result<String, StoreError> {
    if name.is_empty() || name.len() > 63 || name.contains('\0') {
        return Err(StoreError::NoPlace(format!(
            "`{}` is not a PostgreSQL role or schema name (1 to 63 bytes)",
            crate::sanitize::sanitize(name)
        )));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}
