//! The payment platform's callbacks, the sandbox's payment page, and reconciliation.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::gateway;
use crate::api::extract::{client_ip, is_json, parse_json, read_body, ValidJson};
use crate::api::problems::{
    BodyTooLarge, InvalidFields, JsonBody, NotAuthenticated, NotJson, NotSystemAdmin,
};
use crate::auth::roles::SystemAdmins;
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::payments::ledger;
use crate::payments::{Callback, PaymentGateway};
use crate::service::payments::callbacks::{self as service, refused_body_digest, Received};
use crate::state::AppState;

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

/// Applies a signed callback and logs it, whatever the outcome.
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
        .db_tx(move |conn| service::apply(conn, &st.config, g.as_ref(), &c))
        .await;
    let received = Received::of(gateway.name(), &cb, &result, raw, ip);
    log::info!(
        "payment callback {} from {}: {}",
        cb.reference,
        gateway.name(),
        received.outcome
    );
    state.db(move |conn| service::log(conn, &received)).await?;
    let (r, p) = result?;
    Ok(CallbackAck {
        code: "00",
        result: service::result_word(&r),
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
    BodyTooLarge, NotJson,
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
            let received = Received {
                gateway: gw.name(),
                reference: None,
                payment_id: None,
                outcome: e.code,
                http_status: i32::from(e.status.as_u16()),
                body: refused_body_digest(&raw),
                client_ip: ip,
            };
            state.db(move |conn| service::log(conn, &received)).await?;
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
    JsonBody, InvalidFields,
    (status = 404, description = "Not the sandbox, or unknown reference", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already settled otherwise", body = crate::error::Problem, content_type = "application/problem+json"),
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
    NotAuthenticated, NotSystemAdmin,
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
