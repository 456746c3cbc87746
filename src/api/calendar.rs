//! The legal working-day calendar: holidays, government adjustments, appointment dates.

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::ValidJson;
use crate::auth::roles::SystemAdmins;
use crate::auth::Authorized;
use crate::db::models::calendar::{kind_str, load_calendar, AdjustmentRow};
use crate::domain::calendar::{AdjustmentKind, DueDate, HolidayKind, ProcessingTime, SkipReason};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Years the lunar computations support.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKindView {
    /// A Labour Code holiday (Art. 112), default days where the Prime Minister chooses.
    Public,
    /// Day off in compensation for a holiday that fell on a weekend.
    Compensatory,
    /// A day off decided by the government for the year.
    DayOff,
    /// A working day decided by the government (e.g. a swapped Saturday).
    WorkingDay,
}

#[derive(Serialize, ToSchema)]
pub struct HolidayView {
    #[schema(example = "2026-02-17")]
    pub date: NaiveDate,
    #[schema(example = "Tết Nguyên Đán")]
    pub name: String,
    pub kind: HolidayKindView,
}

#[derive(Serialize, ToSchema)]
pub struct HolidayList {
    pub year: i32,
    pub items: Vec<HolidayView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Calendar year (default: the current year in Vietnam).
    pub year: Option<i32>,
}

fn check_year(year: i32) -> ApiResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::invalid_field(
            "year",
            format!("Năm phải trong khoảng {}–{}.", YEARS.start(), YEARS.end()),
            format!("The year must be within {}–{}.", YEARS.start(), YEARS.end()),
        ))
    }
}

/// Holidays and days off of a year.
///
/// Public. Fixed-date holidays and Tết Nguyên Đán / Giỗ Tổ Hùng Vương computed from the
/// Vietnamese lunar calendar (UTC+7), their compensatory days, and the government's
/// adjustments for the year (extra days off, swapped working Saturdays).
#[utoipa::path(tag = "calendar", params(YearQuery), responses(
    (status = 200, body = HolidayList),
    (status = 400, description = "Invalid query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Year out of range", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/calendar/holidays")]
pub async fn holidays(
    state: web::Data<AppState>,
    q: web::Query<YearQuery>,
) -> ApiResult<web::Json<HolidayList>> {
    let year = check_year(q.year.unwrap_or_else(|| {
        crate::domain::calendar::local_date(crate::clock::now())
            .year_ce()
            .1 as i32
    }))?;
    let calendar = state.db(|conn| Ok(load_calendar(conn)?)).await?;
    let items = calendar
        .holidays(year)
        .into_iter()
        .map(|h| HolidayView {
            date: h.date,
            name: h.name,
            kind: match h.kind {
                HolidayKind::Public => HolidayKindView::Public,
                HolidayKind::Compensatory => HolidayKindView::Compensatory,
                HolidayKind::DayOff => HolidayKindView::DayOff,
                HolidayKind::WorkingDay => HolidayKindView::WorkingDay,
            },
        })
        .collect();
    Ok(web::Json(HolidayList { year, items }))
}

use chrono::Datelike;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKindView {
    DayOff,
    WorkingDay,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-02-16", "kind": "day_off", "name": "Nghỉ Tết Nguyên Đán",
    "legal_basis": "Thông báo số 6150/TB-BNV"}))]
