//! Readiness of the database, for the orchestrators' probe.

use std::time::Duration;

use diesel::r2d2::R2D2Connection;

use crate::db::DbPool;
use crate::error::{ApiError, ApiResult};

/// Whether the database answers within a second (503 otherwise) and its schema is current.
/// Once the instance has seen every migration applied, a ping is enough.
pub fn database_current(pool: &DbPool, already_migrated: bool) -> ApiResult<bool> {
    let mut conn = pool
        .get_timeout(Duration::from_secs(1))
        .map_err(ApiError::service_unavailable)?;
    if already_migrated {
        conn.ping().map_err(ApiError::service_unavailable)?;
        Ok(true)
    } else {
        conn.migrations_current()
            .map_err(ApiError::service_unavailable)
    }
}
