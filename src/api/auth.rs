//! Login, token refresh with rotation, logout, and "who am I".

use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::extract::ValidJson;
use super::users::UserView;
use crate::api::problems::{InvalidFields, JsonBody};
use crate::auth::tokens::hash_refresh_token;
use crate::auth::{password, Principal};
use crate::db::models::user::User;
use crate::error::{ApiError, ApiResult};
use crate::service::login_throttle::Limit;
use crate::service::sessions::{self as service, Rotation};
use crate::state::AppState;

/// Username and password. On a server started with `motcua --demo serve`, use a demo account
/// (`demo.reception-officer`, `demo.citizen`, `demo.commune-admin`, … one per role) and the
/// password the server printed for it at start; each wrong try counts towards the lockout.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "demo.reception-officer", "password": "the-password-printed-at-start"}))]
pub struct TokenRequest {
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64))]
    pub username: String,
    #[schema(min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = 256))]
    pub password: String,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q8m3V0cZbq1Jd2kR7yTn5uXw9LsE4aHf6GiP0oBtNc8"}))]
pub struct RefreshRequest {
    #[schema(min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = 256))]
    pub refresh_token: String,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q8m3V0cZbq1Jd2kR7yTn5uXw9LsE4aHf6GiP0oBtNc8", "everywhere": false}))]
pub struct LogoutRequest {
    /// The session's refresh token; its whole rotation family is revoked.
    #[schema(min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = 256))]
    pub refresh_token: String,
    /// Also end every other session of the account and void its access tokens
    /// (needs a valid access token in `Authorization`).
    #[serde(default)]
    pub everywhere: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Single use: each refresh returns a new one. Presenting a used one again revokes the session.
    pub refresh_token: String,
    #[schema(example = 2592000)]
    pub refresh_expires_in: i64,
    pub user: UserView,
}

fn invalid_refresh() -> ApiError {
    ApiError::unauthorized(
        "auth.invalid_refresh_token",
        "Mã làm mới không hợp lệ hoặc đã hết hạn. Hãy đăng nhập lại.",
        "The refresh token is invalid or expired. Log in again.",
    )
}

fn too_many_attempts(retry_after: i64) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "auth.too_many_attempts",
        format!("Đăng nhập sai quá nhiều lần. Thử lại sau {retry_after} giây."),
        format!("Too many failed logins. Retry in {retry_after} seconds."),
    )
    .with_header("retry-after", retry_after.to_string())
}

pub(crate) fn token_response(
    state: &AppState,
    user: &User,
    refresh_token: String,
) -> ApiResult<TokenResponse> {
    let role = user.role;
    Ok(TokenResponse {
        access_token: state.tokens.issue(
            &user.id,
            role,
            user.commune_code.as_deref(),
            user.province_code.as_deref(),
            user.session_epoch,
        ),
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs,
        refresh_token,
        refresh_expires_in: state.tokens.refresh_ttl_secs,
        user: UserView::from(user.clone()),
    })
}

fn client_key(req: &HttpRequest) -> String {
    format!("ip:{}", super::extract::client_ip(req))
}

/// Log in with username and password.
///
/// Public. Returns a short-lived access token (JWT, `Authorization: Bearer …`) and a
/// single-use refresh token. After `LOGIN_MAX_FAILURES_PER_USER` failures for one username,
/// or `LOGIN_MAX_FAILURES_PER_CLIENT` from one address, within `LOGIN_WINDOW_SECS`, answers
/// 429 with `Retry-After` until the window has passed.
#[utoipa::path(tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    JsonBody, InvalidFields,
    (status = 401, description = "Wrong username or password, or account deactivated (the same answer)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed logins", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<TokenRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let TokenRequest {
        username,
        password: pw,
    } = body.0;
    let username = username.trim().to_lowercase();
    let user_key = format!("user:{username}");
    let window = state.config.login_window_secs;
    let limits = vec![
        Limit {
            key: user_key.clone(),
            max: state.config.login_max_failures_per_user,
        },
        Limit {
            key: client_key(&req),
            max: state.config.login_max_failures_per_client,
        },
    ];

    // The attempt is counted (and recorded) before the password is checked, atomically per
    // key: parallel attempts cannot all slip under the limit.
    let lookup_name = username.clone();
    let permit = password::permit().await?; // first: a busy 503 is not an attempt
    let service::LoginAttempt { records, user } = state
        .db(move |conn| service::admit_login(conn, &limits, window, &lookup_name))
        .await?
        .map_err(too_many_attempts)?;

    // Argon2 runs off the async workers, one per core, outside any transaction. A deactivated
    // account is verified like any other and then answered exactly like a wrong password,
    // so neither the answer nor its timing tells that the password was right.
    let verified = permit.run(move || check_password(&pw, user)).await?;

    let refresh_ttl = state.tokens.refresh_ttl_secs;
    let (user, fresh) = state
        .db_tx(move |conn| {
            service::finish_login(conn, &records, &user_key, window, verified, refresh_ttl)
        })
        .await??;
    let response = token_response(&state, &user, fresh)?;
    // The account id, not the username: a citizen's username may be a phone number or name.
    log::info!(
        "login: account {} ({})",
        response.user.id,
        response.user.role
    );
    Ok(web::Json(response))
}

