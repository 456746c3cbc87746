//! The legal working-day calendar: holidays, government adjustments, appointment dates.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::ValidJson;
use crate::auth::roles::SystemAdmins;
use crate::auth::Authorized;
use crate::db::models::calendar::{
    kind_str, load_calendar, load_calendar_for, set_province_day_counting, AdjustmentRow,
    HolidayRuleSetting,
};
use crate::domain::calendar::{holiday_rule, DayCounting, HolidayRule, HOLIDAY_RULES};
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

// ---------------------------------------------------------------- holiday rules

/// A statutory holiday rule, its legal basis and whether it is on.
#[derive(Serialize, ToSchema)]
pub struct HolidayRuleView {
    #[schema(example = "culture_day")]
    pub id: String,
    #[schema(example = "Ngày Văn hóa Việt Nam")]
    pub name: String,
    /// The day(s), in words.
    pub days: String,
    pub legal_basis: String,
    /// First year the rule gives a day off (`null`: always).
    pub from_year: Option<i32>,
    /// Date the legal basis entered into force, if known.
    pub in_force_from: Option<NaiveDate>,
    /// The legal basis is still to be confirmed against the official text.
    pub to_confirm: bool,
    /// Whether deadlines count the rule's days as holidays.
    pub enabled: bool,
    /// Why an operator switched it on or off, and when.
    pub reason: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
}

fn rule_view(r: &HolidayRule, setting: Option<&HolidayRuleSetting>) -> HolidayRuleView {
    HolidayRuleView {
        id: r.id.to_string(),
        name: r.name.to_string(),
        days: r.days.to_string(),
        legal_basis: r.legal_basis.to_string(),
        from_year: (r.from_year != i32::MIN).then_some(r.from_year),
        in_force_from: r
            .in_force_from
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        to_confirm: r.to_confirm,
        enabled: setting.is_none_or(|s| s.enabled),
        reason: setting.map(|s| s.reason.clone()),
        changed_at: setting.map(|s| s.changed_at.and_utc()),
    }
}

/// Statutory holiday rules.
///
/// Public. The public holidays of the Labour Code as effective-dated rules with their legal
/// basis; `to_confirm` marks a rule whose basis was not checked against the official text
/// (24/11, Ngày Văn hóa Việt Nam, from 2026). A rule switched off (`enabled: false`) no
/// longer makes its days holidays in any deadline computed afterwards.
#[utoipa::path(tag = "calendar", responses(
    (status = 200, body = Vec<HolidayRuleView>),
))]
#[get("/calendar/holiday-rules")]
pub async fn list_holiday_rules(
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<HolidayRuleView>>> {
    let settings = state.db(|conn| Ok(HolidayRuleSetting::all(conn)?)).await?;
    Ok(web::Json(
        HOLIDAY_RULES
            .iter()
            .map(|r| rule_view(r, settings.iter().find(|s| s.rule_id == r.id)))
            .collect(),
    ))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false, "reason": "NQ 28/2026/QH16 chưa có hiệu lực theo văn bản chính thức"}))]
pub struct HolidayRuleChange {
    pub enabled: bool,
    /// Why (shown with the rule): 1–500 characters.
    #[validate(length(min = 1, max = 500))]
    pub reason: String,
}

/// Switch a statutory holiday rule on or off.
///
/// **Roles:** `system_admin`. Takes effect for every deadline computed afterwards, without a
/// release; dossiers already received keep the due date they were given.
#[utoipa::path(tag = "calendar", security(("bearer" = [])), request_body = HolidayRuleChange,
    params(("id" = String, Path, description = "Rule id, e.g. `culture_day`")),
    responses(
    (status = 200, body = HolidayRuleView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such rule", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/calendar/holiday-rules/{id}")]
