//! Indicator reports (Decision 766/QĐ-TTg) per commune and per province, the dossiers
//! behind each number, and exports as CSV and XLSX. Read from the aggregates kept by
//! `db::models::indicator`, never by scanning every dossier.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::{ProvinceReaders, ReportReaders};
use crate::auth::{Authorized, Principal};
use crate::db::models::indicator::{self as agg, GroupBy, KeyedCounters, Scope};
use crate::db::models::registry::{Commune, Province};
use crate::db::schema::communes;
use crate::db::DbConn;
use crate::domain::calendar::{from_local, today};
use crate::domain::indicators::{
    group_scores, indicators, round2, Counters, GroupScore, Indicator, OpenSplit, Period,
    PeriodKind,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Longest custom range (about ten years): bounds the work of one request.
const MAX_DAYS: i64 = 3_700;

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
    Xlsx,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Breakdown {
    Procedure,
    Channel,
}

/// The period of a report: `from` and `to` (a custom range), or `period` with a `date`
/// inside it (default: the month of today).
#[derive(Deserialize, IntoParams, Debug, Clone)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First Vietnam day of a custom range (with `to`).
    pub from: Option<NaiveDate>,
    /// Last Vietnam day of a custom range, inclusive (with `from`).
    pub to: Option<NaiveDate>,
    /// `day`, `month` (default), `quarter` or `year`, containing `date`.
    #[param(value_type = Option<String>, example = "month")]
    pub period: Option<PeriodKind>,
    /// A day inside the period (default: today).
    pub date: Option<NaiveDate>,
    /// Also break the counters down by `procedure` or `channel`.
    #[param(value_type = Option<String>, example = "procedure")]
    pub by: Option<Breakdown>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(value_type = Option<String>, example = "xlsx")]
    pub format: Option<ReportFormat>,
}

impl ReportQuery {
    fn resolve(&self) -> ApiResult<Period> {
        let p = match (self.from, self.to) {
            (Some(from), Some(to)) => {
                if self.period.is_some() || self.date.is_some() {
                    return Err(ApiError::bad_request(
                        "report.period_conflict",
                        "Dùng `from`/`to` hoặc `period`/`date`, không dùng cả hai.",
                        "Give `from`/`to` or `period`/`date`, not both.",
                    ));
                }
                Period { from, to }
            }
            (None, None) => Period::containing(
                self.period.unwrap_or(PeriodKind::Month),
                self.date.unwrap_or_else(today),
            ),
            _ => {
                return Err(ApiError::bad_request(
                    "report.period_incomplete",
                    "Khoảng tuỳ chọn cần cả `from` và `to`.",
                    "A custom range needs both `from` and `to`.",
                ))
            }
        };
        if p.to < p.from {
            return Err(ApiError::invalid_field(
                "to",
                "`to` trước `from`.",
                "`to` is before `from`.",
            ));
        }
        if p.days() > MAX_DAYS {
            return Err(ApiError::invalid_field(
                "from",
                format!("Khoảng báo cáo dài tối đa {MAX_DAYS} ngày."),
                format!("A report covers at most {MAX_DAYS} days."),
            ));
        }
        Ok(p)
    }
}

