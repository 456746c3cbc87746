//! Sessions: login with throttling, refresh-token rotation with reuse detection, logout.
//! Access tokens are signed by the caller (`auth::tokens`); this module keeps the refresh
//! tokens and their families.

use chrono::{Duration, NaiveDateTime};

use crate::auth::tokens::{hash_refresh_token, random_token};
use crate::db::models::session::RefreshToken;
use crate::db::models::user::User;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::service::login_throttle::{self, Admission, Limit};

pub fn invalid_credentials() -> ApiError {
    ApiError::unauthorized(
        "auth.invalid_credentials",
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong username or password.",
    )
}

/// Starts a new refresh-token family (login) or continues one (rotation); the token lives
/// `ttl_secs`.
pub fn new_refresh_token(
    conn: &mut DbConn,
    ttl_secs: i64,
    user_id: &str,
    family_id: &str,
    now: NaiveDateTime,
) -> ApiResult<String> {
    let token = random_token(32);
    RefreshToken::insert(
        conn,
        &RefreshToken {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_string(),
            family_id: family_id.to_string(),
            token_hash: hash_refresh_token(&token),
            created_at: now,
            expires_at: now + Duration::seconds(ttl_secs),
            used_at: None,
            revoked_at: None,
        },
    )?;
    Ok(token)
}

/// An admitted login attempt: the records that count it, and the account (if any).
pub struct LoginAttempt {
    pub records: Vec<String>,
    pub user: Option<User>,
}

/// Counts a login attempt against `limits` (429 with `Retry-After` when over one) and finds
/// the account. The attempt is counted (and recorded) before the password is checked,
/// atomically per key: parallel attempts cannot all slip under the limit. Returns the
/// records that count the attempt until it succeeds, or (`Err`) the seconds after which
/// to retry.
pub fn admit_login(
    conn: &mut DbConn,
    limits: &[Limit],
    window_secs: i64,
    username: &str,
) -> ApiResult<Result<LoginAttempt, i64>> {
    let now = crate::clock::now().naive_utc();
    match login_throttle::admit(conn, limits, window_secs, now)? {
        Admission::Refused { retry_after_secs } => Ok(Err(retry_after_secs)),
        Admission::Admitted { records } => {
            let user = User::find_by_username(conn, username)?;
            Ok(Ok(LoginAttempt { records, user }))
        }
    }
}

/// Ends a login attempt once the password was checked (`verified`: whether it matched, and
/// the account). An active account with the right password gets a new session (its refresh
/// token) and its attempt records are cleared; anything else is recorded as a failure and
/// answered `Ok(Err(invalid_credentials))`, so that the failure is committed.
pub fn finish_login(
    conn: &mut DbConn,
    records: &[String],
    user_key: &str,
    window_secs: i64,
    verified: (bool, Option<User>),
    refresh_ttl_secs: i64,
) -> ApiResult<Result<(User, String), ApiError>> {
    let now = crate::clock::now().naive_utc();
    match verified {
        (true, Some(user)) if user.active => {
            login_throttle::succeeded(conn, records, user_key)?;
            let fresh = new_refresh_token(
                conn,
                refresh_ttl_secs,
                &user.id,
                &uuid::Uuid::new_v4().to_string(),
                now,
            )?;
            Ok(Ok((user, fresh)))
        }
        _ => {
            login_throttle::failed(conn, window_secs, now)?;
            Ok(Err(invalid_credentials()))
        }
    }
}

/// What presenting a refresh token gave.
pub enum Rotation {
    /// A new refresh token of the same family, for this account.
    Rotated {
        user: Box<User>,
        refresh_token: String,
    },
    /// Already used (or revoked): the whole family is now revoked.
    Reused,
    /// Unknown, expired, or of an inactive account.
    Invalid,
}

/// Exchanges a refresh token (by its hash) for the next of its family. Each works once:
/// presenting a used one again is treated as theft and revokes the family, which is why
/// that outcome is `Ok` (the revocation must commit).
pub fn rotate(conn: &mut DbConn, hash: &str, refresh_ttl_secs: i64) -> ApiResult<Rotation> {
    let now = crate::clock::now().naive_utc();
    let Some(token) = RefreshToken::find_by_hash(conn, hash)? else {
        return Ok(Rotation::Invalid);
    };
    if token.revoked_at.is_some() || token.used_at.is_some() {
        // Commit the revocation: this is why the outcome is Ok, not Err.
        RefreshToken::revoke_family(conn, &token.family_id)?;
        return Ok(Rotation::Reused);
    }
    if token.expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let user = match User::find(conn, &token.user_id)? {
        Some(u) if u.active => u,
        _ => return Ok(Rotation::Invalid),
    };
    if !RefreshToken::claim(conn, &token.id, now)? {
        RefreshToken::revoke_family(conn, &token.family_id)?;
        return Ok(Rotation::Reused);
    }
    let next = new_refresh_token(conn, refresh_ttl_secs, &user.id, &token.family_id, now)?;
    Ok(Rotation::Rotated {
        user: Box::new(user),
        refresh_token: next,
    })
}

/// Ends the session of a refresh token (an unknown one is not an error, so logout is safe
/// to retry) and, with `everywhere_user`, every session of that account, voiding its access
/// tokens at once.
pub fn logout(conn: &mut DbConn, hash: &str, everywhere_user: Option<&str>) -> ApiResult<()> {
    if let Some(t) = RefreshToken::find_by_hash(conn, hash)? {
        RefreshToken::revoke_family(conn, &t.family_id)?;
    }
    if let Some(user_id) = everywhere_user {
        RefreshToken::revoke_all_for_user(conn, user_id)?;
        User::bump_session_epoch(conn, user_id)?;
    }
    Ok(())
}
