//! National portal sync (outbox administration, each dossier's sync state), the event
//! feed for integrators, and webhook subscriptions.

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::dossiers::load_visible;
use super::extract::{Page, PageParams, ValidJson};
use crate::auth::access::{self, Place, Resource, Scope};
use crate::auth::roles::{AnyRole, CommuneAdmins};
use crate::auth::{Authorized, Principal};
use crate::db::models::dossier::DossierEvent;
use crate::db::schema::{
    dossier_events, dossiers, portal_outbox, webhook_deliveries, webhook_subscriptions,
};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::portal::outbound::OutboundPolicy;
use crate::portal::outbox::{self, OutboxRow, SyncState};
use crate::portal::webhooks::{self, EventItem, EVENT_TYPES};
use crate::state::AppState;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// The commune an administrator is limited to in the outbox (`None`: the whole system).
fn admin_scope(p: &Principal) -> Option<String> {
    access::scope(p, Resource::PortalOutbox).commune_or_all()
}

// ---------------------------------------------------------------- outbox

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
        next_attempt_at: utc(r.next_attempt_at),
        last_error: r.last_error,
        created_at: utc(r.created_at),
        sent_at: r.sent_at.map(utc),
    }
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct OutboxFilter {
    /// `pending`, `failed` (pending after at least one failed attempt), `dead` or `sent`.
    pub status: Option<String>,
    pub dossier_code: Option<String>,
}

