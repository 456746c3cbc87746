//! Component files of a dossier: who may attach what, when, and the stored rows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::models::dossier::{
    file_content_type, lock_for_update, record_file, Attachment, Dossier, NewDossierEvent,
};
use crate::db::models::procedure::ProcedureVersion;
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::roles::Role;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::service::dossiers::{can_see, load_visible};

/// A stored component file.
#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    /// The required document of the case it digitizes.
    pub document: String,
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub sha256: String,
    pub size_bytes: i64,
    /// Detected from the bytes, never taken from the client.
    pub content_type: String,
    pub file_name: String,
    /// `upload`, or `reused_dossier` for a file referenced from an earlier dossier.
    pub source: String,
    /// Code of the dossier a reused file came from.
    pub reused_from: Option<String>,
    pub digitized_at_reception: bool,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

pub fn attachment_view(a: Attachment, size_bytes: i64, content_type: String) -> AttachmentView {
    AttachmentView {
        id: a.id,
        document: a.document_name,
        sha256: a.file_sha256,
        size_bytes,
        content_type,
        file_name: a.file_name,
        source: a.source,
        reused_from: a.reused_from,
        digitized_at_reception: a.digitized_at_reception,
        uploaded_by: a.uploaded_by,
        created_at: a.created_at.and_utc(),
    }
}

/// Who may add files to a dossier now: the counter of its commune while it is open, or the
/// applicant (and the portal on their behalf) while it waits for them.
pub fn check_may_attach(p: &Principal, d: &Dossier) -> ApiResult<()> {
    let status = d.status;
    if status.is_terminal() || matches!(status, Status::ResultReady) {
        return Err(ApiError::conflict(
            "attachment.dossier_closed",
            "Hồ sơ đã kết thúc, không bổ sung thành phần được nữa.",
            "The dossier is closed; components can no longer be added.",
        ));
    }
    let applicant_turn = matches!(status, Status::Submitted | Status::SupplementRequested);
    match p.role {
        Role::ReceptionOfficer => Ok(()),
        Role::Citizen | Role::PortalClient if applicant_turn => Ok(()),
        _ => Err(ApiError::forbidden(
            "attachment.not_now",
            "Chỉ bổ sung thành phần khi hồ sơ đang chờ người nộp.",
            "The applicant adds components only while the dossier waits for them.",
        )),
    }
}

/// The document must be one the dossier's case asks for.
pub fn check_document(conn: &mut DbConn, d: &Dossier, document: &str) -> ApiResult<()> {
    let version = ProcedureVersion::find(conn, &d.procedure_version_id)?
        .ok_or_else(|| ApiError::internal("procedure version missing"))?;
    let case = version
        .case(&d.case_code)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("case missing"))?;
    if case
        .documents
        .iter()
        .any(|x| nfc(x.name.trim()) == document)
    {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "document",
            "Thành phần này không thuộc trường hợp của thủ tục.",
            "This document is not one the procedure case requires.",
        ))
    }
}

/// Refuses (409) when the dossier already holds `max` attachments
/// (`MAX_ATTACHMENTS_PER_DOSSIER`). Inside a write transaction it is exact under
/// concurrency: SQLite has one writer at a time, and on PostgreSQL the dossier row is
/// locked first, so two uploads cannot both take the last place.
pub fn check_room(conn: &mut DbConn, d: &Dossier, max: i64) -> ApiResult<()> {
    lock_for_update(conn, &d.id)?;
    let held = Attachment::count_for_dossier(conn, &d.id)?;
    if held >= max {
        return Err(ApiError::conflict(
            "attachment.too_many",
            format!("Hồ sơ đã có tối đa {max} tệp đính kèm."),
            format!("The dossier already holds the maximum of {max} attachments."),
        ));
    }
    Ok(())
}

pub fn record_attachment(
    conn: &mut DbConn,
    p: &Principal,
    d: &Dossier,
    a: &Attachment,
    size: i64,
    content_type: &str,
) -> ApiResult<()> {
    record_file(conn, &a.file_sha256, size, content_type, a.created_at)?;
    Attachment::insert(conn, a)?;
    let event = NewDossierEvent {
        dossier_id: &d.id,
        action: "attach_component",
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        from_status: Some(d.status),
        to_status: d.status,
        comment: None,
        data: serde_json::json!({
            "document": a.document_name, "sha256": a.file_sha256, "source": a.source, "reused_from": a.reused_from,
        })
        .to_string(),
        created_at: a.created_at,
    };
    crate::service::events::append(conn, &event)?;
    Ok(())
}

