//! The transactional outbox to the portal.
//!
//! `enqueue` runs inside the transaction that appends a dossier's history event, so a
//! change and its message commit or roll back together. Workers (`deliver_once`) claim
//! due messages that are the oldest unsent one of their dossier — order per dossier —
//! under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), send
//! them outside any transaction, and mark them sent. A worker that dies after sending but
//! before marking leaves the lease to expire: the message is sent again with the same
//! idempotency reference, which the portal deduplicates on.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

use std::collections::HashMap;

use diesel::result::Error::NotFound;

use super::{payload, PortalClient, PortalMessage};
use crate::db::models::dossier::{Dossier, NewDossierEvent};
use crate::db::schema::{dossiers, portal_outbox};
use crate::db::{DbConn, DbPool};

pub const DOSSIER_SERVICE: &str = crate::db::models::dossier::PORTAL_DOSSIER_SERVICE;
pub const PROGRESS_SERVICE: &str = "CapNhatTienDoHoSoMC";
/// Outbox status of a message waiting for its commune's issued agency identifier.
pub const HELD: &str = "held";

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = portal_outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub dossier_id: String,
    pub event_id: i64,
    pub service: String,
    pub idempotency_ref: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Queues the portal message of a history event (same transaction). The creation event
/// (no previous status) becomes the dossier message, every later one a progress message;
/// both are rendered when sent, from the event and the dossier as it then is.
pub fn enqueue(
    conn: &mut DbConn,
    e: &NewDossierEvent<'_>,
    event_id: i64,
    code: &str,
) -> QueryResult<()> {
    // A commune without its issued agency identifier has nothing to name itself with at
    // the portal: its messages wait ('held') until the identifier is recorded.
    let has_id = crate::service::agency::dossier_commune_has_identifier(conn, e.dossier_id)?;
    enqueue_known(conn, e, event_id, code, has_id)
}

