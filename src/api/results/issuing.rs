//! Issuing a dossier's result; revoking and replacing a result.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{result_input, result_view, store_file, ResultView};
use crate::api::extract::{etag, IfMatch, ValidJson};
use crate::api::multipart::read_form;
use crate::api::problems::{
    DossierNotFound, FileTooLarge, JsonBody, NotAuthenticated, ResultNotFound, RoleNotAllowed,
    Versioned,
};
use crate::auth::roles::AnyRole;
use crate::auth::Authorized;
use crate::domain::text::nfc;
use crate::error::ApiResult;
use crate::service::results::issue as service;
use crate::state::AppState;

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
    NotAuthenticated, DossierNotFound, FileTooLarge,
    (status = 403, description = "Not the commune's leader", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The result is not approved yet, or the dossier ended without one", body = crate::error::Problem, content_type = "application/problem+json"),
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
        .db(move |conn| service::check_issue(conn, &pr, &c))
        .await?;
    let form = read_form(&req, payload, state.config.max_upload_bytes).await?;
    let input = result_input(&form)?;
    let file = store_file(&state, &form, true).await?;
    let st = state.clone();
    let (r, dcode) = state
        .db_tx(move |conn| service::issue(conn, &st.sealer, &p, &code, &input, &file))
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

#[derive(Deserialize, Serialize, Validate, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Ban hành nhầm đối tượng"}))]
pub struct RevokeRequest {
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(min = 1, max = 2000))]
    pub reason: String,
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
    JsonBody, Versioned, NotAuthenticated, RoleNotAllowed, ResultNotFound,
    (status = 409, description = "Already revoked or superseded", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Reason missing", body = crate::error::Problem, content_type = "application/problem+json"),
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
            let (r, code) = service::revoke(conn, &p, &id, if_match.0, &reason)?;
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
    Versioned, NotAuthenticated, RoleNotAllowed, ResultNotFound, FileTooLarge,
    (status = 409, description = "Already revoked or superseded", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not multipart, or not a PDF", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid metadata", body = crate::error::Problem, content_type = "application/problem+json"),
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
    state
        .db(move |conn| service::check_amend(conn, &pr, &i))
        .await?;
    let form = read_form(&req, payload, state.config.max_upload_bytes).await?;
    let input = result_input(&form)?;
    let reason = form
        .fields
        .get("reason")
        .map(|r| nfc(r.trim()))
        .filter(|r| !r.is_empty());
    let file = store_file(&state, &form, true).await?;
    let st = state.clone();
    let (r, code) = state
        .db_tx(move |conn| {
            service::supersede(
                conn,
                &st.sealer,
                &p,
                &id,
                if_match.0,
                &input,
                &file,
                reason.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(r.version))
        .insert_header(("location", format!("/api/v1/digital-results/{}", r.id)))
        .json(result_view(&state, r, code)))
}
