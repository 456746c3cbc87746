//! The catalog's CSV format: one row per procedure and case, editable in a spreadsheet.
//!
//! ```text
//! code,name,field,implementing_level,legal_basis,result_type,case_code,case_name,processing_time,time_unit,cutoff,online_level,documents
//! 1.001193,Đăng ký khai sinh,Hộ tịch,commune,Luật Hộ tịch 2014,both,default,Trường hợp chung,0,same_day,15:00,full,"Tờ khai (original, 1, required); Giấy chứng sinh (original, 1, required, store)"
//! ```
//!
//! - UTF-8, comma-separated, header row first; a byte-order mark is accepted (and written, so
//!   that spreadsheets open the file as UTF-8). Columns may come in any order.
//! - Required columns: `code, name, field, result_type, time_unit, online_level`. Optional:
//!   `implementing_level` (default `commune`), `legal_basis`, `case_code` (default `default`),
//!   `case_name` (default "Trường hợp chung"), `processing_time` (may be empty for `same_day`),
//!   `cutoff` (`HH:MM`, `same_day` only), `documents`, `effective_from` (`YYYY-MM-DD`; import
//!   only, default today). Any other column is refused, so that a misspelt header is not
//!   silently ignored.
//! - A procedure with several cases takes several rows with the same `code`; the
//!   procedure-level columns (`name` … `result_type`, `effective_from`) must repeat the same
//!   values on each of its rows.
//! - `documents`: a `;`-separated list of `NAME (FORM[, COUNT][, required|optional][, store])`:
//!   FORM is `original`, `copy` or `original_or_copy`; COUNT defaults to 1; `optional` marks a
//!   document needed only in some situations; `store` allows taking it from the applicant's
//!   e-data store. A name may itself contain parentheses: the last group is the attributes.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{
    validated, Case, DocumentForm, ImplementingLevel, ImportItem, Issue, Named, OnlineLevel,
    ParsedImport, ProcedureContent, ProcessingTime, RequiredDocument, ResultType, RowIssue,
    TimeUnit, DEFAULT_CASE_NAME,
};
use crate::error::Text;

/// Columns in the order the export writes them (`effective_from` is import-only).
pub const COLUMNS: [&str; 14] = [
    "code",
    "name",
    "field",
    "implementing_level",
    "legal_basis",
    "result_type",
    "case_code",
    "case_name",
    "processing_time",
    "time_unit",
    "cutoff",
    "online_level",
    "documents",
    "effective_from",
];
const REQUIRED: [&str; 6] = [
    "code",
    "name",
    "field",
    "result_type",
    "time_unit",
    "online_level",
];
/// Columns that belong to the procedure and repeat on each of its rows.
const PROCEDURE_COLUMNS: [&str; 6] = [
    "name",
    "field",
    "implementing_level",
    "legal_basis",
    "result_type",
    "effective_from",
];
const BOM: &str = "\u{feff}";

/// A spreadsheet reads a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return as a formula (OWASP "CSV Injection"): such a cell is written with a leading `'`,
/// which spreadsheets show as text. A cell that itself starts with `'` gets one more, so
/// that [`restore`] (one leading `'` removed on import) gives back every value exactly.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The value of a cell written by [`neutralize`].
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// Writes procedures as CSV (with a byte-order mark), one row per case; cells that a
/// spreadsheet would run as formulas are neutralized (see [`neutralize`]).
pub fn write(procedures: &[ProcedureContent]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let header = &COLUMNS[..COLUMNS.len() - 1];
    w.write_record(header).expect("in-memory CSV");
    for p in procedures {
        for c in &p.cases {
            let documents: Vec<String> = c.documents.iter().map(format_document).collect();
            let record = [
                p.code.as_str(),
                &p.name,
                &p.field,
                p.implementing_level.as_str(),
                &p.legal_basis,
                p.result_type.as_str(),
                &c.code,
                &c.name,
                &c.processing_time.value.to_string(),
                c.processing_time.unit.as_str(),
                c.processing_time.cutoff.as_deref().unwrap_or(""),
                c.online_level.as_str(),
                &documents.join("; "),
            ];
            w.write_record(record.map(|cell| neutralize(cell).into_owned()))
                .expect("in-memory CSV");
        }
    }
    let bytes = w.into_inner().expect("in-memory CSV");
    format!(
        "{BOM}{}",
        String::from_utf8(bytes).expect("CSV of UTF-8 strings")
    )
}

