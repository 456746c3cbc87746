//! Edits by system administrators: create, new versions, deactivation.

use actix_web::{delete, post, put, web, HttpResponse};

use super::{content_of, ProcedureView};
use crate::api::extract::{etag, IfMatch, ValidJson};
use crate::api::problems::{
    JsonBody, NotAuthenticated, ProcedureNotFound, RoleNotAllowed, Versioned,
};
use crate::auth::roles::SystemAdmins;
use crate::auth::Authorized;
use crate::domain::calendar::today as vietnam_today;
use crate::domain::catalog::ProcedureContent;
use crate::error::ApiResult;
use crate::service::procedures;
use crate::state::AppState;

/// Create a procedure.
///
/// **Roles:** `system_admin`. Creates the procedure with its first version, in force from
/// `effective_from` (default today, Vietnam time; any date). Text is stored NFC-normalised.
/// 409 when the code exists (also when deactivated: change it with `PUT` instead).
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = ProcedureContent, responses(
    (status = 201, body = ProcedureView, headers(("ETag" = String, description = "Record version"))),
    JsonBody, NotAuthenticated, RoleNotAllowed,
    (status = 409, description = "A procedure with this code exists", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields (paths such as `cases[0].processing_time.unit`)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/procedures")]
pub async fn create_procedure(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    body: ValidJson<ProcedureContent>,
) -> ApiResult<HttpResponse> {
    let content = content_of(body);
    let actor = auth.user_id.clone();
    let today = vietnam_today();
    let (p, v) = state
        .db_tx(move |conn| procedures::create(conn, &content, &actor, today))
        .await?;
    log::info!("procedure {} created by {}", p.code, auth.user_id);
    let view = ProcedureView::new(p, v, today)?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .json(view))
}

/// Replace a procedure's content as a new version.
///
/// **Roles:** `system_admin`. Requires `If-Match` with the procedure's ETag (428 without, 412
/// when stale). The body is the whole content (its `code` must equal the path's). It becomes a
/// new version in force from `effective_from` (default today, Vietnam time; never earlier than
/// today, may be later): the version in force then ends that day, and versions scheduled on or
/// after it are cancelled. Earlier versions stay as they were, so dossiers received under them
/// keep their rules. A deactivated procedure is reactivated.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = ProcedureContent,
    params(("code" = String, Path, description = "National procedure code"), ("If-Match" = String, Header, description = "ETag of the procedure")),
    responses(
    (status = 200, description = "The new version (status `scheduled` when it takes effect later)", body = ProcedureView, headers(("ETag" = String, description = "New record version"))),
    JsonBody, Versioned, NotAuthenticated, RoleNotAllowed, ProcedureNotFound,
    (status = 422, description = "Invalid fields, code differing from the path, or an effective date before today", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/procedures/{code}")]
pub async fn update_procedure(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    path: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<ProcedureContent>,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let content = content_of(body);
    let actor = auth.user_id.clone();
    let today = vietnam_today();
    let (p, v) = state
        .db_tx(move |conn| procedures::update(conn, &code, if_match.0, &content, &actor, today))
        .await?;
    log::info!(
        "procedure {} version {} (from {}) by {}",
        p.code,
        v.version_no,
        v.effective_from,
        auth.user_id
    );
    let view = ProcedureView::new(p, v, today)?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Deactivate a procedure.
///
/// **Roles:** `system_admin`. Requires `If-Match` (428 without, 412 when stale). Nothing is
/// deleted: dossiers refer to the procedure and its versions, which stay readable with
/// `active: false`. `PUT` reactivates it.
#[utoipa::path(tag = "procedures", security(("bearer" = [])),
    params(("code" = String, Path, description = "National procedure code"), ("If-Match" = String, Header, description = "ETag of the procedure")),
    responses(
    (status = 204, description = "Deactivated", headers(("ETag" = String, description = "New record version"))),
    Versioned, NotAuthenticated, RoleNotAllowed, ProcedureNotFound,
))]
#[delete("/procedures/{code}")]
pub async fn deactivate_procedure(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    path: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let p = state
        .db_tx(move |conn| procedures::deactivate(conn, &code, if_match.0))
        .await?;
    log::info!("procedure {} deactivated by {}", p.code, auth.user_id);
    Ok(HttpResponse::NoContent()
        .insert_header(etag(p.version))
        .finish())
}
