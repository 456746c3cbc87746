//! Declaring a manual item (the commune), reviewing the declaration (the province), and
//! the append-only history of both.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::board::{manual_view, ItemView};
use super::{load_config, visible_commune};
use crate::auth::Principal;
use crate::db::models::readiness::{EventRow, ItemRow};
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::calendar::today;
use crate::domain::readiness::{catalog_item, CatalogItem, ItemKind, ManualStatus, ReviewStatus};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};

/// A commune's declaration of a manual item.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "met", "evidence": "02 máy quét A4 Canon DR-C225, biên bản bàn giao số 12/BB-UBND", "evidence_date": "2025-07-10"}))]
pub struct DeclareItem {
    pub status: ManualStatus,
    /// What shows it (required for `met` and `not_applicable`).
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    #[serde(default)]
    pub evidence: String,
    /// The date the evidence refers to, not in the future (default today, Vietnam).
    pub evidence_date: Option<NaiveDate>,
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// The province's decision on a declaration.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "reject", "note": "Biên bản bàn giao chưa có chữ ký."}))]
pub struct ReviewItem {
    pub decision: Decision,
    /// Why (required to reject).
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

fn unknown_item() -> ApiError {
    ApiError::not_found("mục kiểm tra", "Checklist item")
}

fn manual_item(code: &str) -> ApiResult<&'static CatalogItem> {
    let cat = catalog_item(code).ok_or_else(unknown_item)?;
    if cat.kind == ItemKind::Automatic {
        return Err(ApiError::conflict(
            "readiness.item_automatic",
            "Mục này được đánh giá tự động từ dữ liệu, không khai báo được.",
            "This item is evaluated automatically from data and cannot be declared.",
        ));
    }
    Ok(cat)
}

fn saved_view(
    conn: &mut DbConn,
    c: &Commune,
    cat: &CatalogItem,
    row: &ItemRow,
) -> ApiResult<ItemView> {
    let (config, _, _) = load_config(conn, &c.province_code)?;
    Ok(manual_view(cat, &config.effective_for(&c.code), Some(row)))
}

/// A declaration with its evidence normalised, checked before any database work: evidence
/// is required unless the item is declared not met, and its date is not in the future.
pub struct Declaration {
    status: ManualStatus,
    evidence: String,
    evidence_date: NaiveDate,
}

impl Declaration {
    pub fn new(input: DeclareItem) -> ApiResult<Declaration> {
        let evidence = nfc(input.evidence.trim());
        if evidence.is_empty() && input.status != ManualStatus::NotMet {
            return Err(ApiError::invalid_field(
                "evidence",
                "Cần mô tả minh chứng.",
                "Evidence is required.",
            ));
        }
        let evidence_date = input.evidence_date.unwrap_or_else(today);
        if evidence_date > today() {
            return Err(ApiError::invalid_field(
                "evidence_date",
                "Ngày minh chứng không được ở tương lai.",
                "The evidence date may not be in the future.",
            ));
        }
        Ok(Declaration {
            status: input.status,
            evidence,
            evidence_date,
        })
    }
}

/// Declares item `item` of commune `code` if its stored version is still `expected`
/// (412 otherwise): the declaration replaces the current one, waits for review, and is
/// appended to the history.
pub fn declare(
    conn: &mut DbConn,
    p: &Principal,
    (code, item): (&str, &str),
    expected: i64,
    d: Declaration,
) -> ApiResult<ItemView> {
    let c = visible_commune(conn, p, code)?;
    let cat = manual_item(item)?;
    let current = ItemRow::find(conn, &c.code, cat.code)?;
    let version = current.as_ref().map_or(0, |r| r.version);
    if version != expected {
        return Err(ApiError::precondition_failed());
    }
    let now = crate::clock::now().naive_utc();
    let row = ItemRow {
        commune_code: c.code.clone(),
        item_code: cat.code.into(),
        status: d.status.as_str().into(),
        evidence: d.evidence,
        evidence_date: d.evidence_date,
        updated_by: p.user_id.clone(),
        updated_at: now,
        review_status: ReviewStatus::Pending.as_str().into(),
        review_note: None,
        reviewed_by: None,
        reviewed_at: None,
        version: version + 1,
    };
    if !row.save(conn, version)? {
        return Err(ApiError::precondition_failed());
    }
    EventRow::record(
        conn,
        &row,
        "declare",
        None,
        (&p.user_id, p.role.as_str()),
        now,
    )?;
    saved_view(conn, &c, cat, &row)
}

/// The reviewer's note, normalised; required to reject (422 before any database work).
pub fn review_note(input: &ReviewItem) -> ApiResult<Option<String>> {
    let note = input
        .note
        .as_deref()
        .map(|n| nfc(n.trim()))
        .filter(|n| !n.is_empty());
    if input.decision == Decision::Reject && note.is_none() {
        return Err(ApiError::invalid_field(
            "note",
            "Cần ghi lý do từ chối.",
            "A rejection needs a note.",
        ));
    }
    Ok(note)
}

/// Decides the declaration of item `item` of commune `code` at version `expected`: only a
/// declaration waiting for review can be decided (409 otherwise).
pub fn review(
    conn: &mut DbConn,
    p: &Principal,
    (code, item): (&str, &str),
    expected: i64,
    decision: Decision,
    note: Option<String>,
) -> ApiResult<ItemView> {
    let c = visible_commune(conn, p, code)?;
    let cat = manual_item(item)?;
    let mut row = ItemRow::find(conn, &c.code, cat.code)?.ok_or_else(|| {
        ApiError::not_found("khai báo của mục kiểm tra", "Declaration of the item")
    })?;
    if row.version != expected {
        return Err(ApiError::precondition_failed());
    }
    if row.review_status != ReviewStatus::Pending.as_str() {
        return Err(ApiError::conflict(
            "readiness.already_reviewed",
            "Khai báo này đã được xem xét; chờ xã khai báo lại.",
            "This declaration was already reviewed; wait for a new one.",
        ));
    }
    let now = crate::clock::now().naive_utc();
    let (status, action) = match decision {
        Decision::Approve => (ReviewStatus::Approved, "approve"),
        Decision::Reject => (ReviewStatus::Rejected, "reject"),
    };
    let expected = row.version;
    row.review_status = status.as_str().into();
    row.review_note = note.clone();
    row.reviewed_by = Some(p.user_id.clone());
    row.reviewed_at = Some(now);
    row.version += 1;
    if !row.save(conn, expected)? {
        return Err(ApiError::precondition_failed());
    }
    EventRow::record(conn, &row, action, note, (&p.user_id, p.role.as_str()), now)?;
    saved_view(conn, &c, cat, &row)
}

// ---------------------------------------------------------------- history

/// One entry of a commune's readiness history.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub item_code: String,
    /// `declare`, `approve` or `reject`.
    pub action: String,
    /// The item as it stood after this entry.
    pub status: ManualStatus,
    pub evidence: String,
    pub evidence_date: NaiveDate,
    pub review_status: ReviewStatus,
    /// The reviewer's note.
    pub note: Option<String>,
    pub item_version: i64,
    pub actor_id: String,
    pub actor_role: String,
    pub created_at: DateTime<Utc>,
}

impl From<EventRow> for HistoryEntry {
    fn from(r: EventRow) -> Self {
        HistoryEntry {
            id: r.id,
            item_code: r.item_code,
            action: r.action,
            status: ManualStatus::parse(&r.status).unwrap_or(ManualStatus::NotMet),
            evidence: r.evidence,
            evidence_date: r.evidence_date,
            review_status: ReviewStatus::parse(&r.review_status).unwrap_or(ReviewStatus::Pending),
            note: r.note,
            item_version: r.item_version,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            created_at: r.created_at.and_utc(),
        }
    }
}

/// Up to `limit` entries of commune `code`'s history (of one item, if given), newest
/// first, before the entry `before`.
pub fn history(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    item: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<HistoryEntry>> {
    let c = visible_commune(conn, p, code)?;
    Ok(EventRow::page(conn, &c.code, item, before, limit)?
        .into_iter()
        .map(HistoryEntry::from)
        .collect())
}
