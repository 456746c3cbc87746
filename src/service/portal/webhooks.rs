//! Webhook subscriptions and their delivery log.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::access::{self, Place, Resource, Scope};
use crate::auth::Principal;
use crate::db::models::registry::Commune;
use crate::db::schema::{webhook_deliveries, webhook_subscriptions};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::portal::webhooks;

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub commune_code: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Only in the creation response: the HMAC key. Each delivery carries
    /// `X-Motcua-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

type SubscriptionRow = (String, Option<String>, String, String, bool, NaiveDateTime);

fn webhook_view(r: SubscriptionRow, secret: Option<String>) -> WebhookView {
    WebhookView {
        id: r.0,
        commune_code: r.1,
        url: r.2,
        event_types: serde_json::from_str(&r.3).unwrap_or_default(),
        active: r.4,
        created_at: r.5.and_utc(),
        secret,
    }
}

fn subscription_columns() -> (
    webhook_subscriptions::id,
    webhook_subscriptions::commune_code,
    webhook_subscriptions::url,
    webhook_subscriptions::event_types,
    webhook_subscriptions::active,
    webhook_subscriptions::created_at,
) {
    (
        webhook_subscriptions::id,
        webhook_subscriptions::commune_code,
        webhook_subscriptions::url,
        webhook_subscriptions::event_types,
        webhook_subscriptions::active,
        webhook_subscriptions::created_at,
    )
}

/// The commune a new webhook is limited to: any (or none) for a system administrator, its
/// own for a commune administrator (403 for another).
pub fn webhook_commune(p: &Principal, asked: Option<String>) -> ApiResult<Option<String>> {
    match (access::scope(p, Resource::Webhook), asked) {
        (Scope::All, c) => Ok(c),
        (Scope::Commune(own), None) => Ok(Some(own)),
        (Scope::Commune(own), Some(c)) if c == own => Ok(Some(own)),
        _ => Err(ApiError::forbidden(
            "webhook.other_commune",
            "Chỉ đăng ký webhook cho xã của mình.",
            "A commune administrator subscribes for its own commune only.",
        )),
    }
}

/// A subscription to store (its URL already checked against the outbound policy).
pub struct NewWebhook {
    pub url: String,
    pub event_types: Vec<String>,
    pub commune_code: Option<String>,
    pub secret: String,
    pub created_by: String,
}

/// Stores a subscription; the view carries the secret (shown this once).
pub fn create_webhook(conn: &mut DbConn, w: NewWebhook) -> ApiResult<WebhookView> {
    if let Some(c) = &w.commune_code {
        if Commune::find(conn, c)?.is_none() {
            return Err(ApiError::invalid_field(
                "commune_code",
                "Không có xã này.",
                "No such commune.",
            ));
        }
    }
    let row: SubscriptionRow = (
        uuid::Uuid::now_v7().to_string(),
        w.commune_code,
        w.url,
        serde_json::to_string(&w.event_types).expect("serializes"),
        true,
        crate::clock::now().naive_utc(),
    );
    diesel::insert_into(webhook_subscriptions::table)
        .values((
            webhook_subscriptions::id.eq(&row.0),
            webhook_subscriptions::commune_code.eq(&row.1),
            webhook_subscriptions::url.eq(&row.2),
            webhook_subscriptions::secret.eq(&w.secret),
            webhook_subscriptions::event_types.eq(&row.3),
            webhook_subscriptions::active.eq(true),
            webhook_subscriptions::created_by.eq(&w.created_by),
            webhook_subscriptions::created_at.eq(row.5),
        ))
        .execute(conn)?;
    Ok(webhook_view(row, Some(w.secret)))
}

fn load_webhook(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<SubscriptionRow> {
    let row: Option<SubscriptionRow> = webhook_subscriptions::table
        .find(id)
        .select(subscription_columns())
        .first(conn)
        .optional()?;
    row.filter(|r| {
        let place = Place {
            commune: r.1.as_deref(),
            ..Place::default()
        };
        access::may_see(p, Resource::Webhook, place)
    })
    .ok_or_else(|| ApiError::not_found("webhook", "Webhook"))
}

/// The caller's webhooks, oldest first, without their secrets.
pub fn list_webhooks(conn: &mut DbConn, p: &Principal) -> ApiResult<Vec<WebhookView>> {
    let scope = access::scope(p, Resource::Webhook);
    let q = webhook_subscriptions::table
        .select(subscription_columns())
        .order(webhook_subscriptions::created_at)
        .into_boxed();
    let q = crate::scope_filter!(q, scope, commune = webhook_subscriptions::commune_code);
    Ok(q.load::<SubscriptionRow>(conn)?
        .into_iter()
        .map(|r| webhook_view(r, None))
        .collect())
}

/// Deactivates a webhook in the caller's scope (404 otherwise) and cancels its pending
/// deliveries; its delivery log stays.
pub fn delete_webhook(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<()> {
    load_webhook(conn, p, id)?;
    diesel::update(webhook_subscriptions::table.find(id))
        .set(webhook_subscriptions::active.eq(false))
        .execute(conn)?;
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::subscription_id.eq(id))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set(webhook_deliveries::status.eq("cancelled"))
    .execute(conn)?;
    Ok(())
}

/// One delivery in the log.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub event_id: i64,
    pub event_type: String,
    /// `pending`, `delivered`, `dead` or `cancelled`.
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Up to `limit` deliveries of a webhook in the caller's scope, newest first, before the
/// id `before`.
pub fn list_deliveries(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<DeliveryView>> {
    load_webhook(conn, p, id)?;
    let mut q = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(id))
        .select(webhooks::Delivery::as_select())
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(webhook_deliveries::id.lt(b));
    }
    let rows: Vec<webhooks::Delivery> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|d| DeliveryView {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.and_utc(),
            created_at: d.created_at.and_utc(),
            delivered_at: d.delivered_at.map(|t| t.and_utc()),
        })
        .collect())
}
