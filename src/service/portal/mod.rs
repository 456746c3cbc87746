//! National portal sync administration (the outbox and its counts), the event feed for
//! integrators, and webhook subscriptions: the use cases behind `api::portal`. Delivery
//! itself is `crate::portal`.

mod events;
mod webhooks;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::access::{self, Resource};
use crate::auth::Principal;
use crate::db::schema::{dossiers, portal_outbox};
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::portal::outbox::{self, OutboxRow};

pub use events::*;
pub use webhooks::*;

/// The commune an administrator is limited to in the outbox (`None`: the whole system).
fn admin_scope(p: &Principal) -> Option<String> {
    access::scope(p, Resource::PortalOutbox).commune_or_all()
}

/// A portal message in the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxView {
    pub id: i64,
    pub dossier_code: String,
    /// `DongBoHoSoMC` or `CapNhatTienDoHoSoMC`.
    pub service: String,
    /// What the portal deduplicates on; the same on every re-delivery.
    pub idempotency_ref: String,
    /// `pending` (waiting or retrying), `sent`, or `dead` (gave up; re-queue it).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

fn outbox_view(r: OutboxRow, code: String) -> OutboxView {
    OutboxView {
        id: r.id,
        dossier_code: code,
        service: r.service,
        idempotency_ref: r.idempotency_ref,
        status: r.status,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at.and_utc(),
        last_error: r.last_error,
        created_at: r.created_at.and_utc(),
        sent_at: r.sent_at.map(|t| t.and_utc()),
    }
}

/// Up to `limit` messages in the caller's scope, newest first, before the id `before`:
/// by `status` (`failed`: pending after at least one failed attempt) and dossier.
pub fn list_outbox(
    conn: &mut DbConn,
    p: &Principal,
    status: Option<&str>,
    dossier_code: Option<String>,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<OutboxView>> {
    let mut q = portal_outbox::table
        .inner_join(dossiers::table)
        .select((OutboxRow::as_select(), dossiers::code))
        .order(portal_outbox::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = admin_scope(p) {
        q = q.filter(dossiers::commune_code.eq(c));
    }
    match status {
        Some("failed") => {
            q = q
                .filter(portal_outbox::status.eq("pending"))
                .filter(portal_outbox::attempts.gt(0))
        }
        Some(s) => q = q.filter(portal_outbox::status.eq(s.to_string())),
        None => {}
    }
    if let Some(code) = dossier_code {
        q = q.filter(dossiers::code.eq(code));
    }
    if let Some(b) = before {
        q = q.filter(portal_outbox::id.lt(b));
    }
    let rows: Vec<(OutboxRow, String)> = q.load(conn)?;
    Ok(rows.into_iter().map(|(r, c)| outbox_view(r, c)).collect())
}

/// Re-queues the failed or dead messages `ids` in the caller's scope (empty: every dead
/// one); returns how many.
pub fn requeue(conn: &mut DbConn, p: &Principal, ids: &[i64]) -> ApiResult<usize> {
    let scope = admin_scope(p);
    Ok(outbox::requeue(
        conn,
        ids,
        scope.as_deref(),
        crate::clock::now(),
    )?)
}

/// Counts of the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxStatus {
    pub pending: i64,
    /// Pending after at least one failed attempt.
    pub failed: i64,
    pub dead: i64,
    pub sent: i64,
    /// Waiting for their commune's issued agency identifier (mã định danh điện tử).
    pub held: i64,
    /// The oldest message not yet delivered.
    pub oldest_pending_at: Option<DateTime<Utc>>,
    /// Whether this instance has a portal configured (`PORTAL_URL`).
    pub portal_configured: bool,
}

/// The outbox counts in the caller's scope.
pub fn status(conn: &mut DbConn, p: &Principal, configured: bool) -> ApiResult<OutboxStatus> {
    let scope = admin_scope(p);
    let count = |conn: &mut DbConn, status: &str, failed: bool| -> QueryResult<i64> {
        let mut q = portal_outbox::table
            .inner_join(dossiers::table)
            .filter(portal_outbox::status.eq(status.to_string()))
            .into_boxed();
        if let Some(c) = &scope {
            q = q.filter(dossiers::commune_code.eq(c.clone()));
        }
        if failed {
            q = q.filter(portal_outbox::attempts.gt(0));
        }
        q.count().get_result(conn)
    };
    let mut oldest = portal_outbox::table
        .inner_join(dossiers::table)
        .filter(portal_outbox::status.ne("sent"))
        .select(portal_outbox::created_at)
        .order(portal_outbox::id)
        .into_boxed();
    if let Some(c) = &scope {
        oldest = oldest.filter(dossiers::commune_code.eq(c.clone()));
    }
    Ok(OutboxStatus {
        pending: count(conn, "pending", false)?,
        failed: count(conn, "pending", true)?,
        dead: count(conn, "dead", false)?,
        sent: count(conn, "sent", false)?,
        held: count(conn, outbox::HELD, false)?,
        oldest_pending_at: oldest
            .first::<NaiveDateTime>(conn)
            .optional()?
            .map(|t| t.and_utc()),
        portal_configured: configured,
    })
}
