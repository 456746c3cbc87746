//! Reading digital results: the list in the caller's scope, one result, its history.

use diesel::prelude::*;

use super::{dossier_code_of, load_result, result_scope};
use crate::auth::Principal;
use crate::db::models::result::{DigitalResult, ResultEvent};
use crate::db::schema::{digital_result_events, digital_results, dossiers};
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::service::access_log::Read;
use crate::service::keyset::Keyset;

/// A result with its dossier's code.
pub type Row = (DigitalResult, Option<String>);

/// The list's filters.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub dossier_code: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
}

/// Up to `limit + 1` results in the caller's scope, newest first, after the cursor
/// `(created_at, id)`, each with its dossier's code; and the reads of the first `limit`.
pub fn list(
    conn: &mut DbConn,
    p: &Principal,
    f: ListFilter,
    after: Option<Keyset>,
    limit: i64,
) -> ApiResult<(Vec<Row>, Vec<Read>)> {
    let scope = result_scope(conn, p)?;
    let mut q = digital_results::table
        .select(DigitalResult::as_select())
        .order((
            digital_results::created_at.desc(),
            digital_results::id.desc(),
        ))
        .limit(limit + 1)
        .into_boxed();
    q = crate::scope_filter!(
        q,
        scope,
        commune = digital_results::commune_code,
        province = digital_results::province_code,
        owner = digital_results::owner_user_id,
        identity = digital_results::owner_id_number,
    );
    if let Some(code) = f.dossier_code {
        let id: Option<String> = dossiers::table
            .filter(dossiers::code.eq(code))
            .select(dossiers::id)
            .first(conn)
            .optional()?;
        q = q.filter(digital_results::dossier_id.eq(id.unwrap_or_default()));
    }
    if let Some(s) = f.status {
        q = q.filter(digital_results::status.eq(s));
    }
    if let Some(k) = f.kind {
        q = q.filter(digital_results::kind.eq(k));
    }
    if let Some(Keyset(at, id)) = after {
        q = q.filter(
            digital_results::created_at
                .lt(at)
                .or(digital_results::created_at
                    .eq(at)
                    .and(digital_results::id.lt(id))),
        );
    }
    let rows: Vec<DigitalResult> = q.load(conn)?;
    let reads: Vec<_> = rows.iter().take(limit as usize).map(Read::result).collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let code = dossier_code_of(conn, &r)?;
        out.push((r, code));
    }
    Ok((out, reads))
}

/// One result the caller may see (else 404), with its dossier's code.
pub fn get(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<Row> {
    let r = load_result(conn, p, id)?;
    let code = dossier_code_of(conn, &r)?;
    Ok((r, code))
}

/// A result's history (append-only), oldest first, and the read it makes.
pub fn history(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<(Vec<ResultEvent>, Read)> {
    let r = load_result(conn, p, id)?;
    Ok((
        digital_result_events::table
            .filter(digital_result_events::result_id.eq(&r.id))
            .order(digital_result_events::id)
            .select(ResultEvent::as_select())
            .load(conn)?,
        Read::result(&r),
    ))
}
