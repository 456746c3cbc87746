//! The procedure catalog's use cases: reads of the version in force, versioned edits by
//! system administrators, and per-commune publication. Import and export are
//! `service::catalog`.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::auth::access::{self, Place, Resource};
use crate::auth::Principal;
use crate::db::models::procedure::{CatalogFilter, Procedure, ProcedureVersion, Publication};
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::catalog::ProcedureContent;
use crate::error::{ApiError, ApiResult, Text};

/// A procedure with one of its versions.
pub type Pair = (Procedure, ProcedureVersion);

fn procedure_not_found() -> ApiError {
    ApiError::not_found("thủ tục", "Procedure")
}

fn commune_not_found() -> ApiError {
    ApiError::not_found("xã/phường", "Commune")
}

fn commune_exists(conn: &mut DbConn, code: &str) -> ApiResult<()> {
    if Commune::find(conn, code)?.is_none() {
        return Err(commune_not_found());
    }
    Ok(())
}

/// Up to `limit` procedures with their version in force on `date`, by code after `after`.
pub fn list(
    conn: &mut DbConn,
    filter: &CatalogFilter,
    date: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Pair>> {
    Ok(Procedure::list_in_force(conn, filter, date, after, limit)?)
}

/// `list` of the procedures commune `commune` publishes (404 for no such commune), with
/// the time each was published, by procedure id.
pub fn list_published(
    conn: &mut DbConn,
    commune: &str,
    filter: &CatalogFilter,
    date: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<(Vec<Pair>, HashMap<String, NaiveDateTime>)> {
    commune_exists(conn, commune)?;
    let rows = Procedure::list_in_force(conn, filter, date, after, limit)?;
    let ids: Vec<String> = rows.iter().map(|(p, _)| p.id.clone()).collect();
    let times = Publication::times(conn, commune, &ids)?;
    Ok((rows, times))
}

/// Procedure `code` with its version in force on `date`: 404 `procedure.not_in_force` when
/// the procedure exists but none of its versions is in force then.
pub fn in_force(conn: &mut DbConn, code: &str, date: NaiveDate) -> ApiResult<Pair> {
    if let Some(pair) = Procedure::in_force(conn, code, date)? {
        return Ok(pair);
    }
    if Procedure::find_by_code(conn, code)?.is_none() {
        return Err(procedure_not_found());
    }
    // A 404 of its own code: the procedure exists, only not on that date.
    let mut e = ApiError::not_found("thủ tục", "Procedure");
    e.code = "procedure.not_in_force";
    e.detail = Text::new(
        format!("Thủ tục {code} không có phiên bản nào có hiệu lực vào ngày {date}."),
        format!("Procedure {code} has no version in force on {date}."),
    );
    Err(e)
}

/// Up to `limit` versions of procedure `code`, newest first, before number `before`; with
/// the procedure's code.
pub fn versions(
    conn: &mut DbConn,
    code: &str,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<(String, Vec<ProcedureVersion>)> {
    let p = Procedure::find_by_code(conn, code)?.ok_or_else(procedure_not_found)?;
    let history = ProcedureVersion::history(conn, &p.id, before, limit)?;
    Ok((p.code, history))
}

/// Creates a procedure with its first version, in force from `effective_from` (default
/// `today`, any date). 409 when the code exists, also when deactivated.
pub fn create(
    conn: &mut DbConn,
    content: &ProcedureContent,
    actor: &str,
    today: NaiveDate,
) -> ApiResult<Pair> {
    if Procedure::find_by_code(conn, &content.code)?.is_some() {
        return Err(ApiError::conflict(
            "procedure.code_taken",
            format!("Đã có thủ tục mã {}.", content.code),
            format!("A procedure with code {} exists.", content.code),
        ));
    }
    let effective_from = content.effective_from.unwrap_or(today);
    Ok(Procedure::create(
        conn,
        content,
        effective_from,
        Some(actor),
        crate::clock::now().naive_utc(),
    )?)
}

/// Adds `content` as a new version of procedure `code` if its record version is still
/// `expected` (412 otherwise), in force from `effective_from` (default `today`, never
/// earlier); reactivates a deactivated procedure.
pub fn update(
    conn: &mut DbConn,
    code: &str,
    expected: i64,
    content: &ProcedureContent,
    actor: &str,
    today: NaiveDate,
) -> ApiResult<Pair> {
    let current = Procedure::find_by_code(conn, code)?.ok_or_else(procedure_not_found)?;
    if current.version != expected {
        return Err(ApiError::precondition_failed());
    }
    if content.code != code {
        return Err(ApiError::invalid_field(
            "code",
            format!(
                "Mã trong nội dung ({}) phải trùng mã trên đường dẫn ({code}).",
                content.code
            ),
            format!(
                "The body's code ({}) must equal the path's ({code}).",
                content.code
            ),
        ));
    }
    let effective_from = content.effective_from.unwrap_or(today);
    if effective_from < today {
        return Err(ApiError::invalid_field(
            "effective_from",
            format!("Phiên bản mới không được có hiệu lực trước hôm nay ({today})."),
            format!("A new version cannot take effect before today ({today})."),
        ));
    }
    current
        .add_version(
            conn,
            content,
            effective_from,
            Some(actor),
            crate::clock::now().naive_utc(),
            true,
        )?
        .ok_or_else(ApiError::precondition_failed)
}

/// Deactivates procedure `code` if its record version is still `expected` (412
/// otherwise). Nothing is deleted.
pub fn deactivate(conn: &mut DbConn, code: &str, expected: i64) -> ApiResult<Procedure> {
    let current = Procedure::find_by_code(conn, code)?.ok_or_else(procedure_not_found)?;
    Procedure::deactivate(conn, &current.id, expected, crate::clock::now().naive_utc())?
        .ok_or_else(ApiError::precondition_failed)
}

/// 404, as if it did not exist, unless the caller may configure commune `commune`.
pub fn check_own_commune(p: &Principal, commune: &str) -> ApiResult<()> {
    let place = Place {
        commune: Some(commune),
        ..Place::default()
    };
    if !access::may_see(p, Resource::CommuneSettings, place) {
        return Err(commune_not_found());
    }
    Ok(())
}

/// A publication as stored, with the procedure's code.
pub struct Published {
    pub publication: Publication,
    pub procedure_code: String,
}

/// Publishes procedure `code` in commune `commune` (idempotent: `true` when published now,
/// `false` when it already was). A deactivated procedure cannot be published (409).
pub fn publish(
    conn: &mut DbConn,
    p: &Principal,
    commune: &str,
    code: &str,
) -> ApiResult<(bool, Published)> {
    check_own_commune(p, commune)?;
    commune_exists(conn, commune)?;
    let procedure = Procedure::find_by_code(conn, code)?.ok_or_else(procedure_not_found)?;
    if !procedure.active {
        return Err(ApiError::conflict(
            "procedure.inactive",
            format!("Thủ tục {code} đã ngừng áp dụng, không công bố được."),
            format!("Procedure {code} is deactivated and cannot be published."),
        ));
    }
    let new = Publication {
        commune_code: commune.to_string(),
        procedure_id: procedure.id.clone(),
        published_at: crate::clock::now().naive_utc(),
        published_by: Some(p.user_id.clone()),
    };
    let created = Publication::publish(conn, &new)?;
    let stored =
        Publication::find(conn, commune, &procedure.id)?.ok_or_else(procedure_not_found)?;
    Ok((
        created,
        Published {
            publication: stored,
            procedure_code: procedure.code,
        },
    ))
}

/// Withdraws procedure `code` from commune `commune` (404 when not published there).
pub fn unpublish(conn: &mut DbConn, p: &Principal, commune: &str, code: &str) -> ApiResult<()> {
    check_own_commune(p, commune)?;
    commune_exists(conn, commune)?;
    let procedure = Procedure::find_by_code(conn, code)?.ok_or_else(procedure_not_found)?;
    if !Publication::unpublish(conn, commune, &procedure.id)? {
        return Err(ApiError::not_found(
            "công bố thủ tục này tại xã",
            "Publication of this procedure in the commune",
        ));
    }
    Ok(())
}

/// Names of procedure versions by id, in memory. A version's content never changes once
/// stored (a catalog change is a new version with a new id; only `effective_to` is closed
/// later, and it is not kept here), and ids are UUIDv7s, unique across databases, so one
/// map per process serves every pool without going stale. Bounded: emptied when full.
static VERSION_NAMES: std::sync::LazyLock<std::sync::RwLock<HashMap<String, String>>> =
    std::sync::LazyLock::new(Default::default);
const MAX_CACHED_VERSION_NAMES: usize = 20_000;

/// The names of these procedure versions, from memory, reading only the ones not seen yet
/// (one query for all of them). Unknown ids are absent from the map.
pub fn version_names(conn: &mut DbConn, ids: &[&str]) -> ApiResult<HashMap<String, String>> {
    let mut names = HashMap::with_capacity(ids.len());
    let mut missing = Vec::new();
    {
        let cache = VERSION_NAMES.read().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            match cache.get(*id) {
                Some(name) => {
                    names.insert(id.to_string(), name.clone());
                }
                None => missing.push(id.to_string()),
            }
        }
    }
    if missing.is_empty() {
        return Ok(names);
    }
    missing.sort_unstable();
    missing.dedup();
    let loaded = crate::db::models::procedure::version_names(conn, missing)?;
    let mut cache = VERSION_NAMES.write().unwrap_or_else(|e| e.into_inner());
    if cache.len() + loaded.len() > MAX_CACHED_VERSION_NAMES {
        cache.clear();
    }
    for (id, name) in loaded {
        cache.insert(id.clone(), name.clone());
        names.insert(id, name);
    }
    Ok(names)
}
