//! The procedure catalog (thủ tục hành chính): public reads, versioned edits and bulk
//! import/export by system administrators, and per-commune publication.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use super::extract::{etag, parse_json, read_body, IfMatch, Page, PageParams, ValidJson};
use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::{CommuneAdmins, SystemAdmins};
use crate::auth::Authorized;
use crate::catalog::{self, ImportMode, ImportOutcome};
use crate::db::models::procedure::{CatalogFilter, Procedure, ProcedureVersion, Publication};
use crate::db::schema::communes;
use crate::db::DbConn;
use crate::domain::calendar::today as vietnam_today;
use crate::domain::catalog::{
    Case, FileFormat, ImplementingLevel, OnlineLevel, ProcedureContent, ResultType, VersionStatus,
};
use crate::error::{ApiError, ApiResult, FieldErrors, Lang};
use crate::state::AppState;

/// A procedure in a list: its version in force on the date asked.
#[derive(Serialize, ToSchema, Debug)]
pub struct ProcedureSummary {
    #[schema(example = "0198c7a2-5b7e-7c41-9d3e-2f1a9b0c4d11")]
    pub id: String,
    #[schema(example = "1.001193")]
    pub code: String,
    #[schema(example = "Đăng ký khai sinh")]
    pub name: String,
    #[schema(example = "Hộ tịch")]
    pub field: String,
    pub implementing_level: ImplementingLevel,
    pub result_type: ResultType,
    /// Online levels offered by its cases.
    pub online_levels: Vec<OnlineLevel>,
    /// False once deactivated (kept for the dossiers that refer to it).
    pub active: bool,
    /// Number of the version shown.
    pub version_no: i64,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

impl ProcedureSummary {
    /// Without reading the cases: a list shows none.
    fn new(p: Procedure, v: ProcedureVersion) -> ApiResult<Self> {
        Ok(ProcedureSummary {
            online_levels: crate::domain::catalog::parse_online_levels(&v.online_levels),
            implementing_level: v.implementing_level().map_err(ApiError::internal)?,
            result_type: v.result_type().map_err(ApiError::internal)?,
            id: p.id,
            code: p.code,
            name: v.name,
            field: v.field,
            active: p.active,
            version_no: v.version_no,
            effective_from: v.effective_from,
            effective_to: v.effective_to,
        })
    }
}

/// A procedure with the content of one of its versions (by default the one in force today).
#[derive(Serialize, ToSchema, Debug)]
pub struct ProcedureView {
    #[schema(example = "0198c7a2-5b7e-7c41-9d3e-2f1a9b0c4d11")]
    pub id: String,
    #[schema(example = "1.001193")]
    pub code: String,
    pub active: bool,
    #[schema(example = "Đăng ký khai sinh")]
    pub name: String,
    #[schema(example = "Hộ tịch")]
    pub field: String,
    pub implementing_level: ImplementingLevel,
    pub legal_basis: String,
    pub result_type: ResultType,
    pub cases: Vec<Case>,
    /// Id of the version shown: what a dossier stores to keep the rules it was received under.
    pub version_id: String,
    pub version_no: i64,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// The version's status on the date asked (today by default).
    pub version_status: VersionStatus,
    /// Number of the latest version, which may be scheduled for a later date.
    pub current_version_no: i64,
    /// Record version; send it back in `If-Match` to change or deactivate the procedure.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProcedureView {
    fn new(p: Procedure, v: ProcedureVersion, date: NaiveDate) -> ApiResult<Self> {
        let content = v.content(&p.code).map_err(ApiError::internal)?;
        Ok(ProcedureView {
            version_status: v.status_on(date),
            id: p.id,
            code: p.code,
            active: p.active,
            name: content.name,
            field: content.field,
            implementing_level: content.implementing_level,
            legal_basis: content.legal_basis,
            result_type: content.result_type,
            cases: content.cases,
            version_id: v.id,
            version_no: v.version_no,
            effective_from: v.effective_from,
            effective_to: v.effective_to,
            current_version_no: p.current_version_no,
            version: p.version,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        })
    }
}

/// One version of a procedure.
#[derive(Serialize, ToSchema, Debug)]
pub struct VersionView {
    /// Version id (stored by dossiers).
    pub id: String,
    pub version_no: i64,
    /// In force over `[effective_from, effective_to)`; `effective_to` null: open-ended.
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// Status today.
    pub status: VersionStatus,
    pub name: String,
    pub field: String,
    pub implementing_level: ImplementingLevel,
    pub legal_basis: String,
    pub result_type: ResultType,
    pub cases: Vec<Case>,
    pub created_at: DateTime<Utc>,
    /// Account that made the version; null for the seed and the command line.
    pub created_by: Option<String>,
}

impl VersionView {
    fn new(code: &str, v: ProcedureVersion, today: NaiveDate) -> ApiResult<Self> {
        let content = v.content(code).map_err(ApiError::internal)?;
        Ok(VersionView {
            status: v.status_on(today),
            id: v.id,
            version_no: v.version_no,
            effective_from: v.effective_from,
            effective_to: v.effective_to,
            name: content.name,
            field: content.field,
            implementing_level: content.implementing_level,
            legal_basis: content.legal_basis,
            result_type: content.result_type,
            cases: content.cases,
            created_at: v.created_at.and_utc(),
            created_by: v.created_by,
        })
    }
}

/// A procedure a commune publishes.
#[derive(Serialize, ToSchema, Debug)]
pub struct PublishedProcedure {
    #[serde(flatten)]
    pub procedure: ProcedureSummary,
    pub published_at: DateTime<Utc>,
}

/// A commune's publication of a procedure.
#[derive(Serialize, ToSchema, Debug)]
pub struct PublicationView {
    #[schema(example = "04978")]
    pub commune_code: String,
    #[schema(example = "1.001193")]
    pub procedure_code: String,
    pub published_at: DateTime<Utc>,
    /// Account that published it; null for the demo seed.
    pub published_by: Option<String>,
}

/// One finding of an import.
#[derive(Serialize, ToSchema, Debug)]
pub struct ImportError {
    /// CSV: line of the file (the header is line 1); JSON: 1-based position in the array;
    /// 0: the file as a whole.
    #[schema(example = 7)]
    pub row: usize,
    /// Procedure code of the row, when it has one.
    #[schema(example = "1.001193")]
    pub code: Option<String>,
    /// CSV column or JSON path.
    #[schema(example = "time_unit")]
    pub field: String,
    #[schema(
        example = "Unknown value 'weeks'; use working_days, calendar_days, working_hours, same_day."
    )]
    pub message: String,
}

