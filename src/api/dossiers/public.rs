//! Public lookup with the receipt PIN.

use actix_web::{get, web, HttpRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::super::extract::client_ip;
use crate::error::{ApiError, ApiResult};
use crate::service::dossiers::public::{self, PublicDossierView};
use crate::service::login_throttle::Limit;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PinQuery {
    /// The 8-digit lookup PIN printed on the receipt.
    pub pin: String,
}

/// Look up a dossier with its receipt PIN, without an account.
///
/// Public, for citizens and lookup kiosks. Shows status, procedure, commune, dates and the
/// steps taken (the applicant's view of the history, without comments), and nothing
/// personal. A wrong code and a wrong PIN give the same 404; each client address
/// gets a limited number of lookups per minute, and each dossier a limited number of wrong
/// PINs per window whoever sends them (`PUBLIC_LOOKUP_MAX_FAILURES_PER_DOSSIER`; both 429
/// with `Retry-After`), so codes and PINs cannot be enumerated.
#[utoipa::path(tag = "public", params(("code" = String, Path, description = "Dossier code"), PinQuery), responses(
    (status = 200, body = PublicDossierView),
    (status = 400, description = "Missing PIN", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No dossier with this code and PIN", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many lookups from this address, or too many wrong PINs for this dossier", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/public/dossiers/{code}")]
pub async fn public_lookup(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    q: web::Query<PinQuery>,
) -> ApiResult<web::Json<PublicDossierView>> {
    let client = client_ip(&req);
    if let Err(retry) = state.public_limiter.check(&client) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "public.rate_limited",
            format!("Tra cứu quá nhiều lần. Thử lại sau {retry} giây."),
            format!("Too many lookups. Retry in {retry} seconds."),
        )
        .with_header("retry-after", retry.to_string()));
    }
    let code = code.into_inner();
    let pin = q.into_inner().pin;
    // Failed PINs are also counted per dossier, whoever sends them: rotating client
    // addresses does not buy more guesses at one receipt. Counted before the comparison,
    // atomically, like logins (see `service::login_throttle`).
    let limit = Limit {
        key: format!("pin:{}", code.trim().to_uppercase()),
        max: state.config.public_lookup_max_failures_per_dossier,
    };
    let window = state.config.public_lookup_failure_window_secs;
    let found = state
        .db(move |conn| public::lookup(conn, &code, &pin, limit, window))
        .await?;
    Ok(web::Json(found))
}
