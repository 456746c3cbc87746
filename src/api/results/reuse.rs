//! The citizen's e-data store, and satisfying a required document with a digital result.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{result_view, utc, ResultView};
use crate::api::extract::ValidJson;
use crate::api::problems::{JsonBody, NotAuthenticated, RoleNotAllowedNow};
use crate::auth::roles::{AnyRole, Uploaders};
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::attachments::AttachmentView;
pub use crate::service::results::data_store::FromResultRequest;
use crate::service::results::{self as results, data_store as service};
use crate::state::AppState;

/// A citizen's e-data store.
#[derive(Serialize, ToSchema)]
pub struct DataStore {
    pub results: Vec<ResultView>,
    /// Components digitized in the citizen's dossiers.
    pub components: Vec<StoredComponent>,
}

#[derive(Serialize, ToSchema)]
pub struct StoredComponent {
    pub dossier_code: String,
    pub document: String,
    pub sha256: String,
    pub attached_at: DateTime<Utc>,
}

/// My e-data store.
///
/// **Roles:** `citizen`: the active results issued to them and the digitized components of
/// their dossiers — what a new dossier can reference instead of a new upload
/// (`POST /dossiers/{code}/attachments/from-result`).
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), responses(
    (status = 200, body = DataStore),
    NotAuthenticated,
    (status = 403, description = "Not a citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/me/data-store")]
pub async fn data_store(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
) -> ApiResult<HttpResponse> {
    results::may_hold_data_store(&auth)?;
    let p = auth.principal.clone();
    let held = state.db(move |conn| service::data_store(conn, &p)).await?;
    let store = DataStore {
        results: held
            .results
            .into_iter()
            .map(|(r, code)| result_view(&state, r, code))
            .collect(),
        components: held
            .components
            .into_iter()
            .map(|(c, d, s, t)| StoredComponent {
                dossier_code: c,
                document: d,
                sha256: s,
                attached_at: utc(t),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(store))
}

/// Satisfy a required document with a digital result (no upload).
///
/// **Roles:** as for uploading components. The result must belong to the dossier's owner
/// account (issued to it, or to its verified personal ID) — the ID number typed into the
/// dossier proves nothing — or, for commune staff, be a result of their own commune issued
/// to the applicant they identified at the counter; and it must be active and in force.
/// Anything else is 404 or 409. Recorded as
/// `reused_result` with the result's id (it feeds the data-reuse indicator).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = FromResultRequest,
    params(("code" = String, Path, description = "Dossier code")),
    responses(
    (status = 201, body = AttachmentView),
    JsonBody, NotAuthenticated, RoleNotAllowedNow,
    (status = 404, description = "No such dossier, or no such result of this applicant", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The result is revoked, superseded or expired; the dossier is closed; or it already holds MAX_ATTACHMENTS_PER_DOSSIER attachments", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Unknown document", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/attachments/from-result")]
pub async fn attach_result(
    state: web::Data<AppState>,
    auth: Authorized<Uploaders>,
    code: web::Path<String>,
    body: ValidJson<FromResultRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let req = body.0;
    let max = state.config.max_attachments_per_dossier;
    let view = state
        .db_tx(move |conn| service::attach_result(conn, &p, &code, &req, max))
        .await?;
    Ok(HttpResponse::Created().json(view))
}