/// `Tờ khai (original, 1, required, store)`.
pub fn format_document(d: &RequiredDocument) -> String {
    format!(
        "{} ({}, {}, {}{})",
        d.name,
        d.form.as_str(),
        d.count,
        if d.required { "required" } else { "optional" },
        if d.from_data_store_allowed {
            ", store"
        } else {
            ""
        }
    )
}

/// Parses a `documents` cell; each error names the document it is about.
pub fn parse_documents(cell: &str) -> Result<Vec<RequiredDocument>, Vec<Text>> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for (j, item) in cell
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
    {
        let n = j + 1;
        let Some((name, attrs)) = item.strip_suffix(')').and_then(|s| s.rsplit_once('(')) else {
            errors.push(Text::new(
                format!("Giấy tờ {n} '{item}': ghi hình thức trong ngoặc, ví dụ '{item} (original, 1, required)'."),
                format!("Document {n} '{item}': give its form in parentheses, e.g. '{item} (original, 1, required)'."),
            ));
            continue;
        };
        let mut tokens = attrs.split(',').map(str::trim);
        let form_token = tokens.next().unwrap_or("");
        let Some(form) = DocumentForm::parse(form_token) else {
            errors.push(Text::new(
                format!(
                    "Giấy tờ {n}: hình thức '{form_token}' không hợp lệ; dùng {}.",
                    DocumentForm::choices()
                ),
                format!(
                    "Document {n}: unknown form '{form_token}'; use {}.",
                    DocumentForm::choices()
                ),
            ));
            continue;
        };
        let mut doc = RequiredDocument {
            name: super::clean(name),
            form,
            count: 1,
            required: true,
            from_data_store_allowed: false,
        };
        for t in tokens {
            match t {
                "required" => doc.required = true,
                "optional" => doc.required = false,
                "store" => doc.from_data_store_allowed = true,
                t if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => doc.count = t.parse().unwrap_or(u32::MAX),
                t => errors.push(Text::new(
                    format!("Giấy tờ {n}: thuộc tính '{t}' không hợp lệ; dùng số bản, required hoặc optional, và store."),
                    format!("Document {n}: unknown attribute '{t}'; use a count, required or optional, and store."),
                )),
            }
        }
        docs.push(doc);
    }
    if errors.is_empty() {
        Ok(docs)
    } else {
        Err(errors)
    }
}

struct Head {
    name: String,
    field: String,
    implementing_level: ImplementingLevel,
    legal_basis: String,
    result_type: ResultType,
    effective_from: Option<NaiveDate>,
}

/// One data row, read and typed as far as it goes.
struct Row {
    line: usize,
    code: String,
    /// Raw values of PROCEDURE_COLUMNS, compared across the rows of one procedure.
    procedure_values: Vec<String>,
    case_code: String,
    head: Option<Head>,
    case: Option<Case>,
    issues: Vec<RowIssue>,
}

fn issue(row: usize, code: &str, field: &str, vi: String, en: String) -> RowIssue {
    RowIssue {
        row,
        code: (!code.is_empty()).then(|| code.to_string()),
        field: field.to_string(),
        message: Text::new(vi, en),
    }
}

fn file_issue(field: &str, vi: String, en: String) -> RowIssue {
    RowIssue {
        row: 1,
        code: None,
        field: field.to_string(),
        message: Text::new(vi, en),
    }
}

