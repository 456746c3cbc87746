//! Digitized dossier components: uploads into the content-addressed store, reuse of a file
//! already on an earlier dossier of the same applicant, listing and verified download.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::dossiers::load_visible;
use super::extract::ValidJson;
use crate::auth::roles::{AnyRole, Uploaders};
use crate::auth::{Authorized, Principal, Role};
use crate::db::models::dossier::{
    file_content_type, record_file, Attachment, Dossier, NewDossierEvent,
};
use crate::db::models::procedure::ProcedureVersion;
use crate::db::schema::{dossier_attachments, stored_files};
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::files::{sniff_content_type, FileError, FileStore};
use crate::state::AppState;

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

pub(crate) fn attachment_view(
    a: Attachment,
    size_bytes: i64,
    content_type: String,
) -> AttachmentView {
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

/// The bytes of a stored file (a binary string in the spec).
pub struct FileBytes;

impl utoipa::PartialSchema for FileBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes"))
            .into()
    }
}

impl ToSchema for FileBytes {}

/// The parts of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The scan: PDF, JPEG or PNG (recognised from its bytes).
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// Name of the required document of the case this file digitizes.
    document: String,
    /// `true` when scanned at the counter from the paper the applicant brought (default
    /// `true` for reception officers, `false` for online applicants).
    digitized_at_reception: Option<bool>,
}

/// Who may add files to a dossier now: the counter of its commune while it is open, or the
/// applicant (and the portal on their behalf) while it waits for them.
pub(crate) fn check_may_attach(p: &Principal, d: &Dossier) -> ApiResult<()> {
    let status = Status::parse(&d.status).ok_or_else(|| ApiError::internal("bad status"))?;
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
pub(crate) fn check_document(conn: &mut DbConn, d: &Dossier, document: &str) -> ApiResult<()> {
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
pub(crate) fn check_room(conn: &mut DbConn, d: &Dossier, max: i64) -> ApiResult<()> {
    if matches!(conn, DbConn::Pg(_)) {
        diesel::sql_query("SELECT id FROM dossiers WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(&d.id)
            .execute(conn)?;
    }
    let held: i64 = dossier_attachments::table
        .filter(dossier_attachments::dossier_id.eq(&d.id))
        .count()
        .get_result(conn)?;
    if held >= max {
        return Err(ApiError::conflict(
            "attachment.too_many",
            format!("Hồ sơ đã có tối đa {max} tệp đính kèm."),
            format!("The dossier already holds the maximum of {max} attachments."),
        ));
    }
    Ok(())
}

pub(crate) fn record_attachment(
    conn: &mut DbConn,
    p: &Principal,
    d: &Dossier,
    a: &Attachment,
    size: i64,
    content_type: &str,
) -> ApiResult<()> {
    record_file(conn, &a.file_sha256, size, content_type, a.created_at)?;
    Attachment::insert(conn, a)?;
    NewDossierEvent {
        dossier_id: &d.id,
        action: "attach_component",
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        from_status: Some(&d.status),
        to_status: &d.status,
        comment: None,
        data: serde_json::json!({
            "document": a.document_name, "sha256": a.file_sha256, "source": a.source, "reused_from": a.reused_from,
        })
        .to_string(),
        created_at: a.created_at,
    }
    .append(conn)?;
    Ok(())
}

/// The client's file name, kept for display and download: the last path segment only (some
/// clients send `C:\\...\\scan.pdf`), no control characters or quotes, at most 200 characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/'))
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "tai-lieu".to_string()
    } else {
        cleaned
    }
}

/// ASCII stand-in for the `filename=` parameter (old clients); the exact UTF-8 name goes in
/// `filename*=`. Vietnamese letters lose their marks: "Tờ khai.pdf" -> "To khai.pdf".
fn ascii_file_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .filter_map(|c| match c {
            'đ' => Some('d'),
            'Đ' => Some('D'),
            c if c.is_ascii_graphic() || c == ' ' => Some(c),
            c if c.is_ascii() => None,
            c if unicode_normalization::char::is_combining_mark(c) => None,
            _ => Some('_'),
        })
        .filter(|c| !matches!(c, '"' | '\\' | '/' | ';'))
        .collect()
}

