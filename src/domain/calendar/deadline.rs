//! Deadline arithmetic: working hours, processing times, due dates and pauses.
//!
//! Sources and practice:
//! - The time limit of a procedure (thời hạn giải quyết) is published per case in
//!   working days, hours, calendar days or months.
//! - A period of working days follows the Civil Code 2015, Art. 147(2) and 148(1): the day
//!   of reception is not counted, and a period of N working days ends at the end of office
//!   hours of the N-th working day after it ([`DayCounting::CivilCode`], the default).
//!   Much one-stop software instead stores durations in hours with 8 h = 1 working day
//!   and counts office hours from the reception instant; a province whose regulation
//!   requires that keeps it as an option ([`DayCounting::WorkingHours`]).
//! - Reception outside office hours counts from the next working instant (practice of
//!   the one-stop software: after 17:00 → next morning, before 07:00 → 07:00, lunch →
//!   13:30; online dossiers submitted after hours are handled the next working day).
//! - Calendar periods follow the Civil Code 2015, Arts. 147–148: the period starts the
//!   day after the triggering day, and when its last day is a weekly rest day or a public
//!   holiday it ends at the end of the next working day.
//! - Same-day procedures: certification (chứng thực, Decree 23/2015/NĐ-CP Art. 7) and
//!   civil-status registration (hộ tịch, Luật Hộ tịch 2014 Art. 5(3)) are done the day the
//!   request is received, or the next working day if it is received after 15:00. A request
//!   received at exactly 15:00:00 is not "after 15:00": it is done the same day.
//! - A supplement request stops the clock; when the applicant supplies the papers the due
//!   date moves by the paused time (newDue = oldDue + (resume − request)), counted here in
//!   working time.

use chrono::{
    DateTime, Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::holidays::{DayKind, Days, WorkCalendar};
use super::{from_local, to_local};

/// Largest duration honoured, in days (about 100 years). Longer processing times, and
/// working-minute amounts above `MAX_PROCESSING_DAYS × 1440`, are capped, which keeps
/// every call bounded. No procedure comes near it.
pub const MAX_PROCESSING_DAYS: u32 = 36_600;

const MAX_WORKING_MINUTES: i64 = MAX_PROCESSING_DAYS as i64 * 1440;

/// Office hours of the agency: a morning and an afternoon interval.
///
/// Default 07:00–11:30 and 13:30–17:00 (8 h), the hours of most provincial and commune
/// one-stop units; provinces set their own (e.g. 07:30–11:30, 13:30–17:30), hence
/// configurable. Invariant, checked by [`WorkingHours::new`] and on deserialisation:
/// `morning_start < morning_end <= afternoon_start < afternoon_end`, whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WorkingHoursRepr", into = "WorkingHoursRepr")]
pub struct WorkingHours {
    morning_start: NaiveTime,
    morning_end: NaiveTime,
    afternoon_start: NaiveTime,
    afternoon_end: NaiveTime,
}

#[derive(Serialize, Deserialize)]
struct WorkingHoursRepr {
    morning_start: NaiveTime,
    morning_end: NaiveTime,
    afternoon_start: NaiveTime,
    afternoon_end: NaiveTime,
}

/// Working hours that are out of order or not whole minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidWorkingHours;

impl fmt::Display for InvalidWorkingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "working hours must be whole minutes with \
             morning_start < morning_end <= afternoon_start < afternoon_end",
        )
    }
}

impl std::error::Error for InvalidWorkingHours {}

impl TryFrom<WorkingHoursRepr> for WorkingHours {
    type Error = InvalidWorkingHours;
    fn try_from(r: WorkingHoursRepr) -> Result<Self, Self::Error> {
        WorkingHours::new(
            r.morning_start,
            r.morning_end,
            r.afternoon_start,
            r.afternoon_end,
        )
    }
}

impl From<WorkingHours> for WorkingHoursRepr {
    fn from(h: WorkingHours) -> Self {
        WorkingHoursRepr {
            morning_start: h.morning_start,
            morning_end: h.morning_end,
            afternoon_start: h.afternoon_start,
            afternoon_end: h.afternoon_end,
        }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            morning_start: hm(7, 0),
            morning_end: hm(11, 30),
            afternoon_start: hm(13, 30),
            afternoon_end: hm(17, 0),
        }
    }
}

impl WorkingHours {
    pub fn new(
        morning_start: NaiveTime,
        morning_end: NaiveTime,
        afternoon_start: NaiveTime,
        afternoon_end: NaiveTime,
    ) -> Result<Self, InvalidWorkingHours> {
        let whole = |t: NaiveTime| t.second() == 0 && t.nanosecond() == 0;
        let times = [morning_start, morning_end, afternoon_start, afternoon_end];
        if !times.iter().all(|&t| whole(t))
            || morning_start >= morning_end
            || morning_end > afternoon_start
            || afternoon_start >= afternoon_end
        {
            return Err(InvalidWorkingHours);
        }
        Ok(WorkingHours {
            morning_start,
            morning_end,
            afternoon_start,
            afternoon_end,
        })
    }

    pub fn morning_start(&self) -> NaiveTime {
        self.morning_start
    }
    pub fn morning_end(&self) -> NaiveTime {
        self.morning_end
    }
    pub fn afternoon_start(&self) -> NaiveTime {
        self.afternoon_start
    }
    pub fn afternoon_end(&self) -> NaiveTime {
        self.afternoon_end
    }

    /// Working minutes in a day: the length of one working day (480 by default).
    pub fn daily_minutes(&self) -> i64 {
        (self.morning_end - self.morning_start).num_minutes()
            + (self.afternoon_end - self.afternoon_start).num_minutes()
    }

    /// Whether a wall-clock time is inside office hours, interval ends included.
    pub fn contains(&self, t: NaiveTime) -> bool {
        (self.morning_start <= t && t <= self.morning_end)
            || (self.afternoon_start <= t && t <= self.afternoon_end)
    }

    fn intervals(&self) -> [(NaiveTime, NaiveTime); 2] {
        [
            (self.morning_start, self.morning_end),
            (self.afternoon_start, self.afternoon_end),
        ]
    }
}

/// How a period of working days ("N ngày làm việc") is counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCounting {
    /// Civil Code 2015 Art. 147(2), 148(1): the day of reception is not counted; the
    /// period ends at closing time of the N-th working day after it (Monday 10:00 + 3
    /// working days = Thursday 17:00).
    #[default]
    CivilCode,
    /// N × the daily working minutes counted from the reception instant in office hours
    /// (Monday 10:00 + 3 working days = Thursday 10:00): a per-province option for
    /// regulations that require it.
    WorkingHours,
}

impl DayCounting {
    pub fn as_str(self) -> &'static str {
        match self {
            DayCounting::CivilCode => "civil_code",
            DayCounting::WorkingHours => "working_hours",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [DayCounting::CivilCode, DayCounting::WorkingHours]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// The cutoff of same-day procedures in law: 15:00 (chứng thực: Decree 23/2015/NĐ-CP Art.
/// 7; hộ tịch: Luật Hộ tịch 2014 Art. 5(3)).
pub fn same_day_legal_cutoff() -> NaiveTime {
    hm(15, 0)
}

/// The cutoff of a same-day case of a procedure in `field` (lĩnh vực), with the catalog's
/// own cutoff if any. Certification and civil-status fields take at most 15:00 whatever
/// the catalog says; other fields take the catalog's cutoff, and 15:00 when none is given.
pub fn same_day_cutoff(field: &str, catalog_cutoff: Option<NaiveTime>) -> NaiveTime {
    let legal = same_day_legal_cutoff();
    let f = crate::domain::text::fold(field);
    if f.contains("chung thuc") || f.contains("ho tich") {
        catalog_cutoff.map_or(legal, |c| c.min(legal))
    } else {
        catalog_cutoff.unwrap_or(legal)
    }
}

/// The statutory time limit of a procedure case.
///
/// Serialised as `{"unit": "working_days", "value": 3}`,
/// `{"unit": "same_day", "value": {"cutoff": "15:00:00"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum ProcessingTime {
    /// "Ngày làm việc": N working days, counted by the calendar's [`DayCounting`].
    WorkingDays(u32),
    /// "Giờ" (working hours): N × 60 working minutes.
    WorkingHours(u32),
    /// "Ngày": N calendar days after the day the clock starts, ending at closing time;
    /// moved to the end of the next working day if that day is not a working day.
    CalendarDays(u32),
    /// "Tháng": N months after the day the clock starts (the same day-of-month, or the
    /// month's last day if it has no such day — Civil Code 2015 Art. 148), at closing
    /// time, moved forward like calendar days.
    CalendarMonths(u32),
    /// Done the day it is received if received on a working day at or before `cutoff`
    /// (and before closing), else by the end of the next working day (chứng thực and hộ
    /// tịch: cutoff 15:00, Decree 23/2015 Art. 7, Luật Hộ tịch 2014 Art. 5(3)). A cutoff
    /// later than closing time acts as closing time.
    SameDay { cutoff: NaiveTime },
}

impl ProcessingTime {
    /// The same-day rule of certification (chứng thực): cutoff 15:00.
    pub fn same_day_certification() -> Self {
        ProcessingTime::SameDay { cutoff: hm(15, 0) }
    }
}

/// Why a day was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    Weekend,
    PublicHoliday,
    CompensatoryDayOff,
    GovernmentDayOff,
}

