//! Appointment dates: processing times and the due date with its explanation.

use actix_web::{get, web};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::check_year;
use crate::api::problems::InvalidQuery;
use crate::domain::calendar::{DueDate, ProcessingTime, SkipReason};
use crate::error::{ApiError, ApiResult};
use crate::service::calendar as service;
use crate::state::AppState;

/// Unit of a statutory processing time.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Ngày làm việc.
    WorkingDays,
    /// Giờ làm việc.
    WorkingHours,
    /// Ngày (calendar days; an end on a non-working day moves to the next working day).
    CalendarDays,
    /// Tháng.
    CalendarMonths,
    /// Trong ngày, with a cut-off hour after which it is the next working day.
    SameDay,
}

/// A processing time as the API writes it.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
pub struct ProcessingTimeView {
    pub unit: TimeUnit,
    /// Amount of the unit (0 for `same_day`).
    pub value: u32,
    /// For `same_day`: received at or after this local time counts from the next working day.
    #[schema(value_type = Option<String>, example = "15:00")]
    pub cutoff: Option<NaiveTime>,
}

impl ProcessingTimeView {
    pub fn to_domain(&self) -> ProcessingTime {
        match self.unit {
            TimeUnit::WorkingDays => ProcessingTime::WorkingDays(self.value),
            TimeUnit::WorkingHours => ProcessingTime::WorkingHours(self.value),
            TimeUnit::CalendarDays => ProcessingTime::CalendarDays(self.value),
            TimeUnit::CalendarMonths => ProcessingTime::CalendarMonths(self.value),
            TimeUnit::SameDay => ProcessingTime::SameDay {
                cutoff: self
                    .cutoff
                    .unwrap_or_else(|| NaiveTime::from_hms_opt(15, 0, 0).expect("valid time")),
            },
        }
    }

