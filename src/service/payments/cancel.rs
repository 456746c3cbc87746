//! Cancelling an open online payment.

use super::{already_settled, load_payment, not_found, view_of, PaymentView};
use crate::auth::Principal;
use crate::config::Config;
use crate::db::models::fee::Payment;
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::payments::ledger::{self, Settlement, Settler};

/// The payment to cancel: visible to the caller (else 404) and still open (else 409).
pub fn load_open(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<Payment> {
    let (payment, _) = load_payment(conn, p, id)?;
    if payment.status != "pending" {
        return Err(already_settled(&payment.status));
    }
    Ok(payment)
}

/// Settles the payment as `how` (what the platform reported, or cancelled): only a
/// cancellation that wins answers the payment; anything else is 409 with the new status.
pub fn settle(
    conn: &mut DbConn,
    config: &Config,
    p: &Principal,
    payment: &Payment,
    how: &Settlement,
) -> ApiResult<PaymentView> {
    let won = ledger::settle(
        conn,
        config,
        payment,
        how,
        Settler {
            id: &p.user_id,
            role: p.role.as_str(),
        },
        crate::clock::now(),
    )?;
    let fresh = Payment::find(conn, &payment.id)?.ok_or_else(not_found)?;
    if !won || *how != Settlement::Cancelled {
        return Err(already_settled(&fresh.status));
    }
    view_of(conn, fresh)
}
