//! Public reads of the catalog: the list, one procedure, its versions.

use actix_web::{get, web, HttpRequest, HttpResponse};

use super::{
    summaries, AtDate, CatalogQuery, ProcedureSummary, ProcedureView, PublishedIn, VersionView,
};
use crate::api::conditional::{reply, Caching, NotModified};
use crate::api::extract::{Page, PageParams};
use crate::api::problems::{InvalidLimit, PageQuery, ProcedureNotFound};
use crate::domain::calendar::today as vietnam_today;
use crate::error::ApiResult;
use crate::service::procedures;
use crate::state::AppState;

/// List and search the catalog.
///
/// Public. Each procedure is shown with its version in force on `at` (default today, Vietnam
/// time); filter by field, online level, publishing commune, active flag and words of the
/// name, code or field. Ordered by code; keyset pagination.
#[utoipa::path(tag = "procedures", params(CatalogQuery, PublishedIn, PageParams), responses(
    (status = 200, body = Page<ProcedureSummary>),
    NotModified,
    (status = 400, description = "Invalid query (unknown online level, bad date or cursor)", body = crate::error::Problem, content_type = "application/problem+json"),
    InvalidLimit,
))]
#[get("/procedures")]
pub async fn list_procedures(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CatalogQuery>,
    published_in: web::Query<PublishedIn>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let (filter, date) = query
        .into_inner()
        .filter(published_in.into_inner().commune_code);
    let rows = state
        .db(move |conn| procedures::list(conn, &filter, date, after.as_deref(), limit + 1))
        .await?;
    reply(&req, None, Caching::Public, &summaries(rows, limit)?)
}

/// Read a procedure.
///
/// Public. The version in force on `at` (default today, Vietnam time), with its cases and
/// required documents. 404 `procedure.not_in_force` when the procedure exists but none of its
/// versions is in force on that date (see `/versions`). The `ETag` is the record version to
/// send in `If-Match` when changing it.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National procedure code"), AtDate), responses(
    (status = 200, body = ProcedureView, headers(("ETag" = String, description = "Record version"))),
    NotModified,
    (status = 400, description = "Invalid date", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such procedure, or none of its versions in force on the date", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/procedures/{code}")]
pub async fn get_procedure(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    at: web::Query<AtDate>,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let date = at.at.unwrap_or_else(vietnam_today);
    let (p, v) = state
        .db(move |conn| procedures::in_force(conn, &code, date))
        .await?;
    let view = ProcedureView::new(p, v, date)?;
    reply(&req, Some(view.version), Caching::Public, &view)
}

/// Version history of a procedure.
///
/// Public. Every version, newest first, with its validity `[effective_from, effective_to)`,
/// its status today and its full content. Keyset pagination.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National procedure code"), PageParams), responses(
    (status = 200, body = Page<VersionView>),
    NotModified,
    PageQuery, ProcedureNotFound,
))]
#[get("/procedures/{code}/versions")]
pub async fn list_versions(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let before: Option<i64> = page.cursor()?;
    let code = path.into_inner();
    let (code, rows) = state
        .db(move |conn| procedures::versions(conn, &code, before, limit + 1))
        .await?;
    let today = vietnam_today();
    let views = rows
        .into_iter()
        .map(|v| VersionView::new(&code, v, today))
        .collect::<ApiResult<Vec<_>>>()?;
    let page = Page::from_rows(views, limit, |v: &VersionView| v.version_no, |v| v);
    reply(&req, None, Caching::Public, &page)
}
