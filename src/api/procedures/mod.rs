//! The procedure catalog (thủ tục hành chính) over HTTP: public reads, versioned edits and
//! bulk import/export by system administrators, and per-commune publication. The use cases
//! are `service::procedures` and `service::catalog`; this module holds the views.

mod edit;
mod files;
mod publication;
mod read;

pub use edit::*;
pub use files::*;
pub use publication::*;
pub use read::*;

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use super::extract::{Page, ValidJson};
use crate::db::models::procedure::{CatalogFilter, Procedure, ProcedureVersion};
use crate::domain::calendar::today as vietnam_today;
use crate::domain::catalog::{
    Case, FileFormat, ImplementingLevel, OnlineLevel, ProcedureContent, ResultType, VersionStatus,
};
use crate::error::{ApiError, ApiResult, FieldErrors, Lang};
use crate::service::catalog::{ImportMode, ImportOutcome};
use crate::service::procedures::Pair;

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
    pub(super) fn new(p: Procedure, v: ProcedureVersion) -> ApiResult<Self> {
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
    pub(super) fn new(p: Procedure, v: ProcedureVersion, date: NaiveDate) -> ApiResult<Self> {
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
    pub(super) fn into_problem(self, outcome: &ImportOutcome) -> ApiError {
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
    pub(super) fn filter(self, published_in: Option<String>) -> (CatalogFilter, NaiveDate) {
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

/// The content of a request body, normalised (ValidJson has checked it already).
fn content_of(body: ValidJson<ProcedureContent>) -> ProcedureContent {
    body.0.normalized()
}

pub(super) fn summaries(rows: Vec<Pair>, limit: i64) -> ApiResult<Page<ProcedureSummary>> {
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