pub(crate) fn content_disposition(name: &str) -> actix_web::http::header::ContentDisposition {
    use actix_web::http::header::{
        Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
    };
    let clean = clean_file_name(name);
    let mut parameters = vec![DispositionParam::Filename(ascii_file_name(&clean))];
    if !clean.is_ascii() {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: clean.into_bytes(),
        }));
    }
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters,
    }
}

/// Upload a digitized component.
///
/// **Roles:** `reception_officer` of the dossier's commune (digitization at reception) while
/// the dossier is open; the owning `citizen` or a `portal_client` in scope while the dossier
/// is `submitted` or `supplement_requested`. multipart/form-data with `file`, `document` and
/// optionally `digitized_at_reception`. The type is recognised from the bytes (PDF, JPEG,
/// PNG; anything else 415), the size is limited by `MAX_UPLOAD_BYTES` (413), a dossier
/// holds at most `MAX_ATTACHMENTS_PER_DOSSIER` attachments (409 `attachment.too_many`), and
/// the file is stored once under its SHA-256, only after the document and the room were
/// checked (a refused upload leaves nothing on disk).
#[utoipa::path(tag = "dossiers", operation_id = "upload_attachment", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code")),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "Parts: `file` (the scan), `document` (e.g. `Tờ khai`), optional `digitized_at_reception` (`true`/`false`)"),
    responses(
    (status = 201, description = "Stored and attached", body = AttachmentView),
    (status = 400, description = "Malformed multipart body or missing part", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed now", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Dossier closed, or it already holds MAX_ATTACHMENTS_PER_DOSSIER attachments", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File larger than MAX_UPLOAD_BYTES", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart, or the file is not PDF/JPEG/PNG", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing or unknown document, or `digitized_at_reception` not true/false", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/attachments")]
pub async fn upload(
    state: web::Data<AppState>,
    auth: Authorized<Uploaders>,
    code: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // Check access before reading the body: a stranger learns nothing and uploads nothing.
    let p = auth.principal.clone();
    let code = code.into_inner();
    let c = code.clone();
    let dossier = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &c)?;
            check_may_attach(&p, &d)?;
            Ok(d)
        })
        .await?;
    let form = super::multipart::read_form(&req, payload, state.config.max_upload_bytes).await?;
    let (file, file_name) = match form.file {
        Some((bytes, name)) => (Some(bytes), clean_file_name(&name)),
        None => (None, String::new()),
    };
    let document = form.fields.get("document").map(|d| nfc(d.trim()));
    let digitized = match form.fields.get("digitized_at_reception") {
        None => None,
        Some(v) => Some(match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" => true,
            "false" | "0" | "off" => false,
            _ => {
                return Err(ApiError::invalid_field(
                    "digitized_at_reception",
                    "Giá trị phải là true hoặc false.",
                    "Must be true or false.",
                ))
            }
        }),
    };
    let bytes = file.filter(|b| !b.is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "multipart.missing_file",
            "Thiếu phần `file`.",
            "The `file` part is missing.",
        )
    })?;
    let document = document.filter(|d| !d.is_empty()).ok_or_else(|| {
        ApiError::invalid_field(
            "document",
            "Cần tên thành phần hồ sơ.",
            "The document name is required.",
        )
    })?;
    let content_type = sniff_content_type(&bytes).ok_or_else(|| {
        ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "attachment.unsupported_type",
            "Chỉ nhận tệp PDF, JPEG hoặc PNG (nhận dạng theo nội dung tệp).",
            "Only PDF, JPEG or PNG files are accepted (recognised from the file's content).",
        )
    })?;
    let size = bytes.len() as i64;
    // Everything the request says is checked before a byte reaches the disk: the document
    // belongs to the procedure case and the dossier has room (both checked again below,
    // in the transaction that records the attachment).
    let max = state.config.max_attachments_per_dossier;
    let (p, doc) = (auth.principal.clone(), document.clone());
    let c = dossier.code.clone();
    state
        .db(move |conn| {
            let d = load_visible(conn, &p, &c)?;
            check_document(conn, &d, &doc)?;
            check_room(conn, &d, max)
        })
        .await?;
    // The bytes go to the store (idempotent, atomic rename); the row follows.
    let store = FileStore::new(&state.config.upload_dir);
    let sha = web::block(move || store.put(&bytes))
        .await?
        .map_err(ApiError::internal)?;

    let p = auth.principal.clone();
    let digitized = digitized.unwrap_or(p.role == Role::ReceptionOfficer);
    let view = state
        .db_tx(move |conn| {
            let d = load_visible(conn, &p, &dossier.code)?;
            check_may_attach(&p, &d)?;
            check_document(conn, &d, &document)?;
            check_room(conn, &d, max)?;
            let a = Attachment {
                id: uuid::Uuid::now_v7().to_string(),
                dossier_id: d.id.clone(),
                document_name: document,
                file_sha256: sha,
                file_name: if file_name.is_empty() {
                    "tai-lieu".into()
                } else {
                    file_name
                },
                source: "upload".into(),
                reused_from: None,
                digitized_at_reception: digitized,
                uploaded_by: p.user_id.clone(),
                created_at: crate::clock::now().naive_utc(),
            };
            record_attachment(conn, &p, &d, &a, size, content_type)?;
            if a.digitized_at_reception {
                super::results::record_digitization(conn, &a, &d)?;
            }
            Ok(attachment_view(a, size, content_type.to_string()))
        })
        .await?;
    log::info!(
        "dossier {code}: component {} uploaded ({} bytes)",
        view.sha256,
        view.size_bytes
    );
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"document": "Tờ khai", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "from_dossier": "H25.04978-251128-0001"}))]
pub struct ReuseRequest {
    #[validate(length(min = 1, max = 500))]
    pub document: String,
    #[validate(length(equal = 64))]
    pub sha256: String,
    /// The earlier dossier of the same applicant that holds the file.
    #[validate(length(min = 1, max = 100))]
    pub from_dossier: String,
}

