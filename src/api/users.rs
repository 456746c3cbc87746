//! Account management for commune and system administrators.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::extract::{etag, rule, IfMatch, Page, PageParams, ValidJson};
use crate::auth::access::{self, Place, Resource, Scope};
use crate::auth::roles::UserAdmins;
use crate::auth::{password, Authorized, Principal, Role};
use crate::db::models::session::RefreshToken;
use crate::db::models::user::{User, UserChanges};
use crate::db::schema::{communes, provinces, users};
use crate::db::DbConn;
use crate::domain::text::fold;
use crate::error::{ApiError, ApiResult};
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
    pub active: bool,
    /// Record version; send it back in `If-Match` to change the account.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            role: Role::parse(&u.role).unwrap_or(Role::Citizen),
            id: u.id,
            username: u.username,
            full_name: u.full_name,
            commune_code: u.commune_code,
            province_code: u.province_code,
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
    #[validate(custom(function = "validate_username"))]
    pub username: String,
    #[validate(custom(function = "validate_full_name"))]
    pub full_name: String,
    #[validate(custom(function = "validate_password"))]
    pub password: String,
    pub role: Role,
    /// Required for commune staff roles; a commune admin may omit it (defaults to its own).
    #[validate(custom(function = "super::validate::commune_code"))]
    pub commune_code: Option<String>,
    /// Required for `province_supervisor`.
    #[validate(custom(function = "super::validate::province_code"))]
    pub province_code: Option<String>,
    /// A citizen's verified personal ID. Only a `system_admin` may set it, after checking
    /// the person's papers (the action is recorded in the identity audit trail); otherwise
    /// it comes from the identity provider at sign-in. Unique among active citizen accounts.
    #[validate(custom(function = "super::validate::personal_id"))]
    pub personal_id: Option<String>,
}

/// Fields to change; absent fields stay as they are. Changing the role, commune, active flag
/// or password ends the account's sessions.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUser {
    #[validate(custom(function = "validate_full_name"))]
    pub full_name: Option<String>,
    /// New password (reset by an administrator).
    #[validate(custom(function = "validate_password"))]
    pub password: Option<String>,
    pub role: Option<Role>,
    #[validate(custom(function = "super::validate::commune_code"))]
    pub commune_code: Option<String>,
    #[validate(custom(function = "super::validate::province_code"))]
    pub province_code: Option<String>,
    /// As on creation: `system_admin` only, audited, unique among active citizen accounts.
    #[validate(custom(function = "super::validate::personal_id"))]
    pub personal_id: Option<String>,
    pub active: Option<bool>,
}

/// A personal ID is an identity claim: only a system administrator sets one by hand.
fn personal_id_check(admin: &Principal, personal_id: Option<&String>) -> ApiResult<()> {
    if personal_id.is_some() && admin.role != Role::SystemAdmin {
        return Err(ApiError::forbidden(
            "user.personal_id_not_allowed",
            "Chỉ quản trị hệ thống (sau khi đối chiếu giấy tờ) hoặc nhà cung cấp định danh mới được gắn số định danh cá nhân cho tài khoản.",
            "Only a system administrator (after checking the papers) or the identity provider may set an account's personal ID.",
        ));
    }
    Ok(())
}

fn set_personal_id(
    conn: &mut DbConn,
    admin: &Principal,
    user: &User,
    id_number: &str,
) -> ApiResult<()> {
    crate::service::identity::set_verified_personal_id(
        conn,
        user,
        id_number,
        crate::service::identity::IdSource::SystemAdmin,
        &crate::service::identity::Actor {
            id: &admin.user_id,
            role: admin.role.as_str(),
        },
        crate::clock::now().naive_utc(),
    )?;
    Ok(())
}

#[derive(Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    pub role: Option<Role>,
    /// Ignored for a commune admin, who only ever sees its own commune.
    pub commune_code: Option<String>,
    pub active: Option<bool>,
    /// Accent-insensitive search in username and full name.
    pub q: Option<String>,
}

