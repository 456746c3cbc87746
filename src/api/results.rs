//! Digital results (kết quả điện tử): issue, seal, verify, revoke, supersede and reuse;
//! digitization records of components; electronic certification (chứng thực bản sao điện
//! tử từ bản chính) with the commune's yearly book.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::attachments::{
    attachment_view, check_document, check_may_attach, content_disposition, record_attachment,
    AttachmentView,
};
use super::dossiers::{load_visible, record_of};
use super::extract::{etag, validation_error, IfMatch, Page, PageParams, ValidJson};
use super::multipart::{read_form, Form};
use crate::auth::access::{self, Place, Resource, Scope};
use crate::auth::roles::{AnyRole, Uploaders};
use crate::auth::{Authorized, Principal, Role};
use crate::db::models::dossier::{record_file, Attachment, Dossier, NewDossierEvent};
use crate::db::models::result::{
    next_certification_no, DigitalResult, DigitizationRecord, NewResultEvent, ResultEvent,
};
use crate::db::schema::{
    certifications, digital_result_events, digital_results, digitization_records,
    dossier_attachments, dossiers,
};
use crate::db::DbConn;
use crate::domain::calendar::{local_date, today};
use crate::domain::dossier_lifecycle::{ProcessingStep, Status};
use crate::domain::sealing::{mask_id_number, SealError, SealPayload, SEAL_FORMAT};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::files::{sha256_hex, sniff_content_type, FileStore};
use crate::state::AppState;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

// ---------------------------------------------------------------- input and views

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignatureType {
    /// Chữ ký số chuyên dùng công vụ (state officials' signature).
    ChuyenDungCongVu,
    /// Chữ ký số công cộng (public CA).
    CongCong,
}

/// The document's digital signature, as read from the signed PDF.
#[derive(Serialize, Deserialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct SignatureInput {
    #[serde(rename = "type")]
    pub signature_type: SignatureType,
    #[validate(length(min = 1, max = 200))]
    pub certificate_serial: String,
    #[validate(length(min = 1, max = 500))]
    pub certificate_subject: String,
    #[validate(length(min = 1, max = 500))]
    pub certificate_issuer: String,
    pub signed_at: DateTime<Utc>,
}

/// A result's metadata (the `metadata` part, JSON, next to the `file` part).
#[derive(Serialize, Deserialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "document_type": "Giấy xác nhận tình trạng hôn nhân", "number_symbol": "125/XN-UBND", "summary": "Xác nhận tình trạng hôn nhân của bà Nguyễn Thị Hoà",
    "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã", "issued_on": "2026-11-28", "valid_until": "2027-05-28",
    "scope": "Dùng để đăng ký kết hôn",
    "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFEB7033FB316D672201B7BA4FE", "certificate_subject": "CN=Trần Văn Minh, O=UBND xã Kim Bôi",
                  "certificate_issuer": "CN=Cục Chứng thực số và Bảo mật thông tin", "signed_at": "2026-11-28T02:30:00Z"}}))]
pub struct ResultInput {
    #[validate(length(min = 1, max = 300))]
    pub document_type: String,
    /// Số ký hiệu.
    #[validate(length(min = 1, max = 100))]
    pub number_symbol: String,
    /// Trích yếu.
    #[validate(length(min = 1, max = 2000))]
    pub summary: String,
    #[validate(length(min = 1, max = 200))]
    pub signer_name: String,
    #[validate(length(min = 1, max = 200))]
    pub signer_title: String,
    /// Default: the commune's people's committee.
    #[validate(length(min = 1, max = 300))]
    pub issuing_agency: Option<String>,
    pub issued_on: NaiveDate,
    /// Default: `issued_on`.
    pub valid_from: Option<NaiveDate>,
    /// Absent: no end.
    pub valid_until: Option<NaiveDate>,
    /// Phạm vi hiệu lực.
    #[validate(length(max = 500))]
    pub scope: Option<String>,
    #[validate(nested)]
    pub signature: SignatureInput,
}