/// Validation report of an import. Counts are of procedures (a procedure's several CSV rows
/// count once).
#[derive(Serialize, ToSchema, Debug)]
#[schema(example = json!({
    "mode": "partial", "applied": true, "total": 3, "inserted": 1, "updated": 1, "unchanged": 0, "rejected": 1,
    "errors": [{"row": 4, "code": "1.000001", "field": "time_unit",
                "message": "Unknown value 'weeks'; use working_days, calendar_days, working_hours, same_day."}]
}))]
pub struct ImportReport {
    pub mode: ImportMode,
    /// False when nothing was written: the file could not be read, or (all_or_nothing) some
    /// procedure was rejected.
    pub applied: bool,
    pub total: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Every rejected row, with the reason.
    pub errors: Vec<ImportError>,
}

impl ImportReport {
    pub fn new(o: &ImportOutcome, lang: Lang) -> Self {
        ImportReport {
            mode: o.mode,
            applied: o.applied,
            total: o.total,
            inserted: o.inserted,
            updated: o.updated,
            unchanged: o.unchanged,
            rejected: o.rejected,
            errors: o
                .issues
                .iter()
                .map(|i| ImportError {
                    row: i.row,
                    code: i.code.clone(),
                    field: i.field.clone(),
                    message: i.message.get(lang).to_string(),
                })
                .collect(),
        }
    }

    /// 422 carrying the report (as `report`) and the findings as the `errors` field map.
    fn into_problem(self, outcome: &ImportOutcome) -> ApiError {
        let mut fields = FieldErrors::new();
        for i in &outcome.issues {
            let key = if i.row == 0 {
                i.field.clone()
            } else {
                format!("rows[{}].{}", i.row, i.field)
            };
            fields.entry(key).or_default().push(i.message.clone());
        }
        let mut e = ApiError::unprocessable(
            "catalog.import_invalid",
            format!(
                "Tệp nhập có {} lỗi; không có gì được nhập.",
                self.errors.len()
            ),
            format!(
                "The import file has {} error(s); nothing was imported.",
                self.errors.len()
            ),
        )
        .with_extra(serde_json::json!({ "report": self }));
        e.field_errors = Some(fields);
        e
    }
}

