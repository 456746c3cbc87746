//! Actions on a dossier: the legal lifecycle.

use actix_web::{post, web, HttpResponse};

use super::super::extract::{etag, IfMatch, ValidJson};
use crate::api::problems::{DossierNotFound, JsonBody, NotAuthenticated, Versioned};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::dossiers::transition::{act, TransitionRequest};
use crate::service::dossiers::view::{view, DossierView};
use crate::state::AppState;

/// Act on a dossier: the legal lifecycle.
///
/// **Roles:** by action (see `allowed_actions` on the dossier):
/// reception officer: receive, refuse, request_supplement (at intake), submit_supplement,
/// start_processing, assign, request_payment, confirm_payment, mark_result_ready,
/// return_result, request/confirm_withdrawal, extend; specialist: request_supplement,
/// request_payment, propose_result, extend; leader: also approve_result, reject_proposal,
/// stop, assign; citizen / portal_client: submit_supplement, request_withdrawal (own
/// dossiers). Administrators and supervisors do not process dossiers.
///
/// Requires `If-Match`: of two officers acting at once on one version, one succeeds and the
/// other gets 412. An action not allowed now is 409 with `allowed_actions`; a role that may
/// never take it is 403. A supplement request pauses the legal clock and the supplement
/// resumes it (the due instant moves by the paused working time); a second request is
/// allowed but flagged, as Decision 766 counts it against the commune. `extend` records
/// the apology slip's new date; the dossier still counts as late.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = TransitionRequest,
    params(("code" = String, Path, description = "Dossier code"), ("If-Match" = String, Header, description = "ETag of the dossier version acted on")),
    responses(
    (status = 200, body = DossierView, headers(("ETag" = String, description = "New record version"))),
    JsonBody, Versioned, NotAuthenticated, DossierNotFound,
    (status = 403, description = "The caller's role may not take this action", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Action not allowed in the current status (`allowed_actions` lists what is)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing or invalid action data", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let req = body.0;
    let calendars = state.calendar.clone();
    let (d, name) = state
        .db_tx(move |conn| act(conn, &p, &code, if_match.0, &req, &calendars))
        .await?;
    log::info!("dossier {} -> {} by {}", d.code, d.status, auth.user_id);
    let version = d.version;
    Ok(HttpResponse::Ok()
        .insert_header(etag(version))
        .json(view(d, name, &auth)?))
}
