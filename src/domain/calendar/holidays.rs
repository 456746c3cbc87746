//! Public holidays, compensatory days and the government's yearly adjustments.
//!
//! Sources:
//! - Labour Code 2019 (45/2019/QH14, in force 01/01/2021), Art. 112(1): paid public
//!   holidays; Art. 112(3): each year the Prime Minister fixes the exact days of Tết and
//!   of the second National Day holiday; Art. 111(3): when a weekly rest day coincides
//!   with a public holiday, the worker rests instead on the next working day (nghỉ bù).
//! - Weekly rest of state agencies is Saturday and Sunday (40-hour week, Decision
//!   188/1999/QĐ-TTg), which is what a commune centre's working days follow.
//! - Earlier codes, used for years before 2021 so that historical dossiers get the
//!   calendar of their time: Labour Code 2012 (10/2012/QH13) Art. 115 (2013–2020: same
//!   list, National Day one day); Labour Code 1994 Art. 73 as amended in 2007 (Tết 4 days;
//!   Giỗ Tổ Hùng Vương only from 2007).
//!
//! What the law leaves to a yearly decision (which 5 days of Tết, which day next to 2/9,
//! swapped working Saturdays, extra days off) is data: [`Adjustment`]s on a
//! [`WorkCalendar`], entered from the government's notice for the year. Without them the
//! documented defaults below apply.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::deadline::{DayCounting, WorkingHours};
use super::lunar::lunar_to_solar;

/// 1/1 — Labour Code 2019 Art. 112(1)(a).
pub const NEW_YEAR: &str = "Tết Dương lịch";
/// Tết Âm lịch — Art. 112(1)(b).
pub const LUNAR_NEW_YEAR: &str = "Tết Nguyên Đán";
/// 10/3 lunar — Art. 112(1)(c).
pub const HUNG_KINGS: &str = "Giỗ Tổ Hùng Vương";
/// 30/4 — Art. 112(1)(d).
pub const REUNIFICATION_DAY: &str = "Ngày Giải phóng miền Nam, thống nhất đất nước";
/// 1/5 — Art. 112(1)(d).
pub const LABOUR_DAY: &str = "Ngày Quốc tế Lao động";
/// 2/9 and one adjacent day — Art. 112(1)(đ).
pub const NATIONAL_DAY: &str = "Quốc khánh";
/// 24/11 — reported added to Art. 112 by NQ 28/2026/QH16 (in force 01/07/2026).
pub const CULTURE_DAY: &str = "Ngày Văn hóa Việt Nam";

/// A statutory holiday as an effective-dated rule with its legal basis.
///
/// The computation of [`statutory_holidays`] follows these rules; an operator can switch
/// one off ([`WorkCalendar::disabled_rules`], stored in `holiday_rule_settings`) without a
/// release, e.g. if a reported amendment turns out not to be in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HolidayRule {
    /// Stable id, e.g. `culture_day`.
    pub id: &'static str,
    pub name: &'static str,
    /// The day(s), in words.
    pub days: &'static str,
    pub legal_basis: &'static str,
    /// First solar year the rule gives a day off (the rule's days before its entry into
    /// force are not holidays).
    pub from_year: i32,
    /// Date the legal basis entered into force.
    pub in_force_from: Option<&'static str>,
    /// The legal basis was not checked against the official text ("to confirm").
    pub to_confirm: bool,
}

