//! Reading digital results: the list, one result, its file and its history.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{result_view, utc, ResultView};
use crate::api::access_log::{self, Read};
use crate::api::attachments::content_disposition;
use crate::api::extract::{etag, Page, PageParams};
use crate::api::problems::{
    InvalidLimit, MalformedQueryOrCursor, NotAuthenticated, ResultNotFound,
};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::files::FileStore;
use crate::service::keyset::Keyset;
use crate::service::results::{self as results, read as service};
use crate::state::AppState;

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct ResultFilter {
    pub dossier_code: Option<String>,
    /// `active`, `revoked`, `superseded`.
    pub status: Option<String>,
    /// `result` or `certified_copy`.
    pub kind: Option<String>,
}

/// List digital results.
///
/// **Roles:** officers see their commune's, `citizen` those issued to them (by account or
/// personal ID), `province_supervisor` its province's, `portal_client` its communes',
/// `system_admin` all. Newest first.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(ResultFilter, PageParams), responses(
    (status = 200, body = inline(Page<ResultView>)),
    MalformedQueryOrCursor, NotAuthenticated, InvalidLimit,
))]
#[get("/digital-results")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    filter: web::Query<ResultFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<Keyset> = page.cursor()?;
    let f = filter.into_inner();
    let f = service::ListFilter {
        dossier_code: f.dossier_code,
        status: f.status,
        kind: f.kind,
    };
    let p = auth.principal.clone();
    let (rows, reads) = state
        .db(move |conn| service::list(conn, &p, f, after, limit))
        .await?;
    let views = rows
        .into_iter()
        .map(|(r, code)| result_view(&state, r, code))
        .collect();
    let page = Page::from_rows(
        views,
        limit,
        |v| Keyset(v.created_at.naive_utc(), v.id.clone()),
        |v| v,
    );
    access_log::record(&state, &auth, "GET /digital-results", reads).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Read a digital result.
///
/// **Roles:** as for the list; anyone else gets 404.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("id" = String, Path, description = "Result id")), responses(
    (status = 200, body = ResultView, headers(("ETag" = String, description = "Record version"))),
    NotAuthenticated, ResultNotFound,
))]
#[get("/digital-results/{id}")]
pub async fn get_result(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let (r, code) = state.db(move |conn| service::get(conn, &p, &id)).await?;
    let read = Read::result(&r);
    let view = result_view(&state, r, code);
    access_log::record(&state, &auth, "GET /digital-results/{id}", [read]).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Download a digital result's document.
///
/// **Roles:** as for reading. The bytes are re-hashed before they are served; an altered
/// file is never served (500 `digital_result.integrity_failed`).
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("id" = String, Path, description = "Result id")), responses(
    (status = 200, description = "The PDF", content_type = "application/pdf"),
    NotAuthenticated, ResultNotFound,
))]
#[get("/digital-results/{id}/file")]
pub async fn download(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let r = state
        .db(move |conn| results::load_result(conn, &p, &id))
        .await?;
    access_log::record(
        &state,
        &auth,
        "GET /digital-results/{id}/file",
        [Read::result(&r)],
    )
    .await?;
    let store = FileStore::new(&state.config.upload_dir);
    let sha = r.file_sha256.clone();
    let bytes = web::block(move || store.get(&sha)).await?.map_err(|e| {
        log::error!("digital result {}: stored file failed its check: {e}", r.id);
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "digital_result.integrity_failed",
            "Tệp lưu trữ không còn nguyên vẹn; đã báo quản trị.",
            "The stored file failed its integrity check; administrators are alerted.",
        )
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(content_disposition(&format!(
            "{}.pdf",
            r.number_symbol.replace('/', "-")
        )))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("etag", format!("\"{}\"", r.file_sha256)))
        .body(bytes))
}

#[derive(Serialize, ToSchema)]
pub struct ResultEventView {
    pub id: i64,
    pub action: String,
    pub actor_id: String,
    pub actor_role: String,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A digital result's history (append-only).
///
/// **Roles:** as for reading.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("id" = String, Path, description = "Result id")), responses(
    (status = 200, body = Vec<ResultEventView>),
    NotAuthenticated, ResultNotFound,
))]
#[get("/digital-results/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let (events, read) = state
        .db(move |conn| service::history(conn, &p, &id))
        .await?;
    access_log::record(&state, &auth, "GET /digital-results/{id}/history", [read]).await?;
    Ok(HttpResponse::Ok().json(
        events
            .into_iter()
            .map(|e| ResultEventView {
                data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
                id: e.id,
                action: e.action,
                actor_id: e.actor_id,
                actor_role: e.actor_role,
                reason: e.reason,
                at: utc(e.created_at),
            })
            .collect::<Vec<_>>(),
    ))
}
