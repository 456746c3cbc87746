//! Digitized dossier components: uploads into the content-addressed store, reuse of a file
//! already on an earlier dossier of the same applicant, listing and verified download.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::extract::ValidJson;
use crate::api::access_log::{self, Read};
use crate::api::problems::{DossierNotFound, JsonBody, NotAuthenticated, RoleNotAllowedNow};
use crate::auth::roles::{AnyRole, Uploaders};
use crate::auth::Authorized;
use crate::db::models::dossier::Attachment;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::files::{sniff_content_type, FileError, FileStore};
use crate::service::attachments::{self as service, AttachmentView, StoredUpload};
use crate::state::AppState;

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
    NotAuthenticated, RoleNotAllowedNow, DossierNotFound,
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
        .db(move |conn| service::open_for_upload(conn, &p, &c))
        .await?;
    let form = super::multipart::read_form(&req, payload, state.config.max_upload_bytes).await?;
    let (bytes, file, digitized) = upload_parts(form)?;
    let (document, file_name, content_type) = (file.document, file.file_name, file.content_type);
    let size = bytes.len() as i64;
    // Everything the request says is checked before a byte reaches the disk: the document
    // belongs to the procedure case and the dossier has room (both checked again below,
    // in the transaction that records the attachment).
    let max = state.config.max_attachments_per_dossier;
    let (p, doc) = (auth.principal.clone(), document.clone());
    let c = dossier.code.clone();
    state
        .db(move |conn| service::check_upload(conn, &p, &c, &doc, max))
        .await?;
    // The bytes go to the store (idempotent, atomic rename); the row follows.
    let store = FileStore::new(&state.config.upload_dir);
    let sha = web::block(move || store.put(&bytes))
        .await?
        .map_err(ApiError::internal)?;

    let p = auth.principal.clone();
    let file = StoredUpload {
        document,
        sha256: sha,
        file_name,
        size,
        content_type,
        digitized_at_reception: digitized,
    };
    let view = state
        .db_tx(move |conn| service::attach_upload(conn, &p, &dossier.code, file, max))
        .await?;
    log::info!(
        "dossier {code}: component {} uploaded ({} bytes)",
        view.sha256,
        view.size_bytes
    );
    Ok(HttpResponse::Created().json(view))
}

/// The parts of an upload form, checked: the bytes, the file as described (without its hash
/// yet) and the `digitized_at_reception` flag when given.
fn upload_parts(form: super::multipart::Form) -> ApiResult<(Vec<u8>, UploadParts, Option<bool>)> {
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
    Ok((
        bytes,
        UploadParts {
            document,
            file_name,
            content_type,
        },
        digitized,
    ))
}

/// What an upload describes besides its bytes.
struct UploadParts {
    document: String,
    file_name: String,
    content_type: &'static str,
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"document": "Tờ khai", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "from_dossier": "H25.04978-251128-0001"}))]
pub struct ReuseRequest {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500))]
    pub document: String,
    #[schema(pattern = r"^[0-9a-f]{64}$")]
    #[validate(length(equal = 64))]
    pub sha256: String,
    /// The earlier dossier of the same applicant that holds the file.
    #[schema(min_length = 1, max_length = 100)]
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
    JsonBody, NotAuthenticated, RoleNotAllowedNow,
    (status = 404, description = "No such dossier or file visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Dossier closed, or it already holds MAX_ATTACHMENTS_PER_DOSSIER attachments", body = crate::error::Problem, content_type = "application/problem+json"),
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
            let (document, from) = (&input.document, &input.from_dossier);
            service::reuse(conn, &p, &code, document, sha256, from, max)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// List a dossier's component files.
///
/// **Roles:** as for reading the dossier.
#[utoipa::path(tag = "dossiers", operation_id = "list_attachments", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, description = "The dossier's files, oldest first", body = Vec<AttachmentView>),
    NotAuthenticated, DossierNotFound,
))]
#[get("/dossiers/{code}/attachments")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Vec<AttachmentView>>> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (d, views) = state.db(move |conn| service::list(conn, &p, &code)).await?;
    let read = Read::dossier(&d);
    access_log::record(&state, &auth, "GET /dossiers/{code}/attachments", [read]).await?;
    Ok(web::Json(views))
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
    NotAuthenticated,
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
            let (d, a, ct) = service::find(conn, &p, &code, &id)?;
            Ok((a, ct, Read::dossier(&d)))
        })
        .await?;
    access_log::record(
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
