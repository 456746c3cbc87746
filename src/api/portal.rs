//! National portal sync (outbox administration, each dossier's sync state), the event
//! feed for integrators, and webhook subscriptions, over HTTP. The use cases are in
//! `service::portal`; delivery is `crate::portal`.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{Page, PageParams, ValidJson};
use crate::api::problems::{
    DossierNotFound, InvalidFields, InvalidLimit, JsonBody, MalformedQueryOrCursor,
    NotAdministrator, NotAuthenticated,
};
use crate::auth::roles::{AnyRole, CommuneAdmins};
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::portal::outbound::OutboundPolicy;
use crate::portal::outbox::{sync_state, SyncState};
use crate::service::dossiers::lookup::load_visible;
use crate::service::portal::{
    self, DeliveryView, EventPage, FeedQuery, NewWebhook, OutboxStatus, OutboxView, WebhookView,
};
use crate::state::AppState;

// ---------------------------------------------------------------- outbox

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
    MalformedQueryOrCursor, NotAuthenticated, NotAdministrator, InvalidLimit,
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
    let p = auth.principal.clone();
    let f = filter.into_inner();
    let rows = state
        .db(move |conn| {
            portal::list_outbox(
                conn,
                &p,
                f.status.as_deref(),
                f.dossier_code,
                before,
                limit + 1,
            )
        })
        .await?;
    let page = Page::from_rows(rows, limit, |r: &OutboxView| r.id, |r| r);
    Ok(HttpResponse::Ok().json(page))
}

/// Which messages to re-queue.
#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": [1042, 1043]}))]
pub struct RequeueRequest {
    /// Message ids (failed or dead); empty or absent: every dead message in scope.
    #[serde(default)]
    #[schema(max_items = 1000)]
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
    JsonBody, NotAuthenticated, NotAdministrator, InvalidFields,
))]
#[post("/portal/outbox/requeue")]
pub async fn requeue(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    body: ValidJson<RequeueRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let ids = body.0.ids;
    let n = state
        .db_tx(move |conn| portal::requeue(conn, &p, &ids))
        .await?;
    log::info!("{n} portal messages re-queued by {}", auth.user_id);
    Ok(HttpResponse::Ok().json(RequeueResult { requeued: n }))
}

/// Portal sync overview.
///
/// **Roles:** `system_admin` (all), `commune_admin` (its commune).
#[utoipa::path(tag = "portal", security(("bearer" = [])), responses(
    (status = 200, body = OutboxStatus),
    NotAuthenticated, NotAdministrator,
))]
#[get("/portal/status")]
pub async fn status(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let configured = state.portal_client.is_some();
    let s = state
        .db(move |conn| portal::status(conn, &p, configured))
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
    NotAuthenticated, DossierNotFound,
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
            Ok(sync_state(conn, &d.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

// ---------------------------------------------------------------- event feed

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The `cursor` of the last event received, unchanged; absent: from the beginning.
    #[param(pattern = r"^[0-9]{1,18}\.[0-9]{1,18}$", example = "7301.42")]
    pub after: Option<String>,
    /// 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Only these types (comma separated), e.g. `dossier.received,payment.succeeded`.
    pub types: Option<String>,
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
    NotAuthenticated,
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
    let after = portal::decode_after(q.after.as_deref())?;
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
    portal::check_event_types("types", &types)?;
    let p = auth.principal.clone();
    let query = FeedQuery {
        after,
        previous: q.after,
        types,
        limit,
    };
    let page = state
        .db(move |conn| portal::feed_page(conn, &p, query))
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
    #[schema(max_length = 2000)]
    #[validate(url, length(max = 2000))]
    pub url: String,
    /// Types to send (see `GET /events`); empty or absent: all.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Limit to one commune (`system_admin`; a `commune_admin`'s webhooks are always its
    /// commune's).
    pub commune_code: Option<String>,
}

/// Subscribe a webhook.
///
/// **Roles:** `system_admin` (any commune, or all), `commune_admin` (its commune). The
/// answer carries the signing secret once; store it. Deliveries are retried with
/// exponential backoff up to `PORTAL_MAX_ATTEMPTS`, each outcome in the delivery log.
#[utoipa::path(tag = "events", security(("bearer" = [])), request_body = WebhookRequest, responses(
    (status = 201, body = WebhookView),
    JsonBody, NotAuthenticated,
    (status = 403, description = "Not an administrator, or another commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid URL (not HTTPS, unresolvable, or an internal address), event type or commune", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    body: ValidJson<WebhookRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.0;
    portal::check_event_types("event_types", &req.event_types)?;
    let commune = portal::webhook_commune(&auth, req.commune_code)?;
    // HTTPS to a public address only (plain HTTP and internal addresses only to hosts in
    // WEBHOOK_ALLOWED_HTTP_HOSTS); checked again by every delivery.
    let policy = OutboundPolicy::new(&state.config.webhook_allowed_http_hosts);
    let url = req.url.clone();
    if let Err(refusal) = web::block(move || policy.check_registration(&url)).await? {
        let (vi, en) = refusal.texts();
        return Err(ApiError::invalid_field("url", vi, en));
    }
    let new = NewWebhook {
        url: req.url,
        event_types: req.event_types,
        commune_code: commune,
        secret: crate::auth::random_token(32),
        created_by: auth.user_id.clone(),
    };
    let view = state
        .db_tx(move |conn| portal::create_webhook(conn, new))
        .await?;
    log::info!("webhook {} to {} by {}", view.id, view.url, auth.user_id);
    Ok(HttpResponse::Created().json(view))
}

/// List webhooks.
///
/// **Roles:** `system_admin` (all), `commune_admin` (its commune's). Secrets are never shown again.
#[utoipa::path(tag = "events", security(("bearer" = [])), responses(
    (status = 200, body = Vec<WebhookView>),
    NotAuthenticated, NotAdministrator,
))]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let views = state
        .db(move |conn| portal::list_webhooks(conn, &p))
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Unsubscribe a webhook.
///
/// **Roles:** as for listing. The subscription is deactivated (its delivery log stays);
/// pending deliveries are not sent.
#[utoipa::path(tag = "events", security(("bearer" = [])), params(("id" = String, Path, description = "Webhook id")), responses(
    (status = 204, description = "Deactivated"),
    NotAuthenticated, NotAdministrator,
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
        .db_tx(move |conn| portal::delete_webhook(conn, &p, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log.
///
/// **Roles:** as for listing. Newest first.
#[utoipa::path(tag = "events", security(("bearer" = [])), params(("id" = String, Path, description = "Webhook id"), PageParams), responses(
    (status = 200, body = inline(Page<DeliveryView>)),
    (status = 400, description = "Malformed cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, NotAdministrator, InvalidLimit,
    (status = 404, description = "No such webhook in scope", body = crate::error::Problem, content_type = "application/problem+json"),
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
    let rows = state
        .db(move |conn| portal::list_deliveries(conn, &p, &id, before, limit + 1))
        .await?;
    let page = Page::from_rows(rows, limit, |d: &DeliveryView| d.id, |d| d);
    Ok(HttpResponse::Ok().json(page))
}
