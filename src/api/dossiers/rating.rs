//! Satisfaction rating.

use actix_web::{post, web, HttpResponse};

use super::super::extract::ValidJson;
use crate::api::problems::{
    DossierNotFound, InvalidFields, JsonBody, NotAuthenticated, RoleNotAllowed,
};
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::dossiers::rating::{self, RatingRequest, RatingView};
use crate::state::AppState;

/// Rate the service once the result is returned.
///
/// **Roles:** the owning `citizen`, or a `reception_officer` of the commune recording the
/// applicant's rating at the counter. Once per dossier (409 after); only after the result
/// was returned (409 before).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = RatingRequest,
    params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 201, body = RatingView),
    JsonBody, NotAuthenticated, RoleNotAllowed, DossierNotFound, InvalidFields,
    (status = 409, description = "Not returned yet, or already rated", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    auth: Authorized<crate::auth::roles::Raters>,
    code: web::Path<String>,
    body: ValidJson<RatingRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let input = body.0;
    let view = state
        .db_tx(move |conn| rating::rate(conn, &p, &code, input))
        .await?;
    Ok(HttpResponse::Created().json(view))
}
