//! Holidays, the government's adjustments, statutory holiday rules and provinces' day
//! counting.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{check_year, YearQuery};
use crate::api::extract::ValidJson;
use crate::api::problems::{
    InvalidFields, InvalidQuery, JsonBody, NotAuthenticated, ProvinceNotFound, RoleNotAllowed,
};
use crate::auth::roles::SystemAdmins;
use crate::auth::Authorized;
use crate::db::models::calendar::{
    kind_str, set_province_day_counting, AdjustmentRow, HolidayRuleSetting,
};
use crate::domain::calendar::{holiday_rule, DayCounting, HolidayRule, HOLIDAY_RULES};
use crate::domain::calendar::{AdjustmentKind, HolidayKind};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

/// Holidays and days off of a year.
///
/// Public. Fixed-date holidays and Tết Nguyên Đán / Giỗ Tổ Hùng Vương computed from the
/// Vietnamese lunar calendar (UTC+7), their compensatory days, and the government's
/// adjustments for the year (extra days off, swapped working Saturdays).
#[utoipa::path(tag = "calendar", params(YearQuery), responses(
    (status = 200, body = HolidayList),
    InvalidQuery,
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
    let calendars = state.calendar.clone();
    let calendar = state.db(move |conn| calendars.get(conn, None)).await?;
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
    /// A day of 1900–2199 (the calendar's range).
    #[schema(pattern = r"^(19|20|21)[0-9]{2}-")]
    pub date: NaiveDate,
    pub kind: AdjustmentKindView,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    #[schema(max_length = 500)]
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
    InvalidQuery,
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
    JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 409, description = "The date already has a decision", body = crate::error::Problem, content_type = "application/problem+json"),
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
        .db_tx(move |conn| crate::service::calendar::create_adjustment(conn, &row))
        .await?;
    // Committed: this instance's next deadline uses it (others within their recheck).
    state.calendar.invalidate();
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
    NotAuthenticated, RoleNotAllowed,
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
    state.calendar.invalidate();
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
    #[schema(min_length = 1, max_length = 500)]
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
    JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 404, description = "No such rule", body = crate::error::Problem, content_type = "application/problem+json"),
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
    state.calendar.invalidate();
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
    #[schema(min_length = 1, max_length = 500)]
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
    JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields, ProvinceNotFound,
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
    state.calendar.invalidate();
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
