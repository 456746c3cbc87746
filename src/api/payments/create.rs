//! Paying a dossier's fees: at the counter, or opened at the payment platform. A retried
//! request with the same `Idempotency-Key` is answered from `service::idempotency`, as a
//! dossier's intake is.

use actix_web::{post, web, HttpRequest, HttpResponse};
use validator::Validate;

use super::gateway;
use crate::api::extract::{idempotency_key, is_json, parse_json, read_body, validation_error};
use crate::api::problems::{BodyTooLarge, DossierNotFound, NotAuthenticated, NotJson};
use crate::auth::roles::Payers;
use crate::auth::Authorized;
use crate::auth::Principal;
use crate::domain::payment::PaymentMethod;
use crate::error::{ApiError, ApiResult};
use crate::payments::PaymentGateway;
use crate::service::idempotency::{self, Claim, Key, Replay};
pub use crate::service::payments::open::PaymentRequest;
use crate::service::payments::open::{self as service, Opened};
use crate::service::payments::PaymentView;
use crate::state::AppState;

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
           ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Client-chosen key (1–200 chars) that makes retries safe")),
    responses(
    (status = 201, body = PaymentView, headers(("Location" = String, description = "The payment"))),
    (status = 400, description = "Malformed JSON or Idempotency-Key", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, DossierNotFound, BodyTooLarge, NotJson,
    (status = 403, description = "Role or method not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Nothing due, already paid, in another open payment, online payment not offered (`payment.online_not_offered`: no beneficiary account), or the same key still in progress", body = crate::error::Problem, content_type = "application/problem+json"),
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
    let (raw, input) = read_request(&state, &req, payload).await?;
    let p = auth.principal.clone();
    let code = code.into_inner();
    let header_key = idempotency_key(&req)?;
    let key = Key::new(
        &p.user_id,
        &format!("create_payment|{code}"),
        header_key.as_deref(),
        &raw,
    );
    if let Some(replayed) = stored_response(&state, &key).await? {
        return Ok(replayed);
    }
    let gw = if input.method == PaymentMethod::Online {
        Some(gateway(&state)?)
    } else {
        None
    };
    let gw_name = gw.as_ref().map(|g| g.name());
    let (st, pr, k) = (state.clone(), p.clone(), key.clone());
    let opened = state
        .db_tx(move |conn| {
            if let Some(k) = &k {
                if idempotency::begin(conn, k)? == Claim::Taken {
                    return Ok(None);
                }
            }
            let o = service::open_payment(conn, &st.config, &pr, &code, &input, gw_name)?;
            if let (Some(k), Some(b)) = (&k, &o.body) {
                idempotency::complete(conn, k, 201, b, &o.payment.id)?;
            }
            Ok(Some(o))
        })
        .await?;
    let Some(opened) = opened else {
        // A concurrent request with the same key committed first: answer as it was answered.
        return stored_response(&state, &key)
            .await?
            .ok_or_else(idempotency::taken_without_response);
    };
    match gw {
        Some(gw) => open_online(&state, &req, &p, gw, opened, key).await,
        None => {
            log::info!(
                "payment {} ({}) recorded by {}",
                opened.payment.reference,
                opened.payment.method,
                p.user_id
            );
            Ok(created(&opened.payment.id, opened.body.unwrap_or_default()))
        }
    }
}

/// The request as parsed JSON (for the idempotency hash) and as a validated payment request.
async fn read_request(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<(serde_json::Value, PaymentRequest)> {
    if !is_json(req) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Nội dung phải là JSON (Content-Type: application/json).",
            "The body must be JSON (Content-Type: application/json).",
        ));
    }
    let body = read_body(req, payload.into_inner(), state.config.max_json_bytes).await?;
    let raw: serde_json::Value = parse_json(&body)?;
    let input: PaymentRequest = parse_json(&body)?;
    input.validate().map_err(validation_error)?;
    Ok((raw, input))
}

/// Online: asks the platform outside any transaction, then records what it said. The key
/// is completed with the redirect, or given back when the platform refused (nothing was
/// charged, so a retry may try again).
async fn open_online(
    state: &AppState,
    req: &HttpRequest,
    p: &Principal,
    gw: std::sync::Arc<dyn PaymentGateway>,
    opened: Opened,
    key: Option<Key>,
) -> ApiResult<HttpResponse> {
    let init = {
        let (payment, dossier) = (opened.payment.clone(), opened.dossier.clone());
        let ip = crate::api::extract::client_ip(req);
        state
            .db(move |conn| service::init_request(conn, &payment, &dossier, ip))
            .await?
    };
    let g = gw.clone();
    let answer = web::block(move || g.init(&init))
        .await
        .map_err(ApiError::internal)?;
    let payment = opened.payment.clone();
    match answer {
        Ok(url) => {
            let body = state
                .db_tx(move |conn| {
                    let body = service::record_redirect(conn, &payment.id, &url)?;
                    if let Some(k) = &key {
                        idempotency::complete(conn, k, 201, &body, &payment.id)?;
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
            let (config, pr, reason) = (state.config.clone(), p.clone(), e.to_string());
            state
                .db_tx(move |conn| {
                    service::record_init_failure(conn, &config, &pr, &payment, reason)?;
                    if let Some(k) = &key {
                        idempotency::release(conn, k)?;
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

/// The response stored under the key, sent again.
async fn stored_response(state: &AppState, key: &Option<Key>) -> ApiResult<Option<HttpResponse>> {
    let Some(key) = key.clone() else {
        return Ok(None);
    };
    let stored = state
        .db(move |conn| idempotency::replay(conn, &key))
        .await?;
    Ok(stored.map(replay))
}

fn replay(stored: Replay) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(stored.status)
            .unwrap_or(actix_web::http::StatusCode::CREATED),
    )
    .insert_header(("idempotent-replayed", "true"))
    .insert_header((
        "location",
        format!("/api/v1/payments/{}", stored.resource_id),
    ))
    .content_type("application/json")
    .body(stored.body)
}
