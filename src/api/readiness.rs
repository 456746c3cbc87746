//! The readiness ("phủ xanh") board over HTTP: a commune's board, declarations and their
//! review, the history, and the province's configuration and view. The use cases are in
//! `service::readiness`, the rules in `domain::readiness`.

use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::extract::{etag, IfMatch, Page, PageParams, ValidJson};
use crate::api::problems::{
    CommuneNotInScope, InvalidLimit, JsonBody, ProvinceNotInScope, RoleNotAllowed, Versioned,
};
use crate::auth::Authorized;
use crate::domain::readiness::ProvinceConfig;
use crate::error::ApiResult;
use crate::service::readiness::{
    self, CommuneReadiness, DeclareItem, HistoryEntry, ItemView, ProvinceConfigView,
    ProvinceReadiness, ProvinceReadinessView, ReadinessDeclarers, ReadinessReaders,
    ReadinessReviewers, ReviewItem,
};
use crate::state::AppState;

const P401: &str = "Not authenticated";

fn item_response(view: ItemView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(view.version.unwrap_or(0)))
        .json(view)
}

/// A commune's readiness board.
///
/// **Roles:** staff of that commune (`reception_officer`, `specialist`, `leader`,
/// `commune_admin`), `province_supervisor` of its province, `system_admin`; another commune
/// is 404, citizens and the portal 403. Every item with its status; manual items with the
/// latest declaration (evidence, date), its review and the version for `If-Match`; automatic
/// items evaluated now, with the numbers behind the decision; the flag and what is missing.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code")), responses(
    (status = 200, body = CommuneReadiness),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    RoleNotAllowed, CommuneNotInScope,
))]
#[get("/readiness/communes/{code}")]
pub async fn commune_readiness(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessReaders>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let board = state
        .db(move |conn| readiness::commune_board(conn, &p, &code))
        .await?;
    Ok(HttpResponse::Ok().json(board))
}

/// Declare a manual item (infrastructure).
///
/// **Roles:** `commune_admin` of that commune (another commune is 404). Requires `If-Match`
/// with the item's `version` (`"0"` before the first declaration): of two administrators
/// writing at once, one gets 412. A declaration replaces the current one, waits for the
/// province's review (it counts as met meanwhile, unless rejected later) and is appended to
/// the history. Automatic items cannot be declared (409).
#[utoipa::path(tag = "readiness", security(("bearer" = [])), request_body = DeclareItem,
    params(("code" = String, Path, description = "Commune code"), ("item" = String, Path, description = "Item code, e.g. `scanners`"),
           ("If-Match" = String, Header, description = "The item's version (`\"0\"` before the first declaration)")),
    responses(
    (status = 200, body = ItemView, headers(("ETag" = String, description = "New item version"))),
    JsonBody, Versioned,
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a commune administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's scope, or no such item", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The item is automatic", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing evidence, date in the future", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/readiness/communes/{code}/items/{item}")]
pub async fn declare_item(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessDeclarers>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ValidJson<DeclareItem>,
) -> ApiResult<HttpResponse> {
    let (code, item) = path.into_inner();
    let declaration = readiness::Declaration::new(body.0)?;
    let p = auth.principal.clone();
    let commune = code.clone();
    let view = state
        .db_tx(move |conn| readiness::declare(conn, &p, (&commune, &item), if_match.0, declaration))
        .await?;
    log::info!(
        "readiness item {} of {} declared by {}",
        view.code,
        code,
        auth.user_id
    );
    Ok(item_response(view))
}

/// Approve or reject a commune's declaration of a manual item.
///
/// **Roles:** `province_supervisor` of the commune's province (another province's commune is
/// 404). Requires `If-Match` with the item's version, so the decision is about the
/// declaration the reviewer saw (412 if it changed). Only a declaration waiting for review
/// can be decided (409 otherwise). A rejected item does not count as met until the commune
/// declares it again. Appended to the history.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), request_body = ReviewItem,
    params(("code" = String, Path, description = "Commune code"), ("item" = String, Path, description = "Item code"),
           ("If-Match" = String, Header, description = "The item's version")),
    responses(
    (status = 200, body = ItemView, headers(("ETag" = String, description = "New item version"))),
    JsonBody, Versioned,
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a province supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's province, no such item, or nothing declared", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Automatic item, or the declaration was already reviewed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "A rejection without a note", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/readiness/communes/{code}/items/{item}/review")]
pub async fn review_item(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessReviewers>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ValidJson<ReviewItem>,
) -> ApiResult<HttpResponse> {
    let (code, item) = path.into_inner();
    let input = body.0;
    let note = readiness::review_note(&input)?;
    let p = auth.principal.clone();
    let commune = code.clone();
    let view = state
        .db_tx(move |conn| {
            readiness::review(
                conn,
                &p,
                (&commune, &item),
                if_match.0,
                input.decision,
                note,
            )
        })
        .await?;
    log::info!(
        "readiness item {} of {} reviewed by {}",
        view.code,
        code,
        auth.user_id
    );
    Ok(item_response(view))
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct HistoryFilter {
    /// Only this item.
    pub item: Option<String>,
}

/// A commune's readiness history: every declaration and review, newest first.
///
/// **Roles:** as for the commune's board. Append-only (the database refuses updates and
/// deletes). Keyset pagination.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), HistoryFilter, PageParams), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, description = "Invalid cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    RoleNotAllowed, CommuneNotInScope, InvalidLimit,
))]
#[get("/readiness/communes/{code}/history")]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessReaders>,
    code: web::Path<String>,
    filter: web::Query<HistoryFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let cursor: Option<i64> = page.cursor()?;
    let p = auth.principal.clone();
    let code = code.into_inner();
    let item = filter.into_inner().item;
    let rows = state
        .db(move |conn| readiness::history(conn, &p, &code, item.as_deref(), cursor, limit + 1))
        .await?;
    let page = Page::from_rows(rows, limit, |r: &HistoryEntry| r.id, |r| r);
    Ok(HttpResponse::Ok().json(page))
}

