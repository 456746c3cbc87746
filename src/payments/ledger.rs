//! Settling payments: the one place a payment leaves `pending`, its fee lines become
//! paid (or payable again), a receipt number is taken and the dossier's history records
//! it. Callbacks, the counter, cancellation and the reconciler all come through here, and
//! the compare-and-set on `status = 'pending'` makes the first of them win.

use chrono::{DateTime, Datelike, Utc};
use diesel::prelude::*;
use sha2::Digest;

use super::{paygov, Callback, GatewayStatus, PaymentGateway};
use crate::config::Config;
use crate::db::models::dossier::NewDossierEvent;
use crate::db::models::fee::{next_receipt_no, DossierFee, Payment};
use crate::db::schema::dossiers;
use crate::db::{DbConn, DbPool};
use crate::domain::calendar::local_date;
use crate::domain::dossier_lifecycle::Status;
use crate::error::{ApiError, ApiResult};
use crate::service::events;

/// How a pending payment ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    Succeeded { transaction_id: Option<String> },
    Failed { reason: String },
    Expired,
    Cancelled,
}

impl Settlement {
    pub fn status(&self) -> &'static str {
        match self {
            Settlement::Succeeded { .. } => "succeeded",
            Settlement::Failed { .. } => "failed",
            Settlement::Expired => "expired",
            Settlement::Cancelled => "cancelled",
        }
    }
}

/// Who settled it, for the dossier's history.
pub struct Settler<'a> {
    pub id: &'a str,
    pub role: &'a str,
}

/// The series in force at `now`: `{yy}` becomes the Vietnam year.
pub fn receipt_series(config: &Config, now: DateTime<Utc>) -> String {
    let yy = local_date(now).year() % 100;
    config.receipt_series.replace("{yy}", &format!("{yy:02}"))
}

/// Ends a pending payment. Returns false (changing nothing) when it was no longer
/// pending: someone else settled it first.
pub fn settle(
    conn: &mut DbConn,
    config: &Config,
    payment: &Payment,
    how: &Settlement,
    by: Settler<'_>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let nowd = now.naive_utc();
    let (tx, reason) = match how {
        Settlement::Succeeded { transaction_id } => (transaction_id.as_deref(), None),
        Settlement::Failed { reason } => (None, Some(reason.as_str())),
        _ => (None, None),
    };
    if !Payment::settle(conn, &payment.id, how.status(), tx, reason, nowd)? {
        return Ok(false);
    }
    let lines = payment.lines();
    let mut receipt = None;
    if matches!(how, Settlement::Succeeded { .. }) {
        let moved = DossierFee::move_lines(conn, &lines, "pending", "paid", Some(&payment.id))?;
        if moved != lines.len() {
            // Lines of a pending payment are only ever moved by its settlement.
            return Err(ApiError::internal(format!(
                "payment {}: {moved} of {} fee lines were pending",
                payment.id,
                lines.len()
            )));
        }
        let series = receipt_series(config, now);
        let number = next_receipt_no(conn, &payment.commune_code, &series)?;
        Payment::set_receipt(conn, &payment.id, &config.receipt_template, &series, number)?;
        receipt = Some(format!("{series}/{number:07}"));
    } else {
        DossierFee::move_lines(conn, &lines, "pending", "unpaid", None)?;
    }
    let status: Status = dossiers::table
        .find(&payment.dossier_id)
        .select(dossiers::status)
        .first(conn)?;
    events::append(
        conn,
        &NewDossierEvent {
            dossier_id: &payment.dossier_id,
            action: match how {
                Settlement::Succeeded { .. } => "payment_succeeded",
                Settlement::Failed { .. } => "payment_failed",
                Settlement::Expired => "payment_expired",
                Settlement::Cancelled => "payment_cancelled",
            },
            actor_id: by.id,
            actor_role: by.role,
            from_status: Some(status),
            to_status: status,
            comment: reason,
            data: serde_json::json!({
                "payment_id": payment.id, "method": payment.method, "amount_vnd": payment.amount,
                "receipt": receipt,
            })
            .to_string(),
            created_at: nowd,
        },
    )?;
    Ok(true)
}