fn enum_value<T: Named>(
    value: &str,
    column: &str,
    row: usize,
    code: &str,
    issues: &mut Vec<RowIssue>,
) -> Option<T> {
    if value.is_empty() {
        issues.push(issue(
            row,
            code,
            column,
            "Bắt buộc.".into(),
            "Required.".into(),
        ));
        return None;
    }
    let parsed = T::parse(value);
    if parsed.is_none() {
        issues.push(issue(
            row,
            code,
            column,
            format!("Giá trị '{value}' không hợp lệ; dùng {}.", T::choices()),
            format!("Unknown value '{value}'; use {}.", T::choices()),
        ));
    }
    parsed
}

fn read_row(line: usize, get: impl Fn(&str) -> String) -> Row {
    let code = get("code");
    let mut issues = Vec::new();
    let iss = &mut issues;

    let level = get("implementing_level");
    let implementing_level = if level.is_empty() {
        Some(ImplementingLevel::default())
    } else {
        enum_value(&level, "implementing_level", line, &code, iss)
    };
    let result_type =
        enum_value::<ResultType>(&get("result_type"), "result_type", line, &code, iss);
    let effective = get("effective_from");
    let effective_from = if effective.is_empty() {
        Some(None)
    } else {
        let d = NaiveDate::parse_from_str(&effective, "%Y-%m-%d").ok();
        if d.is_none() {
            iss.push(issue(
                line,
                &code,
                "effective_from",
                format!("Ngày '{effective}' phải có dạng YYYY-MM-DD."),
                format!("Date '{effective}' must be YYYY-MM-DD."),
            ));
        }
        d.map(Some)
    };
    let head = match (implementing_level, result_type, effective_from) {
        (Some(implementing_level), Some(result_type), Some(effective_from)) => Some(Head {
            name: get("name"),
            field: get("field"),
            implementing_level,
            legal_basis: get("legal_basis"),
            result_type,
            effective_from,
        }),
        _ => None,
    };

    let unit = enum_value::<TimeUnit>(&get("time_unit"), "time_unit", line, &code, iss);
    let value_text = get("processing_time");
    let value = match (value_text.parse::<u32>(), unit) {
        (Ok(v), _) => Some(v),
        (Err(_), Some(TimeUnit::SameDay)) if value_text.is_empty() => Some(0),
        (Err(_), _) if value_text.is_empty() => {
            iss.push(issue(
                line,
                &code,
                "processing_time",
                "Bắt buộc (trừ đơn vị same_day).".into(),
                "Required (except with the unit same_day).".into(),
            ));
            None
        }
        (Err(_), _) => {
            iss.push(issue(
                line,
                &code,
                "processing_time",
                format!("Thời hạn '{value_text}' phải là số nguyên không âm."),
                format!("Processing time '{value_text}' must be a whole number."),
            ));
            None
        }
    };
    let online_level =
        enum_value::<OnlineLevel>(&get("online_level"), "online_level", line, &code, iss);
    let documents = match parse_documents(&get("documents")) {
        Ok(d) => Some(d),
        Err(errors) => {
            iss.extend(errors.into_iter().map(|message| RowIssue {
                row: line,
                code: (!code.is_empty()).then(|| code.clone()),
                field: "documents".into(),
                message,
            }));
            None
        }
    };
    let case_code = Some(get("case_code"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "default".into());
    let case = match (unit, value, online_level, documents) {
        (Some(unit), Some(value), Some(online_level), Some(documents)) => {
            let cutoff = Some(get("cutoff")).filter(|c| !c.is_empty());
            Some(Case {
                code: case_code.clone(),
                name: Some(get("case_name"))
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| DEFAULT_CASE_NAME.into()),
                processing_time: ProcessingTime {
                    value,
                    unit,
                    cutoff,
                },
                online_level,
                documents,
            })
        }
        _ => None,
    };
    if code.is_empty() {
        issues.push(issue(
            line,
            "",
            "code",
            "Bắt buộc.".into(),
            "Required.".into(),
        ));
    }
    Row {
        line,
        procedure_values: PROCEDURE_COLUMNS.iter().map(|c| get(c)).collect(),
        code,
        case_code,
        head,
        case,
        issues,
    }
}