pub struct NewAdjustment {
    pub date: NaiveDate,
    pub kind: AdjustmentKindView,
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    #[validate(length(max = 500))]
    pub legal_basis: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AdjustmentView {
    pub date: NaiveDate,
    pub kind: AdjustmentKindView,
    pub name: String,
    pub legal_basis: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AdjustmentRow> for AdjustmentView {
    fn from(r: AdjustmentRow) -> Self {
        AdjustmentView {
            date: r.day,
            kind: if r.kind == "working_day" {
                AdjustmentKindView::WorkingDay
            } else {
                AdjustmentKindView::DayOff
            },
            name: r.name,
            legal_basis: r.legal_basis,
            created_at: r.created_at.and_utc(),
        }
    }
}

/// The government's adjustments of a year.
///
/// Public.
#[utoipa::path(tag = "calendar", params(YearQuery), responses(
    (status = 200, body = Vec<AdjustmentView>),
    (status = 400, description = "Invalid query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Year out of range", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/calendar/adjustments")]
pub async fn list_adjustments(
    state: web::Data<AppState>,
    q: web::Query<YearQuery>,
) -> ApiResult<web::Json<Vec<AdjustmentView>>> {
    let year = check_year(
        q.year
            .unwrap_or_else(|| crate::domain::calendar::local_date(crate::clock::now()).year()),
    )?;
    let rows = state
        .db(move |conn| Ok(AdjustmentRow::of_year(conn, year)?))
        .await?;
    Ok(web::Json(
        rows.into_iter().map(AdjustmentView::from).collect(),
    ))
}

/// Record a government calendar decision for one date.
///
/// **Roles:** `system_admin`. A day off (extra holiday, bridge day) or a working day (a
/// Saturday worked in exchange). It applies to every deadline computed afterwards; dossiers
/// already received keep the due date they were given. One decision per date (409).
#[utoipa::path(tag = "calendar", security(("bearer" = [])), request_body = NewAdjustment, responses(
    (status = 201, body = AdjustmentView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The date already has a decision", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/calendar/adjustments")]
pub async fn create_adjustment(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    body: ValidJson<NewAdjustment>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    check_year(input.date.year())?;
    let row = AdjustmentRow {
        day: input.date,
        kind: kind_str(match input.kind {
            AdjustmentKindView::DayOff => AdjustmentKind::DayOff,
            AdjustmentKindView::WorkingDay => AdjustmentKind::WorkingDay,
        })
        .to_string(),
        name: nfc(input.name.trim()),
        legal_basis: input.legal_basis.map(|s| nfc(s.trim())),
        created_by: auth.user_id.clone(),
        created_at: crate::clock::now().naive_utc(),
    };
    let saved = row.clone();
    state
        .db_tx(move |conn| {
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
        })
        .await?;
    log::info!(
        "calendar adjustment {} {} by {}",
        saved.day,
        saved.kind,
        auth.user_id
    );
    Ok(HttpResponse::Created().json(AdjustmentView::from(saved)))
}

/// Remove a government calendar decision.
///
/// **Roles:** `system_admin`.
#[utoipa::path(tag = "calendar", security(("bearer" = [])), params(("date" = NaiveDate, Path, description = "YYYY-MM-DD")), responses(
    (status = 204, description = "Removed"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No decision for that date", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[delete("/calendar/adjustments/{date}")]
pub async fn delete_adjustment(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    date: web::Path<NaiveDate>,
) -> ApiResult<HttpResponse> {
    let day = date.into_inner();
    let removed = state
        .db_tx(move |conn| Ok(AdjustmentRow::delete(conn, day)?))
        .await?;
    if !removed {
        return Err(ApiError::not_found(
            "quyết định điều chỉnh lịch",
            "Calendar adjustment",
        ));
    }
    log::info!("calendar adjustment {day} removed by {}", auth.user_id);
    Ok(HttpResponse::NoContent().finish())
}

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

/// The calendar's processing time for a catalog case.
pub fn case_processing_time(t: &crate::domain::catalog::ProcessingTime) -> ProcessingTime {
    use crate::domain::catalog::TimeUnit as U;
    match t.unit {
        U::WorkingDays => ProcessingTime::WorkingDays(t.value),
        U::WorkingHours => ProcessingTime::WorkingHours(t.value),
        U::CalendarDays => ProcessingTime::CalendarDays(t.value),
        U::SameDay => ProcessingTime::SameDay {
            cutoff: t
                .cutoff
                .as_deref()
                .and_then(|c| NaiveTime::parse_from_str(c, "%H:%M").ok())
                .unwrap_or_else(|| NaiveTime::from_hms_opt(17, 0, 0).expect("valid time")),
        },
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
    pub cutoff: Option<String>,
    /// Reception instant, RFC 3339 (default: now).
    pub received_at: Option<DateTime<Utc>>,
}

/// Compute an appointment date, with the explanation.
///
/// Public. Give either `procedure` (and `case`) to use the catalog, or `unit` and `value`.
/// The answer lists every non-working day skipped and why, so an officer can tell a
/// citizen exactly how the date was reached.
#[utoipa::path(tag = "calendar", params(DueDateQuery), responses(
    (status = 200, body = DueDateView),
    (status = 400, description = "Invalid query", body = crate::error::Problem, content_type = "application/problem+json"),
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
    let direct = match (q.unit, q.value) {
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
    };
    if direct.is_none() && q.procedure.is_none() {
        return Err(ApiError::invalid_field(
            "procedure",
            "Cần mã thủ tục, hoặc đơn vị và số lượng thời gian.",
            "Give a procedure code, or a unit and a value.",
        ));
    }
    let (calendar, time) = state
        .db(move |conn| {
            let calendar = load_calendar(conn)?;
            let time = match direct {
                Some(t) => t,
                None => {
                    let code = q.procedure.unwrap_or_default();
                    let version = crate::db::models::procedure::version_in_force_at(
                        conn,
                        &code,
                        received_at,
                    )?
                    .ok_or_else(|| ApiError::not_found("thủ tục", "Procedure"))?;
                    let cases = version.cases().map_err(ApiError::internal)?;
                    let case = match &q.case {
                        Some(c) => cases.into_iter().find(|x| &x.code == c),
                        None => cases.into_iter().next(),
                    }
                    .ok_or_else(|| {
                        ApiError::not_found("trường hợp của thủ tục", "Procedure case")
                    })?;
                    case_processing_time(&case.processing_time)
                }
            };
            Ok((calendar, time))
        })
        .await?;
    Ok(web::Json(calendar.due(received_at, &time).into()))
}
