//! Idempotent creation: a retried POST with the same `Idempotency-Key` returns the original
//! response instead of creating a second record.
//!
//! The key is claimed at the start of the creating transaction. A concurrent duplicate
//! blocks on the key's primary key until the first commits, then fails with a unique
//! violation and rolls back entirely (so no number of a gapless sequence is consumed);
//! the caller then replays the stored response.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::DbConn;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredResponse {
    pub scope: String,
    pub request_hash: String,
    pub status_code: i32,
    pub response_body: String,
    pub resource_id: String,
}

/// The key's scope: one caller, one operation. Two callers never collide on a key.
pub fn scope(principal: &str, operation: &str, key: &str) -> String {
    format!("{principal}|{operation}|{key}")
}

/// Hash of the request as parsed JSON (key order and whitespace do not matter).
pub fn request_hash(body: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(body).unwrap_or_default()))
}

pub fn find(conn: &mut DbConn, scope: &str) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .find(scope)
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()
}

/// Claims the key inside the creating transaction (status 0 until `complete`).
pub fn claim(conn: &mut DbConn, scope: &str, request_hash: &str) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::status_code.eq(0),
            idempotency_keys::response_body.eq(""),
            idempotency_keys::resource_id.eq(""),
            idempotency_keys::created_at.eq(crate::clock::now().naive_utc()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn complete(
    conn: &mut DbConn,
    scope: &str,
    status: u16,
    body: &str,
    resource_id: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find(scope))
        .set((
            idempotency_keys::status_code.eq(i32::from(status)),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::resource_id.eq(resource_id),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Gives the key back (the operation failed without effect and may be retried).
pub fn release(conn: &mut DbConn, scope: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find(scope))
        .execute(conn)
        .map(|_| ())
}