/// Reuse a file from an earlier dossier of the same applicant, without uploading it again.
///
/// **Roles:** as for uploading. The earlier dossier must be one the caller may see and of the
/// same applicant (same ID number), and hold a file with that SHA-256; anything else is 404,
/// so nobody learns of other people's files. Recorded as `reused_dossier` (it feeds the
/// data-reuse indicator).
#[utoipa::path(tag = "dossiers", operation_id = "reuse_attachment", security(("bearer" = [])), request_body = ReuseRequest,
    params(("code" = String, Path, description = "Dossier code")),
    responses(
    (status = 201, description = "Referenced and attached", body = AttachmentView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed now", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier or file visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Dossier closed, or it already holds MAX_ATTACHMENTS_PER_DOSSIER attachments", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields (`sha256` not 64 hex digits) or unknown document", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/attachments/reuse")]
pub async fn reuse(
    state: web::Data<AppState>,
    auth: Authorized<Uploaders>,
    code: web::Path<String>,
    body: ValidJson<ReuseRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let input = body.0;
    let sha256 = input.sha256.to_ascii_lowercase();
    if !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::invalid_field(
            "sha256",
            "Mã băm SHA-256 gồm 64 ký tự thập lục phân.",
            "A SHA-256 is 64 hexadecimal characters.",
        ));
    }
    let max = state.config.max_attachments_per_dossier;
    let view = state
        .db_tx(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            check_may_attach(&p, &d)?;
            let document = nfc(input.document.trim());
            check_document(conn, &d, &document)?;
            check_room(conn, &d, max)?;
            let not_found =
                || ApiError::not_found("tệp của hồ sơ trước", "File of the earlier dossier");
            let source = Dossier::find_by_code(conn, &input.from_dossier)?
                .filter(|s| {
                    super::dossiers::can_see(&p, s)
                        && s.applicant_id_number == d.applicant_id_number
                        && s.id != d.id
                })
                .ok_or_else(not_found)?;
            let original: Attachment = dossier_attachments::table
                .filter(dossier_attachments::dossier_id.eq(&source.id))
                .filter(dossier_attachments::file_sha256.eq(&sha256))
                .order(dossier_attachments::created_at.asc())
                .select(Attachment::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(not_found)?;
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
            record_attachment(conn, &p, &d, &a, size, &content_type)?;
            Ok(attachment_view(a, size, content_type))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// List a dossier's component files.
///
/// **Roles:** as for reading the dossier.
#[utoipa::path(tag = "dossiers", operation_id = "list_attachments", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, description = "The dossier's files, oldest first", body = Vec<AttachmentView>),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/attachments")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Vec<AttachmentView>>> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (rows, read) = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            let read = crate::api::access_log::Read::dossier(&d);
            Ok((
                dossier_attachments::table
                    .inner_join(
                        stored_files::table
                            .on(stored_files::sha256.eq(dossier_attachments::file_sha256)),
                    )
                    .filter(dossier_attachments::dossier_id.eq(&d.id))
                    .order(dossier_attachments::created_at.asc())
                    .select((
                        Attachment::as_select(),
                        stored_files::size_bytes,
                        stored_files::content_type,
                    ))
                    .load::<(Attachment, i64, String)>(conn)?,
                read,
            ))
        })
        .await?;
    crate::api::access_log::record(&state, &auth, "GET /dossiers/{code}/attachments", [read])
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(a, size, ct)| attachment_view(a, size, ct))
            .collect(),
    ))
}

