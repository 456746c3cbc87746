//! Domain events for integrators: the feed item every consumer sees (`GET /events`), and
//! webhook deliveries of the same items, signed with HMAC-SHA256 over a timestamp and the
//! body, retried with backoff, each attempt's outcome kept.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use utoipa::ToSchema;

use super::outbox::{DeliveryConfig, DeliveryReport};
use crate::db::models::dossier::{DossierEvent, NewDossierEvent};
use crate::db::schema::{dossier_events, dossiers, webhook_deliveries, webhook_subscriptions};
use crate::db::{DbConn, DbPool};
use crate::domain::dossier_lifecycle::Status;

/// Every event type the feed and webhooks carry.
pub const EVENT_TYPES: [&str; 12] = [
    "dossier.submitted",
    "dossier.received",
    "dossier.status_changed",
    "dossier.supplement_requested",
    "dossier.component_attached",
    "dossier.updated",
    "fee.assessed",
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
    "result.issued",
    "result.revoked",
];

/// The integrator's name for a history action.
pub fn event_type(action: &str, from: Option<Status>, to: Status) -> &'static str {
    match (action, from) {
        (_, None) if to == Status::Received => "dossier.received",
        (_, None) => "dossier.submitted",
        ("receive", _) => "dossier.received",
        ("request_supplement", _) => "dossier.supplement_requested",
        ("attach_component", _) => "dossier.component_attached",
        ("fees_assessed", _) => "fee.assessed",
        ("payment_succeeded", _) => "payment.succeeded",
        ("payment_failed" | "payment_expired" | "payment_cancelled", _) => "payment.failed",
        ("payment_refunded", _) => "payment.refunded",
        ("result_issued" | "issue_result" | "digital_result_issued", _) => "result.issued",
        ("result_revoked" | "revoke_result" | "digital_result_revoked", _) => "result.revoked",
        (_, Some(f)) if f != to => "dossier.status_changed",
        _ => "dossier.updated",
    }
}

/// One event as integrators see it.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct EventItem {
    /// Position in the feed; pass the last one seen as `after`.
    pub cursor: String,
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub dossier_code: String,
    pub commune_code: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    /// The national status code (1–10) after the event.
    pub national_status_code: u8,
    pub actor_role: String,
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: Value,
}

pub fn encode_cursor(txid: i64, id: i64) -> String {
    format!("{txid}.{id}")
}

pub fn decode_cursor(s: &str) -> Option<(i64, i64)> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

pub fn item(e: DossierEvent, code: String, commune: String) -> EventItem {
    EventItem {
        cursor: encode_cursor(e.txid, e.id),
        event_type: event_type(&e.action, e.from_status, e.to_status).to_string(),
        national_status_code: e.to_status.national_code(),
        id: e.id,
        dossier_code: code,
        commune_code: commune,
        action: e.action,
        from_status: e.from_status,
        to_status: e.to_status,
        actor_role: e.actor_role,
        at: e.created_at.and_utc(),
        data: serde_json::from_str(&e.data).unwrap_or(Value::Null),
    }
}

