//! The command line's work beyond parsing (`main.rs` parses and dispatches): seeding,
//! benchmark data, catalog files, the access-log audit. Calls `service/` and `db/`, never
//! `api/`.

pub mod audit;
pub mod bench_data;
pub mod catalog;
pub mod seed;

use std::time::Duration;

use crate::config::Config;
use crate::db::{self, DbConn, DbPool};

/// The server's pool for `config`.
pub fn pool_for(config: &Config) -> DbPool {
    db::build_pool(
        &config.database_url,
        config.db_pool_size,
        Duration::from_secs(config.db_connect_timeout_secs),
    )
}

/// Runs `f` on one migrated connection.
pub fn with_migrated_conn<T>(
    config: &Config,
    f: impl FnOnce(&mut DbConn) -> Result<T, String>,
) -> Result<T, String> {
    // One connection: a larger pool refills its idle connection on a background thread, and
    // a command that exits while that thread is inside libpq can die of a signal.
    let pool = db::build_pool(
        &config.database_url,
        1,
        Duration::from_secs(config.db_connect_timeout_secs),
    );
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    conn.apply_migrations()?;
    f(&mut conn)
}

/// Recomputes the indicator aggregates from the raw tables.
pub fn rebuild_indicators(conn: &mut DbConn) -> Result<(), String> {
    let started = std::time::Instant::now();
    let n = crate::db::models::indicator::rebuild(conn).map_err(|e| e.to_string())?;
    log::info!(
        "indicators rebuilt from {n} dossiers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