/// Where a validation issue of assembled content points in the file: (row, column, message).
fn locate(issue: Issue, rows: &[Row]) -> (usize, String, Text) {
    let first = rows[0].line;
    let Some(rest) = issue.field.strip_prefix("cases[") else {
        let column = if issue.field == "cases" {
            "case_code".to_string()
        } else {
            issue.field
        };
        return (first, column, issue.message);
    };
    let (index, path) = rest.split_once("].").unwrap_or((rest, ""));
    let row = index
        .parse::<usize>()
        .ok()
        .and_then(|i| rows.get(i))
        .map_or(first, |r| r.line);
    let column = match path {
        "code" => "case_code",
        "name" => "case_name",
        "processing_time.value" => "processing_time",
        "processing_time.unit" => "time_unit",
        "processing_time.cutoff" => "cutoff",
        "online_level" => "online_level",
        _ => "documents",
    };
    let mut message = issue.message;
    // documents[j].field: say which document, as the cell holds a list.
    if let Some(j) = path
        .strip_prefix("documents[")
        .and_then(|p| p.split_once(']'))
        .and_then(|(j, _)| j.parse::<usize>().ok())
    {
        message = Text::new(
            format!("Giấy tờ {}: {}", j + 1, message.vi),
            format!("Document {}: {}", j + 1, message.en),
        );
    }
    (row, column.to_string(), message)
}