/// Queues a delivery of the event for each matching active subscription (same
/// transaction as the event).
pub fn enqueue(
    conn: &mut DbConn,
    e: &NewDossierEvent<'_>,
    event_id: i64,
    commune: &str,
) -> QueryResult<()> {
    let subs: Vec<(String, String)> = webhook_subscriptions::table
        .filter(webhook_subscriptions::active.eq(true))
        .filter(
            webhook_subscriptions::commune_code
                .is_null()
                .or(webhook_subscriptions::commune_code.eq(commune)),
        )
        .select((
            webhook_subscriptions::id,
            webhook_subscriptions::event_types,
        ))
        .load(conn)?;
    if subs.is_empty() {
        return Ok(());
    }
    let kind = event_type(e.action, e.from_status, e.to_status);
    for (id, types) in subs {
        let types: Vec<String> = serde_json::from_str(&types).unwrap_or_default();
        if !types.is_empty() && !types.iter().any(|t| t == kind) {
            continue;
        }
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::subscription_id.eq(&id),
                webhook_deliveries::event_id.eq(event_id),
                webhook_deliveries::event_type.eq(kind),
                webhook_deliveries::payload.eq(""),
                webhook_deliveries::status.eq("pending"),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(e.created_at),
                webhook_deliveries::created_at.eq(e.created_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// What a receiver does: recompute and compare, and refuse old timestamps.
pub fn verify(secret: &str, header: &str, body: &str, now: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let Ok(given) = hex::decode(v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&given).is_ok()
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub subscription_id: String,
    pub event_id: i64,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

/// One claim–send–mark pass over due webhook deliveries. `agent` must come from
/// `outbound::agent`, whose resolver refuses internal addresses and plain HTTP.
pub fn deliver_once(
    pool: &DbPool,
    agent: &ureq::Agent,
    now: DateTime<Utc>,
    cfg: &DeliveryConfig,
) -> Result<DeliveryReport, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let c = &mut *conn;
    let lease = (now + cfg.send_timeout * (cfg.batch as i32) + Duration::seconds(30)).naive_utc();
    let d = c.dialect();
    let (p1, p2, p3) = (d.param(1), d.param(2), d.param(3));
    let sql = format!(
        "UPDATE webhook_deliveries SET locked_until = {p1} WHERE id IN (SELECT id FROM webhook_deliveries \
         WHERE status = 'pending' AND next_attempt_at <= {p2} AND (locked_until IS NULL OR locked_until < {p2}) \
         ORDER BY id LIMIT {p3}{}) RETURNING id",
        d.skip_locked()
    );
    let nowd = now.naive_utc();
    let ids: Vec<i64> = c
        .write_transaction(|c| {
            diesel::sql_query(&sql)
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(nowd)
                .bind::<BigInt, _>(cfg.batch)
                .load::<Claimed>(c)
        })
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut report = DeliveryReport {
        claimed: ids.len() as u32,
        ..Default::default()
    };
    for id in ids {
        let (d, url, secret): (Delivery, String, String) = webhook_deliveries::table
            .inner_join(webhook_subscriptions::table)
            .filter(webhook_deliveries::id.eq(id))
            .select((
                Delivery::as_select(),
                webhook_subscriptions::url,
                webhook_subscriptions::secret,
            ))
            .first(c)
            .map_err(|e| e.to_string())?;
        let (e, code, commune): (DossierEvent, String, String) = dossier_events::table
            .inner_join(dossiers::table)
            .filter(dossier_events::id.eq(d.event_id))
            .select((
                DossierEvent::as_select(),
                dossiers::code,
                dossiers::commune_code,
            ))
            .first(c)
            .map_err(|e| e.to_string())?;
        let body = serde_json::to_string(&item(e, code, commune)).expect("serializes");
        let t = crate::clock::now().timestamp();
        let result = agent
            .post(&url)
            .header("content-type", "application/json")
            .header("x-motcua-event", &d.event_type)
            .header("x-motcua-delivery", d.id.to_string())
            .header("x-motcua-signature", signature(&secret, t, &body))
            .send(body.clone());
        // Redirects are not followed (a 3xx is a failed delivery), and a failure is logged
        // in a fixed vocabulary: `HTTP <code>`, `timeout`, `connection failed`, `address
        // not allowed` (see `outbound::failure_word`).
        let (ok, status, error) = match result {
            Ok(r) if r.status().is_success() => (true, Some(i32::from(r.status().as_u16())), None),
            Ok(r) => (
                false,
                Some(i32::from(r.status().as_u16())),
                Some(format!("HTTP {}", r.status().as_u16())),
            ),
            Err(e) => {
                log::warn!("webhook delivery {id}: {e}");
                (
                    false,
                    None,
                    Some(super::outbound::failure_word(&e).to_string()),
                )
            }
        };
        let attempts = d.attempts + 1;
        let dead = !ok && attempts >= cfg.max_attempts;
        let finished = crate::clock::now();
        diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::status.eq(if ok {
                    "delivered"
                } else if dead {
                    "dead"
                } else {
                    "pending"
                }),
                webhook_deliveries::attempts.eq(attempts),
                webhook_deliveries::payload.eq(&body),
                webhook_deliveries::last_status_code.eq(status),
                webhook_deliveries::last_error.eq(error),
                webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::next_attempt_at
                    .eq((finished + cfg.backoff(attempts)).naive_utc()),
                webhook_deliveries::delivered_at.eq(ok.then(|| finished.naive_utc())),
            ))
            .execute(c)
            .map_err(|e| e.to_string())?;
        match (ok, dead) {
            (true, _) => report.sent += 1,
            (false, true) => report.dead += 1,
            _ => report.failed += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_detect_tampering() {
        let h = signature("s3cret", 1_700_000_000, "{\"a\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify("s3cret", &h, "{\"a\":1}", 1_700_000_010, 300));
        assert!(
            !verify("s3cret", &h, "{\"a\":2}", 1_700_000_010, 300),
            "body changed"
        );
        assert!(
            !verify("other", &h, "{\"a\":1}", 1_700_000_010, 300),
            "wrong secret"
        );
        assert!(
            !verify("s3cret", &h, "{\"a\":1}", 1_700_009_999, 300),
            "too old"
        );
        assert!(!verify("s3cret", "t=x,v1=zz", "{}", 0, 300));
    }

    #[test]
    fn event_types_of_actions() {
        assert_eq!(
            event_type("receive_at_counter", None, Status::Received),
            "dossier.received"
        );
        assert_eq!(
            event_type("submit_online", None, Status::Submitted),
            "dossier.submitted"
        );
        assert_eq!(
            event_type("assign", Some(Status::Received), Status::Processing),
            "dossier.status_changed"
        );
        assert_eq!(
            event_type(
                "request_supplement",
                Some(Status::Processing),
                Status::SupplementRequested
            ),
            "dossier.supplement_requested"
        );
        assert_eq!(
            event_type(
                "payment_succeeded",
                Some(Status::Received),
                Status::Received
            ),
            "payment.succeeded"
        );
        assert_eq!(
            event_type("fees_assessed", Some(Status::Received), Status::Received),
            "fee.assessed"
        );
        assert_eq!(
            event_type("extend", Some(Status::Processing), Status::Processing),
            "dossier.updated"
        );
        for t in EVENT_TYPES {
            assert!(t.contains('.'));
        }
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(123, 45)), Some((123, 45)));
        assert_eq!(decode_cursor("x"), None);
    }
}
