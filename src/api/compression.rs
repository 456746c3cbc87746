//! Compressed responses for clients on poor connections: gzip, brotli, zstd or deflate as the
//! client's `Accept-Encoding` prefers, for text-like bodies (JSON, problem+json, CSV, the
//! Swagger UI's scripts and styles) of at least [`MIN_COMPRESSED_BYTES`].
//!
//! actix's `Compress` encodes every body whose type is not an image or video. Three layers
//! around it narrow that down without re-implementing it:
//! - [`mark_uncompressed`] (inside `Compress`) marks bodies not worth encoding with
//!   `Content-Encoding: identity`, which `Compress` leaves alone: small bodies (the
//!   encoding's framing and CPU cost more than they save) and formats that are already
//!   compressed (PDF, XLSX, images);
//! - [`unmark`] (outside `Compress`) removes that marker (RFC 9110 §8.4.1: `identity` is not
//!   sent as a content coding) and renders `Compress`'s own refusal (406, when
//!   `Accept-Encoding` excludes every coding including identity) as problem+json.
//!
//! Compression runs outside `request_context`, so every body, the problem+json of errors
//! included, is final when it is encoded.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use crate::error::{ApiError, Lang, PROBLEM_JSON};

/// Below this many bytes a body is sent as it is (about one TCP segment's payload).
pub const MIN_COMPRESSED_BYTES: u64 = 1024;

const IDENTITY: HeaderValue = HeaderValue::from_static("identity");

/// Whether a body of this type and size is worth encoding.
pub fn worth_compressing(content_type: Option<&str>, size: BodySize) -> bool {
    let large = match size {
        BodySize::None => false,
        BodySize::Sized(n) => n >= MIN_COMPRESSED_BYTES,
        // Streamed bodies (CSV exports, file downloads): their type decides.
        BodySize::Stream => true,
    };
    large && content_type.is_some_and(is_text_like)
}

fn is_text_like(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "image/svg+xml"
                | "application/wasm"
        )
}

/// Inside `Compress`: marks the bodies it must leave alone.
pub async fn mark_uncompressed(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let head = res.response();
    let content_type = head
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !head.headers().contains_key(header::CONTENT_ENCODING)
        && !worth_compressing(content_type, head.body().size())
    {
        res.headers_mut().insert(header::CONTENT_ENCODING, IDENTITY);
    }
    Ok(res)
}

/// Outside `Compress`: removes the marker, and explains a refused `Accept-Encoding`.
pub async fn unmark(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.headers().get(header::CONTENT_ENCODING) == Some(&IDENTITY) {
        res.headers_mut().remove(header::CONTENT_ENCODING);
    }
    // Compress answers 406 itself, before any handler or `request_context` sees the request.
    if res.status() == StatusCode::NOT_ACCEPTABLE
        && !res
            .headers()
            .contains_key(crate::api::middleware::X_REQUEST_ID)
    {
        let error = ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "request.encoding_not_acceptable",
            "Accept-Encoding loại trừ mọi cách mã hoá máy chủ hỗ trợ (br, gzip, deflate, zstd, identity).",
            "Accept-Encoding excludes every coding the server offers (br, gzip, deflate, zstd, identity).",
        );
        let path = res.request().path().to_string();
        let id = uuid::Uuid::new_v4().to_string();
        let problem = error.to_problem(lang, &path, &id);
        let response = HttpResponse::build(StatusCode::NOT_ACCEPTABLE)
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((crate::api::middleware::X_REQUEST_ID, id))
            .content_type(PROBLEM_JSON)
            .body(serde_json::to_vec(&problem).unwrap_or_default());
        let (req, _) = res.into_parts();
        res = ServiceResponse::new(req, response);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_like_bodies_above_the_threshold_are_compressed() {
        let big = BodySize::Sized(MIN_COMPRESSED_BYTES);
        for ct in [
            "application/json",
            "application/problem+json",
            "text/csv; charset=utf-8",
            "text/html",
            "application/javascript",
            "text/css",
            "image/svg+xml",
        ] {
            assert!(worth_compressing(Some(ct), big), "{ct}");
            assert!(worth_compressing(Some(ct), BodySize::Stream), "{ct}");
        }
    }

    #[test]
    fn small_empty_and_already_compressed_bodies_are_not() {
        let small = BodySize::Sized(MIN_COMPRESSED_BYTES - 1);
        assert!(!worth_compressing(Some("application/json"), small));
        assert!(!worth_compressing(Some("application/json"), BodySize::None));
        for ct in [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/zip",
            "application/octet-stream",
        ] {
            assert!(!worth_compressing(Some(ct), BodySize::Stream), "{ct}");
        }
        assert!(!worth_compressing(None, BodySize::Stream));
    }
}
