//! The citizen's e-data store and the reuse of a digital result as a dossier component.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{dossier_code_of, may_see, not_found, personal_id, status_of};
use crate::auth::Principal;
use crate::db::models::dossier::{Attachment, Dossier};
use crate::db::models::result::DigitalResult;
use crate::db::schema::{digital_results, dossier_attachments, dossiers};
use crate::db::DbConn;
use crate::domain::calendar::today;
use crate::domain::roles::Role;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};

// The attachment rules are the attachments slice's; they move to service/ with it.
use crate::service::attachments::{
    attachment_view, check_document, check_may_attach, check_room, record_attachment,
    AttachmentView,
};
use crate::service::dossiers::lookup::load_visible;

/// What the data store holds: the active results issued to the citizen (with their
/// dossiers' codes), and the components digitized in their dossiers as
/// `(dossier code, document, sha256, attached at)`.
pub struct Holdings {
    pub results: Vec<(DigitalResult, Option<String>)>,
    pub components: Vec<(String, String, String, NaiveDateTime)>,
}

/// The caller's data store (citizens only).
pub fn data_store(conn: &mut DbConn, p: &Principal) -> ApiResult<Holdings> {
    let pid = personal_id(conn, p)?.unwrap_or_else(|| "-".into());
    let rows: Vec<DigitalResult> = digital_results::table
        .filter(digital_results::status.eq("active"))
        .filter(
            digital_results::owner_user_id
                .eq(&p.user_id)
                .or(digital_results::owner_id_number.eq(&pid)),
        )
        .order(digital_results::created_at.desc())
        .limit(500)
        .select(DigitalResult::as_select())
        .load(conn)?;
    let mut results = Vec::new();
    for r in rows {
        let code = dossier_code_of(conn, &r)?;
        results.push((r, code));
    }
    let components = dossier_attachments::table
        .inner_join(dossiers::table)
        .filter(dossiers::owner_user_id.eq(&p.user_id))
        .filter(dossier_attachments::digitized_at_reception.eq(true))
        .order(dossier_attachments::created_at.desc())
        .limit(500)
        .select((
            dossiers::code,
            dossier_attachments::document_name,
            dossier_attachments::file_sha256,
            dossier_attachments::created_at,
        ))
        .load(conn)?;
    Ok(Holdings {
        results,
        components,
    })
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"document": "Giấy xác nhận tình trạng hôn nhân", "result_id": "0193a4c2-7b1e-7c3d-9f00-1a2b3c4d5e6f"}))]
pub struct FromResultRequest {
    /// The required document this result stands for.
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500))]
    pub document: String,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100))]
    pub result_id: String,
}

/// Satisfies a required document of dossier `code` with a digital result (no upload),
/// within the dossier's attachment rules and its cap of `max` attachments.
pub fn attach_result(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    req: &FromResultRequest,
    max: i64,
) -> ApiResult<AttachmentView> {
    let d = load_visible(conn, p, code)?;
    check_may_attach(p, &d)?;
    let document = nfc(req.document.trim());
    check_document(conn, &d, &document)?;
    check_room(conn, &d, max)?;
    attach_from_result(conn, p, &d, &document, &req.result_id)
}

/// Whether result `r` may stand in a component of dossier `d` reused by caller `p`: who
/// the result's owner *is* decides, never the ID number typed into the dossier.
/// - The dossier's owner account owns the result (issued to the account, or to the
///   account's verified personal ID).
/// - Or commune staff reuse a result they may read anyway (their commune's) for a dossier
///   whose applicant they identified at the counter by the same ID number.
fn reusable_in(
    conn: &mut DbConn,
    p: &Principal,
    d: &Dossier,
    r: &DigitalResult,
) -> ApiResult<bool> {
    if let Some(owner) = &d.owner_user_id {
        if crate::service::identity::result_belongs_to(conn, r, owner)? {
            return Ok(true);
        }
    }
    let staff = matches!(
        p.role,
        Role::ReceptionOfficer | Role::Specialist | Role::Leader | Role::CommuneAdmin
    );
    Ok(staff && r.owner_id_number == d.applicant_id_number && may_see(conn, p, r)?)
}

/// Records a digital result of the applicant as one of the dossier's components (no new
/// file): 404 if it is not the applicant's ([`reusable_in`]), 409 if it is not in force.
pub fn attach_from_result(
    conn: &mut DbConn,
    p: &Principal,
    d: &Dossier,
    document: &str,
    result_id: &str,
) -> ApiResult<AttachmentView> {
    let r = DigitalResult::find(conn, result_id)?.ok_or_else(not_found)?;
    if !reusable_in(conn, p, d, &r)? {
        return Err(not_found());
    }
    if status_of(&r, today()) != "valid" {
        return Err(ApiError::conflict(
            "digital_result.not_usable",
            "Kết quả đã bị thu hồi, thay thế hoặc hết hiệu lực.",
            "The result is revoked, superseded or expired.",
        ));
    }
    let size: i64 = crate::db::schema::stored_files::table
        .find(&r.file_sha256)
        .select(crate::db::schema::stored_files::size_bytes)
        .first(conn)?;
    let a = Attachment {
        id: uuid::Uuid::now_v7().to_string(),
        dossier_id: d.id.clone(),
        document_name: document.to_string(),
        file_sha256: r.file_sha256.clone(),
        file_name: format!("{}.pdf", r.number_symbol.replace('/', "-")),
        source: "reused_result".into(),
        reused_from: Some(r.id.clone()),
        digitized_at_reception: false,
        uploaded_by: p.user_id.clone(),
        created_at: crate::clock::now().naive_utc(),
    };
    record_attachment(conn, p, d, &a, size, "application/pdf")?;
    Ok(attachment_view(a, size, "application/pdf".into()))
}
