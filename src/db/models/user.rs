use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::DbConn;
use crate::domain::roles::Role;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub search_key: String,
    pub password_hash: String,
    pub role: Role,
    pub commune_code: Option<String>,
    pub province_code: Option<String>,
    pub personal_id: Option<String>,
    pub active: bool,
    pub session_epoch: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Who verified `personal_id` (`idp`, `system_admin`); `None`: unverified, grants nothing.
    pub personal_id_source: Option<String>,
    pub personal_id_verified_at: Option<NaiveDateTime>,
}

/// What a PATCH may change; `None` leaves a column alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub full_name: Option<String>,
    pub search_key: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub commune_code: Option<Option<String>>,
    pub province_code: Option<Option<String>>,
    pub personal_id: Option<Option<String>>,
    pub active: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

impl User {
    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username.eq(username.to_lowercase()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConn, user: &User) -> QueryResult<()> {
        diesel::insert_into(users::table)
            .values(user)
            .execute(conn)
            .map(|_| ())
    }

    /// Applies changes only if the row still has `expected_version` (optimistic concurrency);
    /// `bump_epoch` voids the account's outstanding tokens. Returns false on a version mismatch.
    pub fn update_versioned(
        conn: &mut DbConn,
        id: &str,
        expected_version: i64,
        changes: &UserChanges,
        bump_epoch: bool,
    ) -> QueryResult<bool> {
        let target = users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version));
        let epoch_step = if bump_epoch { 1 } else { 0 };
        let n = diesel::update(target)
            .set((
                changes,
                users::version.eq(users::version + 1),
                users::session_epoch.eq(users::session_epoch + epoch_step),
            ))
            .execute(conn)?;
        Ok(n == 1)
    }

    /// Voids every access token of the account at once (they carry the epoch).
    pub fn bump_session_epoch(conn: &mut DbConn, id: &str) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set(users::session_epoch.eq(users::session_epoch + 1))
            .execute(conn)
            .map(|_| ())
    }
}
