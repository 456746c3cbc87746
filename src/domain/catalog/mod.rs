//! The procedure catalog (thủ tục hành chính): what a procedure's content is, how it is
//! normalised and validated, and the two file formats it travels in (JSON and CSV).
//!
//! Pure: no actix, no diesel. The API, the CLI and the seed all go through `parse_import`
//! and `ProcedureContent::issues`, so a rule is written once.

pub mod csv;
pub mod portal;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::text::{fold, nfc};
use crate::error::Text;

/// Unit of a processing time limit.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Ngày làm việc: weekends and public holidays are skipped.
    WorkingDays,
    /// Ngày (calendar days): nothing is skipped, but a due date on a day off moves forward.
    CalendarDays,
    /// Giờ làm việc: hours of the working day (8 hours = 1 working day).
    WorkingHours,
    /// Tháng: calendar months (Civil Code 2015 Art. 148: the same day of the month, or
    /// the month's last day), a due date on a day off moving forward.
    CalendarMonths,
    /// Trong ngày: settled the day it is received (before `cutoff` when there is one).
    SameDay,
}

/// Level of online service of a case (Decree 42/2022: toàn trình / một phần).
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    /// Toàn trình: the whole procedure can be done online.
    Full,
    /// Một phần: filed online, but something (papers, result) happens at the counter.
    Partial,
    /// Not offered online.
    None,
}

/// What the applicant must bring of a document.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum DocumentForm {
    /// Bản chính.
    Original,
    /// Bản sao (certified or compared with the original).
    Copy,
    /// Bản chính hoặc bản sao.
    OriginalOrCopy,
}

/// Form of the result the applicant receives.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ResultType {
    Paper,
    Electronic,
    Both,
}

/// Administrative level that carries the procedure out.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum ImplementingLevel {
    /// Cấp xã.
    #[default]
    Commune,
    /// Cấp tỉnh.
    Province,
    /// Cấp trung ương (ministries).
    Central,
}

/// The lowercase snake_case name of an enum value, as in JSON and CSV, and back.
pub trait Named: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
    /// "a, b or c", for error messages.
    fn choices() -> String {
        Self::ALL
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

macro_rules! named {
    ($t:ty { $($v:ident => $s:literal),+ }) => {
        impl Named for $t {
            const ALL: &'static [Self] = &[$(<$t>::$v),+];
            fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
        }
    };
}

named!(TimeUnit { WorkingDays => "working_days", CalendarDays => "calendar_days", WorkingHours => "working_hours", CalendarMonths => "calendar_months", SameDay => "same_day" });
named!(OnlineLevel { Full => "full", Partial => "partial", None => "none" });
named!(DocumentForm { Original => "original", Copy => "copy", OriginalOrCopy => "original_or_copy" });
named!(ResultType { Paper => "paper", Electronic => "electronic", Both => "both" });
named!(ImplementingLevel { Commune => "commune", Province => "province", Central => "central" });

/// Statutory time limit of a case.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"value": 3, "unit": "working_days"}))]
pub struct ProcessingTime {
    /// Number of units: 1–1000, or 0 (may be omitted) with `same_day`.
    #[serde(default)]
    pub value: u32,
    pub unit: TimeUnit,
    /// `same_day` only: local time `HH:MM` after which an intake is settled the next working day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "15:00")]
    pub cutoff: Option<String>,
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

/// A document (thành phần hồ sơ) the applicant submits.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Tờ khai đăng ký khai sinh", "form": "original", "count": 1, "required": true, "from_data_store_allowed": false}))]
pub struct RequiredDocument {
    /// 1–500 characters, without `;` (the CSV list separator).
    #[schema(max_length = 500, pattern = r"^[^;]*[^;\s][^;]*$")]
    pub name: String,
    pub form: DocumentForm,
    /// Number of copies, 1–100 (default 1).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 100)]
    pub count: u32,
    /// False for documents needed only in some situations (default true).
    #[serde(default = "yes")]
    pub required: bool,
    /// The applicant may point to the document in their e-data store (kho dữ liệu điện tử)
    /// instead of uploading it (default false).
    #[serde(default)]
    pub from_data_store_allowed: bool,
}

/// A case (trường hợp) of a procedure: its own time limit, online level and documents.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Short slug, unique within the procedure: lowercase ASCII letters, digits, `-`, `_`
    /// (1–40 characters), e.g. `default`, `online`.
    #[schema(example = "default", pattern = r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    pub code: String,
    #[schema(example = "Trường hợp chung", max_length = 300, pattern = r"\S")]
    pub name: String,
    pub processing_time: ProcessingTime,
    pub online_level: OnlineLevel,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub documents: Vec<RequiredDocument>,
}

/// A procedure as it is created, replaced, imported and exported.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch",
    "implementing_level": "commune", "legal_basis": "Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP",
    "result_type": "both",
    "cases": [{
        "code": "default", "name": "Trường hợp chung",
        "processing_time": {"value": 0, "unit": "same_day", "cutoff": "15:00"},
        "online_level": "full",
        "documents": [
            {"name": "Tờ khai đăng ký khai sinh", "form": "original", "count": 1, "required": true, "from_data_store_allowed": false},
            {"name": "Giấy chứng sinh", "form": "original", "count": 1, "required": true, "from_data_store_allowed": true}
        ]
    }]
}))]
pub struct ProcedureContent {
    /// National procedure code (mã TTHC), `^[1-3]\.\d{6}$`.
    #[schema(example = "1.001193", pattern = r"^[1-3]\.[0-9]{6}$")]
    pub code: String,
    /// 1–500 characters.
    #[schema(max_length = 500, pattern = r"\S")]
    pub name: String,
    /// Lĩnh vực, e.g. "Hộ tịch" (1–200 characters).
    #[schema(max_length = 200, pattern = r"\S")]
    pub field: String,
    #[serde(default)]
    pub implementing_level: ImplementingLevel,
    /// Căn cứ pháp lý (up to 4000 characters; may be empty).
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub legal_basis: String,
    pub result_type: ResultType,
    /// 1–50 cases with distinct codes.
    #[schema(min_items = 1, max_items = 50)]
    pub cases: Vec<Case>,
    /// Date (Vietnam) from which this content is in force. Default: today. A new procedure may
    /// take any date; a new version of an existing one may not take effect before today.
    /// Never exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<NaiveDate>,
}