/// Records a success the platform reports for a payment we had already closed. Its fee
/// lines become paid if they are all still unpaid; if some were paid another way in the
/// meantime, none move and the payment is marked as paid twice, refundable in full. A
/// receipt is issued either way: the money was collected.
fn settle_late_success(
    conn: &mut DbConn,
    config: &Config,
    payment: &Payment,
    transaction_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    use crate::db::schema::{dossier_fees, payments};
    let lines = payment.lines();
    let unpaid: i64 = dossier_fees::table
        .filter(dossier_fees::id.eq_any(&lines))
        .filter(dossier_fees::status.eq("unpaid"))
        .count()
        .get_result(conn)?;
    let covers = unpaid as usize == lines.len();
    let note = (!covers).then_some(
        "paid after the payment was closed, while its fees were paid otherwise: refund due",
    );
    let n = diesel::update(
        payments::table
            .filter(payments::id.eq(&payment.id))
            .filter(payments::status.eq_any(["expired", "cancelled", "failed"])),
    )
    .set((
        payments::status.eq("succeeded"),
        payments::gateway_transaction_id.eq(transaction_id),
        payments::failure_reason.eq(note),
        payments::settled_at.eq(now.naive_utc()),
        payments::version.eq(payments::version + 1),
    ))
    .execute(conn)?;
    if n != 1 {
        return Ok(false);
    }
    if covers {
        DossierFee::move_lines(conn, &lines, "unpaid", "paid", Some(&payment.id))?;
    }
    let series = receipt_series(config, now);
    let number = next_receipt_no(conn, &payment.commune_code, &series)?;
    Payment::set_receipt(conn, &payment.id, &config.receipt_template, &series, number)?;
    let status: Status = dossiers::table
        .find(&payment.dossier_id)
        .select(dossiers::status)
        .first(conn)?;
    events::append(
        conn,
        &NewDossierEvent {
            dossier_id: &payment.dossier_id,
            action: "payment_succeeded",
            actor_id: actor,
            actor_role: "payment_gateway",
            from_status: Some(status),
            to_status: status,
            comment: note,
            data: serde_json::json!({
                "payment_id": payment.id, "method": payment.method, "amount_vnd": payment.amount,
                "receipt": format!("{series}/{number:07}"), "late": true, "covers_fees": covers,
            })
            .to_string(),
            created_at: now.naive_utc(),
        },
    )?;
    log::warn!(
        "payment {} succeeded after it was closed (covers its fees: {covers})",
        payment.reference
    );
    Ok(true)
}

/// What a valid callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackResult {
    /// The payment was pending and is now settled as the callback says.
    Applied,
    /// The same result was already recorded (the platform retried): nothing changed.
    AlreadyApplied,
}

/// Checks a platform callback and applies it, inside the caller's transaction. Every
/// refusal changes nothing: signature, then the time window (replays), then the
/// reference, then the amount, then whether the payment is still open.
pub fn apply_callback(
    conn: &mut DbConn,
    config: &Config,
    gateway: &dyn PaymentGateway,
    cb: &Callback,
    now: DateTime<Utc>,
) -> ApiResult<(CallbackResult, Payment)> {
    if !gateway.verify(cb) {
        return Err(ApiError::forbidden(
            "payment.callback_invalid_signature",
            "Chữ ký (MaXacThuc) của thông báo thanh toán không đúng.",
            "The callback's signature (MaXacThuc) is not valid.",
        ));
    }
    let at = paygov::parse_time(&cb.time).ok_or_else(|| {
        ApiError::invalid_field(
            "ThoiGianGD",
            "Thời gian giao dịch phải có dạng yyyyMMddHHmmss.",
            "ThoiGianGD must be yyyyMMddHHmmss.",
        )
    })?;
    if (now - at).num_seconds().abs() > config.payment_callback_window_secs {
        return Err(ApiError::conflict(
            "payment.callback_stale",
            "Thông báo thanh toán nằm ngoài khung thời gian cho phép (có thể là gửi lại).",
            "The callback's time is outside the accepted window (a replay?).",
        ));
    }
    let payment = Payment::find_by_reference(conn, &cb.reference)?
        .filter(|p| p.gateway.as_deref() == Some(gateway.name()))
        .ok_or_else(|| {
            ApiError::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "payment.unknown_reference",
                "Không có giao dịch với mã tham chiếu này.",
                "No payment has this reference.",
            )
        })?;
    if cb.amount.parse::<i64>().ok() != Some(payment.amount) {
        return Err(ApiError::unprocessable(
            "payment.amount_mismatch",
            format!(
                "Số tiền {} không khớp số tiền của giao dịch ({}).",
                cb.amount, payment.amount
            ),
            format!(
                "Amount {} does not match the payment's {}.",
                cb.amount, payment.amount
            ),
        ));
    }
    if payment.status != "pending" {
        let same = if cb.succeeded() {
            payment.status == "succeeded"
                && payment.gateway_transaction_id.as_deref() == Some(cb.transaction_id.as_str())
        } else {
            payment.status == "failed"
        };
        if same {
            return Ok((CallbackResult::AlreadyApplied, payment));
        }
        // The payer paid after we gave up on the payment (expired, cancelled, or failed
        // on our side): the money was taken, so it is recorded, never refused.
        if cb.succeeded() && payment.status != "succeeded" {
            let actor = format!("gateway:{}", gateway.name());
            if settle_late_success(conn, config, &payment, &cb.transaction_id, &actor, now)? {
                let payment = Payment::find(conn, &payment.id)?
                    .ok_or_else(|| ApiError::internal("payment vanished"))?;
                return Ok((CallbackResult::Applied, payment));
            }
        }
        return Err(ApiError::conflict(
            "payment.already_settled",
            format!("Giao dịch đã kết thúc ({}).", payment.status),
            format!("The payment is already settled ({}).", payment.status),
        ));
    }
    let how = if cb.succeeded() {
        Settlement::Succeeded {
            transaction_id: Some(cb.transaction_id.clone()),
        }
    } else {
        Settlement::Failed {
            reason: format!("MaLoi={} {}", cb.result_code, cb.info)
                .trim()
                .to_string(),
        }
    };
    let actor = format!("gateway:{}", gateway.name());
    if !settle(
        conn,
        config,
        &payment,
        &how,
        Settler {
            id: &actor,
            role: "payment_gateway",
        },
        now,
    )? {
        // Settled between our read and our write (another callback or the reconciler).
        let current = Payment::find(conn, &payment.id)?.unwrap_or(payment);
        return Err(ApiError::conflict(
            "payment.already_settled",
            format!("Giao dịch đã kết thúc ({}).", current.status),
            format!("The payment is already settled ({}).", current.status),
        ));
    }
    let payment =
        Payment::find(conn, &payment.id)?.ok_or_else(|| ApiError::internal("payment vanished"))?;
    Ok((CallbackResult::Applied, payment))
}

