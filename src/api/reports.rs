//! Indicator reports (Decision 766/QĐ-TTg) per commune and per province, the dossiers
//! behind each number, and exports as CSV and XLSX. The reports are computed by
//! `service::reports`; this module reads the query and renders JSON or a file
//! (`report_export`).

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::report_export;
use crate::api::problems::{
    CommuneNotInScope, NotAuthenticated, ProvinceNotInScope, RoleNotAllowed,
};
use crate::auth::roles::{ProvinceReaders, ReportReaders};
use crate::auth::Authorized;
use crate::domain::indicators::{Period, PeriodKind};
use crate::error::{ApiError, ApiResult};
use crate::service::reports::{self, BehindQuery, Breakdown, DossiersBehind, Report};
use crate::state::AppState;

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
    Xlsx,
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
    #[param(inline, example = "month")]
    pub period: Option<PeriodKind>,
    /// A day inside the period (default: today).
    pub date: Option<NaiveDate>,
    /// Also break the counters down by `procedure` or `channel`.
    #[param(inline, example = "procedure")]
    pub by: Option<Breakdown>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline, example = "xlsx")]
    pub format: Option<ReportFormat>,
}

impl ReportQuery {
    fn resolve(&self) -> ApiResult<Period> {
        reports::resolve_period(self.from, self.to, self.period, self.date)
    }
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
            report_export::csv(&report).into_bytes(),
        ),
        ReportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            report_export::xlsx(&report).map_err(|e| ApiError::internal(format!("xlsx: {e}")))?,
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
    NotAuthenticated, CommuneNotInScope,
    (status = 403, description = "Citizens and portal clients read no reports", body = crate::error::Problem, content_type = "application/problem+json"),
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
        .db(move |conn| reports::commune(conn, &p, &code, &period, by))
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
    NotAuthenticated, ProvinceNotInScope,
    (status = 403, description = "Only province supervisors and system administrators", body = crate::error::Problem, content_type = "application/problem+json"),
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
        .db(move |conn| reports::province(conn, &p, &code, &period, by))
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
    #[param(inline)]
    pub period: Option<PeriodKind>,
    pub date: Option<NaiveDate>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// `json` (default) or `csv` (every row, no paging).
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<ReportFormat>,
}

/// A CSV export lists at most this many dossiers.
const CSV_MAX_ROWS: i64 = 100_000;

fn check_breakdown(q: &BreakdownQuery) -> ApiResult<(BehindQuery, ReportFormat)> {
    reports::check_measure(&q.measure)?;
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
    let period = reports::resolve_period(q.from, q.to, q.period, q.date)?;
    let (limit, offset) = if format == ReportFormat::Csv {
        (CSV_MAX_ROWS, 0)
    } else {
        (limit, offset)
    };
    let measure = q.measure.clone();
    Ok((
        BehindQuery {
            measure,
            period,
            limit,
            offset,
        },
        format,
    ))
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
            .body(report_export::dossiers_csv(&list));
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
    NotAuthenticated, RoleNotAllowed, CommuneNotInScope,
    (status = 422, description = "Unknown measure, bad page or period", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/reports/communes/{code}/dossiers")]
pub async fn commune_dossiers(
    state: web::Data<AppState>,
    auth: Authorized<ReportReaders>,
    code: web::Path<String>,
    q: web::Query<BreakdownQuery>,
) -> ApiResult<HttpResponse> {
    let (query, format) = check_breakdown(&q)?;
    let p = auth.principal.clone();
    let unit = code.clone();
    let list = state
        .db(move |conn| reports::commune_dossiers(conn, &p, &code, &query))
        .await?;
    Ok(respond_list(list, format, &unit))
}

/// The dossiers behind a number of a province's report.
///
/// **Roles:** as the province report. Same measures and paging as the commune list.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("code" = String, Path, description = "Province code"), BreakdownQuery), responses(
    (status = 200, description = "The dossiers", content((DossiersBehind = "application/json"), (String = "text/csv"))),
    (status = 400, description = "Malformed query", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, RoleNotAllowed, ProvinceNotInScope,
    (status = 422, description = "Unknown measure, bad page or period", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/reports/provinces/{code}/dossiers")]
pub async fn province_dossiers(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReaders>,
    code: web::Path<String>,
    q: web::Query<BreakdownQuery>,
) -> ApiResult<HttpResponse> {
    let (query, format) = check_breakdown(&q)?;
    let p = auth.principal.clone();
    let unit = code.clone();
    let list = state
        .db(move |conn| reports::province_dossiers(conn, &p, &code, &query))
        .await?;
    Ok(respond_list(list, format, &unit))
}