    pub fn from_domain(t: &ProcessingTime) -> Self {
        let (unit, value, cutoff) = match *t {
            ProcessingTime::WorkingDays(v) => (TimeUnit::WorkingDays, v, None),
            ProcessingTime::WorkingHours(v) => (TimeUnit::WorkingHours, v, None),
            ProcessingTime::CalendarDays(v) => (TimeUnit::CalendarDays, v, None),
            ProcessingTime::CalendarMonths(v) => (TimeUnit::CalendarMonths, v, None),
            ProcessingTime::SameDay { cutoff } => (TimeUnit::SameDay, 0, Some(cutoff)),
        };
        ProcessingTimeView {
            unit,
            value,
            cutoff,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReasonView {
    Weekend,
    PublicHoliday,
    CompensatoryDayOff,
    GovernmentDayOff,
}

#[derive(Serialize, ToSchema)]
pub struct SkippedDayView {
    pub date: NaiveDate,
    pub reason: SkipReasonView,
    /// The holiday or decision, when there is one.
    pub name: Option<String>,
}

/// An appointment date and how it was reached, so an officer can explain it to a citizen.
#[derive(Serialize, ToSchema)]
pub struct DueDateView {
    pub received_at: DateTime<Utc>,
    /// First working instant at or after reception, from which time counts.
    pub clock_starts_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The appointment date in Vietnam (ngày hẹn trả).
    pub due_date: NaiveDate,
    pub processing_time: ProcessingTimeView,
    /// Non-working days not counted, with why.
    pub skipped: Vec<SkippedDayView>,
    /// The steps in Vietnamese.
    pub explanation: Vec<String>,
}

impl From<DueDate> for DueDateView {
    fn from(d: DueDate) -> Self {
        DueDateView {
            received_at: d.received_at,
            clock_starts_at: d.clock_starts_at,
            due_at: d.due_at,
            due_date: d.due_date,
            processing_time: ProcessingTimeView::from_domain(&d.processing_time),
            skipped: d
                .skipped
                .into_iter()
                .map(|s| SkippedDayView {
                    date: s.date,
                    reason: match s.reason {
                        SkipReason::Weekend => SkipReasonView::Weekend,
                        SkipReason::PublicHoliday => SkipReasonView::PublicHoliday,
                        SkipReason::CompensatoryDayOff => SkipReasonView::CompensatoryDayOff,
                        SkipReason::GovernmentDayOff => SkipReasonView::GovernmentDayOff,
                    },
                    name: s.name,
                })
                .collect(),
            explanation: d.explanation,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueDateQuery {
    /// National procedure code; its case's processing time (version in force at `received_at`) is used.
    pub procedure: Option<String>,
    /// Case code within the procedure (default: the procedure's only or first case).
    pub case: Option<String>,
    /// Instead of a procedure: a processing time unit…
    pub unit: Option<TimeUnit>,
    /// …and its amount.
    pub value: Option<u32>,
    /// …and, for `same_day`, the cut-off (`HH:MM`, default 15:00).
    #[param(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "15:00")]
    pub cutoff: Option<String>,
    /// Reception instant, RFC 3339 (default: now).
    pub received_at: Option<DateTime<Utc>>,
    /// Province (2 digits) whose day counting applies (Civil Code by default; a province
    /// may count 8 working hours a day by its own regulation).
    #[param(pattern = r"^[0-9]{2}$")]
    pub province: Option<String>,
}

/// Compute an appointment date, with the explanation.
///
/// Public. Give either `procedure` (and `case`) to use the catalog, or `unit` and `value`.
/// The answer lists every non-working day skipped and why, so an officer can tell a
/// citizen exactly how the date was reached.
#[utoipa::path(tag = "calendar", params(DueDateQuery), responses(
    (status = 200, body = DueDateView),
    InvalidQuery,
    (status = 404, description = "No such procedure or case", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Neither a procedure nor a unit and value", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/calendar/due-date")]
pub async fn due_date(
    state: web::Data<AppState>,
    q: web::Query<DueDateQuery>,
) -> ApiResult<web::Json<DueDateView>> {
    let q = q.into_inner();
    let received_at = q.received_at.unwrap_or_else(crate::clock::now);
    check_year(received_at.year())?;
    let direct = direct_time(&q)?;
    if direct.is_none() && q.procedure.is_none() {
        return Err(ApiError::invalid_field(
            "procedure",
            "Cần mã thủ tục, hoặc đơn vị và số lượng thời gian.",
            "Give a procedure code, or a unit and a value.",
        ));
    }
    let calendars = state.calendar.clone();
    let (calendar, time) = state
        .db(move |conn| {
            let calendar = service::calendar_for(conn, &calendars, q.province.as_deref())?;
            let time = match direct {
                Some(t) => t,
                None => service::procedure_processing_time(
                    conn,
                    q.procedure.as_deref().unwrap_or_default(),
                    q.case.as_deref(),
                    received_at,
                )?,
            };
            Ok((calendar, time))
        })
        .await?;
    Ok(web::Json(calendar.due(received_at, &time).into()))
}

/// The processing time given directly in the query (`unit`, `value`, `cutoff`), if any.
fn direct_time(q: &DueDateQuery) -> ApiResult<Option<ProcessingTime>> {
    Ok(match (q.unit, q.value) {
        (Some(unit), value) => {
            let cutoff = match q.cutoff.as_deref() {
                None => None,
                Some(c) => Some(NaiveTime::parse_from_str(c, "%H:%M").map_err(|_| {
                    ApiError::invalid_field(
                        "cutoff",
                        "Giờ chốt phải có dạng HH:MM.",
                        "The cut-off must be HH:MM.",
                    )
                })?),
            };
            if unit != TimeUnit::SameDay && value.is_none() {
                return Err(ApiError::invalid_field(
                    "value",
                    "Cần số lượng đơn vị thời gian.",
                    "A value is required.",
                ));
            }
            if value.is_some_and(|v| v > 3650) {
                return Err(ApiError::invalid_field(
                    "value",
                    "Thời hạn quá dài.",
                    "The processing time is too long.",
                ));
            }
            Some(
                ProcessingTimeView {
                    unit,
                    value: value.unwrap_or(0),
                    cutoff,
                }
                .to_domain(),
            )
        }
        (None, _) => None,
    })
}