/// UTC instants of the period's first moment and of the moment after it.
fn bounds(p: &Period) -> (NaiveDateTime, NaiveDateTime) {
    let start = |d: NaiveDate| {
        from_local(d.and_hms_opt(0, 0, 0).expect("midnight"))
            .map(|t| t.naive_utc())
            .unwrap_or_default()
    };
    (start(p.from), start(p.to + Duration::days(1)))
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Unit {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Score {
    /// Points of the measured indicators.
    pub points: f64,
    /// Maximum of the indicators motcua measures (of 100).
    pub measured_max: f64,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct KeyedRow {
    /// Procedure code or channel.
    pub key: String,
    pub counters: Counters,
}

/// A report of one commune or one province.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Report {
    /// `commune` or `province`.
    pub scope: &'static str,
    pub unit: Unit,
    /// Province of a commune report.
    pub province: Option<Unit>,
    pub period: Period,
    /// Open dossiers are split into on time / overdue at this instant: the period end, or
    /// now if earlier.
    pub as_of: chrono::DateTime<Utc>,
    /// The cohort of the period: dossiers received (or, never received, submitted) in it.
    pub counters: Counters,
    pub open: OpenSplit,
    pub indicators: Vec<Indicator>,
    pub groups: Vec<GroupScore>,
    pub score: Score,
    /// With `by`: the counters per procedure or channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Vec<KeyedRow>>,
    /// Province reports: every commune of the province, best score first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<RankedCommune>>,
    /// Province reports: how many communes the province has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communes: Option<usize>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RankedCommune {
    /// 1 = best; equal points share a rank.
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub points: f64,
    pub measured_max: f64,
    pub received: i64,
    /// 766 2.1 rate (0..1), `null` without received dossiers.
    pub on_time_rate: Option<f64>,
    pub open_overdue: i64,
    pub groups: Vec<GroupScore>,
    pub counters: Counters,
}

fn score(groups: &[GroupScore]) -> Score {
    Score {
        points: round2(groups.iter().map(|g| g.points).sum()),
        measured_max: groups.iter().map(|g| g.measured_max).sum(),
    }
}

fn commune_in_scope(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Commune> {
    Commune::find(conn, code)?
        .filter(|c| {
            access::may_see(
                p,
                Resource::CommuneBoard,
                Place::commune(&c.code, &c.province_code),
            )
        })
        .ok_or_else(|| ApiError::not_found("xã", "Commune"))
}

fn province_in_scope(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Province> {
    Province::find(conn, code)?
        .filter(|pv| access::may_see(p, Resource::ProvinceBoard, Place::province(&pv.code)))
        .ok_or_else(|| ApiError::not_found("tỉnh", "Province"))
}

fn as_of(end: NaiveDateTime) -> NaiveDateTime {
    end.min(crate::clock::now().naive_utc())
}

fn breakdown(
    conn: &mut DbConn,
    scope: Scope,
    by: Option<Breakdown>,
    p: &Period,
) -> ApiResult<Option<Vec<KeyedRow>>> {
    let Some(by) = by else { return Ok(None) };
    let group = match by {
        Breakdown::Procedure => GroupBy::Procedure,
        Breakdown::Channel => GroupBy::Channel,
    };
    Ok(Some(
        agg::counters_by(conn, scope, group, p.from, p.to)?
            .into_iter()
            .map(|k| KeyedRow {
                key: k.key,
                counters: k.counters,
            })
            .collect(),
    ))
}

fn sum(rows: &[KeyedCounters]) -> Counters {
    let mut c = Counters::default();
    for r in rows {
        c.add(&r.counters);
    }
    c
}

/// The open split of one commune (`Some`) or of all rows.
fn split(rows: &[agg::OpenCount], commune: Option<&str>) -> OpenSplit {
    let mut s = OpenSplit::default();
    for r in rows
        .iter()
        .filter(|r| commune.is_none_or(|c| r.commune_code == c))
    {
        s.open_on_time += r.open - r.overdue;
        s.open_overdue += r.overdue;
    }
    s
}

pub fn commune_report(
    conn: &mut DbConn,
    commune: &Commune,
    p: &Period,
    by: Option<Breakdown>,
) -> ApiResult<Report> {
    let scope = Scope::Commune(&commune.code);
    let (start, end) = bounds(p);
    let at = as_of(end);
    let counters = sum(&agg::counters_by_commune(conn, scope, p.from, p.to)?);
    let open = split(&agg::open_counts(conn, scope, start, end, at)?, None);
    let certified =
        agg::certifications_by_commune(conn, std::slice::from_ref(&commune.code), start, end)?
            .first()
            .map_or(0, |r| r.1);
    let ind = indicators(&counters, &open, certified);
    let groups = group_scores(&ind);
    let province = Province::find(conn, &commune.province_code)?.map(|pr| Unit {
        code: pr.code,
        name: pr.name,
    });
    Ok(Report {
        scope: "commune",
        unit: Unit {
            code: commune.code.clone(),
            name: commune.name.clone(),
        },
        province,
        period: *p,
        as_of: at.and_utc(),
        counters,
        open,
        score: score(&groups),
        indicators: ind,
        groups,
        breakdown: breakdown(conn, scope, by, p)?,
        ranking: None,
        communes: None,
    })
}

pub fn province_report(
    conn: &mut DbConn,
    province: &Province,
    p: &Period,
    by: Option<Breakdown>,
) -> ApiResult<Report> {
    let scope = Scope::Province(&province.code);
    let (start, end) = bounds(p);
    let at = as_of(end);
    let names: Vec<(String, String)> = communes::table
        .filter(communes::province_code.eq(&province.code))
        .select((communes::code, communes::name))
        .order(communes::code.asc())
        .load(conn)?;
    let rows = agg::counters_by_commune(conn, scope, p.from, p.to)?;
    let open_rows = agg::open_counts(conn, scope, start, end, at)?;
    let codes: Vec<String> = names.iter().map(|n| n.0.clone()).collect();
    let certified = agg::certifications_by_commune(conn, &codes, start, end)?;
    let mut ranking: Vec<RankedCommune> = names
        .into_iter()
        .map(|(code, name)| {
            let counters = rows
                .iter()
                .find(|r| r.key == code)
                .map(|r| r.counters)
                .unwrap_or_default();
            let open = split(&open_rows, Some(&code));
            let certs = certified.iter().find(|c| c.0 == code).map_or(0, |c| c.1);
            let ind = indicators(&counters, &open, certs);
            let groups = group_scores(&ind);
            let s = score(&groups);
            RankedCommune {
                rank: 0,
                on_time_rate: ind.iter().find(|i| i.code == "2.1").and_then(|i| i.rate),
                code,
                name,
                points: s.points,
                measured_max: s.measured_max,
                received: counters.received,
                open_overdue: open.open_overdue,
                groups,
                counters,
            }
        })
        .collect();
    ranking.sort_by(|a, b| b.points.total_cmp(&a.points).then(a.code.cmp(&b.code)));
    for i in 0..ranking.len() {
        ranking[i].rank = if i > 0 && ranking[i].points == ranking[i - 1].points {
            ranking[i - 1].rank
        } else {
            i + 1
        };
    }
    let counters = sum(&rows);
    let open = split(&open_rows, None);
    // The province offers electronic certification where any of its communes does.
    let ind = indicators(&counters, &open, certified.iter().map(|c| c.1).sum());
    let groups = group_scores(&ind);
    Ok(Report {
        scope: "province",
        unit: Unit {
            code: province.code.clone(),
            name: province.name.clone(),
        },
        province: None,
        period: *p,
        as_of: at.and_utc(),
        counters,
        open,
        score: score(&groups),
        indicators: ind,
        groups,
        breakdown: breakdown(conn, scope, by, p)?,
        communes: Some(ranking.len()),
        ranking: Some(ranking),
    })
}

fn respond(report: Report, format: ReportFormat) -> ApiResult<HttpResponse> {
    let stem = format!(
        "bao-cao-{}-{}_{}",
        report.unit.code, report.period.from, report.period.to
    );
    let (content_type, ext, body) = match format {
        ReportFormat::Json => return Ok(HttpResponse::Ok().json(report)),
        ReportFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            super::report_export::csv(&report).into_bytes(),
        ),
        ReportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            super::report_export::xlsx(&report)
                .map_err(|e| ApiError::internal(format!("xlsx: {e}")))?,
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.{ext}\""),
        ))
        .body(body))
}

