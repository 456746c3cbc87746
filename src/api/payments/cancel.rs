//! Cancelling an open online payment.

use actix_web::{post, web, HttpResponse};

use crate::api::extract::etag;
use crate::api::problems::{NotAuthenticated, PaymentNotFound, RoleNotAllowed};
use crate::auth::roles::Payers;
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::payments::ledger::Settlement;
use crate::payments::GatewayStatus;
use crate::service::payments::{cancel as service, utc, PaymentView};
use crate::state::AppState;

/// Cancel an open online payment.
///
/// **Roles:** `reception_officer` of the commune, or the owning `citizen`. The platform is
/// asked first: a payment it already took is settled as paid instead (409
/// `payment.already_settled` with the payment's new status); otherwise the payment is
/// cancelled and its fee lines can be paid again.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, body = PaymentView),
    NotAuthenticated, RoleNotAllowed, PaymentNotFound,
    (status = 409, description = "Not pending (already settled)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 502, description = "The platform could not be asked; try again", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/payments/{id}/cancel")]
pub async fn cancel_payment(
    state: web::Data<AppState>,
    auth: Authorized<Payers>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let (pr, i) = (p.clone(), id.clone());
    let payment = state
        .db(move |conn| service::load_open(conn, &pr, &i))
        .await?;
    let how = match (payment.gateway.as_deref(), &state.payment_gateway) {
        (Some(name), Some(g)) if g.name() == name => {
            let (g, r, at) = (
                g.clone(),
                payment.reference.clone(),
                utc(payment.created_at),
            );
            match web::block(move || g.query(&r, at))
                .await
                .map_err(ApiError::internal)?
            {
                Ok(GatewayStatus::Succeeded { transaction_id }) => Settlement::Succeeded {
                    transaction_id: Some(transaction_id),
                },
                Ok(GatewayStatus::Failed { reason }) => Settlement::Failed { reason },
                Ok(_) => Settlement::Cancelled,
                Err(e) => {
                    return Err(ApiError::new(
                        actix_web::http::StatusCode::BAD_GATEWAY,
                        "payment.gateway_unavailable",
                        "Không hỏi được cổng thanh toán; thử huỷ lại sau.",
                        format!("The payment platform could not be asked ({e}); try again."),
                    ))
                }
            }
        }
        _ => Settlement::Cancelled,
    };
    let st = state.clone();
    let view = state
        .db_tx(move |conn| service::settle(conn, &st.config, &p, &payment, &how))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}
