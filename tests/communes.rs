//! The registry: public search (names, former units, accents), contact details by the right admin.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use serde_json::json;

fn codes(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

both_backends! {
    async fn search_by_name_former_unit_and_any_accents(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        for q in ["hoa%20binh", "H%C3%B2a%20B%C3%ACnh", "Ho%C3%A0%20B%C3%ACnh", "HOA%20BINH"] {
            let r = call(&app, TestRequest::get().uri(&format!("/api/v1/communes?q={q}&province_code=25"))).await;
            assert_eq!(r.status, 200);
            assert!(codes(&r).contains(&HOA_BINH.to_string()), "{q}: {:?}", codes(&r));
        }
        // By a former unit's name, with the reason shown.
        let r = call(&app, TestRequest::get().uri("/api/v1/communes?q=V%C4%A9nh%20%C4%90%E1%BB%93ng")).await;
        let items = r.body["items"].as_array().unwrap();
        let kim_boi = items.iter().find(|c| c["code"] == KIM_BOI).expect("Vĩnh Đồng finds Kim Bôi");
        assert!(kim_boi["matched_former_units"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("Vĩnh Đồng")));
        let r = call(&app, TestRequest::get().uri("/api/v1/communes?q=vinh%20dong")).await;
        assert!(codes(&r).contains(&KIM_BOI.to_string()));
    }

    async fn filters_and_pages(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let mut all = Vec::new();
        let mut uri = "/api/v1/communes?province_code=25&limit=100".to_string();
        loop {
            let r = call(&app, TestRequest::get().uri(&uri)).await;
            assert_eq!(r.status, 200);
            all.extend(codes(&r));
            match r.body["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/communes?province_code=25&limit=100&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(all.len(), 148, "Phú Thọ has 148 units");
        let r = call(&app, TestRequest::get().uri("/api/v1/communes?province_code=25&unit_type=phuong&limit=100")).await;
        assert!(codes(&r).contains(&HOA_BINH.to_string()));
        assert!(!codes(&r).contains(&KIM_BOI.to_string()));
        let r = call(&app, TestRequest::get().uri("/api/v1/communes?unit_type=town")).await;
        assert_eq!(r.status, 400);
        let r = call(&app, TestRequest::get().uri("/api/v1/provinces?limit=100")).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "the test database holds two provinces");
        let r = call(&app, TestRequest::get().uri("/api/v1/provinces/25")).await;
        assert_eq!(r.body["name"], "Phú Thọ");
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/provinces/99")).await.status, 404);
    }

    async fn detail_shows_lineage_and_default_agency_code(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}"))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["full_name"], "Xã Kim Bôi");
        assert_eq!(r.body["province_name"], "Tỉnh Phú Thọ");
        assert_eq!(r.body["agency_code"], "H25.04978");
        assert_eq!(r.body["agency_code_is_default"], true);
        let names: Vec<&str> = r.body["predecessors"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.iter().any(|n| n.contains("Vĩnh Đồng")));
        assert!(r.header("etag").unwrap().starts_with("W/\"1."));
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/communes/99999")).await.status, 404);
    }

    async fn contacts_are_edited_by_that_communes_admin_only(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let uri = format!("/api/v1/communes/{KIM_BOI}");
        let body = json!({"phone": "0218 3871 234", "address": "Thôn Bo", "agency_code": "000.25.01.H25"});
        for role in [Role::Citizen, Role::ReceptionOfficer, Role::Specialist, Role::Leader, Role::ProvinceSupervisor, Role::PortalClient] {
            let commune = role.requires_commune().then_some(KIM_BOI);
            let (_, t) = ctx.user(role, commune);
            let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&t)).insert_header(("if-match", "\"1\"")).set_json(&body)).await;
            assert_eq!(r.status, 403, "{role}");
        }
        let (_, other_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&other_admin)).insert_header(("if-match", "\"1\"")).set_json(&body)).await;
        assert_eq!(r.status, 404);
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\"")).set_json(json!({"phone": "abc"}))).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["phone"].is_array());
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\"")).set_json(json!({"agency_code": "h25 x"}))).await;
        assert_eq!(r.status, 422);
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\"")).set_json(&body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["contact"]["phone"], "0218 3871 234");
        assert_eq!(r.body["agency_code"], "000.25.01.H25");
        assert_eq!(r.body["agency_code_is_default"], false);
        assert_eq!(r.header("etag"), Some("\"2\""));
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\"")).set_json(&body)).await;
        assert_eq!(r.status, 412);
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"2\"")).set_json(json!({"agency_code": ""}))).await;
        assert_eq!(r.body["agency_code"], "H25.04978");
        assert_eq!(r.body["contact"]["phone"], "0218 3871 234", "absent fields stay");
    }

    async fn reseeding_keeps_local_edits(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let uri = format!("/api/v1/communes/{KIM_BOI}");
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\"")).set_json(json!({"phone": "0218 111 222"}))).await;
        assert_eq!(r.status, 200);
        let (p, c) = ctx.with_conn(|conn| motcua::cli::seed::seed_registry_of(conn, Some(&["25", "01"])).unwrap());
        assert_eq!((p.inserted, p.updated, c.inserted, c.updated), (0, 0, 0, 0));
        // A newer dataset renames the commune: the name changes, the phone stays.
        ctx.with_conn(|conn| {
            use diesel::prelude::*;
            use motcua::db::schema::communes;
            diesel::update(communes::table.find(KIM_BOI)).set(communes::name.eq("Tên cũ")).execute(conn).unwrap();
            let (_, c) = motcua::cli::seed::seed_registry_of(conn, Some(&["25"])).unwrap();
            assert_eq!(c.updated, 1);
        });
        let r = call(&app, TestRequest::get().uri(&uri)).await;
        assert_eq!(r.body["name"], "Kim Bôi");
        assert_eq!(r.body["contact"]["phone"], "0218 111 222");
    }
}

// The whole registry on a fresh database, once per backend.
both_backends! {
    async fn full_registry_loads_idempotently(ctx) {
        let (p, c) = ctx.with_conn(|conn| motcua::cli::seed::seed_registry(conn).unwrap());
        assert_eq!(p.inserted + p.unchanged, 34);
        assert_eq!(c.inserted + c.unchanged, 3321);
        let (p, c) = ctx.with_conn(|conn| motcua::cli::seed::seed_registry(conn).unwrap());
        assert_eq!((p.unchanged, c.unchanged), (34, 3321));
    }
}
