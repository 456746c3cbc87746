//! The government's calendar adjustments, and the working calendar built from them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{calendar_adjustments, holiday_rule_settings, province_day_counting};
use crate::db::DbConn;
use crate::domain::calendar::{Adjustment, AdjustmentKind, DayCounting, WorkCalendar};

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = calendar_adjustments)]
pub struct AdjustmentRow {
    pub day: NaiveDate,
    /// `day_off` or `working_day`.
    pub kind: String,
    pub name: String,
    pub legal_basis: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl AdjustmentRow {
    pub fn to_domain(&self) -> Adjustment {
        match self.kind.as_str() {
            "working_day" => Adjustment::working_day(self.day, self.name.clone()),
            _ => Adjustment::day_off(self.day, self.name.clone()),
        }
    }

    pub fn of_year(conn: &mut DbConn, year: i32) -> QueryResult<Vec<AdjustmentRow>> {
        let (from, to) = (
            NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
            NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
        );
        calendar_adjustments::table
            .filter(calendar_adjustments::day.between(from, to))
            .order(calendar_adjustments::day.asc())
            .select(AdjustmentRow::as_select())
            .load(conn)
    }

    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(calendar_adjustments::table)
            .values(self)
            .execute(conn)
            .map(|_| ())
    }

    pub fn delete(conn: &mut DbConn, day: NaiveDate) -> QueryResult<bool> {
        diesel::delete(calendar_adjustments::table.find(day))
            .execute(conn)
            .map(|n| n == 1)
    }
}

pub fn kind_str(kind: AdjustmentKind) -> &'static str {
    match kind {
        AdjustmentKind::DayOff => "day_off",
        AdjustmentKind::WorkingDay => "working_day",
    }
}

/// The working calendar with every stored adjustment (a small table: a few rows a year)
/// and the holiday rules an operator switched off, counting working days by the Civil Code.
pub fn load_calendar(conn: &mut DbConn) -> QueryResult<WorkCalendar> {
    let rows: Vec<AdjustmentRow> = calendar_adjustments::table
        .select(AdjustmentRow::as_select())
        .load(conn)?;
    let disabled: Vec<String> = holiday_rule_settings::table
        .filter(holiday_rule_settings::enabled.eq(false))
        .select(holiday_rule_settings::rule_id)
        .load(conn)?;
    Ok(WorkCalendar::default()
        .with_adjustments(rows.iter().map(AdjustmentRow::to_domain))
        .with_disabled_rules(disabled))
}

/// [`load_calendar`] with the day counting of a province (`province_day_counting`; the
/// Civil Code when the province has no row or an unknown value).
pub fn load_calendar_for(conn: &mut DbConn, province_code: &str) -> QueryResult<WorkCalendar> {
    let calendar = load_calendar(conn)?;
    let counting = province_day_counting::table
        .find(province_code)
        .select(province_day_counting::counting)
        .first::<String>(conn)
        .optional()?
        .and_then(|c| DayCounting::parse(&c))
        .unwrap_or_default();
    Ok(calendar.with_counting(counting))
}

/// A holiday rule switched on or off by an operator.
#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = holiday_rule_settings)]
pub struct HolidayRuleSetting {
    pub rule_id: String,
    pub enabled: bool,
    pub reason: String,
    pub changed_by: String,
    pub changed_at: NaiveDateTime,
}

impl HolidayRuleSetting {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<HolidayRuleSetting>> {
        holiday_rule_settings::table
            .select(HolidayRuleSetting::as_select())
            .load(conn)
    }

    /// Inserts or replaces the setting of its rule.
    pub fn save(&self, conn: &mut DbConn) -> QueryResult<()> {
        let updated = diesel::update(holiday_rule_settings::table.find(&self.rule_id))
            .set(self)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(holiday_rule_settings::table)
                .values(self)
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Sets a province's way of counting periods of days (replacing the previous setting).
/// `false` when there is no such province.
pub fn set_province_day_counting(
    conn: &mut DbConn,
    province: &str,
    counting: DayCounting,
    legal_basis: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    use crate::db::schema::provinces;
    let exists = provinces::table
        .find(province)
        .count()
        .get_result::<i64>(conn)?
        == 1;
    if !exists {
        return Ok(false);
    }
    diesel::delete(province_day_counting::table.find(province)).execute(conn)?;
    diesel::insert_into(province_day_counting::table)
        .values((
            province_day_counting::province_code.eq(province),
            province_day_counting::counting.eq(counting.as_str()),
            province_day_counting::legal_basis.eq(legal_basis),
            province_day_counting::changed_by.eq(by),
            province_day_counting::changed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// What changes whenever the calendar does: row counts and latest change instants of the
/// three tables it is built from. Adjustments are only inserted (stamped now) and deleted,
/// and settings are replaced with `changed_at = now`, so any change moves a count or a
/// maximum. One statement on tiny tables: cheap enough to ask every few seconds.
#[derive(QueryableByName, Clone, Debug, PartialEq, Eq)]
pub struct CalendarStamp {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    adjustments: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    adjusted_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rules: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    rules_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    countings: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    countings_at: Option<NaiveDateTime>,
}

pub fn calendar_stamp(conn: &mut DbConn) -> QueryResult<CalendarStamp> {
    diesel::sql_query(
        "SELECT (SELECT COUNT(*) FROM calendar_adjustments) AS adjustments, \
                (SELECT MAX(created_at) FROM calendar_adjustments) AS adjusted_at, \
                (SELECT COUNT(*) FROM holiday_rule_settings) AS rules, \
                (SELECT MAX(changed_at) FROM holiday_rule_settings) AS rules_at, \
                (SELECT COUNT(*) FROM province_day_counting) AS countings, \
                (SELECT MAX(changed_at) FROM province_day_counting) AS countings_at",
    )
    .get_result(conn)
}

/// Every province's day counting (at most one row per province).
pub fn all_day_countings(conn: &mut DbConn) -> QueryResult<Vec<(String, DayCounting)>> {
    let rows: Vec<(String, String)> = province_day_counting::table
        .select((
            province_day_counting::province_code,
            province_day_counting::counting,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(p, c)| (p, DayCounting::parse(&c).unwrap_or_default()))
        .collect())
}
