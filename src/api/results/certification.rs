//! Electronic certification and the commune's certification book.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{result_view, store_file, utc, ResultView};
use crate::api::access_log;
use crate::api::extract::{validation_error, Page, PageParams};
use crate::api::multipart::read_form;
use crate::api::problems::{FileTooLarge, NotAuthenticated, RoleNotAllowed};
use crate::auth::access::{self, Resource};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::ApiResult;
pub use crate::service::results::certification::CertificationInput;
use crate::service::results::certification::{self as service, Certified};
use crate::service::results::may_certify;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct CertificationView {
    pub id: String,
    pub commune_code: String,
    pub year: i32,
    /// Số chứng thực: gapless per commune and year.
    pub book_no: i64,
    /// As written in the book, e.g. `15/2026/SCT/BS`.
    pub number_symbol: String,
    pub certification_text: String,
    pub pages: i32,
    pub copies: i32,
    pub result: ResultView,
    pub created_at: DateTime<Utc>,
}

fn certification_view(state: &AppState, c: Certified) -> CertificationView {
    CertificationView {
        id: c.id,
        commune_code: c.commune_code,
        year: c.year,
        book_no: c.book_no,
        number_symbol: c.number_symbol,
        certification_text: c.certification_text,
        pages: c.pages,
        copies: c.copies,
        result: result_view(state, c.result, None),
        created_at: c.created_at,
    }
}

/// Certify an electronic copy from the original.
///
/// **Roles:** `reception_officer` of a commune. Multipart: `file` (the scan of the original:
/// PDF, JPEG or PNG) and `metadata`. The copy takes the next number of the commune's
/// certification book for the year (gapless across instances) and becomes a sealed
/// digital result (`certified_copy`) of the applicant.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])),
    request_body(content = String, content_type = "multipart/form-data", description = "`file`: the scan; `metadata`: CertificationInput as JSON"),
    responses(
    (status = 201, body = CertificationView),
    (status = 400, description = "Malformed multipart or JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, FileTooLarge,
    (status = 403, description = "Not a counter officer", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart, or not PDF/JPEG/PNG", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid metadata or ID number", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/certifications")]
pub async fn certify(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    may_certify(&auth)?;
    let form = read_form(&req, payload, state.config.max_upload_bytes).await?;
    let input: service::CertificationInput = form.json("metadata")?;
    input.validate().map_err(validation_error)?;
    input.check_id_number()?;
    let file = store_file(&state, &form, false).await?;
    let p = auth.principal.clone();
    let st = state.clone();
    let certified = state
        .db_tx(move |conn| service::certify(conn, &st.sealer, &p, &input, &file))
        .await?;
    let view = certification_view(&state, certified);
    log::info!(
        "certification {} in {} by {}",
        view.number_symbol,
        view.commune_code,
        auth.user_id
    );
    Ok(HttpResponse::Created().json(view))
}

#[derive(Serialize, Deserialize)]
struct CertCursor(i32, i64);

/// The certification book.
///
/// **Roles:** commune staff (their commune), `province_supervisor` (`commune_code`
/// required, in its province), `system_admin` (`commune_code` required). Newest first.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("commune_code" = Option<String>, Query, description = "Commune (supervisors and admins)"), PageParams), responses(
    (status = 200, body = inline(Page<CertificationView>)),
    (status = 400, description = "Malformed cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, RoleNotAllowed,
    (status = 422, description = "commune_code missing or invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/certifications")]
pub async fn list_certifications(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    q: web::Query<std::collections::HashMap<String, String>>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<CertCursor> = page.cursor()?;
    let p = auth.principal.clone();
    let scope = access::require(&p, Resource::CertificationBook)?;
    let commune = service::book_commune(&scope, q.get("commune_code"))?;
    let (rows, reads) = state
        .db(move |conn| service::book(conn, &scope, &commune, after.map(|c| (c.0, c.1)), limit))
        .await?;
    let page = Page::from_rows(
        rows,
        limit,
        |((_, y, n, ..), _)| CertCursor(*y, *n),
        |((id, year, book_no, text, pages, copies, at), r)| CertificationView {
            id,
            commune_code: r.commune_code.clone(),
            year,
            book_no,
            number_symbol: r.number_symbol.clone(),
            certification_text: text,
            pages,
            copies,
            result: result_view(&state, r, None),
            created_at: utc(at),
        },
    );
    access_log::record(&state, &auth, "GET /certifications", reads).await?;
    Ok(HttpResponse::Ok().json(page))
}