/// Whether the password is the account's; without an account, the same time spent for `false`.
fn check_password(
    pw: &str,
    user: Option<crate::db::models::user::User>,
) -> (bool, Option<crate::db::models::user::User>) {
    match user {
        Some(u) => (password::verify(pw, &u.password_hash), Some(u)),
        None => {
            password::verify_dummy(pw);
            (false, None)
        }
    }
}

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// Public (the refresh token is the credential). Each refresh token works once. Presenting
/// an already-used token again is treated as theft: the whole session (token family) is
/// revoked and the legitimate holder must log in again.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenResponse),
    JsonBody, InvalidFields,
    (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let hash = hash_refresh_token(&body.0.refresh_token);
    let refresh_ttl = state.tokens.refresh_ttl_secs;
    let outcome = state
        .db_tx(move |conn| service::rotate(conn, &hash, refresh_ttl))
        .await?;
    match outcome {
        Rotation::Rotated {
            user,
            refresh_token,
        } => Ok(web::Json(token_response(&state, &user, refresh_token)?)),
        Rotation::Invalid => Err(invalid_refresh()),
        Rotation::Reused => {
            log::warn!("refresh token reuse detected: session revoked");
            Err(ApiError::unauthorized(
                "auth.refresh_token_reused",
                "Mã làm mới đã được dùng trước đó; phiên đăng nhập bị thu hồi để bảo vệ tài khoản. Hãy đăng nhập lại.",
                "The refresh token was already used; the session has been revoked to protect the account. Log in again.",
            ))
        }
    }
}

/// End a session.
///
/// Public for the session itself (the refresh token is the credential; an unknown token is
/// not an error, so logout is safe to retry). With `everywhere: true` and a valid access
/// token, every session of the account ends and its access tokens stop working at once.
#[utoipa::path(tag = "auth", request_body = LogoutRequest, security((), ("bearer" = [])), responses(
    (status = 204, description = "Session ended"),
    JsonBody, InvalidFields,
    (status = 401, description = "`everywhere` without a valid access token", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    principal: Option<Principal>,
    body: ValidJson<LogoutRequest>,
) -> ApiResult<HttpResponse> {
    let LogoutRequest {
        refresh_token,
        everywhere,
    } = body.0;
    let everywhere_user = match (everywhere, principal) {
        (false, _) => None,
        (true, Some(p)) => Some(p.user_id),
        (true, _) => {
            return Err(ApiError::unauthorized(
                "auth.missing_token",
                "Đăng xuất mọi nơi cần mã truy cập hợp lệ.",
                "Logging out everywhere needs a valid access token.",
            ))
        }
    };
    let hash = hash_refresh_token(&refresh_token);
    let evict = everywhere_user.clone();
    state
        .db_tx(move |conn| service::logout(conn, &hash, everywhere_user.as_deref()))
        .await?;
    if let Some(user_id) = evict {
        state.sessions.evict(&user_id);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The calling account.
///
/// Any role.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, description = "Missing, invalid, expired or revoked token", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/auth/me")]
pub async fn me(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
) -> ApiResult<web::Json<UserView>> {
    // The guard already loaded (or had cached) the account to check the session.
    if let Some(u) = req.extensions().get::<User>() {
        return Ok(web::Json(UserView::from(u.clone())));
    }
    let id = principal.user_id.clone();
    let user = state.db(move |conn| Ok(User::find(conn, &id)?)).await?;
    user.map(|u| web::Json(UserView::from(u)))
        .ok_or_else(|| ApiError::not_found("tài khoản", "Account"))
}
