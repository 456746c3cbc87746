//! Payments of a dossier's fees over HTTP: at the counter (cash, card) and online through
//! the payment platform; the platform's callbacks, receipts, refunds and reconciliation.
//! The use cases are `service::payments`; the platform adapters and the ledger are
//! `crate::payments`.

mod callbacks;
mod cancel;
mod create;
mod read;
mod refunds;

pub use callbacks::*;
pub use cancel::*;
pub use create::*;
pub use read::*;
pub use refunds::*;

pub use crate::domain::payment::PaymentMethod;
pub use crate::service::payments::{PaymentView, ReceiptNumber};

use crate::error::{ApiError, ApiResult};
use crate::payments::PaymentGateway;
use crate::state::AppState;

/// The configured online gateway, or 503.
fn gateway(state: &AppState) -> ApiResult<std::sync::Arc<dyn PaymentGateway>> {
    state.payment_gateway.clone().ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "payment.gateway_not_configured",
            "Chưa cấu hình cổng thanh toán trực tuyến; thanh toán tại quầy.",
            "No online payment gateway is configured; pay at the counter.",
        )
    })
}
