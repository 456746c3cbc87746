//! Identity: signing in through the external identity provider, and a citizen claiming a
//! dossier filed at the counter. The rules are in `service::identity`.

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::{token_response, TokenResponse};
use super::extract::ValidJson;
use crate::api::problems::{InvalidFields, JsonBody, NotAuthenticated};
use crate::auth::roles::Citizens;
use crate::auth::tokens::TokenError;
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::service::identity::{self as svc, ExternalLogin, IdentityError};
use crate::state::AppState;

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Db(e) => e.into(),
            IdentityError::PersonalIdTaken => ApiError::conflict(
                "identity.personal_id_taken",
                "Số định danh cá nhân này đã gắn với một tài khoản công dân khác đang hoạt động.",
                "This personal ID already belongs to another active citizen account.",
            ),
            IdentityError::NotACitizen => ApiError::invalid_field(
                "personal_id",
                "Chỉ tài khoản công dân mới có số định danh cá nhân.",
                "Only citizen accounts carry a personal ID.",
            ),
            IdentityError::NoSuchDossier => ApiError::not_found("hồ sơ", "Dossier"),
            IdentityError::NoVerifiedIdentity => ApiError::forbidden(
                "identity.not_verified",
                "Tài khoản chưa có số định danh đã xác thực (đăng nhập bằng VNeID hoặc đề nghị quản trị hệ thống xác thực).",
                "The account has no verified personal ID (sign in through the identity provider, or ask a system administrator to verify it).",
            ),
            IdentityError::NotTheApplicant => ApiError::forbidden(
                "identity.not_the_applicant",
                "Người nộp hồ sơ không phải là chủ tài khoản.",
                "The dossier's applicant is not the account holder.",
            ),
            IdentityError::OwnedByAnother => ApiError::conflict(
                "identity.dossier_owned",
                "Hồ sơ đã gắn với một tài khoản khác.",
                "The dossier already belongs to another account.",
            ),
            IdentityError::AccountDeactivated => ApiError::unauthorized(
                "auth.invalid_credentials",
                "Không đăng nhập được bằng tài khoản này.",
                "This account cannot sign in.",
            ),
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMTIzIn0.c2ln"}))]
pub struct ExternalTokenRequest {
    /// The identity provider's signed token (JWT) for this application.
    #[schema(min_length = 1, max_length = 16384)]
    #[validate(length(min = 1, max = 16384))]
    pub id_token: String,
}

