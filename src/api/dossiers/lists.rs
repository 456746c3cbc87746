//! The dossier list.

use actix_web::{get, web};

use super::super::extract::{Page, PageParams};
use crate::api::access_log::{self, Read};
use crate::api::problems::{InvalidQuery, NotAuthenticated};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::dossiers::lookup::{self, DossierFilter, Listed};
use crate::service::dossiers::view::{view, DossierView};
use crate::service::keyset::{self, Keyset};
use crate::state::AppState;

/// List dossiers.
///
/// **Roles:** officers see their commune's dossiers, citizens their own, province
/// supervisors their province's, portal clients those of the communes they serve, system
/// admins all. Newest first; keyset pagination (the cost of a page does not grow with the
/// table). Every filter combination is served by an index on (commune, …, submitted_at).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(DossierFilter, PageParams), responses(
    (status = 200, body = Page<DossierView>),
    InvalidQuery, NotAuthenticated,
    (status = 422, description = "Invalid limit or filter", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers")]
pub async fn list_dossiers(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    filter: web::Query<DossierFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<DossierView>>> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<Keyset> = page.cursor()?;
    let f = filter.into_inner();
    let p = auth.principal.clone();
    let calendars = state.calendar.clone();
    let Listed { rows, names } = state
        .db(move |conn| lookup::list(conn, &p, f, after, limit, &calendars))
        .await?;
    let page_rows = rows.iter().take(limit as usize).map(Read::dossier);
    access_log::record(&state, &auth, "GET /dossiers", page_rows).await?;
    let mut views = Vec::with_capacity(rows.len());
    let more = rows.len() as i64 > limit;
    let cursor = if more {
        rows.get(limit as usize - 1)
            .map(|d| keyset::encode(&Keyset(d.submitted_at, d.id.clone())))
    } else {
        None
    };
    for d in rows.into_iter().take(limit as usize) {
        let name = names
            .get(&d.procedure_version_id)
            .cloned()
            .unwrap_or_default();
        views.push(view(d, name, &auth)?);
    }
    Ok(web::Json(Page {
        items: views,
        next_cursor: cursor,
    }))
}
