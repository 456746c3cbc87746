//! Responses are compressed as the client prefers (gzip, brotli), only where it pays: text
//! bodies from 1 KiB, never small ones or already-compressed formats; a refused
//! `Accept-Encoding` is a problem, like every other refusal.

mod common;

use std::io::Read;

use actix_web::test::{init_service, TestRequest};
use common::*;
use serde_json::Value;

// Status, headers and the raw (still encoded) body.
app_fn! {
    async fn fetch(app: &S, req: TestRequest) -> (u16, actix_web::http::header::HeaderMap, Vec<u8>) {
        let res = actix_web::test::call_service(app, req.to_request()).await;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = actix_web::test::read_body(res).await.to_vec();
        (status, headers, body)
    }
}

fn header<'a>(h: &'a actix_web::http::header::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

both_backends! {
    async fn json_bodies_are_compressed_as_negotiated(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let spec = "/api-docs/openapi.json";
        let (status, h, plain) = fetch(&app, TestRequest::get().uri(spec)).await;
        assert_eq!(status, 200);
        assert_eq!(header(&h, "content-encoding"), None, "no Accept-Encoding, no coding");
        let plain_json: Value = serde_json::from_slice(&plain).unwrap();

        let (status, h, gz) = fetch(&app, TestRequest::get().uri(spec).insert_header(("accept-encoding", "gzip"))).await;
        assert_eq!(status, 200);
        assert_eq!(header(&h, "content-encoding"), Some("gzip"));
        let vary: Vec<String> = h.get_all("vary").filter_map(|v| v.to_str().ok()).map(str::to_ascii_lowercase).collect();
        assert!(vary.iter().any(|v| v.contains("accept-encoding")), "{vary:?}");
        assert!(gz.len() * 3 < plain.len(), "gzip {} vs plain {} bytes", gz.len(), plain.len());
        assert_eq!(serde_json::from_slice::<Value>(&gunzip(&gz)).unwrap(), plain_json);

        let (_, h, br) = fetch(&app, TestRequest::get().uri(spec).insert_header(("accept-encoding", "gzip;q=0.5, br"))).await;
        assert_eq!(header(&h, "content-encoding"), Some("br"), "the client's preference wins");
        assert_eq!(serde_json::from_slice::<Value>(&unbrotli(&br)).unwrap(), plain_json);

        let (_, h, same) = fetch(&app, TestRequest::get().uri(spec).insert_header(("accept-encoding", "identity"))).await;
        assert_eq!(header(&h, "content-encoding"), None);
        assert_eq!(same, plain);
    }

    async fn small_bodies_and_errors_are_sent_as_they_are(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (status, h, body) = fetch(&app, TestRequest::get().uri("/health").insert_header(("accept-encoding", "gzip, br"))).await;
        assert_eq!(status, 200);
        assert!(body.len() < 1024);
        assert_eq!(header(&h, "content-encoding"), None, "the marker never reaches the client");
        serde_json::from_slice::<Value>(&body).expect("plain JSON");

        // A problem is final before it is encoded: small, so plain, and still problem+json.
        let (status, h, body) = fetch(&app, TestRequest::get().uri("/api/v1/khong-co").insert_header(("accept-encoding", "gzip"))).await;
        assert_eq!(status, 404);
        assert_eq!(header(&h, "content-type"), Some("application/problem+json"));
        assert_eq!(header(&h, "content-encoding"), None);
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["code"], "not_found");
    }

    async fn swagger_ui_assets_are_compressed(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let bundle = "/swagger-ui/swagger-ui-bundle.js";
        let (status, _, plain) = fetch(&app, TestRequest::get().uri(bundle)).await;
        assert_eq!(status, 200);
        let (status, h, br) = fetch(&app, TestRequest::get().uri(bundle).insert_header(("accept-encoding", "br"))).await;
        assert_eq!(status, 200);
        assert_eq!(header(&h, "content-encoding"), Some("br"));
        assert!(br.len() * 3 < plain.len(), "brotli {} vs plain {} bytes", br.len(), plain.len());
        assert_eq!(unbrotli(&br), plain);
    }

    async fn an_encoding_nothing_satisfies_is_a_problem(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri("/api-docs/openapi.json").insert_header(("accept-encoding", "identity;q=0, *;q=0"))).await;
        assert_eq!(r.status, 406);
        assert_eq!(r.problem_code(), "request.encoding_not_acceptable");
        assert!(r.header("x-request-id").is_some());
    }
}
