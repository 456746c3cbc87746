//! Opening a payment of a dossier's fee lines: recorded at once at the counter (cash,
//! card), or opened at the payment platform (online).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{utc, view_of};
use crate::auth::Principal;
use crate::config::Config;
use crate::db::models::dossier::Dossier;
use crate::db::models::fee::{DossierFee, Payment};
use crate::db::models::registry::Commune;
use crate::db::schema::payments;
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::payment::PaymentMethod;
use crate::domain::roles::Role;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::payments::ledger::{self, Settlement, Settler};
use crate::payments::InitRequest;

// The dossier lookup is the dossiers slice's; it moves to service/ with it.
use crate::service::dossiers::lookup::load_visible;

/// A payment to open.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "online"}))]
pub struct PaymentRequest {
    pub method: PaymentMethod,
    /// Fee lines (`line_no`) to pay; absent: every unpaid line.
    #[schema(min_items = 1, max_items = 50)]
    #[validate(length(min = 1, max = 50))]
    pub fee_lines: Option<Vec<i32>>,
    /// Who pays, when not the applicant (printed on the receipt).
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub payer_name: Option<String>,
}

/// Citizens pay online; cash and card are recorded by the counter officer.
pub fn may_pay_with(p: &Principal, method: PaymentMethod) -> ApiResult<()> {
    if p.role == Role::Citizen && method != PaymentMethod::Online {
        return Err(ApiError::forbidden(
            "payment.method_not_allowed",
            "Công dân thanh toán trực tuyến; tiền mặt và thẻ do cán bộ một cửa ghi nhận.",
            "Applicants pay online; cash and card are recorded by the counter officer.",
        ));
    }
    Ok(())
}

/// A fresh reference: 32 hex digits after `MC`, time-ordered (uuid v7).
fn new_reference() -> String {
    format!(
        "MC{}",
        uuid::Uuid::now_v7().simple().to_string().to_uppercase()
    )
}

/// What the first transaction of a payment creation leaves behind.
pub struct Opened {
    pub payment: Payment,
    pub dossier: Dossier,
    /// The answer's body, once the payment is settled (at the counter).
    pub body: Option<String>,
}

/// The fee lines a request covers: the given ones, or every unpaid line (or, when none is
/// unpaid, one in an open payment, so that the refusal can name that payment).
fn chosen_lines<'a>(all: &'a [DossierFee], req: &PaymentRequest) -> ApiResult<Vec<&'a DossierFee>> {
    Ok(match &req.fee_lines {
        None => {
            let unpaid: Vec<&DossierFee> = all.iter().filter(|l| l.status == "unpaid").collect();
            // Nothing unpaid but something in an open payment: say which payment.
            match all.iter().find(|l| l.status == "pending") {
                Some(pending) if unpaid.is_empty() => vec![pending],
                _ => unpaid,
            }
        }
        Some(nos) => {
            let mut v = Vec::new();
            for n in nos {
                let line = all.iter().find(|l| l.line_no == *n).ok_or_else(|| {
                    ApiError::invalid_field(
                        "fee_lines",
                        format!("Hồ sơ không có khoản phí số {n}."),
                        format!("The dossier has no fee line {n}."),
                    )
                })?;
                if !v.iter().any(|l: &&DossierFee| l.line_no == *n) {
                    v.push(line);
                }
            }
            v
        }
    })
}

/// Every chosen line must be unpaid (409 naming the payment that holds it), and there
/// must be something to pay.
fn check_due(chosen: &[&DossierFee]) -> ApiResult<()> {
    if let Some(busy) = chosen.iter().find(|l| l.status != "unpaid") {
        let (code, vi, en) = match busy.status.as_str() {
            "pending" => (
                "payment.pending_exists",
                "Khoản phí đang chờ một giao dịch khác; huỷ giao dịch đó hoặc chờ kết quả.",
                "A fee line is in another open payment; cancel it or wait for its result.",
            ),
            "paid" => (
                "payment.already_paid",
                "Khoản phí đã được thanh toán.",
                "The fee line is already paid.",
            ),
            _ => (
                "payment.nothing_due",
                "Khoản phí không phải thu.",
                "Nothing is due for that fee line.",
            ),
        };
        return Err(ApiError::conflict(code, vi, en)
            .with_extra(serde_json::json!({ "payment_id": busy.payment_id })));
    }
    if chosen.is_empty() {
        return Err(ApiError::conflict(
            "payment.nothing_due",
            "Hồ sơ không còn khoản phí nào phải thu.",
            "Nothing is due on this dossier.",
        ));
    }
    Ok(())
}

