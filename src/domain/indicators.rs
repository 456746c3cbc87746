//! Indicators (Decision 766/QĐ-TTg of 23 June 2022): what one dossier contributes to a commune's counters,
//! and the indicator values and points computed from summed counters. Pure rules; the
//! database keeps the per-dossier facts and daily sums (src/db/indicators.rs).
//!
//! Counting model. A dossier belongs to the cohort of its *cohort day*: the Vietnam date it
//! was received (submitted, when it never was). A report over a period counts the cohort of
//! the period, each dossier with what is known of it now: finished ones by how they ended,
//! open ones split into on time / overdue at the period end (or now, if earlier) when the
//! report is read. 766 §2.1 compares open dossiers with the period end in the same way; a
//! dossier that finished after the period end is counted by its real finish, which is
//! known by then (the national reports freeze it as "open at the period end").

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::calendar::local_date;
use crate::domain::dossier_lifecycle::Status;

/// Declares [`Counters`] once: the struct, its column list (the same names are columns of
/// `dossier_facts` and `indicator_daily`) and the field-wise arithmetic.
macro_rules! counters {
    ($($(#[doc = $doc:literal])+ $name:ident,)+) => {
        /// Dossier counts of a cohort (see the module documentation). Every name is also a
        /// `measure` of the breakdown endpoint that lists the dossiers behind it.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        pub struct Counters {
            $($(#[doc = $doc])+ pub $name: i64,)+
        }

        impl Counters {
            /// Column names, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),+];

            pub fn values(&self) -> Vec<i64> {
                vec![$(self.$name),+]
            }

            /// The inverse of `values` (missing trailing values are 0).
            pub fn from_values(values: &[i64]) -> Counters {
                let mut it = values.iter().copied();
                Counters { $($name: it.next().unwrap_or(0),)+ }
            }

            pub fn add(&mut self, other: &Counters) {
                $(self.$name += other.$name;)+
            }

            pub fn minus(&self, other: &Counters) -> Counters {
                Counters { $($name: self.$name - other.$name,)+ }
            }

            pub fn get(&self, name: &str) -> Option<i64> {
                match name {
                    $(stringify!($name) => Some(self.$name),)+
                    _ => None,
                }
            }

            pub fn is_zero(&self) -> bool {
                $(self.$name == 0 &&)+ true
            }
        }
    };
}

counters! {
    /// Received (reached status 2 at some point; refused and not-yet-received excluded).
    received,
    /// Refused at intake (status 3, never received).
    refused,
    /// Submitted online and not yet received or refused (status 1).
    awaiting_intake,
    /// Received dossiers filed online (`KenhThucHien = 2`).
    online,
    /// Of those, the ones 766 3.3 counts: where the procedure's result is a paper document,
    /// only with an electronic result issued.
    online_counted,
    /// Received dossiers of procedures whose result is a paper document (catalog
    /// `result_type` `paper` or `both`): the denominator of 766 4.1.
    paper_result,
    /// Received dossiers filed by post (`KenhThucHien = 3`).
    post,
    /// Received and still open (split into on time / overdue when a report is read).
    in_progress,
    /// Finished (result, stop or withdrawal) by the due date with at most one supplement request.
    finished_on_time,
    /// Finished after the due date, or with more than one supplement request (766 §2.1).
    finished_late,
    /// Finished with a result (status 9 or 10).
    resolved,
    /// Stopped (status 8) other than by withdrawal.
    stopped,
    /// Withdrawn at the applicant's request (status 7 confirmed into 8).
    withdrawn,
    /// Received dossiers with at least one supplement request.
    supplement_requested,
    /// Received dossiers with more than one supplement request.
    supplement_repeated,
    /// Received dossiers whose due date was extended (apology slip).
    extended,
    /// Components (attachments) of received dossiers.
    components,
    /// Of those, digitized at reception and not rejected on review.
    components_digitized,
    /// Of those, satisfied by reuse (a digital result or an earlier dossier's component).
    components_reused,
    /// Received dossiers with every component file and the result file digitized (766 4.2).
    dossiers_digitized,
    /// Received dossiers with at least one reused component (766 4.3).
    data_reused,
    /// Dossiers of paper-result procedures with an electronic result that is not revoked
    /// (766 4.1 numerator).
    results_digitized,
    /// Received dossiers with fees assessed above zero.
    fee_bearing,
    /// Of those, with a succeeded online payment (766 3.6).
    paid_online,
    /// Received dossiers whose dossier message reached the national portal (766 1.4).
    synced,
    /// Returned dossiers rated by the applicant.
    rated,
    /// Of those, rated satisfied.
    satisfied,
    /// Of those, rated dissatisfied (766 5.4).
    dissatisfied,
}

/// Vietnamese column titles of the counters, for exports.
pub fn label_vi(name: &str) -> &'static str {
    match name {
        "received" => "Hồ sơ tiếp nhận",
        "refused" => "Từ chối tiếp nhận",
        "awaiting_intake" => "Chờ tiếp nhận (trực tuyến)",
        "online" => "Tiếp nhận trực tuyến",
        "online_counted" => "Trực tuyến được tính (chỉ tiêu 3.3)",
        "paper_result" => "Hồ sơ TTHC có kết quả bản giấy",
        "post" => "Tiếp nhận qua bưu chính",
        "in_progress" => "Đang xử lý",
        "finished_on_time" => "Đã giải quyết đúng hạn",
        "finished_late" => "Đã giải quyết quá hạn",
        "resolved" => "Có kết quả",
        "stopped" => "Dừng xử lý",
        "withdrawn" => "Rút hồ sơ",
        "supplement_requested" => "Có yêu cầu bổ sung",
        "supplement_repeated" => "Yêu cầu bổ sung quá 1 lần",
        "extended" => "Gia hạn (phiếu xin lỗi)",
        "components" => "Thành phần hồ sơ",
        "components_digitized" => "Thành phần được số hóa",
        "components_reused" => "Thành phần tái sử dụng",
        "dossiers_digitized" => "Hồ sơ số hóa đầy đủ thành phần và kết quả",
        "data_reused" => "Hồ sơ tái sử dụng dữ liệu",
        "results_digitized" => "Kết quả điện tử",
        "fee_bearing" => "Hồ sơ có phí, lệ phí",
        "paid_online" => "Thanh toán trực tuyến",
        "synced" => "Đồng bộ Cổng DVCQG",
        "rated" => "Được đánh giá",
        "satisfied" => "Hài lòng",
        "dissatisfied" => "Không hài lòng",
        "open_on_time" => "Đang xử lý trong hạn",
        "open_overdue" => "Đang xử lý quá hạn",
        _ => "",
    }
}

/// Everything about one dossier that its facts depend on, as read from the raw tables.
#[derive(Clone, Debug, Default)]
pub struct FactInputs {
    pub status: String,
    pub channel: String,
    /// The procedure's result is a paper document (catalog `result_type` `paper`/`both`).
    pub paper_result: bool,
    /// The stopped dossier was withdrawn (its lifecycle remembers the status it left).
    pub withdrawn: bool,
    pub submitted_at: NaiveDateTime,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub supplement_requests: i64,
    pub extensions: i64,
    pub components: i64,
    pub components_digitized: i64,
    pub components_reused: i64,
    pub digital_results: i64,
    pub fee_total: i64,
    pub online_payments: i64,
    pub synced: bool,
    pub rating: Option<String>,
}

/// The Vietnam date a dossier counts on (see the module documentation).
pub fn cohort_day(i: &FactInputs) -> NaiveDate {
    local_date(i.received_at.unwrap_or(i.submitted_at).and_utc())
}

/// Whether a finished dossier finished on time (766 §2.1): its end is not after the due
/// date (already pushed by supplement pauses), and it needed at most one supplement request.
/// Without a due date (never started the clock) it counts as on time.
pub fn finished_on_time(
    due_at: Option<NaiveDateTime>,
    finished_at: NaiveDateTime,
    supplement_requests: i64,
) -> bool {
    supplement_requests <= 1 && due_at.is_none_or(|due| finished_at <= due)
}

/// Whether an open dossier is overdue at `as_of`: past its due date while the clock runs,
/// or paused for a supplement only after its due date had passed (a pause stops the clock,
/// it does not make a late dossier on time), or already asked for a supplement more than
/// once (766 §2.1).
pub fn open_overdue(
    due_at: Option<NaiveDateTime>,
    paused_at: Option<NaiveDateTime>,
    supplement_requests: i64,
    as_of: NaiveDateTime,
) -> bool {
    supplement_requests > 1
        || due_at.is_some_and(|due| match paused_at {
            Some(paused) => paused > due,
            None => due < as_of,
        })
}

/// What one dossier contributes to its cohort's counters.
pub fn facts(i: &FactInputs) -> Counters {
    let b = |x: bool| i64::from(x);
    let status = Status::parse(&i.status);
    let mut c = Counters::default();
    match status {
        Some(Status::Submitted) => {
            c.awaiting_intake = 1;
            return c;
        }
        Some(Status::Refused) if i.received_at.is_none() => {
            c.refused = 1;
            return c;
        }
        _ => {}
    }
    if i.received_at.is_none() {
        // Not received and not in an intake status: nothing a 766 count looks at.
        return c;
    }
    c.received = 1;
    c.online = b(i.channel == "online");
    c.paper_result = b(i.paper_result);
    // 766 3.3: an online dossier of a paper-result procedure counts only with an e-result.
    c.online_counted = b(c.online == 1 && (!i.paper_result || i.digital_results > 0));
    c.post = b(i.channel == "post");
    match i.finished_at {
        None => c.in_progress = 1,
        Some(end) => {
            let on_time = finished_on_time(i.due_at, end, i.supplement_requests);
            c.finished_on_time = b(on_time);
            c.finished_late = b(!on_time);
        }
    }
    let finished = i.finished_at.is_some();
    let resolved = finished && matches!(status, Some(Status::ResultReady | Status::Returned));
    c.resolved = b(resolved);
    // A withdrawal ends processing at the applicant's request (status 7), before the
    // counter confirms it (8).
    c.withdrawn = b(finished
        && (status == Some(Status::WithdrawalRequested)
            || (status == Some(Status::Stopped) && i.withdrawn)));
    // A refusal after reception is not a path of the state machine; should one be imported,
    // it ends processing like a stop.
    c.stopped = b(finished && !resolved && c.withdrawn == 0);
    c.supplement_requested = b(i.supplement_requests >= 1);
    c.supplement_repeated = b(i.supplement_requests >= 2);
    c.extended = b(i.extensions >= 1);
    c.components = i.components;
    c.components_digitized = i.components_digitized;
    c.components_reused = i.components_reused;
    // 766 4.2: every component file and the result file.
    c.dossiers_digitized =
        b(i.components > 0 && i.components_digitized >= i.components && i.digital_results > 0);
    c.data_reused = b(i.components_reused > 0);
    // 766 4.1: a result-file link, over the dossiers of paper-result procedures.
    c.results_digitized = b(i.paper_result && i.digital_results > 0);
    c.fee_bearing = b(i.fee_total > 0);
    c.paid_online = b(i.fee_total > 0 && i.online_payments > 0);
    c.synced = b(i.synced);
    if let Some(r) = i.rating.as_deref() {
        c.rated = 1;
        c.satisfied = b(r == "satisfied");
        c.dissatisfied = b(r == "dissatisfied");
    }
    c
}

/// A report period: inclusive Vietnam dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Named period kinds for `?period=` (with `?date=` inside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Day,
    Month,
    Quarter,
    Year,
}

impl Period {
    /// The day, month, quarter or year that contains `date`.
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
        let month_end = |y: i32, m: u32| {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            ymd(ny, nm, 1) - Duration::days(1)
        };
        let (y, m) = (date.year(), date.month());
        match kind {
            PeriodKind::Day => Period {
                from: date,
                to: date,
            },
            PeriodKind::Month => Period {
                from: ymd(y, m, 1),
                to: month_end(y, m),
            },
            PeriodKind::Quarter => {
                let first = (m - 1) / 3 * 3 + 1;
                Period {
                    from: ymd(y, first, 1),
                    to: month_end(y, first + 2),
                }
            }
            PeriodKind::Year => Period {
                from: ymd(y, 1, 1),
                to: ymd(y, 12, 31),
            },
        }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// One Decision 766 indicator of a report.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Indicator {
    /// Indicator number in the 766 formula document (e.g. `2.1`), or a short code.
    pub code: &'static str,
    /// Group: `CKMB`, `TDGQ`, `CLGQ`, `TTTT`, `MDHL` or `MDSH`.
    pub group: &'static str,
    pub name: &'static str,
    pub formula: &'static str,
    /// The `measure` whose dossiers the numerator lists (breakdown endpoint), if any.
    pub measure: Option<&'static str>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
    /// numerator ÷ denominator (0..1); `null` when not measured or the denominator is 0.
    pub rate: Option<f64>,
    /// The rate that earns full points; below it points = rate × max ÷ threshold.
    pub threshold: f64,
    pub max_points: f64,
    /// `null` when motcua does not hold the data (see `note`).
    pub points: Option<f64>,
    pub note: Option<&'static str>,
}

/// A 766 group's points.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct GroupScore {
    pub group: &'static str,
    pub name: &'static str,
    pub max_points: f64,
    /// Points of the measured indicators.
    pub points: f64,
    /// Maximum points of the indicators motcua measures.
    pub measured_max: f64,
}