/// A non-working day that the deadline passed over (or that reception fell on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDay {
    pub date: NaiveDate,
    pub reason: SkipReason,
    /// The holiday (for a compensatory day: the holiday it compensates) or the
    /// government decision; `None` for a weekend.
    pub name: Option<String>,
}

impl SkippedDay {
    fn from_kind(date: NaiveDate, kind: &DayKind) -> Option<Self> {
        let (reason, name) = match kind {
            DayKind::Working | DayKind::GovernmentWorkingDay { .. } => return None,
            DayKind::Weekend => (SkipReason::Weekend, None),
            DayKind::Holiday { name } => (SkipReason::PublicHoliday, Some(name.clone())),
            DayKind::Compensatory { name } => (SkipReason::CompensatoryDayOff, Some(name.clone())),
            DayKind::GovernmentDayOff { name } => {
                (SkipReason::GovernmentDayOff, Some(name.clone()))
            }
        };
        Some(SkippedDay { date, reason, name })
    }

    fn describe(&self) -> String {
        let name = self.name.as_deref().unwrap_or("");
        match self.reason {
            SkipReason::Weekend => "nghỉ hằng tuần".to_owned(),
            SkipReason::PublicHoliday => format!("nghỉ lễ, tết – {name}"),
            SkipReason::CompensatoryDayOff => format!("nghỉ bù {name}"),
            SkipReason::GovernmentDayOff => format!("ngày nghỉ theo thông báo – {name}"),
        }
    }
}

/// A computed appointment date (ngày hẹn trả kết quả) with how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDate {
    pub received_at: DateTime<Utc>,
    /// First working instant at or after reception, from which working time counts.
    pub clock_starts_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Vietnamese date of `due_at`.
    pub due_date: NaiveDate,
    pub processing_time: ProcessingTime,
    /// Non-working days between reception and the due date that were not counted, in
    /// date order (for calendar periods: days before the clock started and days the end
    /// was moved over; weekends inside the period count and are not listed).
    pub skipped: Vec<SkippedDay>,
    /// Human-readable steps, in Vietnamese.
    pub explanation: Vec<String>,
}

impl WorkCalendar {
    /// First working instant at or after `at` (see the module conventions).
    pub fn clock_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let mut w = Walker::new(self, false);
        to_local(at)
            .and_then(|t| w.start_position(t))
            .and_then(from_local)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The instant reached after `minutes` of working time counted from
    /// [`clock_start`](Self::clock_start)`(start)`. An end exactly at a closing time
    /// (11:30, 17:00) stays there. Zero or negative minutes give the clock start.
    /// Amounts above `MAX_PROCESSING_DAYS × 1440` minutes are capped.
    pub fn add_working_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let amount = TimeDelta::minutes(minutes.clamp(0, MAX_WORKING_MINUTES));
        let mut w = Walker::new(self, false);
        to_local(start)
            .and_then(|t| w.start_position(t))
            .and_then(|p| w.add(p, amount))
            .and_then(from_local)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Working minutes between two instants (whole minutes, rounded toward zero):
    /// the overlap of `[a, b]` with office hours of working days. Negative if `b < a`.
    pub fn working_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b < a {
            return -self.working_minutes_between(b, a);
        }
        self.working_time_between(a, b).num_minutes()
    }

    /// The due instant after a pause (supplement request at `paused_at`, papers supplied
    /// at `resumed_at`): the working time elapsed during the pause is added to `due_at`,
    /// counting on from `due_at`'s clock start. A pause with no working time in it (or
    /// `resumed_at <= paused_at`) leaves `due_at` unchanged, so the result is never
    /// earlier than `due_at`.
    pub fn extend_for_pause(
        &self,
        due_at: DateTime<Utc>,
        paused_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if resumed_at <= paused_at {
            return due_at;
        }
        let paused = self.working_time_between(paused_at, resumed_at);
        if paused <= TimeDelta::zero() {
            return due_at;
        }
        let mut w = Walker::new(self, false);
        to_local(due_at)
            .and_then(|t| w.start_position(t))
            .and_then(|p| w.add(p, paused))
            .and_then(from_local)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The due instant of a dossier received at `received_at` with processing time
    /// `time`, with the skipped days and an explanation.
    ///
    /// - Working days / hours: that many working minutes from the clock start.
    /// - Calendar days / months: counted from the clock start's date, ending at closing
    ///   time; a non-working last day moves to the next working day.
    /// - Same day: see [`ProcessingTime::SameDay`].
    ///
    /// Durations above [`MAX_PROCESSING_DAYS`] are capped (said in the explanation).
    /// Only instants within a century of the limits of chrono's range could fail to
    /// compute; they give `due_at = DateTime::<Utc>::MAX_UTC`.
    pub fn due(&self, received_at: DateTime<Utc>, time: &ProcessingTime) -> DueDate {
        let mut w = Walker::new(self, true);
        let mut explanation = Vec::new();
        let computed = compute_due(&mut w, received_at, time, &mut explanation);
        let (clock_start, due_at) = match computed {
            Some((start, due)) => (
                from_local(start).unwrap_or(DateTime::<Utc>::MAX_UTC),
                from_local(due).unwrap_or(DateTime::<Utc>::MAX_UTC),
            ),
            None => {
                explanation.push("Ngoài phạm vi lịch: không tính được hạn.".to_owned());
                (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MAX_UTC)
            }
        };
        DueDate {
            received_at,
            clock_starts_at: clock_start,
            due_at,
            due_date: to_local(due_at).map_or(NaiveDate::MAX, |t| t.date()),
            processing_time: *time,
            skipped: w.skipped,
            explanation,
        }
    }

    /// The latest instant an apology slip with a new date (phiếu xin lỗi và hẹn lại) is
    /// due for a dossier due at `due_at`: closing time of the last working day before the
    /// due date ("at the latest one working day before the due date"; provincial one-stop
    /// regulations under Decree 118/2025/NĐ-CP).
    pub fn apology_deadline(&self, due_at: DateTime<Utc>) -> DateTime<Utc> {
        let mut days = Days::new(self);
        let Some(mut d) = to_local(due_at).map(|t| t.date()) else {
            return due_at;
        };
        loop {
            match d.pred_opt() {
                Some(p) => d = p,
                None => return DateTime::<Utc>::MIN_UTC,
            }
            if days.is_working(d) {
                break;
            }
        }
        from_local(d.and_time(self.hours.afternoon_end)).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// `due_at` moved by `n` working days (a lawful extension, e.g. chứng thực by up to 2
    /// working days, Decree 23/2015/NĐ-CP Art. 21): the end of the `n`-th working day after
    /// the due date (Civil Code counting), or `n` working days of office hours from it.
    pub fn extend_by_working_days(&self, due_at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let n = n.min(MAX_PROCESSING_DAYS);
        match self.counting {
            DayCounting::CivilCode => {
                let Some(mut day) = to_local(due_at).map(|t| t.date()) else {
                    return due_at;
                };
                for _ in 0..n {
                    match self.next_working_day(day) {
                        Some(next) => day = next,
                        None => return DateTime::<Utc>::MAX_UTC,
                    }
                }
                from_local(day.and_time(self.hours.afternoon_end))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
                    .max(due_at)
            }
            DayCounting::WorkingHours => {
                self.add_working_minutes(due_at, i64::from(n) * self.hours.daily_minutes())
            }
        }
    }

    fn working_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        let mut w = Walker::new(self, false);
        match (to_local(a), to_local(b)) {
            (Some(a), Some(b)) => w.between(a, b),
            // `b` beyond the representable local range: count up to the last local instant.
            (Some(a), None) => w.between(a, NaiveDateTime::MAX),
            _ => TimeDelta::zero(),
        }
    }
}

