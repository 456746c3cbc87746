//! Vietnam's civil time (Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving).
//! Legal dates (effective dates, appointment dates) are days of this calendar.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+7, the offset of Asia/Ho_Chi_Minh.
pub fn vietnam_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The legal date in Vietnam at an instant.
pub fn vietnam_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&vietnam_offset()).date_naive()
}

/// Today in Vietnam.
pub fn vietnam_today() -> NaiveDate {
    vietnam_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_turns_at_17_00_utc() {
        let before = "2025-08-31T16:59:59Z".parse::<DateTime<Utc>>().unwrap();
        let after = "2025-08-31T17:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            vietnam_date(before),
            NaiveDate::from_ymd_opt(2025, 8, 31).unwrap()
        );
        assert_eq!(
            vietnam_date(after),
            NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()
        );
    }
}