/// The case name used where a file gives none.
pub const DEFAULT_CASE_NAME: &str = "Trường hợp chung";

/// One validation finding: a field path (e.g. `cases[0].processing_time.unit`) and a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub field: String,
    pub message: Text,
}

impl Issue {
    pub fn new(field: impl Into<String>, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Issue {
            field: field.into(),
            message: Text::new(vi, en),
        }
    }
}

/// True for a national procedure code: `^[1-3]\.\d{6}$`.
pub fn is_procedure_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && (b'1'..=b'3').contains(&b[0])
        && b[1] == b'.'
        && b[2..].iter().all(u8::is_ascii_digit)
}

fn is_case_code(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// `H:MM` or `HH:MM` as a time of day, normalised to `HH:MM`.
pub fn parse_cutoff(s: &str) -> Option<String> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty()
        || h.len() > 2
        || m.len() != 2
        || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

fn clean(s: &str) -> String {
    nfc(s.trim())
}

fn length_issue(issues: &mut Vec<Issue>, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min || n > max {
        issues.push(if min > 0 {
            Issue::new(
                field,
                format!("Phải có từ {min} đến {max} ký tự."),
                format!("Must have {min} to {max} characters."),
            )
        } else {
            Issue::new(
                field,
                format!("Tối đa {max} ký tự."),
                format!("At most {max} characters."),
            )
        });
    }
}

impl ProcedureContent {
    /// Trims and NFC-normalises every text; writes cutoffs as `HH:MM`.
    pub fn normalized(mut self) -> Self {
        self.code = self.code.trim().to_string();
        self.name = clean(&self.name);
        self.field = clean(&self.field);
        self.legal_basis = clean(&self.legal_basis);
        for case in &mut self.cases {
            case.code = case.code.trim().to_string();
            case.name = clean(&case.name);
            if let Some(c) = &case.processing_time.cutoff {
                case.processing_time.cutoff =
                    Some(parse_cutoff(c).unwrap_or_else(|| c.trim().to_string()));
            }
            for d in &mut case.documents {
                d.name = clean(&d.name);
            }
        }
        self
    }

    /// Every rule the content breaks (empty when valid). Expects `normalized()` content.
    pub fn issues(&self) -> Vec<Issue> {
        let mut out = Vec::new();
        if !is_procedure_code(&self.code) {
            out.push(Issue::new(
                "code",
                format!("Mã thủ tục '{}' không đúng định dạng: một chữ số 1–3, dấu chấm, 6 chữ số (ví dụ 1.001193).", self.code),
                format!("Procedure code '{}' is malformed: a digit 1–3, a dot and 6 digits (e.g. 1.001193).", self.code),
            ));
        }
        length_issue(&mut out, "name", &self.name, 1, 500);
        length_issue(&mut out, "field", &self.field, 1, 200);
        length_issue(&mut out, "legal_basis", &self.legal_basis, 0, 4000);
        if self.cases.is_empty() || self.cases.len() > 50 {
            out.push(Issue::new(
                "cases",
                "Cần từ 1 đến 50 trường hợp.",
                "Give 1 to 50 cases.",
            ));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, case) in self.cases.iter().enumerate() {
            let at = |f: &str| format!("cases[{i}].{f}");
            if !is_case_code(&case.code) {
                out.push(Issue::new(
                    at("code"),
                    format!("Mã trường hợp '{}' phải gồm 1–40 ký tự: chữ thường không dấu, số, '-', '_'.", case.code),
                    format!("Case code '{}' must be 1–40 lowercase ASCII letters, digits, '-' or '_'.", case.code),
                ));
            } else if let Some(first) = seen.insert(&case.code, i) {
                out.push(Issue::new(
                    at("code"),
                    format!(
                        "Mã trường hợp '{}' trùng với trường hợp thứ {}.",
                        case.code,
                        first + 1
                    ),
                    format!("Case code '{}' repeats case {}.", case.code, first + 1),
                ));
            }
            length_issue(&mut out, &at("name"), &case.name, 1, 300);
            let t = &case.processing_time;
            if t.unit == TimeUnit::SameDay {
                if t.value != 0 {
                    out.push(Issue::new(
                        at("processing_time.value"),
                        "Với đơn vị same_day, thời hạn phải là 0.",
                        "With the unit same_day the value must be 0.",
                    ));
                }
                if let Some(c) = &t.cutoff {
                    if parse_cutoff(c).is_none() {
                        out.push(Issue::new(
                            at("processing_time.cutoff"),
                            format!("Giờ chốt '{c}' phải có dạng HH:MM (ví dụ 15:00)."),
                            format!("Cutoff '{c}' must be a time HH:MM (e.g. 15:00)."),
                        ));
                    }
                }
            } else {
                if !(1..=1000).contains(&t.value) {
                    out.push(Issue::new(
                        at("processing_time.value"),
                        format!("Thời hạn phải từ 1 đến 1000 ({}).", t.unit.as_str()),
                        format!("The value must be 1 to 1000 ({}).", t.unit.as_str()),
                    ));
                }
                if t.cutoff.is_some() {
                    out.push(Issue::new(
                        at("processing_time.cutoff"),
                        "Giờ chốt chỉ dùng với đơn vị same_day.",
                        "A cutoff applies to the unit same_day only.",
                    ));
                }
            }
            if case.documents.len() > 100 {
                out.push(Issue::new(
                    at("documents"),
                    "Tối đa 100 giấy tờ.",
                    "At most 100 documents.",
                ));
            }
            for (j, d) in case.documents.iter().enumerate() {
                let at_doc = |f: &str| format!("cases[{i}].documents[{j}].{f}");
                length_issue(&mut out, &at_doc("name"), &d.name, 1, 500);
                if d.name.contains(';') {
                    out.push(Issue::new(
                        at_doc("name"),
                        "Tên giấy tờ không được chứa dấu ';' (dấu phân cách danh sách trong CSV).",
                        "A document name may not contain ';' (the list separator of the CSV format).",
                    ));
                }
                if !(1..=100).contains(&d.count) {
                    out.push(Issue::new(
                        at_doc("count"),
                        "Số bản phải từ 1 đến 100.",
                        "The count must be 1 to 100.",
                    ));
                }
            }
        }
        out
    }

    /// Same content, whatever the effective date: what decides "unchanged" on import.
    pub fn same_content(&self, other: &ProcedureContent) -> bool {
        ProcedureContent {
            effective_from: None,
            ..self.clone()
        } == ProcedureContent {
            effective_from: None,
            ..other.clone()
        }
    }

    /// Folded name, code and field: the accent-insensitive search key.
    pub fn search_key(&self) -> String {
        fold(&format!("{} {} {}", self.name, self.code, self.field))
    }

    /// The distinct online levels of the cases as `,full,partial,` (for filtering with LIKE).
    pub fn online_levels(&self) -> String {
        let mut levels: Vec<OnlineLevel> = Vec::new();
        for c in &self.cases {
            if !levels.contains(&c.online_level) {
                levels.push(c.online_level);
            }
        }
        levels.sort_by_key(|l| OnlineLevel::ALL.iter().position(|x| x == l));
        let names: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
        format!(",{},", names.join(","))
    }
}

/// Where a version stands relative to a date.
#[derive(Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// In force on the date.
    InForce,
    /// Takes effect after the date.
    Scheduled,
    /// Was in force before the date, replaced since.
    Superseded,
    /// Replaced before it took effect: never in force.
    Cancelled,
}