/// Procedure content is checked by the catalog's own rules (shared with the importer), which
/// report paths such as `cases[0].processing_time.unit`.
impl Validate for ProcedureContent {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let issues = self.clone().normalized().issues();
        if issues.is_empty() {
            return Ok(());
        }
        let mut errors = ValidationErrors::new();
        for issue in issues {
            let mut e = ValidationError::new("catalog").with_message(Cow::Owned(issue.message.vi));
            e.add_param(Cow::Borrowed("en"), &issue.message.en);
            match errors
                .0
                .entry(Cow::Owned(issue.field))
                .or_insert_with(|| ValidationErrorsKind::Field(Vec::new()))
            {
                ValidationErrorsKind::Field(list) => list.push(e),
                _ => unreachable!("only field errors are added"),
            }
        }
        Err(errors)
    }
}

/// Filters of the catalog lists.
#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Lĩnh vực, accent- and case-insensitive ("ho tich" = "Hộ tịch").
    pub field: Option<String>,
    /// Procedures with at least one case at this online level.
    pub online_level: Option<OnlineLevel>,
    /// Active (true) or deactivated (false) procedures; both when absent.
    pub active: Option<bool>,
    /// Words of the name, code or field; accent-, case- and tone-placement-insensitive
    /// ("dang ky khai sinh" finds "Đăng ký khai sinh").
    pub q: Option<String>,
    /// Legal date (Vietnam) whose versions are listed; default today. Procedures with no
    /// version in force on that date are left out.
    pub at: Option<NaiveDate>,
}

impl CatalogQuery {
    fn filter(self, published_in: Option<String>) -> (CatalogFilter, NaiveDate) {
        let date = self.at.unwrap_or_else(vietnam_today);
        (
            CatalogFilter {
                field: self.field,
                online_level: self.online_level,
                active: self.active,
                q: self.q,
                published_in,
            },
            date,
        )
    }
}

/// `?commune_code=` of the main list.
#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct PublishedIn {
    /// Only the procedures this commune publishes.
    #[param(example = "04978")]
    pub commune_code: Option<String>,
}

/// `?at=` of a single procedure.
#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct AtDate {
    /// Legal date (Vietnam) whose version is shown; default today.
    #[param(example = "2025-09-01")]
    pub at: Option<NaiveDate>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `all_or_nothing` (default): an invalid procedure anywhere means nothing is imported.
    /// `partial`: the valid procedures are imported and the others reported.
    pub mode: Option<ImportMode>,
    /// `motcua` (default): this catalog's CSV or JSON. `portal`: the national portal's
    /// catalog JSON (LayDanhSachTTHC), read into this catalog's format first (catalog sync).
    pub source: Option<ImportSource>,
}

/// Whose format an import file is in.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportSource {
    #[default]
    Motcua,
    Portal,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `json`.
    pub format: Option<FileFormat>,
}

fn procedure_not_found() -> ApiError {
    ApiError::not_found("thủ tục", "Procedure")
}

fn commune_not_found() -> ApiError {
    ApiError::not_found("xã/phường", "Commune")
}

/// The content of a request body, normalised (ValidJson has checked it already).
fn content_of(body: ValidJson<ProcedureContent>) -> ProcedureContent {
    body.0.normalized()
}

type Rows = Vec<(Procedure, ProcedureVersion)>;

async fn list_page(
    state: &AppState,
    filter: CatalogFilter,
    date: NaiveDate,
    page: &PageParams,
) -> ApiResult<(Rows, i64)> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let rows = state
        .db(move |conn| {
            Ok(Procedure::list_in_force(
                conn,
                &filter,
                date,
                after.as_deref(),
                limit + 1,
            )?)
        })
        .await?;
    Ok((rows, limit))
}

fn summaries(rows: Rows, limit: i64) -> ApiResult<Page<ProcedureSummary>> {
    let views = rows
        .into_iter()
        .map(|(p, v)| ProcedureSummary::new(p, v))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Page::from_rows(
        views,
        limit,
        |s: &ProcedureSummary| s.code.clone(),
        |s| s,
    ))
}