/// Where an account may sit: (commune, province) checked against its role and the registry.
fn placement(
    conn: &mut DbConn,
    role: Role,
    commune_code: Option<String>,
    province_code: Option<String>,
) -> ApiResult<(Option<String>, Option<String>)> {
    if role.requires_commune() && commune_code.is_none() {
        return Err(ApiError::invalid_field(
            "commune_code",
            "Vai trò này cần mã xã.",
            "This role needs a commune_code.",
        ));
    }
    if role.requires_province() && province_code.is_none() {
        return Err(ApiError::invalid_field(
            "province_code",
            "Vai trò này cần mã tỉnh.",
            "This role needs a province_code.",
        ));
    }
    if role == Role::SystemAdmin && (commune_code.is_some() || province_code.is_some()) {
        return Err(ApiError::invalid_field(
            "role",
            "Quản trị hệ thống không gắn với xã hay tỉnh.",
            "A system admin is not bound to a commune or province.",
        ));
    }
    match commune_code {
        Some(code) => {
            let province: Option<String> = communes::table
                .find(&code)
                .select(communes::province_code)
                .first(conn)
                .optional()?;
            let Some(province) = province else {
                return Err(ApiError::invalid_field(
                    "commune_code",
                    format!("Không có xã mã {code}."),
                    format!("No commune with code {code}."),
                ));
            };
            if province_code.as_ref().is_some_and(|p| *p != province) {
                return Err(ApiError::invalid_field(
                    "province_code",
                    "Mã tỉnh không khớp với tỉnh của xã.",
                    "province_code does not match the commune's province.",
                ));
            }
            Ok((Some(code), Some(province)))
        }
        None => {
            if let Some(p) = &province_code {
                let exists: i64 = provinces::table
                    .filter(provinces::code.eq(p))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    return Err(ApiError::invalid_field(
                        "province_code",
                        format!("Không có tỉnh mã {p}."),
                        format!("No province with code {p}."),
                    ));
                }
            }
            Ok((None, province_code))
        }
    }
}

fn user_not_found() -> ApiError {
    ApiError::not_found("tài khoản", "Account")
}

/// A commune admin sees only its commune's accounts; anything else is "not found".
fn visible_to(admin: &Principal, user: &User) -> bool {
    access::may_see(
        admin,
        Resource::Account,
        account_place(user.commune_code.as_deref()),
    )
}

/// Where an account sits, for the access rules: its commune (province-level and system
/// accounts sit in no commune, so only a system-wide scope reaches them).
fn account_place(commune: Option<&str>) -> Place<'_> {
    Place {
        commune,
        ..Place::default()
    }
}

fn grant_check(admin: &Principal, role: Role) -> ApiResult<()> {
    if admin.role == Role::CommuneAdmin && !role.manageable_by_commune_admin() {
        return Err(ApiError::forbidden(
            "user.role_not_grantable",
            format!("Quản trị xã không được cấp vai trò {role}."),
            format!("A commune admin may not grant the role {role}."),
        ));
    }
    Ok(())
}