/// A province's readiness configuration.
///
/// **Roles:** `province_supervisor` of that province (another is 404), `system_admin`.
/// Which items are required, thresholds, the amber rule, and per-commune overrides; the
/// catalog with its defaults. `ETag` is the version for `PUT`.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Province code")), responses(
    (status = 200, body = ProvinceConfigView, headers(("ETag" = String, description = "Configuration version"))),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    RoleNotAllowed, ProvinceNotInScope,
))]
#[get("/readiness/provinces/{code}/config")]
pub async fn get_config(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReadiness>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let view = state
        .db(move |conn| readiness::get_config(conn, &p, &code))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Replace a province's readiness configuration.
///
/// **Roles:** `province_supervisor` of that province (another is 404), `system_admin`.
/// Requires `If-Match` with the configuration's version (`"0"` while none is stored; 412 if
/// someone changed it meanwhile). Absent settings fall back to the catalog defaults; a
/// commune's override wins over the province's setting. Unknown items, thresholds outside
/// 0–100 or on items without one, and communes of another province are 422.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), request_body = ProvinceConfig,
    params(("code" = String, Path, description = "Province code"), ("If-Match" = String, Header, description = "The configuration's version")),
    responses(
    (status = 200, body = ProvinceConfigView, headers(("ETag" = String, description = "New configuration version"))),
    JsonBody, Versioned, RoleNotAllowed, ProvinceNotInScope,
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid settings (`errors` names each)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/readiness/provinces/{code}/config")]
pub async fn put_config(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReadiness>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<ProvinceConfig>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let config = body.0;
    let view = state
        .db_tx(move |conn| readiness::put_config(conn, &p, &code, if_match.0, config))
        .await?;
    log::info!(
        "readiness configuration of province {} set by {}",
        view.province_code,
        auth.user_id
    );
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Checked by `ProvinceConfig::check` (it needs the province's communes); this only lets
/// the body go through `ValidJson` for its JSON and content-type problems.
impl Validate for ProvinceConfig {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// A province's readiness: how many communes are green and what the others lack.
///
/// **Roles:** `province_supervisor` of that province (another is 404), `system_admin`.
/// Every commune of the province is evaluated live with the same rules as its own board, in a
/// fixed number of grouped queries (not one per commune). The full list of communes that
/// are not green is returned (a province has at most a few hundred communes).
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Province code")), responses(
    (status = 200, body = ProvinceReadinessView),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    RoleNotAllowed, ProvinceNotInScope,
))]
#[get("/readiness/provinces/{code}")]
pub async fn province_readiness(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReadiness>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let view = state
        .db(move |conn| readiness::province_view(conn, &p, &code))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
