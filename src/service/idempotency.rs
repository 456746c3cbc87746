//! Idempotent creation, once for every `POST` that creates something (dossiers today;
//! payments and whatever comes next): a retried request with the same `Idempotency-Key`
//! returns the original response instead of creating a second record.
//!
//! How a creating handler uses it (the rows live in `db::models::idempotency`):
//! ```text
//! let key = Key::new(&principal.user_id, "create_payment|H25…", header_key, &raw_json);
//! // 1. before the transaction: a response already stored under the key is replayed
//! if let Some(k) = &key { if let Some(r) = state.db(|c| replay(c, k)).await? { return render(r) } }
//! // 2. inside the creating transaction, first statement:
//! if let Some(k) = &key { if begin(conn, k)? == Claim::Taken { return Ok(Raced) } }
//! //    … create …, then, still inside:
//! complete(conn, k, 201, &response_body, &resource_id)?;   // or release(conn, k) to give the key back
//! // 3. after the transaction, on `Raced`: `replay` again (the winner has committed).
//! ```
//! `replay` answers 422 `idempotency.key_reused` when the key came with another body, and
//! 409 `idempotency.in_progress` (Retry-After 2) while the winner's transaction that claimed
//! the key committed without completing it (a creation finished in two transactions, like an
//! online payment waiting for its gateway). The caller renders the `Replay` (status, body,
//! `Idempotent-Replayed: true`, its own `Location` from `resource_id`).
//!
//! A concurrent duplicate blocks on the key's primary key until the first request commits,
//! then its claim fails: `begin` takes the claim in a savepoint, so that failure is the typed
//! outcome [`Claim::Taken`], not an error to recognise by its text, and the creating
//! transaction has done nothing yet (no number of a gapless sequence is consumed).

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::models::idempotency as rows;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};

/// One caller's key for one operation, with the hash of the request it came with.
#[derive(Clone, Debug)]
pub struct Key {
    scope: String,
    request_hash: String,
}

impl Key {
    /// `None` when the request carries no `Idempotency-Key`. `operation` names what is
    /// created (and under what, e.g. `create_payment|{dossier code}`); `body` is the
    /// request as parsed JSON (key order and whitespace do not matter).
    pub fn new(
        principal: &str,
        operation: &str,
        key: Option<&str>,
        body: &serde_json::Value,
    ) -> Option<Key> {
        key.map(|k| Key {
            scope: rows::scope(principal, operation, k),
            request_hash: rows::request_hash(body),
        })
    }
}

/// The response stored under a key, to send again.
#[derive(Clone, Debug)]
pub struct Replay {
    pub status: u16,
    pub body: String,
    /// The id (or code) of the created record, for the `Location` header.
    pub resource_id: String,
}

/// What claiming a key inside the creating transaction found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours until the transaction ends: create, then `complete`.
    Claimed,
    /// A concurrent request with the same key committed first: end the transaction without
    /// creating anything and `replay` its response.
    Taken,
}

/// The response stored under the key, if a request with it already completed.
pub fn replay(conn: &mut DbConn, key: &Key) -> ApiResult<Option<Replay>> {
    let Some(stored) = rows::find(conn, &key.scope)? else {
        return Ok(None);
    };
    if stored.request_hash != key.request_hash {
        return Err(ApiError::unprocessable(
            "idempotency.key_reused",
            "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
            "This Idempotency-Key was already used with a different request.",
        ));
    }
    if stored.status_code == 0 {
        return Err(ApiError::conflict(
            "idempotency.in_progress",
            "Yêu cầu với Idempotency-Key này đang được xử lý; thử lại sau giây lát.",
            "A request with this Idempotency-Key is still in progress; retry in a moment.",
        )
        .with_header("retry-after", "2"));
    }
    Ok(Some(Replay {
        status: stored.status_code as u16,
        body: stored.response_body,
        resource_id: stored.resource_id,
    }))
}

/// Claims the key; the first statement of the creating transaction.
pub fn begin(conn: &mut DbConn, key: &Key) -> ApiResult<Claim> {
    let claimed = conn.transaction(|c| rows::claim(c, &key.scope, &key.request_hash));
    match claimed {
        Ok(()) => Ok(Claim::Claimed),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(Claim::Taken),
        Err(e) => Err(e.into()),
    }
}

/// Stores the response under the claimed key (same transaction as the creation, or a later
/// one when the creation finishes in two steps).
pub fn complete(
    conn: &mut DbConn,
    key: &Key,
    status: u16,
    body: &str,
    resource_id: &str,
) -> ApiResult<()> {
    Ok(rows::complete(conn, &key.scope, status, body, resource_id)?)
}

/// Gives the key back: the operation failed without effect and may be retried.
pub fn release(conn: &mut DbConn, key: &Key) -> ApiResult<()> {
    Ok(rows::release(conn, &key.scope)?)
}

/// The error of a race lost on a key whose winner left nothing to replay (not expected:
/// the winner committed its response with its claim).
pub fn taken_without_response() -> ApiError {
    ApiError::conflict(
        "duplicate",
        "Bản ghi với mã này đã tồn tại.",
        "A record with this code already exists.",
    )
}