impl VersionStatus {
    /// Status of the version in force over `[from, to)` on `date`.
    pub fn on(from: NaiveDate, to: Option<NaiveDate>, date: NaiveDate) -> Self {
        if to == Some(from) {
            VersionStatus::Cancelled
        } else if from > date {
            VersionStatus::Scheduled
        } else if to.is_some_and(|t| t <= date) {
            VersionStatus::Superseded
        } else {
            VersionStatus::InForce
        }
    }
}

/// Parses `,full,partial,` back.
pub fn parse_online_levels(s: &str) -> Vec<OnlineLevel> {
    s.split(',').filter_map(OnlineLevel::parse).collect()
}

/// Format of an import or export file.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    #[default]
    Csv,
    Json,
}

/// A finding about an import file: its row (CSV: line of the file, header = 1; JSON: 1-based
/// position in the array; 0 for the file as a whole), the procedure code when known, the field
/// (CSV column or JSON path) and the message.
#[derive(Clone, Debug, PartialEq)]
pub struct RowIssue {
    pub row: usize,
    pub code: Option<String>,
    pub field: String,
    pub message: Text,
}

/// One procedure of an import file: valid content, or the reasons it is rejected.
#[derive(Clone, Debug)]
pub struct ImportItem {
    /// First row of the procedure.
    pub row: usize,
    pub code: Option<String>,
    pub content: Option<ProcedureContent>,
    pub issues: Vec<RowIssue>,
}