/// List accounts.
///
/// **Roles:** `commune_admin` (accounts of its own commune only), `system_admin` (all).
/// Sorted by username; keyset pagination.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(UserFilter, PageParams), responses(
    (status = 200, body = Page<UserView>),
    (status = 400, description = "Invalid query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
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
        .db(move |conn| {
            let mut q = users::table
                .select(User::as_select())
                .order(users::username.asc())
                .limit(limit + 1)
                .into_boxed();
            // A commune admin's list is its commune's, whatever filter it asks for.
            let filter_commune = filter.commune_code.filter(|_| scope == Scope::All);
            q = crate::scope_filter!(q, scope, commune = users::commune_code);
            if let Some(c) = filter_commune {
                q = q.filter(users::commune_code.eq(c));
            }
            if let Some(r) = filter.role {
                q = q.filter(users::role.eq(r.as_str()));
            }
            if let Some(a) = filter.active {
                q = q.filter(users::active.eq(a));
            }
            if let Some(text) = filter.q.as_deref().filter(|t| !t.trim().is_empty()) {
                let pattern = crate::db::like_contains(text, &fold(text));
                q = q.filter(
                    users::search_key
                        .like(pattern)
                        .escape(crate::db::LIKE_ESCAPE),
                );
            }
            if let Some(after) = after {
                q = q.filter(users::username.gt(after));
            }
            Ok(q.load(conn)?)
        })
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
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed, role not grantable by a commune admin, or a personal ID set by anyone but a system admin", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Username taken, or the personal ID belongs to another active citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, unknown commune or province", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Authorized<UserAdmins>,
    body: ValidJson<CreateUser>,
) -> ApiResult<HttpResponse> {
    let mut input = body.0;
    grant_check(&auth, input.role)?;
    personal_id_check(&auth, input.personal_id.as_ref())?;
    match access::scope(&auth, Resource::Account) {
        Scope::All => {}
        Scope::Commune(own) if input.commune_code.is_none() => input.commune_code = Some(own),
        scope if scope.admits(account_place(input.commune_code.as_deref())) => {}
        _ => {
            return Err(ApiError::forbidden(
                "user.other_commune",
                "Quản trị xã chỉ tạo tài khoản cho xã của mình.",
                "A commune admin may only create accounts of its own commune.",
            ))
        }
    }
    let hash = web::block({
        let pw = input.password.clone();
        move || password::hash(&pw)
    })
    .await?;
    let admin = auth.principal.clone();
    let user = state
        .db_tx(move |conn| {
            let (commune_code, province_code) =
                placement(conn, input.role, input.commune_code, input.province_code)?;
            let username = input.username.to_lowercase();
            if User::find_by_username(conn, &username)?.is_some() {
                return Err(ApiError::conflict(
                    "user.username_taken",
                    "Tên đăng nhập đã được sử dụng.",
                    "The username is taken.",
                ));
            }
            let now = crate::clock::now().naive_utc();
            let full_name = crate::domain::text::nfc(input.full_name.trim());
            let user = User {
                id: uuid::Uuid::now_v7().to_string(),
                search_key: fold(&format!("{username} {full_name}")),
                username,
                full_name,
                password_hash: hash,
                role: input.role.as_str().to_string(),
                commune_code,
                province_code,
                personal_id: None,
                active: true,
                session_epoch: 0,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            User::insert(conn, &user)?;
            match &input.personal_id {
                Some(pid) => {
                    set_personal_id(conn, &admin, &user, pid)?;
                    User::find(conn, &user.id)?.ok_or_else(user_not_found)
                }
                None => Ok(user),
            }
        })
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
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such account visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    auth: Authorized<UserAdmins>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let user = state.db(move |conn| Ok(User::find(conn, &id)?)).await?;
    match user {
        Some(u) if visible_to(&auth, &u) => Ok(HttpResponse::Ok()
            .insert_header(etag(u.version))
            .json(UserView::from(u))),
        _ => Err(user_not_found()),
    }
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
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed or not grantable, or a personal ID set by anyone but a system admin", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such account visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Would lock the administrator out, or the personal ID belongs to another active citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale ETag", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
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
    personal_id_check(&auth, input.personal_id.as_ref())?;
    let new_hash = match input.password.clone() {
        Some(pw) => Some(web::block(move || password::hash(&pw)).await?),
        None => None,
    };
    let admin = auth.principal.clone();
    let user = state
        .db_tx(move |conn| {
            let current = User::find(conn, &id)?
                .filter(|u| visible_to(&admin, u))
                .ok_or_else(user_not_found)?;
            let current_role = Role::parse(&current.role).unwrap_or(Role::Citizen);
            grant_check(&admin, current_role)?;
            let role = input.role.unwrap_or(current_role);
            grant_check(&admin, role)?;
            if current.id == admin.user_id && (input.active == Some(false) || role != current_role)
            {
                return Err(ApiError::conflict(
                    "user.self_lockout",
                    "Không thể tự khóa hoặc tự hạ quyền tài khoản của mình.",
                    "You cannot deactivate or demote your own account.",
                ));
            }
            if current.version != if_match.0 {
                return Err(ApiError::precondition_failed());
            }
            let commune_in = input.commune_code.clone().or(current.commune_code.clone());
            if !access::scope(&admin, Resource::Account)
                .admits(account_place(commune_in.as_deref()))
            {
                return Err(ApiError::forbidden(
                    "user.other_commune",
                    "Quản trị xã không chuyển tài khoản sang xã khác.",
                    "A commune admin may not move an account to another commune.",
                ));
            }
            // Roles without a commune drop it; roles that need one keep it or take the new one.
            let (commune_code, province_code) = if role == Role::SystemAdmin {
                (None, None)
            } else if role.requires_province() {
                (
                    None,
                    input
                        .province_code
                        .clone()
                        .or(current.province_code.clone()),
                )
            } else {
                (
                    commune_in,
                    input
                        .province_code
                        .clone()
                        .or(if input.commune_code.is_some() {
                            None
                        } else {
                            current.province_code.clone()
                        }),
                )
            };
            let (commune_code, province_code) = placement(conn, role, commune_code, province_code)?;
            let ends_sessions = role != current_role
                || commune_code != current.commune_code
                || input.active.is_some_and(|a| a != current.active)
                || new_hash.is_some();
            let full_name = input.full_name.map(|n| crate::domain::text::nfc(n.trim()));
            let changes = UserChanges {
                search_key: full_name
                    .as_ref()
                    .map(|n| fold(&format!("{} {n}", current.username))),
                full_name,
                password_hash: new_hash,
                role: Some(role.as_str().to_string()),
                commune_code: Some(commune_code),
                province_code: Some(province_code),
                personal_id: None,
                active: input.active,
                updated_at: Some(crate::clock::now().naive_utc()),
            };
            if !User::update_versioned(conn, &current.id, if_match.0, &changes, ends_sessions)? {
                return Err(ApiError::precondition_failed());
            }
            if ends_sessions {
                RefreshToken::revoke_all_for_user(conn, &current.id)?;
            }
            let updated = User::find(conn, &current.id)?.ok_or_else(user_not_found)?;
            if let Some(pid) = &input.personal_id {
                set_personal_id(conn, &admin, &updated, pid)?;
                return User::find(conn, &current.id)?.ok_or_else(user_not_found);
            }
            Ok(updated)
        })
        .await?;
    state.sessions.evict(&user.id);
    log::info!("user {} updated by {}", user.username, auth.user_id);
    Ok(HttpResponse::Ok()
        .insert_header(etag(user.version))
        .json(UserView::from(user)))
}