/// Sign in with the external identity provider (e.g. VNeID).
///
/// Public. Exchanges the provider's token (checked against `JWT_EXTERNAL_*`: signature,
/// algorithm, `iss`, `aud`, `exp`, `nbf`) for a session of the local account mapped to the
/// provider's subject, exactly as a password login does. An unknown subject gets a new
/// `citizen` account, or the active citizen account already holding the same verified
/// personal ID. Role, commune or any other claim of the provider grants nothing: elevation
/// is a local decision. The provider's personal ID claim (`JWT_EXTERNAL_PERSONAL_ID_CLAIM`)
/// is recorded as the account's verified personal ID. Provider tokens are not access
/// tokens of this API.
#[utoipa::path(tag = "auth", request_body = ExternalTokenRequest, responses(
    (status = 200, body = TokenResponse),
    JsonBody, InvalidFields,
    (status = 401, description = "Invalid or expired provider token, or account deactivated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No identity provider configured", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The claimed personal ID belongs to another active citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/auth/external")]
pub async fn external_token(
    state: web::Data<AppState>,
    body: ValidJson<ExternalTokenRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let login = std::sync::Arc::new(external_login(&state, body.0.id_token.trim())?);
    let sign_in = |login: std::sync::Arc<ExternalLogin>| {
        let st = state.clone();
        state.db_tx(move |conn| {
            let user = svc::resolve_external(conn, &login)?;
            let now = crate::clock::now().naive_utc();
            let family = uuid::Uuid::new_v4().to_string();
            let refresh = crate::service::sessions::new_refresh_token(
                conn,
                st.tokens.refresh_ttl_secs,
                &user.id,
                &family,
                now,
            )?;
            Ok((user, refresh))
        })
    };
    // Two first sign-ins of one subject at once: the loser of the insert race finds the
    // winner's account on a second try.
    let (user, refresh) = match sign_in(login.clone()).await {
        Err(e) if e.code == "duplicate" => sign_in(login).await?,
        r => r?,
    };
    state.sessions.evict(&user.id);
    log::info!("identity provider sign-in: account {}", user.id);
    Ok(web::Json(token_response(&state, &user, refresh)?))
}

/// Who the provider's token says the caller is: a verified token of the configured provider
/// with a usable subject; the personal ID claim only when it is a valid personal ID.
fn external_login(state: &AppState, id_token: &str) -> ApiResult<ExternalLogin> {
    let claims = match state.tokens.verify_external(id_token) {
        None => {
            return Err(ApiError::not_found(
                "nhà cung cấp định danh",
                "Identity provider",
            ))
        }
        Some(Err(e)) => {
            return Err(ApiError::unauthorized(
                if e == TokenError::Expired {
                    "auth.token_expired"
                } else {
                    "auth.invalid_token"
                },
                "Mã của nhà cung cấp định danh không hợp lệ hoặc đã hết hạn.",
                "The identity provider's token is invalid or expired.",
            ))
        }
        Some(Ok(c)) => c,
    };
    if claims.sub.trim().is_empty() || claims.sub.len() > 255 {
        return Err(ApiError::unauthorized(
            "auth.invalid_token",
            "Mã của nhà cung cấp định danh không hợp lệ.",
            "The identity provider's token is invalid.",
        ));
    }
    let personal_id = claims
        .other
        .get(&state.config.jwt_external_personal_id_claim)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| crate::domain::identity::validate_personal_id(s, None).is_ok())
        .map(str::to_string);
    Ok(ExternalLogin {
        issuer: claims.iss,
        subject: claims.sub,
        personal_id,
        full_name: claims.name,
    })
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "H25.04978-260105-0001", "pin": "48213095"}))]
pub struct ClaimRequest {
    /// The dossier code printed on the receipt.
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64))]
    pub code: String,
    /// The lookup PIN printed on the receipt.
    #[schema(min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32))]
    pub pin: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClaimResponse {
    pub code: String,
    /// The dossier now belongs to the calling account.
    pub owner_user_id: String,
}

/// Link a dossier filed at the counter to my account.
///
/// **Roles:** `citizen` with a verified personal ID (from the identity provider, or set by
/// a system administrator). The receipt's code and lookup PIN prove possession; the
/// account's verified personal ID must be the dossier's applicant ID. The dossier and the
/// results issued for it become the account's (its history, data store and downloads);
/// the link is recorded in the identity audit trail. Repeating the claim is harmless. A
/// wrong code or PIN gives 404 and counts against the same per-client limit as the public
/// lookup (429).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = ClaimRequest, responses(
    (status = 200, body = ClaimResponse),
    JsonBody, NotAuthenticated, InvalidFields,
    (status = 403, description = "Not a citizen, no verified personal ID, or not the applicant", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No dossier with this code and PIN", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The dossier belongs to another account", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many attempts", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/me/dossiers/claim")]
pub async fn claim_dossier(
    state: web::Data<AppState>,
    auth: Authorized<Citizens>,
    body: ValidJson<ClaimRequest>,
) -> ApiResult<HttpResponse> {
    if let Err(retry) = state
        .public_limiter
        .check(&format!("claim:{}", auth.user_id))
    {
        return Err(ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "public.rate_limited",
            format!("Thử quá nhiều lần. Thử lại sau {retry} giây."),
            format!("Too many attempts. Retry in {retry} seconds."),
        )
        .with_header("retry-after", retry.to_string()));
    }
    let ClaimRequest { code, pin } = body.0;
    let user_id = auth.user_id.clone();
    let d = state
        .db_tx(move |conn| {
            Ok(svc::claim_dossier(conn, &user_id, code.trim(), |p| {
                crate::service::dossiers::public::same(p, pin.trim())
            })?)
        })
        .await?;
    log::info!("dossier {} linked to account {}", d.code, auth.user_id);
    Ok(HttpResponse::Ok().json(ClaimResponse {
        code: d.code,
        owner_user_id: auth.user_id.clone(),
    }))
}