pub async fn set_holiday_rule(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    id: web::Path<String>,
    body: ValidJson<HolidayRuleChange>,
) -> ApiResult<web::Json<HolidayRuleView>> {
    let rule = holiday_rule(&id)
        .ok_or_else(|| ApiError::not_found("quy tắc ngày nghỉ lễ", "Holiday rule"))?;
    let setting = HolidayRuleSetting {
        rule_id: rule.id.to_string(),
        enabled: body.0.enabled,
        reason: nfc(body.0.reason.trim()),
        changed_by: auth.user_id.clone(),
        changed_at: crate::clock::now().naive_utc(),
    };
    let saved = setting.clone();
    state.db_tx(move |conn| Ok(setting.save(conn)?)).await?;
    log::info!(
        "holiday rule {} enabled={} by {}",
        saved.rule_id,
        saved.enabled,
        auth.user_id
    );
    Ok(web::Json(rule_view(rule, Some(&saved))))
}

// ---------------------------------------------------------------- day counting

/// How a province counts periods of working days.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum DayCountingView {
    /// Civil Code 2015 Art. 147(2), 148(1): the day of reception is not counted; N working
    /// days end at closing time of the N-th working day after it (the default).
    CivilCode,
    /// 8 working hours a day counted from the reception instant, where a provincial
    /// regulation requires it.
    WorkingHours,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"counting": "working_hours", "legal_basis": "Quyết định số …/2025/QĐ-UBND tỉnh …"}))]
pub struct DayCountingChange {
    pub counting: DayCountingView,
    /// The provincial regulation that requires it (1–500 characters).
    #[validate(length(min = 1, max = 500))]
    pub legal_basis: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProvinceDayCountingView {
    pub province_code: String,
    pub counting: DayCountingView,
    pub legal_basis: Option<String>,
}

/// Set how a province counts periods of working days.
///
/// **Roles:** `system_admin`. The default is the Civil Code; `working_hours` is the
/// documented option for provinces whose regulation requires it. Applies to dossiers
/// received afterwards; due dates already given do not move.
#[utoipa::path(tag = "calendar", security(("bearer" = [])), request_body = DayCountingChange,
    params(("code" = String, Path, description = "Province code (2 digits)")),
    responses(
    (status = 200, body = ProvinceDayCountingView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such province", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/calendar/day-counting/{code}")]
pub async fn set_day_counting(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    code: web::Path<String>,
    body: ValidJson<DayCountingChange>,
) -> ApiResult<web::Json<ProvinceDayCountingView>> {
    let code = code.into_inner();
    let input = body.0;
    let counting = match input.counting {
        DayCountingView::CivilCode => DayCounting::CivilCode,
        DayCountingView::WorkingHours => DayCounting::WorkingHours,
    };
    let legal_basis = nfc(input.legal_basis.trim());
    let user = auth.user_id.clone();
    let (c, lb) = (code.clone(), legal_basis.clone());
    state
        .db_tx(move |conn| {
            let at = crate::clock::now().naive_utc();
            if !set_province_day_counting(conn, &c, counting, &lb, &user, at)? {
                return Err(ApiError::not_found("tỉnh", "Province"));
            }
            Ok(())
        })
        .await?;
    log::info!(
        "day counting of province {code} set to {} by {}",
        counting.as_str(),
        auth.user_id
    );
    Ok(web::Json(ProvinceDayCountingView {
        province_code: code,
        counting: input.counting,
        legal_basis: Some(legal_basis),
    }))
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
    /// Province (2 digits) whose day counting applies (Civil Code by default; a province
    /// may count 8 working hours a day by its own regulation).
    pub province: Option<String>,
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
            let calendar = match q.province.as_deref() {
                Some(p) => load_calendar_for(conn, p)?,
                None => load_calendar(conn)?,
            };
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
                    case_processing_time(&version.field, &case.processing_time)
                }
            };
            Ok((calendar, time))
        })
        .await?;
    Ok(web::Json(calendar.due(received_at, &time).into()))
}
