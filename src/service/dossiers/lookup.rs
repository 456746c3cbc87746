//! Finding dossiers: who may see which, one by code, and the filtered list.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::access::{self, Place, Resource};
use crate::auth::Principal;
use crate::db::models::dossier::{Dossier, DossierEvent};
use crate::db::schema::dossiers;
use crate::db::DbConn;
use crate::domain::dossier::Channel;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::text::fold;
use crate::error::{ApiError, ApiResult};
use crate::service::keyset::Keyset;

/// Whether the caller may see a dossier at all. Anything else is answered 404, as if it
/// did not exist, so that codes of other communes cannot be probed.
pub fn can_see(p: &Principal, d: &Dossier) -> bool {
    access::may_see(p, Resource::Dossier, dossier_place(d))
}

/// Where a dossier sits, for the access rules.
pub fn dossier_place(d: &Dossier) -> Place<'_> {
    Place::commune(&d.commune_code, &d.province_code).owned(d.owner_user_id.as_deref())
}

pub(crate) fn dossier_not_found() -> ApiError {
    ApiError::not_found("hồ sơ", "Dossier")
}

/// Loads a dossier the caller may see, or 404.
pub fn load_visible(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Dossier> {
    Dossier::find_by_code(conn, code)?
        .filter(|d| can_see(p, d))
        .ok_or_else(dossier_not_found)
}

/// The name of a dossier's procedure version (from memory after the first read).
pub fn procedure_name(conn: &mut DbConn, version_id: &str) -> ApiResult<String> {
    Ok(
        crate::service::procedures::version_names(conn, &[version_id])?
            .remove(version_id)
            .unwrap_or_default(),
    )
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct DossierFilter {
    pub status: Option<Status>,
    pub procedure_code: Option<String>,
    pub channel: Option<Channel>,
    /// `me` or an account id.
    pub assignee: Option<String>,
    /// Commune (for province supervisors, portal clients and system admins).
    pub commune_code: Option<String>,
    /// Received on or after this Vietnam date.
    pub received_from: Option<NaiveDate>,
    /// Received on or before this Vietnam date.
    pub received_to: Option<NaiveDate>,
    /// Only unfinished dossiers past their due instant (clock not paused).
    pub overdue: Option<bool>,
    /// Only unfinished dossiers due within this many working days (1–60).
    pub due_within_days: Option<u32>,
    /// Dossier code, applicant ID number, or applicant name (accent-insensitive).
    pub q: Option<String>,
}

fn local_day_start(day: NaiveDate) -> NaiveDateTime {
    // 00:00 in Vietnam is 17:00 UTC the day before.
    day.and_hms_opt(0, 0, 0).expect("midnight") - chrono::Duration::hours(7)
}

/// One page of dossiers the caller may see, newest first, with the names of their
/// procedure versions. `limit + 1` rows are read: the extra one tells that a next page exists.
pub struct Listed {
    pub rows: Vec<Dossier>,
    pub names: std::collections::HashMap<String, String>,
}

/// The dossiers matching `f` in the caller's scope, after the cursor `after`.
pub fn list(
    conn: &mut DbConn,
    p: &Principal,
    f: DossierFilter,
    after: Option<Keyset>,
    limit: i64,
    calendars: &crate::service::calendar_cache::CalendarCache,
) -> ApiResult<Listed> {
    if f.due_within_days.is_some_and(|n| n == 0 || n > 60) {
        return Err(ApiError::invalid_field(
            "due_within_days",
            "Từ 1 đến 60 ngày làm việc.",
            "Between 1 and 60 working days.",
        ));
    }
    let now = crate::clock::now();
    let mut q = dossiers::table.select(Dossier::as_select()).into_boxed();
    // Scope first: it is also the leading column of every index.
    q = crate::scope_filter!(
        q,
        access::scope(p, Resource::Dossier),
        commune = dossiers::commune_code,
        province = dossiers::province_code,
        owner = dossiers::owner_user_id,
    );
    if let Some(c) = f.commune_code {
        q = q.filter(dossiers::commune_code.eq(c));
    }
    if let Some(s) = f.status {
        q = q.filter(dossiers::status.eq(s));
    }
    if let Some(pc) = f.procedure_code {
        q = q.filter(dossiers::procedure_code.eq(pc));
    }
    if let Some(ch) = f.channel {
        q = q.filter(dossiers::channel.eq(ch));
    }
    if let Some(a) = f.assignee {
        let id = if a == "me" { p.user_id.clone() } else { a };
        q = q.filter(dossiers::assignee_id.eq(id));
    }
    if let Some(from) = f.received_from {
        q = q.filter(dossiers::received_at.ge(local_day_start(from)));
    }
    if let Some(to) = f.received_to {
        q = q.filter(dossiers::received_at.lt(local_day_start(to + chrono::Duration::days(1))));
    }
    if f.overdue == Some(true) {
        q = q
            .filter(dossiers::finished_at.is_null())
            .filter(dossiers::paused_at.is_null())
            .filter(dossiers::due_at.lt(now.naive_utc()));
    }
    if let Some(n) = f.due_within_days {
        let calendar = calendars.get(conn, None)?;
        let limit_at =
            calendar.add_working_minutes(now, i64::from(n) * calendar.hours.daily_minutes());
        q = q
            .filter(dossiers::finished_at.is_null())
            .filter(dossiers::due_at.ge(now.naive_utc()))
            .filter(dossiers::due_at.le(limit_at.naive_utc()));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.matches('-').count() >= 2 {
            q = q.filter(dossiers::code.eq(text.to_uppercase()));
        } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            q = q.filter(dossiers::applicant_id_number.eq(text.to_string()));
        } else {
            let pattern = crate::db::like_contains(text, &fold(text));
            q = q.filter(
                dossiers::search_key
                    .like(pattern)
                    .escape(crate::db::LIKE_ESCAPE),
            );
        }
    }
    if let Some(Keyset(at, id)) = after {
        // `submitted_at <= at` alone bounds the index range, so a deep page starts
        // where the previous one ended instead of scanning every row before it
        // (an OR at the top level hides that bound from SQLite's planner).
        q = q
            .filter(dossiers::submitted_at.le(at))
            .filter(dossiers::submitted_at.lt(at).or(dossiers::id.lt(id)));
    }
    let rows: Vec<Dossier> = q
        .order((dossiers::submitted_at.desc(), dossiers::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    // Names of the few versions on this page: from memory, one query for any not seen yet.
    let ids: Vec<&str> = rows
        .iter()
        .map(|d| d.procedure_version_id.as_str())
        .collect();
    let names = crate::service::procedures::version_names(conn, &ids)?;
    Ok(Listed { rows, names })
}

/// A dossier the caller may see, with its procedure's name: one query once the name is in
/// memory (the view computes its deadline parts from the row and the clock alone).
pub fn read(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<(Dossier, String)> {
    let d = load_visible(conn, p, code)?;
    let name = procedure_name(conn, &d.procedure_version_id)?;
    Ok((d, name))
}

/// The history of a dossier the caller may see, oldest first, with the dossier.
pub fn history(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
) -> ApiResult<(Dossier, Vec<DossierEvent>)> {
    let d = load_visible(conn, p, code)?;
    let events = DossierEvent::for_dossier(conn, &d.id)?;
    Ok((d, events))
}

/// The dossier the national portal pushed under its own reference, if any.
pub fn by_portal_reference(conn: &mut DbConn, reference: &str) -> ApiResult<Option<Dossier>> {
    Ok(dossiers::table
        .filter(dossiers::portal_reference.eq(reference))
        .select(Dossier::as_select())
        .first(conn)
        .optional()?)
}

/// The reception receipt of a dossier the caller may see, with the dossier.
pub fn receipt(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
) -> ApiResult<(Dossier, super::view::Receipt)> {
    let d = load_visible(conn, p, code)?;
    let receipt = super::view::receipt_of(conn, &d)?;
    Ok((d, receipt))
}