impl ImportItem {
    fn rejected(row: usize, code: Option<String>, issues: Vec<RowIssue>) -> Self {
        ImportItem {
            row,
            code,
            content: None,
            issues,
        }
    }
}

/// A parsed import file. `file_issues` (a header or top level that cannot be read) mean that
/// nothing in it can be imported, whatever the mode.
#[derive(Clone, Debug, Default)]
pub struct ParsedImport {
    pub items: Vec<ImportItem>,
    pub file_issues: Vec<RowIssue>,
}

impl ParsedImport {
    pub fn file_error(field: &str, message: Text) -> Self {
        ParsedImport {
            items: Vec::new(),
            file_issues: vec![RowIssue {
                row: 0,
                code: None,
                field: field.to_string(),
                message,
            }],
        }
    }
}

/// Parses and validates an import file. Every rule that does not depend on the database is
/// checked here, including codes repeated within the file.
pub fn parse_import(format: FileFormat, bytes: &[u8]) -> ParsedImport {
    let mut parsed = match format {
        FileFormat::Csv => csv::parse(bytes),
        FileFormat::Json => parse_json(bytes),
    };
    reject_repeated_codes(&mut parsed.items);
    parsed
}

/// The second and later items with one code are rejected, pointing to the first.
fn reject_repeated_codes(items: &mut [ImportItem]) {
    let mut first: HashMap<String, usize> = HashMap::new();
    for item in items.iter_mut() {
        let Some(code) = item.code.clone() else {
            continue;
        };
        match first.get(&code) {
            None => {
                first.insert(code, item.row);
            }
            Some(&row) => {
                item.content = None;
                item.issues.push(RowIssue {
                    row: item.row,
                    code: Some(code.clone()),
                    field: "code".into(),
                    message: Text::new(
                        format!("Mã thủ tục {code} đã có ở dòng {row}: mỗi thủ tục chỉ xuất hiện một lần."),
                        format!("Procedure code {code} already appears in row {row}: each procedure appears once."),
                    ),
                });
            }
        }
    }
}