/// [`enqueue`] when the caller already read whether the dossier's commune has its issued
/// agency identifier (intake, which read the commune before taking the number).
pub fn enqueue_known(
    conn: &mut DbConn,
    e: &NewDossierEvent<'_>,
    event_id: i64,
    code: &str,
    commune_has_agency_id: bool,
) -> QueryResult<()> {
    let service = if e.from_status.is_none() {
        DOSSIER_SERVICE
    } else {
        PROGRESS_SERVICE
    };
    let status = if commune_has_agency_id {
        "pending"
    } else {
        HELD
    };
    diesel::insert_into(portal_outbox::table)
        .values((
            portal_outbox::dossier_id.eq(e.dossier_id),
            portal_outbox::event_id.eq(event_id),
            portal_outbox::service.eq(service),
            portal_outbox::idempotency_ref.eq(format!("{code}:{event_id}")),
            portal_outbox::payload.eq(""),
            portal_outbox::status.eq(status),
            portal_outbox::attempts.eq(0),
            portal_outbox::next_attempt_at.eq(e.created_at),
            portal_outbox::created_at.eq(e.created_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Tunables of the delivery loop.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    pub batch: i64,
    pub max_attempts: i32,
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// The client's timeout: a claim's lease covers the whole batch at this pace.
    pub send_timeout: Duration,
}

impl DeliveryConfig {
    pub fn from_config(c: &crate::config::Config) -> Self {
        DeliveryConfig {
            batch: c.portal_batch.max(1),
            max_attempts: c.portal_max_attempts.max(1),
            retry_base: Duration::milliseconds(c.portal_retry_base_ms as i64),
            retry_max: Duration::seconds(3600),
            send_timeout: Duration::milliseconds(c.portal_timeout_ms as i64),
        }
    }

    fn lease(&self) -> Duration {
        self.send_timeout * (self.batch as i32) + Duration::seconds(30)
    }

    /// Exponential backoff with jitter: base·2^(n−1), capped, times a random 0.5–1.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exp = self.retry_base * 2i32.saturating_pow((attempts - 1).clamp(0, 20) as u32);
        let capped = exp.min(self.retry_max);
        let jitter = rand::thread_rng().gen_range(0.5..=1.0);
        Duration::milliseconds((capped.num_milliseconds() as f64 * jitter) as i64)
    }
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Claims up to `batch` due head-of-dossier messages for `worker` until the lease ends.
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    now: DateTime<Utc>,
    cfg: &DeliveryConfig,
) -> QueryResult<Vec<OutboxRow>> {
    let d = conn.dialect();
    let (p1, p2, p3, p4) = (d.param(1), d.param(2), d.param(3), d.param(4));
    // Binds: now, batch, worker, lease end.
    let sql = format!(
        "UPDATE portal_outbox SET locked_by = {p3}, locked_until = {p4} WHERE id IN (\
           SELECT o.id FROM portal_outbox o \
           WHERE o.status = 'pending' AND o.next_attempt_at <= {p1} \
             AND (o.locked_until IS NULL OR o.locked_until < {p1}) \
             AND NOT EXISTS (SELECT 1 FROM portal_outbox p WHERE p.dossier_id = o.dossier_id \
                             AND p.id < o.id AND p.status <> 'sent') \
           ORDER BY o.id LIMIT {p2}{}) RETURNING id",
        d.skip_locked()
    );
    let nowd = now.naive_utc();
    let lease = (now + cfg.lease()).naive_utc();
    let ids: Vec<i64> = conn.write_transaction(|c| {
        diesel::sql_query(&sql)
            .bind::<Timestamp, _>(nowd)
            .bind::<BigInt, _>(cfg.batch)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease)
            .load::<Claimed>(c)
            .map(|rows| rows.into_iter().map(|r| r.id).collect())
    })?;
    let mut rows: Vec<OutboxRow> = portal_outbox::table
        .filter(portal_outbox::id.eq_any(&ids))
        .select(OutboxRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// The messages of `rows` as the portal receives them, from their events and their
/// dossiers as they are now, in the order of `rows`. A fixed number of queries whatever
/// the batch's size (the dossiers, then one per kind of fact, [`payload::Facts::load`]);
/// links are signed at `now`.
pub fn render_batch(
    conn: &mut DbConn,
    rows: &[OutboxRow],
    now: DateTime<Utc>,
) -> QueryResult<Vec<PortalMessage>> {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.dossier_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let found: HashMap<String, Dossier> = dossiers::table
        .filter(dossiers::id.eq_any(&ids))
        .select(Dossier::as_select())
        .load(conn)?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let steps: Vec<i64> = rows
        .iter()
        .filter(|r| r.service != DOSSIER_SERVICE)
        .map(|r| r.event_id)
        .collect();
    let facts = payload::Facts::load(conn, &found.values().collect::<Vec<_>>(), &steps)?;
    let links = super::links::signer();
    // A dossier with several messages in the batch gets its header built once.
    let mut headers: HashMap<&str, serde_json::Value> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let d = found.get(&row.dossier_id).ok_or(NotFound)?;
        let header = match headers.get(d.id.as_str()) {
            Some(h) => h.clone(),
            None => {
                let h = facts.header(d, links, now)?;
                headers.insert(d.id.as_str(), h.clone());
                h
            }
        };
        let payload = if row.service == DOSSIER_SERVICE {
            let mut h = header;
            h["isUpdating"] = serde_json::json!(false);
            h
        } else {
            let e = facts.event(row.event_id).ok_or(NotFound)?;
            let mut p = facts.progress(d, e, header);
            // The status this step left the dossier in, not the current one.
            p["TrangThai"] = serde_json::json!(e.to_status.national_code());
            p
        };
        out.push(PortalMessage {
            service: row.service.clone(),
            idempotency_ref: row.idempotency_ref.clone(),
            payload,
        });
    }
    Ok(out)
}

/// One message, as [`render_batch`] renders it in a batch.
pub fn render(conn: &mut DbConn, row: &OutboxRow) -> QueryResult<PortalMessage> {
    let mut one = render_batch(conn, std::slice::from_ref(row), crate::clock::now())?;
    one.pop().ok_or(NotFound)
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliveryReport {
    pub claimed: u32,
    pub sent: u32,
    pub failed: u32,
    pub dead: u32,
}

/// Marks a message sent, if this worker still holds it.
pub fn mark_sent(
    conn: &mut DbConn,
    id: i64,
    worker: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        portal_outbox::table
            .filter(portal_outbox::id.eq(id))
            .filter(portal_outbox::locked_by.eq(worker)),
    )
    .set((
        portal_outbox::status.eq("sent"),
        portal_outbox::sent_at.eq(now.naive_utc()),
        portal_outbox::attempts.eq(portal_outbox::attempts + 1),
        portal_outbox::locked_by.eq(None::<String>),
        portal_outbox::locked_until.eq(None::<NaiveDateTime>),
        portal_outbox::last_error.eq(None::<String>),
        portal_outbox::payload.eq(payload),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records a failed attempt: retried after the backoff, or dead-lettered at the limit.
/// Returns whether it is now dead.
fn mark_failed(
    conn: &mut DbConn,
    row: &OutboxRow,
    worker: &str,
    error: &str,
    now: DateTime<Utc>,
    cfg: &DeliveryConfig,
) -> QueryResult<bool> {
    let attempts = row.attempts + 1;
    let dead = attempts >= cfg.max_attempts;
    diesel::update(
        portal_outbox::table
            .filter(portal_outbox::id.eq(row.id))
            .filter(portal_outbox::locked_by.eq(worker)),
    )
    .set((
        portal_outbox::status.eq(if dead { "dead" } else { "pending" }),
        portal_outbox::attempts.eq(attempts),
        portal_outbox::next_attempt_at.eq((now + cfg.backoff(attempts)).naive_utc()),
        portal_outbox::locked_by.eq(None::<String>),
        portal_outbox::locked_until.eq(None::<NaiveDateTime>),
        portal_outbox::last_error.eq(error.chars().take(1000).collect::<String>()),
    ))
    .execute(conn)?;
    Ok(dead)
}

/// One claim–send–mark pass of worker `worker`. Stops early (releasing the rest to their
/// lease) if the lease could run out before the next send.
pub fn deliver_once(
    pool: &DbPool,
    client: &dyn PortalClient,
    worker: &str,
    now_fn: &dyn Fn() -> DateTime<Utc>,
    cfg: &DeliveryConfig,
) -> Result<DeliveryReport, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let started = now_fn();
    let rows = claim(&mut conn, worker, started, cfg).map_err(|e| e.to_string())?;
    let mut report = DeliveryReport {
        claimed: rows.len() as u32,
        ..Default::default()
    };
    let lease_end = started + cfg.lease();
    // Outcomes are written together after the batch: one commit instead of one per message
    // (a crash before it re-sends the batch; the portal deduplicates on the reference).
    let mut outcomes: Vec<(OutboxRow, Result<String, String>)> = Vec::with_capacity(rows.len());
    let messages = render_batch(&mut conn, &rows, started).map_err(|e| e.to_string())?;
    for (row, message) in rows.into_iter().zip(messages) {
        if now_fn() + cfg.send_timeout + Duration::seconds(5) > lease_end {
            break;
        }
        let outcome = match client.send(&message) {
            Ok(()) => Ok(message.payload.to_string()),
            Err(e) => {
                log::warn!(
                    "portal message {} failed (attempt {}): {e}",
                    row.idempotency_ref,
                    row.attempts + 1
                );
                Err(e.to_string())
            }
        };
        outcomes.push((row, outcome));
    }
    let now = now_fn();
    let marked = conn
        .write_transaction(|c| {
            let mut r = DeliveryReport::default();
            for (row, outcome) in &outcomes {
                match outcome {
                    Ok(body) => {
                        mark_sent(c, row.id, worker, body, now)?;
                        r.sent += 1;
                    }
                    Err(e) => {
                        if mark_failed(c, row, worker, e, now, cfg)? {
                            log::error!(
                                "portal message {} dead-lettered after {} attempts",
                                row.idempotency_ref,
                                row.attempts + 1
                            );
                            r.dead += 1;
                        } else {
                            r.failed += 1;
                        }
                    }
                }
            }
            // A delivered dossier message makes its dossier count as synced (766 1.4), in
            // the transaction that records the delivery: the two cannot disagree.
            let synced: Vec<&str> = outcomes
                .iter()
                .filter(|(row, outcome)| outcome.is_ok() && row.service == DOSSIER_SERVICE)
                .map(|(row, _)| row.dossier_id.as_str())
                .collect();
            crate::db::models::indicator::refresh_many(c, &synced)?;
            Ok::<_, diesel::result::Error>(r)
        })
        .map_err(|e| e.to_string())?;
    report.sent = marked.sent;
    report.failed = marked.failed;
    report.dead = marked.dead;
    Ok(report)
}

/// Puts failed or dead messages back in the queue, due now. `ids` empty: every dead
/// message in scope (`commune`: only that commune's dossiers). Returns how many.
pub fn requeue(
    conn: &mut DbConn,
    ids: &[i64],
    commune: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let in_scope = dossiers::table.select(dossiers::id).filter(
        dossiers::commune_code
            .eq(commune.unwrap_or(""))
            .or(commune.is_none().into_sql::<diesel::sql_types::Bool>()),
    );
    let mut q = diesel::update(portal_outbox::table)
        .filter(portal_outbox::dossier_id.eq_any(in_scope))
        .into_boxed();
    if ids.is_empty() {
        q = q.filter(portal_outbox::status.eq("dead"));
    } else {
        q = q
            .filter(portal_outbox::id.eq_any(ids))
            .filter(portal_outbox::status.ne("sent"))
            // Held messages wait for their commune's identifier, not for an administrator.
            .filter(portal_outbox::status.ne(HELD));
    }
    q.set((
        portal_outbox::status.eq("pending"),
        portal_outbox::attempts.eq(0),
        portal_outbox::next_attempt_at.eq(now.naive_utc()),
        portal_outbox::locked_by.eq(None::<String>),
        portal_outbox::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// A dossier's standing with the portal.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq, Eq)]
pub struct SyncState {
    /// `synced` (everything delivered), `pending` (waiting or retrying), `failed`
    /// (a message dead-lettered: needs an administrator), `awaiting_agency_id` (the
    /// commune has not recorded its issued agency identifier, mã định danh điện tử: the
    /// messages wait in the outbox and go once it is set) or `not_synced` (no messages).
    pub state: String,
    pub pending: i64,
    /// Messages waiting for the commune's agency identifier.
    pub held: i64,
    pub sent: i64,
    pub dead: i64,
    pub last_error: Option<String>,
    pub last_sent_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct SyncRow {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_sent: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    last_error: Option<String>,
    #[diesel(sql_type = Integer)]
    max_attempts: i32,
}

pub fn sync_state(conn: &mut DbConn, dossier_id: &str) -> QueryResult<SyncState> {
    let sql = format!(
        "SELECT status, COUNT(*) AS n, MAX(sent_at) AS last_sent, MAX(last_error) AS last_error, \
         CAST(MAX(attempts) AS INTEGER) AS max_attempts FROM portal_outbox WHERE dossier_id = {} \
         GROUP BY status",
        conn.dialect().param(1)
    );
    let rows: Vec<SyncRow> = diesel::sql_query(&sql)
        .bind::<Text, _>(dossier_id)
        .load(conn)?;
    let count = |s: &str| {
        rows.iter()
            .filter(|r| r.status == s)
            .map(|r| r.n)
            .sum::<i64>()
    };
    let (pending, sent, dead, held) = (count("pending"), count("sent"), count("dead"), count(HELD));
    let last_error = rows
        .iter()
        .filter(|r| r.status != "sent" && r.max_attempts > 0)
        .find_map(|r| r.last_error.clone());
    let state = match (pending, sent, dead) {
        (_, _, d) if d > 0 => "failed",
        _ if held > 0 => "awaiting_agency_id",
        (0, 0, 0) => "not_synced",
        (0, _, _) => "synced",
        _ => "pending",
    };
    Ok(SyncState {
        state: state.into(),
        pending,
        held,
        sent,
        dead,
        last_error,
        last_sent_at: rows
            .iter()
            .filter_map(|r| r.last_sent)
            .max()
            .map(|t| t.and_utc()),
    })
}