/// List and search the catalog.
///
/// Public. Each procedure is shown with its version in force on `at` (default today, Vietnam
/// time); filter by field, online level, publishing commune, active flag and words of the
/// name, code or field. Ordered by code; keyset pagination.
#[utoipa::path(tag = "procedures", params(CatalogQuery, PublishedIn, PageParams), responses(
    (status = 200, body = Page<ProcedureSummary>),
    (status = 400, description = "Invalid query (unknown online level, bad date or cursor)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/procedures")]
pub async fn list_procedures(
    state: web::Data<AppState>,
    query: web::Query<CatalogQuery>,
    published_in: web::Query<PublishedIn>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<ProcedureSummary>>> {
    let (filter, date) = query
        .into_inner()
        .filter(published_in.into_inner().commune_code);
    let (rows, limit) = list_page(&state, filter, date, &page).await?;
    Ok(web::Json(summaries(rows, limit)?))
}

/// Export the catalog as CSV or JSON.
///
/// Public: the catalog is public information. Writes the **latest** version of every
/// procedure, active or not, by code — the content an import compares with — so that
/// exporting and importing the file back changes nothing.
///
/// **CSV** (default; UTF-8 with a byte-order mark so that spreadsheets read it as UTF-8): one
/// row per procedure and case, columns `code, name, field, implementing_level, legal_basis,
/// result_type, case_code, case_name, processing_time, time_unit, cutoff, online_level,
/// documents`. `documents` is a `;`-separated list of `NAME (FORM, COUNT, required|optional[, store])`,
/// e.g. `Tờ khai (original, 1, required); Giấy chứng sinh (original, 1, required, store)`.
/// **JSON**: an array of procedures in the shape `POST /procedures` takes.
#[utoipa::path(tag = "procedures", params(ExportParams), responses(
    (status = 200, description = "The catalog file", content(
        (String = "text/csv", example = "code,name,field,implementing_level,legal_basis,result_type,case_code,case_name,processing_time,time_unit,cutoff,online_level,documents\n1.001193,Đăng ký khai sinh,Hộ tịch,commune,,both,default,Trường hợp chung,0,same_day,15:00,full,\"Tờ khai (original, 1, required)\"\n"),
        (Vec<ProcedureContent> = "application/json", example = json!([{
            "code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "result_type": "both",
            "cases": [{"code": "default", "name": "Trường hợp chung", "online_level": "full",
                "processing_time": {"value": 0, "unit": "same_day", "cutoff": "15:00"},
                "documents": [{"name": "Tờ khai", "form": "original"}]}]
        }])),
    ), headers(("Content-Disposition" = String, description = "attachment; filename=\"procedures.csv\" (or .json)"))),
    (status = 400, description = "Unknown format", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/procedures/export")]
pub async fn export_procedures(
    state: web::Data<AppState>,
    params: web::Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    let format = params.format.unwrap_or_default();
    let text = state.db(move |conn| catalog::export(conn, format)).await?;
    let (content_type, file) = match format {
        FileFormat::Csv => ("text/csv; charset=utf-8", "procedures.csv"),
        FileFormat::Json => ("application/json", "procedures.json"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(text))
}

/// Import procedures from a CSV or JSON file.
///
/// **Roles:** `system_admin`. An idempotent upsert by procedure code: a new code creates the
/// procedure, changed content adds a version (effective from the row's `effective_from`, else
/// today), unchanged content changes nothing. The active flag is not part of a file: an import
/// never deactivates or reactivates a procedure.
///
/// Body: `text/csv` (format of `GET /procedures/export`, plus an optional `effective_from`
/// column; columns in any order; required: `code, name, field, result_type, time_unit,
/// online_level`) or `application/json` (an array of procedures as `POST /procedures` takes),
/// at most `MAX_IMPORT_BYTES` (default 10 MiB).
///
/// With `source=portal` the body is the national portal's catalog JSON (procedures with
/// `MaTTHC`, `TenTTHC`, `TruongHop`, `ThanhPhanHoSo`…), read into this format first: the
/// portal's catalog sync, idempotent (unchanged procedures stay unchanged, changed ones get
/// a new version).
///
/// The response is a validation report: counts of inserted, updated, unchanged and rejected
/// procedures and every rejected row with its row number, code, field and message. In
/// `all_or_nothing` mode (default) one invalid procedure means nothing is imported: 422 with
/// the report as `report` (and the findings in `errors` as `rows[N].field`). In `partial` mode
/// the valid procedures are imported and the rejected ones reported with 200. A file that
/// cannot be read at all (unknown or missing columns, JSON that is not an array) is 422 in
/// both modes.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), params(ImportParams),
    request_body(content(
        (String = "text/csv", example = "code,name,field,result_type,case_code,processing_time,time_unit,cutoff,online_level,documents\n1.001193,Đăng ký khai sinh,Hộ tịch,both,default,0,same_day,15:00,full,\"Tờ khai (original, 1, required); Giấy chứng sinh (original, 1, required, store)\"\n2.000815,Chứng thực bản sao từ bản chính,Chứng thực,paper,default,0,same_day,15:00,partial,\"Bản chính giấy tờ (original, 1, required)\"\n"),
        (Vec<ProcedureContent> = "application/json", example = json!([{
            "code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "result_type": "both",
            "cases": [{"code": "default", "name": "Trường hợp chung", "online_level": "full",
                "processing_time": {"value": 0, "unit": "same_day", "cutoff": "15:00"},
                "documents": [{"name": "Tờ khai", "form": "original"}]}]
        }])),
    )),
    responses(
    (status = 200, description = "Imported (in partial mode, possibly with rejected rows)", body = ImportReport),
    (status = 400, description = "Malformed JSON, unreadable body, or an unknown mode", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The catalog changed during the import; nothing imported", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File larger than MAX_IMPORT_BYTES", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Neither text/csv nor application/json", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid file; nothing imported. The problem carries the report as `report`", body = crate::error::Problem, content_type = "application/problem+json",
        example = json!({"type": "/problems/catalog-import-invalid", "title": "Unprocessable content", "status": 422,
            "detail": "The import file has 1 error(s); nothing was imported.", "instance": "/api/v1/procedures/import",
            "code": "catalog.import_invalid", "request_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "errors": {"rows[3].time_unit": ["Unknown value 'weeks'; use working_days, calendar_days, working_hours, same_day."]},
            "report": {"mode": "all_or_nothing", "applied": false, "total": 2, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 1,
                "errors": [{"row": 3, "code": "1.000001", "field": "time_unit", "message": "Unknown value 'weeks'; use working_days, calendar_days, working_hours, same_day."}]}})),
))]
#[post("/procedures/import")]
pub async fn import_procedures(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    req: HttpRequest,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let format = import_format(&req)?;
    let mut body = read_body(&req, payload.into_inner(), state.config.max_import_bytes).await?;
    if format == FileFormat::Json {
        // Malformed JSON is 400 like every JSON body; a well-formed file gets the report.
        parse_json::<serde::de::IgnoredAny>(&body)?;
    }
    if params.source == Some(ImportSource::Portal) {
        if format != FileFormat::Json {
            return Err(ApiError::new(
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Danh mục của Cổng là JSON (Content-Type: application/json).",
                "The portal's catalog is JSON (Content-Type: application/json).",
            ));
        }
        body = crate::domain::catalog::portal::to_import_json(&body)
            .map_err(|t| ApiError::unprocessable("catalog.portal_format", t.vi, t.en))?
            .as_slice()
            .into();
    }
    let mode = params.mode.unwrap_or_default();
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let actor = auth.user_id.clone();
    let outcome = state
        .db(move |conn| catalog::import(conn, format, &body, mode, Some(&actor), &mut |_, _| {}))
        .await?;
    log::info!(
        "catalog import by {} ({mode:?}): applied={} inserted={} updated={} unchanged={} rejected={}",
        auth.user_id,
        outcome.applied,
        outcome.inserted,
        outcome.updated,
        outcome.unchanged,
        outcome.rejected
    );
    let report = ImportReport::new(&outcome, lang);
    if outcome.applied {
        Ok(HttpResponse::Ok().json(report))
    } else {
        Err(report.into_problem(&outcome))
    }
}

/// CSV or JSON from the Content-Type; 415 otherwise.
fn import_format(req: &HttpRequest) -> ApiResult<FileFormat> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok());
    match mime {
        Some(m) if m.type_() == mime::TEXT && m.subtype() == mime::CSV => Ok(FileFormat::Csv),
        Some(m)
            if m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON)) =>
        {
            Ok(FileFormat::Json)
        }
        _ => Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Tệp nhập phải là text/csv hoặc application/json.",
            "The import file must be text/csv or application/json.",
        )),
    }
}