/// Opens a payment of dossier `code`'s fee lines and takes them (`unpaid` → `pending`).
/// At the counter (`gateway_name` None) it is settled as paid at once, with its receipt
/// number, and `body` is the answer; online it stays pending until the platform answers.
pub fn open_payment(
    conn: &mut DbConn,
    config: &Config,
    p: &Principal,
    code: &str,
    req: &PaymentRequest,
    gateway_name: Option<&'static str>,
) -> ApiResult<Opened> {
    let d = load_visible(conn, p, code)?;
    may_pay_with(p, req.method)?;
    if matches!(d.status, Status::Refused | Status::Stopped) {
        return Err(ApiError::conflict(
            "payment.dossier_closed",
            "Hồ sơ đã bị từ chối hoặc dừng; không thu phí.",
            "The dossier was refused or stopped; no fees are collected.",
        ));
    }
    if gateway_name.is_some()
        && crate::service::beneficiary::effective(conn, &d.commune_code, &d.province_code)?
            .is_none()
    {
        return Err(ApiError::conflict(
            "payment.online_not_offered",
            "Xã/phường chưa khai báo tài khoản thụ hưởng với nền tảng thanh toán; chưa nhận thanh toán trực tuyến.",
            "The commune has no beneficiary account at the payment platform yet; online payment is not offered.",
        ));
    }
    let all = DossierFee::of_dossier(conn, &d.id)?;
    let chosen = chosen_lines(&all, req)?;
    check_due(&chosen)?;
    let now = crate::clock::now();
    let ids: Vec<String> = chosen.iter().map(|l| l.id.clone()).collect();
    let payment = Payment {
        id: uuid::Uuid::now_v7().to_string(),
        reference: new_reference(),
        dossier_id: d.id.clone(),
        commune_code: d.commune_code.clone(),
        province_code: d.province_code.clone(),
        method: req.method,
        gateway: gateway_name.map(str::to_string),
        amount: chosen.iter().map(|l| l.amount).sum(),
        refunded_amount: 0,
        status: "pending".into(),
        fee_lines: serde_json::to_string(&ids).expect("serializes"),
        payer_name: req
            .payer_name
            .as_deref()
            .map(|n| nfc(n.trim()))
            .unwrap_or_else(|| d.applicant_name.clone()),
        redirect_url: None,
        gateway_transaction_id: None,
        failure_reason: None,
        created_by: p.user_id.clone(),
        created_at: now.naive_utc(),
        expires_at: gateway_name
            .map(|_| (now + chrono::Duration::seconds(config.payment_timeout_secs)).naive_utc()),
        settled_at: None,
        receipt_template: None,
        receipt_series: None,
        receipt_no: None,
        version: 1,
    };
    diesel::insert_into(payments::table)
        .values(&payment)
        .execute(conn)?;
    // Only lines still unpaid move: a concurrent payment for the same lines leaves fewer.
    if DossierFee::move_lines(conn, &ids, "unpaid", "pending", Some(&payment.id))? != ids.len() {
        return Err(ApiError::conflict(
            "payment.pending_exists",
            "Khoản phí vừa được đưa vào một giao dịch khác.",
            "The fee lines were just taken by another payment.",
        ));
    }
    let mut body = None;
    let mut payment = payment;
    if req.method != PaymentMethod::Online {
        ledger::settle(
            conn,
            config,
            &payment,
            &Settlement::Succeeded {
                transaction_id: None,
            },
            Settler {
                id: &p.user_id,
                role: p.role.as_str(),
            },
            now,
        )?;
        payment = super::fresh(conn, &payment.id)?;
        body = Some(serde_json::to_string(&view_of(conn, payment.clone())?).expect("serializes"));
    }
    Ok(Opened {
        payment,
        dossier: d,
        body,
    })
}

/// The INIT of an online payment: the receipt block in full, from the dossier, its fee
/// lines in the payment, the commune's identifier and its beneficiary account.
pub fn init_request(
    conn: &mut DbConn,
    payment: &Payment,
    d: &Dossier,
    client_ip: String,
) -> ApiResult<InitRequest> {
    let commune = Commune::find(conn, &d.commune_code)?
        .ok_or_else(|| ApiError::internal("dossier without commune"))?;
    let account = crate::service::beneficiary::effective(conn, &d.commune_code, &d.province_code)?
        .ok_or_else(|| ApiError::internal("beneficiary account vanished"))?;
    let procedure_name: String = crate::db::schema::procedure_versions::table
        .find(&d.procedure_version_id)
        .select(crate::db::schema::procedure_versions::name)
        .first(conn)?;
    let ids = payment.lines();
    let fees = DossierFee::of_dossier(conn, &d.id)?
        .into_iter()
        .filter(|l| ids.contains(&l.id))
        .map(|l| crate::payments::FeeItem {
            kind: l.kind,
            code: l.fee_code,
            name: l.name,
            amount: l.amount,
        })
        .collect();
    let contact: serde_json::Value = serde_json::from_str(&d.applicant_contact).unwrap_or_default();
    Ok(InitRequest {
        reference: payment.reference.clone(),
        amount: payment.amount,
        created_at: utc(payment.created_at),
        description: format!("Phí, lệ phí hồ sơ {}", d.code),
        dossier_code: d.code.clone(),
        procedure_code: d.procedure_code.clone(),
        procedure_name,
        agency_code: commune.agency_id(),
        agency_name: format!("UBND {}", commune.full_name),
        payer_name: payment.payer_name.clone(),
        payer_id_number: d.applicant_id_number.clone(),
        payer_address: contact["address"].as_str().unwrap_or("").to_string(),
        beneficiary: account.account(),
        fees,
        client_ip,
    })
}

