//! Per-commune publication: a commune's published catalog, publishing and withdrawing.

use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};

use super::{summaries, CatalogQuery, PublicationView, PublishedProcedure};
use crate::api::conditional::{reply, Caching, NotModified};
use crate::api::extract::{Page, PageParams};
use crate::api::problems::{NotAuthenticated, PageQuery, RoleNotAllowed};
use crate::auth::roles::CommuneAdmins;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::procedures;
use crate::state::AppState;

/// List the procedures a commune publishes.
///
/// Public. The commune's published catalog, each procedure with its version in force on `at`
/// (default today) and the time it was published; same filters as `GET /procedures`.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "Commune code, 5 digits"), CatalogQuery, PageParams), responses(
    (status = 200, body = Page<PublishedProcedure>),
    NotModified,
    PageQuery,
    (status = 404, description = "No such commune", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/communes/{code}/procedures")]
pub async fn list_commune_procedures(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CatalogQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let commune = path.into_inner();
    let (filter, date) = query.into_inner().filter(Some(commune.clone()));
    let (rows, times) = state
        .db(move |conn| {
            procedures::list_published(conn, &commune, &filter, date, after.as_deref(), limit + 1)
        })
        .await?;
    let page = summaries(rows, limit)?;
    let items = page
        .items
        .into_iter()
        .filter_map(|s| {
            Some(PublishedProcedure {
                published_at: times.get(&s.id)?.and_utc(),
                procedure: s,
            })
        })
        .collect();
    let page = Page {
        items,
        next_cursor: page.next_cursor,
    };
    reply(&req, None, Caching::Public, &page)
}

/// Publish a procedure in a commune.
///
/// **Roles:** `commune_admin` of that commune (another commune is 404), `system_admin`.
/// Idempotent: 201 when published now, 200 when it already was (publication time unchanged).
/// A deactivated procedure cannot be published (409). No `If-Match`: a publication is a
/// membership with nothing to overwrite.
#[utoipa::path(tag = "procedures", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, 5 digits"), ("procedure_code" = String, Path, description = "National procedure code")),
    responses(
    (status = 200, description = "Already published", body = PublicationView),
    (status = 201, description = "Published", body = PublicationView),
    NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such commune visible to the caller, or no such procedure", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The procedure is deactivated", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/communes/{code}/procedures/{procedure_code}")]
pub async fn publish_procedure(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (commune, code) = path.into_inner();
    let p = auth.principal.clone();
    let (created, stored) = state
        .db_tx(move |conn| procedures::publish(conn, &p, &commune, &code))
        .await?;
    let publication = PublicationView {
        commune_code: stored.publication.commune_code,
        procedure_code: stored.procedure_code,
        published_at: stored.publication.published_at.and_utc(),
        published_by: stored.publication.published_by,
    };
    if created {
        log::info!(
            "procedure {} published in {} by {}",
            publication.procedure_code,
            publication.commune_code,
            auth.user_id
        );
        Ok(HttpResponse::Created().json(publication))
    } else {
        Ok(HttpResponse::Ok().json(publication))
    }
}

/// Withdraw a procedure from a commune's catalog.
///
/// **Roles:** `commune_admin` of that commune (another commune is 404), `system_admin`.
/// 404 when the procedure is not published there.
#[utoipa::path(tag = "procedures", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, 5 digits"), ("procedure_code" = String, Path, description = "National procedure code")),
    responses(
    (status = 204, description = "Withdrawn"),
    NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such commune visible to the caller, no such procedure, or not published there", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[delete("/communes/{code}/procedures/{procedure_code}")]
pub async fn unpublish_procedure(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (commune, code) = path.into_inner();
    let p = auth.principal.clone();
    let (c, pc) = (commune.clone(), code.clone());
    state
        .db_tx(move |conn| procedures::unpublish(conn, &p, &c, &pc))
        .await?;
    log::info!(
        "procedure {code} withdrawn from {commune} by {}",
        auth.user_id
    );
    Ok(HttpResponse::NoContent().finish())
}