fn compute_due(
    w: &mut Walker<'_>,
    received_at: DateTime<Utc>,
    time: &ProcessingTime,
    explanation: &mut Vec<String>,
) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let hours = w.hours;
    let received = to_local(received_at)?;
    explanation.push(format!("Tiếp nhận: {}.", fmt_instant(received)));
    let received_kind = w.days.kind(received.date());
    let start = w.start_position(received)?;
    if start != received {
        let why = if !received_kind.is_working() {
            "tiếp nhận vào ngày nghỉ"
        } else if received.time() < hours.morning_start {
            "tiếp nhận trước giờ làm việc"
        } else if received.time() < hours.afternoon_start {
            "tiếp nhận trong giờ nghỉ trưa"
        } else {
            "tiếp nhận sau giờ làm việc"
        };
        explanation.push(format!(
            "Bắt đầu tính thời hạn: {} ({why}).",
            fmt_instant(start)
        ));
    }
    let daily = hours.daily_minutes();
    let hours_text = format!(
        "{}–{}, {}–{}",
        fmt_time(hours.morning_start),
        fmt_time(hours.morning_end),
        fmt_time(hours.afternoon_start),
        fmt_time(hours.afternoon_end)
    );
    let cap_note = |explanation: &mut Vec<String>| {
        explanation.push(format!(
            "Thời hạn vượt mức tối đa {MAX_PROCESSING_DAYS} ngày, đã được giới hạn."
        ))
    };
    let due = match *time {
        ProcessingTime::WorkingDays(n) if w.days.calendar().counting == DayCounting::CivilCode => {
            explanation.push(format!(
                "Thời hạn: {n} ngày làm việc, không tính ngày tiếp nhận; kết thúc vào cuối \
                 giờ làm việc của ngày làm việc thứ {n} sau ngày tiếp nhận (Bộ luật Dân sự \
                 2015, Điều 147 khoản 2, Điều 148 khoản 1)."
            ));
            if n > MAX_PROCESSING_DAYS {
                cap_note(explanation);
            }
            let reception_day = received.date();
            let mut day = if n == 0 {
                // Zero days: by the end of the reception day, if it can still be worked.
                if received_kind.is_working() && received.time() < hours.afternoon_end {
                    reception_day
                } else {
                    w.next_working_day(reception_day)?
                }
            } else {
                reception_day
            };
            if !received_kind.is_working() {
                w.record(reception_day, &received_kind);
            }
            for _ in 0..n.min(MAX_PROCESSING_DAYS) {
                day = w.next_working_day(day)?;
            }
            day.and_time(hours.afternoon_end)
        }
        ProcessingTime::WorkingDays(n) => {
            let minutes = i64::from(n.min(MAX_PROCESSING_DAYS)) * daily;
            explanation.push(format!(
                "Thời hạn: {n} ngày làm việc = {minutes} phút làm việc \
                 (1 ngày làm việc = {daily} phút: {hours_text})."
            ));
            if n > MAX_PROCESSING_DAYS {
                cap_note(explanation);
            }
            w.add(start, TimeDelta::minutes(minutes))?
        }
        ProcessingTime::WorkingHours(n) => {
            let minutes = i64::from(n) * 60;
            explanation.push(format!(
                "Thời hạn: {n} giờ làm việc = {minutes} phút làm việc ({hours_text})."
            ));
            if minutes > MAX_WORKING_MINUTES {
                cap_note(explanation);
            }
            w.add(start, TimeDelta::minutes(minutes.min(MAX_WORKING_MINUTES)))?
        }
        ProcessingTime::CalendarDays(n) => {
            if n > MAX_PROCESSING_DAYS {
                cap_note(explanation);
            }
            let days = chrono::Days::new(u64::from(n.min(MAX_PROCESSING_DAYS)));
            let target = start.date().checked_add_days(days)?;
            calendar_period_end(w, start.date(), target, &format!("{n} ngày"), explanation)?
        }
        ProcessingTime::CalendarMonths(n) => {
            let cap = MAX_PROCESSING_DAYS / 30;
            if n > cap {
                cap_note(explanation);
            }
            let target = start.date().checked_add_months(Months::new(n.min(cap)))?;
            calendar_period_end(w, start.date(), target, &format!("{n} tháng"), explanation)?
        }
        ProcessingTime::SameDay { cutoff } => {
            let cutoff = cutoff.min(hours.afternoon_end);
            explanation.push(format!(
                "Thời hạn: trong ngày nếu tiếp nhận đến {} của ngày làm việc; \
                 tiếp nhận sau {} hoặc vào ngày nghỉ thì trong ngày làm việc tiếp theo.",
                fmt_time(cutoff),
                fmt_time(cutoff)
            ));
            let date = received.date();
            // "Sau 15 giờ": 15:00:00 itself is still the same day.
            let day = if received_kind.is_working()
                && received.time() <= cutoff
                && received.time() < hours.afternoon_end
            {
                date
            } else {
                w.next_working_day(date)?
            };
            day.and_time(hours.afternoon_end)
        }
    };
    for s in &w.skipped {
        explanation.push(format!("Không tính {}: {}.", fmt_day(s.date), s.describe()));
    }
    explanation.push(format!("Hạn trả kết quả: {}.", fmt_instant(due)));
    Some((start, due))
}

/// End of a calendar period whose last day is `target`: closing time of `target`, or of
/// the next working day if `target` is not one (Civil Code 2015 Art. 148).
fn calendar_period_end(
    w: &mut Walker<'_>,
    base: NaiveDate,
    target: NaiveDate,
    length: &str,
    explanation: &mut Vec<String>,
) -> Option<NaiveDateTime> {
    explanation.push(format!(
        "Thời hạn: {length} tính cả ngày nghỉ, từ ngày {}; ngày cuối của thời hạn: {}.",
        fmt_day(base),
        fmt_day(target)
    ));
    let target_kind = w.days.kind(target);
    let day = if target_kind.is_working() {
        target
    } else {
        w.record(target, &target_kind);
        let next = w.next_working_day(target)?;
        explanation.push(format!(
            "Ngày cuối của thời hạn là ngày nghỉ: hạn chuyển sang ngày làm việc tiếp theo, {}.",
            fmt_day(next)
        ));
        next
    };
    Some(day.and_time(w.hours.afternoon_end))
}

/// Walks through local time, classifying days with a per-call cache and, when
/// recording, collecting the non-working days passed over.
struct Walker<'a> {
    days: Days<'a>,
    hours: WorkingHours,
    record: bool,
    skipped: Vec<SkippedDay>,
}

impl<'a> Walker<'a> {
    fn new(calendar: &'a WorkCalendar, record: bool) -> Self {
        let days = Days::new(calendar);
        let hours = days.calendar().hours;
        Walker {
            days,
            hours,
            record,
            skipped: Vec::new(),
        }
    }

    /// Notes a non-working day once (walks are monotone, so "after the last one" is
    /// enough to deduplicate).
    fn record(&mut self, date: NaiveDate, kind: &DayKind) {
        if !self.record || self.skipped.last().is_some_and(|s| s.date >= date) {
            return;
        }
        if let Some(s) = SkippedDay::from_kind(date, kind) {
            self.skipped.push(s);
        }
    }

    /// The first working day strictly after `date`, recording the days in between.
    fn next_working_day(&mut self, date: NaiveDate) -> Option<NaiveDate> {
        let mut d = date.succ_opt()?;
        loop {
            let kind = self.days.kind(d);
            if kind.is_working() {
                return Some(d);
            }
            self.record(d, &kind);
            d = d.succ_opt()?;
        }
    }

    /// The first instant at or after `t` from which working time accrues: inside
    /// `[start, end)` of an interval of a working day.
    fn start_position(&mut self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        let h = self.hours;
        let date = t.date();
        let time = t.time();
        let kind = self.days.kind(date);
        if kind.is_working() {
            if time < h.morning_start {
                return Some(date.and_time(h.morning_start));
            }
            if time < h.morning_end {
                return Some(t);
            }
            if time < h.afternoon_start {
                return Some(date.and_time(h.afternoon_start));
            }
            if time < h.afternoon_end {
                return Some(t);
            }
        } else {
            self.record(date, &kind);
        }
        Some(self.next_working_day(date)?.and_time(h.morning_start))
    }

    /// `p` (a start position) plus `amount` of working time; an end exactly at the end
    /// of an interval stays there.
    fn add(&mut self, p: NaiveDateTime, amount: TimeDelta) -> Option<NaiveDateTime> {
        let h = self.hours;
        let mut p = p;
        let mut remaining = amount.max(TimeDelta::zero());
        loop {
            let end_time = if p.time() < h.morning_end {
                h.morning_end
            } else {
                h.afternoon_end
            };
            let end = p.date().and_time(end_time);
            let available = end - p;
            if remaining <= available {
                return p.checked_add_signed(remaining);
            }
            remaining -= available;
            p = self.start_position(end)?;
        }
    }

    /// Working time in `[a, b]`, `a <= b`.
    fn between(&mut self, a: NaiveDateTime, b: NaiveDateTime) -> TimeDelta {
        let mut total = TimeDelta::zero();
        if b <= a {
            return total;
        }
        let intervals = self.hours.intervals();
        let mut date = a.date();
        loop {
            if self.days.is_working(date) {
                for (s, e) in intervals {
                    let s = date.and_time(s).max(a);
                    let e = date.and_time(e).min(b);
                    if e > s {
                        total += e - s;
                    }
                }
            }
            match date.succ_opt() {
                Some(next) if next <= b.date() => date = next,
                _ => return total,
            }
        }
    }
}