/// Indicator report of a commune.
///
/// **Roles:** the commune's staff, `province_supervisor` of its province, `system_admin`.
///
/// Counts the period's *cohort*: dossiers received in it (Vietnam dates; never-received
/// ones by submission date), each with what is known of it now; open dossiers are on time
/// or overdue at `as_of` (the period end, or now; a dossier paused only after its due date
/// is overdue). `indicators` are the Decision 766/QĐ-TTg (23 June 2022)
/// indicators with their formula, numerator, denominator, rate, threshold and points
/// (`points` is `null` where motcua does not hold the data, with a `note`); `groups` the six
/// groups of 100 points. Every indicator's `measure` lists its dossiers at
/// `GET /reports/communes/{code}/dossiers?measure=`.
///
/// Formulas (points: full at or above the threshold, `rate × max ÷ threshold` below):
/// - 1.4 sync (6): `synced ÷ received`.
/// - 2.1 on time (20): `(finished_on_time + open_on_time) ÷ received`; finished on time =
///   ended by the due date (pushed by supplement pauses) with at most one supplement request.
/// - 3.3 online (12): `online_counted × (synced ÷ received) ÷ received`, full at 50%; an
///   online dossier of a procedure whose result is a paper document counts only with an
///   electronic result.
/// - 3.6 online payment (6): `paid_online ÷ fee_bearing`.
/// - 5.4 satisfaction (6): `(received − finished_late − open_overdue − dissatisfied) ÷ received`,
///   full at 90%.
/// - 4.1 e-results (6): `results_digitized ÷ paper_result` (dossiers of procedures whose
///   result is a paper document).
/// - 4.2 digitization (4): `dossiers_digitized ÷ received` (every component file and the
///   result file), full at 80%.
/// - 4.e e-certification offered (2): any electronic certified copy issued in the period.
/// - 4.3 data reuse (2): `data_reused ÷ received`, full at 80%.
/// - Not held here (`points: null`): 1.1–1.3 catalog publicity, 3.4 procedures with online
///   transactions and 3.5 fee procedures integrated with the payment platform, 5.1 PAKN
///   classified, 5.2 PAKN progress, 5.3 PAKN satisfaction, 4.4 national data store, 4.5
///   population database (both items; there is no 4.6).
///
/// `format=csv` returns the indicator table (UTF-8 with BOM); `format=xlsx` a workbook with
/// the indicators, the counters and, with `by`, the breakdown.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), ReportQuery), responses(
    (status = 200, description = "The report (JSON, CSV or XLSX by `format`)", content(
        (Report = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 400, description = "Malformed dates or an incomplete / conflicting period", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Citizens and portal clients read no reports", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`to` before `from`, or a range over 3,700 days", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/reports/communes/{code}")]
pub async fn get_commune_report(
    state: web::Data<AppState>,
    auth: Authorized<ReportReaders>,
    code: web::Path<String>,
    q: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let period = q.resolve()?;
    let (by, format) = (q.by, q.format.unwrap_or_default());
    let p = auth.principal.clone();
    let report = state
        .db(move |conn| {
            let commune = commune_in_scope(conn, &p, &code)?;
            commune_report(conn, &commune, &period, by)
        })
        .await?;
    respond(report, format)
}

/// Indicator report of a province, with the ranking of its communes.
///
/// **Roles:** `province_supervisor` of the province, `system_admin`.
///
/// The same cohort counting as the commune report, summed over the province, and
/// `ranking`: every commune of the province with its points, group scores and counters,
/// best first (equal points share a rank). `format=csv` returns the ranking; `format=xlsx`
/// a workbook with the ranking, the indicators and the counters.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("code" = String, Path, description = "Province code"), ReportQuery), responses(
    (status = 200, description = "The report (JSON, CSV or XLSX by `format`)", content(
        (Report = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 400, description = "Malformed dates or an incomplete / conflicting period", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only province supervisors and system administrators", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such province in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`to` before `from`, or a range over 3,700 days", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/reports/provinces/{code}")]
pub async fn get_province_report(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReaders>,
    code: web::Path<String>,
    q: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let period = q.resolve()?;
    let (by, format) = (q.by, q.format.unwrap_or_default());
    let p = auth.principal.clone();
    let report = state
        .db(move |conn| {
            let province = province_in_scope(conn, &p, &code)?;
            province_report(conn, &province, &period, by)
        })
        .await?;
    respond(report, format)
}

/// Which dossiers to list, and the page.
#[derive(Deserialize, IntoParams, Debug, Clone)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    /// A counter name (`finished_late`, `synced`, `dossiers_digitized`, …) or `open_on_time`
    /// / `open_overdue`.
    pub measure: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    #[param(value_type = Option<String>)]
    pub period: Option<PeriodKind>,
    pub date: Option<NaiveDate>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<i64>,
    /// Rows to skip (default 0).
    pub offset: Option<i64>,
    /// `json` (default) or `csv` (every row, no paging).
    #[param(value_type = Option<String>)]
    pub format: Option<ReportFormat>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DossierBehind {
    pub code: String,
    pub commune_code: String,
    pub procedure_code: String,
    pub channel: String,
    pub status: String,
    /// The Vietnam date the dossier counts on (received, else submitted).
    pub cohort_day: NaiveDate,
    pub received_at: Option<chrono::DateTime<Utc>>,
    pub due_at: Option<chrono::DateTime<Utc>>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
    pub supplement_requests: i64,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DossiersBehind {
    pub measure: String,
    pub period: Period,
    pub items: Vec<DossierBehind>,
    /// Offset of the next page, `null` on the last.
    pub next_offset: Option<i64>,
}

const OPEN_MEASURES: [&str; 2] = ["open_on_time", "open_overdue"];
/// A CSV export lists at most this many dossiers.
const CSV_MAX_ROWS: i64 = 100_000;

fn dossiers_behind(
    conn: &mut DbConn,
    scope: Scope,
    q: &BreakdownQuery,
    p: &Period,
    limit: i64,
    offset: i64,
) -> ApiResult<DossiersBehind> {
    let mut items: Vec<DossierBehind> = if OPEN_MEASURES.contains(&q.measure.as_str()) {
        let (start, end) = bounds(p);
        let at = as_of(end);
        let want_overdue = q.measure == "open_overdue";
        agg::open_dossiers(conn, scope, start, end)?
            .into_iter()
            .filter(|d| d.overdue(at) == want_overdue)
            .skip(offset as usize)
            .take(limit as usize + 1)
            .map(|d| DossierBehind {
                cohort_day: d
                    .received_at
                    .map(|t| crate::domain::calendar::local_date(t.and_utc()))
                    .unwrap_or(p.from),
                code: d.code,
                commune_code: d.commune_code,
                procedure_code: d.procedure_code,
                channel: d.channel,
                status: d.status,
                received_at: d.received_at.map(|t| t.and_utc()),
                due_at: d.due_at.map(|t| t.and_utc()),
                finished_at: None,
                supplement_requests: i64::from(d.supplement_requests),
            })
            .collect()
    } else {
        agg::dossiers_with(conn, scope, &q.measure, p.from, p.to, limit, offset)?
            .into_iter()
            .map(|d| DossierBehind {
                code: d.code,
                commune_code: d.commune_code,
                procedure_code: d.procedure_code,
                channel: d.channel,
                status: d.status,
                cohort_day: d.day,
                received_at: d.received_at.map(|t| t.and_utc()),
                due_at: d.due_at.map(|t| t.and_utc()),
                finished_at: d.finished_at.map(|t| t.and_utc()),
                supplement_requests: d.supplement_requests,
            })
            .collect()
    };
    let next_offset = (items.len() as i64 > limit).then_some(offset + limit);
    items.truncate(limit as usize);
    Ok(DossiersBehind {
        measure: q.measure.clone(),
        period: *p,
        items,
        next_offset,
    })
}

fn check_breakdown(q: &BreakdownQuery) -> ApiResult<(Period, i64, i64, ReportFormat)> {
    if !Counters::NAMES.contains(&q.measure.as_str())
        && !OPEN_MEASURES.contains(&q.measure.as_str())
    {
        return Err(ApiError::invalid_field(
            "measure",
            format!(
                "Chỉ tiêu không có. Một trong: {}, {}.",
                Counters::NAMES.join(", "),
                OPEN_MEASURES.join(", ")
            ),
            format!(
                "Unknown measure. One of: {}, {}.",
                Counters::NAMES.join(", "),
                OPEN_MEASURES.join(", ")
            ),
        ));
    }
    let format = q.format.unwrap_or_default();
    if format == ReportFormat::Xlsx {
        return Err(ApiError::bad_request(
            "report.format",
            "Danh sách hồ sơ xuất được dạng json hoặc csv.",
            "The dossier list exports as json or csv.",
        ));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "`limit` từ 1 đến 500.",
            "`limit` is 1..=500.",
        ));
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid_field(
            "offset",
            "`offset` không âm.",
            "`offset` is not negative.",
        ));
    }
    let period = ReportQuery {
        from: q.from,
        to: q.to,
        period: q.period,
        date: q.date,
        by: None,
        format: None,
    }
    .resolve()?;
    Ok(if format == ReportFormat::Csv {
        (period, CSV_MAX_ROWS, 0, format)
    } else {
        (period, limit, offset, format)
    })
}

fn respond_list(list: DossiersBehind, format: ReportFormat, unit: &str) -> HttpResponse {
    if format == ReportFormat::Csv {
        return HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"ho-so-{unit}-{}-{}_{}.csv\"",
                    list.measure, list.period.from, list.period.to
                ),
            ))
            .body(super::report_export::dossiers_csv(&list));
    }
    HttpResponse::Ok().json(list)
}

/// The dossiers behind a number of a commune's report.
///
/// **Roles:** as the commune report. `measure` is a counter name or `open_on_time` /
/// `open_overdue` (split at the period end, or now): e.g. `finished_late` and
/// `open_overdue` are the dossiers that made the commune late. Ordered by cohort day and
/// code; `format=csv` returns every row (up to 100,000) as a file.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), BreakdownQuery), responses(
    (status = 200, description = "The dossiers", content((DossiersBehind = "application/json"), (String = "text/csv"))),
    (status = 400, description = "Malformed query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Unknown measure, bad page or period", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/reports/communes/{code}/dossiers")]
pub async fn commune_dossiers(
    state: web::Data<AppState>,
    auth: Authorized<ReportReaders>,
    code: web::Path<String>,
    q: web::Query<BreakdownQuery>,
) -> ApiResult<HttpResponse> {
    let (period, limit, offset, format) = check_breakdown(&q)?;
    let p = auth.principal.clone();
    let q = q.into_inner();
    let unit = code.clone();
    let list = state
        .db(move |conn| {
            let commune = commune_in_scope(conn, &p, &code)?;
            dossiers_behind(
                conn,
                Scope::Commune(&commune.code),
                &q,
                &period,
                limit,
                offset,
            )
        })
        .await?;
    Ok(respond_list(list, format, &unit))
}

/// The dossiers behind a number of a province's report.
///
/// **Roles:** as the province report. Same measures and paging as the commune list.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("code" = String, Path, description = "Province code"), BreakdownQuery), responses(
    (status = 200, description = "The dossiers", content((DossiersBehind = "application/json"), (String = "text/csv"))),
    (status = 400, description = "Malformed query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such province in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Unknown measure, bad page or period", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/reports/provinces/{code}/dossiers")]
pub async fn province_dossiers(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReaders>,
    code: web::Path<String>,
    q: web::Query<BreakdownQuery>,
) -> ApiResult<HttpResponse> {
    let (period, limit, offset, format) = check_breakdown(&q)?;
    let p = auth.principal.clone();
    let q = q.into_inner();
    let unit = code.clone();
    let list = state
        .db(move |conn| {
            let province = province_in_scope(conn, &p, &code)?;
            dossiers_behind(
                conn,
                Scope::Province(&province.code),
                &q,
                &period,
                limit,
                offset,
            )
        })
        .await?;
    Ok(respond_list(list, format, &unit))
}
