//! Filing a dossier.

use actix_web::{post, web, HttpRequest, HttpResponse};
use validator::Validate;

use super::super::extract::{
    etag, idempotency_key, is_json, parse_json, read_body, validation_error,
};
use crate::api::problems::{JsonBody, NotAuthenticated};
use crate::auth::roles::DossierIntake;
use crate::auth::{Authorized, Principal};
use crate::error::{ApiError, ApiResult};
use crate::service::dossiers::intake::{self, Command, Filed, IntakeRequest, IntakeResponse};
use crate::service::idempotency::{self, Key, Replay};
use crate::state::AppState;

/// File a dossier.
///
/// **Roles:** `reception_officer` (at the counter or by post, for its own commune; the
/// dossier is received at once, numbered and given its appointment date), `citizen` and
/// `portal_client` (online; the dossier waits in `submitted` until an officer receives it).
/// The procedure must be published by the commune; every required document of the case
/// must be among `components` (422 `dossier.missing_documents` lists what is missing).
///
/// `Idempotency-Key` makes a retry safe: the same key with the same body returns the
/// original response (header `Idempotent-Replayed: true`) and never creates a second
/// dossier; the same key with a different body is 422.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = IntakeRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Client-chosen key (1–200 chars) that makes retries safe")),
    responses(
    (status = 201, body = IntakeResponse, headers(("ETag" = String, description = "Record version"), ("Location" = String, description = "The new dossier"))),
    JsonBody, NotAuthenticated,
    (status = 403, description = "Role not allowed, or another commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, missing documents, procedure not published, or an idempotency key reused with another body", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers")]
pub async fn create_dossier(
    state: web::Data<AppState>,
    auth: Authorized<DossierIntake>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (raw, input) = parse_intake(&state, &req, payload).await?;
    let key = idempotency_key(&req)?;
    let principal = auth.principal.clone();
    if let Some(r) = intake::portal_reference(&principal, &input)? {
        if let Some(existing) = existing_push(&state, &principal, r).await? {
            return Ok(existing);
        }
    }
    let portal_reference = input.portal_reference.clone();
    let key = Key::new(&principal.user_id, "create_dossier", key.as_deref(), &raw);
    if let Some(replayed) = stored_response(&state, &key).await? {
        return Ok(replayed);
    }
    let p = principal.clone();
    let cmd = Command {
        input,
        idempotency: key.clone(),
        max_attachments: state.config.max_attachments_per_dossier,
        calendars: state.calendar.clone(),
    };
    let filed = state
        .db_tx(move |conn| intake::receive(conn, &p, &cmd))
        .await?;
    match filed {
        Filed::New {
            code,
            version,
            body,
        } => {
            log::info!(
                "dossier {code} filed by {} ({})",
                principal.user_id,
                principal.role
            );
            Ok(HttpResponse::Created()
                .insert_header(etag(version))
                .insert_header(("location", format!("/api/v1/dossiers/{code}")))
                .content_type("application/json")
                .body(body))
        }
        // A concurrent request with the same key won: answer with what it answered.
        Filed::KeyTaken => stored_response(&state, &key)
            .await?
            .ok_or_else(idempotency::taken_without_response),
        // A concurrent push of the same portal dossier won.
        Filed::PortalReferenceTaken => {
            let r = portal_reference.unwrap_or_default();
            existing_push(&state, &principal, &r)
                .await?
                .ok_or_else(idempotency::taken_without_response)
        }
    }
}

/// The request as JSON (for its idempotency hash) and as an intake, checked.
async fn parse_intake(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<(serde_json::Value, IntakeRequest)> {
    // Parsed by hand (not ValidJson) because the idempotency check needs the parsed body too.
    if !is_json(req) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Nội dung phải là JSON (Content-Type: application/json).",
            "The body must be JSON (Content-Type: application/json).",
        ));
    }
    let body = read_body(req, payload.into_inner(), state.config.max_json_bytes).await?;
    let raw: serde_json::Value = parse_json(&body)?;
    let input: IntakeRequest = parse_json(&body)?;
    input.validate().map_err(validation_error)?;
    intake::check_identity(&input.applicant)?;
    Ok((raw, input))
}

/// The dossier the portal already pushed under this reference, as a 200 with its view.
async fn existing_push(
    state: &AppState,
    p: &Principal,
    reference: &str,
) -> ApiResult<Option<HttpResponse>> {
    let (pr, r) = (p.clone(), reference.to_string());
    let found = state
        .db(move |conn| intake::existing_push(conn, &pr, &r))
        .await?;
    Ok(found.map(|(version, body)| {
        HttpResponse::Ok()
            .insert_header(etag(version))
            .insert_header(("idempotent-replayed", "true"))
            .json(body)
    }))
}

/// The response stored under the idempotency key, sent again.
async fn stored_response(state: &AppState, key: &Option<Key>) -> ApiResult<Option<HttpResponse>> {
    let Some(key) = key.clone() else {
        return Ok(None);
    };
    let stored = state
        .db(move |conn| idempotency::replay(conn, &key))
        .await?;
    Ok(stored.map(replay))
}

fn replay(stored: Replay) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(stored.status)
        .unwrap_or(actix_web::http::StatusCode::CREATED);
    HttpResponse::build(status)
        .insert_header(("idempotent-replayed", "true"))
        .insert_header((
            "location",
            format!("/api/v1/dossiers/{}", stored.resource_id),
        ))
        .content_type("application/json")
        .body(stored.body)
}
