//! Reading payments: the list in the caller's scope, one payment, its receipt.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{line_numbers, load_payment, payment_view, utc, view_of, PaymentView};
use crate::auth::access::Scope;
use crate::auth::Principal;
use crate::db::models::fee::{DossierFee, Payment};
use crate::db::models::registry::Commune;
use crate::db::schema::{dossier_fees, dossiers, payments};
use crate::db::DbConn;
use crate::domain::fees::amount_in_words;
use crate::domain::payment::PaymentMethod;
use crate::error::{ApiError, ApiResult, Text};
use crate::service::access_log::Read;
use crate::service::keyset::Keyset;

/// One payment the caller may see (else 404), and the read it makes.
pub fn get(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<(PaymentView, Read)> {
    let (payment, d) = load_payment(conn, p, id)?;
    Ok((view_of(conn, payment)?, Read::dossier(&d)))
}

/// The list's filters.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub commune_code: Option<String>,
    pub dossier_code: Option<String>,
}

/// Up to `limit + 1` payments in `scope`, newest first, after the cursor `(created_at, id)`;
/// and the reads of the first `limit`.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    f: ListFilter,
    after: Option<Keyset>,
    limit: i64,
) -> ApiResult<(Vec<PaymentView>, Vec<Read>)> {
    let mut q = payments::table
        .inner_join(dossiers::table.on(dossiers::id.eq(payments::dossier_id)))
        .select((Payment::as_select(), dossiers::code))
        .order((payments::created_at.desc(), payments::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    q = crate::scope_filter!(
        q,
        scope,
        commune = payments::commune_code,
        province = payments::province_code,
        owner = dossiers::owner_user_id,
    );
    if let Some(c) = f.commune_code {
        q = q.filter(payments::commune_code.eq(c));
    }
    if let Some(s) = f.status {
        q = q.filter(payments::status.eq(s));
    }
    if let Some(c) = f.dossier_code {
        q = q.filter(dossiers::code.eq(c));
    }
    if let Some(Keyset(at, id)) = after {
        q = q.filter(
            payments::created_at
                .lt(at)
                .or(payments::created_at.eq(at).and(payments::id.lt(id))),
        );
    }
    let rows: Vec<(Payment, String)> = q.load(conn)?;
    let reads: Vec<_> = rows
        .iter()
        .take(limit as usize)
        .map(|(pm, code)| {
            Read::dossier_parts(&pm.dossier_id, code, &pm.commune_code, &pm.province_code)
        })
        .collect();
    let mut views = Vec::with_capacity(rows.len());
    for (payment, code) in rows {
        let lines = line_numbers(conn, &payment)?;
        views.push(payment_view(payment, code, lines)?);
    }
    Ok((views, reads))
}

/// A line of a receipt.
#[derive(Serialize, ToSchema)]
pub struct ReceiptLine {
    pub fee_code: String,
    pub name: String,
    pub kind: String,
    pub amount_vnd: i64,
}

/// Biên lai điện tử: what the payer takes away.
#[derive(Serialize, ToSchema)]
pub struct PaymentReceipt {
    pub title: &'static str,
    pub template: String,
    pub series: String,
    /// Seven digits, as printed.
    pub number: String,
    /// The collecting unit.
    pub collector: String,
    pub collector_agency_code: String,
    pub payer_name: String,
    pub dossier_code: String,
    pub procedure_code: String,
    pub lines: Vec<ReceiptLine>,
    pub total_vnd: i64,
    /// The total in Vietnamese words.
    pub total_in_words: String,
    pub method: PaymentMethod,
    pub gateway_transaction_id: Option<String>,
    pub paid_at: DateTime<Utc>,
    pub refunded_vnd: i64,
    /// Where this receipt can be fetched again (DuongDanBienLai).
    pub url: String,
}

/// The receipt of a payment the caller may see (404 `payment.no_receipt` until it
/// succeeded); `base` is the public base URL. With the read it makes.
pub fn receipt(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    base: &str,
) -> ApiResult<(Read, PaymentReceipt)> {
    let (payment, d) = load_payment(conn, p, id)?;
    let read = Read::dossier(&d);
    let (Some(template), Some(series), Some(no)) = (
        payment.receipt_template.clone(),
        payment.receipt_series.clone(),
        payment.receipt_no,
    ) else {
        return Err(ApiError {
            code: "payment.no_receipt",
            detail: Text::new(
                "Giao dịch chưa thành công nên chưa có biên lai.",
                "The payment has not succeeded, so it has no receipt.",
            ),
            ..ApiError::not_found("biên lai", "Receipt")
        });
    };
    let commune = Commune::find(conn, &d.commune_code)?
        .ok_or_else(|| ApiError::internal("commune missing"))?;
    let ids = payment.lines();
    let lines: Vec<DossierFee> = dossier_fees::table
        .filter(dossier_fees::id.eq_any(&ids))
        .order(dossier_fees::line_no)
        .select(DossierFee::as_select())
        .load(conn)?;
    let view = payment_view(payment.clone(), d.code.clone(), vec![])?;
    Ok((
        read,
        PaymentReceipt {
            title: "BIÊN LAI THU PHÍ, LỆ PHÍ",
            template,
            series,
            number: format!("{no:07}"),
            collector: format!("Trung tâm Phục vụ hành chính công {}", commune.full_name),
            collector_agency_code: commune.agency_id(),
            payer_name: payment.payer_name.clone(),
            dossier_code: d.code,
            procedure_code: d.procedure_code,
            lines: lines
                .into_iter()
                .map(|l| ReceiptLine {
                    fee_code: l.fee_code,
                    name: l.name,
                    kind: l.kind,
                    amount_vnd: l.amount,
                })
                .collect(),
            total_vnd: payment.amount,
            total_in_words: amount_in_words(payment.amount),
            method: view.method,
            gateway_transaction_id: payment.gateway_transaction_id.clone(),
            paid_at: utc(payment.settled_at.unwrap_or(payment.created_at)),
            refunded_vnd: payment.refunded_amount,
            url: format!("{base}/api/v1/payments/{}/receipt", payment.id),
        },
    ))
}
