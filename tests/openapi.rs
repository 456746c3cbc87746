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
            let public_ok = op["security"].as_array().is_some_and(|s| s.is_empty())
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

/// Operation ids become function names in generated clients: every operation has one, named
/// in `openapi::OPERATION_IDS`, lowerCamelCase, unique; and every entry there is a route.
#[test]
fn operation_ids_are_unique_named_and_camel_case() {
    let spec = motcua::openapi::spec();
    let mut seen = std::collections::BTreeMap::new();
    let mut keys = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let key = format!("{} {path}", method.to_uppercase());
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(
                motcua::openapi::OPERATION_IDS
                    .iter()
                    .any(|(k, v)| *k == key && *v == id),
                "{key}: name its operation id in openapi::OPERATION_IDS"
            );
            assert!(
                id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{key}: operation id {id:?} is not lowerCamelCase"
            );
            if let Some(other) = seen.insert(id.clone(), key.clone()) {
                panic!("operation id {id} used by {other} and {key}");
            }
            keys.insert(key);
        }
    }
    for (key, _) in motcua::openapi::OPERATION_IDS {
        assert!(
            keys.contains(*key),
            "OPERATION_IDS names {key}, which is not a route"
        );
    }
}

/// What validators and linters ask of the document as a whole.
#[test]
fn document_is_complete_for_tools() {
    let spec = motcua::openapi::spec();
    assert!(
        spec["servers"].as_array().is_some_and(|s| !s.is_empty()),
        "no servers"
    );
    assert!(
        spec["info"]["license"]["url"].is_string(),
        "licence without URL"
    );
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["security"].is_array(),
                "{method} {path}: security not stated"
            );
            let success = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(code, _)| code.starts_with('2') || code.starts_with('3'));
            for (code, r) in success {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path}: {code} not described"
                );
            }
        }
    }
    // Every component schema is reached from an operation.
    let text = spec.to_string();
    for name in spec["components"]["schemas"].as_object().unwrap().keys() {
        let r = format!("\"#/components/schemas/{name}\"");
        assert!(text.contains(&r), "unused schema {name}");
    }
}

/// `Problem` is one object that generators type usefully: its standard members required,
/// problem-specific ones allowed (`additionalProperties: true`), nothing nullable around it.
#[test]
fn problem_schema_is_one_open_object() {
    let spec = motcua::openapi::spec();
    let problem = &spec["components"]["schemas"]["Problem"];
    assert_eq!(problem["type"], "object");
    assert_eq!(problem["additionalProperties"], true);
    assert!(problem.get("allOf").is_none());
    let required: Vec<&str> = problem["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for member in ["type", "title", "status", "detail", "code", "request_id"] {
        assert!(required.contains(&member), "Problem.{member} not required");
    }
    // No object without properties is left closed (generators type it as an empty record).
    fn walk(node: &Value, at: &str) {
        match node {
            Value::Object(map) => {
                if map.get("type") == Some(&Value::from("object")) {
                    assert!(
                        [
                            "properties",
                            "additionalProperties",
                            "$ref",
                            "allOf",
                            "oneOf"
                        ]
                        .iter()
                        .any(|k| map.contains_key(*k)),
                        "{at}: object with no properties and no additionalProperties"
                    );
                }
                for (k, v) in map {
                    if k != "example" && k != "examples" {
                        walk(v, &format!("{at}/{k}"));
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, at)),
            _ => {}
        }
    }
    walk(&spec, "");
}

/// What a response always carries is required in its schema; a request body that may leave
/// it out (serde defaults) names a separate `…Input` schema where it stays optional.
#[test]
fn request_and_response_schemas_split_where_defaults_differ() {
    let spec = motcua::openapi::spec();
    let schemas = &spec["components"]["schemas"];
    let required = |name: &str| -> Vec<String> {
        schemas[name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no required list"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert!(required("Case").contains(&"documents".into()));
    assert!(!required("CaseInput").contains(&"documents".into()));
    assert!(required("RequiredDocument").contains(&"count".into()));
    assert!(!required("RequiredDocumentInput").contains(&"count".into()));
    assert_eq!(
        schemas["ProcedureContentInput"]["properties"]["cases"]["items"]["$ref"],
        "#/components/schemas/CaseInput"
    );
    let body = |path: &str, method: &str| {
        spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    assert_eq!(
        body("/api/v1/procedures", "post")["$ref"],
        "#/components/schemas/ProcedureContentInput"
    );
    assert_eq!(
        body("/api/v1/procedures/import", "post")["items"]["$ref"],
        "#/components/schemas/ProcedureContentInput"
    );
    // The export is a response: it keeps the strict schema.
    let export = &spec["paths"]["/api/v1/procedures/export"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["items"]["$ref"];
    assert_eq!(export, "#/components/schemas/ProcedureContent");
}