impl ResultInput {
    fn check(&self) -> ApiResult<()> {
        self.validate().map_err(validation_error)?;
        let from = self.valid_from.unwrap_or(self.issued_on);
        if self.valid_until.is_some_and(|u| u < from) {
            return Err(ApiError::invalid_field(
                "valid_until",
                "Hết hiệu lực trước ngày có hiệu lực.",
                "valid_until is before valid_from.",
            ));
        }
        Ok(())
    }
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ResultView {
    pub id: String,
    /// `result` or `certified_copy`.
    pub kind: String,
    pub dossier_code: Option<String>,
    pub commune_code: String,
    pub owner_name: String,
    pub owner_id_number: String,
    pub document_type: String,
    pub number_symbol: String,
    pub summary: String,
    pub signer_name: String,
    pub signer_title: String,
    pub issuing_agency: String,
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub scope: String,
    pub file_sha256: String,
    #[schema(value_type = Object)]
    pub signature: serde_json::Value,
    /// `active`, `revoked` or `superseded`.
    pub status: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    /// The seal; encode `verification_url` in the QR code.
    pub seal_token: String,
    pub seal_kid: String,
    pub verification_url: String,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

fn result_view(state: &AppState, r: DigitalResult, dossier_code: Option<String>) -> ResultView {
    ResultView {
        verification_url: format!(
            "{}/api/v1/public/digital-results/verify?token={}",
            state.config.public_base_url.trim_end_matches('/'),
            r.seal_token
        ),
        signature: serde_json::from_str(&r.signature).unwrap_or(serde_json::Value::Null),
        revoked_at: r.revoked_at.map(utc),
        created_at: utc(r.created_at),
        id: r.id,
        kind: r.kind,
        dossier_code,
        commune_code: r.commune_code,
        owner_name: r.owner_name,
        owner_id_number: r.owner_id_number,
        document_type: r.document_type,
        number_symbol: r.number_symbol,
        summary: r.summary,
        signer_name: r.signer_name,
        signer_title: r.signer_title,
        issuing_agency: r.issuing_agency,
        issued_on: r.issued_on,
        valid_from: r.valid_from,
        valid_until: r.valid_until,
        scope: r.scope,
        file_sha256: r.file_sha256,
        status: r.status,
        revoked_reason: r.revoked_reason,
        supersedes: r.supersedes,
        superseded_by: r.superseded_by,
        seal_token: r.seal_token,
        seal_kid: r.seal_kid,
        version: r.version,
    }
}

fn dossier_code_of(conn: &mut DbConn, r: &DigitalResult) -> ApiResult<Option<String>> {
    Ok(match &r.dossier_id {
        Some(id) => dossiers::table
            .find(id)
            .select(dossiers::code)
            .first(conn)
            .optional()?,
        None => None,
    })
}

fn not_found() -> ApiError {
    ApiError::not_found("kết quả điện tử", "Digital result")
}

/// The caller's *verified* personal ID (citizens see results issued to it). A personal ID
/// that no verified source vouched for grants nothing.
fn personal_id(conn: &mut DbConn, p: &Principal) -> ApiResult<Option<String>> {
    if p.role != Role::Citizen {
        return Ok(None);
    }
    Ok(crate::service::identity::verified_personal_id(
        conn, &p.user_id,
    )?)
}

/// The caller's scope over digital results (a citizen's includes the ID number on its account).
fn result_scope(conn: &mut DbConn, p: &Principal) -> ApiResult<Scope> {
    let identity = match access::reach(Resource::DigitalResult, p.role) {
        access::Reach::OwnOrIdentity => personal_id(conn, p)?,
        _ => None,
    };
    Ok(access::scope_with_identity(
        p,
        Resource::DigitalResult,
        identity,
    ))
}

fn may_see(conn: &mut DbConn, p: &Principal, r: &DigitalResult) -> ApiResult<bool> {
    Ok(result_scope(conn, p)?.admits(
        Place::commune(&r.commune_code, &r.province_code)
            .owned(r.owner_user_id.as_deref())
            .identity(&r.owner_id_number),
    ))
}

fn load_result(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<DigitalResult> {
    let r = DigitalResult::find(conn, id)?.ok_or_else(not_found)?;
    if !may_see(conn, p, &r)? {
        return Err(not_found());
    }
    Ok(r)
}

fn require_role(p: &Principal, roles: &[Role], vi: &str, en: &str) -> ApiResult<()> {
    if roles.contains(&p.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "digital_result.role_not_allowed",
            vi,
            en,
        ))
    }
}

/// Stores the file (PDF for results; PDF, JPEG or PNG for scans) and returns its hash.
async fn store_file(
    state: &AppState,
    form: &Form,
    pdf_only: bool,
) -> ApiResult<(String, i64, &'static str)> {
    let (bytes, _) = form.file()?;
    let content_type = sniff_content_type(bytes)
        .filter(|t| !pdf_only || *t == "application/pdf")
        .ok_or_else(|| {
            ApiError::new(
                actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "digital_result.unsupported_type",
                if pdf_only {
                    "Kết quả điện tử phải là tệp PDF."
                } else {
                    "Chỉ nhận PDF, JPEG hoặc PNG."
                },
                if pdf_only {
                    "A digital result must be a PDF file."
                } else {
                    "Only PDF, JPEG or PNG."
                },
            )
        })?;
    let size = bytes.len() as i64;
    let store = FileStore::new(&state.config.upload_dir);
    let b = bytes.clone();
    let sha = web::block(move || store.put(&b))
        .await?
        .map_err(ApiError::internal)?;
    Ok((sha, size, content_type))
}

/// What issuing needs besides the metadata.
struct Owner {
    commune_code: String,
    province_code: String,
    agency: String,
    id_number: String,
    name: String,
    user_id: Option<String>,
    dossier_id: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn insert_result(
    conn: &mut DbConn,
    state: &AppState,
    p: &Principal,
    kind: &str,
    owner: &Owner,
    input: &ResultInput,
    file: (&str, i64, &str),
    supersedes: Option<&str>,
) -> ApiResult<DigitalResult> {
    let now = crate::clock::now();
    record_file(conn, file.0, file.1, file.2, now.naive_utc())?;
    let id = uuid::Uuid::now_v7().to_string();
    let valid_from = input.valid_from.unwrap_or(input.issued_on);
    let token = state.sealer.seal(SealPayload {
        v: SEAL_FORMAT,
        kid: String::new(),
        rid: id.clone(),
        h: file.0.to_string(),
        o: String::new(),
        vf: valid_from.to_string(),
        vu: input.valid_until.map(|d| d.to_string()),
        iat: now.timestamp(),
    });
    let r = DigitalResult {
        id,
        kind: kind.into(),
        dossier_id: owner.dossier_id.clone(),
        commune_code: owner.commune_code.clone(),
        province_code: owner.province_code.clone(),
        owner_id_number: owner.id_number.clone(),
        owner_name: owner.name.clone(),
        owner_user_id: owner.user_id.clone(),
        document_type: nfc(input.document_type.trim()),
        number_symbol: nfc(input.number_symbol.trim()),
        summary: nfc(input.summary.trim()),
        signer_name: nfc(input.signer_name.trim()),
        signer_title: nfc(input.signer_title.trim()),
        issuing_agency: input
            .issuing_agency
            .as_deref()
            .map(|a| nfc(a.trim()))
            .unwrap_or_else(|| owner.agency.clone()),
        issued_on: input.issued_on,
        valid_from,
        valid_until: input.valid_until,
        scope: nfc(input.scope.as_deref().unwrap_or("").trim()),
        file_sha256: file.0.to_string(),
        signature: serde_json::to_string(&input.signature).expect("serializes"),
        seal_kid: state.sealer.active_kid().to_string(),
        seal_token: token,
        status: "active".into(),
        revoked_at: None,
        revoked_reason: None,
        supersedes: supersedes.map(str::to_string),
        superseded_by: None,
        created_by: p.user_id.clone(),
        created_at: now.naive_utc(),
        version: 1,
    };
    diesel::insert_into(digital_results::table)
        .values(&r)
        .execute(conn)?;
    NewResultEvent {
        result_id: &r.id,
        action: if supersedes.is_some() { "issued_as_replacement" } else { "issued" },
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        reason: None,
        data: serde_json::json!({ "sha256": r.file_sha256, "kid": r.seal_kid, "supersedes": supersedes }).to_string(),
        created_at: r.created_at,
    }
    .append(conn)?;
    if let Some(did) = &r.dossier_id {
        dossier_event(
            conn,
            p,
            did,
            "result_issued",
            None,
            serde_json::json!({ "result_id": r.id, "number_symbol": r.number_symbol }),
        )?;
    }
    Ok(r)
}

fn dossier_event(
    conn: &mut DbConn,
    p: &Principal,
    dossier_id: &str,
    action: &str,
    comment: Option<&str>,
    data: serde_json::Value,
) -> ApiResult<()> {
    let status: String = dossiers::table
        .find(dossier_id)
        .select(dossiers::status)
        .first(conn)?;
    NewDossierEvent {
        dossier_id,
        action,
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        from_status: Some(&status),
        to_status: &status,
        comment,
        data: data.to_string(),
        created_at: crate::clock::now().naive_utc(),
    }
    .append(conn)?;
    Ok(())
}

fn owner_of(conn: &mut DbConn, d: &Dossier) -> ApiResult<Owner> {
    let commune = crate::db::models::registry::Commune::find(conn, &d.commune_code)?
        .ok_or_else(|| ApiError::internal("commune"))?;
    Ok(Owner {
        commune_code: d.commune_code.clone(),
        province_code: d.province_code.clone(),
        agency: format!("UBND {}", commune.full_name),
        id_number: d.applicant_id_number.clone(),
        name: d.applicant_name.clone(),
        user_id: d.owner_user_id.clone(),
        dossier_id: Some(d.id.clone()),
    })
}

// ---------------------------------------------------------------- issue

/// Issue a dossier's digital result.
///
/// **Roles:** `leader` of the dossier's commune, once the result is approved (processing
/// with an approved result, `result_ready`, or `returned`). Multipart: `file` (the signed
/// PDF) and `metadata` (JSON: type, number/symbol, signer, dates, scope, the document's
/// signature). The server seals it (Ed25519, `seal_token`) and gives the verification URL
/// for the QR code. The dossier's history gets `result_issued`.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")),
    request_body(content = String, content_type = "multipart/form-data", description = "`file`: PDF; `metadata`: ResultInput as JSON"),
    responses(
    (status = 201, body = ResultView),
    (status = 400, description = "Malformed multipart or JSON, or no file", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not the commune's leader", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The result is not approved yet, or the dossier ended without one", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart, or the file is not a PDF", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid metadata", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/digital-results")]
pub async fn issue(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (pr, c) = (p.clone(), code.clone());
    state
        .db(move |conn| load_visible(conn, &pr, &c).map(|_| ()))
        .await?;
    require_role(
        &p,
        &[Role::Leader],
        "Chỉ lãnh đạo của xã ban hành kết quả.",
        "Only the commune's leader issues results.",
    )?;
    let form = read_form(&req, payload, state.config.max_upload_bytes).await?;
    let input: ResultInput = form.json("metadata")?;
    input.check()?;
    let (sha, size, ct) = store_file(&state, &form, true).await?;
    let st = state.clone();
    let (r, dcode) = state
        .db_tx(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            let rec = record_of(&d)?;
            let approved = match rec.state.status {
                Status::Processing => rec.state.step == ProcessingStep::ResultApproved,
                Status::ResultReady | Status::Returned => true,
                _ => false,
            };
            if !approved {
                return Err(ApiError::conflict(
                    "digital_result.not_approved",
                    "Kết quả của hồ sơ chưa được phê duyệt.",
                    "The dossier's result is not approved.",
                ));
            }
            let owner = owner_of(conn, &d)?;
            let r = insert_result(
                conn,
                &st,
                &p,
                "result",
                &owner,
                &input,
                (&sha, size, ct),
                None,
            )?;
            Ok((r, d.code))
        })
        .await?;
    log::info!(
        "digital result {} issued for {dcode} by {}",
        r.id,
        auth.user_id
    );
    Ok(HttpResponse::Created()
        .insert_header(etag(r.version))
        .insert_header(("location", format!("/api/v1/digital-results/{}", r.id)))
        .json(result_view(&state, r, Some(dcode))))
}

// ---------------------------------------------------------------- read

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct ResultFilter {
    pub dossier_code: Option<String>,
    /// `active`, `revoked`, `superseded`.
    pub status: Option<String>,
    /// `result` or `certified_copy`.
    pub kind: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ResultCursor(NaiveDateTime, String);

/// List digital results.
///
/// **Roles:** officers see their commune's, `citizen` those issued to them (by account or
/// personal ID), `province_supervisor` its province's, `portal_client` its communes',
/// `system_admin` all. Newest first.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(ResultFilter, PageParams), responses(
    (status = 200, body = inline(Page<ResultView>)),
    (status = 400, description = "Malformed query or cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/digital-results")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    filter: web::Query<ResultFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<ResultCursor> = page.cursor()?;
    let f = filter.into_inner();
    let p = auth.principal.clone();
    let st = state.clone();
    let page = state
        .db(move |conn| {
            let scope = result_scope(conn, &p)?;
            let mut q = digital_results::table
                .select(DigitalResult::as_select())
                .order((
                    digital_results::created_at.desc(),
                    digital_results::id.desc(),
                ))
                .limit(limit + 1)
                .into_boxed();
            q = crate::scope_filter!(
                q,
                scope,
                commune = digital_results::commune_code,
                province = digital_results::province_code,
                owner = digital_results::owner_user_id,
                identity = digital_results::owner_id_number,
            );
            if let Some(code) = f.dossier_code {
                let id: Option<String> = dossiers::table
                    .filter(dossiers::code.eq(code))
                    .select(dossiers::id)
                    .first(conn)
                    .optional()?;
                q = q.filter(digital_results::dossier_id.eq(id.unwrap_or_default()));
            }
            if let Some(s) = f.status {
                q = q.filter(digital_results::status.eq(s));
            }
            if let Some(k) = f.kind {
                q = q.filter(digital_results::kind.eq(k));
            }
            if let Some(ResultCursor(at, id)) = after {
                q = q.filter(
                    digital_results::created_at
                        .lt(at)
                        .or(digital_results::created_at
                            .eq(at)
                            .and(digital_results::id.lt(id))),
                );
            }
            let rows: Vec<DigitalResult> = q.load(conn)?;
            let reads: Vec<_> = rows
                .iter()
                .take(limit as usize)
                .map(crate::api::access_log::Read::result)
                .collect();
            let mut views = Vec::with_capacity(rows.len());
            for r in rows {
                let code = dossier_code_of(conn, &r)?;
                views.push(result_view(&st, r, code));
            }
            Ok((
                Page::from_rows(
                    views,
                    limit,
                    |v| ResultCursor(v.created_at.naive_utc(), v.id.clone()),
                    |v| v,
                ),
                reads,
            ))
        })
        .await?;
    let (page, reads) = page;
    crate::api::access_log::record(&state, &auth, "GET /digital-results", reads).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Read a digital result.
///
/// **Roles:** as for the list; anyone else gets 404.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("id" = String, Path, description = "Result id")), responses(
    (status = 200, body = ResultView, headers(("ETag" = String, description = "Record version"))),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such result visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/digital-results/{id}")]
pub async fn get_result(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let st = state.clone();
    let (view, read) = state
        .db(move |conn| {
            let r = load_result(conn, &p, &id)?;
            let code = dossier_code_of(conn, &r)?;
            Ok((
                crate::api::access_log::Read::result(&r),
                result_view(&st, r, code),
            ))
        })
        .await
        .map(|(read, view)| (view, read))?;
    crate::api::access_log::record(&state, &auth, "GET /digital-results/{id}", [read]).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Download a digital result's document.
///
/// **Roles:** as for reading. The bytes are re-hashed before they are served; an altered
/// file is never served (500 `digital_result.integrity_failed`).
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("id" = String, Path, description = "Result id")), responses(
    (status = 200, description = "The PDF", content_type = "application/pdf"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such result visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/digital-results/{id}/file")]
pub async fn download(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let r = state.db(move |conn| load_result(conn, &p, &id)).await?;
    crate::api::access_log::record(
        &state,
        &auth,
        "GET /digital-results/{id}/file",
        [crate::api::access_log::Read::result(&r)],
    )
    .await?;
    let store = FileStore::new(&state.config.upload_dir);
    let sha = r.file_sha256.clone();
    let bytes = web::block(move || store.get(&sha)).await?.map_err(|e| {
        log::error!("digital result {}: stored file failed its check: {e}", r.id);
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "digital_result.integrity_failed",
            "Tệp lưu trữ không còn nguyên vẹn; đã báo quản trị.",
            "The stored file failed its integrity check; administrators are alerted.",
        )
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(content_disposition(&format!(
            "{}.pdf",
            r.number_symbol.replace('/', "-")
        )))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("etag", format!("\"{}\"", r.file_sha256)))
        .body(bytes))
}

#[derive(Serialize, ToSchema)]
pub struct ResultEventView {
    pub id: i64,
    pub action: String,
    pub actor_id: String,
    pub actor_role: String,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A digital result's history (append-only).
///
/// **Roles:** as for reading.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("id" = String, Path, description = "Result id")), responses(
    (status = 200, body = Vec<ResultEventView>),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such result visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/digital-results/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let (events, read) = state
        .db(move |conn| {
            let r = load_result(conn, &p, &id)?;
            Ok((
                digital_result_events::table
                    .filter(digital_result_events::result_id.eq(&r.id))
                    .order(digital_result_events::id)
                    .select(ResultEvent::as_select())
                    .load(conn)?,
                crate::api::access_log::Read::result(&r),
            ))
        })
        .await?;
    crate::api::access_log::record(&state, &auth, "GET /digital-results/{id}/history", [read])
        .await?;
    Ok(HttpResponse::Ok().json(
        events
            .into_iter()
            .map(|e| ResultEventView {
                data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
                id: e.id,
                action: e.action,
                actor_id: e.actor_id,
                actor_role: e.actor_role,
                reason: e.reason,
                at: utc(e.created_at),
            })
            .collect::<Vec<_>>(),
    ))
}

// ---------------------------------------------------------------- revoke, supersede

#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Ban hành nhầm đối tượng"}))]
pub struct RevokeRequest {
    #[validate(length(min = 1, max = 2000))]
    pub reason: String,
}

fn leader_of(p: &Principal, r: &DigitalResult) -> ApiResult<()> {
    let role_ok = match r.kind.as_str() {
        "certified_copy" => matches!(p.role, Role::Leader | Role::ReceptionOfficer),
        _ => p.role == Role::Leader,
    };
    let place = Place::commune(&r.commune_code, &r.province_code);
    if role_ok
        && access::reach(Resource::DigitalResult, p.role) == access::Reach::Commune
        && access::may_see(p, Resource::DigitalResult, place)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "digital_result.role_not_allowed",
            "Chỉ lãnh đạo của xã ban hành được thu hồi hoặc thay thế.",
            "Only the issuing commune's leader revokes or replaces a result.",
        ))
    }
}

fn active_or_conflict(r: &DigitalResult) -> ApiResult<()> {
    if r.status == "active" {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "digital_result.not_active",
            format!(
                "Kết quả đã {}.",
                if r.status == "revoked" {
                    "bị thu hồi"
                } else {
                    "được thay thế"
                }
            ),
            format!("The result is {}.", r.status),
        ))
    }
}

