//! Extractors that make authorization part of a handler's signature.
//!
//! `Principal` means "any valid token"; `Authorized<P>` additionally requires one of the
//! roles of policy `P`. A handler without one of them is public, visibly so.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::roles::Policy;
use super::tokens::TokenError;
use crate::db::models::user::User;
use crate::domain::roles::Role;
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub commune_code: Option<String>,
    pub province_code: Option<String>,
}

impl Principal {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}

fn missing_token() -> ApiError {
    ApiError::unauthorized(
        "auth.missing_token",
        "Thiếu mã truy cập (tiêu đề Authorization: Bearer <token>).",
        "Missing access token (Authorization: Bearer <token> header).",
    )
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized(
        "auth.invalid_token",
        "Mã truy cập không hợp lệ.",
        "The access token is invalid.",
    )
}

fn expired_token() -> ApiError {
    ApiError::unauthorized(
        "auth.token_expired",
        "Mã truy cập đã hết hạn, hãy làm mới hoặc đăng nhập lại.",
        "The access token has expired; refresh it or log in again.",
    )
}

fn revoked_token() -> ApiError {
    ApiError::unauthorized(
        "auth.token_revoked",
        "Phiên đăng nhập đã bị thu hồi (tài khoản bị khóa hoặc thay đổi quyền). Hãy đăng nhập lại.",
        "The session was revoked (account deactivated or changed). Log in again.",
    )
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(missing_token)?;
    let value = header.to_str().map_err(|_| invalid_token())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid_token)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(invalid_token());
    }
    Ok(token.trim().to_string())
}

impl Principal {
    async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::internal("AppState missing"))?
            .clone();
        let token = bearer(&req)?;
        // Only tokens this server issued: an identity provider's token is exchanged at
        // `POST /auth/external` for a local session first.
        let claims = state.tokens.verify(&token).map_err(|e| match e {
            TokenError::Expired => expired_token(),
            TokenError::Invalid => invalid_token(),
        })?;
        // A deactivated account or a bumped session epoch voids tokens before they expire.
        let user = match state.sessions.get(&claims.sub) {
            Some(u) => Some(u),
            None => {
                let user_id = claims.sub.clone();
                let found = state
                    .db(move |conn| Ok(User::find(conn, &user_id)?))
                    .await?;
                if let Some(u) = &found {
                    state.sessions.put(u);
                }
                found
            }
        };
        match user {
            Some(u) if u.active && Some(u.session_epoch) == claims.ep => {
                req.extensions_mut().insert(u);
            }
            _ => return Err(revoked_token()),
        }
        Ok(Principal {
            user_id: claims.sub,
            role: claims.role,
            commune_code: claims.commune_code,
            province_code: claims.province_code,
        })
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(p) = req.extensions().get::<Principal>() {
                return Ok(p.clone());
            }
            let p = Principal::authenticate(req.clone()).await?;
            req.extensions_mut().insert(p.clone());
            Ok(p)
        })
    }
}

/// A caller holding one of the roles of policy `P` (else 403).
pub struct Authorized<P: Policy> {
    pub principal: Principal,
    _policy: PhantomData<P>,
}

impl<P: Policy> std::ops::Deref for Authorized<P> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

pub fn role_forbidden(role: Role, allowed: &[Role]) -> ApiError {
    let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
    ApiError::forbidden(
        "auth.role_forbidden",
        format!(
            "Vai trò {role} không được thực hiện thao tác này (cần: {}).",
            names.join(", ")
        ),
        format!(
            "Role {role} may not perform this operation (requires: {}).",
            names.join(", ")
        ),
    )
}

impl<P: Policy + 'static> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Principal::from_request(req, payload);
        Box::pin(async move {
            let principal = fut.await?;
            if !P::ROLES.contains(&principal.role) {
                return Err(role_forbidden(principal.role, P::ROLES));
            }
            Ok(Authorized {
                principal,
                _policy: PhantomData,
            })
        })
    }
}
