//! Digitization records: a dossier's, their review, and a commune's counts.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::api::extract::ValidJson;
use crate::api::problems::{
    CommuneNotInScope, DossierNotFound, JsonBody, NotAuthenticated, RoleNotAllowed,
};
use crate::auth::access::{self, Resource};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::results::digitization::{self as service, RecordRow};
pub use crate::service::results::digitization::{Decision, DigitizationStats, ReviewRequest};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct DigitizationView {
    pub id: String,
    pub attachment_id: String,
    pub document: String,
    pub sha256: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub digitized_by: String,
    pub digitized_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

fn digitization_view((r, document, sha): RecordRow) -> DigitizationView {
    DigitizationView {
        id: r.id,
        attachment_id: r.attachment_id,
        document,
        sha256: sha,
        status: r.status,
        reason: r.reason,
        digitized_by: r.digitized_by,
        digitized_at: utc(r.digitized_at),
        reviewed_by: r.reviewed_by,
        reviewed_at: r.reviewed_at.map(utc),
    }
}

/// A dossier's digitization records.
///
/// **Roles:** whoever may read the dossier. One record per component digitized at
/// reception: who, when, and the review (pending, approved, rejected with reason).
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = Vec<DigitizationView>),
    NotAuthenticated, DossierNotFound,
))]
#[get("/dossiers/{code}/digitization")]
pub async fn dossier_digitization(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let rows = state
        .db(move |conn| service::of_dossier(conn, &p, &code))
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(digitization_view).collect::<Vec<_>>()))
}

/// Review a digitized component.
///
/// **Roles:** `reception_officer` or `leader` of the dossier's commune. Pending records
/// only (409 otherwise); a rejection needs its reason.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), request_body = ReviewRequest,
    params(("id" = String, Path, description = "Digitization record id")),
    responses(
    (status = 200, body = DigitizationView),
    JsonBody, NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such record in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already reviewed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Reason missing for a rejection", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/digitization-records/{id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
    body: ValidJson<ReviewRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.0;
    service::check_review(&auth, &req)?;
    let p = auth.principal.clone();
    let id = id.into_inner();
    let row = state
        .db_tx(move |conn| service::review(conn, &p, &id, &req))
        .await?;
    Ok(HttpResponse::Ok().json(digitization_view(row)))
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First Vietnam day (default: 1 January of this year).
    pub from: Option<NaiveDate>,
    /// Last Vietnam day (default: today).
    pub to: Option<NaiveDate>,
}

/// Digitization of a commune's components and results.
///
/// **Roles:** commune staff of that commune, `province_supervisor` of its province,
/// `system_admin`. Counts over dossiers received in the period (components) and dossiers
/// that reached a result in it (results); the shares follow.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), PeriodQuery), responses(
    (status = 200, body = DigitizationStats),
    (status = 400, description = "Malformed dates", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, CommuneNotInScope, RoleNotAllowed,
    (status = 422, description = "`to` before `from`", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/communes/{code}/digitization")]
pub async fn commune_digitization(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let (from, to) = service::period(q.from, q.to)?;
    let p = auth.principal.clone();
    access::require(&p, Resource::CertificationBook)?;
    let stats = state
        .db(move |conn| service::commune_stats(conn, &p, code, from, to))
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}
