//! Vietnamese lunisolar calendar (âm lịch).
//!
//! Two public holidays of the Labour Code 2019 (Art. 112(1)(b) Tết Âm lịch and (1)(c)
//! Giỗ Tổ Hùng Vương, 10/3 âm lịch) are lunar dates, so the working-day calendar needs a
//! lunar → solar conversion.
//!
//! This is Hồ Ngọc Đức's astronomical algorithm ("Âm lịch Việt Nam", the reference
//! implementation used by most Vietnamese software): mean new moons corrected with the
//! main periodic terms (Meeus, *Astronomical Algorithms*), the sun's apparent longitude
//! to find the month that contains the winter solstice (month 11) and the first month
//! without a principal term (the leap month), all evaluated at **UTC+7**. The time zone
//! matters: the Vietnamese calendar has used the meridian 105°E since 1968, and in some
//! years a new moon falls just before midnight in Hà Nội but after midnight in Beijing,
//! which makes the two calendars differ (e.g. Tết 1985 is 21 January in Việt Nam but
//! 20 February in China; Tết 2007 is 17 February in Việt Nam, 18 February in China).
//!
//! The algorithm's precision is stated for 1800–2199; [`lunar_to_solar`] answers `None`
//! outside [`SUPPORTED_YEARS`]. Gregorian dates are proleptic (chrono's convention).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::ops::RangeInclusive;

/// Lunar years for which conversions are answered: the accuracy range of the algorithm.
pub const SUPPORTED_YEARS: RangeInclusive<i32> = 1800..=2199;

/// Time zone of the Vietnamese calendar, in hours east of UTC (meridian 105°E).
const VIETNAM_TZ_HOURS: f64 = 7.0;

/// Mean length of a synodic month, in days.
const SYNODIC_MONTH: f64 = 29.530588853;

/// Julian day number of the new moon of 1900-01-01 used as epoch `k = 0`.
const NEW_MOON_EPOCH: f64 = 2415021.076998695;

/// Difference between a Julian day number and chrono's `num_days_from_ce`.
const JDN_MINUS_CE_DAYS: i64 = 1_721_425;

/// A date of the Vietnamese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LunarDate {
    /// Lunar year, numbered like the solar year in which its first month begins.
    pub year: i32,
    /// 1–12.
    pub month: u32,
    /// 1–30.
    pub day: u32,
    /// True for the intercalary (nhuận) month that repeats `month`.
    pub leap: bool,
}

/// The solar date of a lunar date, or `None` when the lunar date does not exist (month out
/// of 1–12, day beyond the month's 29 or 30 days, `leap` for a month that is not leap that
/// year) or the year is outside [`SUPPORTED_YEARS`].
pub fn lunar_to_solar(year: i32, month: u32, day: u32, leap: bool) -> Option<NaiveDate> {
    lunar_to_solar_tz(year, month, day, leap, VIETNAM_TZ_HOURS)
}

/// The lunar date of a solar date. Dates far outside [`SUPPORTED_YEARS`] still get an
/// answer, of decreasing accuracy.
pub fn solar_to_lunar(date: NaiveDate) -> LunarDate {
    solar_to_lunar_tz(date, VIETNAM_TZ_HOURS)
}

/// The number of days (29 or 30) of a lunar month, `None` when it does not exist.
pub fn lunar_month_length(year: i32, month: u32, leap: bool) -> Option<u32> {
    let (k, start) = month_start(year, month, leap, VIETNAM_TZ_HOURS)?;
    let next = new_moon_day(k + 1, VIETNAM_TZ_HOURS);
    u32::try_from(next - start).ok()
}

/// The leap month of a lunar year (the month number it repeats), if the year has one.
pub fn leap_month(year: i32) -> Option<u32> {
    if !SUPPORTED_YEARS.contains(&year) {
        return None;
    }
    (1..=12).find(|&m| month_start(year, m, true, VIETNAM_TZ_HOURS).is_some())
}

pub(super) fn lunar_to_solar_tz(
    year: i32,
    month: u32,
    day: u32,
    leap: bool,
    tz: f64,
) -> Option<NaiveDate> {
    if !(1..=30).contains(&day) {
        return None;
    }
    let (k, start) = month_start(year, month, leap, tz)?;
    let next = new_moon_day(k + 1, tz);
    let jd = start + i64::from(day) - 1;
    if jd >= next {
        return None; // day 30 of a 29-day month
    }
    jdn_to_date(jd)
}

