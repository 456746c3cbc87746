//! Reviewing the personal-data access log: the supervisors' and administrators' query,
//! scoped to what the reader may see. The log itself (entries, chains, the writer) is
//! `service::access_log`.

use crate::auth::Principal;
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};
use crate::service::access_log::{self, Entry, Filter};
use crate::service::keyset::Keyset;

/// The province whose reads `reader` reviews: none (everything) for a system
/// administrator, its own for a province supervisor.
pub fn reader_province(reader: &Principal) -> Option<String> {
    match reader.role {
        Role::SystemAdmin => None,
        _ => Some(reader.province_code.clone().unwrap_or_default()),
    }
}

/// The entries matching `filter` within the reader's province (`filter.province_code` is
/// set from the reader). A commune outside it is 404, as if it did not exist.
pub fn search(
    conn: &mut DbConn,
    reader: &Principal,
    mut filter: Filter,
    after: Option<Keyset>,
    limit: i64,
) -> ApiResult<Vec<Entry>> {
    let scope = reader_province(reader);
    filter.province_code = scope.clone();
    if let Some(code) = &filter.commune_code {
        Commune::find(conn, code)?
            .filter(|c| scope.as_ref().is_none_or(|p| *p == c.province_code))
            .ok_or_else(|| ApiError::not_found("xã", "Commune"))?;
    }
    Ok(access_log::search(conn, &filter, after, limit)?)
}
