//! Public verification of digital results, and the seals' public keys.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::multipart::read_form;
use crate::error::{ApiError, ApiResult};
use crate::files::sha256_hex;
use crate::service::results::verify as service;
pub use crate::service::results::verify::{PublicDocument, Verification};
use crate::state::AppState;

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The seal token (from the QR code's URL).
    pub token: String,
}

/// Verify a digital result by its seal.
///
/// **Public** (no login), for the QR code on the document: the seal's signature, then the
/// record: `valid`, `tampered`, `revoked` (with reason and date), `superseded`, `expired`
/// or `unknown`. Not rate-limited: a seal cannot be guessed, and checking one is cheap.
#[utoipa::path(tag = "public", params(TokenQuery), responses(
    (status = 200, body = Verification),
    (status = 400, description = "token missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/public/digital-results/verify")]
pub async fn verify_by_token(
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> ApiResult<HttpResponse> {
    let token = q.into_inner().token;
    let st = state.clone();
    let v = state
        .db(move |conn| service::by_token(conn, &st.sealer, &token, None))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Verify a document file.
///
/// **Public** (no login). Multipart: `file` (the PDF someone handed you) and optionally
/// `token` (its seal). With a token: `tampered` if the file is not the sealed one. Without:
/// the file is looked up by its SHA-256 (`unknown` if no result has it). The file may be at
/// most `MAX_VERIFY_FILE_BYTES` (413), and each client address may verify
/// `PUBLIC_VERIFY_FILES_PER_MINUTE` files a minute (429 with `Retry-After`).
#[utoipa::path(tag = "public",
    request_body(content = String, content_type = "multipart/form-data", description = "`file`: the document; `token`: optional seal"),
    responses(
    (status = 200, body = Verification),
    (status = 400, description = "Malformed multipart, or no file", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File larger than MAX_VERIFY_FILE_BYTES", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many verifications from this address (PUBLIC_VERIFY_FILES_PER_MINUTE)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/public/digital-results/verify")]
pub async fn verify_by_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // Public and expensive (a whole file is read and hashed): limited per client address
    // before the body is read, and with its own small size limit.
    let client = crate::api::extract::client_ip(&req);
    if let Err(retry) = state.verify_limiter.check(&client) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "public.rate_limited",
            format!("Kiểm tra quá nhiều lần. Thử lại sau {retry} giây."),
            format!("Too many verifications. Retry in {retry} seconds."),
        )
        .with_header("retry-after", retry.to_string()));
    }
    let form = read_form(&req, payload, state.config.max_verify_file_bytes).await?;
    if form.file.as_ref().is_some_and(|(b, _)| b.is_empty()) {
        return Err(ApiError::invalid_field(
            "file",
            "Tệp rỗng.",
            "The file is empty.",
        ));
    }
    let sha = sha256_hex(&form.file()?.0);
    let token = form
        .fields
        .get("token")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let st = state.clone();
    let v = state
        .db(move |conn| match token {
            Some(t) => service::by_token(conn, &st.sealer, &t, Some(&sha)),
            None => service::by_file(conn, &sha),
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The keys that verify seals.
#[derive(Serialize, ToSchema)]
pub struct KeySet {
    pub keys: Vec<crate::domain::sealing::PublicKey>,
}

/// Public keys of the seals.
///
/// **Public.** Every key that has sealed results (older ones stay after a rotation) and
/// which one seals new ones. A token is `base64url(payload).base64url(Ed25519 signature of
/// the first part)`; the payload's `kid` names the key.
#[utoipa::path(tag = "public", responses((status = 200, body = KeySet)))]
#[get("/public/keys")]
pub async fn keys(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=300"))
        .json(KeySet {
            keys: state.sealer.public_keys(),
        })
}