pub(super) fn solar_to_lunar_tz(date: NaiveDate, tz: f64) -> LunarDate {
    let day_number = date_to_jdn(date);
    let yy = date.year();
    // The lunar month holding the day starts at the last new moon on or before it. The
    // mean-month estimate of k can be one month off when a new moon falls next to local
    // midnight (e.g. 2054-05-07), so walk until new_moon_day(k) <= day < new_moon_day(k+1).
    let mut k = ((day_number as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH).floor() as i64 + 1;
    while new_moon_day(k, tz) > day_number {
        k -= 1;
    }
    while new_moon_day(k + 1, tz) <= day_number {
        k += 1;
    }
    let month_start = new_moon_day(k, tz);
    let mut a11 = lunar_month_11(yy, tz);
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        a11 = lunar_month_11(yy - 1, tz);
    } else {
        lunar_year = yy + 1;
        b11 = lunar_month_11(yy + 1, tz);
    }
    let lunar_day = (day_number - month_start + 1) as u32;
    let diff = (month_start - a11).div_euclid(29);
    let mut leap = false;
    let mut lunar_month = diff + 11;
    if b11 - a11 > 365 {
        let leap_month_diff = leap_month_offset(a11, tz);
        if diff >= leap_month_diff {
            lunar_month = diff + 10;
            if diff == leap_month_diff {
                leap = true;
            }
        }
    }
    if lunar_month > 12 {
        lunar_month -= 12;
    }
    if lunar_month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    LunarDate {
        year: lunar_year,
        month: lunar_month as u32,
        day: lunar_day,
        leap,
    }
}

/// The new-moon index and Julian day number of the first day of a lunar month, `None`
/// if the month does not exist.
fn month_start(year: i32, month: u32, leap: bool, tz: f64) -> Option<(i64, i64)> {
    if !SUPPORTED_YEARS.contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    // Months 11 and 12 belong to the lunar year that began in `year` but lie in the
    // solar year after the winter solstice of `year`.
    let (a11, b11) = if month < 11 {
        (lunar_month_11(year - 1, tz), lunar_month_11(year, tz))
    } else {
        (lunar_month_11(year, tz), lunar_month_11(year + 1, tz))
    };
    let k = ((a11 as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH + 0.5).floor() as i64;
    let mut off = i64::from(month) - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        // 13 months between two winter solstices: one of them is leap.
        let leap_off = leap_month_offset(a11, tz);
        let mut leap_month = leap_off - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if leap && i64::from(month) != leap_month {
            return None;
        }
        if leap || off >= leap_off {
            off += 1;
        }
    } else if leap {
        return None;
    }
    Some((k + off, new_moon_day(k + off, tz)))
}

/// Julian day number of a (proleptic Gregorian) date.
fn date_to_jdn(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) + JDN_MINUS_CE_DAYS
}

fn jdn_to_date(jd: i64) -> Option<NaiveDate> {
    let days = i32::try_from(jd - JDN_MINUS_CE_DAYS).ok()?;
    NaiveDate::from_num_days_from_ce_opt(days)
}

/// Julian day number (local to `tz`) of the k-th new moon after the epoch.
fn new_moon_day(k: i64, tz: f64) -> i64 {
    (new_moon(k) + 0.5 + tz / 24.0).floor() as i64
}

/// Julian date (UTC) of the k-th new moon after 1900-01-01 (Meeus, ch. 49, truncated).
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3;
    jd1 += 0.00033 * ((166.56 + 132.87 * t - 0.009173 * t2) * dr).sin();
    let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3; // sun's mean anomaly
    let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3; // moon's mean anomaly
    let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3; // moon's argument of latitude
    let mut c1 = (0.1734 - 0.000393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let deltat = if t < -11.0 {
        0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    } else {
        -0.000278 + 0.000265 * t + 0.000262 * t2
    };
    jd1 + c1 - deltat
}

/// The sun's apparent longitude in radians, 0..2π, at Julian date `jdn` (UTC).
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2451545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
    let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
    let mut dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * (dr * m).sin();
    dl += (0.019993 - 0.000101 * t) * (dr * 2.0 * m).sin() + 0.000290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - 2.0 * PI * (l / (2.0 * PI)).floor()
}

/// Index 0–11 of the 30° sector of the sun's longitude at the start of local day `jdn`.
fn sun_longitude_sector(day_number: i64, tz: f64) -> i64 {
    (sun_longitude(day_number as f64 - 0.5 - tz / 24.0) / PI * 6.0).floor() as i64
}