/// A JSON array of `ProcedureContent`. Each element is read on its own, so one bad element
/// rejects that procedure only.
fn parse_json(bytes: &[u8]) -> ParsedImport {
    let values: Vec<serde_json::Value> = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(e) => {
            return ParsedImport::file_error(
                "body",
                Text::new(
                    format!(
                        "JSON không đúng cú pháp (dòng {}, cột {}).",
                        e.line(),
                        e.column()
                    ),
                    format!("Malformed JSON (line {}, column {}).", e.line(), e.column()),
                ),
            )
        }
        Ok(serde_json::Value::Array(values)) => values,
        Ok(_) => {
            return ParsedImport::file_error(
                "body",
                Text::new(
                    "Tệp JSON phải là một mảng các thủ tục.",
                    "The JSON file must be an array of procedures.",
                ),
            )
        }
    };
    let items = values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let row = i + 1;
            let code = value
                .get("code")
                .and_then(|c| c.as_str())
                .map(|c| c.trim().to_string());
            match serde_path_to_error::deserialize::<_, ProcedureContent>(value) {
                Err(e) => {
                    let field = e.path().to_string();
                    let msg = e.into_inner().to_string();
                    let issue = RowIssue {
                        row,
                        code: code.clone(),
                        field: if field == "." { "item".into() } else { field },
                        message: Text::new(format!("Giá trị không hợp lệ: {msg}"), msg),
                    };
                    ImportItem::rejected(row, code, vec![issue])
                }
                Ok(content) => validated(content.normalized(), row, |issue| RowIssue {
                    row,
                    code: code.clone(),
                    field: issue.field,
                    message: issue.message,
                }),
            }
        })
        .collect();
    ParsedImport {
        items,
        file_issues: Vec::new(),
    }
}

/// An item from content, rejected with its issues (mapped to rows and fields) if any.
fn validated(content: ProcedureContent, row: usize, map: impl Fn(Issue) -> RowIssue) -> ImportItem {
    let issues: Vec<RowIssue> = content.issues().into_iter().map(map).collect();
    let code = Some(content.code.clone());
    if issues.is_empty() {
        ImportItem {
            row,
            code,
            content: Some(content),
            issues,
        }
    } else {
        ImportItem::rejected(row, code, issues)
    }
}