/// List portal messages.
///
/// **Roles:** `system_admin` (all), `commune_admin` (its commune's dossiers). Newest first.
/// `status=failed` lists the messages being retried, `status=dead` those that gave up.
#[utoipa::path(tag = "portal", security(("bearer" = [])), params(OutboxFilter, PageParams), responses(
    (status = 200, body = inline(Page<OutboxView>)),
    (status = 400, description = "Malformed query or cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/portal/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    filter: web::Query<OutboxFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let before: Option<i64> = page.cursor()?;
    let scope = admin_scope(&auth);
    let f = filter.into_inner();
    let page = state
        .db(move |conn| {
            let mut q = portal_outbox::table
                .inner_join(dossiers::table)
                .select((OutboxRow::as_select(), dossiers::code))
                .order(portal_outbox::id.desc())
                .limit(limit + 1)
                .into_boxed();
            if let Some(c) = scope {
                q = q.filter(dossiers::commune_code.eq(c));
            }
            match f.status.as_deref() {
                Some("failed") => {
                    q = q
                        .filter(portal_outbox::status.eq("pending"))
                        .filter(portal_outbox::attempts.gt(0))
                }
                Some(s) => q = q.filter(portal_outbox::status.eq(s.to_string())),
                None => {}
            }
            if let Some(code) = f.dossier_code {
                q = q.filter(dossiers::code.eq(code));
            }
            if let Some(b) = before {
                q = q.filter(portal_outbox::id.lt(b));
            }
            let rows: Vec<(OutboxRow, String)> = q.load(conn)?;
            Ok(Page::from_rows(
                rows,
                limit,
                |(r, _)| r.id,
                |(r, c)| outbox_view(r, c),
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Which messages to re-queue.
#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": [1042, 1043]}))]
pub struct RequeueRequest {
    /// Message ids (failed or dead); empty or absent: every dead message in scope.
    #[serde(default)]
    #[validate(length(max = 1000))]
    pub ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RequeueResult {
    pub requeued: usize,
}

/// Re-queue failed or dead portal messages.
///
/// **Roles:** `system_admin`, `commune_admin` (its commune's messages). The messages are
/// due at once with a fresh attempt count; sent messages are never re-queued.
#[utoipa::path(tag = "portal", security(("bearer" = [])), request_body = RequeueRequest, responses(
    (status = 200, body = RequeueResult),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/portal/outbox/requeue")]
pub async fn requeue(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    body: ValidJson<RequeueRequest>,
) -> ApiResult<HttpResponse> {
    let scope = admin_scope(&auth);
    let ids = body.0.ids;
    let n = state
        .db_tx(move |conn| {
            Ok(outbox::requeue(
                conn,
                &ids,
                scope.as_deref(),
                crate::clock::now(),
            )?)
        })
        .await?;
    log::info!("{n} portal messages re-queued by {}", auth.user_id);
    Ok(HttpResponse::Ok().json(RequeueResult { requeued: n }))
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

/// Portal sync overview.
///
/// **Roles:** `system_admin` (all), `commune_admin` (its commune).
#[utoipa::path(tag = "portal", security(("bearer" = [])), responses(
    (status = 200, body = OutboxStatus),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/portal/status")]
pub async fn status(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
) -> ApiResult<HttpResponse> {
    let scope = admin_scope(&auth);
    let configured = state.portal_client.is_some();
    let s = state
        .db(move |conn| {
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
                held: count(conn, crate::portal::outbox::HELD, false)?,
                oldest_pending_at: oldest.first::<NaiveDateTime>(conn).optional()?.map(utc),
                portal_configured: configured,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// A dossier's sync state with the portal.
///
/// **Roles:** whoever may read the dossier. `synced`: every change delivered; `pending`:
/// waiting or being retried (`last_error` says why); `failed`: a message gave up and
/// waits for an administrator to re-queue it.
#[utoipa::path(tag = "portal", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = SyncState),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/portal-sync")]
pub async fn dossier_sync(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let s = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            Ok(outbox::sync_state(conn, &d.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

// ---------------------------------------------------------------- event feed

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The `cursor` of the last event received; absent: from the beginning.
    pub after: Option<String>,
    /// 1–500 (default 100).
    pub limit: Option<i64>,
    /// Only these types (comma separated), e.g. `dossier.received,payment.succeeded`.
    pub types: Option<String>,
}

/// A page of the feed.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventItem>,
    /// Pass as `after` next time; unchanged when there was nothing new.
    pub next_after: Option<String>,
}

/// The event feed.
///
/// **Roles:** every role, scoped like dossiers (officers: their commune; citizens: their
/// own dossiers; `province_supervisor`: its province; `portal_client`: the communes it
/// serves; `system_admin`: all). Ordered and replayable: read from `after` (the last
/// `cursor` seen) to resynchronise after downtime; nothing is skipped or repeated. An event
/// appears once its transaction and every earlier one have committed. A page may hold fewer
/// items than `limit` (even none) while `next_after` moves on: keep reading until it stops
/// changing.
#[utoipa::path(tag = "events", security(("bearer" = [])), params(EventQuery), responses(
    (status = 200, body = EventPage),
    (status = 400, description = "Malformed cursor or query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit or event type", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/events")]
pub async fn events(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    q: web::Query<EventQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "limit từ 1 đến 500.",
            "limit must be 1 to 500.",
        ));
    }
    let after = match &q.after {
        None => (i64::MIN, i64::MIN),
        Some(a) => webhooks::decode_cursor(a).ok_or_else(|| {
            ApiError::bad_request(
                "events.invalid_cursor",
                "Con trỏ không hợp lệ.",
                "Invalid cursor.",
            )
        })?,
    };
    let types: Vec<String> = q
        .types
        .as_deref()
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(bad) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::invalid_field(
            "types",
            format!("Không có loại sự kiện “{bad}”."),
            format!(
                "Unknown event type '{bad}'; one of: {}.",
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    let scope = access::scope(&auth, Resource::EventFeed);
    let previous = q.after.clone();
    let page = state
        .db(move |conn| {
            // On PostgreSQL only transactions older than every running one are final.
            let horizon: i64 = match conn {
                DbConn::Pg(_) => {
                    #[derive(QueryableByName)]
                    struct H {
                        #[diesel(sql_type = diesel::sql_types::BigInt)]
                        h: i64,
                    }
                    diesel::sql_query(
                        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS h",
                    )
                    .get_result::<H>(conn)?
                    .h
                }
                DbConn::Sqlite(_) => i64::MAX,
            };
            let mut items: Vec<EventItem> = Vec::new();
            let mut cursor = after;
            // Type filters may skip rows; read on in chunks until the page is full, but at
            // most 20 chunks per request: a rare type then gets a short page whose
            // `next_after` has moved on, and the client reads on from there.
            for _ in 0..20 {
                let mut query = dossier_events::table
                    .inner_join(dossiers::table)
                    .select((
                        DossierEvent::as_select(),
                        dossiers::code,
                        dossiers::commune_code,
                    ))
                    .filter(dossier_events::txid.lt(horizon))
                    .filter(
                        dossier_events::txid.gt(cursor.0).or(dossier_events::txid
                            .eq(cursor.0)
                            .and(dossier_events::id.gt(cursor.1))),
                    )
                    .order((dossier_events::txid, dossier_events::id))
                    .limit(limit)
                    .into_boxed();
                query = crate::scope_filter!(
                    query,
                    scope,
                    commune = dossiers::commune_code,
                    province = dossiers::province_code,
                    owner = dossiers::owner_user_id,
                );
                let rows: Vec<(DossierEvent, String, String)> = query.load(conn)?;
                let exhausted = (rows.len() as i64) < limit;
                for (e, code, commune) in rows {
                    cursor = (e.txid, e.id);
                    let it = webhooks::item(e, code, commune);
                    if types.is_empty() || types.contains(&it.event_type) {
                        items.push(it);
                        if items.len() as i64 == limit {
                            break;
                        }
                    }
                }
                if exhausted || items.len() as i64 == limit {
                    break;
                }
            }
            let next = if cursor == after {
                previous
            } else {
                Some(webhooks::encode_cursor(cursor.0, cursor.1))
            };
            Ok(EventPage {
                items,
                next_after: next,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

// ---------------------------------------------------------------- webhooks

/// A webhook to create.
#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://tichhop.example.gov.vn/motcua/events", "event_types": ["dossier.received", "payment.succeeded"]}))]
pub struct WebhookRequest {
    /// Where events are POSTed: `https://` to a host that resolves to public addresses only
    /// (plain `http://` and internal addresses only to hosts the operator lists in
    /// `WEBHOOK_ALLOWED_HTTP_HOSTS`). Redirects are not followed.
    #[validate(url, length(max = 2000))]
    pub url: String,
    /// Types to send (see `GET /events`); empty or absent: all.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Limit to one commune (`system_admin`; a `commune_admin`'s webhooks are always its
    /// commune's).
    pub commune_code: Option<String>,
}

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
        created_at: utc(r.5),
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

/// Subscribe a webhook.
///
/// **Roles:** `system_admin` (any commune, or all), `commune_admin` (its commune). The
/// answer carries the signing secret once; store it. Deliveries are retried with
/// exponential backoff up to `PORTAL_MAX_ATTEMPTS`, each outcome in the delivery log.
#[utoipa::path(tag = "events", security(("bearer" = [])), request_body = WebhookRequest, responses(
    (status = 201, body = WebhookView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an administrator, or another commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid URL (not HTTPS, unresolvable, or an internal address), event type or commune", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    body: ValidJson<WebhookRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.0;
    if let Some(bad) = req
        .event_types
        .iter()
        .find(|t| !EVENT_TYPES.contains(&t.as_str()))
    {
        return Err(ApiError::invalid_field(
            "event_types",
            format!("Không có loại sự kiện “{bad}”."),
            format!(
                "Unknown event type '{bad}'; one of: {}.",
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    let commune = match (access::scope(&auth, Resource::Webhook), &req.commune_code) {
        (Scope::All, c) => c.clone(),
        (Scope::Commune(own), None) => Some(own),
        (Scope::Commune(own), Some(c)) if *c == own => Some(own),
        _ => {
            return Err(ApiError::forbidden(
                "webhook.other_commune",
                "Chỉ đăng ký webhook cho xã của mình.",
                "A commune administrator subscribes for its own commune only.",
            ))
        }
    };
    // HTTPS to a public address only (plain HTTP and internal addresses only to hosts in
    // WEBHOOK_ALLOWED_HTTP_HOSTS); checked again by every delivery.
    let policy = OutboundPolicy::new(&state.config.webhook_allowed_http_hosts);
    let url = req.url.clone();
    if let Err(refusal) = web::block(move || policy.check_registration(&url)).await? {
        let (vi, en) = refusal.texts();
        return Err(ApiError::invalid_field("url", vi, en));
    }
    let by = auth.user_id.clone();
    let secret = crate::auth::random_token(32);
    let s = secret.clone();
    let row = state
        .db_tx(move |conn| {
            if let Some(c) = &commune {
                if crate::db::models::registry::Commune::find(conn, c)?.is_none() {
                    return Err(ApiError::invalid_field(
                        "commune_code",
                        "Không có xã này.",
                        "No such commune.",
                    ));
                }
            }
            let row: SubscriptionRow = (
                uuid::Uuid::now_v7().to_string(),
                commune,
                req.url.clone(),
                serde_json::to_string(&req.event_types).expect("serializes"),
                true,
                crate::clock::now().naive_utc(),
            );
            diesel::insert_into(webhook_subscriptions::table)
                .values((
                    webhook_subscriptions::id.eq(&row.0),
                    webhook_subscriptions::commune_code.eq(&row.1),
                    webhook_subscriptions::url.eq(&row.2),
                    webhook_subscriptions::secret.eq(&s),
                    webhook_subscriptions::event_types.eq(&row.3),
                    webhook_subscriptions::active.eq(true),
                    webhook_subscriptions::created_by.eq(&by),
                    webhook_subscriptions::created_at.eq(row.5),
                ))
                .execute(conn)?;
            Ok(row)
        })
        .await?;
    log::info!("webhook {} to {} by {}", row.0, row.2, auth.user_id);
    Ok(HttpResponse::Created().json(webhook_view(row, Some(secret))))
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

/// List webhooks.
///
/// **Roles:** `system_admin` (all), `commune_admin` (its commune's). Secrets are never shown again.
#[utoipa::path(tag = "events", security(("bearer" = [])), responses(
    (status = 200, body = Vec<WebhookView>),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
) -> ApiResult<HttpResponse> {
    let scope = access::scope(&auth, Resource::Webhook);
    let rows = state
        .db(move |conn| {
            let q = webhook_subscriptions::table
                .select(subscription_columns())
                .order(webhook_subscriptions::created_at)
                .into_boxed();
            let q = crate::scope_filter!(q, scope, commune = webhook_subscriptions::commune_code);
            Ok(q.load::<SubscriptionRow>(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|r| webhook_view(r, None))
            .collect::<Vec<_>>(),
    ))
}

/// Unsubscribe a webhook.
///
/// **Roles:** as for listing. The subscription is deactivated (its delivery log stays);
/// pending deliveries are not sent.
#[utoipa::path(tag = "events", security(("bearer" = [])), params(("id" = String, Path, description = "Webhook id")), responses(
    (status = 204, description = "Deactivated"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such webhook in scope", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    state
        .db_tx(move |conn| {
            load_webhook(conn, &p, &id)?;
            diesel::update(webhook_subscriptions::table.find(&id))
                .set(webhook_subscriptions::active.eq(false))
                .execute(conn)?;
            diesel::update(
                webhook_deliveries::table
                    .filter(webhook_deliveries::subscription_id.eq(&id))
                    .filter(webhook_deliveries::status.eq("pending")),
            )
            .set(webhook_deliveries::status.eq("cancelled"))
            .execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
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

/// A webhook's delivery log.
///
/// **Roles:** as for listing. Newest first.
#[utoipa::path(tag = "events", security(("bearer" = [])), params(("id" = String, Path, description = "Webhook id"), PageParams), responses(
    (status = 200, body = inline(Page<DeliveryView>)),
    (status = 400, description = "Malformed cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such webhook in scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let before: Option<i64> = page.cursor()?;
    let p = auth.principal.clone();
    let id = id.into_inner();
    let page = state
        .db(move |conn| {
            load_webhook(conn, &p, &id)?;
            let mut q = webhook_deliveries::table
                .filter(webhook_deliveries::subscription_id.eq(&id))
                .select(webhooks::Delivery::as_select())
                .order(webhook_deliveries::id.desc())
                .limit(limit + 1)
                .into_boxed();
            if let Some(b) = before {
                q = q.filter(webhook_deliveries::id.lt(b));
            }
            let rows: Vec<webhooks::Delivery> = q.load(conn)?;
            Ok(Page::from_rows(
                rows,
                limit,
                |d| d.id,
                |d| DeliveryView {
                    id: d.id,
                    event_id: d.event_id,
                    event_type: d.event_type,
                    status: d.status,
                    attempts: d.attempts,
                    last_status_code: d.last_status_code,
                    last_error: d.last_error,
                    next_attempt_at: utc(d.next_attempt_at),
                    created_at: utc(d.created_at),
                    delivered_at: d.delivered_at.map(utc),
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