/// Read a procedure.
///
/// Public. The version in force on `at` (default today, Vietnam time), with its cases and
/// required documents. 404 `procedure.not_in_force` when the procedure exists but none of its
/// versions is in force on that date (see `/versions`). The `ETag` is the record version to
/// send in `If-Match` when changing it.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National procedure code"), AtDate), responses(
    (status = 200, body = ProcedureView, headers(("ETag" = String, description = "Record version"))),
    (status = 400, description = "Invalid date", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such procedure, or none of its versions in force on the date", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/procedures/{code}")]
pub async fn get_procedure(
    state: web::Data<AppState>,
    path: web::Path<String>,
    at: web::Query<AtDate>,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let date = at.at.unwrap_or_else(vietnam_today);
    let found = state
        .db(move |conn| {
            if let Some(pair) = Procedure::in_force(conn, &code, date)? {
                return Ok(pair);
            }
            if Procedure::find_by_code(conn, &code)?.is_none() {
                return Err(procedure_not_found());
            }
            Err(ApiError::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "procedure.not_in_force",
                format!("Thủ tục {code} không có phiên bản nào có hiệu lực vào ngày {date}."),
                format!("Procedure {code} has no version in force on {date}."),
            ))
        })
        .await?;
    let (p, v) = found;
    let view = ProcedureView::new(p, v, date)?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Version history of a procedure.