/// Statutory holiday rules (Labour Code 2019 Art. 112(1) and its predecessors), in the
/// order of the article.
pub const HOLIDAY_RULES: [HolidayRule; 8] = [
    HolidayRule {
        id: "new_year",
        name: NEW_YEAR,
        days: "1/1",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 khoản 1 điểm a",
        from_year: i32::MIN,
        in_force_from: None,
        to_confirm: false,
    },
    HolidayRule {
        id: "lunar_new_year",
        name: LUNAR_NEW_YEAR,
        days: "5 ngày (4 trước 2013): ngày cuối năm âm lịch và mùng 1–4 (mặc định; Thủ tướng quyết định hằng năm)",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 khoản 1 điểm b và khoản 3",
        from_year: i32::MIN,
        in_force_from: None,
        to_confirm: false,
    },
    HolidayRule {
        id: "hung_kings",
        name: HUNG_KINGS,
        days: "10/3 âm lịch",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 khoản 1 điểm c (từ 2007: Luật sửa đổi Bộ luật Lao động 2007)",
        from_year: 2007,
        in_force_from: None,
        to_confirm: false,
    },
    HolidayRule {
        id: "reunification_day",
        name: REUNIFICATION_DAY,
        days: "30/4",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 khoản 1 điểm d",
        from_year: i32::MIN,
        in_force_from: None,
        to_confirm: false,
    },
    HolidayRule {
        id: "labour_day",
        name: LABOUR_DAY,
        days: "1/5",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 khoản 1 điểm d",
        from_year: i32::MIN,
        in_force_from: None,
        to_confirm: false,
    },
    HolidayRule {
        id: "national_day",
        name: NATIONAL_DAY,
        days: "2/9",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 khoản 1 điểm đ",
        from_year: i32::MIN,
        in_force_from: None,
        to_confirm: false,
    },
    HolidayRule {
        id: "national_day_second_day",
        name: NATIONAL_DAY,
        days: "1/9 (mặc định) hoặc 3/9 theo quyết định hằng năm",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 khoản 1 điểm đ và khoản 3",
        from_year: 2021,
        in_force_from: Some("2021-01-01"),
        to_confirm: false,
    },
    HolidayRule {
        id: "culture_day",
        name: CULTURE_DAY,
        days: "24/11",
        legal_basis: "Bộ luật Lao động 2019, Điều 112 như được sửa đổi bởi Nghị quyết 28/2026/QH16 (theo tin Chính phủ; chưa đối chiếu văn bản chính thức)",
        from_year: 2026,
        in_force_from: Some("2026-07-01"),
        to_confirm: true,
    },
];

/// The rule with this id.
pub fn holiday_rule(id: &str) -> Option<&'static HolidayRule> {
    HOLIDAY_RULES.iter().find(|r| r.id == id)
}

/// What kind of entry a [`Holiday`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// A public holiday of the Labour Code (default days where the law lets the PM choose).
    Public,
    /// Day off in compensation for a public holiday that fell on a Saturday or Sunday;
    /// the entry's name is that holiday's.
    Compensatory,
    /// A day off decided by the government for the year (an [`Adjustment`]).
    DayOff,
    /// A working day decided by the government (e.g. a Saturday worked in exchange for a
    /// bridge day off; an [`Adjustment`]).
    WorkingDay,
}

/// One dated entry of a year's holiday calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
}

/// The two kinds of yearly government decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    DayOff,
    WorkingDay,
}

/// A government decision about one date (the PM's choice of Tết days, a swapped working
/// Saturday, an extra day off). It overrides whatever the date would otherwise be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub date: NaiveDate,
    pub kind: AdjustmentKind,
    /// Shown to users, e.g. "Nghỉ Tết Nguyên Đán (theo thông báo của Bộ Nội vụ)".
    pub name: String,
}

impl Adjustment {
    pub fn day_off(date: NaiveDate, name: impl Into<String>) -> Self {
        Adjustment {
            date,
            kind: AdjustmentKind::DayOff,
            name: name.into(),
        }
    }

    pub fn working_day(date: NaiveDate, name: impl Into<String>) -> Self {
        Adjustment {
            date,
            kind: AdjustmentKind::WorkingDay,
            name: name.into(),
        }
    }
}

/// The government's decisions for 2026 that differ from the computed default, as shipped
/// in migration `2025-07-01-000016_legal_counting` (TB 9441/TB-BNV): Monday 31/8 off,
/// Saturday 22/8 worked. Tết 16–20/2/2026 and 1–2/9/2026 are the computed defaults.
pub fn government_decisions_2026() -> Vec<Adjustment> {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("valid date");
    vec![
        Adjustment::working_day(d(8, 22), "Làm bù cho ngày nghỉ 31/8/2026"),
        Adjustment::day_off(
            d(8, 31),
            "Nghỉ hoán đổi Quốc khánh (làm bù thứ Bảy 22/8/2026)",
        ),
    ]
}

/// What a date is for a state agency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary working day (Monday–Friday, no holiday).
    Working,
    /// Saturday or Sunday (weekly rest, Decision 188/1999/QĐ-TTg).
    Weekend,
    /// A public holiday (Labour Code 2019 Art. 112).
    Holiday { name: String },
    /// Compensatory day off for `name`, which fell on a weekend (Art. 111(3)).
    Compensatory { name: String },
    /// Day off by government decision ([`AdjustmentKind::DayOff`]).
    GovernmentDayOff { name: String },
    /// Working day by government decision ([`AdjustmentKind::WorkingDay`]), e.g. a
    /// swapped Saturday.
    GovernmentWorkingDay { name: String },
}

impl DayKind {
    pub fn is_working(&self) -> bool {
        matches!(
            self,
            DayKind::Working | DayKind::GovernmentWorkingDay { .. }
        )
    }