/// The dossier `code`, if the caller may see it and add files to it now.
pub fn open_for_upload(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Dossier> {
    let d = load_visible(conn, p, code)?;
    check_may_attach(p, &d)?;
    Ok(d)
}

/// Everything an upload says, checked before its bytes reach the disk: the document belongs
/// to the procedure case and the dossier has room (checked again when it is recorded).
pub fn check_upload(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    document: &str,
    max: i64,
) -> ApiResult<()> {
    let d = load_visible(conn, p, code)?;
    check_document(conn, &d, document)?;
    check_room(conn, &d, max)
}

/// A file stored under its hash, to attach.
pub struct StoredUpload {
    pub document: String,
    pub sha256: String,
    /// The client's file name, cleaned; empty when it gave none.
    pub file_name: String,
    pub size: i64,
    pub content_type: &'static str,
    /// Scanned at the counter (default: when a reception officer uploads).
    pub digitized_at_reception: Option<bool>,
}

/// Records an uploaded file as a component of dossier `code` (all checks again, in the
/// transaction), with its digitization record when scanned at reception.
pub fn attach_upload(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    file: StoredUpload,
    max: i64,
) -> ApiResult<AttachmentView> {
    let d = load_visible(conn, p, code)?;
    check_may_attach(p, &d)?;
    check_document(conn, &d, &file.document)?;
    check_room(conn, &d, max)?;
    let a = Attachment {
        id: uuid::Uuid::now_v7().to_string(),
        dossier_id: d.id.clone(),
        document_name: file.document,
        file_sha256: file.sha256,
        file_name: if file.file_name.is_empty() {
            "tai-lieu".into()
        } else {
            file.file_name
        },
        source: "upload".into(),
        reused_from: None,
        digitized_at_reception: file
            .digitized_at_reception
            .unwrap_or(p.role == Role::ReceptionOfficer),
        uploaded_by: p.user_id.clone(),
        created_at: crate::clock::now().naive_utc(),
    };
    record_attachment(conn, p, &d, &a, file.size, file.content_type)?;
    if a.digitized_at_reception {
        crate::service::results::digitization::record_digitization(conn, &a, &d)?;
    }
    Ok(attachment_view(a, file.size, file.content_type.to_string()))
}

/// Attaches to dossier `code` the file `sha256` of the caller's earlier dossier
/// `from_dossier` of the same applicant; anything the caller may not see is 404.
pub fn reuse(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    document: &str,
    sha256: String,
    from_dossier: &str,
    max: i64,
) -> ApiResult<AttachmentView> {
    let d = load_visible(conn, p, code)?;
    check_may_attach(p, &d)?;
    let document = nfc(document.trim());
    check_document(conn, &d, &document)?;
    check_room(conn, &d, max)?;
    let not_found = || ApiError::not_found("tệp của hồ sơ trước", "File of the earlier dossier");
    let source = Dossier::find_by_code(conn, from_dossier)?
        .filter(|s| can_see(p, s) && s.applicant_id_number == d.applicant_id_number && s.id != d.id)
        .ok_or_else(not_found)?;
    let original = Attachment::first_with_file(conn, &source.id, &sha256)?.ok_or_else(not_found)?;
    let (content_type, size) = file_content_type(conn, &sha256)?.ok_or_else(not_found)?;
    let a = Attachment {
        id: uuid::Uuid::now_v7().to_string(),
        dossier_id: d.id.clone(),
        document_name: document,
        file_sha256: sha256,
        file_name: original.file_name,
        source: "reused_dossier".into(),
        reused_from: Some(source.code.clone()),
        digitized_at_reception: false,
        uploaded_by: p.user_id.clone(),
        created_at: crate::clock::now().naive_utc(),
    };
    record_attachment(conn, p, &d, &a, size, &content_type)?;
    Ok(attachment_view(a, size, content_type))
}

/// The component files of a dossier the caller may see, oldest first, with the dossier.
pub fn list(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
) -> ApiResult<(Dossier, Vec<AttachmentView>)> {
    let d = load_visible(conn, p, code)?;
    let views = Attachment::with_files(conn, &d.id)?
        .into_iter()
        .map(|(a, size, ct)| attachment_view(a, size, ct))
        .collect();
    Ok((d, views))
}

/// A component file of a dossier the caller may see, with its recorded content type
/// (`None` when its stored-file row is missing) and the dossier.
pub fn find(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    id: &str,
) -> ApiResult<(Dossier, Attachment, Option<String>)> {
    let d = load_visible(conn, p, code)?;
    let a = Attachment::find(conn, &d.id, id)?
        .ok_or_else(|| ApiError::not_found("tệp đính kèm", "Attachment"))?;
    let ct = file_content_type(conn, &a.file_sha256)?.map(|(ct, _)| ct);
    Ok((d, a, ct))
}