/// Records where the platform sends the payer; returns the answer's body.
pub fn record_redirect(conn: &mut DbConn, payment_id: &str, url: &str) -> ApiResult<String> {
    diesel::update(payments::table.find(payment_id))
        .set(payments::redirect_url.eq(url))
        .execute(conn)?;
    let fresh = super::fresh(conn, payment_id)?;
    Ok(serde_json::to_string(&view_of(conn, fresh)?).expect("serializes"))
}

/// The platform refused the INIT or did not answer: the payment fails (nothing was
/// charged) and its fee lines are free again.
pub fn record_init_failure(
    conn: &mut DbConn,
    config: &Config,
    p: &Principal,
    payment: &Payment,
    reason: String,
) -> ApiResult<()> {
    ledger::settle(
        conn,
        config,
        payment,
        &Settlement::Failed { reason },
        Settler {
            id: &p.user_id,
            role: p.role.as_str(),
        },
        crate::clock::now(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(no: i32, status: &str, payment: Option<&str>) -> DossierFee {
        DossierFee {
            id: format!("fee-{no}"),
            dossier_id: "d".into(),
            line_no: no,
            schedule_id: "s".into(),
            fee_code: format!("F{no}"),
            kind: "le_phi".into(),
            name: format!("Khoản {no}"),
            collection: "per_dossier".into(),
            base_amount: 1000 * i64::from(no),
            exemption: None,
            amount: 1000 * i64::from(no),
            explanation: String::new(),
            status: status.into(),
            payment_id: payment.map(str::to_string),
        }
    }

    fn request(lines: Option<Vec<i32>>) -> PaymentRequest {
        PaymentRequest {
            method: PaymentMethod::Cash,
            fee_lines: lines,
            payer_name: None,
        }
    }

    fn nos(v: &[&DossierFee]) -> Vec<i32> {
        v.iter().map(|l| l.line_no).collect()
    }

    #[test]
    fn a_request_covers_the_named_lines_once_or_every_unpaid_line() {
        let all = vec![
            line(1, "paid", Some("p0")),
            line(2, "unpaid", None),
            line(3, "unpaid", None),
            line(4, "exempt", None),
        ];
        assert_eq!(
            nos(&chosen_lines(&all, &request(None)).unwrap()),
            vec![2, 3]
        );
        assert_eq!(
            nos(&chosen_lines(&all, &request(Some(vec![3, 2, 3]))).unwrap()),
            vec![3, 2]
        );
        let e = chosen_lines(&all, &request(Some(vec![9]))).unwrap_err();
        assert_eq!(e.status.as_u16(), 422);
    }

    #[test]
    fn a_line_is_paid_once_and_a_busy_line_names_its_payment() {
        let all = vec![line(1, "paid", Some("p0")), line(2, "pending", Some("p1"))];
        // Nothing unpaid, one line in an open payment: the refusal names that payment.
        let chosen = chosen_lines(&all, &request(None)).unwrap();
        let e = check_due(&chosen).unwrap_err();
        assert_eq!(e.code, "payment.pending_exists");
        assert_eq!(e.extra.unwrap()["payment_id"], "p1");
        let chosen = chosen_lines(&all, &request(Some(vec![1]))).unwrap();
        assert_eq!(check_due(&chosen).unwrap_err().code, "payment.already_paid");
        let none: Vec<DossierFee> = vec![line(1, "exempt", None)];
        assert_eq!(
            check_due(&chosen_lines(&none, &request(None)).unwrap())
                .unwrap_err()
                .code,
            "payment.nothing_due"
        );
    }

    #[test]
    fn citizens_pay_online_only() {
        let p = |role| Principal {
            user_id: "u".into(),
            role,
            commune_code: None,
            province_code: None,
        };
        assert!(may_pay_with(&p(Role::Citizen), PaymentMethod::Online).is_ok());
        assert_eq!(
            may_pay_with(&p(Role::Citizen), PaymentMethod::Cash)
                .unwrap_err()
                .code,
            "payment.method_not_allowed"
        );
        assert!(may_pay_with(&p(Role::ReceptionOfficer), PaymentMethod::Card).is_ok());
    }
}
