//! Conditional reads: `ETag` on reads, `If-None-Match` → 304, and `Cache-Control`.
//!
//! The tag is a hash of the exact JSON body sent, so it changes whenever anything the body
//! says changes, including parts computed at read time (a dossier's remaining working days
//! and timeliness, a procedure version's status today) that do not touch the row's version.
//! For versioned records the tag also carries the row version in front (`W/"7.…"`), so the
//! tag a client got from a read still works as `If-Match` (which compares only that number).
//!
//! Tags are **weak** (`W/"…"`): the compression layer sends the same JSON as identity, gzip or
//! brotli, and a strong tag would have to differ for each content coding (RFC 9110 §8.8.3).
//! `If-None-Match` uses the weak comparison anyway (§13.1.2), and no JSON read serves ranges,
//! so a weak tag loses nothing here.
//!
//! Handlers call [`reply`] only after the caller's access has been checked and the record
//! loaded, so a 304 never tells anyone that a record they may not see exists.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::IntoResponses;

use crate::error::{ApiError, ApiResult};

/// How long a shared cache or browser may reuse a public catalog or registry read without
/// asking again. Catalog and registry edits are rare; a minute bounds how stale one can be.
pub const PUBLIC_MAX_AGE_SECS: u32 = 60;

/// Who may keep a copy of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caching {
    /// Public catalog and registry data: `public, max-age=60`, unless the request carries
    /// credentials (then `private, no-cache`: the answer may depend on who asks).
    Public,
    /// Personal or role-scoped data: `private, no-cache` (the client keeps it, revalidates
    /// every time, and no shared cache stores it).
    Private,
}

/// 304 Not Modified: the representation the client holds (`If-None-Match`) is current.
#[derive(IntoResponses)]
#[response(
    status = 304,
    description = "Not Modified: the `If-None-Match` tag is current (no body)"
)]
pub struct NotModified;

/// The weak tag of a body, with the record version in front when there is one.
pub fn tag_of(version: Option<i64>, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    // 128 bits: collisions between two states of one resource are not a practical concern.
    let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    match version {
        Some(v) => format!("W/\"{v}.{hash}\""),
        None => format!("W/\"{hash}\""),
    }
}

/// Whether `If-None-Match` names this tag (weak comparison: `W/` is ignored on both sides).
pub fn none_match_hits(if_none_match: Option<&HeaderValue>, tag: &str) -> bool {
    let Some(value) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = opaque(tag);
    value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || opaque(candidate) == ours)
}

fn cache_control(req: &HttpRequest, caching: Caching) -> String {
    let credentialed = req.headers().contains_key(header::AUTHORIZATION);
    match caching {
        Caching::Public if !credentialed => format!("public, max-age={PUBLIC_MAX_AGE_SECS}"),
        _ => "private, no-cache".to_string(),
    }
}

/// 200 with the JSON body, its `ETag` and `Cache-Control`; or 304 with the same headers and no
/// body when the client's `If-None-Match` already names this tag.
pub fn reply<T: Serialize>(
    req: &HttpRequest,
    version: Option<i64>,
    caching: Caching,
    body: &T,
) -> ApiResult<HttpResponse> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(reply_bytes(req, version, caching, bytes))
}

/// [`reply`] for a body already serialized (the OpenAPI document, serialized once).
pub fn reply_bytes(
    req: &HttpRequest,
    version: Option<i64>,
    caching: Caching,
    bytes: Vec<u8>,
) -> HttpResponse {
    let tag = tag_of(version, &bytes);
    respond_tagged(req, &tag, caching, bytes)
}

fn respond_tagged(req: &HttpRequest, tag: &str, caching: Caching, bytes: Vec<u8>) -> HttpResponse {
    let control = cache_control(req, caching);
    let current = none_match_hits(req.headers().get(header::IF_NONE_MATCH), tag);
    let mut response = if current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, control));
    if caching == Caching::Public {
        // The answer to a credentialed request may differ (and is private): a shared cache
        // must not hand the anonymous copy to it.
        response.append_header((header::VARY, "Authorization"));
    }
    if current {
        return response.finish();
    }
    response.content_type(mime::APPLICATION_JSON).body(bytes)
}

/// `GET /api-docs/openapi.json`: the spec serialized and tagged once, then served with
/// `ETag`/304 (Swagger UI reloads it on every visit).
pub fn spec_resource(spec: &serde_json::Value) -> actix_web::Resource {
    let bytes = serde_json::to_vec(spec).expect("the OpenAPI document serializes");
    let tag = tag_of(None, &bytes);
    let spec = std::sync::Arc::new((tag, bytes));
    actix_web::web::resource("/api-docs/openapi.json").route(actix_web::web::get().to(
        move |req: HttpRequest| {
            let spec = spec.clone();
            async move { respond_tagged(&req, &spec.0, Caching::Public, spec.1.clone()) }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_follows_the_body_and_carries_the_version() {
        let a = tag_of(Some(3), b"{\"remaining\":2}");
        let b = tag_of(Some(3), b"{\"remaining\":1}");
        assert_ne!(a, b, "a computed part changed, the version did not");
        assert!(a.starts_with("W/\"3."));
        assert!(tag_of(None, b"x").starts_with("W/\""));
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison() {
        let tag = tag_of(Some(1), b"body");
        let strong_form = tag.trim_start_matches("W/").to_string();
        let hit = |v: &str| none_match_hits(Some(&HeaderValue::from_str(v).unwrap()), &tag);
        assert!(hit(&tag));
        assert!(hit(&strong_form));
        assert!(hit(&format!("\"other\", {tag}")));
        assert!(hit("*"));
        assert!(!hit("W/\"1.other\""));
        assert!(!hit("\"1\""));
        assert!(!none_match_hits(None, &tag));
    }
}
