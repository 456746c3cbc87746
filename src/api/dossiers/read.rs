//! Reading one dossier: the dossier, its receipt, its history.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::api::access_log::{self, Read};
use crate::api::conditional::{reply, Caching, NotModified};
use crate::api::forms;
use crate::api::problems::{DossierNotFound, NotAuthenticated};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::dossiers::lookup;
use crate::service::dossiers::view::{event_view, view, Audience, DossierView, EventView, Receipt};
use crate::state::AppState;

/// Read a dossier.
///
/// **Roles:** officers of its commune, the owning citizen, `province_supervisor` of its
/// province, `portal_client` in the communes it serves, `system_admin`. Anyone else gets
/// 404. `allowed_actions` lists what the caller may do now.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = DossierView, headers(("ETag" = String, description = "Record version"))),
    NotModified,
    NotAuthenticated, DossierNotFound,
))]
#[get("/dossiers/{code}")]
pub async fn get_dossier(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (d, name) = state.db(move |conn| lookup::read(conn, &p, &code)).await?;
    access_log::record(&state, &auth, "GET /dossiers/{code}", [Read::dossier(&d)]).await?;
    let version = d.version;
    // After the scope check and the access log: a 304 is a read like any other.
    reply(
        &req,
        Some(version),
        Caching::Private,
        &view(d, name, &auth)?,
    )
}

/// The reception receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả).
///
/// **Roles:** as for reading the dossier. 409 while an online dossier has not been received.
/// With `Accept: application/pdf` the printable form (as `…/receipt/pdf`).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, content((Receipt = "application/json"), (Vec<u8> = "application/pdf"))),
    NotAuthenticated, DossierNotFound,
    (status = 409, description = "Not received yet", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/receipt")]
pub async fn get_receipt(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    if forms::wants_pdf(&req) {
        return forms::receipt_pdf(&state, &auth, code, "GET /dossiers/{code}/receipt", true).await;
    }
    let p = auth.principal.clone();
    let (receipt, read) = state
        .db(move |conn| {
            let (d, receipt) = lookup::receipt(conn, &p, &code)?;
            Ok((receipt, Read::dossier(&d)))
        })
        .await?;
    access_log::record(&state, &auth, "GET /dossiers/{code}/receipt", [read]).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

/// The dossier's history, oldest first.
///
/// **Roles:** as for reading the dossier. Append-only: every action adds an entry; the
/// database refuses updates and deletes of history. Staff see every entry as recorded.
/// The applicant (`citizen`, and `portal_client` relaying to the applicant) sees the
/// applicant's view: every step and status, but comments only where they are addressed
/// to the applicant (refusal, supplement request, apology slip, stop, withdrawal, payment
/// request, hand-over) or are the applicant's own, `data` reduced to what the applicant
/// needs (missing items, deadlines, new date, result id…), and no staff account ids.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = Vec<EventView>),
    NotAuthenticated, DossierNotFound,
))]
#[get("/dossiers/{code}/history")]
pub async fn get_history(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Vec<EventView>>> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (events, read) = state
        .db(move |conn| {
            let (d, events) = lookup::history(conn, &p, &code)?;
            Ok((events, Read::dossier(&d)))
        })
        .await?;
    let audience = Audience::of(&auth);
    access_log::record(&state, &auth, "GET /dossiers/{code}/history", [read]).await?;
    Ok(web::Json(
        events
            .into_iter()
            .map(|e| event_view(e, audience))
            .collect(),
    ))
}
