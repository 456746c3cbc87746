//! Digital results (kết quả điện tử) over HTTP: issue, seal, verify, revoke, supersede and
//! reuse; digitization records of components; electronic certification (chứng thực bản sao
//! điện tử từ bản chính) with the commune's yearly book. The use cases are
//! `service::results`.

mod certification;
mod digitization;
mod issuing;
mod read;
mod reuse;
mod verify;

pub use certification::*;
pub use digitization::*;
pub use issuing::*;
pub use read::*;
pub use reuse::*;
pub use verify::*;

use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use validator::Validate;

use super::extract::validation_error;
use super::multipart::Form;
use crate::db::models::result::DigitalResult;
use crate::error::{ApiError, ApiResult};
use crate::files::{sniff_content_type, FileStore};
use crate::service::results::{ResultInput, StoredFile};
use crate::state::AppState;

use crate::clock::utc;

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

/// The `metadata` part of an issue or a replacement, valid.
fn result_input(form: &Form) -> ApiResult<ResultInput> {
    let input: ResultInput = form.json("metadata")?;
    input.validate().map_err(validation_error)?;
    input.check_period()?;
    Ok(input)
}

/// Stores the file (PDF for results; PDF, JPEG or PNG for scans) and returns its hash.
async fn store_file(state: &AppState, form: &Form, pdf_only: bool) -> ApiResult<StoredFile> {
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
    let sha256 = web::block(move || store.put(&b))
        .await?
        .map_err(ApiError::internal)?;
    Ok(StoredFile {
        sha256,
        size,
        content_type,
    })
}
