//! Account management: the role × commune matrix, optimistic concurrency, validation.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use serde_json::json;

both_backends! {
    async fn only_admins_reach_the_users_endpoints(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (target, _) = ctx.user(Role::Citizen, Some(KIM_BOI));
        for role in Role::ALL {
            let commune = role.requires_commune().then_some(KIM_BOI);
            let (_, token) = ctx.user(role, commune);
            let list = call(&app, TestRequest::get().uri("/api/v1/users").insert_header(bearer(&token))).await;
            let get = call(&app, TestRequest::get().uri(&format!("/api/v1/users/{}", target.id)).insert_header(bearer(&token))).await;
            let allowed = matches!(role, Role::CommuneAdmin | Role::SystemAdmin);
            if allowed {
                assert_eq!(list.status, 200, "{role}: {}", list.body);
                assert_eq!(get.status, 200, "{role}: {}", get.body);
            } else {
                assert_eq!(list.status, 403, "{role}");
                assert_eq!(list.problem_code(), "auth.role_forbidden");
                assert_eq!(get.status, 403, "{role}");
                let create = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(bearer(&token))
                    .set_json(json!({"username": "x.y.z", "full_name": "X", "password": "mot-mat-khau-dai", "role": "citizen"}))).await;
                assert_eq!(create.status, 403, "{role}");
            }
        }
        let anon = call(&app, TestRequest::get().uri("/api/v1/users")).await;
        assert_eq!(anon.status, 401);
    }

    async fn commune_admin_is_confined_to_its_commune(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, kim_boi_admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (own, _) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (foreign, _) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let auth = bearer(&kim_boi_admin);

        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/users/{}", foreign.id)).insert_header(auth.clone())).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.problem_code(), "not_found");
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/users/{}", foreign.id)).insert_header(auth.clone())
            .insert_header(("if-match", "\"1\"")).set_json(json!({"active": false}))).await;
        assert_eq!(r.status, 404);
        let still_active = ctx.with_conn(|c| motcua::db::models::user::User::find(c, &foreign.id).unwrap().unwrap().active);
        assert!(still_active);

        // The list shows only its commune, whatever filter it asks for.
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/users?commune_code={HOA_BINH}")).insert_header(auth.clone())).await;
        assert_eq!(r.status, 200);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.iter().all(|u| u["commune_code"] == KIM_BOI));
        assert!(items.iter().any(|u| u["id"] == own.id.as_str()));

        // It creates accounts in its own commune (default) and nowhere else.
        let r = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(auth.clone())
            .set_json(json!({"username": "moi.kimboi", "full_name": "Trần Văn Mới", "password": "mat-khau-du-dai", "role": "specialist"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["commune_code"], KIM_BOI);
        assert_eq!(r.header("etag"), Some("\"1\""));
        let r = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(auth.clone())
            .set_json(json!({"username": "moi.hoabinh", "full_name": "X", "password": "mat-khau-du-dai", "role": "specialist", "commune_code": HOA_BINH}))).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.problem_code(), "user.other_commune");

        // Never a role above its own.
        for role in ["system_admin", "province_supervisor", "portal_client"] {
            let r = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(auth.clone())
                .set_json(json!({"username": format!("len.{role}"), "full_name": "X", "password": "mat-khau-du-dai", "role": role}))).await;
            assert_eq!(r.status, 403, "{role}");
            assert_eq!(r.problem_code(), "user.role_not_grantable");
        }
        // Nor promote someone to one.
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/users/{}", own.id)).insert_header(auth.clone())
            .insert_header(("if-match", "\"1\"")).set_json(json!({"role": "system_admin"}))).await;
        assert_eq!(r.status, 403);
    }

    async fn patch_needs_a_current_etag(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let (u, _) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let uri = format!("/api/v1/users/{}", u.id);
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).set_json(json!({"full_name": "Lê Thị Hoà"}))).await;
        assert_eq!(r.status, 428);
        assert_eq!(r.problem_code(), "precondition_required");
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\""))
            .set_json(json!({"full_name": "Lê Thị Hoà", "role": "leader"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("etag"), Some("\"2\""));
        assert_eq!(r.body["role"], "leader");
        assert_eq!(r.body["full_name"], "Lê Thị Hoà");
        // The same ETag again is stale now.
        let r = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\""))
            .set_json(json!({"full_name": "Khác"}))).await;
        assert_eq!(r.status, 412);
        let name = ctx.with_conn(|c| motcua::db::models::user::User::find(c, &u.id).unwrap().unwrap().full_name);
        assert_eq!(name, "Lê Thị Hoà");
        // Search is accent-insensitive.
        let r = call(&app, TestRequest::get().uri("/api/v1/users?q=le%20thi%20hoa").insert_header(bearer(&admin))).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    }

    async fn two_admins_racing_on_one_account_one_wins(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, a) = ctx.user(Role::SystemAdmin, None);
        let (_, b) = ctx.user(Role::SystemAdmin, None);
        let (u, _) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let uri = format!("/api/v1/users/{}", u.id);
        let ra = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&a)).insert_header(("if-match", "\"1\"")).set_json(json!({"full_name": "A"})));
        let rb = call(&app, TestRequest::patch().uri(&uri).insert_header(bearer(&b)).insert_header(("if-match", "\"1\"")).set_json(json!({"full_name": "B"})));
        let (ra, rb) = futures_util::future::join(ra, rb).await;
        let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 412]);
    }

    async fn create_validates_every_field(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(bearer(&admin))
            .set_json(json!({"username": "A B", "full_name": "", "password": "short", "role": "specialist",
                             "commune_code": "123", "personal_id": "12345"}))).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.problem_code(), "validation");
        for field in ["username", "full_name", "password", "commune_code", "personal_id"] {
            assert!(r.body["errors"].get(field).is_some(), "no error for {field}: {}", r.body);
        }
        let r = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(bearer(&admin))
            .set_json(json!({"username": "ok.name", "full_name": "Tên", "password": "mat-khau-du-dai", "role": "specialist", "commune_code": "99999"}))).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["commune_code"].is_array());
        let r = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(bearer(&admin))
            .set_json(json!({"username": "ok.name", "full_name": "Tên", "password": "mat-khau-du-dai", "role": "specialist"}))).await;
        assert_eq!(r.status, 422, "staff without a commune");
        let r = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(bearer(&admin))
            .set_json(json!({"username": "ok.name", "full_name": "Tên", "password": "mat-khau-du-dai", "role": "god"}))).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["role"].is_array());
        let body = json!({"username": "giamsat.phutho", "full_name": "Giám sát", "password": "mat-khau-du-dai", "role": "province_supervisor", "province_code": "25"});
        assert_eq!(call(&app, TestRequest::post().uri("/api/v1/users").insert_header(bearer(&admin)).set_json(&body)).await.status, 201);
        let dup = call(&app, TestRequest::post().uri("/api/v1/users").insert_header(bearer(&admin)).set_json(&body)).await;
        assert_eq!(dup.status, 409);
        assert_eq!(dup.problem_code(), "user.username_taken");
        let count = ctx.with_conn(|c| {
            use diesel::prelude::*;
            motcua::db::schema::users::table.filter(motcua::db::schema::users::username.eq("ok.name")).count().get_result::<i64>(c).unwrap()
        });
        assert_eq!(count, 0, "no partial write");
    }

    async fn admin_cannot_lock_itself_out(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (me, token) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/users/{}", me.id)).insert_header(bearer(&token))
            .insert_header(("if-match", "\"1\"")).set_json(json!({"active": false}))).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "user.self_lockout");
    }

    async fn list_pages_with_a_cursor(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        for i in 0..5 {
            ctx.user_named(&format!("hb.{i}"), Role::Specialist, Some(HOA_BINH));
        }
        let mut seen = Vec::new();
        let mut uri = "/api/v1/users?limit=2".to_string();
        loop {
            let r = call(&app, TestRequest::get().uri(&uri).insert_header(bearer(&admin))).await;
            assert_eq!(r.status, 200);
            for u in r.body["items"].as_array().unwrap() {
                seen.push(u["username"].as_str().unwrap().to_string());
            }
            match r.body["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/users?limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 6);
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        let bad = call(&app, TestRequest::get().uri("/api/v1/users?cursor=!!").insert_header(bearer(&admin))).await;
        assert_eq!(bad.status, 400);
        let bad = call(&app, TestRequest::get().uri("/api/v1/users?limit=1000").insert_header(bearer(&admin))).await;
        assert_eq!(bad.status, 422);
        let bad = call(&app, TestRequest::get().uri("/api/v1/users?limit=abc").insert_header(bearer(&admin))).await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.problem_code(), "query.invalid");
    }
}
