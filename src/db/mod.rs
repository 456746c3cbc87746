//! Persistence: one diesel connection type over SQLite and PostgreSQL, chosen by the URL scheme.

pub mod dialect;
pub mod models;
pub mod schema;
mod text_enum;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to either backend. Portable diesel DSL runs on it directly; backend-specific
/// statements (upserts, row locks) match on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` select PostgreSQL; anything else is an SQLite path,
    /// optionally written `sqlite://path`. Decided here, not by trying each driver in turn,
    /// so that a PostgreSQL that is down is reported as such instead of becoming a file name.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// The SQLite path of a URL (`sqlite://data/x.db` → `data/x.db`).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// r2d2 manager that opens the right backend and prepares each new connection.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        ConnectionManager {
            url: url.to_string(),
            backend: Backend::from_url(url),
        }
    }
}

/// Per-connection SQLite settings: WAL lets readers proceed beside a writer, foreign keys are
/// off by default in SQLite, and busy_timeout makes a second writer wait instead of failing.
/// busy_timeout comes first: switching to WAL itself needs a lock that a connection opened
/// at the same moment may hold.
const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let path = sqlite_path(&self.url);
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                }
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_SETUP)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Builds the pool without connecting: the server starts (and `/ready` reports 503) while the
/// database is down, and r2d2 reconnects by itself when it comes back.
pub fn build_pool(url: &str, max_size: u32, connect_timeout: Duration) -> DbPool {
    let backend = Backend::from_url(url);
    // SQLite serialises writers anyway; a few connections serve its readers.
    let max_size = if backend == Backend::Sqlite {
        max_size.clamp(1, 8)
    } else {
        max_size.max(1)
    };
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(connect_timeout)
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager::new(url))
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Applies every pending migration of this backend's tree; returns their names.
    pub fn apply_migrations(&mut self) -> Result<Vec<String>, String> {
        let applied = match self {
            DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        }
        .map_err(|e| e.to_string())?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    }

    /// True when no migration of this backend's tree is pending.
    pub fn migrations_current(&mut self) -> Result<bool, String> {
        let pending = match self {
            DbConn::Pg(c) => c.has_pending_migration(PG_MIGRATIONS),
            DbConn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        }
        .map_err(|e| e.to_string())?;
        Ok(!pending)
    }

    /// A read-then-write transaction. On SQLite it starts as IMMEDIATE so that it takes the
    /// write lock up front: a deferred one fails with "database is locked" when another
    /// writer commits between its read and its write. On PostgreSQL it is a normal
    /// transaction; callers lock the rows they read with `FOR UPDATE` where it matters.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        type Manager = <DbConn as Connection>::TransactionManager;
        match self {
            // SqliteConnection::immediate_transaction needs the concrete type while the closure
            // needs the enum; the enum's manager delegates to the variant's AnsiTransactionManager,
            // so opening with BEGIN IMMEDIATE there and closing through the enum stays consistent
            // (nested transactions inside `f` become savepoints as usual).
            DbConn::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
                match f(self) {
                    Ok(v) => {
                        Manager::commit_transaction(self)?;
                        Ok(v)
                    }
                    Err(e) => {
                        Manager::rollback_transaction(self)?;
                        Err(e)
                    }
                }
            }
            DbConn::Pg(_) => self.transaction(f),
        }
    }
}

impl DbConn {
    /// Inside a write transaction: serialises it with every other transaction that locks one
    /// of `keys` (in `namespace`) until it ends. Keys are locked in sorted order, so two
    /// transactions never wait on each other crosswise. On PostgreSQL these are transaction
    /// advisory locks; on SQLite the IMMEDIATE transaction already holds the database's only
    /// write lock, which serialises more than this asks.
    pub fn lock_keys(&mut self, keys: &[&str], namespace: i64) -> diesel::QueryResult<()> {
        use diesel::RunQueryDsl;
        if let DbConn::Pg(c) = self {
            let mut keys = keys.to_vec();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
                    .bind::<diesel::sql_types::Text, _>(key)
                    .bind::<diesel::sql_types::BigInt, _>(namespace)
                    .execute(c)?;
            }
        }
        Ok(())
    }
}

/// The escape character of every `LIKE` pattern built by [`like_contains`]; pass it to
/// diesel's `.escape()` so that both backends read the pattern the same way (SQLite has
/// no default escape character, PostgreSQL's is the backslash).
pub const LIKE_ESCAPE: char = '\\';

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and the escape character
/// taken literally. `folded` is the search text as the search keys store it; when folding
/// left nothing (the text was only punctuation such as `%` or `_`), the raw text is used,
/// so that a search of `%` looks for a `%` instead of matching every row.
pub fn like_contains(raw: &str, folded: &str) -> String {
    let needle = if folded.trim().is_empty() {
        raw.trim().to_lowercase()
    } else {
        folded.to_string()
    };
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod like_tests {
    use super::like_contains;

    #[test]
    fn wildcards_are_literal() {
        assert_eq!(like_contains("%", ""), "%\\%%");
        assert_eq!(like_contains("_", ""), "%\\_%");
        assert_eq!(like_contains(" a\\b ", ""), "%a\\\\b%");
        assert_eq!(like_contains("Hoà Bình", "hoa binh"), "%hoa binh%");
        assert_eq!(like_contains("50%_x", "50 x"), "%50 x%");
    }
}
