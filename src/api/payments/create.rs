//! Paying a dossier's fees: at the counter, or opened at the payment platform.
//!
//! The idempotency section (scope, hash, find, claim, complete, release, `replay`) is as it
//! was: it is unified with the dossiers' in `service::idempotency` at merge.

use actix_web::{post, web, HttpRequest, HttpResponse};
use validator::Validate;

use super::gateway;
use crate::api::extract::{idempotency_key, is_json, parse_json, read_body, validation_error};
use crate::auth::roles::Payers;
use crate::auth::Authorized;
use crate::db::models::idempotency;
use crate::error::{ApiError, ApiResult};
use crate::service::payments::open as service;
pub use crate::service::payments::open::PaymentRequest;
use crate::service::payments::{PaymentMethod, PaymentView};
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
            let o = service::open_payment(conn, &st.config, &pr, &code, &inp, gw_name)?;
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
        let ip = crate::api::extract::client_ip(&req);
        state
            .db(move |conn| service::init_request(conn, &payment, &dossier, ip))
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
                    let body = service::record_redirect(conn, &payment.id, &url)?;
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
            let pr = p.clone();
            state
                .db_tx(move |conn| {
                    service::record_init_failure(conn, &st.config, &pr, &payment, reason)?;
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