    /// The holiday or decision name, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            DayKind::Working | DayKind::Weekend => None,
            DayKind::Holiday { name }
            | DayKind::Compensatory { name }
            | DayKind::GovernmentDayOff { name }
            | DayKind::GovernmentWorkingDay { name } => Some(name),
        }
    }
}

/// The legal working calendar of an agency: working hours plus the government's yearly
/// adjustments. Public holidays and compensatory days are computed, not stored.
///
/// The map key is authoritative: an adjustment applies to the date it is filed under
/// (use [`WorkCalendar::add_adjustment`] to keep key and `date` equal).
///
/// Compensatory days are computed from the statutory holidays alone; adjustments then
/// override single dates. A government notice is therefore entered as the differences
/// between its arrangement and the computed one (e.g. Tết 2025: `DayOff` 27/1 and
/// `WorkingDay` 3/2, the computed compensatory day).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkCalendar {
    pub hours: WorkingHours,
    #[serde(default)]
    pub adjustments: BTreeMap<NaiveDate, Adjustment>,
    /// How a period of working days is counted (Civil Code by default).
    #[serde(default)]
    pub counting: DayCounting,
    /// Ids of [`HOLIDAY_RULES`] an operator switched off.
    #[serde(default)]
    pub disabled_rules: BTreeSet<String>,
}

impl WorkCalendar {
    pub fn new(hours: WorkingHours) -> Self {
        WorkCalendar {
            hours,
            ..WorkCalendar::default()
        }
    }

    /// The same calendar counting working-day periods by `counting`.
    pub fn with_counting(mut self, counting: DayCounting) -> Self {
        self.counting = counting;
        self
    }

    /// The same calendar with these holiday rules switched off.
    pub fn with_disabled_rules<S: Into<String>>(
        mut self,
        ids: impl IntoIterator<Item = S>,
    ) -> Self {
        self.disabled_rules.extend(ids.into_iter().map(Into::into));
        self
    }

    /// The statutory holidays of a year under this calendar's enabled rules.
    pub fn statutory_holidays(&self, year: i32) -> Vec<Holiday> {
        statutory_holidays_with(year, &self.disabled_rules)
    }

    /// Adds adjustments (a later one for the same date replaces an earlier one).
    pub fn with_adjustments(mut self, adjustments: impl IntoIterator<Item = Adjustment>) -> Self {
        for a in adjustments {
            self.add_adjustment(a);
        }
        self
    }

    /// Files an adjustment under its date, returning the one it replaces.
    pub fn add_adjustment(&mut self, adjustment: Adjustment) -> Option<Adjustment> {
        self.adjustments.insert(adjustment.date, adjustment)
    }

    /// Every dated entry of a solar year, sorted by date, one per date: computed public
    /// holidays and compensatory days, with the year's adjustments replacing or adding
    /// entries.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let mut by_date: BTreeMap<NaiveDate, Holiday> = self
            .statutory_holidays(year)
            .into_iter()
            .map(|h| (h.date, h))
            .collect();
        for (&date, a) in self.adjustments_in(year) {
            let kind = match a.kind {
                AdjustmentKind::DayOff => HolidayKind::DayOff,
                AdjustmentKind::WorkingDay => HolidayKind::WorkingDay,
            };
            by_date.insert(
                date,
                Holiday {
                    date,
                    name: a.name.clone(),
                    kind,
                },
            );
        }
        by_date.into_values().collect()
    }

    /// What `date` is. Computes the year's holidays; to classify many dates, the deadline
    /// functions use a per-call cache instead.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        Days::new(self).kind(date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_kind(date).is_working()
    }

    /// The first working day strictly after `date` (`None` only at the end of chrono's
    /// date range).
    pub fn next_working_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut days = Days::new(self);
        let mut d = date.succ_opt()?;
        while !days.kind(d).is_working() {
            d = d.succ_opt()?;
        }
        Some(d)
    }

    fn adjustments_in(&self, year: i32) -> impl Iterator<Item = (&NaiveDate, &Adjustment)> {
        let from = NaiveDate::from_ymd_opt(year, 1, 1);
        let to = NaiveDate::from_ymd_opt(year, 12, 31);
        let range = match (from, to) {
            (Some(from), Some(to)) => Some(self.adjustments.range(from..=to)),
            _ => None,
        };
        range.into_iter().flatten()
    }
}

/// Classifies dates, caching the statutory holidays of the last year asked for. Walks
/// through time are monotone, so one cached year is enough to compute each year's
/// holidays once per call.
pub(super) struct Days<'a> {
    calendar: &'a WorkCalendar,
    year: Option<i32>,
    statutory: Vec<Holiday>,
}