/// The groups of Decision 766 (100 points).
pub const GROUPS: [(&str, &str, f64); 6] = [
    ("CKMB", "Công khai, minh bạch", 18.0),
    ("TDGQ", "Tiến độ giải quyết", 20.0),
    ("CLGQ", "Dịch vụ công trực tuyến", 12.0),
    ("TTTT", "Thanh toán trực tuyến", 10.0),
    ("MDHL", "Mức độ hài lòng", 18.0),
    ("MDSH", "Mức độ số hóa hồ sơ", 22.0),
];

/// What a report knows besides the cohort counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpenSplit {
    /// Open dossiers of the cohort on time at the period end (or now).
    pub open_on_time: i64,
    /// Open dossiers of the cohort overdue at the period end (or now).
    pub open_overdue: i64,
}

/// Points for a rate: full at or above the threshold, proportional below it.
pub fn points(rate: f64, threshold: f64, max: f64) -> f64 {
    let p = if rate >= threshold {
        max
    } else {
        rate * max / threshold
    };
    (p * 100.0).round() / 100.0
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The 766 indicators of a cohort. `certifications` is the number of electronic certified
/// copies issued in the period (the commune offers the service when it issues them).
pub fn indicators(c: &Counters, open: &OpenSplit, certifications: i64) -> Vec<Indicator> {
    let measured =
        |code, group, name, formula, measure, n: i64, d: i64, threshold: f64, max: f64| {
            let rate = ratio(n, d);
            Indicator {
                code,
                group,
                name,
                formula,
                measure,
                numerator: Some(n),
                denominator: Some(d),
                rate,
                threshold,
                max_points: max,
                // An empty cohort has nothing to fall short on: no points, not a penalty.
                points: Some(rate.map_or(0.0, |r| points(r, threshold, max))),
                note: None,
            }
        };
    let unmeasured = |code, group, name, max: f64, note| Indicator {
        code,
        group,
        name,
        formula: "",
        measure: None,
        numerator: None,
        denominator: None,
        rate: None,
        threshold: 1.0,
        max_points: max,
        points: None,
        note: Some(note),
    };
    let sync_rate = ratio(c.synced, c.received).unwrap_or(0.0);
    let on_time = c.finished_on_time + open.open_on_time;
    let overdue = c.finished_late + open.open_overdue;
    let online_effective = (c.online_counted as f64 * sync_rate).round() as i64;
    // 5.4: 100% − (overdue % + dissatisfied %), as a count so the rate stays n ÷ d.
    let satisfaction_n = (c.received - overdue - c.dissatisfied).max(0);
    let catalog_note = "Published and updated on time, full content: scored on the procedure catalog by the ministry/province portal, not on dossiers.";
    vec![
        unmeasured("1.1", "CKMB", "TTHC công bố đúng hạn", 6.0, catalog_note),
        unmeasured("1.2", "CKMB", "TTHC cập nhật đúng hạn", 4.0, catalog_note),
        unmeasured("1.3", "CKMB", "Công khai đầy đủ nội dung TTHC", 2.0, catalog_note),
        measured(
            "1.4",
            "CKMB",
            "Hồ sơ đồng bộ lên Cổng DVCQG",
            "synced ÷ received (the portal's own count is not known here, so the denominator is ours)",
            Some("synced"),
            c.synced,
            c.received,
            1.0,
            6.0,
        ),
        measured(
            "2.1",
            "TDGQ",
            "Hồ sơ giải quyết đúng hạn",
            "(finished_on_time + open_on_time) ÷ received; more than one supplement request counts as late",
            Some("finished_on_time"),
            on_time,
            c.received,
            1.0,
            20.0,
        ),
        measured(
            "3.3",
            "CLGQ",
            "Hồ sơ trực tuyến",
            "online_counted × sync rate ÷ received (an online dossier of a paper-result procedure counts only with an e-result); full at ≥ 50%",
            Some("online_counted"),
            online_effective,
            c.received,
            0.5,
            12.0,
        ),
        unmeasured(
            "3.4",
            "TTTT",
            "TTHC phát sinh giao dịch thanh toán trực tuyến",
            2.0,
            "Scored by the national payment platform per procedure.",
        ),
        unmeasured(
            "3.5",
            "TTTT",
            "TTHC có phí được tích hợp thanh toán trực tuyến",
            2.0,
            "Scored on the catalog's payment integration by the national platform.",
        ),
        measured(
            "3.6",
            "TTTT",
            "Hồ sơ thanh toán trực tuyến",
            "paid_online ÷ fee_bearing",
            Some("paid_online"),
            c.paid_online,
            c.fee_bearing,
            1.0,
            6.0,
        ),
        unmeasured(
            "5.1",
            "MDHL",
            "Phản ánh, kiến nghị được phân loại",
            0.0,
            "Complaints (PAKN) are handled outside motcua; the dashboard publishes no separate points for this item (to confirm).",
        ),
        unmeasured(
            "5.2",
            "MDHL",
            "Tiến độ xử lý phản ánh, kiến nghị",
            6.0,
            "Complaints (PAKN) are handled outside motcua.",
        ),
        unmeasured(
            "5.3",
            "MDHL",
            "Mức độ hài lòng xử lý phản ánh, kiến nghị",
            6.0,
            "Complaints (PAKN) are handled outside motcua.",
        ),
        measured(
            "5.4",
            "MDHL",
            "Mức độ hài lòng giải quyết TTHC",
            "1 − (overdue + dissatisfied) ÷ received, overdue = finished_late + open_overdue; full at ≥ 90%",
            Some("dissatisfied"),
            satisfaction_n,
            c.received,
            0.9,
            6.0,
        ),
        measured(
            "4.1",
            "MDSH",
            "Hồ sơ có kết quả điện tử",
            "results_digitized ÷ paper_result (dossiers of procedures whose result is a paper document)",
            Some("results_digitized"),
            c.results_digitized,
            c.paper_result,
            1.0,
            6.0,
        ),
        measured(
            "4.2",
            "MDSH",
            "Số hóa hồ sơ (thành phần và kết quả)",
            "dossiers_digitized ÷ received (every component file and the result file); full at ≥ 80%",
            Some("dossiers_digitized"),
            c.dossiers_digitized,
            c.received,
            0.8,
            4.0,
        ),
        Indicator {
            note: Some("Full points when the commune issued electronic certified copies in the period."),
            ..measured(
                "4.e",
                "MDSH",
                "Cung cấp dịch vụ chứng thực bản sao điện tử",
                "certifications issued in the period > 0",
                None,
                i64::from(certifications > 0),
                1,
                1.0,
                2.0,
            )
        },
        measured(
            "4.3",
            "MDSH",
            "Tái sử dụng dữ liệu số hóa",
            "data_reused ÷ received; full at ≥ 80%",
            Some("data_reused"),
            c.data_reused,
            c.received,
            0.8,
            2.0,
        ),
        unmeasured(
            "4.4",
            "MDSH",
            "Kết nối kho dữ liệu cá nhân trên Cổng DVCQG",
            4.0,
            "Uses DuocLayTuKhoDMQG from the national portal.",
        ),
        unmeasured(
            "4.5",
            "MDSH",
            "Hồ sơ, TTHC khai thác CSDL quốc gia về dân cư",
            4.0,
            "Both population-database items (dossiers and procedures): needs VNeID-verified accounts or population-database lookups, not connected.",
        ),
    ]
}

/// Group scores and the total (measured points, and what was measurable).
pub fn group_scores(indicators: &[Indicator]) -> Vec<GroupScore> {
    GROUPS
        .iter()
        .map(|&(group, name, max_points)| {
            let of_group = || indicators.iter().filter(move |i| i.group == group);
            GroupScore {
                group,
                name,
                max_points,
                points: round2(of_group().filter_map(|i| i.points).sum()),
                measured_max: of_group()
                    .filter(|i| i.points.is_some())
                    .map(|i| i.max_points)
                    .sum(),
            }
        })
        .collect()
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn received(status: &str) -> FactInputs {
        FactInputs {
            status: status.into(),
            channel: "counter".into(),
            submitted_at: t("2026-03-02 02:00"),
            received_at: Some(t("2026-03-02 02:00")),
            due_at: Some(t("2026-03-05 10:00")),
            ..Default::default()
        }
    }

    #[test]
    fn names_match_fields() {
        assert_eq!(Counters::NAMES.len(), Counters::default().values().len());
        let c = Counters {
            synced: 7,
            ..Default::default()
        };
        assert_eq!(c.get("synced"), Some(7));
        assert_eq!(c.get("nope"), None);
        assert!(!c.is_zero());
        assert!(c.minus(&c).is_zero());
        assert_eq!(Counters::from_values(&c.values()), c);
        for n in Counters::NAMES {
            assert!(!label_vi(n).is_empty(), "{n} has a label");
        }
    }

    #[test]
    fn cohort_day_is_vietnam_date_of_reception_or_submission() {
        let mut i = received("processing");
        i.received_at = Some(t("2026-03-02 17:30")); // 00:30 on 3 March in Vietnam
        assert_eq!(cohort_day(&i), NaiveDate::from_ymd_opt(2026, 3, 3).unwrap());
        i.received_at = None;
        assert_eq!(cohort_day(&i), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
    }

    #[test]
    fn intake_statuses() {
        let mut i = received("submitted");
        i.received_at = None;
        assert_eq!(facts(&i).awaiting_intake, 1);
        assert_eq!(facts(&i).received, 0);
        i.status = "refused".into();
        let c = facts(&i);
        assert_eq!((c.refused, c.received, c.finished_late), (1, 0, 0));
    }

    #[test]
    fn timeliness_table() {
        let due = Some(t("2026-03-05 10:00"));
        // (due, finished, supplement requests, on time)
        let cases = [
            (due, t("2026-03-05 10:00"), 0, true),
            (due, t("2026-03-05 10:01"), 0, false),
            (due, t("2026-03-04 10:00"), 1, true),
            (due, t("2026-03-04 10:00"), 2, false),
            (None, t("2026-03-09 10:00"), 0, true),
            (None, t("2026-03-09 10:00"), 3, false),
        ];
        for (due, end, sr, expected) in cases {
            assert_eq!(
                finished_on_time(due, end, sr),
                expected,
                "{due:?} {end} {sr}"
            );
        }
        let as_of = t("2026-03-06 00:00");
        let paused_before = Some(t("2026-03-04 09:00"));
        assert!(open_overdue(due, None, 0, as_of));
        assert!(
            !open_overdue(due, paused_before, 1, as_of),
            "a clock paused before the due date is not late"
        );
        assert!(
            open_overdue(due, paused_before, 2, as_of),
            "a second request is late"
        );
        assert!(!open_overdue(due, None, 0, t("2026-03-05 10:00")));
        assert!(!open_overdue(None, None, 0, as_of));
    }

    /// 766 §2.1 (Decision 766/QĐ-TTg of 23 June 2022): a dossier paused for a supplement
    /// after its due date had passed is late, not "paused on time".
    #[test]
    fn paused_after_due_date_is_overdue_decision_766_2_1() {
        let due = Some(t("2026-03-05 10:00"));
        let as_of = t("2026-03-04 00:00");
        assert!(open_overdue(due, Some(t("2026-03-05 10:01")), 1, as_of));
        assert!(!open_overdue(due, Some(t("2026-03-05 10:00")), 1, as_of));
        assert!(!open_overdue(
            due,
            Some(t("2026-03-05 09:00")),
            1,
            t("2026-04-01 00:00")
        ));
    }

    #[test]
    fn outcomes() {
        let mut i = received("returned");
        i.finished_at = Some(t("2026-03-04 08:00"));
        let c = facts(&i);
        assert_eq!(
            (c.received, c.resolved, c.finished_on_time, c.in_progress),
            (1, 1, 1, 0)
        );
        i.status = "stopped".into();
        let c = facts(&i);
        assert_eq!((c.resolved, c.stopped, c.withdrawn), (0, 1, 0));
        // A withdrawal counts from the applicant's request (status 7).
        let mut w = received("withdrawal_requested");
        w.finished_at = Some(t("2026-03-04 08:00"));
        let c = facts(&w);
        assert_eq!(
            (c.withdrawn, c.stopped, c.finished_on_time, c.in_progress),
            (1, 0, 1, 0)
        );
        i.withdrawn = true;
        let c = facts(&i);
        assert_eq!((c.stopped, c.withdrawn, c.finished_on_time), (0, 1, 1));
        let mut open = received("processing");
        open.supplement_requests = 2;
        open.extensions = 1;
        let c = facts(&open);
        assert_eq!(
            (
                c.in_progress,
                c.supplement_requested,
                c.supplement_repeated,
                c.extended
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(c.finished_on_time + c.finished_late, 0);
    }

    #[test]
    fn digitization_fees_sync_rating() {
        let mut i = received("returned");
        i.finished_at = Some(t("2026-03-04 08:00"));
        i.channel = "online".into();
        i.paper_result = true;
        i.components = 3;
        i.components_digitized = 3;
        i.components_reused = 1;
        i.digital_results = 1;
        i.fee_total = 2000;
        i.online_payments = 1;
        i.synced = true;
        i.rating = Some("dissatisfied".into());
        let c = facts(&i);
        assert_eq!(
            (
                c.online,
                c.dossiers_digitized,
                c.data_reused,
                c.results_digitized,
                c.fee_bearing,
                c.paid_online,
                c.synced,
                c.rated,
                c.dissatisfied
            ),
            (1, 1, 1, 1, 1, 1, 1, 1, 1)
        );
        i.components_digitized = 2;
        i.fee_total = 0;
        let c = facts(&i);
        assert_eq!(
            (c.dossiers_digitized, c.fee_bearing, c.paid_online),
            (0, 0, 0)
        );
        i.components = 0;
        i.components_digitized = 0;
        assert_eq!(
            facts(&i).dossiers_digitized,
            0,
            "nothing to digitize is not digitized"
        );
    }

    #[test]
    fn periods() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        let p = Period::containing(PeriodKind::Month, d(2024, 2, 10));
        assert_eq!(
            (p.from, p.to, p.days()),
            (d(2024, 2, 1), d(2024, 2, 29), 29)
        );
        let q = Period::containing(PeriodKind::Quarter, d(2026, 11, 28));
        assert_eq!((q.from, q.to), (d(2026, 10, 1), d(2026, 12, 31)));
        let q = Period::containing(PeriodKind::Quarter, d(2026, 3, 31));
        assert_eq!((q.from, q.to), (d(2026, 1, 1), d(2026, 3, 31)));
        let y = Period::containing(PeriodKind::Year, d(2026, 6, 1));
        assert_eq!(y.days(), 365);
        assert_eq!(Period::containing(PeriodKind::Day, d(2026, 6, 1)).days(), 1);
    }

    #[test]
    fn points_are_proportional_below_threshold() {
        assert_eq!(points(1.0, 1.0, 20.0), 20.0);
        assert_eq!(points(0.9, 1.0, 20.0), 18.0);
        assert_eq!(points(0.5, 0.5, 12.0), 12.0);
        assert_eq!(points(0.25, 0.5, 12.0), 6.0);
        assert_eq!(points(0.0, 0.8, 4.0), 0.0);
        assert_eq!(points(0.85, 0.9, 6.0), 5.67);
    }

    #[test]
    fn scores_of_a_cohort() {
        let c = Counters {
            received: 10,
            online: 6,
            online_counted: 6,
            paper_result: 8,
            synced: 10,
            finished_on_time: 7,
            finished_late: 1,
            in_progress: 2,
            resolved: 8,
            results_digitized: 8,
            dossiers_digitized: 10,
            data_reused: 2,
            fee_bearing: 4,
            paid_online: 1,
            rated: 5,
            dissatisfied: 0,
            ..Default::default()
        };
        let open = OpenSplit {
            open_on_time: 1,
            open_overdue: 1,
        };
        let ind = indicators(&c, &open, 3);
        let get = |code| ind.iter().find(|i| i.code == code).unwrap();
        assert_eq!(get("1.4").points, Some(6.0));
        assert_eq!(get("2.1").numerator, Some(8));
        assert_eq!(get("2.1").points, Some(16.0));
        assert_eq!(get("3.3").points, Some(12.0), "60% online ≥ 50%");
        assert_eq!(get("3.6").points, Some(1.5));
        assert_eq!(get("5.4").rate, Some(0.8));
        assert_eq!(get("5.4").points, Some(5.33));
        assert_eq!(get("4.1").points, Some(6.0));
        assert_eq!(get("4.2").points, Some(4.0));
        assert_eq!(get("4.3").points, Some(0.5));
        assert_eq!(get("4.e").points, Some(2.0));
        assert_eq!(get("1.1").points, None);
        let groups = group_scores(&ind);
        let total: f64 = groups.iter().map(|g| g.max_points).sum();
        assert_eq!(total, 100.0);
        let mdsh = groups.iter().find(|g| g.group == "MDSH").unwrap();
        assert_eq!((mdsh.points, mdsh.measured_max), (12.5, 14.0));
        let ckmb = groups.iter().find(|g| g.group == "CKMB").unwrap();
        assert_eq!((ckmb.points, ckmb.measured_max), (6.0, 6.0));
        // Every indicator belongs to a group and the groups' maxima add up.
        for (g, _, max) in GROUPS {
            let sum: f64 = ind
                .iter()
                .filter(|i| i.group == g)
                .map(|i| i.max_points)
                .sum();
            assert_eq!(sum, max, "{g}");
        }
    }

    /// Decision 766/QĐ-TTg (23 June 2022), formula document: 3.3 counts an online dossier
    /// of a paper-result procedure only with an e-result; 4.1 is over the dossiers of
    /// paper-result procedures; 4.2 needs every component file and the result file.
    #[test]
    fn indicators_3_3_4_1_4_2_decision_766_of_2022() {
        let mut i = received("processing");
        i.channel = "online".into();
        i.paper_result = true;
        i.components = 2;
        i.components_digitized = 2;
        let c = facts(&i);
        assert_eq!(
            (
                c.online,
                c.online_counted,
                c.paper_result,
                c.results_digitized,
                c.dossiers_digitized
            ),
            (1, 0, 1, 0, 0),
            "paper result without an e-result: not counted in 3.3, 4.1 or 4.2"
        );
        i.digital_results = 1;
        let c = facts(&i);
        assert_eq!(
            (c.online_counted, c.results_digitized, c.dossiers_digitized),
            (1, 1, 1)
        );
        // Electronic-result procedure: online always counts; not in 4.1's denominator.
        i.paper_result = false;
        i.digital_results = 0;
        let c = facts(&i);
        assert_eq!(
            (c.online_counted, c.paper_result, c.results_digitized),
            (1, 0, 0)
        );
        // Components digitized but one missing: 4.2 not met even with a result file.
        i.digital_results = 1;
        i.components_digitized = 1;
        assert_eq!(facts(&i).dossiers_digitized, 0);
        // 4.1's denominator is paper_result, not resolved; 3.3 uses online_counted.
        let c = Counters {
            received: 10,
            online: 8,
            online_counted: 4,
            synced: 10,
            resolved: 2,
            paper_result: 5,
            results_digitized: 5,
            ..Default::default()
        };
        let ind = indicators(&c, &OpenSplit::default(), 0);
        let get = |code| ind.iter().find(|i| i.code == code).unwrap();
        assert_eq!(
            (get("4.1").numerator, get("4.1").denominator),
            (Some(5), Some(5))
        );
        assert_eq!(get("3.3").numerator, Some(4));
        assert_eq!(get("3.3").measure, Some("online_counted"));
        assert_eq!(get("3.3").points, Some(9.6));
    }

    /// Numbering of the 766 formula document: 3.5 is the fee-procedure integration, 5.1
    /// PAKN classified, 5.2 PAKN progress, 5.3 PAKN satisfaction, 4.5 both population-
    /// database items; there is no 4.6.
    #[test]
    fn indicator_labels_follow_decision_766_numbering() {
        let ind = indicators(&Counters::default(), &OpenSplit::default(), 0);
        let name = |code| ind.iter().find(|i| i.code == code).map(|i| i.name);
        assert_eq!(
            name("3.5"),
            Some("TTHC có phí được tích hợp thanh toán trực tuyến")
        );
        assert_eq!(
            name("3.4"),
            Some("TTHC phát sinh giao dịch thanh toán trực tuyến")
        );
        assert_eq!(name("5.1"), Some("Phản ánh, kiến nghị được phân loại"));
        assert_eq!(name("5.2"), Some("Tiến độ xử lý phản ánh, kiến nghị"));
        assert_eq!(
            name("5.3"),
            Some("Mức độ hài lòng xử lý phản ánh, kiến nghị")
        );
        assert_eq!(
            name("4.5"),
            Some("Hồ sơ, TTHC khai thác CSDL quốc gia về dân cư")
        );
        assert_eq!(name("4.6"), None);
        let four_five = ind.iter().find(|i| i.code == "4.5").unwrap();
        assert_eq!(four_five.max_points, 4.0);
        // Every measure named by an indicator is a counter (the drill-down lists it).
        for i in &ind {
            if let Some(m) = i.measure {
                assert!(Counters::NAMES.contains(&m), "{m}");
            }
        }
    }

    #[test]
    fn empty_cohort_scores_zero_without_nan() {
        let ind = indicators(&Counters::default(), &OpenSplit::default(), 0);
        assert!(ind.iter().all(|i| i.rate.is_none() || i.code == "4.e"));
        assert!(ind.iter().all(|i| i.points.is_none_or(|p| p == 0.0)));
    }
}
