//! What operators read: the access log line and the request metrics (one middleware, one
//! measurement), and `/metrics` for Prometheus.
//!
//! `/metrics` is not part of the public API (nor of its OpenAPI document): it shows the
//! service's internals, so it answers only with `METRICS_TOKEN` as a bearer token, and is
//! 404 while no token is configured.

use std::time::Instant;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::api::middleware::X_REQUEST_ID;
use crate::error::{ApiError, ApiResult};
use crate::service::monitoring::{self, LoginLimits};
use crate::state::AppState;

/// Outermost middleware: times the request, counts it by route template and status, and
/// writes the access log line. The line holds the path only: query strings carry PINs,
/// seal tokens and searched ID numbers, so none is ever logged.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let client = crate::api::extract::client_ip(req.request());
    let res = next.call(req).await?;
    let elapsed = started.elapsed();
    let request = res.request();
    // The template (`/api/v1/dossiers/{id}`), never the path: no identifiers in labels.
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    if let Some(state) = &state {
        state
            .metrics
            .observe_request(request.method().as_str(), &route, status, elapsed);
    }
    let id = res
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let size = match res.response().body().size() {
        BodySize::Sized(n) => n.to_string(),
        _ => "-".into(),
    };
    crate::logging::with_thread_request_id(id, || {
        log::info!(
            target: crate::logging::ACCESS_TARGET,
            "{client} \"{} {} {:?}\" {status} {size} {:.3}ms",
            request.method(),
            request.path(),
            request.version(),
            elapsed.as_secs_f64() * 1000.0
        )
    });
    Ok(res)
}

/// `GET /metrics`: the Prometheus text format, for a scraper holding `METRICS_TOKEN`.
pub async fn scrape(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let Some(expected) = state
        .config
        .metrics_token
        .as_deref()
        .filter(|t| !t.is_empty())
    else {
        return Err(ApiError::not_found("tài nguyên", "Resource"));
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared as digests: equal length, so the comparison time says nothing about the token.
    if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return Err(ApiError::unauthorized(
            "metrics.token_required",
            "Cần mã METRICS_TOKEN (Authorization: Bearer …) để đọc /metrics.",
            "Reading /metrics needs the METRICS_TOKEN as `Authorization: Bearer …`.",
        ));
    }
    let pool = state.pool.state();
    state.metrics.set_pool_state(
        pool.connections,
        pool.idle_connections,
        state.pool.max_size(),
    );
    let config = state.config.clone();
    let snapshot = state
        .db(move |conn| {
            let login = LoginLimits {
                window_secs: config.login_window_secs,
                max_per_user: config.login_max_failures_per_user,
                max_per_client: config.login_max_failures_per_client,
            };
            let now = crate::clock::now().naive_utc();
            Ok(monitoring::snapshot(
                conn,
                now,
                config.payment_timeout_secs,
                &login,
            )?)
        })
        .await;
    // A database that does not answer is itself what the scrape must show (db_up 0).
    if let Err(e) = &snapshot {
        log::warn!("metrics: database figures unavailable: {}", e.code);
    }
    state.metrics.set_snapshot(snapshot.as_ref().ok());
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render()))
}
