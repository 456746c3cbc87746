//! Account management for commune and system administrators: the use cases, and the rules
//! on who may grant which role, set a personal ID, or place an account in which commune.

use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::auth::access::{self, Place, Resource, Scope};
use crate::auth::Principal;
use crate::db::models::session::RefreshToken;
use crate::db::models::user::{User, UserChanges};
use crate::db::schema::{communes, provinces, users};
use crate::db::DbConn;
use crate::domain::roles::Role;
use crate::domain::text::fold;
use crate::error::{ApiError, ApiResult};

/// A personal ID is an identity claim: only a system administrator sets one by hand.
pub fn personal_id_check(admin: &Principal, personal_id: Option<&String>) -> ApiResult<()> {
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

/// Where a new account of `role` goes: checks that the caller may grant the role and set a
/// personal ID, and returns its commune (a commune admin's own when it names none; another
/// commune is refused).
pub fn check_create(
    admin: &Principal,
    role: Role,
    personal_id: Option<&String>,
    commune_code: Option<String>,
) -> ApiResult<Option<String>> {
    grant_check(admin, role)?;
    personal_id_check(admin, personal_id)?;
    match access::scope(admin, Resource::Account) {
        Scope::All => Ok(commune_code),
        Scope::Commune(own) if commune_code.is_none() => Ok(Some(own)),
        scope if scope.admits(account_place(commune_code.as_deref())) => Ok(commune_code),
        _ => Err(ApiError::forbidden(
            "user.other_commune",
            "Quản trị xã chỉ tạo tài khoản cho xã của mình.",
            "A commune admin may only create accounts of its own commune.",
        )),
    }
}

/// A new account, checked by [`check_create`], its password already hashed.
pub struct NewAccount {
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    pub role: Role,
    pub commune_code: Option<String>,
    pub province_code: Option<String>,
    pub personal_id: Option<String>,
}

/// Accounts visible to `scope` matching `filter`, by username after `after`; one more than
/// `limit` when there are more.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: UserFilter,
    after: Option<String>,
    limit: i64,
) -> ApiResult<Vec<User>> {
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
}

/// Creates an account in its commune and province (checked against the registry).
pub fn create(conn: &mut DbConn, admin: &Principal, input: NewAccount) -> ApiResult<User> {
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
        password_hash: input.password_hash,
        role: input.role,
        commune_code,
        province_code,
        personal_id: None,
        active: true,
        session_epoch: 0,
        version: 1,
        created_at: now,
        updated_at: now,
        personal_id_source: None,
        personal_id_verified_at: None,
    };
    User::insert(conn, &user)?;
    match &input.personal_id {
        Some(pid) => {
            set_personal_id(conn, admin, &user, pid)?;
            User::find(conn, &user.id)?.ok_or_else(user_not_found)
        }
        None => Ok(user),
    }
}

/// An account visible to the caller, else 404.
pub fn get(conn: &mut DbConn, admin: &Principal, id: &str) -> ApiResult<User> {
    User::find(conn, id)?
        .filter(|u| visible_to(admin, u))
        .ok_or_else(user_not_found)
}

/// What an administrator changes on an account; `None` leaves a field as it is.
pub struct AccountChanges {
    pub full_name: Option<String>,
    /// The new password, hashed.
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub commune_code: Option<String>,
    pub province_code: Option<String>,
    pub personal_id: Option<String>,
    pub active: Option<bool>,
}

/// Changes an account at `version` (else 412). Changing the role, commune, active flag or
/// password ends its sessions; an administrator cannot deactivate or demote itself.
pub fn update(
    conn: &mut DbConn,
    admin: &Principal,
    id: &str,
    version: i64,
    input: AccountChanges,
) -> ApiResult<User> {
    let current = User::find(conn, id)?
        .filter(|u| visible_to(admin, u))
        .ok_or_else(user_not_found)?;
    let current_role = current.role;
    grant_check(admin, current_role)?;
    let role = input.role.unwrap_or(current_role);
    grant_check(admin, role)?;
    if current.id == admin.user_id && (input.active == Some(false) || role != current_role) {
        return Err(ApiError::conflict(
            "user.self_lockout",
            "Không thể tự khóa hoặc tự hạ quyền tài khoản của mình.",
            "You cannot deactivate or demote your own account.",
        ));
    }
    if current.version != version {
        return Err(ApiError::precondition_failed());
    }
    let commune_in = input.commune_code.clone().or(current.commune_code.clone());
    if !access::scope(admin, Resource::Account).admits(account_place(commune_in.as_deref())) {
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
        || input.password_hash.is_some();
    let full_name = input.full_name.map(|n| crate::domain::text::nfc(n.trim()));
    let changes = UserChanges {
        search_key: full_name
            .as_ref()
            .map(|n| fold(&format!("{} {n}", current.username))),
        full_name,
        password_hash: input.password_hash,
        role: Some(role),
        commune_code: Some(commune_code),
        province_code: Some(province_code),
        personal_id: None,
        active: input.active,
        updated_at: Some(crate::clock::now().naive_utc()),
    };
    if !User::update_versioned(conn, &current.id, version, &changes, ends_sessions)? {
        return Err(ApiError::precondition_failed());
    }
    if ends_sessions {
        RefreshToken::revoke_all_for_user(conn, &current.id)?;
    }
    let updated = User::find(conn, &current.id)?.ok_or_else(user_not_found)?;
    if let Some(pid) = &input.personal_id {
        set_personal_id(conn, admin, &updated, pid)?;
        return User::find(conn, &current.id)?.ok_or_else(user_not_found);
    }
    Ok(updated)
}

/// Creates an account after checking its placement against the registry (used by the CLI;
/// the HTTP endpoint does the same checks with localized errors).
pub fn create_account(
    conn: &mut DbConn,
    username: &str,
    full_name: &str,
    password_hash: &str,
    role: Role,
    commune_code: Option<String>,
    province_code: Option<String>,
) -> Result<User, String> {
    use crate::db::schema::communes;
    let username = username.trim().to_lowercase();
    if role.requires_commune() && commune_code.is_none() {
        return Err(format!("role {role} needs --commune"));
    }
    if role.requires_province() && province_code.is_none() {
        return Err(format!("role {role} needs --province"));
    }
    let province_code = match &commune_code {
        Some(c) => Some(
            communes::table
                .find(c)
                .select(communes::province_code)
                .first::<String>(conn)
                .optional()
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no commune {c}: run `motcua seed` first"))?,
        ),
        None => province_code,
    };
    if User::find_by_username(conn, &username)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(format!("username {username} is taken"));
    }
    let now = crate::clock::now().naive_utc();
    let full_name = crate::domain::text::nfc(full_name);
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        search_key: crate::domain::text::fold(&format!("{username} {full_name}")),
        username,
        full_name,
        password_hash: password_hash.to_string(),
        role,
        commune_code,
        province_code,
        personal_id: None,
        active: true,
        session_epoch: 0,
        version: 1,
        created_at: now,
        updated_at: now,
        personal_id_source: None,
        personal_id_verified_at: None,
    };
    User::insert(conn, &user).map_err(|e| e.to_string())?;
    Ok(user)
}
