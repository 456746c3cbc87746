//! Reading payments: one payment, the list, a payment's receipt.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::access_log;
use crate::api::extract::{etag, Page, PageParams};
use crate::api::problems::{
    InvalidLimit, MalformedQueryOrCursor, NotAuthenticated, PaymentNotFound,
};
use crate::auth::access::{self, Resource};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::keyset::Keyset;
use crate::service::payments::read as service;
pub use crate::service::payments::read::{PaymentReceipt, ReceiptLine};
use crate::service::payments::PaymentView;
use crate::state::AppState;

/// Read a payment.
///
/// **Roles:** whoever may read its dossier (officers of the commune, the owning citizen,
/// `province_supervisor` of the province, `system_admin`).
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, body = PaymentView, headers(("ETag" = String, description = "Record version"))),
    NotAuthenticated, PaymentNotFound,
))]
#[get("/payments/{id}")]
pub async fn get_payment(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let (view, read) = state.db(move |conn| service::get(conn, &p, &id)).await?;
    access_log::record(&state, &auth, "GET /payments/{id}", [read]).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct PaymentFilter {
    /// `pending`, `succeeded`, `failed`, `expired`, `cancelled`.
    pub status: Option<String>,
    /// Commune (province supervisors and system admins; others see their own).
    pub commune_code: Option<String>,
    /// Only this dossier's payments.
    pub dossier_code: Option<String>,
}

/// List payments.
///
/// **Roles:** commune staff see their commune's payments (the day's cash book), the
/// `citizen` their own dossiers', `province_supervisor` its province's, `system_admin`
/// all. Newest first.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(PaymentFilter, PageParams), responses(
    (status = 200, body = inline(Page<PaymentView>)),
    MalformedQueryOrCursor, NotAuthenticated, InvalidLimit,
    (status = 403, description = "Role without payments", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/payments")]
pub async fn list_payments(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    filter: web::Query<PaymentFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<Keyset> = page.cursor()?;
    let f = filter.into_inner();
    let p = auth.principal.clone();
    let scope = access::require(&p, Resource::PaymentList)?;
    let f = service::ListFilter {
        status: f.status,
        commune_code: f.commune_code,
        dossier_code: f.dossier_code,
    };
    let (views, reads) = state
        .db(move |conn| service::list(conn, scope, f, after, limit))
        .await?;
    let page = Page::from_rows(
        views,
        limit,
        |v| Keyset(v.created_at.naive_utc(), v.id.clone()),
        |v| v,
    );
    access_log::record(&state, &auth, "GET /payments", reads).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A payment's receipt.
///
/// **Roles:** whoever may read the payment. Exists once the payment succeeded (404
/// `payment.no_receipt` before). The number is gapless per commune and series.
/// With `Accept: application/pdf` the printable receipt (as `…/receipt/pdf`).
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, content((PaymentReceipt = "application/json"), (Vec<u8> = "application/pdf"))),
    NotAuthenticated,
    (status = 404, description = "No such payment, or it has no receipt (not paid)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/payments/{id}/receipt")]
pub async fn get_payment_receipt(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    if crate::api::forms::wants_pdf(&req) {
        let route = "GET /payments/{id}/receipt";
        return crate::api::forms::fee_receipt_pdf(&state, &auth, id, route, true).await;
    }
    let p = auth.principal.clone();
    let base = state
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_string();
    let (read, receipt) = state
        .db(move |conn| service::receipt(conn, &p, &id, &base))
        .await?;
    access_log::record(&state, &auth, "GET /payments/{id}/receipt", [read]).await?;
    Ok(HttpResponse::Ok().json(receipt))
}
