//! Payments of a dossier's fees: at the counter (cash, card) and online through the
//! payment platform; receipts, refunds and the platform's callbacks. The platform adapters
//! and the settlement ledger are `crate::payments`.
//!
//! Record scope (who may see a payment) is its dossier's (`auth::access`); who may *act*
//! (pay by which method, refund) are the rules of this module.

pub mod callbacks;
pub mod cancel;
pub mod open;
pub mod read;
pub mod refunds;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::models::dossier::Dossier;
use crate::db::models::fee::Payment;
use crate::db::schema::{dossier_fees, dossiers};
use crate::db::DbConn;
use crate::domain::payment::PaymentMethod;
use crate::error::{ApiError, ApiResult};

// The dossier's scope rule is the dossiers slice's; it moves to service/ with it.
use crate::service::dossiers::lookup::can_see;

/// The receipt's identity (biên lai điện tử).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ReceiptNumber {
    /// Mẫu số biên lai.
    pub template: String,
    /// Ký hiệu biên lai.
    pub series: String,
    /// Số biên lai: gapless per commune and series.
    pub number: i64,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct PaymentView {
    pub id: String,
    /// Reference sent to the payment platform (MaThamChieu).
    pub reference: String,
    pub dossier_code: String,
    pub method: PaymentMethod,
    pub gateway: Option<String>,
    pub amount_vnd: i64,
    pub refunded_vnd: i64,
    /// What can still be refunded: the guard value for `POST …/refunds`.
    pub refundable_vnd: i64,
    /// `pending`, `succeeded`, `failed`, `expired` or `cancelled`.
    pub status: String,
    /// The dossier's fee lines this payment covers.
    pub fee_lines: Vec<i32>,
    pub payer_name: String,
    /// Where to send the payer, while pending.
    pub redirect_url: Option<String>,
    pub gateway_transaction_id: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
    pub receipt: Option<ReceiptNumber>,
    pub version: i64,
}

pub(crate) use crate::clock::utc;

fn line_numbers(conn: &mut DbConn, p: &Payment) -> ApiResult<Vec<i32>> {
    let ids = p.lines();
    Ok(dossier_fees::table
        .filter(dossier_fees::id.eq_any(&ids))
        .order(dossier_fees::line_no)
        .select(dossier_fees::line_no)
        .load(conn)?)
}

pub(crate) fn payment_view(
    p: Payment,
    dossier_code: String,
    lines: Vec<i32>,
) -> ApiResult<PaymentView> {
    let method = p.method;
    let receipt = match (p.receipt_template, p.receipt_series, p.receipt_no) {
        (Some(template), Some(series), Some(number)) => Some(ReceiptNumber {
            template,
            series,
            number,
        }),
        _ => None,
    };
    Ok(PaymentView {
        refundable_vnd: if p.status == "succeeded" {
            p.amount - p.refunded_amount
        } else {
            0
        },
        redirect_url: p.redirect_url.filter(|_| p.status == "pending"),
        id: p.id,
        reference: p.reference,
        dossier_code,
        method,
        gateway: p.gateway,
        amount_vnd: p.amount,
        refunded_vnd: p.refunded_amount,
        status: p.status,
        fee_lines: lines,
        payer_name: p.payer_name,
        gateway_transaction_id: p.gateway_transaction_id,
        failure_reason: p.failure_reason,
        created_at: utc(p.created_at),
        expires_at: p.expires_at.map(utc),
        settled_at: p.settled_at.map(utc),
        receipt,
        version: p.version,
    })
}

/// The payment as shown: with its dossier's code and its fee line numbers.
pub fn view_of(conn: &mut DbConn, p: Payment) -> ApiResult<PaymentView> {
    let code: String = dossiers::table
        .find(&p.dossier_id)
        .select(dossiers::code)
        .first(conn)?;
    let lines = line_numbers(conn, &p)?;
    payment_view(p, code, lines)
}

pub fn not_found() -> ApiError {
    ApiError::not_found("giao dịch thanh toán", "Payment")
}

/// A payment whose dossier the caller may see, or 404.
pub fn load_payment(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<(Payment, Dossier)> {
    let payment = Payment::find(conn, id)?.ok_or_else(not_found)?;
    let d = dossiers::table
        .find(&payment.dossier_id)
        .select(Dossier::as_select())
        .first(conn)?;
    if !can_see(p, &d) {
        return Err(not_found());
    }
    Ok((payment, d))
}

/// The payment as it is now (after a settlement).
pub fn fresh(conn: &mut DbConn, id: &str) -> ApiResult<Payment> {
    Payment::find(conn, id)?.ok_or_else(|| ApiError::internal("payment vanished"))
}

pub fn already_settled(status: &str) -> ApiError {
    ApiError::conflict(
        "payment.already_settled",
        format!("Giao dịch đã kết thúc ({status})."),
        format!("The payment is already settled ({status})."),
    )
    .with_extra(serde_json::json!({ "status": status }))
}
