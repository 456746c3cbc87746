//! Payments of a dossier's fees: at the counter (cash, card) and online through the
//! payment platform; the platform's callbacks, receipts, refunds and reconciliation.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::dossiers::{can_see, load_visible};
use super::extract::{
    client_ip, etag, idempotency_key, is_json, parse_json, read_body, validation_error, Page,
    PageParams, ValidJson,
};
use crate::auth::access::{self, Resource};
use crate::auth::roles::{AnyRole, Payers, SystemAdmins};
use crate::auth::{Authorized, Principal, Role};
use crate::db::models::dossier::Dossier;
use crate::db::models::fee::{DossierFee, NewCallbackLog, Payment, Refund};
use crate::db::models::idempotency;
use crate::db::models::registry::Commune;
use crate::db::schema::{dossiers, payment_refunds, payments};
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::fees::amount_in_words;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::payments::ledger::{self, CallbackResult, Settlement, Settler};
use crate::payments::{Callback, GatewayStatus, InitRequest, PaymentGateway};
use crate::state::AppState;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash at the counter, recorded by the officer.
    Cash,
    /// Card at the counter's terminal, recorded by the officer.
    Card,
    /// Through the payment platform (the payer is sent to `redirect_url`).
    Online,
}

impl PaymentMethod {
    fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Online => "online",
        }
    }
}

/// A payment to open.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "online"}))]
pub struct PaymentRequest {
    pub method: PaymentMethod,
    /// Fee lines (`line_no`) to pay; absent: every unpaid line.
    #[validate(length(min = 1, max = 50))]
    pub fee_lines: Option<Vec<i32>>,
    /// Who pays, when not the applicant (printed on the receipt).
    #[validate(length(min = 1, max = 200))]
    pub payer_name: Option<String>,
}

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

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

fn line_numbers(conn: &mut DbConn, p: &Payment) -> ApiResult<Vec<i32>> {
    use crate::db::schema::dossier_fees;
    let ids = p.lines();
    Ok(dossier_fees::table
        .filter(dossier_fees::id.eq_any(&ids))
        .order(dossier_fees::line_no)
        .select(dossier_fees::line_no)
        .load(conn)?)
}