/// Download a component file.
///
/// **Roles:** as for reading the dossier. The bytes are hashed again on the way out: a file
/// altered, damaged or missing on disk is never served (500, code
/// `attachment.integrity_failed`, and an error in the log). `Content-Type` is the type
/// recognised from the bytes at upload; `Content-Disposition: attachment` carries the
/// original file name (ASCII `filename` plus UTF-8 `filename*`).
#[utoipa::path(tag = "dossiers", operation_id = "download_attachment", security(("bearer" = [])),
    params(("code" = String, Path, description = "Dossier code"), ("id" = String, Path, description = "Attachment id")),
    responses(
    (status = 200, description = "The file, exactly as stored",
        content((FileBytes = "application/pdf"), (FileBytes = "image/jpeg"), (FileBytes = "image/png")),
        headers(
            ("ETag" = String, description = "The SHA-256, quoted"),
            ("Content-Disposition" = String, description = "`attachment; filename=\"...\"` (and `filename*=UTF-8''...` for non-ASCII names)"),
            ("X-Content-Type-Options" = String, description = "`nosniff`"),
        )),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier or attachment visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 500, description = "Code `attachment.integrity_failed`: the stored file is missing or no longer matches its hash", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/attachments/{id}/content")]
pub async fn download(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let (code, id) = path.into_inner();
    let (a, content_type, read) = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            let a = Attachment::find(conn, &d.id, &id)?
                .ok_or_else(|| ApiError::not_found("tệp đính kèm", "Attachment"))?;
            let ct = file_content_type(conn, &a.file_sha256)?.map(|(ct, _)| ct);
            Ok((a, ct, crate::api::access_log::Read::dossier(&d)))
        })
        .await?;
    crate::api::access_log::record(
        &state,
        &auth,
        "GET /dossiers/{code}/attachments/{id}/content",
        [read],
    )
    .await?;
    let Some(content_type) = content_type else {
        let e = FileError::Missing(format!("{} (no stored_files row)", a.file_sha256));
        return Err(integrity_failed(&a, e));
    };
    let store = FileStore::new(&state.config.upload_dir);
    let sha = a.file_sha256.clone();
    let bytes = web::block(move || store.get(&sha))
        .await?
        .map_err(|e| integrity_failed(&a, e))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("etag", format!("\"{}\"", a.file_sha256)))
        .insert_header(content_disposition(&a.file_name))
        // Served as the type recorded from its bytes; browsers must not guess another one.
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "private, no-store"))
        .body(bytes))
}

/// A stored file that is missing or no longer matches its hash: a server fault, logged as an
/// error; the client gets a stable code and never the bytes.
fn integrity_failed(a: &Attachment, e: FileError) -> ApiError {
    log::error!(
        "attachment {} of dossier {} ({}): {e}",
        a.id,
        a.dossier_id,
        a.file_sha256
    );
    let mut err = ApiError::new(
        actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
        "attachment.integrity_failed",
        "Tệp lưu trữ bị thiếu hoặc không còn khớp với mã băm đã ghi nhận; hệ thống không trả tệp đã bị thay đổi.",
        "The stored file is missing or no longer matches its recorded hash; an altered file is never served.",
    );
    err.cause = Some(match e {
        FileError::Corrupted(s) | FileError::Missing(s) => s,
        FileError::Io(io) => io.to_string(),
    });
    err
}
