//! Account management for commune and system administrators.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::extract::{etag, IfMatch, Page, PageParams, ValidJson};
use crate::api::problems::{
    InvalidFields, InvalidQuery, JsonBody, NotAuthenticated, RoleNotAllowed, Versioned,
};
use crate::auth::access::{self, Resource};
use crate::auth::roles::UserAdmins;
use crate::auth::{password, Authorized};
use crate::db::models::user::User;
use crate::domain::fields::rule;
use crate::domain::roles::Role;
use crate::error::ApiResult;
use crate::service::users::{self as service, AccountChanges, NewAccount, UserFilter};
use crate::state::AppState;

/// An account as the API shows it (never the password hash).
#[derive(Serialize, ToSchema, Debug)]
pub struct UserView {
    #[schema(example = "0198c7a2-5b7e-7c41-9d3e-2f1a9b0c4d11")]
    pub id: String,
    #[schema(example = "tiepnhan.kimboi")]
    pub username: String,
    #[schema(example = "Nguyễn Thị Lan")]
    pub full_name: String,
    pub role: Role,
    /// The commune the account works for (commune staff), or a citizen's home commune.
    #[schema(example = "04978")]
    pub commune_code: Option<String>,
    /// Province of the account (province supervisors; derived from the commune for staff).
    #[schema(example = "25")]
    pub province_code: Option<String>,
    /// A citizen's personal identification number (12 digits).
    pub personal_id: Option<String>,
    /// Whether `personal_id` came from a verified source (the identity provider, or a
    /// system administrator who checked the person's papers). Only a verified ID links the
    /// account to results and counter dossiers.
    pub personal_id_verified: bool,
    /// When the personal ID was verified.
    pub personal_id_verified_at: Option<DateTime<Utc>>,
    pub active: bool,
    /// Record version; send it back in `If-Match` to change the account.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            role: u.role,
            id: u.id,
            username: u.username,
            full_name: u.full_name,
            commune_code: u.commune_code,
            province_code: u.province_code,
            personal_id_verified: u.personal_id.is_some() && u.personal_id_source.is_some(),
            personal_id_verified_at: u.personal_id_verified_at.map(|t| t.and_utc()),
            personal_id: u.personal_id,
            active: u.active,
            version: u.version,
            created_at: u.created_at.and_utc(),
            updated_at: u.updated_at.and_utc(),
        }
    }
}

fn validate_username(s: &str) -> Result<(), ValidationError> {
    let ok = (3..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(rule(
            "username",
            "Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới; bắt đầu bằng chữ hoặc số.",
            "Username: 3–64 characters of lowercase ASCII letters, digits, '.', '-', '_', starting with a letter or digit.",
        ))
    }
}

pub fn validate_password(s: &str) -> Result<(), ValidationError> {
    let n = s.chars().count();
    if (10..=256).contains(&n) {
        Ok(())
    } else {
        Err(rule(
            "password",
            "Mật khẩu phải có từ 10 đến 256 ký tự.",
            "The password must have 10 to 256 characters.",
        ))
    }
}

fn validate_full_name(s: &str) -> Result<(), ValidationError> {
    let n = s.trim().chars().count();
    if (1..=200).contains(&n) {
        Ok(())
    } else {
        Err(rule(
            "full_name",
            "Họ tên phải có từ 1 đến 200 ký tự.",
            "The full name must have 1 to 200 characters.",
        ))
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "username": "tiepnhan.kimboi", "full_name": "Nguyễn Thị Lan", "password": "doi-mat-khau-ngay",
    "role": "reception_officer", "commune_code": "04978"
}))]
pub struct CreateUser {
    #[schema(pattern = r"^[a-z0-9][a-z0-9._-]{2,63}$")]
    #[validate(custom(function = "validate_username"))]
    pub username: String,
    #[schema(pattern = r"^\s*\S([\s\S]{0,198}\S)?\s*$")]
    #[validate(custom(function = "validate_full_name"))]
    pub full_name: String,
    #[schema(min_length = 10, max_length = 256)]
    #[validate(custom(function = "validate_password"))]
    pub password: String,
    pub role: Role,
    /// Required for commune staff roles; a commune admin may omit it (defaults to its own).
    #[schema(pattern = r"^[0-9]{5}$")]
    #[validate(custom(function = "crate::domain::fields::commune_code"))]
    pub commune_code: Option<String>,
    /// Required for `province_supervisor`.
    #[schema(pattern = r"^[0-9]{2}$")]
    #[validate(custom(function = "crate::domain::fields::province_code"))]
    pub province_code: Option<String>,
    /// A citizen's verified personal ID. Only a `system_admin` may set it, after checking
    /// the person's papers (the action is recorded in the identity audit trail); otherwise
    /// it comes from the identity provider at sign-in. Unique among active citizen accounts.
    #[schema(
        pattern = r"^(0(01|02|04|06|08|10|11|12|14|15|17|19|20|22|24|25|26|27|30|31|33|34|35|36|37|38|40|42|44|45|46|48|49|51|52|54|56|58|60|62|64|66|67|68|70|72|74|75|77|79|80|82|83|84|86|87|89|91|92|93|94|95|96)|[1-9][0-9]{2})[0-9]{9}$"
    )]
    #[validate(custom(function = "crate::domain::fields::personal_id"))]
    pub personal_id: Option<String>,
}

