//! Refunds of a succeeded payment: new records, never an edit of the payment beyond its
//! running refunded total.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::load_payment;
use crate::auth::Principal;
use crate::db::models::dossier::NewDossierEvent;
use crate::db::models::fee::{Payment, Refund};
use crate::db::schema::payment_refunds;
use crate::db::DbConn;
use crate::domain::roles::Role;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::service::events;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    Cash,
    BankTransfer,
}

/// A refund to record.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount_vnd": 2000, "refundable_vnd": 5000, "method": "cash", "reason": "Thu thừa 1 trang"}))]
pub struct RefundRequest {
    #[schema(minimum = 1)]
    #[validate(range(min = 1))]
    pub amount_vnd: i64,
    /// The refundable amount the caller saw (`refundable_vnd` of the payment): if it has
    /// changed since, the refund is refused with 412 and nothing is recorded.
    #[schema(minimum = 0)]
    #[validate(range(min = 0))]
    pub refundable_vnd: i64,
    pub method: RefundMethod,
    #[schema(min_length = 1, max_length = 1000)]
    #[validate(length(min = 1, max = 1000))]
    pub reason: String,
}

/// Only the commune's counter officer records refunds (the payment's commune: its scope).
pub fn may_refund(p: &Principal) -> ApiResult<()> {
    if p.role != Role::ReceptionOfficer {
        return Err(ApiError::forbidden(
            "refund.role_not_allowed",
            "Chỉ cán bộ một cửa của xã được hoàn phí.",
            "Only the commune's counter officer records refunds.",
        ));
    }
    Ok(())
}

/// Records a refund of a succeeded payment. Optimistic guard: `refundable_vnd` must equal
/// what is refundable now (else 412); more than refundable is 409
/// `refund.exceeds_refundable`. The dossier's history gets `payment_refunded`.
pub fn refund(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    req: &RefundRequest,
) -> ApiResult<Refund> {
    let (payment, d) = load_payment(conn, p, id)?;
    if payment.status != "succeeded" {
        return Err(ApiError::conflict(
            "refund.not_refundable",
            "Chỉ hoàn tiền cho giao dịch đã thành công.",
            "Only a succeeded payment can be refunded.",
        ));
    }
    let refundable = payment.amount - payment.refunded_amount;
    if req.refundable_vnd != refundable {
        return Err(ApiError::precondition_failed()
            .with_extra(serde_json::json!({ "refundable_vnd": refundable })));
    }
    if req.amount_vnd > refundable {
        return Err(ApiError::conflict(
            "refund.exceeds_refundable",
            format!("Số tiền hoàn vượt quá số có thể hoàn ({refundable} đ)."),
            format!("The refund exceeds the refundable {refundable} VND."),
        )
        .with_extra(serde_json::json!({ "refundable_vnd": refundable })));
    }
    if !Payment::add_refund(conn, &payment.id, req.amount_vnd, refundable)? {
        return Err(ApiError::precondition_failed());
    }
    let now = crate::clock::now();
    let r = Refund {
        id: uuid::Uuid::now_v7().to_string(),
        payment_id: payment.id.clone(),
        amount: req.amount_vnd,
        method: match req.method {
            RefundMethod::Cash => "cash",
            RefundMethod::BankTransfer => "bank_transfer",
        }
        .into(),
        reason: nfc(req.reason.trim()),
        created_by: p.user_id.clone(),
        created_at: now.naive_utc(),
    };
    diesel::insert_into(payment_refunds::table)
        .values(&r)
        .execute(conn)?;
    events::append(
        conn,
        &NewDossierEvent {
            dossier_id: &d.id,
            action: "payment_refunded",
            actor_id: &p.user_id,
            actor_role: p.role.as_str(),
            from_status: Some(d.status),
            to_status: d.status,
            comment: Some(&r.reason),
            data: serde_json::json!({ "payment_id": payment.id, "refund_id": r.id, "amount_vnd": r.amount }).to_string(),
            created_at: now.naive_utc(),
        },
    )?;
    Ok(r)
}

/// The refunds of a payment the caller may see.
pub fn of_payment(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<Vec<Refund>> {
    let (payment, _) = load_payment(conn, p, id)?;
    Ok(Refund::of_payment(conn, &payment.id)?)
}