///
/// Public. Every version, newest first, with its validity `[effective_from, effective_to)`,
/// its status today and its full content. Keyset pagination.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "National procedure code"), PageParams), responses(
    (status = 200, body = Page<VersionView>),
    (status = 400, description = "Invalid query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such procedure", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/procedures/{code}/versions")]
pub async fn list_versions(
    state: web::Data<AppState>,
    path: web::Path<String>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<VersionView>>> {
    page.checked()?;
    let limit = page.limit();
    let before: Option<i64> = page.cursor()?;
    let code = path.into_inner();
    let (code, rows) = state
        .db(move |conn| {
            let p = Procedure::find_by_code(conn, &code)?.ok_or_else(procedure_not_found)?;
            Ok((
                p.code,
                ProcedureVersion::history(conn, &p.id, before, limit + 1)?,
            ))
        })
        .await?;
    let today = vietnam_today();
    let views = rows
        .into_iter()
        .map(|v| VersionView::new(&code, v, today))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Page::from_rows(
        views,
        limit,
        |v: &VersionView| v.version_no,
        |v| v,
    )))
}

/// Create a procedure.
///
/// **Roles:** `system_admin`. Creates the procedure with its first version, in force from
/// `effective_from` (default today, Vietnam time; any date). Text is stored NFC-normalised.
/// 409 when the code exists (also when deactivated: change it with `PUT` instead).
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = ProcedureContent, responses(
    (status = 201, body = ProcedureView, headers(("ETag" = String, description = "Record version"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "A procedure with this code exists", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields (paths such as `cases[0].processing_time.unit`)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/procedures")]
pub async fn create_procedure(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    body: ValidJson<ProcedureContent>,
) -> ApiResult<HttpResponse> {
    let content = content_of(body);
    let actor = auth.user_id.clone();
    let today = vietnam_today();
    let (p, v) = state
        .db_tx(move |conn| {
            if Procedure::find_by_code(conn, &content.code)?.is_some() {
                return Err(ApiError::conflict(
                    "procedure.code_taken",
                    format!("Đã có thủ tục mã {}.", content.code),
                    format!("A procedure with code {} exists.", content.code),
                ));
            }
            let effective_from = content.effective_from.unwrap_or(today);
            Ok(Procedure::create(
                conn,
                &content,
                effective_from,
                Some(&actor),
                crate::clock::now().naive_utc(),
            )?)
        })
        .await?;
    log::info!("procedure {} created by {}", p.code, auth.user_id);
    let view = ProcedureView::new(p, v, today)?;
    Ok(HttpResponse::Created()
        .insert_header(etag(view.version))
        .json(view))
}

/// Replace a procedure's content as a new version.
///
/// **Roles:** `system_admin`. Requires `If-Match` with the procedure's ETag (428 without, 412
/// when stale). The body is the whole content (its `code` must equal the path's). It becomes a
/// new version in force from `effective_from` (default today, Vietnam time; never earlier than
/// today, may be later): the version in force then ends that day, and versions scheduled on or
/// after it are cancelled. Earlier versions stay as they were, so dossiers received under them
/// keep their rules. A deactivated procedure is reactivated.
#[utoipa::path(tag = "procedures", security(("bearer" = [])), request_body = ProcedureContent,
    params(("code" = String, Path, description = "National procedure code"), ("If-Match" = String, Header, description = "ETag of the procedure")),
    responses(
    (status = 200, description = "The new version (status `scheduled` when it takes effect later)", body = ProcedureView, headers(("ETag" = String, description = "New record version"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such procedure", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale ETag", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, code differing from the path, or an effective date before today", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/procedures/{code}")]
pub async fn update_procedure(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    path: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<ProcedureContent>,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let content = content_of(body);
    let actor = auth.user_id.clone();
    let today = vietnam_today();
    let (p, v) = state
        .db_tx(move |conn| {
            let current = Procedure::find_by_code(conn, &code)?.ok_or_else(procedure_not_found)?;
            if current.version != if_match.0 {
                return Err(ApiError::precondition_failed());
            }
            if content.code != code {
                return Err(ApiError::invalid_field(
                    "code",
                    format!(
                        "Mã trong nội dung ({}) phải trùng mã trên đường dẫn ({code}).",
                        content.code
                    ),
                    format!(
                        "The body's code ({}) must equal the path's ({code}).",
                        content.code
                    ),
                ));
            }
            let effective_from = content.effective_from.unwrap_or(today);
            if effective_from < today {
                return Err(ApiError::invalid_field(
                    "effective_from",
                    format!("Phiên bản mới không được có hiệu lực trước hôm nay ({today})."),
                    format!("A new version cannot take effect before today ({today})."),
                ));
            }
            current
                .add_version(
                    conn,
                    &content,
                    effective_from,
                    Some(&actor),
                    crate::clock::now().naive_utc(),
                    true,
                )?
                .ok_or_else(ApiError::precondition_failed)
        })
        .await?;
    log::info!(
        "procedure {} version {} (from {}) by {}",
        p.code,
        v.version_no,
        v.effective_from,
        auth.user_id
    );
    let view = ProcedureView::new(p, v, today)?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Deactivate a procedure.
///
/// **Roles:** `system_admin`. Requires `If-Match` (428 without, 412 when stale). Nothing is
/// deleted: dossiers refer to the procedure and its versions, which stay readable with
/// `active: false`. `PUT` reactivates it.
#[utoipa::path(tag = "procedures", security(("bearer" = [])),
    params(("code" = String, Path, description = "National procedure code"), ("If-Match" = String, Header, description = "ETag of the procedure")),
    responses(
    (status = 204, description = "Deactivated", headers(("ETag" = String, description = "New record version"))),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such procedure", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale ETag", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[delete("/procedures/{code}")]
pub async fn deactivate_procedure(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    path: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let code = path.into_inner();
    let p = state
        .db_tx(move |conn| {
            let current = Procedure::find_by_code(conn, &code)?.ok_or_else(procedure_not_found)?;
            Procedure::deactivate(
                conn,
                &current.id,
                if_match.0,
                crate::clock::now().naive_utc(),
            )?
            .ok_or_else(ApiError::precondition_failed)
        })
        .await?;
    log::info!("procedure {} deactivated by {}", p.code, auth.user_id);
    Ok(HttpResponse::NoContent()
        .insert_header(etag(p.version))
        .finish())
}

fn commune_exists(conn: &mut DbConn, code: &str) -> ApiResult<()> {
    let n: i64 = communes::table
        .filter(communes::code.eq(code))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(commune_not_found());
    }
    Ok(())
}

/// List the procedures a commune publishes.
///
/// Public. The commune's published catalog, each procedure with its version in force on `at`
/// (default today) and the time it was published; same filters as `GET /procedures`.
#[utoipa::path(tag = "procedures", params(("code" = String, Path, description = "Commune code, 5 digits"), CatalogQuery, PageParams), responses(
    (status = 200, body = Page<PublishedProcedure>),
    (status = 400, description = "Invalid query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/communes/{code}/procedures")]
pub async fn list_commune_procedures(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CatalogQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<PublishedProcedure>>> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let commune = path.into_inner();
    let (filter, date) = query.into_inner().filter(Some(commune.clone()));
    let (rows, times) = state
        .db(move |conn| {
            commune_exists(conn, &commune)?;
            let rows = Procedure::list_in_force(conn, &filter, date, after.as_deref(), limit + 1)?;
            let ids: Vec<String> = rows.iter().map(|(p, _)| p.id.clone()).collect();
            let times = Publication::times(conn, &commune, &ids)?;
            Ok((rows, times))
        })
        .await?;
    let page = summaries(rows, limit)?;
    let items = page
        .items
        .into_iter()
        .filter_map(|s| {
            Some(PublishedProcedure {
                published_at: times.get(&s.id)?.and_utc(),
                procedure: s,
            })
        })
        .collect();
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// The commune a caller may configure, or 404 as if it did not exist.
fn own_commune(auth: &Authorized<CommuneAdmins>, commune: &str) -> ApiResult<()> {
    let place = Place {
        commune: Some(commune),
        ..Place::default()
    };
    if !access::may_see(auth, Resource::CommuneSettings, place) {
        return Err(commune_not_found());
    }
    Ok(())
}

/// Publish a procedure in a commune.
///
/// **Roles:** `commune_admin` of that commune (another commune is 404), `system_admin`.
/// Idempotent: 201 when published now, 200 when it already was (publication time unchanged).
/// A deactivated procedure cannot be published (409). No `If-Match`: a publication is a
/// membership with nothing to overwrite.
#[utoipa::path(tag = "procedures", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, 5 digits"), ("procedure_code" = String, Path, description = "National procedure code")),
    responses(
    (status = 200, description = "Already published", body = PublicationView),
    (status = 201, description = "Published", body = PublicationView),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune visible to the caller, or no such procedure", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The procedure is deactivated", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/communes/{code}/procedures/{procedure_code}")]
pub async fn publish_procedure(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (commune, code) = path.into_inner();
    own_commune(&auth, &commune)?;
    let actor = auth.user_id.clone();
    let (created, publication) = state
        .db_tx(move |conn| {
            commune_exists(conn, &commune)?;
            let p = Procedure::find_by_code(conn, &code)?.ok_or_else(procedure_not_found)?;
            if !p.active {
                return Err(ApiError::conflict(
                    "procedure.inactive",
                    format!("Thủ tục {code} đã ngừng áp dụng, không công bố được."),
                    format!("Procedure {code} is deactivated and cannot be published."),
                ));
            }
            let new = Publication {
                commune_code: commune.clone(),
                procedure_id: p.id.clone(),
                published_at: crate::clock::now().naive_utc(),
                published_by: Some(actor),
            };
            let created = Publication::publish(conn, &new)?;
            let stored =
                Publication::find(conn, &commune, &p.id)?.ok_or_else(procedure_not_found)?;
            Ok((
                created,
                PublicationView {
                    commune_code: stored.commune_code,
                    procedure_code: p.code,
                    published_at: stored.published_at.and_utc(),
                    published_by: stored.published_by,
                },
            ))
        })
        .await?;
    if created {
        log::info!(
            "procedure {} published in {} by {}",
            publication.procedure_code,
            publication.commune_code,
            auth.user_id
        );
        Ok(HttpResponse::Created().json(publication))
    } else {
        Ok(HttpResponse::Ok().json(publication))
    }
}

/// Withdraw a procedure from a commune's catalog.
///
/// **Roles:** `commune_admin` of that commune (another commune is 404), `system_admin`.
/// 404 when the procedure is not published there.
#[utoipa::path(tag = "procedures", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code, 5 digits"), ("procedure_code" = String, Path, description = "National procedure code")),
    responses(
    (status = 204, description = "Withdrawn"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune visible to the caller, no such procedure, or not published there", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[delete("/communes/{code}/procedures/{procedure_code}")]
pub async fn unpublish_procedure(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (commune, code) = path.into_inner();
    own_commune(&auth, &commune)?;
    let (c, p) = (commune.clone(), code.clone());
    state
        .db_tx(move |conn| {
            commune_exists(conn, &c)?;
            let procedure = Procedure::find_by_code(conn, &p)?.ok_or_else(procedure_not_found)?;
            if !Publication::unpublish(conn, &c, &procedure.id)? {
                return Err(ApiError::not_found(
                    "công bố thủ tục này tại xã",
                    "Publication of this procedure in the commune",
                ));
            }
            Ok(())
        })
        .await?;
    log::info!(
        "procedure {code} withdrawn from {commune} by {}",
        auth.user_id
    );
    Ok(HttpResponse::NoContent().finish())
}
