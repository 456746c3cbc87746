//! The dossiers behind a number of a report: a counter's dossiers, or the open ones on
//! time / overdue at the period end.

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{as_of, bounds, commune_in_scope, province_in_scope};
use crate::auth::Principal;
use crate::db::models::indicator::{self as agg, Scope};
use crate::db::DbConn;
use crate::domain::indicators::{Counters, Period};
use crate::error::{ApiError, ApiResult};

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DossierBehind {
    pub code: String,
    pub commune_code: String,
    pub procedure_code: String,
    pub channel: String,
    pub status: String,
    /// The Vietnam date the dossier counts on (received, else submitted).
    pub cohort_day: NaiveDate,
    pub received_at: Option<chrono::DateTime<Utc>>,
    pub due_at: Option<chrono::DateTime<Utc>>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
    pub supplement_requests: i64,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DossiersBehind {
    pub measure: String,
    pub period: Period,
    pub items: Vec<DossierBehind>,
    /// Offset of the next page, `null` on the last.
    pub next_offset: Option<i64>,
}

/// Open dossiers split at the period end (or now).
pub const OPEN_MEASURES: [&str; 2] = ["open_on_time", "open_overdue"];

/// 422 unless `measure` is a counter name or one of `OPEN_MEASURES`.
pub fn check_measure(measure: &str) -> ApiResult<()> {
    if !Counters::NAMES.contains(&measure) && !OPEN_MEASURES.contains(&measure) {
        return Err(ApiError::invalid_field(
            "measure",
            format!(
                "Chỉ tiêu không có. Một trong: {}, {}.",
                Counters::NAMES.join(", "),
                OPEN_MEASURES.join(", ")
            ),
            format!(
                "Unknown measure. One of: {}, {}.",
                Counters::NAMES.join(", "),
                OPEN_MEASURES.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Which dossiers of a report to list, and the page.
#[derive(Clone, Debug)]
pub struct BehindQuery {
    pub measure: String,
    pub period: Period,
    pub limit: i64,
    pub offset: i64,
}

/// The dossiers behind `q.measure` in commune `code`, if the caller may read its report.
pub fn commune_dossiers(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    q: &BehindQuery,
) -> ApiResult<DossiersBehind> {
    let commune = commune_in_scope(conn, p, code)?;
    let scope = Scope::Commune(&commune.code);
    dossiers_behind(conn, scope, &q.measure, &q.period, q.limit, q.offset)
}

/// The dossiers behind `q.measure` in province `code`, if the caller may read its report.
pub fn province_dossiers(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    q: &BehindQuery,
) -> ApiResult<DossiersBehind> {
    let province = province_in_scope(conn, p, code)?;
    let scope = Scope::Province(&province.code);
    dossiers_behind(conn, scope, &q.measure, &q.period, q.limit, q.offset)
}

fn dossiers_behind(
    conn: &mut DbConn,
    scope: Scope,
    measure: &str,
    p: &Period,
    limit: i64,
    offset: i64,
) -> ApiResult<DossiersBehind> {
    let mut items: Vec<DossierBehind> = if OPEN_MEASURES.contains(&measure) {
        let (start, end) = bounds(p);
        let at = as_of(end);
        let want_overdue = measure == "open_overdue";
        agg::open_dossiers(conn, scope, start, end)?
            .into_iter()
            .filter(|d| d.overdue(at) == want_overdue)
            .skip(offset as usize)
            .take(limit as usize + 1)
            .map(|d| DossierBehind {
                cohort_day: d
                    .received_at
                    .map(|t| crate::domain::calendar::local_date(t.and_utc()))
                    .unwrap_or(p.from),
                code: d.code,
                commune_code: d.commune_code,
                procedure_code: d.procedure_code,
                channel: d.channel,
                status: d.status,
                received_at: d.received_at.map(|t| t.and_utc()),
                due_at: d.due_at.map(|t| t.and_utc()),
                finished_at: None,
                supplement_requests: i64::from(d.supplement_requests),
            })
            .collect()
    } else {
        agg::dossiers_with(conn, scope, measure, p.from, p.to, limit, offset)?
            .into_iter()
            .map(|d| DossierBehind {
                code: d.code,
                commune_code: d.commune_code,
                procedure_code: d.procedure_code,
                channel: d.channel,
                status: d.status,
                cohort_day: d.day,
                received_at: d.received_at.map(|t| t.and_utc()),
                due_at: d.due_at.map(|t| t.and_utc()),
                finished_at: d.finished_at.map(|t| t.and_utc()),
                supplement_requests: d.supplement_requests,
            })
            .collect()
    };
    let next_offset = (items.len() as i64 > limit).then_some(offset + limit);
    items.truncate(limit as usize);
    Ok(DossiersBehind {
        measure: measure.to_string(),
        period: *p,
        items,
        next_offset,
    })
}
