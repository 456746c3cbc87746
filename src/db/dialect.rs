//! The few places where one SQL text must be spelled per backend, for hand-written queries
//! outside `db/` (claims with row locks, grouped reads): callers ask the connection's
//! dialect instead of matching on the backend themselves.

use super::DbConn;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    postgres: bool,
}

impl DbConn {
    pub fn dialect(&self) -> Dialect {
        Dialect {
            postgres: matches!(self, DbConn::Pg(_)),
        }
    }
}

impl Dialect {
    /// The `n`th bind parameter (from 1): `$n` on PostgreSQL, `?n` on SQLite. Both bind by
    /// number, so one query text binds its values in the same order on both.
    pub fn param(self, n: usize) -> String {
        if self.postgres {
            format!("${n}")
        } else {
            format!("?{n}")
        }
    }

    /// Appended to the subquery that picks rows to claim: other workers skip the rows one
    /// worker holds (PostgreSQL). SQLite needs nothing: its IMMEDIATE transaction already
    /// excludes every other writer.
    pub fn skip_locked(self) -> &'static str {
        if self.postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn parameters_and_locks_per_backend() {
        let pg = Dialect { postgres: true };
        let sqlite = Dialect { postgres: false };
        assert_eq!((pg.param(3), sqlite.param(3)), ("$3".into(), "?3".into()));
        assert_eq!(pg.skip_locked(), " FOR UPDATE SKIP LOCKED");
        assert_eq!(sqlite.skip_locked(), "");
    }
}
