//! Shared error responses for the OpenAPI document: each type below is one
//! `application/problem+json` response (or a set of them) with a fixed status and
//! description, so an operation lists its common errors by name instead of repeating
//! `(status = 4xx, description = "...", body = crate::error::Problem, content_type = "application/problem+json")`.
//!
//! # How to use it in a handler
//!
//! `utoipa::path`'s `responses(...)` takes tuples and `IntoResponses` types side by side; the
//! document orders responses by status, so the order in the list does not matter:
//!
//! ```text
//! use super::problems::{JsonBody, NotAuthenticated, NotSystemAdmin, Versioned};
//!
//! #[utoipa::path(tag = "fees", security(("bearer" = [])), request_body = ScheduleInput, responses(
//!     (status = 201, body = ScheduleView),
//!     JsonBody, NotAuthenticated, NotSystemAdmin,
//!     (status = 422, description = "Invalid rule, scope, dates or procedure", body = crate::error::Problem, content_type = "application/problem+json"),
//! ))]
//! ```
//!
//! Rules:
//! - A response whose meaning is common (not authenticated, a dossier out of scope, a stale
//!   `If-Match`) uses the type here, so the document says it one way everywhere.
//! - Responses whose description says something about the operation ("Username taken…",
//!   "Dossier closed, or it already holds …") stay tuples: they are the operation's documentation.
//! - Sets: [`JsonBody`] (400 Malformed JSON, 413 Body too large, 415 Not JSON) for every body
//!   read with `ValidJson` (it enforces `MAX_JSON_BYTES` everywhere); [`Versioned`] (412 Stale
//!   ETag, 428 If-Match missing) for a change that needs `If-Match`; [`PageQuery`] (400 Invalid
//!   query, 422 Invalid limit) for a paged list. Where an operation lists only part of a set
//!   (its 400 or 422 says more), use the single types ([`InvalidLimit`], [`NotJson`], …).
//! - A new common response: add a type here (one status, one description) rather than a
//!   variant with a different wording; `tools/apply_problems.py` rewrites tuples into these
//!   types. Regenerate the document with `UPDATE_OPENAPI=1 cargo test --test openapi`.

use utoipa::IntoResponses;

use crate::error::Problem;

/// 400: the JSON body does not parse (or does not fit the schema).
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "Malformed JSON",
    content_type = "application/problem+json"
)]
pub struct MalformedJson(pub Problem);

/// 400: a query parameter does not parse.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "Invalid query",
    content_type = "application/problem+json"
)]
pub struct InvalidQuery(pub Problem);

/// 401: no valid access token.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "Not authenticated",
    content_type = "application/problem+json"
)]
pub struct NotAuthenticated(pub Problem);

/// 403: the caller's role may not call the operation at all.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "Role not allowed",
    content_type = "application/problem+json"
)]
pub struct RoleNotAllowed(pub Problem);

/// 403: the operation is for system administrators.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "Not a system administrator",
    content_type = "application/problem+json"
)]
pub struct NotSystemAdmin(pub Problem);

/// 412: `If-Match` names a version that is not the current one.
#[derive(IntoResponses)]
#[response(
    status = 412,
    description = "Stale ETag",
    content_type = "application/problem+json"
)]
pub struct StaleEtag(pub Problem);

/// 413: the body is over the limit.
#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "Body too large",
    content_type = "application/problem+json"
)]
pub struct BodyTooLarge(pub Problem);

/// 415: the body is not `application/json`.
#[derive(IntoResponses)]
#[response(
    status = 415,
    description = "Not JSON",
    content_type = "application/problem+json"
)]
pub struct NotJson(pub Problem);

/// 422: a field of the body breaks its rule (the problem's `errors` names it).
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "Invalid fields",
    content_type = "application/problem+json"
)]
pub struct InvalidFields(pub Problem);

/// 422: a list's `limit` out of range.
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "Invalid limit",
    content_type = "application/problem+json"
)]
pub struct InvalidLimit(pub Problem);

/// 428: a change without `If-Match`.
#[derive(IntoResponses)]
#[response(
    status = 428,
    description = "If-Match missing",
    content_type = "application/problem+json"
)]
pub struct IfMatchMissing(pub Problem);

/// 400: a query parameter or the `cursor` does not parse.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "Malformed query or cursor",
    content_type = "application/problem+json"
)]
pub struct MalformedQueryOrCursor(pub Problem);

/// 403: the caller's role may not take this step in the record's current state.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "Role not allowed now",
    content_type = "application/problem+json"
)]
pub struct RoleNotAllowedNow(pub Problem);

/// 403: the operation is for commune, province or system administrators.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "Not an administrator",
    content_type = "application/problem+json"
)]
pub struct NotAdministrator(pub Problem);

/// 404: no dossier with this code in the caller's scope (out of scope reads as absent).
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such dossier visible to the caller",
    content_type = "application/problem+json"
)]
pub struct DossierNotFound(pub Problem);

/// 404: no digital result with this id in the caller's scope.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such result visible to the caller",
    content_type = "application/problem+json"
)]
pub struct ResultNotFound(pub Problem);

/// 404: no payment with this id in the caller's scope.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such payment visible to the caller",
    content_type = "application/problem+json"
)]
pub struct PaymentNotFound(pub Problem);

/// 404: no province with this code that the caller may see.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such province in the caller's scope",
    content_type = "application/problem+json"
)]
pub struct ProvinceNotInScope(pub Problem);

/// 404: no commune with this code that the caller may see.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such commune in the caller's scope",
    content_type = "application/problem+json"
)]
pub struct CommuneNotInScope(pub Problem);

/// 404: no province with this code.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such province",
    content_type = "application/problem+json"
)]
pub struct ProvinceNotFound(pub Problem);

/// 404: no procedure with this code.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such procedure",
    content_type = "application/problem+json"
)]
pub struct ProcedureNotFound(pub Problem);

/// 413: an uploaded file is over its limit.
#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "File too large",
    content_type = "application/problem+json"
)]
pub struct FileTooLarge(pub Problem);

/// A JSON request body: 400 Malformed JSON, 413 Body too large, 415 Not JSON.
#[derive(IntoResponses)]
pub enum JsonBody {
    #[response(
        status = 400,
        description = "Malformed JSON",
        content_type = "application/problem+json"
    )]
    Malformed(Problem),
    #[response(
        status = 413,
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "Not JSON",
        content_type = "application/problem+json"
    )]
    NotJson(Problem),
}

/// A change of a versioned record: 412 Stale ETag, 428 If-Match missing.
#[derive(IntoResponses)]
pub enum Versioned {
    #[response(
        status = 412,
        description = "Stale ETag",
        content_type = "application/problem+json"
    )]
    Stale(Problem),
    #[response(
        status = 428,
        description = "If-Match missing",
        content_type = "application/problem+json"
    )]
    Missing(Problem),
}

/// A paged list: 400 Invalid query, 422 Invalid limit.
#[derive(IntoResponses)]
pub enum PageQuery {
    #[response(
        status = 400,
        description = "Invalid query",
        content_type = "application/problem+json"
    )]
    Query(Problem),
    #[response(
        status = 422,
        description = "Invalid limit",
        content_type = "application/problem+json"
    )]
    Limit(Problem),
}
