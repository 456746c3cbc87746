//! Where the server and its OpenAPI document must judge a request alike (what a
//! property-based run over the spec checks): `If-Match` is a header with a stated shape, a
//! bad body is refused whatever `If-Match` says, and fee quantities have the shape the
//! schema states.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use serde_json::json;

both_backends! {
    async fn if_match_is_checked_after_the_body_and_the_record(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (admin, token) = ctx.user(Role::SystemAdmin, None);
        let (target, _) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let uri = format!("/api/v1/users/{}", target.id);
        let patch = |if_match: Option<&str>, body: serde_json::Value| {
            let mut r = TestRequest::patch().uri(&uri).insert_header(bearer(&token)).set_json(body);
            if let Some(v) = if_match {
                r = r.insert_header(("if-match", v.to_string()));
            }
            r
        };
        let name = |ctx: &TestApp| ctx.with_conn(|c| motcua::db::models::user::User::find(c, &target.id).unwrap().unwrap().full_name);
        let before = name(&ctx);

        // Not an entity tag: 400 saying so (reloading would not help), nothing changed.
        for bad in ["3", "\"abc\"", "*", "\"\"", "W/\"-1\"", "\"99999999999999999999\""] {
            let r = call(&app, patch(Some(bad), json!({"full_name": "Tên Mới"}))).await;
            assert_eq!(r.status, 400, "{bad}: {}", r.body);
            assert_eq!(r.problem_code(), "precondition.invalid_if_match", "{bad}");
        }
        // Missing: 428.
        let r = call(&app, patch(None, json!({"full_name": "Tên Mới"}))).await;
        assert_eq!(r.status, 428, "{}", r.body);
        // A stale tag with a bad body: the body is judged first (422), not the version.
        let r = call(&app, patch(Some("\"99\""), json!({"full_name": "   "}))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = call(&app, patch(Some("\"99\""), json!({"full_name": 5}))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&token)).insert_header(("if-match", "\"99\""))
            .insert_header(("content-type", "application/json")).set_payload("{\"full_name\":")).await;
        assert_eq!(r.status, 400, "{}", r.body);
        // JSON Schema's integers include `1.0`: accepted where an integer is due.
        let r = call(&app, patch(Some("\"99\""), json!({"active": 1.0}))).await;
        assert_eq!(r.status, 422, "a boolean stays a boolean: {}", r.body);
        // A record that does not exist is 404 whatever tag is sent.
        let r = call(&app, TestRequest::patch().uri("/api/v1/users/no-such-account").insert_header(bearer(&token))
            .insert_header(("if-match", "\"1\"")).set_json(json!({"full_name": "Tên Mới"}))).await;
        assert_eq!(r.status, 404, "{}", r.body);
        // A well-formed stale tag with a good body: 412.
        let r = call(&app, patch(Some("\"99\""), json!({"full_name": "Tên Mới"}))).await;
        assert_eq!(r.status, 412, "{}", r.body);
        assert_eq!(name(&ctx), before);

        // The tag a read hands out is accepted as it is, and so is the weak form of a read
        // served through api/conditional (`W/"<version>.<hash>"`).
        let read = call(&app, TestRequest::get().uri(&uri).insert_header(bearer(&token))).await;
        let tag = read.header("etag").unwrap().to_string();
        assert_eq!(tag, "\"1\"");
        let r = call(&app, patch(Some("W/\"1.q3Jx-_9\""), json!({"full_name": "Tên Mới"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(name(&ctx), "Tên Mới");
        let r = call(&app, patch(Some(&tag), json!({"full_name": "Tên Khác"}))).await;
        assert_eq!(r.status, 412, "the version moved on: {}", r.body);
        let _ = admin;
    }

    async fn every_stated_fee_quantity_has_the_schema_shape(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let quote = |quantities: serde_json::Value| {
            TestRequest::post().uri("/api/v1/fee-schedules/quote").set_json(json!({
                "procedure_code": "9.999999", "commune_code": KIM_BOI, "channel": "counter",
                "fees": {"quantities": quantities}}))
        };
        // A unit no rule reads is still a unit with a count of 1 to 100,000.
        for bad in [json!({"page": 1, "Trang": 1}), json!({"page": 1, "copy": 0}), json!({"x": 100_001})] {
            let r = call(&app, quote(bad.clone())).await;
            assert_eq!(r.status, 422, "{bad}: {}", r.body);
            assert!(r.body["errors"]["fees.quantities"].is_array(), "{bad}: {}", r.body);
        }
        // Well-formed quantities get as far as the catalog (no such procedure here); `3.0`
        // is the integer 3, as JSON Schema counts it, and `2.5` is not an integer.
        for good in [json!({"page": 3, "ban_sao": 100_000}), json!({"page": 3.0})] {
            let r = call(&app, quote(good.clone())).await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(r.body["errors"].get("procedure_code").is_some(), "{good}: {}", r.body);
            assert!(r.body["errors"].get("fees.quantities").is_none(), "{good}: {}", r.body);
        }
        let r = call(&app, quote(json!({"page": 2.5}))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"].get("fees.quantities.page").is_some(), "{}", r.body);
    }
}