fn payment_view(p: Payment, dossier_code: String, lines: Vec<i32>) -> ApiResult<PaymentView> {
    let method = match p.method.as_str() {
        "cash" => PaymentMethod::Cash,
        "card" => PaymentMethod::Card,
        "online" => PaymentMethod::Online,
        other => return Err(ApiError::internal(format!("payment method {other}"))),
    };
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

fn view_of(conn: &mut DbConn, p: Payment) -> ApiResult<PaymentView> {
    let code: String = dossiers::table
        .find(&p.dossier_id)
        .select(dossiers::code)
        .first(conn)?;
    let lines = line_numbers(conn, &p)?;
    payment_view(p, code, lines)
}

fn payment_not_found() -> ApiError {
    ApiError::not_found("giao dịch thanh toán", "Payment")
}

/// A payment whose dossier the caller may see, or 404.
fn load_payment(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<(Payment, Dossier)> {
    let payment = Payment::find(conn, id)?.ok_or_else(payment_not_found)?;
    let d = dossiers::table
        .find(&payment.dossier_id)
        .select(Dossier::as_select())
        .first(conn)?;
    if !can_see(p, &d) {
        return Err(payment_not_found());
    }
    Ok((payment, d))
}

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

/// A fresh reference: 32 hex digits after `MC`, time-ordered (uuid v7).
fn new_reference() -> String {
    format!(
        "MC{}",
        uuid::Uuid::now_v7().simple().to_string().to_uppercase()
    )
}

/// The INIT of an online payment: the receipt block in full, from the dossier, its fee
/// lines in the payment, the commune's identifier and its beneficiary account.
fn init_request(
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

/// What the first transaction of a payment creation leaves behind.
struct Opened {
    payment: Payment,
    dossier: Dossier,
    body: Option<String>,
}

fn open_payment(
    conn: &mut DbConn,
    state: &AppState,
    p: &Principal,
    code: &str,
    req: &PaymentRequest,
    gateway_name: Option<&'static str>,
) -> ApiResult<Opened> {
    let d = load_visible(conn, p, code)?;
    if p.role == Role::Citizen && req.method != PaymentMethod::Online {
        return Err(ApiError::forbidden(
            "payment.method_not_allowed",
            "Công dân thanh toán trực tuyến; tiền mặt và thẻ do cán bộ một cửa ghi nhận.",
            "Applicants pay online; cash and card are recorded by the counter officer.",
        ));
    }
    if Status::parse(&d.status).is_some_and(|s| matches!(s, Status::Refused | Status::Stopped)) {
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
    let chosen: Vec<&DossierFee> = match &req.fee_lines {
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
    };
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
    let now = crate::clock::now();
    let ids: Vec<String> = chosen.iter().map(|l| l.id.clone()).collect();
    let payment = Payment {
        id: uuid::Uuid::now_v7().to_string(),
        reference: new_reference(),
        dossier_id: d.id.clone(),
        commune_code: d.commune_code.clone(),
        province_code: d.province_code.clone(),
        method: req.method.as_str().to_string(),
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
        expires_at: gateway_name.map(|_| {
            (now + chrono::Duration::seconds(state.config.payment_timeout_secs)).naive_utc()
        }),
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
            &state.config,
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
        payment = Payment::find(conn, &payment.id)?
            .ok_or_else(|| ApiError::internal("payment vanished"))?;
        body = Some(serde_json::to_string(&view_of(conn, payment.clone())?).expect("serializes"));
    }
    Ok(Opened {
        payment,
        dossier: d,
        body,
    })
}

/// Pay a dossier's fees.
///
/// **Roles:** `reception_officer` of the dossier's commune (cash or card: recorded as paid
/// at once with a receipt number; or online: opens a payment at the platform for the
/// applicant), the owning `citizen` (online only). Covers the given fee lines, or every
/// unpaid line. A line already in an open payment cannot be paid twice (409
/// `payment.pending_exists`); cancel the open payment first.
///
/// Online: the answer has `redirect_url` (the platform's page) and status `pending`; the
/// platform's signed callback settles it, and payments still open after
/// `PAYMENT_TIMEOUT_SECS` are settled by asking the platform. `Idempotency-Key`: a retry
/// with the same key and body returns the same payment and never charges twice.
#[utoipa::path(tag = "payments", security(("bearer" = [])), request_body = PaymentRequest,
    params(("code" = String, Path, description = "Dossier code"),
           ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key (1–200 chars) that makes retries safe")),
    responses(
    (status = 201, body = PaymentView, headers(("Location" = String, description = "The payment"))),
    (status = 400, description = "Malformed JSON or Idempotency-Key", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role or method not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Nothing due, already paid, in another open payment, online payment not offered (`payment.online_not_offered`: no beneficiary account), or the same key still in progress", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, or an idempotency key reused with another body", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 502, description = "The payment platform refused or did not answer (nothing was charged)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 503, description = "No online gateway configured", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/payments")]
pub async fn create_payment(
    state: web::Data<AppState>,
    auth: Authorized<Payers>,
    code: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    if !is_json(&req) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Nội dung phải là JSON (Content-Type: application/json).",
            "The body must be JSON (Content-Type: application/json).",
        ));
    }
    let body = read_body(&req, payload.into_inner(), state.config.max_json_bytes).await?;
    let raw: serde_json::Value = parse_json(&body)?;
    let input: PaymentRequest = parse_json(&body)?;
    input.validate().map_err(validation_error)?;
    let key = idempotency_key(&req)?;
    let p = auth.principal.clone();
    let code = code.into_inner();
    let scope = key.map(|k| idempotency::scope(&p.user_id, &format!("create_payment|{code}"), &k));
    let hash = idempotency::request_hash(&raw);
    if let Some(s) = scope.clone() {
        if let Some(stored) = state
            .db(move |conn| Ok(idempotency::find(conn, &s)?))
            .await?
        {
            return replay(stored, &hash);
        }
    }
    let gw = if input.method == PaymentMethod::Online {
        Some(gateway(&state)?)
    } else {
        None
    };
    let gw_name = gw.as_ref().map(|g| g.name());

    let (st, pr, sc, h, inp) = (
        state.clone(),
        p.clone(),
        scope.clone(),
        hash.clone(),
        input.clone(),
    );
    let opened = state
        .db_tx(move |conn| {
            if let Some(s) = &sc {
                idempotency::claim(conn, s, &h)?;
            }
            let o = open_payment(conn, &st, &pr, &code, &inp, gw_name)?;
            if let (Some(s), Some(b)) = (&sc, &o.body) {
                idempotency::complete(conn, s, 201, b, &o.payment.id)?;
            }
            Ok(o)
        })
        .await;
    let opened = match opened {
        Ok(o) => o,
        Err(e) if scope.is_some() && e.code == "duplicate" => {
            let s = scope.clone().unwrap_or_default();
            return match state
                .db(move |conn| Ok(idempotency::find(conn, &s)?))
                .await?
            {
                Some(stored) => replay(stored, &hash),
                None => Err(e),
            };
        }
        Err(e) => return Err(e),
    };
    let Some(gw) = gw else {
        log::info!(
            "payment {} ({}) recorded by {}",
            opened.payment.reference,
            opened.payment.method,
            p.user_id
        );
        return Ok(created(&opened.payment.id, opened.body.unwrap_or_default()));
    };

    // Online: ask the platform outside any transaction, then record what it said.
    let init = {
        let (payment, dossier) = (opened.payment.clone(), opened.dossier.clone());
        let ip = super::extract::client_ip(&req);
        state
            .db(move |conn| init_request(conn, &payment, &dossier, ip))
            .await?
    };
    let g = gw.clone();
    let answer = web::block(move || g.init(&init))
        .await
        .map_err(ApiError::internal)?;
    let (st, sc, payment) = (state.clone(), scope.clone(), opened.payment.clone());
    match answer {
        Ok(url) => {
            let body = state
                .db_tx(move |conn| {
                    diesel::update(payments::table.find(&payment.id))
                        .set(payments::redirect_url.eq(&url))
                        .execute(conn)?;
                    let fresh = Payment::find(conn, &payment.id)?
                        .ok_or_else(|| ApiError::internal("payment vanished"))?;
                    let body = serde_json::to_string(&view_of(conn, fresh)?).expect("serializes");
                    if let Some(s) = &sc {
                        idempotency::complete(conn, s, 201, &body, &payment.id)?;
                    }
                    Ok(body)
                })
                .await?;
            log::info!(
                "payment {} opened at {} by {}",
                opened.payment.reference,
                gw.name(),
                p.user_id
            );
            Ok(created(&opened.payment.id, body))
        }
        Err(e) => {
            log::warn!(
                "payment {}: gateway init failed: {e}",
                opened.payment.reference
            );
            let reason = e.to_string();
            let uid = p.user_id.clone();
            let role = p.role.as_str();
            state
                .db_tx(move |conn| {
                    ledger::settle(
                        conn,
                        &st.config,
                        &payment,
                        &Settlement::Failed { reason },
                        Settler { id: &uid, role },
                        crate::clock::now(),
                    )?;
                    // The key is freed: nothing was charged, so a retry may try again.
                    if let Some(s) = &sc {
                        idempotency::release(conn, s)?;
                    }
                    Ok(())
                })
                .await?;
            Err(ApiError::new(
                actix_web::http::StatusCode::BAD_GATEWAY,
                "payment.gateway_unavailable",
                "Cổng thanh toán không phản hồi hoặc từ chối; chưa trừ tiền. Thử lại sau.",
                "The payment platform refused or did not answer; nothing was charged. Try again later.",
            ))
        }
    }
}

fn created(id: &str, body: String) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/payments/{id}")))
        .content_type("application/json")
        .body(body)
}

fn replay(stored: idempotency::StoredResponse, hash: &str) -> ApiResult<HttpResponse> {
    if stored.request_hash != hash {
        return Err(ApiError::unprocessable(
            "idempotency.key_reused",
            "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
            "This Idempotency-Key was already used with a different request.",
        ));
    }
    if stored.status_code == 0 {
        return Err(ApiError::conflict(
            "idempotency.in_progress",
            "Yêu cầu với Idempotency-Key này đang được xử lý; thử lại sau giây lát.",
            "A request with this Idempotency-Key is still in progress; retry in a moment.",
        )
        .with_header("retry-after", "2"));
    }
    Ok(HttpResponse::Created()
        .insert_header(("idempotent-replayed", "true"))
        .insert_header((
            "location",
            format!("/api/v1/payments/{}", stored.resource_id),
        ))
        .content_type("application/json")
        .body(stored.response_body))
}

/// Read a payment.
///
/// **Roles:** whoever may read its dossier (officers of the commune, the owning citizen,
/// `province_supervisor` of the province, `system_admin`).
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, body = PaymentView, headers(("ETag" = String, description = "Record version"))),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such payment visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/payments/{id}")]
pub async fn get_payment(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let (view, read) = state
        .db(move |conn| {
            let (payment, d) = load_payment(conn, &p, &id)?;
            Ok((
                view_of(conn, payment)?,
                crate::api::access_log::Read::dossier(&d),
            ))
        })
        .await?;
    crate::api::access_log::record(&state, &auth, "GET /payments/{id}", [read]).await?;
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

#[derive(Serialize, Deserialize)]
struct PaymentCursor(NaiveDateTime, String);

/// List payments.
///
/// **Roles:** commune staff see their commune's payments (the day's cash book), the
/// `citizen` their own dossiers', `province_supervisor` its province's, `system_admin`
/// all. Newest first.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(PaymentFilter, PageParams), responses(
    (status = 200, body = inline(Page<PaymentView>)),
    (status = 400, description = "Malformed query or cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role without payments", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
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
    let after: Option<PaymentCursor> = page.cursor()?;
    let f = filter.into_inner();
    let p = auth.principal.clone();
    let scope = access::require(&p, Resource::PaymentList)?;
    let page = state
        .db(move |conn| {
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
            if let Some(PaymentCursor(at, id)) = after {
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
                    crate::api::access_log::Read::dossier_parts(
                        &pm.dossier_id,
                        code,
                        &pm.commune_code,
                        &pm.province_code,
                    )
                })
                .collect();
            let mut views = Vec::with_capacity(rows.len());
            for (payment, code) in rows {
                let lines = line_numbers(conn, &payment)?;
                views.push(payment_view(payment, code, lines)?);
            }
            Ok((
                Page::from_rows(
                    views,
                    limit,
                    |v| PaymentCursor(v.created_at.naive_utc(), v.id.clone()),
                    |v| v,
                ),
                reads,
            ))
        })
        .await?;
    let (page, reads) = page;
    crate::api::access_log::record(&state, &auth, "GET /payments", reads).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Cancel an open online payment.
///
/// **Roles:** `reception_officer` of the commune, or the owning `citizen`. The platform is
/// asked first: a payment it already took is settled as paid instead (409
/// `payment.already_settled` with the payment's new status); otherwise the payment is
/// cancelled and its fee lines can be paid again.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, body = PaymentView),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such payment visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
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
    let (payment, _) = state.db(move |conn| load_payment(conn, &pr, &i)).await?;
    if payment.status != "pending" {
        return Err(already_settled(&payment.status));
    }
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
        .db_tx(move |conn| {
            let won = ledger::settle(
                conn,
                &st.config,
                &payment,
                &how,
                Settler {
                    id: &p.user_id,
                    role: p.role.as_str(),
                },
                crate::clock::now(),
            )?;
            let fresh = Payment::find(conn, &payment.id)?.ok_or_else(payment_not_found)?;
            if !won || how != Settlement::Cancelled {
                return Err(already_settled(&fresh.status));
            }
            view_of(conn, fresh)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

fn already_settled(status: &str) -> ApiError {
    ApiError::conflict(
        "payment.already_settled",
        format!("Giao dịch đã kết thúc ({status})."),
        format!("The payment is already settled ({status})."),
    )
    .with_extra(serde_json::json!({ "status": status }))
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

/// A payment's receipt.
///
/// **Roles:** whoever may read the payment. Exists once the payment succeeded (404
/// `payment.no_receipt` before). The number is gapless per commune and series.
#[utoipa::path(tag = "payments", security(("bearer" = [])), params(("id" = String, Path, description = "Payment id")), responses(
    (status = 200, body = PaymentReceipt),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such payment, or it has no receipt (not paid)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/payments/{id}/receipt")]
pub async fn get_payment_receipt(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let base = state
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_string();
    let receipt = state
        .db(move |conn| {
            let (payment, d) = load_payment(conn, &p, &id)?;
            let read = crate::api::access_log::Read::dossier(&d);
            let (Some(template), Some(series), Some(no)) = (
                payment.receipt_template.clone(),
                payment.receipt_series.clone(),
                payment.receipt_no,
            ) else {
                return Err(ApiError::new(
                    actix_web::http::StatusCode::NOT_FOUND,
                    "payment.no_receipt",
                    "Giao dịch chưa thành công nên chưa có biên lai.",
                    "The payment has not succeeded, so it has no receipt.",
                ));
            };
            let commune = Commune::find(conn, &d.commune_code)?
                .ok_or_else(|| ApiError::internal("commune missing"))?;
            let ids = payment.lines();
            use crate::db::schema::dossier_fees;
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
        })
        .await?;
    let (read, receipt) = receipt;
    crate::api::access_log::record(&state, &auth, "GET /payments/{id}/receipt", [read]).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

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
    #[validate(range(min = 1))]
    pub amount_vnd: i64,
    /// The refundable amount the caller saw (`refundable_vnd` of the payment): if it has
    /// changed since, the refund is refused with 412 and nothing is recorded.
    #[validate(range(min = 0))]
    pub refundable_vnd: i64,
    pub method: RefundMethod,
    #[validate(length(min = 1, max = 1000))]
    pub reason: String,
}

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
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such payment visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "More than refundable, or the payment did not succeed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "refundable_vnd is stale", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/payments/{id}/refunds")]
pub async fn create_refund(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
    body: ValidJson<RefundRequest>,
) -> ApiResult<HttpResponse> {
    if auth.role != Role::ReceptionOfficer {
        return Err(ApiError::forbidden(
            "refund.role_not_allowed",
            "Chỉ cán bộ một cửa của xã được hoàn phí.",
            "Only the commune's counter officer records refunds.",
        ));
    }
    let req = body.0;
    let p = auth.principal.clone();
    let id = id.into_inner();
    let refund = state
        .db_tx(move |conn| {
            let (payment, d) = load_payment(conn, &p, &id)?;
            if payment.status != "succeeded" {
                return Err(ApiError::conflict(
                    "refund.not_refundable",
                    "Chỉ hoàn tiền cho giao dịch đã thành công.",
                    "Only a succeeded payment can be refunded.",
                ));
            }
            let refundable = payment.amount - payment.refunded_amount;
            if req.refundable_vnd != refundable {
                return Err(ApiError::precondition_failed().with_extra(serde_json::json!({ "refundable_vnd": refundable })));
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
            diesel::insert_into(payment_refunds::table).values(&r).execute(conn)?;
            crate::db::models::dossier::NewDossierEvent {
                dossier_id: &d.id,
                action: "payment_refunded",
                actor_id: &p.user_id,
                actor_role: p.role.as_str(),
                from_status: Some(&d.status),
                to_status: &d.status,
                comment: Some(&r.reason),
                data: serde_json::json!({ "payment_id": payment.id, "refund_id": r.id, "amount_vnd": r.amount }).to_string(),
                created_at: now.naive_utc(),
            }
            .append(conn)?;
            Ok(r)
        })
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
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such payment visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
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
        .db(move |conn| {
            let (payment, _) = load_payment(conn, &p, &id)?;
            Ok(Refund::of_payment(conn, &payment.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(refunds.into_iter().map(refund_view).collect::<Vec<_>>()))
}

/// Acknowledgement of a callback.
#[derive(Serialize, ToSchema)]
pub struct CallbackAck {
    /// `00`: received and recorded (the platform stops retrying).
    #[serde(rename = "MaLoi")]
    pub code: &'static str,
    /// `applied` or `already_applied` (a retry of a callback already recorded).
    pub result: &'static str,
    pub payment_id: String,
    pub status: String,
}

/// Process a signed callback and log it, whatever the outcome.
/// Characters of a refused callback body kept in the callback log.
pub const REFUSED_BODY_PREFIX_CHARS: usize = 256;

/// What the callback log keeps of a refused body: its SHA-256, its length and the first
/// `REFUSED_BODY_PREFIX_CHARS` characters, enough to recognise a message without letting
/// anyone fill the database with unsigned bodies.
pub fn refused_body_digest(raw: &str) -> String {
    use sha2::{Digest, Sha256};
    let prefix: String = raw.chars().take(REFUSED_BODY_PREFIX_CHARS).collect();
    format!(
        "sha256={} bytes={} prefix={prefix}",
        hex::encode(Sha256::digest(raw.as_bytes())),
        raw.len()
    )
}

async fn deliver_callback(
    state: &AppState,
    gateway: std::sync::Arc<dyn PaymentGateway>,
    cb: Callback,
    raw: String,
    ip: Option<String>,
) -> ApiResult<CallbackAck> {
    let st = state.clone();
    let g = gateway.clone();
    let c = cb.clone();
    let result = state
        .db_tx(move |conn| {
            ledger::apply_callback(conn, &st.config, g.as_ref(), &c, crate::clock::now())
        })
        .await;
    let (outcome, status, payment_id) = match &result {
        Ok((r, p)) => (
            match r {
                CallbackResult::Applied => "applied",
                CallbackResult::AlreadyApplied => "already_applied",
            },
            200,
            Some(p.id.clone()),
        ),
        Err(e) => (e.code, i32::from(e.status.as_u16()), None),
    };
    log::info!(
        "payment callback {} from {}: {outcome}",
        cb.reference,
        gateway.name()
    );
    let name = gateway.name();
    let reference = cb.reference.clone();
    // A refused message is kept as a digest and a prefix, never whole.
    let stored = if result.is_ok() {
        raw
    } else {
        refused_body_digest(&raw)
    };
    state
        .db(move |conn| {
            NewCallbackLog {
                gateway: name,
                reference: Some(&reference),
                payment_id: payment_id.as_deref(),
                outcome,
                http_status: status,
                body: &stored,
                client_ip: ip.as_deref(),
                received_at: crate::clock::now().naive_utc(),
            }
            .insert(conn)?;
            Ok(())
        })
        .await?;
    let (r, p) = result?;
    Ok(CallbackAck {
        code: "00",
        result: match r {
            CallbackResult::Applied => "applied",
            CallbackResult::AlreadyApplied => "already_applied",
        },
        payment_id: p.id,
        status: p.status,
    })
}

/// Payment platform callback.
///
/// **Caller:** the payment platform, without a login: the message is authenticated by
/// its `MaXacThuc` (SHA-256 over the fields and the shared secret). The body may be at most
/// `PAYMENT_CALLBACK_MAX_BYTES` (413). Checks in order, each refusing without any change:
/// signature (403; checked before anything is written), transaction time within
/// `PAYMENT_CALLBACK_WINDOW_SECS` of now (409 `payment.callback_stale`: a replay), known
/// reference (404), amount (422 `payment.amount_mismatch`), payment still open (409
/// `payment.already_settled`; the identical callback again is acknowledged as
/// `already_applied`). Every callback is logged with its outcome; of a refused one only a
/// SHA-256 digest, its length and a short prefix are kept.
#[utoipa::path(tag = "payments", request_body = Callback, params(("gateway" = String, Path, description = "Gateway name: `paygov` or `sandbox`")), responses(
    (status = 200, body = CallbackAck),
    (status = 400, description = "Malformed message", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Bad signature", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "Unknown gateway or reference", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Replay: stale time or already settled otherwise", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Amount mismatch, bad time format", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/payments/callbacks/{gateway}")]
pub async fn callback(
    state: web::Data<AppState>,
    name: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let gw = state
        .payment_gateway
        .clone()
        .filter(|g| g.name() == name.as_str())
        .ok_or_else(|| ApiError::not_found("cổng thanh toán", "Payment gateway"))?;
    if !is_json(&req) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Nội dung phải là JSON (Content-Type: application/json).",
            "The body must be JSON (Content-Type: application/json).",
        ));
    }
    // The route's own small limit: a platform message is a few hundred bytes.
    let body = read_body(
        &req,
        payload.into_inner(),
        state.config.payment_callback_max_bytes,
    )
    .await?;
    let raw = String::from_utf8_lossy(&body).into_owned();
    let ip = Some(client_ip(&req));
    // Signature first: a message that does not parse or is not signed by the platform
    // changes nothing and is logged only as a digest and a short prefix.
    let parsed = parse_json::<Callback>(&body).and_then(|cb| {
        if gw.verify(&cb) {
            Ok(cb)
        } else {
            Err(ApiError::forbidden(
                "payment.callback_invalid_signature",
                "Chữ ký (MaXacThuc) của thông báo thanh toán không đúng.",
                "The callback's signature (MaXacThuc) is not valid.",
            ))
        }
    });
    let cb = match parsed {
        Ok(cb) => cb,
        Err(e) => {
            let (name, code, status) = (gw.name(), e.code, i32::from(e.status.as_u16()));
            let stored = refused_body_digest(&raw);
            state
                .db(move |conn| {
                    NewCallbackLog {
                        gateway: name,
                        reference: None,
                        payment_id: None,
                        outcome: code,
                        http_status: status,
                        body: &stored,
                        client_ip: ip.as_deref(),
                        received_at: crate::clock::now().naive_utc(),
                    }
                    .insert(conn)?;
                    Ok(())
                })
                .await?;
            return Err(e);
        }
    };
    let ack = deliver_callback(&state, gw, cb, raw, ip).await?;
    Ok(HttpResponse::Ok().json(ack))
}

/// The sandbox's payment page, as data.
#[derive(Serialize, ToSchema)]
pub struct SandboxPage {
    pub reference: String,
    pub amount_vnd: i64,
    /// POST here with `{"pay": true}` (or false) to finish as the payer would.
    pub complete_url: String,
}

/// Sandbox: the payment page.
///
/// **Public**, only with `PAYMENT_GATEWAY=sandbox` (tests, demo): what the payer would
/// see on the platform's page.
#[utoipa::path(tag = "payments", params(("reference" = String, Path, description = "Payment reference")), responses(
    (status = 200, body = SandboxPage),
    (status = 404, description = "Not the sandbox, or unknown reference", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/payments/sandbox/{reference}")]
pub async fn sandbox_page(
    state: web::Data<AppState>,
    reference: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let gw = state.payment_gateway.clone().ok_or_else(sandbox_missing)?;
    let sandbox = gw.as_sandbox().ok_or_else(sandbox_missing)?;
    let amount = sandbox.amount_of(&reference).ok_or_else(sandbox_missing)?;
    Ok(HttpResponse::Ok().json(SandboxPage {
        complete_url: format!("/api/v1/payments/sandbox/{reference}/complete"),
        reference: reference.into_inner(),
        amount_vnd: amount,
    }))
}

fn sandbox_missing() -> ApiError {
    ApiError::not_found("giao dịch thử nghiệm", "Sandbox payment")
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pay": true}))]
pub struct SandboxCompletion {
    /// true: the payer pays; false: the payer gives up.
    pub pay: bool,
}

/// Sandbox: finish a payment.
///
/// **Public**, only with `PAYMENT_GATEWAY=sandbox`: acts as the payer on the platform's
/// page, then delivers the platform's signed callback through the real callback path.
#[utoipa::path(tag = "payments", request_body = SandboxCompletion, params(("reference" = String, Path, description = "Payment reference")), responses(
    (status = 200, body = CallbackAck),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not the sandbox, or unknown reference", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already settled otherwise", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/payments/sandbox/{reference}/complete")]
pub async fn sandbox_complete(
    state: web::Data<AppState>,
    reference: web::Path<String>,
    req: HttpRequest,
    body: ValidJson<SandboxCompletion>,
) -> ApiResult<HttpResponse> {
    let gw = state.payment_gateway.clone().ok_or_else(sandbox_missing)?;
    let cb = gw
        .as_sandbox()
        .ok_or_else(sandbox_missing)?
        .complete(&reference, body.0.pay)
        .ok_or_else(sandbox_missing)?;
    let raw = serde_json::to_string(&cb).expect("serializes");
    let ack = deliver_callback(&state, gw.clone(), cb, raw, Some(client_ip(&req))).await?;
    Ok(HttpResponse::Ok().json(ack))
}

/// Reconcile open online payments now.
///
/// **Roles:** `system_admin`. Runs the pass the background reconciler runs every
/// `PAYMENT_RECONCILE_INTERVAL_SECS`: each online payment open longer than
/// `PAYMENT_TIMEOUT_SECS` is settled as the platform reports it, or expires.
#[utoipa::path(tag = "payments", security(("bearer" = [])), responses(
    (status = 200, body = ledger::ReconcileReport),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a system administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 503, description = "No online gateway configured", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/payments/reconcile")]
pub async fn reconcile(
    state: web::Data<AppState>,
    _auth: Authorized<SystemAdmins>,
) -> ApiResult<HttpResponse> {
    let gw = gateway(&state)?;
    let st = state.clone();
    let report = web::block(move || {
        ledger::reconcile(&st.pool, &st.config, gw.as_ref(), crate::clock::now())
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok().json(report))
}
