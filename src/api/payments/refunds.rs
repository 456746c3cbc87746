//! Refunds of a payment.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::extract::ValidJson;
use crate::api::problems::{
    InvalidFields, JsonBody, NotAuthenticated, PaymentNotFound, RoleNotAllowed,
};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::db::models::fee::Refund;
use crate::error::ApiResult;
use crate::service::payments::refunds as service;
pub use crate::service::payments::refunds::{RefundMethod, RefundRequest};
use crate::service::payments::utc;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct RefundView {
    pub id: String,
    pub payment_id: String,
    pub amount_vnd: i64,
    pub method: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn refund_view(r: Refund) -> RefundView {
    RefundView {
        id: r.id,
        payment_id: r.payment_id,
        amount_vnd: r.amount,
        method: r.method,
        reason: r.reason,
        created_by: r.created_by,
        created_at: utc(r.created_at),
    }
}

/// Refund part or all of a payment.
///
/// **Roles:** `reception_officer` of the payment's commune. A refund is a new record; the
/// payment itself is never edited beyond its running refunded total. Optimistic guard:
/// `refundable_vnd` must equal what is refundable now (else 412: someone refunded in
/// between); more than refundable is 409 `refund.exceeds_refundable`. Only succeeded
/// payments are refundable.
#[utoipa::path(tag = "payments", security(("bearer" = [])), request_body = RefundRequest, params(("id" = String, Path, description = "Payment id")), responses(
    (status = 201, body = RefundView),
    JsonBody, NotAuthenticated, RoleNotAllowed, PaymentNotFound, InvalidFields,
    (status = 409, description = "More than refundable, or the payment did not succeed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "refundable_vnd is stale", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/payments/{id}/refunds")]
pub async fn create_refund(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
    body: ValidJson<RefundRequest>,
) -> ApiResult<HttpResponse> {
    service::may_refund(&auth)?;
    let req = body.0;
    let p = auth.principal.clone();
    let id = id.into_inner();
    let refund = state
        .db_tx(move |conn| service::refund(conn, &p, &id, &req))
        .await?;
    log::info!(
        "refund {} of payment {} ({} VND) by {}",
        refund.id,
        refund.payment_id,
        refund.amount,
        auth.user_id
    );
    Ok(HttpResponse::Created().json(refund_view(refund)))
}

/// A payment's refunds.
///
/// **Roles:** whoever may read the payment.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, body = Vec<RefundView>),
    NotAuthenticated, PaymentNotFound,
))]
#[get("/payments/{id}/refunds")]
pub async fn list_refunds(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let refunds = state
        .db(move |conn| service::of_payment(conn, &p, &id))
        .await?;
    Ok(HttpResponse::Ok().json(refunds.into_iter().map(refund_view).collect::<Vec<_>>()))
}
