//! Digitization records of components digitized at reception: recording, review, and a
//! commune's counts.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::may_review;
use crate::auth::access::{self, Place, Resource};
use crate::auth::Principal;
use crate::db::models::dossier::{Attachment, Dossier};
use crate::db::models::result::DigitizationRecord;
use crate::db::schema::{digital_results, digitization_records, dossier_attachments, dossiers};
use crate::db::DbConn;
use crate::domain::calendar::today;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};

// The dossier lookup is the dossiers slice's; it moves to service/ with it.
use crate::service::dossiers::lookup::load_visible;

/// A record with its component's document name and file hash.
pub type RecordRow = (DigitizationRecord, String, String);

/// Records a component digitized at reception, pending review (called with the upload).
pub fn record_digitization(conn: &mut DbConn, a: &Attachment, d: &Dossier) -> QueryResult<()> {
    diesel::insert_into(digitization_records::table)
        .values(&DigitizationRecord {
            id: uuid::Uuid::now_v7().to_string(),
            attachment_id: a.id.clone(),
            dossier_id: d.id.clone(),
            commune_code: d.commune_code.clone(),
            status: "pending".into(),
            reason: None,
            digitized_by: a.uploaded_by.clone(),
            digitized_at: a.created_at,
            reviewed_by: None,
            reviewed_at: None,
        })
        .execute(conn)
        .map(|_| ())
}

fn records_of(conn: &mut DbConn, dossier_id: &str) -> ApiResult<Vec<RecordRow>> {
    Ok(digitization_records::table
        .inner_join(
            dossier_attachments::table
                .on(dossier_attachments::id.eq(digitization_records::attachment_id)),
        )
        .filter(digitization_records::dossier_id.eq(dossier_id))
        .order(digitization_records::digitized_at)
        .select((
            DigitizationRecord::as_select(),
            dossier_attachments::document_name,
            dossier_attachments::file_sha256,
        ))
        .load(conn)?)
}

/// The digitization records of a dossier the caller may read (else 404).
pub fn of_dossier(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Vec<RecordRow>> {
    let d = load_visible(conn, p, code)?;
    records_of(conn, &d.id)
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "reject", "reason": "Ảnh mờ, không đọc được số giấy tờ"}))]
pub struct ReviewRequest {
    pub decision: Decision,
    /// Required to reject.
    #[schema(min_length = 1, max_length = 1000)]
    #[validate(length(min = 1, max = 1000))]
    pub reason: Option<String>,
}

/// Before the database: the caller may review, and a rejection has its reason.
pub fn check_review(p: &Principal, req: &ReviewRequest) -> ApiResult<()> {
    may_review(p)?;
    if req.decision == Decision::Reject && req.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        return Err(ApiError::invalid_field(
            "reason",
            "Cần lý do từ chối.",
            "A rejection needs its reason.",
        ));
    }
    Ok(())
}

/// Reviews a pending record of the caller's commune (404 outside it, 409 once reviewed).
pub fn review(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    req: &ReviewRequest,
) -> ApiResult<RecordRow> {
    let r: DigitizationRecord = digitization_records::table
        .find(id)
        .select(DigitizationRecord::as_select())
        .first(conn)
        .optional()?
        .filter(|r| {
            let place = Place {
                commune: Some(&r.commune_code),
                ..Place::default()
            };
            access::may_see(p, Resource::CertificationBook, place)
        })
        .ok_or_else(|| ApiError::not_found("bản ghi số hoá", "Digitization record"))?;
    let n = diesel::update(
        digitization_records::table
            .filter(digitization_records::id.eq(&r.id))
            .filter(digitization_records::status.eq("pending")),
    )
    .set((
        digitization_records::status.eq(if req.decision == Decision::Approve {
            "approved"
        } else {
            "rejected"
        }),
        digitization_records::reason.eq(req.reason.as_deref().map(|s| nfc(s.trim()))),
        digitization_records::reviewed_by.eq(&p.user_id),
        digitization_records::reviewed_at.eq(crate::clock::now().naive_utc()),
    ))
    .execute(conn)?;
    if n != 1 {
        return Err(ApiError::conflict(
            "digitization.already_reviewed",
            "Bản ghi đã được duyệt.",
            "The record was already reviewed.",
        ));
    }
    // A rejected component no longer counts as digitized.
    crate::db::models::indicator::refresh(conn, &r.dossier_id)?;
    records_of(conn, &r.dossier_id)?
        .into_iter()
        .find(|(v, ..)| v.id == r.id)
        .ok_or_else(|| ApiError::internal("record vanished"))
}

