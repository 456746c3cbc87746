//! Vietnam's legal working-day calendar and deadline arithmetic (ngày hẹn trả kết quả).
//!
//! - [`lunar`]: the Vietnamese lunar calendar (Tết and Giỗ Tổ are lunar dates).
//! - [`holidays`]: public holidays (Labour Code 2019 Art. 112), compensatory days
//!   (Art. 111(3)), the government's yearly adjustments, and [`WorkCalendar`].
//! - [`deadline`]: working hours, processing times, due dates, supplement pauses.
//!
//! Every legal date is a date in Vietnam, UTC+7 all year (no daylight saving since
//! 1975). Instants go in and out as `DateTime<Utc>`; dates (`NaiveDate`) are Vietnamese
//! local dates. [`to_local`] and [`from_local`] are the only conversions used.
//!
//! Conventions (details on each item):
//! - Periods of working days follow the Civil Code 2015 (Art. 147(2), 148(1)): the day of
//!   reception is not counted and the period ends at closing time of its last working day
//!   ([`DayCounting::CivilCode`]); the per-province option [`DayCounting::WorkingHours`]
//!   counts one working day as the configured daily working time (480 minutes by default:
//!   07:00–11:30, 13:30–17:00) from the reception instant, as much one-stop software does.
//! - The clock starts at the first working instant at or after reception: before opening
//!   → opening; during lunch → afternoon start; after closing or on a non-working day →
//!   next working morning.
//! - A due instant that lands exactly on the end of a working interval stays there
//!   (3 working days from Monday 07:00 end Wednesday 17:00, not Thursday 07:00).
//! - A due instant is never on a non-working day and always within working hours
//!   (interval ends included).

pub mod deadline;
pub mod holidays;
pub mod lunar;

pub use self::deadline::{
    same_day_cutoff, same_day_legal_cutoff, DayCounting, DueDate, InvalidWorkingHours,
    ProcessingTime, SkipReason, SkippedDay, WorkingHours, MAX_PROCESSING_DAYS,
};
pub use self::holidays::{
    government_decisions_2026, holiday_rule, statutory_holidays, statutory_holidays_with,
    Adjustment, AdjustmentKind, DayKind, Holiday, HolidayKind, HolidayRule, WorkCalendar,
    HOLIDAY_RULES,
};
pub use self::lunar::{lunar_to_solar, solar_to_lunar, LunarDate};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, Utc};

/// Vietnam's offset from UTC, in seconds (UTC+7, Indochina Time).
pub const VIETNAM_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

/// Vietnam's time zone as a chrono offset.
pub fn vietnam_offset() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_UTC_OFFSET_SECONDS).expect("UTC+7 is a valid offset")
}

/// Vietnamese wall-clock time of an instant (`None` only at the very end of chrono's range).
pub fn to_local(t: DateTime<Utc>) -> Option<NaiveDateTime> {
    t.naive_utc()
        .checked_add_signed(TimeDelta::seconds(i64::from(VIETNAM_UTC_OFFSET_SECONDS)))
}

/// The instant of a Vietnamese wall-clock time (`None` only at the very start of chrono's
/// range).
pub fn from_local(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    t.checked_sub_signed(TimeDelta::seconds(i64::from(VIETNAM_UTC_OFFSET_SECONDS)))
        .map(|n| n.and_utc())
}

/// The Vietnamese date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&vietnam_offset()).date_naive()
}

/// Today in Vietnam.
pub fn today() -> NaiveDate {
    local_date(crate::clock::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_conversions() {
        let t = Utc.with_ymd_and_hms(2025, 1, 3, 17, 30, 0).unwrap();
        let local = to_local(t).unwrap();
        assert_eq!(local.to_string(), "2025-01-04 00:30:00");
        assert_eq!(local_date(t), NaiveDate::from_ymd_opt(2025, 1, 4).unwrap());
        assert_eq!(from_local(local), Some(t));
        assert_eq!(to_local(DateTime::<Utc>::MAX_UTC), None);
        assert_eq!(from_local(NaiveDateTime::MIN), None);
    }
}
