//! Rows of the personal-data access log and the statements that extend a commune's chain.
//! The rules (what is an entry, how it is hashed, how a chain is verified) live in
//! `service::access_log`; this module only stores them, per backend where the SQL differs.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};

use crate::db::schema::{access_log, access_log_heads};
use crate::db::DbConn;

/// A stored entry.
#[derive(Queryable, Selectable, Insertable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = access_log)]
pub struct Entry {
    pub id: String,
    pub commune_code: String,
    pub seq: i64,
    pub province_code: String,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_role: String,
    pub actor_commune_code: Option<String>,
    pub actor_province_code: Option<String>,
    pub record_kind: String,
    pub record_id: String,
    pub record_ref: String,
    pub operation: String,
    pub route: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The end of a commune's chain: its last sequence number and hash.
pub type Head = (i64, String);

#[derive(QueryableByName)]
struct HeadRow {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
    #[diesel(sql_type = Text)]
    last_hash: String,
}

/// Inside a write transaction: locks a commune's head (creating it at `genesis`) and returns
/// it. Writers lock heads in commune-code order, so none deadlock.
pub fn lock_head(conn: &mut DbConn, commune: &str, genesis: &str) -> QueryResult<Head> {
    let now = crate::clock::now().naive_utc();
    let (create, select) = match conn {
        DbConn::Pg(_) => (
            "INSERT INTO access_log_heads (commune_code, last_seq, last_hash, updated_at) \
             VALUES ($1, 0, $2, $3) ON CONFLICT (commune_code) DO NOTHING",
            "SELECT last_seq, last_hash FROM access_log_heads WHERE commune_code = $1 FOR UPDATE",
        ),
        // The IMMEDIATE transaction already holds the database's write lock.
        DbConn::Sqlite(_) => (
            "INSERT OR IGNORE INTO access_log_heads (commune_code, last_seq, last_hash, updated_at) \
             VALUES (?, 0, ?, ?)",
            "SELECT last_seq, last_hash FROM access_log_heads WHERE commune_code = ?",
        ),
    };
    diesel::sql_query(create)
        .bind::<Text, _>(commune)
        .bind::<Text, _>(genesis)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
    let head = diesel::sql_query(select)
        .bind::<Text, _>(commune)
        .get_result::<HeadRow>(conn)?;
    Ok((head.last_seq, head.last_hash))
}

/// Inside a write transaction holding the head's lock: stores `rows` and moves the head.
pub fn insert_locked(conn: &mut DbConn, commune: &str, rows: &[Entry]) -> QueryResult<()> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    insert_rows(conn, rows)?;
    diesel::update(access_log_heads::table.find(commune))
        .set((
            access_log_heads::last_seq.eq(last.seq),
            access_log_heads::last_hash.eq(&last.hash),
            access_log_heads::updated_at.eq(crate::clock::now().naive_utc()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Multi-row INSERT (MultiConnection has no batch insert: per backend).
fn insert_rows(conn: &mut DbConn, rows: &[Entry]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        match conn {
            DbConn::Pg(c) => diesel::insert_into(access_log::table)
                .values(chunk)
                .execute(c)?,
            DbConn::Sqlite(c) => diesel::insert_into(access_log::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

/// Stores `rows` (chained after `expected`, all of `commune`) if and only if the chain's head
/// is still `expected`, and moves the head to the last row. Returns false, having written
/// nothing, when the head has moved (another instance appended) or does not exist.
///
/// This is the writer's fast path: on PostgreSQL one statement (the head's conditional
/// update and the insert in one data-modifying CTE, committed on its own: one round trip
/// instead of six); on SQLite one IMMEDIATE transaction.
pub fn append_after(
    conn: &mut DbConn,
    commune: &str,
    expected: (i64, &str),
    rows: &[Entry],
) -> QueryResult<bool> {
    let Some(last) = rows.last() else {
        return Ok(true);
    };
    let now = crate::clock::now().naive_utc();
    match conn {
        DbConn::Pg(c) => {
            let col = |f: fn(&Entry) -> String| rows.iter().map(f).collect::<Vec<String>>();
            let inserted = diesel::sql_query(APPEND_AFTER_PG)
                .bind::<BigInt, _>(last.seq)
                .bind::<Text, _>(&last.hash)
                .bind::<Timestamp, _>(now)
                .bind::<Text, _>(commune)
                .bind::<BigInt, _>(expected.0)
                .bind::<Text, _>(expected.1)
                .bind::<Array<Text>, _>(col(|e| e.id.clone()))
                .bind::<Array<BigInt>, _>(rows.iter().map(|e| e.seq).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(col(|e| e.province_code.clone()))
                .bind::<Array<Timestamp>, _>(rows.iter().map(|e| e.at).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(col(|e| e.actor_id.clone()))
                .bind::<Array<Text>, _>(col(|e| e.actor_role.clone()))
                .bind::<Array<Nullable<Text>>, _>(
                    rows.iter()
                        .map(|e| e.actor_commune_code.clone())
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Nullable<Text>>, _>(
                    rows.iter()
                        .map(|e| e.actor_province_code.clone())
                        .collect::<Vec<_>>(),
                )
                .bind::<Array<Text>, _>(col(|e| e.record_kind.clone()))
                .bind::<Array<Text>, _>(col(|e| e.record_id.clone()))
                .bind::<Array<Text>, _>(col(|e| e.record_ref.clone()))
                .bind::<Array<Text>, _>(col(|e| e.operation.clone()))
                .bind::<Array<Text>, _>(col(|e| e.route.clone()))
                .bind::<Array<Text>, _>(col(|e| e.request_id.clone()))
                .bind::<Array<Text>, _>(col(|e| e.prev_hash.clone()))
                .bind::<Array<Text>, _>(col(|e| e.hash.clone()))
                .execute(c)?;
            Ok(inserted == rows.len())
        }
        DbConn::Sqlite(_) => {
            conn.write_transaction(|conn| sqlite_append_after(conn, commune, expected, rows))
        }
    }
}

/// [`append_after`] inside the caller's write transaction (the writer's group commit: every
/// commune of a batch in one transaction, one commit).
pub fn append_after_within(
    conn: &mut DbConn,
    commune: &str,
    expected: (i64, &str),
    rows: &[Entry],
) -> QueryResult<bool> {
    match conn {
        // One statement: it is atomic inside the transaction as it is alone.
        DbConn::Pg(_) => append_after(conn, commune, expected, rows),
        DbConn::Sqlite(_) => sqlite_append_after(conn, commune, expected, rows),
    }
}

fn sqlite_append_after(
    conn: &mut DbConn,
    commune: &str,
    expected: (i64, &str),
    rows: &[Entry],
) -> QueryResult<bool> {
    let Some(last) = rows.last() else {
        return Ok(true);
    };
    let moved = diesel::update(
        access_log_heads::table
            .find(commune)
            .filter(access_log_heads::last_seq.eq(expected.0))
            .filter(access_log_heads::last_hash.eq(expected.1)),
    )
    .set((
        access_log_heads::last_seq.eq(last.seq),
        access_log_heads::last_hash.eq(&last.hash),
        access_log_heads::updated_at.eq(crate::clock::now().naive_utc()),
    ))
    .execute(conn)?;
    if moved == 1 {
        insert_rows(conn, rows)?;
    }
    Ok(moved == 1)
}

/// The head moves only if it is where the writer left it; the rows are inserted only if it
/// moved (`FROM head` is empty otherwise). One statement, so both or neither.
const APPEND_AFTER_PG: &str = "\
WITH head AS (
    UPDATE access_log_heads SET last_seq = $1, last_hash = $2, updated_at = $3
    WHERE commune_code = $4 AND last_seq = $5 AND last_hash = $6
    RETURNING commune_code
)
INSERT INTO access_log (id, commune_code, seq, province_code, at, actor_id, actor_role,
    actor_commune_code, actor_province_code, record_kind, record_id, record_ref, operation,
    route, request_id, prev_hash, hash)
SELECT e.id, head.commune_code, e.seq, e.province_code, e.at, e.actor_id, e.actor_role,
    e.actor_commune_code, e.actor_province_code, e.record_kind, e.record_id, e.record_ref,
    e.operation, e.route, e.request_id, e.prev_hash, e.hash
FROM head, unnest($7::text[], $8::bigint[], $9::text[], $10::timestamp[], $11::text[],
    $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
    $19::text[], $20::text[], $21::text[], $22::text[])
    AS e(id, seq, province_code, at, actor_id, actor_role, actor_commune_code,
         actor_province_code, record_kind, record_id, record_ref, operation, route,
         request_id, prev_hash, hash)";
