//! Catalog import and export: the one code path behind `POST /procedures/import`,
//! `GET /procedures/export` and `motcua catalog import|export`.
//!
//! An import is an idempotent upsert by procedure code: a new code creates the procedure, a
//! changed one adds a version, an unchanged one changes nothing. `active` is not part of a
//! file: an import never deactivates nor reactivates a procedure.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::procedure::Procedure;
use crate::db::DbConn;
use crate::domain::calendar::today as vietnam_today;
use crate::domain::catalog::{
    self, distinct_codes, FileFormat, ImportItem, ParsedImport, ProcedureContent, RowIssue,
};
use crate::error::{ApiError, ApiResult, Text};

/// What to do with a file in which some procedures are invalid.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Import nothing unless every procedure is valid.
    #[default]
    AllOrNothing,
    /// Import the valid procedures, report the others.
    Partial,
}

/// The result of an import, before it is rendered in a language.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub mode: ImportMode,
    /// Whether anything was written (false when the file was refused as a whole).
    pub applied: bool,
    /// Procedures in the file (rows of one procedure count once).
    pub total: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Every finding, by row.
    pub issues: Vec<RowIssue>,
}

enum Plan {
    Insert,
    Update(Procedure),
    Unchanged,
}

/// Why a changed procedure cannot take the file's effective date.
fn effective_date_issue(item: &ImportItem, date: NaiveDate, today: NaiveDate) -> RowIssue {
    RowIssue {
        row: item.row,
        code: item.code.clone(),
        field: "effective_from".into(),
        message: Text::new(
            format!(
                "Phiên bản mới không được có hiệu lực trước hôm nay ({today}); ngày ghi: {date}."
            ),
            format!(
                "A new version cannot take effect before today ({today}); the file says {date}."
            ),
        ),
    }
}

/// Parses, validates and applies an import file in one write transaction.
/// `progress(done, total)` is called as procedures are written.
pub fn import(
    conn: &mut DbConn,
    format: FileFormat,
    bytes: &[u8],
    mode: ImportMode,
    actor: Option<&str>,
    progress: &mut dyn FnMut(usize, usize),
) -> ApiResult<ImportOutcome> {
    import_parsed(
        conn,
        catalog::parse_import(format, bytes),
        mode,
        actor,
        progress,
    )
}

/// `import` for a file parsed already (the CLI parses first to size its progress bar).
pub fn import_parsed(
    conn: &mut DbConn,
    parsed: ParsedImport,
    mode: ImportMode,
    actor: Option<&str>,
    progress: &mut dyn FnMut(usize, usize),
) -> ApiResult<ImportOutcome> {
    let mut outcome = ImportOutcome {
        mode,
        applied: false,
        total: parsed.items.len(),
        inserted: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        issues: parsed.file_issues,
    };
    if !outcome.issues.is_empty() {
        return Ok(outcome);
    }
    let mut items = parsed.items;
    let today = vietnam_today();
    conn.write_transaction(|conn| -> ApiResult<()> {
        let existing = Procedure::latest_of(conn, &distinct_codes(&items))?;
        let mut plans: Vec<Option<Plan>> = Vec::with_capacity(items.len());
        for item in &mut items {
            let plan = match &item.content {
                None => None,
                Some(content) => match existing.get(&content.code) {
                    None => Some(Plan::Insert),
                    Some((procedure, latest)) => {
                        let current = latest
                            .content(&procedure.code)
                            .map_err(ApiError::internal)?;
                        if current.same_content(content) {
                            Some(Plan::Unchanged)
                        } else if let Some(date) = content.effective_from.filter(|d| *d < today) {
                            item.issues.push(effective_date_issue(item, date, today));
                            None
                        } else {
                            Some(Plan::Update(procedure.clone()))
                        }
                    }
                },
            };
            plans.push(plan);
        }
        outcome.rejected = plans.iter().filter(|p| p.is_none()).count();
        outcome.issues = items
            .iter()
            .flat_map(|i| i.issues.iter().cloned())
            .collect();
        outcome.issues.sort_by_key(|i| i.row);
        if mode == ImportMode::AllOrNothing && outcome.rejected > 0 {
            return Ok(());
        }
        let now = crate::clock::now().naive_utc();
        let to_write = plans
            .iter()
            .filter(|p| matches!(p, Some(Plan::Insert | Plan::Update(_))))
            .count();
        let mut written = 0;
        for (item, plan) in items.iter().zip(plans) {
            let (Some(content), Some(plan)) = (&item.content, plan) else {
                continue;
            };
            let effective_from = content.effective_from.unwrap_or(today);
            match plan {
                Plan::Unchanged => {
                    outcome.unchanged += 1;
                    continue;
                }
                Plan::Insert => {
                    Procedure::create(conn, content, effective_from, actor, now)?;
                    outcome.inserted += 1;
                }
                Plan::Update(procedure) => {
                    procedure
                        .add_version(conn, content, effective_from, actor, now, false)?
                        .ok_or_else(concurrent_change)?;
                    outcome.updated += 1;
                }
            }
            written += 1;
            progress(written, to_write);
        }
        outcome.applied = true;
        Ok(())
    })?;
    Ok(outcome)
}

fn concurrent_change() -> ApiError {
    ApiError::conflict(
        "catalog.concurrent_update",
        "Danh mục đang được người khác cập nhật; không có gì được nhập. Vui lòng thử lại.",
        "The catalog was changed concurrently; nothing was imported. Please retry.",
    )
}

/// The latest version of every procedure (what an import compares with), by code.
pub fn export_contents(conn: &mut DbConn) -> ApiResult<Vec<ProcedureContent>> {
    Procedure::all_latest(conn)?
        .into_iter()
        .map(|(p, v)| v.content(&p.code).map_err(ApiError::internal))
        .collect()
}

/// The export file: CSV (one row per case, with a byte-order mark) or a JSON array.
pub fn export(conn: &mut DbConn, format: FileFormat) -> ApiResult<String> {
    let contents = export_contents(conn)?;
    Ok(match format {
        FileFormat::Csv => catalog::csv::write(&contents),
        FileFormat::Json => {
            let mut s = serde_json::to_string_pretty(&contents).map_err(ApiError::internal)?;
            s.push('\n');
            s
        }
    })
}