/// Julian day number of the first day of month 11 (the month holding the winter
/// solstice) of solar year `yy`.
fn lunar_month_11(yy: i32, tz: f64) -> i64 {
    let dec31 = jdn_from_ymd(i64::from(yy), 12, 31);
    let off = (dec31 - 2415021) as f64;
    let k = (off / SYNODIC_MONTH).floor() as i64;
    let nm = new_moon_day(k, tz);
    if sun_longitude_sector(nm, tz) >= 9 {
        new_moon_day(k - 1, tz)
    } else {
        nm
    }
}

/// Offset, in months after month 11 at `a11`, of the leap month: the first month that
/// contains no principal solar term.
fn leap_month_offset(a11: i64, tz: f64) -> i64 {
    let k = ((a11 as f64 - NEW_MOON_EPOCH) / SYNODIC_MONTH + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_longitude_sector(new_moon_day(k + i, tz), tz);
    loop {
        let last = arc;
        i += 1;
        arc = sun_longitude_sector(new_moon_day(k + i, tz), tz);
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// Julian day number of a proleptic Gregorian date, for any year (no chrono range limit).
fn jdn_from_ymd(yy: i64, mm: i64, dd: i64) -> i64 {
    let a = (14 - mm) / 12;
    let y = yy + 4800 - a;
    let m = mm + 12 * a - 3;
    dd + (153 * m + 2) / 5 + 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)
        - 32045
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn jdn_matches_chrono() {
        for date in [d(2000, 1, 1), d(1900, 1, 1), d(2199, 12, 31), d(1800, 3, 1)] {
            assert_eq!(
                date_to_jdn(date),
                jdn_from_ymd(
                    i64::from(date.year()),
                    i64::from(date.month()),
                    i64::from(date.day())
                )
            );
        }
        assert_eq!(date_to_jdn(d(2000, 1, 1)), 2_451_545);
        assert_eq!(jdn_to_date(2_451_545), Some(d(2000, 1, 1)));
    }

    /// Tết Nguyên Đán (lunar 1/1) as published in Vietnamese calendars.
    const TET: &[(i32, (i32, u32, u32))] = &[
        (1985, (1985, 1, 21)), // differs from China (1985-02-20)
        (2007, (2007, 2, 17)), // differs from China (2007-02-18)
        (2020, (2020, 1, 25)),
        (2021, (2021, 2, 12)),
        (2022, (2022, 2, 1)),
        (2023, (2023, 1, 22)),
        (2024, (2024, 2, 10)),
        (2025, (2025, 1, 29)),
        (2026, (2026, 2, 17)),
        (2027, (2027, 2, 6)),
        (2028, (2028, 1, 26)),
        (2029, (2029, 2, 13)),
        // Often listed as 3 February, which is the Chinese date: the new moon is at
        // 16:07 UTC on 2 February, i.e. 23:07 in Hà Nội and 00:07 in Beijing.
        (2030, (2030, 2, 2)),
    ];

    #[test]
    fn tet_dates() {
        for &(year, (y, m, day)) in TET {
            let expected = d(y, m, day);
            assert_eq!(
                lunar_to_solar(year, 1, 1, false),
                Some(expected),
                "Tết {year}"
            );
            assert_eq!(
                solar_to_lunar(expected),
                LunarDate {
                    year,
                    month: 1,
                    day: 1,
                    leap: false
                },
                "Tết {year}"
            );
        }
    }

    #[test]
    fn china_differs_in_1985_and_2007() {
        // The same algorithm at UTC+8 gives the Chinese dates: the difference is the
        // time zone, not a bug.
        assert_eq!(
            lunar_to_solar_tz(1985, 1, 1, false, 8.0),
            Some(d(1985, 2, 20))
        );
        assert_eq!(
            lunar_to_solar_tz(2007, 1, 1, false, 8.0),
            Some(d(2007, 2, 18))
        );
        assert_eq!(
            lunar_to_solar_tz(2030, 1, 1, false, 8.0),
            Some(d(2030, 2, 3))
        );
    }

    #[test]
    fn gio_to_dates() {
        for (year, expected) in [
            (2023, d(2023, 4, 29)),
            (2024, d(2024, 4, 18)),
            (2025, d(2025, 4, 7)),
            (2026, d(2026, 4, 26)),
        ] {
            assert_eq!(
                lunar_to_solar(year, 3, 10, false),
                Some(expected),
                "Giỗ Tổ {year}"
            );
        }
    }

    #[test]
    fn other_known_dates() {
        // Tết Trung thu (15/8) 2024 and 2025.
        assert_eq!(lunar_to_solar(2024, 8, 15, false), Some(d(2024, 9, 17)));
        assert_eq!(lunar_to_solar(2025, 8, 15, false), Some(d(2025, 10, 6)));
        // Rằm tháng Giêng 2025.
        assert_eq!(lunar_to_solar(2025, 1, 15, false), Some(d(2025, 2, 12)));
    }

    #[test]
    fn leap_months() {
        // 2020: leap 4th month; 2023: leap 2nd; 2025: leap 6th; 2028: leap 5th.
        assert_eq!(leap_month(2020), Some(4));
        assert_eq!(leap_month(2023), Some(2));
        assert_eq!(leap_month(2025), Some(6));
        assert_eq!(leap_month(2028), Some(5));
        assert_eq!(leap_month(2024), None);
        assert_eq!(leap_month(2026), None);
        assert_eq!(lunar_to_solar(2025, 6, 1, true), Some(d(2025, 7, 25)));
        assert_eq!(lunar_to_solar(2025, 6, 1, false), Some(d(2025, 6, 25)));
        assert_eq!(lunar_to_solar(2025, 7, 1, false), Some(d(2025, 8, 23)));
        assert_eq!(lunar_to_solar(2023, 2, 1, true), Some(d(2023, 3, 22)));
        assert_eq!(lunar_to_solar(2020, 4, 1, true), Some(d(2020, 5, 23)));
        assert_eq!(
            solar_to_lunar(d(2025, 7, 25)),
            LunarDate {
                year: 2025,
                month: 6,
                day: 1,
                leap: true
            }
        );
        // A leap flag for a month that is not leap does not exist.
        assert_eq!(lunar_to_solar(2025, 5, 1, true), None);
        assert_eq!(lunar_to_solar(2024, 6, 1, true), None);
    }

    #[test]
    fn invalid_lunar_dates() {
        assert_eq!(lunar_to_solar(2025, 0, 1, false), None);
        assert_eq!(lunar_to_solar(2025, 13, 1, false), None);
        assert_eq!(lunar_to_solar(2025, 1, 0, false), None);
        assert_eq!(lunar_to_solar(2025, 1, 31, false), None);
        assert_eq!(lunar_to_solar(1799, 1, 1, false), None);
        assert_eq!(lunar_to_solar(2200, 1, 1, false), None);
        // Day 30 exists only in 30-day months.
        for year in 2020..=2030 {
            for month in 1..=12 {
                let len = lunar_month_length(year, month, false).unwrap();
                assert!(len == 29 || len == 30);
                assert!(lunar_to_solar(year, month, len, false).is_some());
                assert_eq!(lunar_to_solar(year, month, len + 1, false), None);
            }
        }
    }

    #[test]
    fn new_moon_next_to_midnight() {
        // The new moon of May 2054 falls seconds after midnight at UTC+7: 2054-05-07 is the
        // 30th of the 3rd month, not "day 0" of the 4th.
        assert_eq!(
            solar_to_lunar(d(2054, 5, 7)),
            LunarDate {
                year: 2054,
                month: 3,
                day: 30,
                leap: false
            }
        );
        assert_eq!(lunar_to_solar(2054, 4, 1, false), Some(d(2054, 5, 8)));
    }

    #[test]
    fn last_day_of_lunar_year() {
        // The 12th month of Ất Tỵ (2025) has 29 days, so the eve of Tết 2026 is "29 Tết".
        let eve = lunar_to_solar(2026, 1, 1, false)
            .unwrap()
            .pred_opt()
            .unwrap();
        assert_eq!(eve, d(2026, 2, 16));
        let l = solar_to_lunar(eve);
        assert_eq!((l.year, l.month, l.leap), (2025, 12, false));
        assert_eq!(Some(l.day), lunar_month_length(2025, 12, false));
    }

    #[test]
    fn round_trip_every_day_1900_2100() {
        let mut date = d(1900, 1, 1);
        let end = d(2100, 12, 31);
        let mut previous: Option<LunarDate> = None;
        while date <= end {
            let l = solar_to_lunar(date);
            assert_eq!(
                lunar_to_solar(l.year, l.month, l.day, l.leap),
                Some(date),
                "{date}"
            );
            // Consecutive solar days are consecutive lunar days.
            if let Some(p) = previous {
                if l.day == 1 {
                    assert!(p.day == 29 || p.day == 30, "{date}");
                } else {
                    assert_eq!(
                        (l.year, l.month, l.leap, l.day),
                        (p.year, p.month, p.leap, p.day + 1)
                    );
                }
            }
            previous = Some(l);
            date = date.succ_opt().unwrap();
        }
    }
}
