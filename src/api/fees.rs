//! Fee schedules (phí, lệ phí) and each dossier's assessment.
//!
//! Schedules are versioned and never edited: a new version starts on its effective date,
//! and a dossier keeps the versions in force on the day it was filed. Provinces set some
//! amounts (hộ tịch fees by the provincial council), so a schedule may be national, or an
//! override for one province or one commune that names its legal basis; the most specific
//! one in force applies.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::conditional::{reply, Caching, NotModified};
use super::extract::{etag, validation_error, IfMatch, Page, PageParams, ValidJson};
use crate::api::problems::{
    DossierNotFound, InvalidLimit, JsonBody, MalformedQueryOrCursor, NotAuthenticated,
    NotSystemAdmin, RoleNotAllowed, Versioned,
};
use crate::auth::roles::{AnyRole, SystemAdmins};
use crate::auth::Authorized;
use crate::domain::dossier::Channel;
use crate::error::ApiResult;
use crate::service::dossiers::lookup::load_visible;
use crate::service::fees::{
    self as service, fees_view, insert_schedule, schedule_view, FeeInput, FeesView, QuoteView,
    ScheduleFilter, ScheduleInput, ScheduleView,
};
use crate::state::AppState;

// ---------------------------------------------------------------- schedules

/// Add a fee schedule version.
///
/// **Roles:** `system_admin`. Creates version N+1 of the schedule identified by procedure,
/// case, fee code and scope; earlier versions stay as they were, and dossiers already
/// filed keep the version they were assessed with. Province and commune overrides must
/// cite their legal basis.
#[utoipa::path(tag = "fees", security(("bearer" = [])), request_body = ScheduleInput, responses(
    (status = 201, body = ScheduleView),
    JsonBody, NotAuthenticated, NotSystemAdmin,
    (status = 422, description = "Invalid rule, scope, dates or procedure", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/fee-schedules")]
pub async fn create_schedule(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    body: ValidJson<ScheduleInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let by = auth.user_id.clone();
    let row = state
        .db_tx(move |conn| insert_schedule(conn, &input, &by))
        .await?;
    log::info!(
        "fee schedule {} v{} ({}) by {}",
        row.fee_code,
        row.version_no,
        row.scope,
        auth.user_id
    );
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/fee-schedules/{}", row.id)))
        .json(schedule_view(row)?))
}

/// List fee schedule versions.
///
/// **Public** (no login): what each procedure costs, with every version and its dates, so
/// applicants and integrators can check an amount. Ordered by creation, newest last.
#[utoipa::path(tag = "fees", params(ScheduleFilter, PageParams), responses(
    (status = 200, body = inline(Page<ScheduleView>)),
    NotModified,
    InvalidLimit, MalformedQueryOrCursor,
))]
#[get("/fee-schedules")]
pub async fn list_schedules(
    req: HttpRequest,
    state: web::Data<AppState>,
    filter: web::Query<ScheduleFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let f = filter.into_inner();
    let views = state
        .db(move |conn| service::list_schedules(conn, f, after, limit))
        .await?;
    let page = Page::from_rows(views, limit, |v| v.id.clone(), |v| v);
    reply(&req, None, Caching::Public, &page)
}

/// Read one fee schedule version.
///
/// **Public** (no login).
#[utoipa::path(tag = "fees", params(("id" = String, Path, description = "Schedule version id")), responses(
    (status = 200, body = ScheduleView),
    NotModified,
    (status = 404, description = "No such schedule version", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/fee-schedules/{id}")]
pub async fn get_schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let view = state
        .db(move |conn| service::get_schedule(conn, &id))
        .await?;
    reply(&req, None, Caching::Public, &view)
}

/// A dossier's fees.
///
/// **Roles:** whoever may read the dossier (officers of its commune, the owning citizen,
/// `province_supervisor` of its province, the portal for its communes, `system_admin`).
/// Each line names the schedule version and the arithmetic that produced it.
#[utoipa::path(tag = "fees", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = FeesView, headers(("ETag" = String, description = "Assessment version"))),
    NotAuthenticated, DossierNotFound,
))]
#[get("/dossiers/{code}/fees")]
pub async fn get_fees(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (view, read) = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            Ok((
                fees_view(conn, &d)?,
                crate::api::access_log::Read::dossier(&d),
            ))
        })
        .await?;
    crate::api::access_log::record(&state, &auth, "GET /dossiers/{code}/fees", [read]).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Re-assess a dossier's fees.
///
/// **Roles:** `reception_officer`, `specialist`, `leader` of the dossier's commune. For when
/// quantities (pages, copies) or the exemption change after filing. The amounts come from
/// the schedule versions the dossier was assessed with at filing (a dossier filed with no
/// fees is assessed with the versions in force on its filing day). Refused (409
/// `fee.already_collected`) once any fee is paid or in an open payment, and on a finished
/// dossier. `If-Match` carries the assessment version from `GET …/fees` (0 before any).
#[utoipa::path(tag = "fees", security(("bearer" = [])), request_body = FeeInput,
    params(("code" = String, Path, description = "Dossier code"), ("If-Match" = String, Header, description = "ETag of the assessment")),
    responses(
    (status = 200, body = FeesView, headers(("ETag" = String, description = "New assessment version"))),
    JsonBody, Versioned, NotAuthenticated, RoleNotAllowed, DossierNotFound,
    (status = 409, description = "Fees already collected, or the dossier is finished", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing or invalid quantities, unknown exemption", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/dossiers/{code}/fees")]
pub async fn reassess(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<FeeInput>,
) -> ApiResult<HttpResponse> {
    service::check_may_reassess(auth.role)?;
    let p = auth.principal.clone();
    let code = code.into_inner();
    let input = body.0;
    input.validate().map_err(validation_error)?;
    let view = state
        .db_tx(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            let online = d.channel == Channel::Online;
            service::reassess(conn, &p, &d, online, if_match.0, &input)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// What a procedure would cost.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"procedure_code": "2.000815", "commune_code": "04978", "channel": "online", "fees": {"quantities": {"page": 3, "copy": 1}}}))]
pub struct QuoteRequest {
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50))]
    pub procedure_code: String,
    pub case_code: Option<String>,
    #[schema(min_length = 1, max_length = 10)]
    #[validate(length(min = 1, max = 10))]
    pub commune_code: String,
    pub channel: Channel,
    #[serde(default)]
    #[validate(nested)]
    pub fees: FeeInput,
}

/// Quote the fees of a procedure.
///
/// **Public** (no login): the same computation as intake, for today, in the given commune
/// and channel, so an applicant knows the amount before filing. Nothing is stored.
#[utoipa::path(tag = "fees", request_body = QuoteRequest, responses(
    (status = 200, body = QuoteView),
    JsonBody,
    (status = 422, description = "Unknown procedure or commune, missing quantities", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/fee-schedules/quote")]
pub async fn quote(
    state: web::Data<AppState>,
    body: ValidJson<QuoteRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.0;
    let view = state
        .db(move |conn| {
            service::quote(
                conn,
                &req.procedure_code,
                req.case_code.as_deref(),
                &req.commune_code,
                req.channel == Channel::Online,
                &req.fees,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
