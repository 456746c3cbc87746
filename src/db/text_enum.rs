//! Closed sets (statuses, channels, roles…) stored in `Text` columns and carried in the rows
//! as their Rust enums, so no code compares or parses the strings by hand.
//!
//! `text_enum!` writes for an enum what `#[derive(AsExpression, FromSqlRow)]
//! #[diesel(sql_type = Text)]` would, plus `ToSql`/`FromSql` for every backend (PostgreSQL,
//! SQLite and the `MultiBackend` of `DbConn`). It lives here and not as derives on the enums
//! because `domain/` stays free of diesel. The enum supplies `as_str(self) -> &'static str`
//! and `parse(&str) -> Option<Self>`; the stored text is `as_str`, byte for byte. A stored
//! value the enum does not know fails the row with a deserialization error naming the type,
//! never a panic and never a silent default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, SingleValue, Text};

// The bind parameter type `#[derive(AsExpression)]` expands to; it binds through the
// `ToSql` below. (Borrowing `&'static str`'s expression instead confuses the lifetimes of
// `#[derive(Insertable)]` rows that also hold borrowed fields.)
use diesel::internal::derives::as_expression::Bound;

macro_rules! text_enum {
    ($($ty:ty),+ $(,)?) => {$(
        impl AsExpression<Text> for $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> AsExpression<Text> for &'a $ty {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl AsExpression<Nullable<Text>> for $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> AsExpression<Nullable<Text>> for &'a $ty {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<DB: Backend> ToSql<Nullable<Text>, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                <$ty>::parse(&s).ok_or_else(|| {
                    format!("unknown {} {:?} stored in the database", stringify!($ty), s).into()
                })
            }
        }
        impl<DB: Backend, ST: SingleValue> Queryable<ST, DB> for $ty
        where
            Self: FromSql<ST, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

use crate::domain::dossier::{ApplicantType, Channel};
use crate::domain::dossier_lifecycle::Status;
use crate::domain::payment::PaymentMethod;
use crate::domain::roles::Role;

text_enum!(Role);
text_enum!(Status);
text_enum!(Channel);
text_enum!(ApplicantType);
text_enum!(PaymentMethod);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::Role;
    use crate::db::models::user::User;
    use crate::db::schema::users;
    use crate::db::DbConn;

    fn conn() -> DbConn {
        use diesel::r2d2::ManageConnection;
        let mut c = crate::db::ConnectionManager::new(":memory:")
            .connect()
            .expect("in-memory SQLite");
        c.apply_migrations().expect("migrations");
        c
    }

    fn insert_user(c: &mut DbConn, id: &str, role: &str) {
        diesel::sql_query(
            "INSERT INTO users (id, username, full_name, search_key, password_hash, role, \
             active, session_epoch, version, created_at, updated_at) \
             VALUES (?, ?, 'x', 'x', 'x', ?, 1, 0, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        )
        .bind::<diesel::sql_types::Text, _>(id)
        .bind::<diesel::sql_types::Text, _>(id)
        .bind::<diesel::sql_types::Text, _>(role)
        .execute(c)
        .expect("insert");
    }

    #[test]
    fn stored_text_is_the_enum_string_and_reads_back() {
        let mut c = conn();
        insert_user(&mut c, "u1", "commune_admin");
        let u = User::find(&mut c, "u1").unwrap().unwrap();
        assert_eq!(u.role, Role::CommuneAdmin);
        let n = users::table
            .filter(users::role.eq(Role::CommuneAdmin))
            .count()
            .get_result::<i64>(&mut c)
            .unwrap();
        assert_eq!(n, 1);
        let raw: String = users::table
            .find("u1")
            .select(diesel::dsl::sql::<diesel::sql_types::Text>("role"))
            .first(&mut c)
            .unwrap();
        assert_eq!(raw, "commune_admin");
    }

    #[test]
    fn an_unknown_stored_value_is_a_deserialization_error() {
        let mut c = conn();
        insert_user(&mut c, "u2", "admin");
        match User::find(&mut c, "u2") {
            Err(diesel::result::Error::DeserializationError(e)) => {
                // diesel names the column; the cause names the type and the value.
                let cause = e.source().map(|s| s.to_string()).unwrap_or_default();
                let msg = format!("{e} / {cause}");
                assert!(
                    msg.contains("'role'") && msg.contains("Role \"admin\""),
                    "{msg}"
                );
            }
            other => panic!("expected a deserialization error, got {other:?}"),
        }
    }
}