/// Parses and validates a CSV import file.
pub fn parse(bytes: &[u8]) -> ParsedImport {
    let bytes = bytes.strip_prefix(BOM.as_bytes()).unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return ParsedImport {
                items: Vec::new(),
                file_issues: vec![file_issue(
                    "header",
                    format!("Không đọc được dòng tiêu đề: {e}"),
                    format!("Cannot read the header row: {e}"),
                )],
            }
        }
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut file_issues = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim().to_ascii_lowercase();
        if !COLUMNS.contains(&name.as_str()) {
            file_issues.push(file_issue(
                &name,
                format!(
                    "Cột '{name}' không được hỗ trợ; các cột: {}.",
                    COLUMNS.join(", ")
                ),
                format!(
                    "Unknown column '{name}'; the columns are: {}.",
                    COLUMNS.join(", ")
                ),
            ));
        } else if index.insert(name.clone(), i).is_some() {
            file_issues.push(file_issue(
                &name,
                format!("Cột '{name}' lặp lại."),
                format!("Column '{name}' appears twice."),
            ));
        }
    }
    for required in REQUIRED {
        if !index.contains_key(required) {
            file_issues.push(file_issue(
                required,
                format!("Thiếu cột bắt buộc '{required}'."),
                format!("The required column '{required}' is missing."),
            ));
        }
    }
    if !file_issues.is_empty() {
        return ParsedImport {
            items: Vec::new(),
            file_issues,
        };
    }

    let mut items: Vec<ImportItem> = Vec::new();
    let mut groups: Vec<(String, Vec<Row>)> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let mut last_line = 1;
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(last_line + 1, |p| p.line() as usize);
                last_line = line;
                let (vi, en) = match e.kind() {
                    ::csv::ErrorKind::UnequalLengths {
                        len, expected_len, ..
                    } => (
                        format!("Dòng có {len} ô, trong khi tiêu đề có {expected_len} cột."),
                        format!(
                            "The row has {len} cells where the header has {expected_len} columns."
                        ),
                    ),
                    ::csv::ErrorKind::Utf8 { .. } => (
                        "Dòng không phải UTF-8 hợp lệ: lưu tệp dưới dạng CSV UTF-8.".to_string(),
                        "The row is not valid UTF-8: save the file as CSV UTF-8.".to_string(),
                    ),
                    _ => (
                        format!("Dòng không đọc được: {e}"),
                        format!("Unreadable row: {e}"),
                    ),
                };
                items.push(ImportItem::rejected(
                    line,
                    None,
                    vec![issue(line, "", "row", vi, en)],
                ));
                continue;
            }
        };
        let line = record
            .position()
            .map_or(last_line + 1, |p| p.line() as usize);
        last_line = line;
        let get = |column: &str| {
            index
                .get(column)
                .and_then(|&i| record.get(i))
                .map(|cell| super::clean(restore(cell)))
                .unwrap_or_default()
        };
        let row = read_row(line, get);
        if row.code.is_empty() {
            items.push(ImportItem::rejected(line, None, row.issues));
            continue;
        }
        match group_of.get(&row.code) {
            Some(&g) => groups[g].1.push(row),
            None => {
                group_of.insert(row.code.clone(), groups.len());
                groups.push((row.code.clone(), vec![row]));
            }
        }
    }

    for (code, rows) in groups {
        let first = rows[0].line;
        let mut issues: Vec<RowIssue> =
            rows.iter().flat_map(|r| r.issues.iter().cloned()).collect();
        let mut case_rows: HashMap<&str, usize> = HashMap::new();
        for r in &rows {
            for (k, column) in PROCEDURE_COLUMNS.iter().enumerate() {
                if r.procedure_values[k] != rows[0].procedure_values[k] {
                    issues.push(issue(
                        r.line,
                        &code,
                        column,
                        format!("Khác với dòng {first}: các cột của thủ tục phải giống nhau trên mọi dòng trường hợp của nó."),
                        format!("Differs from row {first}: a procedure's columns must repeat the same values on each of its case rows."),
                    ));
                }
            }
            if let Some(prev) = case_rows.insert(&r.case_code, r.line) {
                issues.push(issue(
                    r.line,
                    &code,
                    "case_code",
                    format!(
                        "Thủ tục {code} đã có trường hợp '{}' ở dòng {prev}.",
                        r.case_code
                    ),
                    format!(
                        "Procedure {code} already has case '{}' in row {prev}.",
                        r.case_code
                    ),
                ));
            }
        }
        let head = rows[0].head.as_ref();
        let cases: Option<Vec<Case>> = rows.iter().map(|r| r.case.clone()).collect();
        let item = match (issues.is_empty(), head, cases) {
            (true, Some(h), Some(cases)) => {
                let content = ProcedureContent {
                    code: code.clone(),
                    name: h.name.clone(),
                    field: h.field.clone(),
                    implementing_level: h.implementing_level,
                    legal_basis: h.legal_basis.clone(),
                    result_type: h.result_type,
                    cases,
                    effective_from: h.effective_from,
                };
                validated(content.normalized(), first, |i| {
                    let (row, field, message) = locate(i, &rows);
                    RowIssue {
                        row,
                        code: Some(code.clone()),
                        field,
                        message,
                    }
                })
            }
            _ => ImportItem::rejected(first, Some(code.clone()), issues),
        };
        items.push(item);
    }
    items.sort_by_key(|i| i.row);
    ParsedImport {
        items,
        file_issues: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_import, FileFormat};
    use super::*;

    const HEADER: &str = "code,name,field,implementing_level,legal_basis,result_type,case_code,case_name,processing_time,time_unit,cutoff,online_level,documents\n";

    fn parse_str(s: &str) -> ParsedImport {
        parse_import(FileFormat::Csv, s.as_bytes())
    }

    fn problems(p: &ParsedImport) -> Vec<(usize, String)> {
        p.items
            .iter()
            .flat_map(|i| i.issues.iter().map(|x| (x.row, x.field.clone())))
            .collect()
    }

    #[test]
    fn reads_a_procedure_with_two_cases() {
        let csv = format!(
            "{HEADER}1.001193,Đăng ký khai sinh,Hộ tịch,,Luật Hộ tịch,both,default,,0,same_day,15:00,partial,\"Tờ khai (original, 1, required); Giấy chứng sinh (original, store)\"\n\
             1.001193,Đăng ký khai sinh,Hộ tịch,,Luật Hộ tịch,both,online,Nộp trực tuyến,,same_day,,full,\"Ảnh (4x6) (copy, 2, optional)\"\n"
        );
        let p = parse_str(&csv);
        assert!(p.file_issues.is_empty());
        assert_eq!(problems(&p), vec![]);
        let c = p.items[0].content.as_ref().unwrap();
        assert_eq!(c.implementing_level, ImplementingLevel::Commune);
        assert_eq!(c.cases.len(), 2);
        assert_eq!(c.cases[0].name, DEFAULT_CASE_NAME);
        assert_eq!(c.cases[0].processing_time.cutoff.as_deref(), Some("15:00"));
        assert_eq!(
            c.cases[0].documents[1],
            RequiredDocument {
                name: "Giấy chứng sinh".into(),
                form: DocumentForm::Original,
                count: 1,
                required: true,
                from_data_store_allowed: true
            }
        );
        assert_eq!(c.cases[1].documents[0].name, "Ảnh (4x6)");
        assert_eq!(c.cases[1].documents[0].count, 2);
        assert!(!c.cases[1].documents[0].required);
    }

    /// OWASP "CSV Injection": no exported cell starts with a formula character, and the
    /// import still reads back exactly what was exported.
    #[test]
    fn formula_cells_are_neutralized_and_round_trip() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("Hộ tịch", "Hộ tịch"),
            ("", ""),
        ] {
            assert_eq!(neutralize(cell), written);
            assert_eq!(restore(&neutralize(cell)), cell);
        }
        let mut a = super::super::tests::sample();
        a.name = "=cmd|' /C calc'!A0".into();
        a.field = "@Hộ tịch".into();
        a.legal_basis = "-Luật Hộ tịch; +Nghị định 123/2015/NĐ-CP".into();
        a.cases[0].documents[0].name = "=1+1 Tờ khai".into();
        let text = write(std::slice::from_ref(&a));
        let mut rows = ::csv::Reader::from_reader(text.trim_start_matches(BOM).as_bytes());
        for row in rows.records() {
            for cell in row.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "formula cell exported: {cell}"
                );
            }
        }
        let p = parse_str(&text);
        assert_eq!(problems(&p), vec![]);
        assert_eq!(p.items[0].content.as_ref().unwrap(), &a);
    }

    #[test]
    fn write_then_parse_is_the_identity() {
        let mut a = super::super::tests::sample();
        a.cases[0].documents.push(RequiredDocument {
            name: "Giấy tờ (nếu có), bản dịch".into(),
            form: DocumentForm::OriginalOrCopy,
            count: 3,
            required: false,
            from_data_store_allowed: true,
        });
        a.legal_basis = "Dòng 1, \"trích\"\nDòng 2".into();
        let mut b = a.clone();
        b.code = "2.000815".into();
        b.cases[0].code = "paper".into();
        b.cases[0].processing_time = ProcessingTime {
            value: 5,
            unit: TimeUnit::WorkingDays,
            cutoff: None,
        };
        let mut second = b.cases[0].clone();
        second.code = "online".into();
        second.online_level = OnlineLevel::Partial;
        second.documents.clear();
        b.cases.push(second);
        let text = write(&[a.clone(), b.clone()]);
        assert!(text.starts_with(BOM));
        let p = parse_str(&text);
        assert_eq!(problems(&p), vec![]);
        let back: Vec<ProcedureContent> = p.items.into_iter().map(|i| i.content.unwrap()).collect();
        assert_eq!(back, vec![a, b]);
    }

    #[test]
    fn each_mistake_is_reported_at_its_row_and_column() {
        let csv = format!(
            "{HEADER}\
             9.99,Tên,Lĩnh vực,,,paper,,,3,working_days,,full,\n\
             1.000001,Tên,Lĩnh vực,,,paper,,,3,weeks,,full,\n\
             1.000002,Tên,Lĩnh vực,,,paper,,,3,working_days,,full,Tờ khai\n\
             1.000003,Tên,Lĩnh vực,,,paper,,,3,working_days,,full,\n\
             1.000003,Tên,Lĩnh vực,,,paper,,,4,working_days,,full,\n\
             1.000004,Tên,Lĩnh vực,,,paper,,,3,working_days,,full,\n\
             1.000004,Tên khác,Lĩnh vực,,,paper,b,,3,working_days,,full,\n\
             1.000005,Tên,Lĩnh vực,,,paper,,,3,working_days\n\
             1.000006,Tên,Lĩnh vực,,,paper,,,0,same_day,25:00,full,\"A (scan, 1)\"\n\
             1.000007,Tên,Lĩnh vực,,,paper,,,,working_days,,full,\"A (copy, 0, store)\"\n"
        );
        let p = parse_str(&csv);
        assert!(p.file_issues.is_empty());
        assert_eq!(
            problems(&p),
            vec![
                (2, "code".to_string()),
                (3, "time_unit".to_string()),
                (4, "documents".to_string()),
                (6, "case_code".to_string()),
                (8, "name".to_string()),
                (9, "row".to_string()),
                (10, "documents".to_string()),
                (11, "processing_time".to_string()),
            ]
        );
        let unit = &p.items[1].issues[0];
        assert_eq!(unit.code.as_deref(), Some("1.000001"));
        assert!(
            unit.message.en.contains("'weeks'") && unit.message.en.contains("working_days"),
            "{unit:?}"
        );
        assert!(p.items.iter().all(|i| i.content.is_none()));
        // The cutoff is checked once the row reads (after its document is fixed).
        let fixed = csv.replace("A (scan, 1)", "A (copy, 1)");
        assert!(problems(&parse_str(&fixed)).contains(&(10, "cutoff".to_string())));
        // A document's count is checked with the content and named by its position.
        let zero = csv
            .lines()
            .take(1)
            .chain(csv.lines().skip(10))
            .collect::<Vec<_>>()
            .join("\n");
        let p = parse_str(&zero);
        assert_eq!(problems(&p), vec![(2, "processing_time".to_string())]);
        let fixed = zero.replace(",,working_days", ",2,working_days");
        let p = parse_str(&fixed);
        assert_eq!(problems(&p), vec![(2, "documents".to_string())]);
        assert!(p.items[0].issues[0].message.en.starts_with("Document 1:"));
    }

    #[test]
    fn header_problems_reject_the_file() {
        let p = parse_str("code,name,field,result_type,time_unit,online_level,fee\n1.001193,A,B,paper,1,working_days,full,x\n");
        assert_eq!(p.file_issues.len(), 1);
        assert_eq!(p.file_issues[0].field, "fee");
        let p = parse_str("code,name\n");
        let missing: Vec<&str> = p.file_issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            missing,
            ["field", "result_type", "time_unit", "online_level"]
        );
        assert_eq!(parse_str("").file_issues.len(), 6);
    }

    #[test]
    fn minimal_columns_and_a_bom() {
        let p = parse_str("\u{feff}Code,name,field,result_type,time_unit,online_level,processing_time\n1.001193,A,B,paper,working_days,none,7\n");
        assert!(p.file_issues.is_empty(), "{:?}", p.file_issues);
        let c = p.items[0].content.as_ref().unwrap();
        assert_eq!(c.cases[0].code, "default");
        assert_eq!(c.cases[0].processing_time.value, 7);
        assert!(c.cases[0].documents.is_empty());
    }

    #[test]
    fn documents_cell() {
        assert_eq!(parse_documents(" ; ").unwrap(), vec![]);
        let d = parse_documents("Tờ khai (original_or_copy, 2, optional, store)").unwrap();
        assert_eq!(
            format_document(&d[0]),
            "Tờ khai (original_or_copy, 2, optional, store)"
        );
        assert_eq!(parse_documents("A (original, many)").unwrap_err().len(), 1);
    }
}
