//! The payment platform's callbacks: applied through the ledger, and every one logged
//! with its outcome (of a refused one, only a digest).

use crate::config::Config;
use crate::db::models::fee::{NewCallbackLog, Payment};
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::payments::ledger::{self, CallbackResult};
use crate::payments::{Callback, PaymentGateway};

/// Characters of a refused callback body kept in the callback log.
pub const REFUSED_BODY_PREFIX_CHARS: usize = 256;

/// What the callback log keeps of a refused body: its SHA-256, its length and the first
/// `REFUSED_BODY_PREFIX_CHARS` characters, enough to recognise a message without letting
/// anyone fill the database with unsigned bodies.
pub fn refused_body_digest(raw: &str) -> String {
    use sha2::{Digest, Sha256};
    let prefix: String = raw.chars().take(REFUSED_BODY_PREFIX_CHARS).collect();
    format!(
        "sha256={} bytes={} prefix={prefix}",
        hex::encode(Sha256::digest(raw.as_bytes())),
        raw.len()
    )
}

/// Applies a verified callback (inside the caller's transaction).
pub fn apply(
    conn: &mut DbConn,
    config: &Config,
    gateway: &dyn PaymentGateway,
    cb: &Callback,
) -> ApiResult<(CallbackResult, Payment)> {
    ledger::apply_callback(conn, config, gateway, cb, crate::clock::now())
}

/// The outcome word of an applied callback.
pub fn result_word(r: &CallbackResult) -> &'static str {
    match r {
        CallbackResult::Applied => "applied",
        CallbackResult::AlreadyApplied => "already_applied",
    }
}

/// One received callback, as the log keeps it.
pub struct Received {
    pub gateway: &'static str,
    pub reference: Option<String>,
    pub payment_id: Option<String>,
    /// `applied`, `already_applied`, or the refusal's error code.
    pub outcome: &'static str,
    pub http_status: i32,
    /// The whole body if applied; a digest ([`refused_body_digest`]) if refused.
    pub body: String,
    pub client_ip: Option<String>,
}

impl Received {
    /// What the log keeps of a callback and its result: a refused message is kept as a
    /// digest and a prefix, never whole.
    pub fn of(
        gateway: &'static str,
        cb: &Callback,
        result: &ApiResult<(CallbackResult, Payment)>,
        raw: String,
        client_ip: Option<String>,
    ) -> Received {
        let (outcome, http_status, payment_id) = match result {
            Ok((r, p)) => (result_word(r), 200, Some(p.id.clone())),
            Err(e) => (e.code, i32::from(e.status.as_u16()), None),
        };
        Received {
            gateway,
            reference: Some(cb.reference.clone()),
            payment_id,
            outcome,
            http_status,
            body: if result.is_ok() {
                raw
            } else {
                refused_body_digest(&raw)
            },
            client_ip,
        }
    }
}

/// Writes a callback to the log.
pub fn log(conn: &mut DbConn, r: &Received) -> ApiResult<()> {
    NewCallbackLog {
        gateway: r.gateway,
        reference: r.reference.as_deref(),
        payment_id: r.payment_id.as_deref(),
        outcome: r.outcome,
        http_status: r.http_status,
        body: &r.body,
        client_ip: r.client_ip.as_deref(),
        received_at: crate::clock::now().naive_utc(),
    }
    .insert(conn)?;
    Ok(())
}