/// Codes of the items, in file order, without repeats.
pub fn distinct_codes(items: &[ImportItem]) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .iter()
        .filter_map(|i| i.content.as_ref().map(|c| c.code.clone()))
        .filter(|c| seen.insert(c.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ProcedureContent {
        ProcedureContent {
            code: "1.001193".into(),
            name: "Đăng ký khai sinh".into(),
            field: "Hộ tịch".into(),
            implementing_level: ImplementingLevel::Commune,
            legal_basis: "Luật Hộ tịch 2014".into(),
            result_type: ResultType::Both,
            cases: vec![Case {
                code: "default".into(),
                name: DEFAULT_CASE_NAME.into(),
                processing_time: ProcessingTime {
                    value: 0,
                    unit: TimeUnit::SameDay,
                    cutoff: Some("15:00".into()),
                },
                online_level: OnlineLevel::Full,
                documents: vec![RequiredDocument {
                    name: "Tờ khai".into(),
                    form: DocumentForm::Original,
                    count: 1,
                    required: true,
                    from_data_store_allowed: false,
                }],
            }],
            effective_from: None,
        }
    }

    fn fields(c: &ProcedureContent) -> Vec<String> {
        c.issues().into_iter().map(|i| i.field).collect()
    }

    #[test]
    fn procedure_codes() {
        for ok in ["1.001193", "2.000815", "3.123456"] {
            assert!(is_procedure_code(ok), "{ok}");
        }
        for bad in [
            "4.001193",
            "1.00119",
            "1.0011930",
            "1-001193",
            "1.00119a",
            "",
            " 1.001193",
        ] {
            assert!(!is_procedure_code(bad), "{bad}");
        }
    }

    #[test]
    fn a_valid_procedure_has_no_issues() {
        assert_eq!(sample().issues(), vec![]);
    }

    #[test]
    fn every_rule_names_its_field() {
        let mut c = sample();
        c.code = "9.1".into();
        c.name = " ".into();
        c.cases[0].processing_time = ProcessingTime {
            value: 2,
            unit: TimeUnit::SameDay,
            cutoff: Some("25:00".into()),
        };
        c.cases[0].documents[0].name = "A; B".into();
        c.cases[0].documents[0].count = 0;
        let mut second = c.cases[0].clone();
        second.processing_time = ProcessingTime {
            value: 0,
            unit: TimeUnit::WorkingDays,
            cutoff: Some("15:00".into()),
        };
        second.documents.clear();
        c.cases.push(second);
        let c = c.normalized();
        assert_eq!(
            fields(&c),
            [
                "code",
                "name",
                "cases[0].processing_time.value",
                "cases[0].processing_time.cutoff",
                "cases[0].documents[0].name",
                "cases[0].documents[0].count",
                "cases[1].code",
                "cases[1].processing_time.value",
                "cases[1].processing_time.cutoff",
            ]
        );
        let mut none = sample();
        none.cases.clear();
        assert_eq!(fields(&none), ["cases"]);
    }

    #[test]
    fn normalisation_trims_composes_and_writes_cutoffs_in_full() {
        let mut c = sample();
        c.name = "  Đăng ky\u{301} khai sinh ".into();
        c.cases[0].processing_time.cutoff = Some("9:05".into());
        let c = c.normalized();
        assert_eq!(c.name, "Đăng ký khai sinh");
        assert_eq!(c.cases[0].processing_time.cutoff.as_deref(), Some("09:05"));
        assert_eq!(parse_cutoff("24:00"), None);
        assert_eq!(parse_cutoff("15:0"), None);
    }

    #[test]
    fn search_key_and_online_levels() {
        let mut c = sample();
        assert_eq!(c.search_key(), "dang ky khai sinh 1 001193 ho tich");
        let mut second = c.cases[0].clone();
        second.code = "paper".into();
        second.online_level = OnlineLevel::None;
        c.cases.insert(0, second);
        assert_eq!(c.online_levels(), ",full,none,");
        assert_eq!(
            parse_online_levels(",full,none,"),
            vec![OnlineLevel::Full, OnlineLevel::None]
        );
    }

    #[test]
    fn same_content_ignores_the_effective_date() {
        let a = sample();
        let mut b = sample();
        b.effective_from = NaiveDate::from_ymd_opt(2030, 1, 1);
        assert!(a.same_content(&b));
        b.cases[0].documents[0].count = 2;
        assert!(!a.same_content(&b));
    }

    #[test]
    fn json_import_reads_each_element_on_its_own() {
        let good = serde_json::to_value(sample()).unwrap();
        let mut bad_unit = good.clone();
        bad_unit["code"] = "1.000001".into();
        bad_unit["cases"][0]["processing_time"]["unit"] = "weeks".into();
        let mut bad_code = good.clone();
        bad_code["code"] = "7.1".into();
        let body = serde_json::to_vec(&vec![good.clone(), bad_unit, bad_code, good]).unwrap();
        let parsed = parse_import(FileFormat::Json, &body);
        assert!(parsed.file_issues.is_empty());
        let summary: Vec<(usize, bool, Vec<String>)> = parsed
            .items
            .iter()
            .map(|i| {
                (
                    i.row,
                    i.content.is_some(),
                    i.issues.iter().map(|x| x.field.clone()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, true, vec![]),
                (2, false, vec!["cases[0].processing_time.unit".to_string()]),
                (3, false, vec!["code".to_string()]),
                (4, false, vec!["code".to_string()]),
            ]
        );
        assert!(
            parsed.items[1].issues[0].message.en.contains("weeks"),
            "{:?}",
            parsed.items[1].issues[0]
        );
        assert!(parsed.items[3].issues[0].message.en.contains("row 1"));
        assert_eq!(distinct_codes(&parsed.items), vec!["1.001193".to_string()]);
    }

    #[test]
    fn json_import_needs_an_array() {
        assert_eq!(
            parse_import(FileFormat::Json, b"{\"code\": 1}")
                .file_issues
                .len(),
            1
        );
        assert_eq!(parse_import(FileFormat::Json, b"[{").file_issues.len(), 1);
        assert!(parse_import(FileFormat::Json, b"[]").items.is_empty());
    }
}