fn weekday_vi(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

/// "Thứ Sáu 03/01/2025"
fn fmt_day(d: NaiveDate) -> String {
    format!("{} {}", weekday_vi(d), d.format("%d/%m/%Y"))
}

fn fmt_time(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// "16:00 Thứ Sáu 03/01/2025"
fn fmt_instant(t: NaiveDateTime) -> String {
    format!("{} {}", fmt_time(t.time()), fmt_day(t.date()))
}

#[cfg(test)]
mod tests {
    use super::super::holidays::{
        Adjustment, LABOUR_DAY, LUNAR_NEW_YEAR, NATIONAL_DAY, NEW_YEAR, REUNIFICATION_DAY,
    };
    use super::*;
    use proptest::prelude::*;

    /// The working-hours option: the existing table of cases documents it.
    fn hours_rule() -> WorkCalendar {
        WorkCalendar::default().with_counting(DayCounting::WorkingHours)
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// An instant given as Vietnamese wall-clock time.
    fn at(y: i32, m: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        from_local(d(y, m, day).and_hms_opt(h, mi, 0).unwrap()).unwrap()
    }

    /// Vietnamese wall-clock time of an instant, "YYYY-MM-DD HH:MM".
    fn local(t: DateTime<Utc>) -> String {
        to_local(t).unwrap().format("%Y-%m-%d %H:%M").to_string()
    }

    fn skipped(due: &DueDate) -> Vec<(NaiveDate, SkipReason)> {
        due.skipped.iter().map(|s| (s.date, s.reason)).collect()
    }

    use ProcessingTime::{
        CalendarDays, CalendarMonths, SameDay, WorkingDays, WorkingHours as Hours,
    };
    use SkipReason::{CompensatoryDayOff, GovernmentDayOff, PublicHoliday, Weekend};

    fn official_2025() -> WorkCalendar {
        // As announced for public servants: Tết 27/1–31/1 (3/2 worked), and for 30/4 the
        // swap of Saturday 26/4 with Friday 2/5.
        hours_rule().with_adjustments([
            Adjustment::day_off(d(2025, 1, 27), "Nghỉ Tết Nguyên Đán"),
            Adjustment::working_day(d(2025, 2, 3), "Đi làm"),
            Adjustment::working_day(d(2025, 4, 26), "Làm bù cho ngày 02/5"),
            Adjustment::day_off(d(2025, 5, 2), "Nghỉ hoán đổi"),
        ])
    }

    struct Case {
        name: &'static str,
        calendar: WorkCalendar,
        received: DateTime<Utc>,
        time: ProcessingTime,
        clock_start: &'static str,
        due: &'static str,
        skipped: Vec<(NaiveDate, SkipReason)>,
    }

    fn cases() -> Vec<Case> {
        let def = hours_rule;
        let same_day = ProcessingTime::same_day_certification();
        vec![
            Case {
                name: "Friday 16:00 + 3 working days",
                calendar: def(),
                received: at(2025, 1, 3, 16, 0),
                time: WorkingDays(3),
                clock_start: "2025-01-03 16:00",
                due: "2025-01-08 16:00",
                skipped: vec![(d(2025, 1, 4), Weekend), (d(2025, 1, 5), Weekend)],
            },
            Case {
                name: "Friday 17:30 (after closing) + 3 working days",
                calendar: def(),
                received: at(2025, 1, 3, 17, 30),
                time: WorkingDays(3),
                clock_start: "2025-01-06 07:00",
                due: "2025-01-08 17:00",
                skipped: vec![(d(2025, 1, 4), Weekend), (d(2025, 1, 5), Weekend)],
            },
            Case {
                name: "exactly at closing counts from the next morning",
                calendar: def(),
                received: at(2025, 1, 7, 17, 0),
                time: WorkingDays(1),
                clock_start: "2025-01-08 07:00",
                due: "2025-01-08 17:00",
                skipped: vec![],
            },
            Case {
                name: "Monday 07:00 + 3 working days ends Wednesday 17:00",
                calendar: def(),
                received: at(2025, 1, 6, 7, 0),
                time: WorkingDays(3),
                clock_start: "2025-01-06 07:00",
                due: "2025-01-08 17:00",
                skipped: vec![],
            },
            Case {
                name: "before opening",
                calendar: def(),
                received: at(2025, 1, 6, 6, 15),
                time: WorkingDays(1),
                clock_start: "2025-01-06 07:00",
                due: "2025-01-06 17:00",
                skipped: vec![],
            },
            Case {
                name: "during lunch, 1 working day ends at 11:30 next day",
                calendar: def(),
                received: at(2025, 1, 7, 12, 0),
                time: WorkingDays(1),
                clock_start: "2025-01-07 13:30",
                due: "2025-01-08 11:30",
                skipped: vec![],
            },
            Case {
                name: "at 11:30 is lunch",
                calendar: def(),
                received: at(2025, 1, 7, 11, 30),
                time: Hours(3),
                clock_start: "2025-01-07 13:30",
                due: "2025-01-07 16:30",
                skipped: vec![],
            },
            Case {
                name: "4 working hours across lunch",
                calendar: def(),
                received: at(2025, 1, 7, 10, 0),
                time: Hours(4),
                clock_start: "2025-01-07 10:00",
                due: "2025-01-07 16:00",
                skipped: vec![],
            },
            Case {
                name: "8 working hours = 1 working day",
                calendar: def(),
                received: at(2025, 1, 7, 10, 0),
                time: Hours(8),
                clock_start: "2025-01-07 10:00",
                due: "2025-01-08 10:00",
                skipped: vec![],
            },
            Case {
                name: "zero working days: due at clock start",
                calendar: def(),
                received: at(2025, 1, 3, 18, 0),
                time: WorkingDays(0),
                clock_start: "2025-01-06 07:00",
                due: "2025-01-06 07:00",
                skipped: vec![(d(2025, 1, 4), Weekend), (d(2025, 1, 5), Weekend)],
            },
            Case {
                name: "received on mùng 1 Tết 2025",
                calendar: def(),
                received: at(2025, 1, 29, 9, 0),
                time: WorkingDays(3),
                clock_start: "2025-02-04 07:00",
                due: "2025-02-06 17:00",
                skipped: vec![
                    (d(2025, 1, 29), PublicHoliday),
                    (d(2025, 1, 30), PublicHoliday),
                    (d(2025, 1, 31), PublicHoliday),
                    (d(2025, 2, 1), PublicHoliday),
                    (d(2025, 2, 2), Weekend),
                    (d(2025, 2, 3), CompensatoryDayOff),
                ],
            },
            Case {
                name: "Tết 2025 as announced (27/1 off, 3/2 worked)",
                calendar: official_2025(),
                received: at(2025, 1, 24, 16, 0),
                time: WorkingDays(1),
                clock_start: "2025-01-24 16:00",
                due: "2025-02-03 16:00",
                skipped: vec![
                    (d(2025, 1, 25), Weekend),
                    (d(2025, 1, 26), Weekend),
                    (d(2025, 1, 27), GovernmentDayOff),
                    (d(2025, 1, 28), PublicHoliday),
                    (d(2025, 1, 29), PublicHoliday),
                    (d(2025, 1, 30), PublicHoliday),
                    (d(2025, 1, 31), PublicHoliday),
                    (d(2025, 2, 1), PublicHoliday),
                    (d(2025, 2, 2), Weekend),
                ],
            },
            Case {
                name: "29 April with 30/4 and 1/5",
                calendar: def(),
                received: at(2025, 4, 29, 10, 0),
                time: WorkingDays(2),
                clock_start: "2025-04-29 10:00",
                due: "2025-05-05 10:00",
                skipped: vec![
                    (d(2025, 4, 30), PublicHoliday),
                    (d(2025, 5, 1), PublicHoliday),
                    (d(2025, 5, 3), Weekend),
                    (d(2025, 5, 4), Weekend),
                ],
            },
            Case {
                name: "29 April 2025 with the 2/5 day off",
                calendar: official_2025(),
                received: at(2025, 4, 29, 10, 0),
                time: WorkingDays(2),
                clock_start: "2025-04-29 10:00",
                due: "2025-05-06 10:00",
                skipped: vec![
                    (d(2025, 4, 30), PublicHoliday),
                    (d(2025, 5, 1), PublicHoliday),
                    (d(2025, 5, 2), GovernmentDayOff),
                    (d(2025, 5, 3), Weekend),
                    (d(2025, 5, 4), Weekend),
                ],
            },
            Case {
                name: "working Saturday 26/4/2025 counts",
                calendar: official_2025(),
                received: at(2025, 4, 25, 16, 0),
                time: WorkingDays(1),
                clock_start: "2025-04-25 16:00",
                due: "2025-04-26 16:00",
                skipped: vec![],
            },
            Case {
                name: "received on the working Saturday",
                calendar: official_2025(),
                received: at(2025, 4, 26, 8, 0),
                time: ProcessingTime::same_day_certification(),
                clock_start: "2025-04-26 08:00",
                due: "2025-04-26 17:00",
                skipped: vec![],
            },
            Case {
                name: "without the adjustment that Saturday is a weekend",
                calendar: def(),
                received: at(2025, 4, 25, 16, 0),
                time: WorkingDays(1),
                clock_start: "2025-04-25 16:00",
                due: "2025-04-28 16:00",
                skipped: vec![(d(2025, 4, 26), Weekend), (d(2025, 4, 27), Weekend)],
            },
            Case {
                name: "1/1/2023 on a Sunday gives compensatory Monday 2/1",
                calendar: def(),
                received: at(2022, 12, 30, 16, 0),
                time: WorkingDays(1),
                clock_start: "2022-12-30 16:00",
                due: "2023-01-03 16:00",
                skipped: vec![
                    (d(2022, 12, 31), Weekend),
                    (d(2023, 1, 1), PublicHoliday),
                    (d(2023, 1, 2), CompensatoryDayOff),
                ],
            },
            Case {
                name: "Quốc khánh 2025: 1/9 and 2/9",
                calendar: def(),
                received: at(2025, 8, 29, 10, 0),
                time: WorkingDays(2),
                clock_start: "2025-08-29 10:00",
                due: "2025-09-04 10:00",
                skipped: vec![
                    (d(2025, 8, 30), Weekend),
                    (d(2025, 8, 31), Weekend),
                    (d(2025, 9, 1), PublicHoliday),
                    (d(2025, 9, 2), PublicHoliday),
                ],
            },
            Case {
                name: "Quốc khánh 2024: 2/9 Monday, compensatory 3/9 for Sunday 1/9",
                calendar: def(),
                received: at(2024, 8, 30, 17, 45),
                time: WorkingDays(1),
                clock_start: "2024-09-04 07:00",
                due: "2024-09-04 17:00",
                skipped: vec![
                    (d(2024, 8, 31), Weekend),
                    (d(2024, 9, 1), PublicHoliday),
                    (d(2024, 9, 2), PublicHoliday),
                    (d(2024, 9, 3), CompensatoryDayOff),
                ],
            },
            Case {
                name: "calendar days, plain",
                calendar: def(),
                received: at(2025, 1, 6, 9, 0),
                time: CalendarDays(3),
                clock_start: "2025-01-06 09:00",
                due: "2025-01-09 17:00",
                skipped: vec![],
            },
            Case {
                name: "calendar days ending on a Saturday move to Monday",
                calendar: def(),
                received: at(2025, 1, 6, 9, 0),
                time: CalendarDays(5),
                clock_start: "2025-01-06 09:00",
                due: "2025-01-13 17:00",
                skipped: vec![(d(2025, 1, 11), Weekend), (d(2025, 1, 12), Weekend)],
            },
            Case {
                name: "calendar days ending on a Sunday move to Monday",
                calendar: def(),
                received: at(2025, 1, 6, 9, 0),
                time: CalendarDays(6),
                clock_start: "2025-01-06 09:00",
                due: "2025-01-13 17:00",
                skipped: vec![(d(2025, 1, 12), Weekend)],
            },
            Case {
                name: "calendar days count holidays inside the period",
                calendar: def(),
                received: at(2025, 4, 28, 9, 0),
                time: CalendarDays(4),
                clock_start: "2025-04-28 9:00",
                due: "2025-05-02 17:00",
                skipped: vec![],
            },
            Case {
                name: "calendar days received after closing count from the next working day",
                calendar: def(),
                received: at(2025, 1, 3, 17, 30),
                time: CalendarDays(3),
                clock_start: "2025-01-06 07:00",
                due: "2025-01-09 17:00",
                skipped: vec![(d(2025, 1, 4), Weekend), (d(2025, 1, 5), Weekend)],
            },
            Case {
                name: "calendar days ending on Tết",
                calendar: def(),
                received: at(2025, 1, 20, 9, 0),
                time: CalendarDays(10),
                clock_start: "2025-01-20 09:00",
                due: "2025-02-04 17:00",
                skipped: vec![
                    (d(2025, 1, 30), PublicHoliday),
                    (d(2025, 1, 31), PublicHoliday),
                    (d(2025, 2, 1), PublicHoliday),
                    (d(2025, 2, 2), Weekend),
                    (d(2025, 2, 3), CompensatoryDayOff),
                ],
            },
            Case {
                name: "one month, end of month clamps (31/1 → 29/2)",
                calendar: def(),
                received: at(2024, 1, 31, 9, 0),
                time: CalendarMonths(1),
                clock_start: "2024-01-31 09:00",
                due: "2024-02-29 17:00",
                skipped: vec![],
            },
            Case {
                name: "same day, before 15:00",
                calendar: def(),
                received: at(2025, 1, 7, 14, 59),
                time: same_day,
                clock_start: "2025-01-07 14:59",
                due: "2025-01-07 17:00",
                skipped: vec![],
            },
            Case {
                name: "same day, at 15:00:00 exactly → still that day (not after 15:00)",
                calendar: def(),
                received: at(2025, 1, 7, 15, 0),
                time: same_day,
                clock_start: "2025-01-07 15:00",
                due: "2025-01-07 17:00",
                skipped: vec![],
            },
            Case {
                name: "same day, Friday after 15:00 → Monday",
                calendar: def(),
                received: at(2025, 1, 3, 15, 30),
                time: same_day,
                clock_start: "2025-01-03 15:30",
                due: "2025-01-06 17:00",
                skipped: vec![(d(2025, 1, 4), Weekend), (d(2025, 1, 5), Weekend)],
            },
            Case {
                name: "same day, Friday after closing → Monday",
                calendar: def(),
                received: at(2025, 1, 3, 19, 0),
                time: same_day,
                clock_start: "2025-01-06 07:00",
                due: "2025-01-06 17:00",
                skipped: vec![(d(2025, 1, 4), Weekend), (d(2025, 1, 5), Weekend)],
            },
            Case {
                name: "same day, received on Saturday → Monday",
                calendar: def(),
                received: at(2025, 1, 4, 9, 0),
                time: same_day,
                clock_start: "2025-01-06 07:00",
                due: "2025-01-06 17:00",
                skipped: vec![(d(2025, 1, 4), Weekend), (d(2025, 1, 5), Weekend)],
            },
            Case {
                name: "same day, before opening and during lunch count as that day",
                calendar: def(),
                received: at(2025, 1, 7, 12, 15),
                time: same_day,
                clock_start: "2025-01-07 13:30",
                due: "2025-01-07 17:00",
                skipped: vec![],
            },
            Case {
                name: "same day, a cutoff after closing acts as closing",
                calendar: def(),
                received: at(2025, 1, 7, 17, 30),
                time: SameDay { cutoff: hm(18, 0) },
                clock_start: "2025-01-08 07:00",
                due: "2025-01-08 17:00",
                skipped: vec![],
            },
        ]
    }

    #[test]
    fn known_cases() {
        for c in cases() {
            let due = c.calendar.due(c.received, &c.time);
            assert_eq!(
                local(due.clock_starts_at),
                c.clock_start.replace(" 9:", " 09:"),
                "{}",
                c.name
            );
            assert_eq!(local(due.due_at), c.due, "{}", c.name);
            assert_eq!(skipped(&due), c.skipped, "{}", c.name);
            assert_eq!(due.received_at, c.received, "{}", c.name);
            assert_eq!(
                due.due_date,
                to_local(due.due_at).unwrap().date(),
                "{}",
                c.name
            );
            assert_eq!(due.processing_time, c.time, "{}", c.name);
            assert!(c.calendar.is_working_day(due.due_date), "{}", c.name);
            assert!(due.explanation.len() >= 3, "{}", c.name);
            assert!(
                due.explanation
                    .last()
                    .unwrap()
                    .starts_with("Hạn trả kết quả: "),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn skipped_days_carry_names() {
        let cal = hours_rule();
        let due = cal.due(at(2022, 4, 29, 16, 0), &WorkingDays(1));
        // 30/4/2022 Saturday, 1/5 Sunday → compensatory Monday 2/5 and Tuesday 3/5.
        assert_eq!(local(due.due_at), "2022-05-04 16:00");
        let names: Vec<(SkipReason, Option<&str>)> = due
            .skipped
            .iter()
            .map(|s| (s.reason, s.name.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                (PublicHoliday, Some(REUNIFICATION_DAY)),
                (PublicHoliday, Some(LABOUR_DAY)),
                (CompensatoryDayOff, Some(REUNIFICATION_DAY)),
                (CompensatoryDayOff, Some(LABOUR_DAY)),
            ]
        );
        let due = cal.due(at(2022, 12, 30, 16, 0), &WorkingDays(1));
        assert_eq!(due.skipped[1].name.as_deref(), Some(NEW_YEAR));
        let due = cal.due(at(2025, 1, 29, 9, 0), &WorkingDays(1));
        assert_eq!(due.skipped[0].name.as_deref(), Some(LUNAR_NEW_YEAR));
        let due = cal.due(at(2025, 9, 1, 9, 0), &WorkingDays(1));
        assert_eq!(due.skipped[0].name.as_deref(), Some(NATIONAL_DAY));
        assert_eq!(due.skipped[0].reason, PublicHoliday);
    }

    #[test]
    fn explanation_text() {
        let cal = hours_rule();
        let due = cal.due(at(2025, 1, 3, 17, 30), &WorkingDays(3));
        assert_eq!(
            due.explanation,
            vec![
                "Tiếp nhận: 17:30 Thứ Sáu 03/01/2025.",
                "Bắt đầu tính thời hạn: 07:00 Thứ Hai 06/01/2025 (tiếp nhận sau giờ làm việc).",
                "Thời hạn: 3 ngày làm việc = 1440 phút làm việc \
                 (1 ngày làm việc = 480 phút: 07:00–11:30, 13:30–17:00).",
                "Không tính Thứ Bảy 04/01/2025: nghỉ hằng tuần.",
                "Không tính Chủ nhật 05/01/2025: nghỉ hằng tuần.",
                "Hạn trả kết quả: 17:00 Thứ Tư 08/01/2025.",
            ]
        );
        let due = cal.due(at(2025, 1, 6, 9, 0), &CalendarDays(6));
        assert!(due
            .explanation
            .iter()
            .any(|l| l.contains("ngày cuối của thời hạn: Chủ nhật 12/01/2025")));
        assert!(due
            .explanation
            .iter()
            .any(|l| l.contains("hạn chuyển sang ngày làm việc tiếp theo, Thứ Hai 13/01/2025")));
        let due = cal.due(at(2025, 1, 29, 9, 0), &WorkingDays(1));
        assert!(due
            .explanation
            .contains(&"Không tính Thứ Tư 29/01/2025: nghỉ lễ, tết – Tết Nguyên Đán.".to_owned()));
        assert!(due
            .explanation
            .contains(&"Không tính Thứ Hai 03/02/2025: nghỉ bù Tết Nguyên Đán.".to_owned()));
        assert!(due.explanation[1].ends_with("(tiếp nhận vào ngày nghỉ)."));
        let due = cal.due(at(2025, 1, 7, 6, 0), &WorkingDays(1));
        assert!(due.explanation[1].ends_with("(tiếp nhận trước giờ làm việc)."));
        let due = cal.due(at(2025, 1, 7, 12, 0), &WorkingDays(1));
        assert!(due.explanation[1].ends_with("(tiếp nhận trong giờ nghỉ trưa)."));
        let due = official_2025().due(at(2025, 5, 1, 9, 0), &WorkingDays(1));
        assert!(due.explanation.contains(
            &"Không tính Thứ Sáu 02/05/2025: ngày nghỉ theo thông báo – Nghỉ hoán đổi.".to_owned()
        ));
    }

    #[test]
    fn serialises_snake_case() {
        let cal = hours_rule();
        let due = cal.due(at(2025, 1, 29, 9, 0), &WorkingDays(3));
        let json = serde_json::to_value(&due).unwrap();
        assert_eq!(
            json["processing_time"],
            serde_json::json!({"unit": "working_days", "value": 3})
        );
        assert_eq!(json["due_date"], "2025-02-06");
        assert_eq!(json["due_at"], "2025-02-06T10:00:00Z");
        assert_eq!(json["clock_starts_at"], "2025-02-04T00:00:00Z");
        assert_eq!(
            json["skipped"][0],
            serde_json::json!({"date": "2025-01-29", "reason": "public_holiday", "name": "Tết Nguyên Đán"})
        );
        assert_eq!(json["skipped"][4]["reason"], "weekend");
        assert_eq!(json["skipped"][4]["name"], serde_json::Value::Null);
        assert_eq!(json["skipped"][5]["reason"], "compensatory_day_off");
        let off = official_2025().due(at(2025, 5, 1, 9, 0), &WorkingDays(1));
        assert_eq!(
            serde_json::to_value(&off).unwrap()["skipped"][1]["reason"],
            "government_day_off"
        );
        let back: DueDate = serde_json::from_value(json).unwrap();
        assert_eq!(back, due);
        for (t, expected) in [
            (
                Hours(4),
                serde_json::json!({"unit": "working_hours", "value": 4}),
            ),
            (
                CalendarDays(15),
                serde_json::json!({"unit": "calendar_days", "value": 15}),
            ),
            (
                CalendarMonths(1),
                serde_json::json!({"unit": "calendar_months", "value": 1}),
            ),
            (
                ProcessingTime::same_day_certification(),
                serde_json::json!({"unit": "same_day", "value": {"cutoff": "15:00:00"}}),
            ),
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), expected);
            assert_eq!(
                serde_json::from_value::<ProcessingTime>(expected).unwrap(),
                t
            );
        }
    }

    #[test]
    fn working_hours_validation_and_serde() {
        assert_eq!(WorkingHours::default().daily_minutes(), 480);
        assert!(WorkingHours::new(hm(7, 30), hm(11, 30), hm(13, 30), hm(17, 30)).is_ok());
        assert!(WorkingHours::new(hm(8, 0), hm(12, 0), hm(12, 0), hm(16, 0)).is_ok());
        assert_eq!(
            WorkingHours::new(hm(8, 0), hm(8, 0), hm(13, 0), hm(17, 0)),
            Err(InvalidWorkingHours)
        );
        assert_eq!(
            WorkingHours::new(hm(8, 0), hm(12, 0), hm(11, 0), hm(17, 0)),
            Err(InvalidWorkingHours)
        );
        assert_eq!(
            WorkingHours::new(hm(8, 0), hm(12, 0), hm(13, 0), hm(13, 0)),
            Err(InvalidWorkingHours)
        );
        let with_seconds = NaiveTime::from_hms_opt(7, 0, 30).unwrap();
        assert_eq!(
            WorkingHours::new(with_seconds, hm(12, 0), hm(13, 0), hm(17, 0)),
            Err(InvalidWorkingHours)
        );
        let json = serde_json::to_value(WorkingHours::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"morning_start": "07:00:00", "morning_end": "11:30:00",
                               "afternoon_start": "13:30:00", "afternoon_end": "17:00:00"})
        );
        assert_eq!(
            serde_json::from_value::<WorkingHours>(json).unwrap(),
            WorkingHours::default()
        );
        let bad = serde_json::json!({"morning_start": "12:00:00", "morning_end": "11:30:00",
                                     "afternoon_start": "13:30:00", "afternoon_end": "17:00:00"});
        assert!(serde_json::from_value::<WorkingHours>(bad).is_err());
        assert!(WorkingHours::default().contains(hm(17, 0)));
        assert!(WorkingHours::default().contains(hm(11, 30)));
        assert!(!WorkingHours::default().contains(hm(12, 0)));
        assert!(!WorkingHours::default().contains(hm(6, 59)));
    }

    #[test]
    fn other_working_hours() {
        let h = WorkingHours::new(hm(7, 30), hm(11, 30), hm(13, 30), hm(17, 30)).unwrap();
        let cal = WorkCalendar::new(h).with_counting(DayCounting::WorkingHours);
        let due = cal.due(at(2025, 1, 3, 17, 15), &WorkingDays(1));
        assert_eq!(local(due.clock_starts_at), "2025-01-03 17:15");
        assert_eq!(local(due.due_at), "2025-01-06 17:15");
        let due = cal.due(at(2025, 1, 7, 7, 0), &CalendarDays(1));
        assert_eq!(local(due.due_at), "2025-01-08 17:30");
        // A continuous day (no lunch break): the interval boundary at noon is seamless.
        let h = WorkingHours::new(hm(8, 0), hm(12, 0), hm(12, 0), hm(16, 0)).unwrap();
        let cal = WorkCalendar::new(h);
        assert_eq!(
            local(cal.add_working_minutes(at(2025, 1, 7, 11, 0), 60)),
            "2025-01-07 12:00"
        );
        assert_eq!(
            local(cal.add_working_minutes(at(2025, 1, 7, 11, 0), 61)),
            "2025-01-07 12:01"
        );
        assert_eq!(
            local(cal.clock_start(at(2025, 1, 7, 12, 0))),
            "2025-01-07 12:00"
        );
        assert_eq!(
            cal.working_minutes_between(at(2025, 1, 7, 11, 0), at(2025, 1, 7, 13, 0)),
            120
        );
    }

    #[test]
    fn working_minutes_between_cases() {
        let cal = hours_rule();
        let fri16 = at(2025, 1, 3, 16, 0);
        let mon8 = at(2025, 1, 6, 8, 0);
        assert_eq!(cal.working_minutes_between(fri16, mon8), 120);
        assert_eq!(cal.working_minutes_between(mon8, fri16), -120);
        assert_eq!(cal.working_minutes_between(fri16, fri16), 0);
        // Lunch and nights do not count.
        assert_eq!(
            cal.working_minutes_between(at(2025, 1, 7, 11, 0), at(2025, 1, 7, 14, 0)),
            60
        );
        assert_eq!(
            cal.working_minutes_between(at(2025, 1, 7, 18, 0), at(2025, 1, 8, 6, 0)),
            0
        );
        // A whole working week.
        assert_eq!(
            cal.working_minutes_between(at(2025, 1, 6, 0, 0), at(2025, 1, 13, 0, 0)),
            5 * 480
        );
        // Tết week 2025: nothing but Monday 27/1 (default calendar).
        assert_eq!(
            cal.working_minutes_between(at(2025, 1, 27, 0, 0), at(2025, 2, 4, 0, 0)),
            480
        );
        // Seconds are floored to whole minutes.
        let a = at(2025, 1, 7, 8, 0);
        assert_eq!(
            cal.working_minutes_between(a, a + TimeDelta::seconds(119)),
            1
        );
        assert_eq!(
            cal.working_minutes_between(a + TimeDelta::seconds(119), a),
            -1
        );
    }

    #[test]
    fn add_working_minutes_cases() {
        let cal = hours_rule();
        let mon7 = at(2025, 1, 6, 7, 0);
        assert_eq!(local(cal.add_working_minutes(mon7, 0)), "2025-01-06 07:00");
        assert_eq!(
            local(cal.add_working_minutes(mon7, 270)),
            "2025-01-06 11:30"
        );
        assert_eq!(
            local(cal.add_working_minutes(mon7, 271)),
            "2025-01-06 13:31"
        );
        assert_eq!(
            local(cal.add_working_minutes(mon7, 480)),
            "2025-01-06 17:00"
        );
        assert_eq!(
            local(cal.add_working_minutes(mon7, 481)),
            "2025-01-07 07:01"
        );
        assert_eq!(
            local(cal.add_working_minutes(mon7, 5 * 480)),
            "2025-01-10 17:00"
        );
        assert_eq!(
            local(cal.add_working_minutes(mon7, 5 * 480 + 1)),
            "2025-01-13 07:01"
        );
        // Negative amounts are treated as zero: the clock start.
        assert_eq!(
            local(cal.add_working_minutes(at(2025, 1, 4, 9, 0), -30)),
            "2025-01-06 07:00"
        );
        // Seconds of the start are kept.
        let t = mon7 + TimeDelta::seconds(42);
        assert_eq!(cal.add_working_minutes(t, 10), t + TimeDelta::minutes(10));
    }

    #[test]
    fn pause_cases() {
        let cal = hours_rule();
        let due = at(2025, 1, 8, 16, 0);
        // One working day paused → one working day later.
        assert_eq!(
            local(cal.extend_for_pause(due, at(2025, 1, 6, 10, 0), at(2025, 1, 7, 10, 0))),
            "2025-01-09 16:00"
        );
        // A pause over a weekend only, or a zero-length or reversed pause: no change.
        assert_eq!(
            cal.extend_for_pause(due, at(2025, 1, 3, 17, 0), at(2025, 1, 6, 7, 0)),
            due
        );
        assert_eq!(
            cal.extend_for_pause(due, at(2025, 1, 6, 10, 0), at(2025, 1, 6, 10, 0)),
            due
        );
        assert_eq!(
            cal.extend_for_pause(due, at(2025, 1, 6, 10, 0), at(2025, 1, 6, 9, 0)),
            due
        );
        // A due date at closing time continues the next morning.
        let due = at(2025, 1, 8, 17, 0);
        assert_eq!(
            local(cal.extend_for_pause(due, at(2025, 1, 6, 10, 0), at(2025, 1, 6, 10, 30))),
            "2025-01-09 07:30"
        );
        // A pause across lunch counts only office time (11:00–14:00 → 60 min).
        let due = at(2025, 1, 10, 9, 0);
        assert_eq!(
            local(cal.extend_for_pause(due, at(2025, 1, 7, 11, 0), at(2025, 1, 7, 14, 0))),
            "2025-01-10 10:00"
        );
        // The extension crosses Tết 2025.
        let due = at(2025, 1, 27, 16, 0);
        assert_eq!(
            local(cal.extend_for_pause(due, at(2025, 1, 20, 7, 0), at(2025, 1, 21, 7, 0))),
            "2025-02-04 16:00"
        );
    }

    #[test]
    fn extremes_do_not_panic() {
        let cal = hours_rule();
        for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            for pt in [
                WorkingDays(u32::MAX),
                Hours(u32::MAX),
                CalendarDays(u32::MAX),
                CalendarMonths(u32::MAX),
                ProcessingTime::same_day_certification(),
            ] {
                let _ = cal.due(t, &pt);
            }
            let _ = cal.add_working_minutes(t, i64::MAX);
            let _ = cal.clock_start(t);
            let _ = cal.extend_for_pause(t, t, t);
        }
        let start = at(2025, 1, 6, 7, 0);
        let capped = cal.due(start, &WorkingDays(u32::MAX));
        assert!(capped.explanation.iter().any(|l| l.contains("giới hạn")));
        assert_eq!(
            capped.due_at,
            cal.due(start, &WorkingDays(MAX_PROCESSING_DAYS)).due_at
        );
        assert!(cal.add_working_minutes(start, i64::MAX) > start);
        let far = cal.due(start, &CalendarDays(MAX_PROCESSING_DAYS));
        assert!(cal.is_working_day(far.due_date));
    }

    // ---- properties ----

    fn instant_2020_2035() -> impl Strategy<Value = DateTime<Utc>> {
        let lo = at(2020, 1, 1, 0, 0).timestamp();
        let hi = at(2036, 1, 1, 0, 0).timestamp();
        (lo..hi).prop_map(|s| DateTime::<Utc>::from_timestamp(s, 0).unwrap())
    }

    fn minute_instant() -> impl Strategy<Value = DateTime<Utc>> {
        instant_2020_2035().prop_map(|t| t - TimeDelta::seconds(t.timestamp().rem_euclid(60)))
    }

    fn processing_time() -> impl Strategy<Value = ProcessingTime> {
        prop_oneof![
            (0u32..=60).prop_map(WorkingDays),
            (0u32..=200).prop_map(Hours),
            (0u32..=120).prop_map(CalendarDays),
            (0u32..=24).prop_map(CalendarMonths),
            (6u32..=19, 0u32..60).prop_map(|(h, m)| SameDay { cutoff: hm(h, m) }),
        ]
    }

    /// The default calendar, or one with random swaps and extra days off.
    fn calendar() -> impl Strategy<Value = WorkCalendar> {
        let date = (0i64..16 * 366).prop_map(|n| d(2020, 1, 1) + TimeDelta::days(n));
        let adjustment = (date, any::<bool>()).prop_map(|(date, off)| {
            if off {
                Adjustment::day_off(date, "Nghỉ")
            } else {
                Adjustment::working_day(date, "Làm việc")
            }
        });
        let counting = prop_oneof![
            Just(DayCounting::CivilCode),
            Just(DayCounting::WorkingHours)
        ];
        (counting, proptest::collection::vec(adjustment, 0..40))
            .prop_map(|(c, a)| WorkCalendar::default().with_counting(c).with_adjustments(a))
    }

    fn in_working_time(cal: &WorkCalendar, t: DateTime<Utc>) -> bool {
        let l = to_local(t).unwrap();
        cal.is_working_day(l.date()) && cal.hours.contains(l.time())
    }

    fn scaled(t: ProcessingTime, k: u32) -> ProcessingTime {
        match t {
            WorkingDays(n) => WorkingDays(n + k),
            Hours(n) => Hours(n + k),
            CalendarDays(n) => CalendarDays(n + k),
            CalendarMonths(n) => CalendarMonths(n + k),
            SameDay { cutoff } => SameDay { cutoff },
        }
    }

    /// Decree 23/2015/NĐ-CP Art. 21: up to 2 working days more for a certification;
    /// apology slip at the latest one working day before the due date (provincial one-stop
    /// regulations under Decree 118/2025/NĐ-CP).
    #[test]
    fn certification_extension_and_apology_deadline_decree_23_2015_art_21() {
        let cal = WorkCalendar::default();
        // Due Thursday 9/1/2025 17:00 → +2 working days = Monday 13/1 17:00.
        let due = at(2025, 1, 9, 17, 0);
        assert_eq!(
            local(cal.extend_by_working_days(due, 2)),
            "2025-01-13 17:00"
        );
        assert_eq!(
            local(cal.extend_by_working_days(due, 0)),
            "2025-01-09 17:00"
        );
        // Working-hours option: 2 × 8 h from the due instant.
        let h = hours_rule();
        assert_eq!(
            local(h.extend_by_working_days(at(2025, 1, 9, 10, 0), 2)),
            "2025-01-13 10:00"
        );
        // Apology: at the latest at closing of the working day before the due date.
        assert_eq!(local(cal.apology_deadline(due)), "2025-01-08 17:00");
        // Due Monday 6/1/2025: the working day before is Friday 3/1.
        assert_eq!(
            local(cal.apology_deadline(at(2025, 1, 6, 17, 0))),
            "2025-01-03 17:00"
        );
        // Due Tuesday 4/2/2025 after Tết: the last working day before is Monday 27/1.
        assert_eq!(
            local(cal.apology_deadline(at(2025, 2, 4, 17, 0))),
            "2025-01-27 17:00"
        );
    }

    // ---- Civil Code counting (the default) ----

    /// Civil Code 2015 Art. 147(2), 148(1): the reception day is not counted; N working
    /// days end at closing time of the N-th working day after it.
    #[test]
    fn civil_code_working_days_civil_code_2015_art_147_148() {
        let cal = WorkCalendar::default();
        assert_eq!(cal.counting, DayCounting::CivilCode);
        let due = |r, n| local(cal.due(r, &WorkingDays(n)).due_at);
        // The example: Monday 10:00 + 3 days = Thursday 17:00 (not 10:00), so a
        // result returned Thursday 14:00 is on time.
        assert_eq!(due(at(2025, 1, 6, 10, 0), 3), "2025-01-09 17:00");
        // Reception time within the day does not matter.
        assert_eq!(due(at(2025, 1, 6, 7, 0), 3), "2025-01-09 17:00");
        assert_eq!(due(at(2025, 1, 6, 16, 59), 3), "2025-01-09 17:00");
        // After closing or on a weekend: still the next working days after that day.
        assert_eq!(due(at(2025, 1, 6, 18, 0), 1), "2025-01-07 17:00");
        assert_eq!(due(at(2025, 1, 3, 16, 0), 1), "2025-01-06 17:00");
        assert_eq!(due(at(2025, 1, 4, 9, 0), 1), "2025-01-06 17:00");
        // Holidays are skipped: received Friday 24/1/2025, Tết 28/1–1/2, 3/2 compensatory.
        let d3 = cal.due(at(2025, 1, 24, 9, 0), &WorkingDays(3));
        assert_eq!(local(d3.due_at), "2025-02-05 17:00");
        assert_eq!(
            skipped(&d3),
            vec![
                (d(2025, 1, 25), Weekend),
                (d(2025, 1, 26), Weekend),
                (d(2025, 1, 28), PublicHoliday),
                (d(2025, 1, 29), PublicHoliday),
                (d(2025, 1, 30), PublicHoliday),
                (d(2025, 1, 31), PublicHoliday),
                (d(2025, 2, 1), PublicHoliday),
                (d(2025, 2, 2), Weekend),
                (d(2025, 2, 3), CompensatoryDayOff),
            ]
        );
        assert!(d3.explanation.iter().any(|e| e.contains("Điều 147")));
        // Zero days: the end of the reception day, or of the next working day.
        assert_eq!(due(at(2025, 1, 6, 10, 0), 0), "2025-01-06 17:00");
        assert_eq!(due(at(2025, 1, 6, 17, 0), 0), "2025-01-07 17:00");
        // The working-hours option counts 3 × 8 h from the instant.
        let hours = hours_rule();
        assert_eq!(
            local(hours.due(at(2025, 1, 6, 10, 0), &WorkingDays(3)).due_at),
            "2025-01-09 10:00"
        );
        // Hours stay hours under either counting.
        assert_eq!(
            local(cal.due(at(2025, 1, 7, 10, 0), &Hours(4)).due_at),
            "2025-01-07 16:00"
        );
        assert_eq!(
            DayCounting::parse("working_hours"),
            Some(DayCounting::WorkingHours)
        );
        assert_eq!(
            DayCounting::parse("civil_code"),
            Some(DayCounting::CivilCode)
        );
        assert_eq!(DayCounting::parse("x"), None);
    }

    /// Decree 23/2015/NĐ-CP Art. 7 (chứng thực) and Luật Hộ tịch 2014 Art. 5(3) (hộ tịch):
    /// received after 15:00 → the next working day. 15:00:00 exactly is not "after 15:00".
    #[test]
    fn same_day_cutoff_15_00_decree_23_2015_art_7_civil_status_law_2014_art_5() {
        let cal = WorkCalendar::default();
        let t = ProcessingTime::same_day_certification();
        let due = |h, m, s| {
            let r = from_local(d(2025, 1, 7).and_hms_opt(h, m, s).unwrap()).unwrap();
            local(cal.due(r, &t).due_at)
        };
        assert_eq!(due(14, 59, 59), "2025-01-07 17:00");
        assert_eq!(due(15, 0, 0), "2025-01-07 17:00");
        assert_eq!(due(15, 0, 1), "2025-01-08 17:00");
        assert_eq!(due(16, 30, 0), "2025-01-08 17:00");
        // A fraction of a second after 15:00 is after 15:00.
        let r = from_local(d(2025, 1, 7).and_hms_milli_opt(15, 0, 0, 1).unwrap()).unwrap();
        assert_eq!(local(cal.due(r, &t).due_at), "2025-01-08 17:00");
        // Which cutoff a case gets.
        let c = |h, m| Some(hm(h, m));
        assert_eq!(same_day_cutoff("Hộ tịch", None), hm(15, 0));
        assert_eq!(same_day_cutoff("Hộ tịch", c(17, 0)), hm(15, 0));
        assert_eq!(same_day_cutoff("Chứng thực", c(16, 0)), hm(15, 0));
        assert_eq!(same_day_cutoff("Chứng thực", c(11, 0)), hm(11, 0));
        assert_eq!(same_day_cutoff("Đăng ký, quản lý cư trú", None), hm(15, 0));
        assert_eq!(
            same_day_cutoff("Đăng ký, quản lý cư trú", c(16, 30)),
            hm(16, 30)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn due_is_in_working_time(cal in calendar(), received in instant_2020_2035(), time in processing_time()) {
            let due = cal.due(received, &time);
            prop_assert!(in_working_time(&cal, due.due_at), "{:?}", due);
            prop_assert!(cal.is_working_day(due.due_date));
            prop_assert!(due.clock_starts_at >= received);
            prop_assert!(due.due_at >= due.clock_starts_at);
            // The clock start is a moment from which working time accrues.
            let start = to_local(due.clock_starts_at).unwrap();
            prop_assert!(cal.is_working_day(start.date()));
            let h = cal.hours;
            prop_assert!((h.morning_start() <= start.time() && start.time() < h.morning_end())
                || (h.afternoon_start() <= start.time() && start.time() < h.afternoon_end()));
            prop_assert_eq!(due.clock_starts_at, cal.clock_start(received));
            // Skipped days: non-working, strictly increasing, between reception and due date.
            let first = to_local(received).unwrap().date();
            for w in due.skipped.windows(2) {
                prop_assert!(w[0].date < w[1].date);
            }
            for s in &due.skipped {
                prop_assert!(!cal.is_working_day(s.date));
                prop_assert!(first <= s.date && s.date < due.due_date);
            }
        }

        #[test]
        fn working_time_due_matches_add_working_minutes(cal in calendar(), received in instant_2020_2035(), n in 0u32..80) {
            let cal = cal.with_counting(DayCounting::WorkingHours);
            let days = cal.due(received, &WorkingDays(n));
            prop_assert_eq!(days.due_at, cal.add_working_minutes(received, i64::from(n) * 480));
            let hours = cal.due(received, &Hours(n));
            prop_assert_eq!(hours.due_at, cal.add_working_minutes(received, i64::from(n) * 60));
            // Every non-working day between clock start and due date is listed.
            let mut date = to_local(days.clock_starts_at).unwrap().date();
            while date < days.due_date {
                let listed = days.skipped.iter().any(|s| s.date == date);
                prop_assert_eq!(listed, !cal.is_working_day(date), "{}", date);
                date = date.succ_opt().unwrap();
            }
        }

        #[test]
        fn more_time_is_never_earlier(cal in calendar(), received in instant_2020_2035(), time in processing_time(), k in 0u32..30) {
            let a = cal.due(received, &time);
            let b = cal.due(received, &scaled(time, k));
            prop_assert!(a.due_at <= b.due_at);
            // Strictly later for working time; calendar periods ending on consecutive
            // non-working days share a due date.
            if k > 0 && matches!(time, WorkingDays(_) | Hours(_)) {
                prop_assert!(a.due_at < b.due_at);
            }
        }

        #[test]
        fn later_reception_is_never_earlier(cal in calendar(), received in instant_2020_2035(), time in processing_time(), later in 0i64..(5 * 86_400)) {
            let a = cal.due(received, &time);
            let b = cal.due(received + TimeDelta::seconds(later), &time);
            prop_assert!(a.due_at <= b.due_at);
        }

        #[test]
        fn add_then_count_gives_back_the_minutes(cal in calendar(), x in instant_2020_2035(), m in 0i64..100_000) {
            let start = cal.clock_start(x);
            let end = cal.add_working_minutes(x, m);
            prop_assert_eq!(cal.working_minutes_between(start, end), m);
            prop_assert_eq!(cal.working_minutes_between(x, end), m);
            prop_assert!(in_working_time(&cal, end));
            prop_assert!(end >= start);
        }

        #[test]
        fn adding_is_additive(cal in calendar(), x in instant_2020_2035(), a in 0i64..20_000, b in 1i64..20_000) {
            let once = cal.add_working_minutes(x, a + b);
            let twice = cal.add_working_minutes(cal.add_working_minutes(x, a), b);
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn counting_is_additive(cal in calendar(), a in minute_instant(), s1 in 0i64..(30 * 86_400), s2 in 0i64..(30 * 86_400)) {
            let b = a + TimeDelta::minutes(s1 / 60);
            let c = b + TimeDelta::minutes(s2 / 60);
            prop_assert_eq!(
                cal.working_minutes_between(a, b) + cal.working_minutes_between(b, c),
                cal.working_minutes_between(a, c)
            );
            prop_assert_eq!(cal.working_minutes_between(c, a), -cal.working_minutes_between(a, c));
            prop_assert!(cal.working_minutes_between(a, c) <= (c - a).num_minutes());
        }

        #[test]
        fn pause_never_moves_due_earlier(
            cal in calendar(),
            received in instant_2020_2035(),
            n in 0u32..30,
            pause_start in 0i64..(20 * 86_400),
            pause_len in 0i64..(20 * 86_400),
        ) {
            let due = cal.due(received, &WorkingDays(n)).due_at;
            let paused = received + TimeDelta::seconds(pause_start);
            let resumed = paused + TimeDelta::seconds(pause_len);
            let extended = cal.extend_for_pause(due, paused, resumed);
            prop_assert!(extended >= due);
            prop_assert!(in_working_time(&cal, extended) || extended == due);
            // Zero-length pauses change nothing.
            prop_assert_eq!(cal.extend_for_pause(due, paused, paused), due);
            // The extension is exactly the paused working time (for whole-minute instants).
            let paused_m = paused - TimeDelta::seconds(paused.timestamp().rem_euclid(60));
            let resumed_m = resumed - TimeDelta::seconds(resumed.timestamp().rem_euclid(60));
            let m = cal.working_minutes_between(paused_m, resumed_m);
            let ext = cal.extend_for_pause(due, paused_m, resumed_m);
            if m > 0 {
                prop_assert_eq!(cal.working_minutes_between(due, ext), m);
                prop_assert_eq!(ext, cal.add_working_minutes(due, m));
            } else {
                prop_assert_eq!(ext, due);
            }
        }

        #[test]
        fn calendar_days_end_on_first_working_day_from_target(cal in calendar(), received in instant_2020_2035(), n in 0u32..120) {
            let due = cal.due(received, &CalendarDays(n));
            let target = to_local(due.clock_starts_at).unwrap().date() + TimeDelta::days(i64::from(n));
            prop_assert!(due.due_date >= target);
            let mut date = target;
            while date < due.due_date {
                prop_assert!(!cal.is_working_day(date));
                date = date.succ_opt().unwrap();
            }
            prop_assert_eq!(to_local(due.due_at).unwrap().time(), cal.hours.afternoon_end());
        }

        #[test]
        fn same_day_rule(cal in calendar(), received in instant_2020_2035(), h in 6u32..=19, m in 0u32..60) {
            let cutoff = hm(h, m);
            let due = cal.due(received, &SameDay { cutoff });
            let l = to_local(received).unwrap();
            let today = cal.is_working_day(l.date())
                && l.time() <= cutoff
                && l.time() < cal.hours.afternoon_end();
            if today {
                prop_assert_eq!(due.due_date, l.date());
            } else {
                prop_assert_eq!(Some(due.due_date), cal.next_working_day(l.date()));
            }
            prop_assert_eq!(to_local(due.due_at).unwrap().time(), cal.hours.afternoon_end());
            prop_assert!(due.due_at > received);
        }
    }
}