/// Fields to change; absent fields stay as they are. Changing the role, commune, active flag
/// or password ends the account's sessions.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUser {
    #[schema(pattern = r"^\s*\S([\s\S]{0,198}\S)?\s*$")]
    #[validate(custom(function = "validate_full_name"))]
    pub full_name: Option<String>,
    /// New password (reset by an administrator).
    #[schema(min_length = 10, max_length = 256)]
    #[validate(custom(function = "validate_password"))]
    pub password: Option<String>,
    pub role: Option<Role>,
    #[schema(pattern = r"^[0-9]{5}$")]
    #[validate(custom(function = "crate::domain::fields::commune_code"))]
    pub commune_code: Option<String>,
    #[schema(pattern = r"^[0-9]{2}$")]
    #[validate(custom(function = "crate::domain::fields::province_code"))]
    pub province_code: Option<String>,
    /// As on creation: `system_admin` only, audited, unique among active citizen accounts.
    #[schema(
        pattern = r"^(0(01|02|04|06|08|10|11|12|14|15|17|19|20|22|24|25|26|27|30|31|33|34|35|36|37|38|40|42|44|45|46|48|49|51|52|54|56|58|60|62|64|66|67|68|70|72|74|75|77|79|80|82|83|84|86|87|89|91|92|93|94|95|96)|[1-9][0-9]{2})[0-9]{9}$"
    )]
    #[validate(custom(function = "crate::domain::fields::personal_id"))]
    pub personal_id: Option<String>,
    pub active: Option<bool>,
}

/// List accounts.
///
/// **Roles:** `commune_admin` (accounts of its own commune only), `system_admin` (all).
/// Sorted by username; keyset pagination.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(UserFilter, PageParams), responses(
    (status = 200, body = Page<UserView>),
    InvalidQuery, NotAuthenticated, RoleNotAllowed,
))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Authorized<UserAdmins>,
    filter: web::Query<UserFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<UserView>>> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let filter = filter.into_inner();
    let scope = access::scope(&auth, Resource::Account);
    let rows = state
        .db(move |conn| service::list(conn, scope, filter, after, limit))
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |u: &User| u.username.clone(),
        UserView::from,
    )))
}

/// Create an account.
///
/// **Roles:** `commune_admin` (staff or citizen accounts of its own commune, never a role
/// above its own), `system_admin` (any). The password is stored as an argon2id hash.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = CreateUser, responses(
    (status = 201, body = UserView, headers(("ETag" = String, description = "Record version"))),
    JsonBody, NotAuthenticated,
    (status = 403, description = "Role not allowed, role not grantable by a commune admin, or a personal ID set by anyone but a system admin", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Username taken, or the personal ID belongs to another active citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, unknown commune or province", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Authorized<UserAdmins>,
    body: ValidJson<CreateUser>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let commune_code = service::check_create(
        &auth,
        input.role,
        input.personal_id.as_ref(),
        input.commune_code,
    )?;
    let hash = password::bounded({
        let pw = input.password.clone();
        move || password::hash(&pw)
    })
    .await?;
    let admin = auth.principal.clone();
    let account = NewAccount {
        username: input.username,
        full_name: input.full_name,
        password_hash: hash,
        role: input.role,
        commune_code,
        province_code: input.province_code,
        personal_id: input.personal_id,
    };
    let user = state
        .db_tx(move |conn| service::create(conn, &admin, account))
        .await?;
    log::info!(
        "user {} created by {} as {}",
        user.username,
        auth.user_id,
        user.role
    );
    Ok(HttpResponse::Created()
        .insert_header(etag(user.version))
        .json(UserView::from(user)))
}

/// Read an account.
///
/// **Roles:** `commune_admin` (own commune; another commune's account is 404), `system_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, description = "Account id")), responses(
    (status = 200, body = UserView, headers(("ETag" = String, description = "Record version"))),
    NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such account visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    auth: Authorized<UserAdmins>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let admin = auth.principal.clone();
    let u = state
        .db(move |conn| service::get(conn, &admin, &id))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(u.version))
        .json(UserView::from(u)))
}

/// Change an account: deactivate, change role or commune, reset password.
///
/// **Roles:** `commune_admin` (accounts of its own commune whose current and new role it may
/// grant), `system_admin`. Requires `If-Match` with the account's ETag (428 without, 412 when
/// stale). Changing role, commune, active flag or password ends the account's sessions at
/// once. An administrator cannot deactivate or demote itself.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = UpdateUser,
    params(("id" = String, Path, description = "Account id"), ("If-Match" = String, Header, description = "ETag of the version being changed")),
    responses(
    (status = 200, body = UserView, headers(("ETag" = String, description = "New record version"))),
    JsonBody, Versioned, NotAuthenticated, InvalidFields,
    (status = 403, description = "Role not allowed or not grantable, or a personal ID set by anyone but a system admin", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such account visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Would lock the administrator out, or the personal ID belongs to another active citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: Authorized<UserAdmins>,
    path: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<UpdateUser>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let input = body.0;
    service::personal_id_check(&auth, input.personal_id.as_ref())?;
    let new_hash = match input.password.clone() {
        Some(pw) => Some(password::bounded(move || password::hash(&pw)).await?),
        None => None,
    };
    let admin = auth.principal.clone();
    let changes = AccountChanges {
        full_name: input.full_name,
        password_hash: new_hash,
        role: input.role,
        commune_code: input.commune_code,
        province_code: input.province_code,
        personal_id: input.personal_id,
        active: input.active,
    };
    let user = state
        .db_tx(move |conn| service::update(conn, &admin, &id, if_match.0, changes))
        .await?;
    state.sessions.evict(&user.id);
    log::info!("account {} updated by {}", user.id, auth.user_id);
    Ok(HttpResponse::Ok()
        .insert_header(etag(user.version))
        .json(UserView::from(user)))
}