impl<'a> Days<'a> {
    pub(super) fn new(calendar: &'a WorkCalendar) -> Self {
        Days {
            calendar,
            year: None,
            statutory: Vec::new(),
        }
    }

    pub(super) fn calendar(&self) -> &'a WorkCalendar {
        self.calendar
    }

    /// Precedence: a government adjustment, then a public or compensatory holiday, then
    /// the weekend.
    pub(super) fn kind(&mut self, date: NaiveDate) -> DayKind {
        if let Some(a) = self.calendar.adjustments.get(&date) {
            let name = a.name.clone();
            return match a.kind {
                AdjustmentKind::DayOff => DayKind::GovernmentDayOff { name },
                AdjustmentKind::WorkingDay => DayKind::GovernmentWorkingDay { name },
            };
        }
        if self.year != Some(date.year()) {
            self.statutory = self.calendar.statutory_holidays(date.year());
            self.year = Some(date.year());
        }
        if let Ok(i) = self.statutory.binary_search_by_key(&date, |h| h.date) {
            let h = &self.statutory[i];
            let name = h.name.clone();
            return match h.kind {
                HolidayKind::Compensatory => DayKind::Compensatory { name },
                _ => DayKind::Holiday { name },
            };
        }
        if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Working
        }
    }

    pub(super) fn is_working(&mut self, date: NaiveDate) -> bool {
        self.kind(date).is_working()
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The public holidays of a solar year under the labour code in force that year, with
/// the default choices where the law leaves the day to the PM, plus the compensatory
/// days they give rise to; sorted by date. Government adjustments are not applied (see
/// [`WorkCalendar::holidays`]).
///
/// Defaults (Labour Code 2019 Art. 112(3) lets the PM fix these each year):
/// - Tết: the last day of the lunar year (30 Tết, or 29 Tết when the 12th month has 29
///   days) and lunar 1/1 to 1/4 — 5 days. Before 2013: the last day and 1/1 to 1/3.
/// - National Day: 2/9 and the day before, 1/9. (The government has often chosen 3/9
///   instead — enter that year's choice as a `DayOff` on 3/9 and a `WorkingDay` on 1/9.)
///   Before 2021 National Day was 2/9 only.
///
/// Compensatory days (Art. 111(3)): each holiday on a Saturday or Sunday gives the next
/// day, after it, that is neither a weekend nor a holiday nor already a compensatory day;
/// holidays are processed in date order. So a 5-day Tết that covers a weekend is
/// followed by two compensatory days. Compensatory days never cross into the next year
/// (the last holiday of a year is 24/11 from 2026, in September before; a 24/11 on a
/// weekend is compensated by 26/11 at the latest).
///
/// Lunar holidays are omitted for years outside [`super::lunar::SUPPORTED_YEARS`].
pub fn statutory_holidays(year: i32) -> Vec<Holiday> {
    statutory_holidays_with(year, &BTreeSet::new())
}

/// [`statutory_holidays`] without the rules whose ids are in `disabled`. A rule applies
/// from its `from_year` ([`HOLIDAY_RULES`]).
pub fn statutory_holidays_with(year: i32, disabled: &BTreeSet<String>) -> Vec<Holiday> {
    let applies =
        |id: &str| !disabled.contains(id) && holiday_rule(id).is_some_and(|r| year >= r.from_year);
    let mut public: Vec<(NaiveDate, &'static str)> = Vec::new();
    let mut solar = |id: &str, month: u32, day: u32, name: &'static str| {
        if applies(id) {
            if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
                public.push((date, name));
            }
        }
    };
    solar("new_year", 1, 1, NEW_YEAR);
    solar("reunification_day", 4, 30, REUNIFICATION_DAY);
    solar("labour_day", 5, 1, LABOUR_DAY);
    solar("national_day", 9, 2, NATIONAL_DAY);
    solar("national_day_second_day", 9, 1, NATIONAL_DAY);
    solar("culture_day", 11, 24, CULTURE_DAY);
    // Tết: 5 days since the Labour Code 2012 (in force 01/05/2013), 4 before.
    let tet_days_after_eve: u32 = if year >= 2013 { 4 } else { 3 };
    if let Some(tet) = lunar_to_solar(year, 1, 1, false).filter(|_| applies("lunar_new_year")) {
        if let Some(eve) = tet.pred_opt() {
            public.push((eve, LUNAR_NEW_YEAR));
        }
        let mut d = Some(tet);
        for _ in 0..tet_days_after_eve {
            if let Some(day) = d {
                public.push((day, LUNAR_NEW_YEAR));
                d = day.succ_opt();
            }
        }
    }
    // Giỗ Tổ Hùng Vương: a paid holiday since the 2007 amendment of the Labour Code.
    if applies("hung_kings") {
        if let Some(date) = lunar_to_solar(year, 3, 10, false) {
            public.push((date, HUNG_KINGS));
        }
    }
    public.sort();
    public.dedup_by_key(|(d, _)| *d);

    let mut out: Vec<Holiday> = public
        .iter()
        .map(|&(date, name)| Holiday {
            date,
            name: name.to_owned(),
            kind: HolidayKind::Public,
        })
        .collect();
    let mut taken: Vec<NaiveDate> = public.iter().map(|&(d, _)| d).collect();
    for &(date, name) in &public {
        if !is_weekend(date) {
            continue;
        }
        let mut c = date.succ_opt();
        while let Some(day) = c {
            if !is_weekend(day) && !taken.contains(&day) {
                break;
            }
            c = day.succ_opt();
        }
        if let Some(day) = c {
            taken.push(day);
            out.push(Holiday {
                date: day,
                name: name.to_owned(),
                kind: HolidayKind::Compensatory,
            });
        }
    }
    out.sort_by_key(|h| h.date);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn public(year: i32) -> Vec<(NaiveDate, String)> {
        statutory_holidays(year)
            .into_iter()
            .filter(|h| h.kind == HolidayKind::Public)
            .map(|h| (h.date, h.name))
            .collect()
    }

    fn compensatory(year: i32) -> Vec<(NaiveDate, String)> {
        statutory_holidays(year)
            .into_iter()
            .filter(|h| h.kind == HolidayKind::Compensatory)
            .map(|h| (h.date, h.name))
            .collect()
    }

    fn named(list: &[(NaiveDate, &str)]) -> Vec<(NaiveDate, String)> {
        list.iter().map(|&(d, n)| (d, n.to_owned())).collect()
    }

    #[test]
    fn public_holidays_2025() {
        assert_eq!(
            public(2025),
            named(&[
                (d(2025, 1, 1), NEW_YEAR),
                // Ất Tỵ's 12th month has 29 days: the eve is 29 Tết, 28 January.
                (d(2025, 1, 28), LUNAR_NEW_YEAR),
                (d(2025, 1, 29), LUNAR_NEW_YEAR),
                (d(2025, 1, 30), LUNAR_NEW_YEAR),
                (d(2025, 1, 31), LUNAR_NEW_YEAR),
                (d(2025, 2, 1), LUNAR_NEW_YEAR),
                (d(2025, 4, 7), HUNG_KINGS),
                (d(2025, 4, 30), REUNIFICATION_DAY),
                (d(2025, 5, 1), LABOUR_DAY),
                (d(2025, 9, 1), NATIONAL_DAY),
                (d(2025, 9, 2), NATIONAL_DAY),
            ])
        );
        // 1/2 (lunar 1/4) is a Saturday → Monday 3/2.
        assert_eq!(
            compensatory(2025),
            named(&[(d(2025, 2, 3), LUNAR_NEW_YEAR)])
        );
    }

    /// Labour Code 2019 Art. 112(1): 11 days from 2021; 12 from 2026 with 24/11 (Ngày Văn
    /// hóa Việt Nam) as reported added by NQ 28/2026/QH16, in force 01/07/2026 — to
    /// confirm against the official text; switching the rule off gives 11 again.
    #[test]
    fn eleven_public_days_2021_2025_twelve_from_2026_labour_code_art_112_nq_28_2026() {
        for year in 2021..=2025 {
            assert_eq!(public(year).len(), 11, "{year}");
        }
        for year in 2026..=2099 {
            assert_eq!(public(year).len(), 12, "{year}");
            assert!(public(year).contains(&(d(year, 11, 24), CULTURE_DAY.to_owned())));
            let off: BTreeSet<String> = ["culture_day".to_string()].into();
            let without: Vec<Holiday> = statutory_holidays_with(year, &off);
            assert_eq!(
                without
                    .iter()
                    .filter(|h| h.kind == HolidayKind::Public)
                    .count(),
                11,
                "{year}"
            );
        }
        for year in 2013..=2020 {
            assert_eq!(public(year).len(), 10, "{year}");
        }
        assert_eq!(public(2010).len(), 9);
        assert_eq!(public(2005).len(), 8);
    }

    #[test]
    fn tet_block_covers_eve_to_fourth_day() {
        for year in 2020..=2040 {
            let tet = lunar_to_solar(year, 1, 1, false).unwrap();
            let days: Vec<NaiveDate> = public(year)
                .into_iter()
                .filter(|(_, n)| n == LUNAR_NEW_YEAR)
                .map(|(d, _)| d)
                .collect();
            let expected: Vec<NaiveDate> =
                (-1..=3).map(|i| tet + chrono::Duration::days(i)).collect();
            assert_eq!(days, expected, "{year}");
            // The eve is the last day of the lunar year (29 or 30 of month 12).
            let eve = super::super::lunar::solar_to_lunar(days[0]);
            assert_eq!((eve.year, eve.month), (year - 1, 12));
            assert!(eve.day == 29 || eve.day == 30);
        }
    }

    #[test]
    fn compensatory_days() {
        // Tết 2024: eve Fri 9/2, Sat 10/2, Sun 11/2, Mon 12/2, Tue 13/2 → Wed 14, Thu 15.
        // ... and 1/9/2024 is a Sunday (2/9 a Monday) → Tuesday 3/9. Giỗ Tổ (Thu 18/4),
        // 30/4–1/5 (Tue, Wed) and 1/1 (Mon) are weekdays.
        assert_eq!(
            compensatory(2024),
            named(&[
                (d(2024, 2, 14), LUNAR_NEW_YEAR),
                (d(2024, 2, 15), LUNAR_NEW_YEAR),
                (d(2024, 9, 3), NATIONAL_DAY),
            ])
        );
    }

    #[test]
    fn holiday_on_sunday_gives_monday() {
        // 1/1/2023 is a Sunday → Monday 2/1/2023 off.
        let cal = WorkCalendar::default();
        assert_eq!(
            cal.day_kind(d(2023, 1, 2)),
            DayKind::Compensatory {
                name: NEW_YEAR.into()
            }
        );
        assert!(!cal.is_working_day(d(2023, 1, 2)));
        assert!(cal.is_working_day(d(2023, 1, 3)));
        // 2023: Giỗ Tổ Saturday 29/4, 30/4 Sunday, 1/5 Monday → compensatory Tuesday 2/5
        // and Wednesday 3/5 (the 5-day break 29/4–3/5 the government announced).
        assert_eq!(
            cal.day_kind(d(2023, 5, 2)),
            DayKind::Compensatory {
                name: HUNG_KINGS.into()
            }
        );
        assert_eq!(
            cal.day_kind(d(2023, 5, 3)),
            DayKind::Compensatory {
                name: REUNIFICATION_DAY.into()
            }
        );
        assert!(cal.is_working_day(d(2023, 5, 4)));
        // 2/9/2023 Saturday (1/9 Friday) → Monday 4/9.
        assert_eq!(
            cal.day_kind(d(2023, 9, 4)),
            DayKind::Compensatory {
                name: NATIONAL_DAY.into()
            }
        );
        // 30/4/2022 Saturday, 1/5 Sunday → Monday 2/5, Tuesday 3/5.
        assert_eq!(
            cal.day_kind(d(2022, 5, 2)),
            DayKind::Compensatory {
                name: REUNIFICATION_DAY.into()
            }
        );
        assert_eq!(
            cal.day_kind(d(2022, 5, 3)),
            DayKind::Compensatory {
                name: LABOUR_DAY.into()
            }
        );
        assert!(cal.is_working_day(d(2022, 5, 4)));
    }

    #[test]
    fn compensatory_days_are_never_holidays_or_weekends() {
        for year in 2000..=2100 {
            let all = statutory_holidays(year);
            let publics: Vec<NaiveDate> = all
                .iter()
                .filter(|h| h.kind == HolidayKind::Public)
                .map(|h| h.date)
                .collect();
            let weekend_publics = publics.iter().filter(|&&d| is_weekend(d)).count();
            let comps: Vec<&Holiday> = all
                .iter()
                .filter(|h| h.kind == HolidayKind::Compensatory)
                .collect();
            assert_eq!(comps.len(), weekend_publics, "{year}");
            for c in comps {
                assert!(
                    !is_weekend(c.date) && !publics.contains(&c.date),
                    "{year} {}",
                    c.date
                );
                assert_eq!(c.date.year(), year);
            }
            // Sorted, one entry per date.
            assert!(all.windows(2).all(|w| w[0].date < w[1].date), "{year}");
        }
    }

    #[test]
    fn day_kinds() {
        let cal = WorkCalendar::default();
        assert_eq!(cal.day_kind(d(2025, 1, 6)), DayKind::Working);
        assert_eq!(cal.day_kind(d(2025, 1, 4)), DayKind::Weekend);
        assert_eq!(cal.day_kind(d(2025, 1, 5)), DayKind::Weekend);
        assert_eq!(
            cal.day_kind(d(2025, 1, 1)),
            DayKind::Holiday {
                name: NEW_YEAR.into()
            }
        );
        assert_eq!(
            cal.day_kind(d(2025, 4, 7)),
            DayKind::Holiday {
                name: HUNG_KINGS.into()
            }
        );
        assert_eq!(
            cal.day_kind(d(2026, 4, 26)),
            DayKind::Holiday {
                name: HUNG_KINGS.into()
            }
        );
        // Giỗ Tổ 2026 is a Sunday → Monday 27/4 off.
        assert_eq!(
            cal.day_kind(d(2026, 4, 27)),
            DayKind::Compensatory {
                name: HUNG_KINGS.into()
            }
        );
        // A public holiday on a Saturday is reported as the holiday, not the weekend.
        assert_eq!(
            cal.day_kind(d(2025, 2, 1)),
            DayKind::Holiday {
                name: LUNAR_NEW_YEAR.into()
            }
        );
    }

    #[test]
    fn adjustments_override() {
        // 2025: 50 years of reunification — Friday 2/5 off, Saturday 26/4 worked instead.
        let cal = WorkCalendar::default().with_adjustments([
            Adjustment::day_off(d(2025, 5, 2), "Nghỉ hoán đổi"),
            Adjustment::working_day(d(2025, 4, 26), "Làm bù cho ngày 02/5"),
        ]);
        assert!(cal.is_working_day(d(2025, 4, 26)));
        assert_eq!(
            cal.day_kind(d(2025, 4, 26)),
            DayKind::GovernmentWorkingDay {
                name: "Làm bù cho ngày 02/5".into()
            }
        );
        assert!(!cal.is_working_day(d(2025, 5, 2)));
        assert_eq!(
            cal.day_kind(d(2025, 5, 2)),
            DayKind::GovernmentDayOff {
                name: "Nghỉ hoán đổi".into()
            }
        );
        // A working-day adjustment overrides a computed holiday too.
        let cal2 = WorkCalendar::default()
            .with_adjustments([Adjustment::working_day(d(2025, 2, 3), "Đi làm")]);
        assert!(cal2.is_working_day(d(2025, 2, 3)));
        let h = cal.holidays(2025);
        assert!(h.windows(2).all(|w| w[0].date < w[1].date));
        assert!(h.contains(&Holiday {
            date: d(2025, 4, 26),
            name: "Làm bù cho ngày 02/5".into(),
            kind: HolidayKind::WorkingDay
        }));
        assert!(h.contains(&Holiday {
            date: d(2025, 5, 2),
            name: "Nghỉ hoán đổi".into(),
            kind: HolidayKind::DayOff
        }));
        assert_eq!(h.len(), statutory_holidays(2025).len() + 2);
        // Another year's adjustments are not listed.
        assert_eq!(cal.holidays(2024), statutory_holidays(2024));
    }

    #[test]
    fn national_day_on_third_of_september_via_adjustments() {
        // How a year where the PM picks 2/9 + 3/9 is entered (dates of 2026, a Wednesday
        // and Thursday, used as an example only: the real 2026 decision, TB 9441/TB-BNV,
        // is 1–2/9 plus Monday 31/8 — see `government_decisions_2026`).
        let cal = WorkCalendar::default().with_adjustments([
            Adjustment::working_day(d(2026, 9, 1), "Đi làm (nghỉ Quốc khánh vào 03/9)"),
            Adjustment::day_off(d(2026, 9, 3), NATIONAL_DAY),
        ]);
        assert!(cal.is_working_day(d(2026, 9, 1)));
        assert!(!cal.is_working_day(d(2026, 9, 2)));
        assert!(!cal.is_working_day(d(2026, 9, 3)));
        assert!(cal.is_working_day(d(2026, 9, 4)));
    }

    /// The rules table: every rule has a legal basis; only 24/11 is "to confirm".
    #[test]
    fn holiday_rules_have_legal_basis_and_culture_day_is_to_confirm() {
        for r in HOLIDAY_RULES {
            assert!(!r.legal_basis.is_empty(), "{}", r.id);
            assert_eq!(holiday_rule(r.id), Some(&r));
        }
        let culture = holiday_rule("culture_day").unwrap();
        assert!(culture.to_confirm && culture.legal_basis.contains("28/2026/QH16"));
        assert_eq!(culture.in_force_from, Some("2026-07-01"));
        assert_eq!(HOLIDAY_RULES.iter().filter(|r| r.to_confirm).count(), 1);
        // 24/11/2025 is an ordinary Monday; 24/11/2026 a Tuesday off.
        let cal = WorkCalendar::default();
        assert!(cal.is_working_day(d(2025, 11, 24)));
        assert_eq!(
            cal.day_kind(d(2026, 11, 24)),
            DayKind::Holiday {
                name: CULTURE_DAY.into()
            }
        );
        // An operator switches the rule off: a working day again, no release needed.
        let off = WorkCalendar::default().with_disabled_rules(["culture_day"]);
        assert!(off.is_working_day(d(2026, 11, 24)));
        // 24/11/2029 is a Saturday: compensated on Monday 26/11.
        assert_eq!(
            cal.day_kind(d(2029, 11, 26)),
            DayKind::Compensatory {
                name: CULTURE_DAY.into()
            }
        );
        // Switching off Giỗ Tổ removes its compensatory day too (2026: Sunday 26/4).
        let no_hung = WorkCalendar::default().with_disabled_rules(["hung_kings"]);
        assert!(!no_hung.is_working_day(d(2026, 4, 26)));
        assert!(no_hung.is_working_day(d(2026, 4, 27)));
    }

    /// The 2026 government decisions shipped as data (migration
    /// 2025-07-01-000016_legal_counting, TB 9441/TB-BNV): Tết 16–20/2/2026 (the computed
    /// default), National Day 1–2/9/2026 plus Monday 31/8 off against Saturday 22/8 worked.
    #[test]
    fn government_decisions_2026_tb_9441_tb_bnv() {
        let cal = WorkCalendar::default().with_adjustments(government_decisions_2026());
        for day in 16..=20 {
            assert!(!cal.is_working_day(d(2026, 2, day)), "Tết {day}/2");
        }
        assert!(cal.is_working_day(d(2026, 2, 23)));
        assert!(cal.is_working_day(d(2026, 2, 13)));
        assert!(cal.is_working_day(d(2026, 8, 22)));
        assert_eq!(
            cal.day_kind(d(2026, 8, 31)),
            DayKind::GovernmentDayOff {
                name: "Nghỉ hoán đổi Quốc khánh (làm bù thứ Bảy 22/8/2026)".into()
            }
        );
        assert!(!cal.is_working_day(d(2026, 9, 1)));
        assert!(!cal.is_working_day(d(2026, 9, 2)));
        assert!(cal.is_working_day(d(2026, 9, 3)));
        assert_eq!(cal.next_working_day(d(2026, 8, 28)), Some(d(2026, 9, 3)));
    }

    #[test]
    fn next_working_day_skips_tet() {
        let cal = WorkCalendar::default();
        // 2025: Tết 28/1–1/2, compensatory Monday 3/2 → Tuesday 4/2.
        assert_eq!(cal.next_working_day(d(2025, 1, 27)), Some(d(2025, 2, 4)));
        assert_eq!(cal.next_working_day(d(2025, 1, 24)), Some(d(2025, 1, 27)));
    }

    #[test]
    fn serde_shapes() {
        let k = DayKind::Compensatory {
            name: NATIONAL_DAY.into(),
        };
        let json = serde_json::to_value(&k).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "compensatory", "name": "Quốc khánh"})
        );
        assert_eq!(
            serde_json::to_value(DayKind::GovernmentDayOff { name: "x".into() }).unwrap()["kind"],
            "government_day_off"
        );
        let h = Holiday {
            date: d(2025, 9, 2),
            name: NATIONAL_DAY.into(),
            kind: HolidayKind::Public,
        };
        assert_eq!(
            serde_json::to_value(&h).unwrap(),
            serde_json::json!({"date": "2025-09-02", "name": "Quốc khánh", "kind": "public"})
        );
        let cal = WorkCalendar::default()
            .with_adjustments([Adjustment::working_day(d(2025, 4, 26), "Làm bù")]);
        let back: WorkCalendar =
            serde_json::from_str(&serde_json::to_string(&cal).unwrap()).unwrap();
        assert_eq!(back, cal);
    }

    #[test]
    fn years_without_lunar_support_still_work() {
        // Outside the lunar range only solar holidays are computed; nothing panics.
        assert!(public(1700).iter().all(|(_, n)| n != LUNAR_NEW_YEAR));
        assert!(!statutory_holidays(2300).is_empty());
        let cal = WorkCalendar::default();
        let _ = cal.day_kind(NaiveDate::MAX);
        let _ = cal.day_kind(NaiveDate::MIN);
        assert_eq!(cal.next_working_day(NaiveDate::MAX), None);
    }
}
