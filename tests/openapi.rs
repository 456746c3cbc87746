//! The committed spec (openapi/openapi.json) is what the code generates.
//! Regenerate with: `cargo run -- openapi > openapi/openapi.json`
//! (or `UPDATE_OPENAPI=1 cargo test --test openapi`).

use serde_json::Value;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

#[test]
fn committed_spec_matches_the_code() {
    let generated = motcua::openapi::spec_json();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_is_documented() {
    let spec: Value = serde_json::from_str(&motcua::openapi::spec_json()).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: no summary"
            );
            assert!(
                op["description"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: no description"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{what}: no tag"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{what}: no responses");
            let secured = op
                .get("security")
                .and_then(|s| s.as_array())
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let public_ok = op.get("security").is_none()
                || op["security"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r.as_object().unwrap().is_empty());
            if secured && !public_ok {
                assert!(responses.contains_key("401"), "{what}: secured but no 401");
            }
            if let Some(body) = op.get("requestBody") {
                for (ct, media) in body["content"].as_object().unwrap() {
                    let schema_example = media["schema"]["$ref"].as_str().and_then(|r| {
                        let name = r.rsplit('/').next().unwrap();
                        let s = &spec["components"]["schemas"][name];
                        s.get("example").or_else(|| s.get("examples"))
                    });
                    let has = media.get("example").is_some()
                        || media.get("examples").is_some()
                        || schema_example.is_some();
                    assert!(
                        has || ct.starts_with("multipart/"),
                        "{what}: request body {ct} has no example"
                    );
                }
                for code in ["400", "415", "422"] {
                    assert!(
                        responses.contains_key(code),
                        "{what}: takes a body but does not document {code}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_schema_reference_resolves() {
    let text = motcua::openapi::spec_json();
    let spec: Value = serde_json::from_str(&text).unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let prefix = "\"#/components/schemas/";
    let mut missing: Vec<&str> = text
        .match_indices(prefix)
        .map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .filter(|name| !schemas.contains_key(*name))
        .collect();
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "dangling $ref: {missing:?}");
}