/// Digitization counts of a commune.
#[derive(Serialize, ToSchema)]
pub struct DigitizationStats {
    pub commune_code: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Dossiers received in the period.
    pub dossiers_received: i64,
    /// Of those, with at least one component digitized at reception.
    pub dossiers_with_digitized_components: i64,
    pub components_digitized: i64,
    pub components_approved: i64,
    pub components_rejected: i64,
    /// Dossiers finished with a result in the period, and those with a digital result.
    pub dossiers_with_result: i64,
    pub dossiers_with_digital_result: i64,
    /// Components satisfied from a digital result or an earlier dossier (data reuse).
    pub components_reused: i64,
}

/// The period of the counts: `to` defaults to today, `from` to 1 January of `to`'s year;
/// `to` before `from` is 422.
pub fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> ApiResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or_else(today);
    let from = from.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if to < from {
        return Err(ApiError::invalid_field(
            "to",
            "`to` trước `from`.",
            "`to` is before `from`.",
        ));
    }
    Ok((from, to))
}

/// Counts over dossiers received in the period (components) and dossiers that reached a
/// result in it (results), for a commune in the caller's scope (else 404).
pub fn commune_stats(
    conn: &mut DbConn,
    p: &Principal,
    code: String,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<DigitizationStats> {
    let commune = crate::db::models::registry::Commune::find(conn, &code)?;
    let visible = commune.as_ref().is_some_and(|c| {
        access::may_see(
            p,
            Resource::CertificationBook,
            Place::commune(&c.code, &c.province_code),
        )
    });
    if !visible {
        return Err(ApiError::not_found("xã", "Commune"));
    }
    let start = crate::domain::calendar::from_local(from.and_hms_opt(0, 0, 0).unwrap_or_default())
        .map(|t| t.naive_utc())
        .unwrap_or_default();
    let end = crate::domain::calendar::from_local(
        (to + chrono::Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    )
    .map(|t| t.naive_utc())
    .unwrap_or_default();
    let received = dossiers::table
        .filter(dossiers::commune_code.eq(&code))
        .filter(dossiers::received_at.ge(start))
        .filter(dossiers::received_at.lt(end));
    let dossiers_received: i64 = received.count().get_result(conn)?;
    let comp = dossier_attachments::table
        .inner_join(dossiers::table)
        .filter(dossiers::commune_code.eq(&code))
        .filter(dossiers::received_at.ge(start))
        .filter(dossiers::received_at.lt(end));
    let components_digitized: i64 = comp
        .filter(dossier_attachments::digitized_at_reception.eq(true))
        .count()
        .get_result(conn)?;
    let dossiers_with_digitized_components: i64 = comp
        .filter(dossier_attachments::digitized_at_reception.eq(true))
        .select(diesel::dsl::count(dossier_attachments::dossier_id).aggregate_distinct())
        .first(conn)?;
    let components_reused: i64 = comp
        .filter(dossier_attachments::source.ne("upload"))
        .count()
        .get_result(conn)?;
    let count_reviews = |conn: &mut DbConn, s: &str| -> QueryResult<i64> {
        digitization_records::table
            .inner_join(dossiers::table.on(dossiers::id.eq(digitization_records::dossier_id)))
            .filter(digitization_records::commune_code.eq(&code))
            .filter(digitization_records::status.eq(s.to_string()))
            .filter(dossiers::received_at.ge(start))
            .filter(dossiers::received_at.lt(end))
            .count()
            .get_result(conn)
    };
    let components_approved = count_reviews(conn, "approved")?;
    let components_rejected = count_reviews(conn, "rejected")?;
    let finished = dossiers::table
        .filter(dossiers::commune_code.eq(&code))
        .filter(dossiers::status.eq_any([Status::ResultReady, Status::Returned]))
        .filter(dossiers::finished_at.ge(start))
        .filter(dossiers::finished_at.lt(end));
    let dossiers_with_result: i64 = finished.clone().count().get_result(conn)?;
    let with_digital: i64 = finished
        .filter(diesel::dsl::exists(
            digital_results::table
                .filter(digital_results::dossier_id.eq(dossiers::id.nullable()))
                .filter(digital_results::status.ne("revoked")),
        ))
        .count()
        .get_result(conn)?;
    Ok(DigitizationStats {
        commune_code: code,
        from,
        to,
        dossiers_received,
        dossiers_with_digitized_components,
        components_digitized,
        components_approved,
        components_rejected,
        dossiers_with_result,
        dossiers_with_digital_result: with_digital,
        components_reused,
    })
}
