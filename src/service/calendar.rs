//! The legal working-day calendar's use cases: recording the government's decisions, and
//! the calendar and processing time an appointment date is computed with.

use chrono::NaiveTime;

use super::calendar_cache::CalendarCache;
use crate::db::models::calendar::AdjustmentRow;
use crate::db::DbConn;
use crate::domain::calendar::{ProcessingTime, WorkCalendar};
use crate::error::{ApiError, ApiResult};

/// Records a government decision for one date; a date that already has one is 409.
pub fn create_adjustment(conn: &mut DbConn, row: &AdjustmentRow) -> ApiResult<()> {
    row.insert(conn).map_err(|e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => ApiError::conflict(
            "calendar.date_taken",
            "Ngày này đã có quyết định điều chỉnh; xóa quyết định cũ trước.",
            "This date already has an adjustment; delete it first.",
        ),
        other => other.into(),
    })
}

/// The calendar deadlines are computed with: a province's (its day counting), else the
/// national default (from this instance's cache).
pub fn calendar_for(
    conn: &mut DbConn,
    calendars: &CalendarCache,
    province: Option<&str>,
) -> ApiResult<WorkCalendar> {
    calendars.get(conn, province)
}

/// The processing time of a procedure's case (its only or first case when `case` is
/// absent) in the version in force at `at`; 404 for an unknown procedure or case.
pub fn procedure_processing_time(
    conn: &mut DbConn,
    procedure: &str,
    case: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> ApiResult<ProcessingTime> {
    let version = crate::db::models::procedure::version_in_force_at(conn, procedure, at)?
        .ok_or_else(|| ApiError::not_found("thủ tục", "Procedure"))?;
    let cases = version.cases().map_err(ApiError::internal)?;
    let case = match case {
        Some(c) => cases.into_iter().find(|x| x.code == c),
        None => cases.into_iter().next(),
    }
    .ok_or_else(|| ApiError::not_found("trường hợp của thủ tục", "Procedure case"))?;
    Ok(case_processing_time(&version.field, &case.processing_time))
}

/// The calendar's processing time for a catalog case of a procedure in `field` (lĩnh
/// vực): a same-day case gets the 15:00 cut-off of the law for certification and civil
/// status, and 15:00 when the catalog gives none (`same_day_cutoff`).
pub fn case_processing_time(
    field: &str,
    t: &crate::domain::catalog::ProcessingTime,
) -> ProcessingTime {
    use crate::domain::catalog::TimeUnit as U;
    match t.unit {
        U::WorkingDays => ProcessingTime::WorkingDays(t.value),
        U::WorkingHours => ProcessingTime::WorkingHours(t.value),
        U::CalendarDays => ProcessingTime::CalendarDays(t.value),
        U::CalendarMonths => ProcessingTime::CalendarMonths(t.value),
        U::SameDay => ProcessingTime::SameDay {
            cutoff: crate::domain::calendar::same_day_cutoff(
                field,
                t.cutoff
                    .as_deref()
                    .and_then(|c| NaiveTime::parse_from_str(c, "%H:%M").ok()),
            ),
        },
    }
}