/// What one reconciliation pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReconcileReport {
    pub checked: u32,
    pub succeeded: u32,
    pub failed: u32,
    /// Past their time and not paid at the platform.
    pub expired: u32,
    /// The platform could not be asked; tried again on the next pass.
    pub unreachable: u32,
    /// Platform receipts (biên lai) fetched and kept for successful payments.
    pub receipts_fetched: u32,
    /// Receipts the platform did not give this time; asked again on the next pass.
    pub receipts_missing: u32,
}

/// Asks the platform about online payments open longer than `PAYMENT_TIMEOUT_SECS` and
/// settles each as it answers; unpaid ones expire. Network calls happen outside any
/// transaction; several instances may run this at once, the settlement CAS keeps one
/// outcome per payment.
pub fn reconcile(
    pool: &DbPool,
    config: &Config,
    gateway: &dyn PaymentGateway,
    now: DateTime<Utc>,
) -> ApiResult<ReconcileReport> {
    let cutoff = now - chrono::Duration::seconds(config.payment_timeout_secs);
    let mut conn = pool.get().map_err(ApiError::service_unavailable)?;
    let due = Payment::pending_before(&mut conn, cutoff.naive_utc(), 500)?;
    let mut report = ReconcileReport::default();
    let actor = format!("reconciler:{}", gateway.name());
    for p in due {
        if p.gateway.as_deref() != Some(gateway.name()) {
            continue;
        }
        report.checked += 1;
        let how = match gateway.query(&p.reference, p.created_at.and_utc()) {
            Ok(GatewayStatus::Succeeded { transaction_id }) => Settlement::Succeeded {
                transaction_id: Some(transaction_id),
            },
            Ok(GatewayStatus::Failed { reason }) => Settlement::Failed { reason },
            Ok(GatewayStatus::Pending) | Ok(GatewayStatus::Unknown) => Settlement::Expired,
            Err(e) => {
                log::warn!("reconcile {}: {e}", p.reference);
                report.unreachable += 1;
                continue;
            }
        };
        let won = conn.write_transaction(|c| {
            settle(
                c,
                config,
                &p,
                &how,
                Settler {
                    id: &actor,
                    role: "payment_gateway",
                },
                now,
            )
        })?;
        if won {
            log::info!("payment {} reconciled: {}", p.reference, how.status());
            match how {
                Settlement::Succeeded { .. } => report.succeeded += 1,
                Settlement::Failed { .. } => report.failed += 1,
                _ => report.expired += 1,
            }
        }
    }
    fetch_receipts(&mut conn, gateway, now, &mut report)?;
    Ok(report)
}

/// Fetches the platform's receipt of successful payments that have none yet (up to 200
/// a pass), each signed with its payment's original transaction time, and keeps it.
fn fetch_receipts(
    conn: &mut DbConn,
    gateway: &dyn PaymentGateway,
    now: DateTime<Utc>,
    report: &mut ReconcileReport,
) -> ApiResult<()> {
    use crate::db::schema::{payment_platform_receipts as r, payments as p};
    let due: Vec<(String, String, chrono::NaiveDateTime)> = p::table
        .filter(p::status.eq("succeeded"))
        .filter(p::gateway.eq(gateway.name()))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            r::table.filter(r::payment_id.eq(p::id)),
        )))
        .order(p::settled_at.asc())
        .limit(200)
        .select((p::id, p::reference, p::created_at))
        .load(conn)?;
    for (id, reference, created_at) in due {
        match gateway.receipt(&reference, created_at.and_utc()) {
            Ok(file) => {
                let digest = hex::encode(sha2::Sha256::digest(&file));
                diesel::insert_into(r::table)
                    .values((
                        r::payment_id.eq(&id),
                        r::content.eq(&file),
                        r::sha256.eq(&digest),
                        r::fetched_at.eq(now.naive_utc()),
                    ))
                    .execute(conn)?;
                report.receipts_fetched += 1;
            }
            Err(e) => {
                log::warn!("platform receipt of payment {reference}: {e}");
                report.receipts_missing += 1;
            }
        }
    }
    Ok(())
}
