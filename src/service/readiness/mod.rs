//! The readiness ("phủ xanh") board: a configurable checklist per commune, green / amber /
//! red, and the province view "N of M communes green". Rules in `domain::readiness`.
//!
//! Automatic items are evaluated live, in a fixed number of grouped queries per request
//! (one commune or a whole province alike): no query per commune.

mod board;
mod config;
mod items;

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;

use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::Policy;
use crate::auth::Principal;
use crate::db::models::indicator::{self as agg, Scope};
use crate::db::models::readiness::{service_facts, ConfigRow};
use crate::db::models::registry::{Commune, Province};
use crate::db::DbConn;
use crate::domain::calendar::local_date;
use crate::domain::readiness::{
    CommuneFacts, ProvinceConfig, ThresholdValues, INDICATOR_WINDOW_DAYS, PAYMENT_WINDOW_DAYS,
};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};

pub use board::*;
pub use config::*;
pub use items::*;

// ---------------------------------------------------------------- who

/// Reading a commune's board: its own staff, the province's supervisor, system admins.
pub struct ReadinessReaders;
impl Policy for ReadinessReaders {
    const ROLES: &'static [Role] = &[
        Role::ReceptionOfficer,
        Role::Specialist,
        Role::Leader,
        Role::CommuneAdmin,
        Role::ProvinceSupervisor,
        Role::SystemAdmin,
    ];
}

/// Declaring a manual item: the commune's administrator.
pub struct ReadinessDeclarers;
impl Policy for ReadinessDeclarers {
    const ROLES: &'static [Role] = &[Role::CommuneAdmin];
}

/// Reviewing a declaration: the province's supervisor.
pub struct ReadinessReviewers;
impl Policy for ReadinessReviewers {
    const ROLES: &'static [Role] = &[Role::ProvinceSupervisor];
}

/// The province view and its configuration.
pub struct ProvinceReadiness;
impl Policy for ProvinceReadiness {
    const ROLES: &'static [Role] = &[Role::ProvinceSupervisor, Role::SystemAdmin];
}

fn commune_not_found() -> ApiError {
    ApiError::not_found("xã/phường", "Commune")
}

/// The commune, if the caller may see its board (else 404, as for any record out of scope).
fn visible_commune(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Commune> {
    let c = Commune::find(conn, code)?.ok_or_else(commune_not_found)?;
    if access::may_see(
        p,
        Resource::CommuneBoard,
        Place::commune(&c.code, &c.province_code),
    ) {
        Ok(c)
    } else {
        Err(commune_not_found())
    }
}

fn visible_province(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Province> {
    let not_found = || ApiError::not_found("tỉnh/thành phố", "Province");
    let pv = Province::find(conn, code)?.ok_or_else(not_found)?;
    if access::may_see(p, Resource::ProvinceBoard, Place::province(&pv.code)) {
        Ok(pv)
    } else {
        Err(not_found())
    }
}

/// A stored configuration, its version (0: none stored, defaults apply) and who set it when.
type StoredConfig = (ProvinceConfig, i64, Option<(String, NaiveDateTime)>);

/// A province's stored configuration.
fn load_config(conn: &mut DbConn, province: &str) -> ApiResult<StoredConfig> {
    match ConfigRow::find(conn, province)? {
        None => Ok((ProvinceConfig::default(), 0, None)),
        Some(r) => Ok((
            serde_json::from_str(&r.config)
                .map_err(|e| ApiError::internal(format!("stored readiness config: {e}")))?,
            r.version,
            Some((r.updated_by, r.updated_at)),
        )),
    }
}

// ---------------------------------------------------------------- live facts

/// The indicator numbers behind the threshold items, per commune of the scope, from the
/// indicator aggregates (`db::models::indicator`, the numbers the reports show): open
/// dossiers overdue at `to` (766 rule: past due while the clock runs or paused only after
/// the due date, or a second
/// supplement request), and over the dossiers received in the Vietnam days of `[from, to]`
/// their components and how many are digitized (not rejected on review), and their
/// resolved dossiers and how many have a digital result in force.
pub fn threshold_values(
    conn: &mut DbConn,
    scope: Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<BTreeMap<String, ThresholdValues>> {
    let mut out: BTreeMap<String, ThresholdValues> = BTreeMap::new();
    // Every open dossier, whenever it was received.
    let ever = NaiveDateTime::default();
    for r in agg::open_counts(conn, scope, ever, to, to)? {
        if r.overdue > 0 {
            out.entry(r.commune_code).or_default().overdue_open = r.overdue;
        }
    }
    let (first, last) = (local_date(from.and_utc()), local_date(to.and_utc()));
    for r in agg::counters_by_commune(conn, scope, first, last)? {
        let c = r.counters;
        if c.components == 0 && c.resolved == 0 {
            continue;
        }
        let t = out.entry(r.key).or_default();
        t.components_total = c.components;
        t.components_digitized = c.components_digitized;
        t.returned_total = c.resolved;
        t.returned_with_digital_result = c.results_digitized;
    }
    Ok(out)
}

/// Everything the automatic items need, per commune of the scope (communes without any
/// data are absent: their facts are all zero).
fn commune_facts(
    conn: &mut DbConn,
    scope: Scope,
    now: NaiveDateTime,
) -> QueryResult<BTreeMap<String, CommuneFacts>> {
    let thresholds = threshold_values(
        conn,
        scope,
        now - Duration::days(INDICATOR_WINDOW_DAYS),
        now,
    )?;
    let mut out: BTreeMap<String, CommuneFacts> = thresholds
        .into_iter()
        .map(|(c, t)| {
            (
                c,
                CommuneFacts {
                    thresholds: t,
                    ..Default::default()
                },
            )
        })
        .collect();
    service_facts(
        conn,
        scope,
        now - Duration::days(PAYMENT_WINDOW_DAYS),
        &mut out,
    )?;
    Ok(out)
}
