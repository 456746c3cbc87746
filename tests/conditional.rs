//! Conditional reads on both backends: `ETag` on reads, `If-None-Match` → 304 without a body,
//! `Cache-Control`, and a 304 never answered to a caller who may not see the record.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use serde_json::json;

const PROCEDURE: &str = "1.004873";

app_fn! {
    async fn setup(ctx: &TestApp, app: &S) -> String {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let body = json!({
            "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "paper",
            "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung",
                "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
                "documents": [{"name": "Tờ khai", "form": "original"}]}]
        });
        let r = call(app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(&admin)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{KIM_BOI}/procedures/{PROCEDURE}")).insert_header(bearer(&admin))).await;
        assert!(r.status == 201 || r.status == 200, "{}", r.body);
        admin
    }

    async fn get(app: &S, uri: &str, token: Option<&str>, if_none_match: Option<&str>) -> Resp {
        let mut req = TestRequest::get().uri(uri);
        if let Some(t) = token {
            req = req.insert_header(bearer(t));
        }
        if let Some(tag) = if_none_match {
            req = req.insert_header(("if-none-match", tag.to_string()));
        }
        call(app, req).await
    }

    // 200 with a weak tag, then 304 with the same tag, the same Cache-Control and no body.
    async fn revalidates(app: &S, uri: &str, token: Option<&str>, cache_control: &str) -> String {
        let r = get(app, uri, token, None).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.body);
        let tag = r.header("etag").unwrap_or_else(|| panic!("{uri}: no ETag")).to_string();
        assert!(tag.starts_with("W/\""), "{uri}: {tag}");
        assert_eq!(r.header("cache-control"), Some(cache_control), "{uri}");
        if cache_control.starts_with("public") {
            // A shared cache keeps the anonymous answer apart from a credentialed one.
            let vary: Vec<String> = r.headers.get_all("vary").filter_map(|v| v.to_str().ok()).map(str::to_ascii_lowercase).collect();
            assert!(vary.iter().any(|v| v.contains("authorization")), "{uri}: {vary:?}");
        }
        let again = get(app, uri, token, Some(&tag)).await;
        assert_eq!(again.status, 304, "{uri}");
        assert_eq!(again.body, serde_json::Value::Null, "{uri}: a 304 has no body");
        assert_eq!(again.header("etag"), Some(tag.as_str()), "{uri}");
        assert_eq!(again.header("cache-control"), Some(cache_control), "{uri}");
        // Any other tag in the list is not current: the full body again.
        let stale = get(app, uri, token, Some("W/\"1.stale\", \"2\"")).await;
        assert_eq!(stale.status, 200, "{uri}");
        assert_eq!(stale.body, r.body, "{uri}");
        tag
    }
}

both_backends! {
    async fn dossier_reads_revalidate_after_the_scope_check(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        setup(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let body = json!({
            "procedure_code": PROCEDURE,
            "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": "025190000123", "birth_year": 1990,
                          "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi"},
            "summary": "Xác nhận tình trạng hôn nhân",
            "components": [{"document": "Tờ khai", "source": "paper"}]
        });
        let r = call(&app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&officer)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let uri = format!("/api/v1/dossiers/{code}");
        let tag = revalidates(&app, &uri, Some(&officer), "private, no-cache").await;
        assert!(tag.starts_with("W/\"1."), "the record version leads the tag: {tag}");

        // Someone who may not see the dossier gets 404 (or 401), never a 304, whatever tag
        // they send: a 304 would confirm the code exists.
        let (_, stranger) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        for t in [tag.as_str(), "*"] {
            let r = get(&app, &uri, Some(&stranger), Some(t)).await;
            assert_eq!(r.status, 404, "{}", r.body);
            assert_eq!(r.problem_code(), "not_found");
            assert!(r.header("etag").is_none());
            let r = get(&app, &uri, None, Some(t)).await;
            assert_eq!(r.status, 401);
        }

        // The tag covers the body, not only the version: another reader of the same version
        // (a supervisor may take no counter action) gets another tag, and the officer's tag
        // does not revalidate the supervisor's copy.
        let (_, supervisor) = ctx.user(Role::ProvinceSupervisor, None);
        let theirs = get(&app, &uri, Some(&supervisor), Some(&tag)).await;
        assert_eq!(theirs.status, 200, "{}", theirs.body);
        assert_ne!(theirs.header("etag"), Some(tag.as_str()));

        // The read's tag is what a change sends in If-Match; afterwards the old tag is stale.
        let (specialist, _) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let r = call(&app, TestRequest::post().uri(&format!("{uri}/transitions")).insert_header(bearer(&officer))
            .insert_header(("if-match", tag.clone())).set_json(json!({"action": "assign", "assignee_id": specialist.id}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = get(&app, &uri, Some(&officer), Some(&tag)).await;
        assert_eq!(r.status, 200);
        assert!(r.header("etag").unwrap().starts_with("W/\"2."));
        assert_eq!(r.body["version"], 2);
    }

    async fn catalog_and_registry_reads_revalidate_and_may_be_cached(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = setup(&ctx, &app).await;
        let r = call(&app, TestRequest::post().uri("/api/v1/fee-schedules").insert_header(bearer(&admin)).set_json(json!({
            "procedure_code": PROCEDURE, "fee_code": "LP-HT", "kind": "le_phi", "name": "Lệ phí hộ tịch",
            "collection": "on_return", "rule": {"type": "flat", "amount": 5000},
            "scope": "national", "effective_from": "2025-07-01", "legal_basis": "TT 85/2019/TT-BTC"
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let schedule = r.body["id"].as_str().unwrap().to_string();
        let public = "public, max-age=60";
        for uri in [
            format!("/api/v1/procedures/{PROCEDURE}"),
            "/api/v1/procedures".to_string(),
            format!("/api/v1/procedures/{PROCEDURE}/versions"),
            format!("/api/v1/communes/{KIM_BOI}/procedures"),
            format!("/api/v1/communes/{KIM_BOI}"),
            "/api/v1/communes?province_code=25".to_string(),
            "/api/v1/provinces".to_string(),
            "/api/v1/provinces/25".to_string(),
            "/api/v1/fee-schedules".to_string(),
            format!("/api/v1/fee-schedules/{schedule}"),
            "/api-docs/openapi.json".to_string(),
        ] {
            revalidates(&app, &uri, None, public).await;
            // With credentials the answer may depend on who asks: no shared cache keeps it.
            revalidates(&app, &uri, Some(&admin), "private, no-cache").await;
        }
        // A 404 stays a 404 whatever the client holds.
        let r = get(&app, "/api/v1/communes/99999", None, Some("*")).await;
        assert_eq!(r.status, 404);

        // A change makes the old tag stale; the new tag still leads with the version that
        // If-Match checks.
        let uri = format!("/api/v1/communes/{KIM_BOI}");
        let r = get(&app, &uri, None, None).await;
        let tag = r.header("etag").unwrap().to_string();
        assert!(tag.starts_with("W/\"1."), "{tag}");
        let (_, commune_admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&commune_admin))
            .insert_header(("if-match", tag.clone())).set_json(json!({"phone": "0218 3871 234"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = get(&app, &uri, None, Some(&tag)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["contact"]["phone"], "0218 3871 234");
        assert!(r.header("etag").unwrap().starts_with("W/\"2."));
    }
}