/// Revoke a digital result.
///
/// **Roles:** `leader` of the issuing commune (and the counter for a certified copy).
/// Nothing is deleted: the result stays, marked revoked with the reason and date, and
/// verification says so. `If-Match` required.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), request_body = RevokeRequest,
    params(("id" = String, Path, description = "Result id"), ("If-Match" = String, Header, description = "ETag of the result")),
    responses(
    (status = 200, body = ResultView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such result visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already revoked or superseded", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale ETag", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Reason missing", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/digital-results/{id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<RevokeRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let reason = nfc(body.0.reason.trim());
    let st = state.clone();
    let view = state
        .db_tx(move |conn| {
            let r = load_result(conn, &p, &id)?;
            leader_of(&p, &r)?;
            active_or_conflict(&r)?;
            let now = crate::clock::now().naive_utc();
            let n = diesel::update(
                digital_results::table
                    .filter(digital_results::id.eq(&r.id))
                    .filter(digital_results::version.eq(if_match.0)),
            )
            .set((
                digital_results::status.eq("revoked"),
                digital_results::revoked_at.eq(now),
                digital_results::revoked_reason.eq(&reason),
                digital_results::version.eq(digital_results::version + 1),
            ))
            .execute(conn)?;
            if n != 1 {
                return Err(ApiError::precondition_failed());
            }
            NewResultEvent {
                result_id: &r.id,
                action: "revoked",
                actor_id: &p.user_id,
                actor_role: p.role.as_str(),
                reason: Some(&reason),
                data: "{}".into(),
                created_at: now,
            }
            .append(conn)?;
            if let Some(did) = &r.dossier_id {
                dossier_event(
                    conn,
                    &p,
                    did,
                    "result_revoked",
                    Some(&reason),
                    serde_json::json!({ "result_id": r.id }),
                )?;
            }
            let r = DigitalResult::find(conn, &r.id)?.ok_or_else(not_found)?;
            let code = dossier_code_of(conn, &r)?;
            Ok(result_view(&st, r, code))
        })
        .await?;
    log::info!("digital result {} revoked by {}", view.id, auth.user_id);
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Replace a digital result with a corrected one.
///
/// **Roles:** as for revoking. Multipart like issuing (`file`, `metadata`, and optional
/// `reason`); the new result names the old one in `supersedes`, the old one becomes
/// `superseded` with `superseded_by`, and both histories record it. `If-Match` is the old
/// result's ETag.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])),
    params(("id" = String, Path, description = "Result id"), ("If-Match" = String, Header, description = "ETag of the result replaced")),
    request_body(content = String, content_type = "multipart/form-data", description = "`file`: PDF; `metadata`: ResultInput as JSON; `reason`: text"),
    responses(
    (status = 201, body = ResultView),
    (status = 400, description = "Malformed multipart or JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such result visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already revoked or superseded", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale ETag", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart, or not a PDF", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid metadata", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/digital-results/{id}/supersede")]
pub async fn supersede(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
    if_match: IfMatch,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let id = id.into_inner();
    let (pr, i) = (p.clone(), id.clone());
    let old = state.db(move |conn| load_result(conn, &pr, &i)).await?;
    leader_of(&p, &old)?;
    let form = read_form(&req, payload, state.config.max_upload_bytes).await?;
    let input: ResultInput = form.json("metadata")?;
    input.check()?;
    let reason = form
        .fields
        .get("reason")
        .map(|r| nfc(r.trim()))
        .filter(|r| !r.is_empty());
    let (sha, size, ct) = store_file(&state, &form, true).await?;
    let st = state.clone();
    let (r, code) = state
        .db_tx(move |conn| {
            let old = load_result(conn, &p, &id)?;
            active_or_conflict(&old)?;
            let commune = crate::db::models::registry::Commune::find(conn, &old.commune_code)?
                .ok_or_else(|| ApiError::internal("commune"))?;
            let owner = Owner {
                commune_code: old.commune_code.clone(),
                province_code: old.province_code.clone(),
                agency: format!("UBND {}", commune.full_name),
                id_number: old.owner_id_number.clone(),
                name: old.owner_name.clone(),
                user_id: old.owner_user_id.clone(),
                dossier_id: old.dossier_id.clone(),
            };
            let new = insert_result(
                conn,
                &st,
                &p,
                &old.kind,
                &owner,
                &input,
                (&sha, size, ct),
                Some(&old.id),
            )?;
            let n = diesel::update(
                digital_results::table
                    .filter(digital_results::id.eq(&old.id))
                    .filter(digital_results::version.eq(if_match.0)),
            )
            .set((
                digital_results::status.eq("superseded"),
                digital_results::superseded_by.eq(&new.id),
                digital_results::version.eq(digital_results::version + 1),
            ))
            .execute(conn)?;
            if n != 1 {
                return Err(ApiError::precondition_failed());
            }
            NewResultEvent {
                result_id: &old.id,
                action: "superseded",
                actor_id: &p.user_id,
                actor_role: p.role.as_str(),
                reason: reason.as_deref(),
                data: serde_json::json!({ "superseded_by": new.id }).to_string(),
                created_at: new.created_at,
            }
            .append(conn)?;
            let code = dossier_code_of(conn, &new)?;
            Ok((new, code))
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(r.version))
        .insert_header(("location", format!("/api/v1/digital-results/{}", r.id)))
        .json(result_view(&state, r, code)))
}

// ---------------------------------------------------------------- public verification

/// What a verifier learns: the status and what the document itself states.
#[derive(Serialize, ToSchema)]
pub struct Verification {
    /// `valid`, `tampered` (the token or the file does not match its seal), `revoked`,
    /// `superseded`, `expired`, or `unknown` (no such result, or a key we never had).
    pub status: &'static str,
    pub document: Option<PublicDocument>,
}

/// The document's own content: nothing about the owner beyond the name printed on it (no
/// digit of the ID number: with the name and a few digits the rest is easily guessed).
#[derive(Serialize, ToSchema)]
pub struct PublicDocument {
    pub document_type: String,
    pub number_symbol: String,
    pub summary: String,
    pub issuing_agency: String,
    pub signer_name: String,
    pub signer_title: String,
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub scope: String,
    pub owner_name: String,
    /// Always `************`: public verification reveals no digit of the ID number.
    pub owner_id_masked: String,
    pub file_sha256: String,
    pub sealed_with: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub superseded_by: Option<String>,
}

fn public_document(r: &DigitalResult) -> PublicDocument {
    let masked = mask_id_number(&r.owner_id_number);
    PublicDocument {
        document_type: r.document_type.clone(),
        number_symbol: r.number_symbol.clone(),
        summary: r.summary.clone(),
        issuing_agency: r.issuing_agency.clone(),
        signer_name: r.signer_name.clone(),
        signer_title: r.signer_title.clone(),
        issued_on: r.issued_on,
        valid_from: r.valid_from,
        valid_until: r.valid_until,
        scope: r.scope.clone(),
        owner_name: r.owner_name.clone(),
        owner_id_masked: masked,
        file_sha256: r.file_sha256.clone(),
        sealed_with: r.seal_kid.clone(),
        revoked_at: r.revoked_at.map(utc),
        revoked_reason: r.revoked_reason.clone(),
        superseded_by: r.superseded_by.clone(),
    }
}

fn status_of(r: &DigitalResult, today: NaiveDate) -> &'static str {
    match r.status.as_str() {
        "revoked" => "revoked",
        "superseded" => "superseded",
        _ if r.valid_until.is_some_and(|u| u < today) || r.valid_from > today => "expired",
        _ => "valid",
    }
}

/// Checks a token (and, if given, the file's hash) against the seal and the records.
fn verify_token(
    conn: &mut DbConn,
    state: &AppState,
    token: &str,
    file_sha: Option<&str>,
) -> ApiResult<Verification> {
    let payload = match state.sealer.verify(token) {
        Ok(p) => p,
        Err(SealError::UnknownKey) => {
            return Ok(Verification {
                status: "unknown",
                document: None,
            })
        }
        Err(_) => {
            return Ok(Verification {
                status: "tampered",
                document: None,
            })
        }
    };
    let Some(r) = DigitalResult::find(conn, &payload.rid)? else {
        return Ok(Verification {
            status: "unknown",
            document: None,
        });
    };
    if payload.h != r.file_sha256 || file_sha.is_some_and(|h| h != r.file_sha256) {
        return Ok(Verification {
            status: "tampered",
            document: Some(public_document(&r)),
        });
    }
    Ok(Verification {
        status: status_of(&r, today()),
        document: Some(public_document(&r)),
    })
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The seal token (from the QR code's URL).
    pub token: String,
}

/// Verify a digital result by its seal.
///
/// **Public** (no login), for the QR code on the document: the seal's signature, then the
/// record: `valid`, `tampered`, `revoked` (with reason and date), `superseded`, `expired`
/// or `unknown`. Not rate-limited: a seal cannot be guessed, and checking one is cheap.
#[utoipa::path(tag = "public", params(TokenQuery), responses(
    (status = 200, body = Verification),
    (status = 400, description = "token missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/public/digital-results/verify")]
pub async fn verify_by_token(
    state: web::Data<AppState>,
    q: web::Query<TokenQuery>,
) -> ApiResult<HttpResponse> {
    let token = q.into_inner().token;
    let st = state.clone();
    let v = state
        .db(move |conn| verify_token(conn, &st, &token, None))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Verify a document file.
///
/// **Public** (no login). Multipart: `file` (the PDF someone handed you) and optionally
/// `token` (its seal). With a token: `tampered` if the file is not the sealed one. Without:
/// the file is looked up by its SHA-256 (`unknown` if no result has it). The file may be at
/// most `MAX_VERIFY_FILE_BYTES` (413), and each client address may verify
/// `PUBLIC_VERIFY_FILES_PER_MINUTE` files a minute (429 with `Retry-After`).
#[utoipa::path(tag = "public",
    request_body(content = String, content_type = "multipart/form-data", description = "`file`: the document; `token`: optional seal"),
    responses(
    (status = 200, body = Verification),
    (status = 400, description = "Malformed multipart, or no file", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File larger than MAX_VERIFY_FILE_BYTES", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "The file is empty", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many verifications from this address (PUBLIC_VERIFY_FILES_PER_MINUTE)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/public/digital-results/verify")]
pub async fn verify_by_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // Public and expensive (a whole file is read and hashed): limited per client address
    // before the body is read, and with its own small size limit.
    let client = super::extract::client_ip(&req);
    if let Err(retry) = state.verify_limiter.check(&client) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "public.rate_limited",
            format!("Kiểm tra quá nhiều lần. Thử lại sau {retry} giây."),
            format!("Too many verifications. Retry in {retry} seconds."),
        )
        .with_header("retry-after", retry.to_string()));
    }
    let form = read_form(&req, payload, state.config.max_verify_file_bytes).await?;
    if form.file.as_ref().is_some_and(|(b, _)| b.is_empty()) {
        return Err(ApiError::invalid_field(
            "file",
            "Tệp rỗng.",
            "The file is empty.",
        ));
    }
    let sha = sha256_hex(&form.file()?.0);
    let token = form
        .fields
        .get("token")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let st = state.clone();
    let v = state
        .db(move |conn| match token {
            Some(t) => verify_token(conn, &st, &t, Some(&sha)),
            None => {
                // The most recent result with this file decides (a re-issue of the same file
                // supersedes the older record).
                let r: Option<DigitalResult> = digital_results::table
                    .filter(digital_results::file_sha256.eq(&sha))
                    .order(digital_results::created_at.desc())
                    .select(DigitalResult::as_select())
                    .first(conn)
                    .optional()?;
                Ok(match r {
                    Some(r) => Verification {
                        status: status_of(&r, today()),
                        document: Some(public_document(&r)),
                    },
                    None => Verification {
                        status: "unknown",
                        document: None,
                    },
                })
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The keys that verify seals.
#[derive(Serialize, ToSchema)]
pub struct KeySet {
    pub keys: Vec<crate::domain::sealing::PublicKey>,
}

/// Public keys of the seals.
///
/// **Public.** Every key that has sealed results (older ones stay after a rotation) and
/// which one seals new ones. A token is `base64url(payload).base64url(Ed25519 signature of
/// the first part)`; the payload's `kid` names the key.
#[utoipa::path(tag = "public", responses((status = 200, body = KeySet)))]
#[get("/public/keys")]
pub async fn keys(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=300"))
        .json(KeySet {
            keys: state.sealer.public_keys(),
        })
}

// ---------------------------------------------------------------- data store and reuse

/// A citizen's e-data store.
#[derive(Serialize, ToSchema)]
pub struct DataStore {
    pub results: Vec<ResultView>,
    /// Components digitized in the citizen's dossiers.
    pub components: Vec<StoredComponent>,
}

#[derive(Serialize, ToSchema)]
pub struct StoredComponent {
    pub dossier_code: String,
    pub document: String,
    pub sha256: String,
    pub attached_at: DateTime<Utc>,
}

/// My e-data store.
///
/// **Roles:** `citizen`: the active results issued to them and the digitized components of
/// their dossiers — what a new dossier can reference instead of a new upload
/// (`POST /dossiers/{code}/attachments/from-result`).
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), responses(
    (status = 200, body = DataStore),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/me/data-store")]
pub async fn data_store(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
) -> ApiResult<HttpResponse> {
    require_role(
        &auth,
        &[Role::Citizen],
        "Kho dữ liệu là của công dân.",
        "The data store belongs to citizens.",
    )?;
    let p = auth.principal.clone();
    let st = state.clone();
    let store = state
        .db(move |conn| {
            let pid = personal_id(conn, &p)?.unwrap_or_else(|| "-".into());
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
                results.push(result_view(&st, r, code));
            }
            let comps: Vec<(String, String, String, NaiveDateTime)> = dossier_attachments::table
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
            Ok(DataStore {
                results,
                components: comps
                    .into_iter()
                    .map(|(c, d, s, t)| StoredComponent {
                        dossier_code: c,
                        document: d,
                        sha256: s,
                        attached_at: utc(t),
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(store))
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"document": "Giấy xác nhận tình trạng hôn nhân", "result_id": "0193a4c2-7b1e-7c3d-9f00-1a2b3c4d5e6f"}))]
pub struct FromResultRequest {
    /// The required document this result stands for.
    #[validate(length(min = 1, max = 500))]
    pub document: String,
    #[validate(length(min = 1, max = 100))]
    pub result_id: String,
}

/// Satisfy a required document with a digital result (no upload).
///
/// **Roles:** as for uploading components. The result must belong to the dossier's owner
/// account (issued to it, or to its verified personal ID) — the ID number typed into the
/// dossier proves nothing — or, for commune staff, be a result of their own commune issued
/// to the applicant they identified at the counter; and it must be active and in force.
/// Anything else is 404 or 409. Recorded as
/// `reused_result` with the result's id (it feeds the data-reuse indicator).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = FromResultRequest,
    params(("code" = String, Path, description = "Dossier code")),
    responses(
    (status = 201, body = AttachmentView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed now", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier, or no such result of this applicant", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The result is revoked, superseded or expired; the dossier is closed; or it already holds MAX_ATTACHMENTS_PER_DOSSIER attachments", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Unknown document", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/attachments/from-result")]
pub async fn attach_result(
    state: web::Data<AppState>,
    auth: Authorized<Uploaders>,
    code: web::Path<String>,
    body: ValidJson<FromResultRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let req = body.0;
    let max = state.config.max_attachments_per_dossier;
    let view = state
        .db_tx(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            check_may_attach(&p, &d)?;
            let document = nfc(req.document.trim());
            check_document(conn, &d, &document)?;
            super::attachments::check_room(conn, &d, max)?;
            attach_from_result(conn, &p, &d, &document, &req.result_id)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
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
pub(crate) fn attach_from_result(
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

// ---------------------------------------------------------------- digitization records

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

#[derive(Serialize, ToSchema)]
pub struct DigitizationView {
    pub id: String,
    pub attachment_id: String,
    pub document: String,
    pub sha256: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub digitized_by: String,
    pub digitized_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

fn digitization_view(r: DigitizationRecord, document: String, sha: String) -> DigitizationView {
    DigitizationView {
        id: r.id,
        attachment_id: r.attachment_id,
        document,
        sha256: sha,
        status: r.status,
        reason: r.reason,
        digitized_by: r.digitized_by,
        digitized_at: utc(r.digitized_at),
        reviewed_by: r.reviewed_by,
        reviewed_at: r.reviewed_at.map(utc),
    }
}

fn load_digitization(conn: &mut DbConn, dossier_id: &str) -> ApiResult<Vec<DigitizationView>> {
    let rows: Vec<(DigitizationRecord, String, String)> = digitization_records::table
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
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(r, d, s)| digitization_view(r, d, s))
        .collect())
}

/// A dossier's digitization records.
///
/// **Roles:** whoever may read the dossier. One record per component digitized at
/// reception: who, when, and the review (pending, approved, rejected with reason).
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = Vec<DigitizationView>),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/digitization")]
pub async fn dossier_digitization(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let rows = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            load_digitization(conn, &d.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows))
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
    #[validate(length(min = 1, max = 1000))]
    pub reason: Option<String>,
}

/// Review a digitized component.
///
/// **Roles:** `reception_officer` or `leader` of the dossier's commune. Pending records
/// only (409 otherwise); a rejection needs its reason.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), request_body = ReviewRequest,
    params(("id" = String, Path, description = "Digitization record id")),
    responses(
    (status = 200, body = DigitizationView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such record in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already reviewed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Reason missing for a rejection", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/digitization-records/{id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
    body: ValidJson<ReviewRequest>,
) -> ApiResult<HttpResponse> {
    require_role(
        &auth,
        &[Role::ReceptionOfficer, Role::Leader],
        "Chỉ cán bộ một cửa hoặc lãnh đạo của xã duyệt số hoá.",
        "Only the commune's counter officer or leader reviews digitization.",
    )?;
    let req = body.0;
    if req.decision == Decision::Reject && req.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        return Err(ApiError::invalid_field(
            "reason",
            "Cần lý do từ chối.",
            "A rejection needs its reason.",
        ));
    }
    let p = auth.principal.clone();
    let id = id.into_inner();
    let view = state
        .db_tx(move |conn| {
            let r: DigitizationRecord = digitization_records::table
                .find(&id)
                .select(DigitizationRecord::as_select())
                .first(conn)
                .optional()?
                .filter(|r| {
                    let place = Place {
                        commune: Some(&r.commune_code),
                        ..Place::default()
                    };
                    access::may_see(&p, Resource::CertificationBook, place)
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
            load_digitization(conn, &r.dossier_id)?
                .into_iter()
                .find(|v| v.id == r.id)
                .ok_or_else(|| ApiError::internal("record vanished"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First Vietnam day (default: 1 January of this year).
    pub from: Option<NaiveDate>,
    /// Last Vietnam day (default: today).
    pub to: Option<NaiveDate>,
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

/// Digitization of a commune's components and results.
///
/// **Roles:** commune staff of that commune, `province_supervisor` of its province,
/// `system_admin`. Counts over dossiers received in the period (components) and dossiers
/// that reached a result in it (results); the shares follow.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), PeriodQuery), responses(
    (status = 200, body = DigitizationStats),
    (status = 400, description = "Malformed dates", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "`to` before `from`", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/communes/{code}/digitization")]
pub async fn commune_digitization(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
    q: web::Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let to = q.to.unwrap_or_else(today);
    let from = q
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if to < from {
        return Err(ApiError::invalid_field(
            "to",
            "`to` trước `from`.",
            "`to` is before `from`.",
        ));
    }
    let p = auth.principal.clone();
    access::require(&p, Resource::CertificationBook)?;
    let stats = state
        .db(move |conn| {
            let commune = crate::db::models::registry::Commune::find(conn, &code)?;
            let visible = commune.as_ref().is_some_and(|c| {
                access::may_see(
                    &p,
                    Resource::CertificationBook,
                    Place::commune(&c.code, &c.province_code),
                )
            });
            if !visible {
                return Err(ApiError::not_found("xã", "Commune"));
            }
            let start =
                crate::domain::calendar::from_local(from.and_hms_opt(0, 0, 0).unwrap_or_default())
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
                    .inner_join(
                        dossiers::table.on(dossiers::id.eq(digitization_records::dossier_id)),
                    )
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
                .filter(dossiers::status.eq_any(["result_ready", "returned"]))
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
        })
        .await?;
    Ok(HttpResponse::Ok().json(stats))
}

// ---------------------------------------------------------------- certification

/// An electronic certification (the `metadata` part, next to the scan in `file`).
#[derive(Serialize, Deserialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"applicant_name": "Nguyễn Thị Hoà", "applicant_id_number": "025190000123", "document_type": "Bằng tốt nghiệp trung học phổ thông",
    "certification_text": "Chứng thực bản sao đúng với bản chính.", "pages": 1, "copies": 1,
    "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã",
    "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFEB7033FB316D672201B7BA4FE", "certificate_subject": "CN=Trần Văn Minh",
                  "certificate_issuer": "CN=Cục Chứng thực số và Bảo mật thông tin", "signed_at": "2026-11-28T02:30:00Z"}}))]
pub struct CertificationInput {
    #[validate(length(min = 1, max = 200))]
    pub applicant_name: String,
    #[validate(length(min = 9, max = 14))]
    pub applicant_id_number: String,
    /// What the original is.
    #[validate(length(min = 1, max = 300))]
    pub document_type: String,
    /// Lời chứng.
    #[validate(length(min = 1, max = 4000))]
    pub certification_text: String,
    #[validate(range(min = 1, max = 10000))]
    pub pages: i32,
    #[validate(range(min = 1, max = 1000))]
    pub copies: i32,
    #[validate(length(min = 1, max = 200))]
    pub signer_name: String,
    #[validate(length(min = 1, max = 200))]
    pub signer_title: String,
    #[validate(nested)]
    pub signature: SignatureInput,
}

#[derive(Serialize, ToSchema)]
pub struct CertificationView {
    pub id: String,
    pub commune_code: String,
    pub year: i32,
    /// Số chứng thực: gapless per commune and year.
    pub book_no: i64,
    /// As written in the book, e.g. `15/2026/SCT/BS`.
    pub number_symbol: String,
    pub certification_text: String,
    pub pages: i32,
    pub copies: i32,
    pub result: ResultView,
    pub created_at: DateTime<Utc>,
}

/// Certify an electronic copy from the original.
///
/// **Roles:** `reception_officer` of a commune. Multipart: `file` (the scan of the original:
/// PDF, JPEG or PNG) and `metadata`. The copy takes the next number of the commune's
/// certification book for the year (gapless across instances) and becomes a sealed
/// digital result (`certified_copy`) of the applicant.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])),
    request_body(content = String, content_type = "multipart/form-data", description = "`file`: the scan; `metadata`: CertificationInput as JSON"),
    responses(
    (status = 201, body = CertificationView),
    (status = 400, description = "Malformed multipart or JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a counter officer", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "File too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart, or not PDF/JPEG/PNG", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid metadata or ID number", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/certifications")]
pub async fn certify(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    require_role(
        &auth,
        &[Role::ReceptionOfficer],
        "Chỉ cán bộ một cửa chứng thực.",
        "Only a counter officer certifies copies.",
    )?;
    let form = read_form(&req, payload, state.config.max_upload_bytes).await?;
    let input: CertificationInput = form.json("metadata")?;
    input.validate().map_err(validation_error)?;
    if crate::domain::identity::validate_personal_id(&input.applicant_id_number, None).is_err() {
        return Err(ApiError::invalid_field(
            "applicant_id_number",
            "Số định danh cá nhân không hợp lệ.",
            "Invalid personal ID number.",
        ));
    }
    let (sha, size, ct) = store_file(&state, &form, false).await?;
    let p = auth.principal.clone();
    let st = state.clone();
    let view = state
        .db_tx(move |conn| {
            let commune_code = p.commune_code.clone().unwrap_or_default();
            let commune = crate::db::models::registry::Commune::find(conn, &commune_code)?
                .ok_or_else(|| ApiError::internal("commune"))?;
            let now = crate::clock::now();
            let year = local_date(now).year();
            // The copy is the account's whose verified identity is the applicant's.
            let owner_user = crate::service::identity::account_with_verified_id(
                conn,
                &input.applicant_id_number,
            )?;
            // The number last: the counter row stays locked only for the inserts below.
            let book_no = next_certification_no(conn, &commune.code, year)?;
            let number_symbol = format!("{book_no}/{year}/SCT/BS");
            let owner = Owner {
                commune_code: commune.code.clone(),
                province_code: commune.province_code.clone(),
                agency: format!("UBND {}", commune.full_name),
                id_number: input.applicant_id_number.clone(),
                name: nfc(input.applicant_name.trim()),
                user_id: owner_user,
                dossier_id: None,
            };
            let result_input = ResultInput {
                document_type: format!(
                    "Bản sao điện tử chứng thực từ bản chính: {}",
                    input.document_type.trim()
                ),
                number_symbol: number_symbol.clone(),
                summary: nfc(input.certification_text.trim()),
                signer_name: input.signer_name.clone(),
                signer_title: input.signer_title.clone(),
                issuing_agency: None,
                issued_on: local_date(now),
                valid_from: None,
                valid_until: None,
                scope: None,
                signature: input.signature.clone(),
            };
            let r = insert_result(
                conn,
                &st,
                &p,
                "certified_copy",
                &owner,
                &result_input,
                (&sha, size, ct),
                None,
            )?;
            let id = uuid::Uuid::now_v7().to_string();
            diesel::insert_into(certifications::table)
                .values((
                    certifications::id.eq(&id),
                    certifications::commune_code.eq(&commune.code),
                    certifications::year.eq(year),
                    certifications::book_no.eq(book_no),
                    certifications::certification_text.eq(nfc(input.certification_text.trim())),
                    certifications::pages.eq(input.pages),
                    certifications::copies.eq(input.copies),
                    certifications::result_id.eq(&r.id),
                    certifications::officer_id.eq(&p.user_id),
                    certifications::created_at.eq(now.naive_utc()),
                ))
                .execute(conn)?;
            Ok(CertificationView {
                id,
                commune_code: commune.code,
                year,
                book_no,
                number_symbol,
                certification_text: nfc(input.certification_text.trim()),
                pages: input.pages,
                copies: input.copies,
                result: result_view(&st, r, None),
                created_at: now,
            })
        })
        .await?;
    log::info!(
        "certification {} in {} by {}",
        view.number_symbol,
        view.commune_code,
        auth.user_id
    );
    Ok(HttpResponse::Created().json(view))
}

#[derive(Serialize, Deserialize)]
struct CertCursor(i32, i64);

/// The certification book.
///
/// **Roles:** commune staff (their commune), `province_supervisor` (`commune_code`
/// required, in its province), `system_admin` (`commune_code` required). Newest first.
#[utoipa::path(tag = "digital-results", security(("bearer" = [])), params(("commune_code" = Option<String>, Query, description = "Commune (supervisors and admins)"), PageParams), responses(
    (status = 200, body = inline(Page<CertificationView>)),
    (status = 400, description = "Malformed cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "commune_code missing or invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/certifications")]
pub async fn list_certifications(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    q: web::Query<std::collections::HashMap<String, String>>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<CertCursor> = page.cursor()?;
    let p = auth.principal.clone();
    let scope = access::require(&p, Resource::CertificationBook)?;
    let commune = match &scope {
        Scope::Commune(c) => c.clone(),
        Scope::Nothing => String::new(),
        _ => q.get("commune_code").cloned().ok_or_else(|| {
            ApiError::invalid_field("commune_code", "Cần mã xã.", "commune_code is required.")
        })?,
    };
    let st = state.clone();
    let page = state
        .db(move |conn| {
            let c = crate::db::models::registry::Commune::find(conn, &commune)?;
            if !c.is_some_and(|c| scope.admits(Place::commune(&c.code, &c.province_code))) {
                return Ok((
                    Page {
                        items: vec![],
                        next_cursor: None,
                    },
                    vec![],
                ));
            }
            let mut q = certifications::table
                .inner_join(digital_results::table)
                .filter(certifications::commune_code.eq(&commune))
                .order((certifications::year.desc(), certifications::book_no.desc()))
                .limit(limit + 1)
                .select((
                    (
                        certifications::id,
                        certifications::year,
                        certifications::book_no,
                        certifications::certification_text,
                        certifications::pages,
                        certifications::copies,
                        certifications::created_at,
                    ),
                    DigitalResult::as_select(),
                ))
                .into_boxed();
            if let Some(CertCursor(y, n)) = after {
                q = q.filter(
                    certifications::year.lt(y).or(certifications::year
                        .eq(y)
                        .and(certifications::book_no.lt(n))),
                );
            }
            type Row = (
                (String, i32, i64, String, i32, i32, NaiveDateTime),
                DigitalResult,
            );
            let rows: Vec<Row> = q.load(conn)?;
            let reads: Vec<_> = rows
                .iter()
                .take(limit as usize)
                .map(|(_, r)| crate::api::access_log::Read::result(r))
                .collect();
            Ok((
                Page::from_rows(
                    rows,
                    limit,
                    |((_, y, n, ..), _)| CertCursor(*y, *n),
                    |((id, year, book_no, text, pages, copies, at), r)| CertificationView {
                        id,
                        commune_code: r.commune_code.clone(),
                        year,
                        book_no,
                        number_symbol: r.number_symbol.clone(),
                        certification_text: text,
                        pages,
                        copies,
                        result: result_view(&st, r, None),
                        created_at: utc(at),
                    },
                ),
                reads,
            ))
        })
        .await?;
    let (page, reads) = page;
    crate::api::access_log::record(&state, &auth, "GET /certifications", reads).await?;
    Ok(HttpResponse::Ok().json(page))
}
