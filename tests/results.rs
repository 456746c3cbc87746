//! Digital results through the real HTTP app, on both backends: issue, verify (token and
//! file), tamper, revoke, supersede, expiry, key rotation, reuse in a new dossier,
//! digitization records, certification numbering under concurrency, and scoping.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::results::{approved, issue, metadata, multipart_post, pdf, setup, PROCEDURE};
use common::*;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

fn form(parts: &[(&str, &str)], file: Option<&[u8]>) -> (String, Vec<u8>) {
    multipart_form(parts, file.map(|b| ("kq.pdf", b)))
}

app_fn! {
    async fn post(app: &S, token: Option<&str>, uri: &str, body: Value) -> Resp {
        let mut r = TestRequest::post().uri(uri).set_json(body);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }

    async fn get(app: &S, token: Option<&str>, uri: &str) -> Resp {
        let mut r = TestRequest::get().uri(uri);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }

    async fn verify(app: &S, token: &str) -> Value {
        get(app, None, &format!("/api/v1/public/digital-results/verify?token={token}")).await.body
    }
}

both_backends! {
    async fn issue_verify_tamper_revoke_supersede(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI, HOA_BINH]).await;
        let code = approved(&app, &who, "025190000101", [None, None]).await;
        // Only the commune's leader issues; a specialist is refused, another commune's leader sees nothing.
        let meta = metadata(None);
        let r = call(&app, multipart_post(&format!("/api/v1/dossiers/{code}/digital-results"), Some(&who.spec), form(&[("metadata", &meta)], Some(&pdf(1))))).await;
        assert_eq!(r.status, 403);
        let (_, other_leader) = ctx.user(Role::Leader, Some(HOA_BINH));
        assert_eq!(issue(&app, &other_leader, &code, 1, None).await.status, 404);
        let r = call(&app, multipart_post(&format!("/api/v1/dossiers/{code}/digital-results"), Some(&who.leader), form(&[("metadata", &meta)], Some(b"not a pdf")))).await;
        assert_eq!(r.status, 415);
        let r = issue(&app, &who.leader, &code, 1, None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let token = r.body["seal_token"].as_str().unwrap().to_string();
        assert!(r.body["verification_url"].as_str().unwrap().ends_with(&token));
        assert_eq!(r.body["seal_kid"], "test-2026");

        // Valid, and the public answer carries the document, not the owner's details.
        let v = verify(&app, &token).await;
        assert_eq!(v["status"], "valid", "{v}");
        assert_eq!(v["document"]["number_symbol"], "125/XN-UBND");
        assert_eq!(v["document"]["owner_id_masked"], "************");
        let text = v.to_string();
        assert!(!text.contains("025190000101") && !text.contains("0912345678") && !text.contains("Thôn Bo") && !text.contains(&code), "{text}");
        // By file: the same file is valid; one changed byte is unknown, or tampered against the seal.
        let r = call(&app, multipart_post("/api/v1/public/digital-results/verify", None, form(&[], Some(&pdf(1))))).await;
        assert_eq!(r.body["status"], "valid", "{}", r.body);
        let mut bad = pdf(1);
        bad[10] ^= 1;
        let r = call(&app, multipart_post("/api/v1/public/digital-results/verify", None, form(&[], Some(&bad)))).await;
        assert_eq!(r.body["status"], "unknown");
        let r = call(&app, multipart_post("/api/v1/public/digital-results/verify", None, form(&[("token", &token)], Some(&bad)))).await;
        assert_eq!(r.body["status"], "tampered");
        // One changed character of the token.
        let mut t = token.clone().into_bytes();
        let i = t.len() / 3;
        t[i] = if t[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(verify(&app, &String::from_utf8(t).unwrap()).await["status"], "tampered");
        assert_eq!(verify(&app, "garbage").await["status"], "tampered");

        // Supersede: a corrected result replaces it; the old one says so.
        let etag = get(&app, Some(&who.leader), &format!("/api/v1/digital-results/{id}")).await.header("etag").unwrap().to_string();
        let r = call(&app, multipart_post(&format!("/api/v1/digital-results/{id}/supersede"), Some(&who.leader), form(&[("metadata", &meta), ("reason", "Sai ngày sinh")], Some(&pdf(2))))
            .insert_header(("if-match", etag.clone()))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let new_id = r.body["id"].as_str().unwrap().to_string();
        let new_token = r.body["seal_token"].as_str().unwrap().to_string();
        assert_eq!(r.body["supersedes"], id.as_str());
        let v = verify(&app, &token).await;
        assert_eq!((v["status"].as_str(), v["document"]["superseded_by"].as_str()), (Some("superseded"), Some(new_id.as_str())));
        let r = call(&app, multipart_post(&format!("/api/v1/digital-results/{id}/supersede"), Some(&who.leader), form(&[("metadata", &meta)], Some(&pdf(3)))).insert_header(("if-match", "\"2\""))).await;
        assert_eq!(r.status, 409, "already superseded");

        // Revoke the new one: reason and date in the verification; nothing deleted.
        let r = post(&app, Some(&who.leader), &format!("/api/v1/digital-results/{new_id}/revoke"), json!({"reason": "Ban hành nhầm"})).await;
        assert_eq!(r.status, 428);
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/digital-results/{new_id}/revoke")).insert_header(bearer(&who.leader)).insert_header(("if-match", "\"9\"")).set_json(json!({"reason": "x"}))).await;
        assert_eq!(r.status, 412);
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/digital-results/{new_id}/revoke")).insert_header(bearer(&who.officer)).insert_header(("if-match", "\"1\"")).set_json(json!({"reason": "x"}))).await;
        assert_eq!(r.status, 403);
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/digital-results/{new_id}/revoke")).insert_header(bearer(&who.leader)).insert_header(("if-match", "\"1\"")).set_json(json!({"reason": "Ban hành nhầm"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = verify(&app, &new_token).await;
        assert_eq!((v["status"].as_str(), v["document"]["revoked_reason"].as_str()), (Some("revoked"), Some("Ban hành nhầm")));
        assert!(v["document"]["revoked_at"].is_string());
        let r = get(&app, Some(&who.leader), &format!("/api/v1/digital-results/{id}/history")).await;
        let actions: Vec<&str> = r.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["issued", "superseded"]);
        // The dossier's history and the event feed know.
        let r = get(&app, Some(&who.officer), &format!("/api/v1/dossiers/{code}/history")).await;
        let actions: Vec<&str> = r.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"result_issued") && actions.contains(&"result_revoked"), "{actions:?}");
        // The file is served intact to those who may read it.
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/digital-results/{id}/file")).insert_header(bearer(&who.officer))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/pdf"));
    }

    async fn expiry_and_key_rotation(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI, HOA_BINH]).await;
        let code = approved(&app, &who, "025190000102", [None, None]).await;
        let r = issue(&app, &who.leader, &code, 10, Some("2026-11-21")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(verify(&app, r.body["seal_token"].as_str().unwrap()).await["status"], "expired");
        let r = issue(&app, &who.leader, &code, 11, None).await;
        let old_token = r.body["seal_token"].as_str().unwrap().to_string();
        // Rotate: a second instance with a new active key; old seals still verify there.
        let url = ctx.db.url.clone();
        let mut config = test_config(&url);
        config.result_signing_keys = Some(format!("test-2026:{},test-2027:{}A", "A".repeat(43), "B".repeat(42)));
        let state = motcua::state::AppState::new(config, motcua::db::build_pool(&url, 2, std::time::Duration::from_secs(30))).unwrap();
        state.set_migrated();
        let app2 = init_service(motcua::app::build(state)).await;
        assert_eq!(verify(&app2, &old_token).await["status"], "valid");
        let r = issue(&app2, &who.leader, &code, 12, None).await;
        assert_eq!(r.body["seal_kid"], "test-2027");
        let keys = get(&app2, None, "/api/v1/public/keys").await;
        let kids: Vec<(&str, bool)> = keys.body["keys"].as_array().unwrap().iter().map(|k| (k["kid"].as_str().unwrap(), k["active"].as_bool().unwrap())).collect();
        assert_eq!(kids, [("test-2026", false), ("test-2027", true)]);
        // The first instance never had the new key: unknown, never "valid".
        assert_eq!(verify(&app, r.body["seal_token"].as_str().unwrap()).await["status"], "unknown");
    }

    async fn reuse_in_a_new_dossier_and_the_data_store(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI, HOA_BINH]).await;
        let (citizen_user, citizen) = ctx.user(Role::Citizen, None);
        ctx.with_conn(|c| {
            use diesel::prelude::*;
            use motcua::db::schema::users::dsl::*;
            // Verified, as the identity provider or a system administrator would record it.
            diesel::update(users.filter(id.eq(&citizen_user.id))).set((personal_id.eq("025190000103"), personal_id_source.eq("system_admin"))).execute(c).unwrap();
        });
        let code = approved(&app, &who, "025190000103", [None, None]).await;
        let r = issue(&app, &who.leader, &code, 20, None).await;
        let rid = r.body["id"].as_str().unwrap().to_string();
        let store = get(&app, Some(&citizen), "/api/v1/me/data-store").await;
        assert_eq!(store.status, 200, "{}", store.body);
        assert_eq!(store.body["results"][0]["id"], rid.as_str());
        assert_eq!(get(&app, Some(&who.officer), "/api/v1/me/data-store").await.status, 403);
        // Filing again: the earlier result stands in for a document, no upload.
        let body = |reference: &str| json!({
            "procedure_code": PROCEDURE,
            "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": "025190000103", "birth_year": 1990, "phone": "0912345678", "address": "Thôn Bo"},
            "components": [{"document": "Tờ khai", "source": "paper"}, {"document": "Giấy xác nhận cũ", "source": "data_store", "reference": reference}]
        });
        let r = post(&app, Some(&who.officer), "/api/v1/dossiers", body("no-such-result")).await;
        assert_eq!(r.status, 422, "{}", r.body);
        // Each component from the store becomes an attachment: no more of them than a
        // dossier may hold (MAX_ATTACHMENTS_PER_DOSSIER, 50 by default), nothing written.
        let mut many = body(&rid);
        let one = many["components"][1].clone();
        many["components"] = json!([{"document": "Tờ khai", "source": "paper"}]);
        for _ in 0..51 { many["components"].as_array_mut().unwrap().push(one.clone()); }
        let before: i64 = ctx.with_conn(|c| { use diesel::prelude::*; motcua::db::schema::dossiers::table.count().get_result(c).unwrap() });
        let r = post(&app, Some(&who.officer), "/api/v1/dossiers", many).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["components"][0].as_str().unwrap().contains("tối đa 50"), "{}", r.body);
        let after: i64 = ctx.with_conn(|c| { use diesel::prelude::*; motcua::db::schema::dossiers::table.count().get_result(c).unwrap() });
        assert_eq!(after, before, "a refused intake writes no dossier");
        let r = post(&app, Some(&who.officer), "/api/v1/dossiers", body(&rid)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code2 = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let r = get(&app, Some(&who.officer), &format!("/api/v1/dossiers/{code2}/attachments")).await;
        let a = &r.body.as_array().unwrap()[0];
        assert_eq!((a["source"].as_str(), a["reused_from"].as_str()), (Some("reused_result"), Some(rid.as_str())), "{a}");
        // Another applicant's result cannot be used.
        let other = approved(&app, &who, "025190000104", [None, None]).await;
        let r = post(&app, Some(&who.officer), &format!("/api/v1/dossiers/{other}/attachments/from-result"), json!({"document": "Giấy xác nhận cũ", "result_id": rid})).await;
        assert_eq!(r.status, 404);
        // The commune's digitization counts see the reuse.
        let r = get(&app, Some(&who.officer), &format!("/api/v1/communes/{KIM_BOI}/digitization?from=2025-01-01")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["components_reused"], 1);
    }

    async fn digitization_records_are_reviewed(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI, HOA_BINH]).await;
        let code = approved(&app, &who, "025190000105", [None, None]).await;
        let f = form(&[("document", "Tờ khai")], Some(&pdf(30)));
        let r = call(&app, multipart_post(&format!("/api/v1/dossiers/{code}/attachments"), Some(&who.officer), f)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = get(&app, Some(&who.officer), &format!("/api/v1/dossiers/{code}/digitization")).await;
        let rec = r.body[0].clone();
        assert_eq!(rec["status"], "pending");
        let id = rec["id"].as_str().unwrap();
        let uri = format!("/api/v1/digitization-records/{id}/review");
        assert_eq!(post(&app, Some(&who.spec), &uri, json!({"decision": "approve"})).await.status, 403);
        let (_, neighbour) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        assert_eq!(post(&app, Some(&neighbour), &uri, json!({"decision": "approve"})).await.status, 404);
        assert_eq!(post(&app, Some(&who.leader), &uri, json!({"decision": "reject"})).await.status, 422);
        let r = post(&app, Some(&who.leader), &uri, json!({"decision": "reject", "reason": "Ảnh mờ"})).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("rejected")));
        assert_eq!(post(&app, Some(&who.leader), &uri, json!({"decision": "approve"})).await.status, 409);
        let r = get(&app, Some(&who.officer), &format!("/api/v1/communes/{KIM_BOI}/digitization?from=2025-01-01")).await;
        assert_eq!((r.body["components_digitized"].as_i64(), r.body["components_rejected"].as_i64()), (Some(1), Some(1)));
        assert_eq!(get(&app, Some(&neighbour), &format!("/api/v1/communes/{KIM_BOI}/digitization")).await.status, 404);
    }

    async fn certification_book_is_gapless_under_concurrency(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        setup(&ctx, &app, &[KIM_BOI, HOA_BINH]).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let meta = |n: u32| json!({
            "applicant_name": "Lê Văn Tám", "applicant_id_number": "025190000106", "document_type": "Bằng tốt nghiệp",
            "certification_text": format!("Chứng thực bản sao đúng với bản chính. Bản {n}."), "pages": 2, "copies": 1,
            "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch",
            "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "1", "certificate_subject": "CN=A", "certificate_issuer": "CN=B", "signed_at": "2026-11-28T01:00:00Z"}
        }).to_string();
        let (_, leader) = ctx.user(Role::Leader, Some(KIM_BOI));
        assert_eq!(call(&app, multipart_post("/api/v1/certifications", Some(&leader), form(&[("metadata", &meta(0))], Some(&pdf(0))))).await.status, 403);
        // Two instances, separate pools, real threads: numbers 1..=16, no gap, no repeat.
        let threads: Vec<_> = (0..2).map(|t| {
            let (url, officer, metas) = (ctx.db.url.clone(), officer.clone(), (0..8).map(|i| meta(t * 8 + i)).collect::<Vec<_>>());
            std::thread::spawn(move || actix_web::rt::System::new().block_on(async move {
                let pool = motcua::db::build_pool(&url, 4, std::time::Duration::from_secs(30));
                let state = motcua::state::AppState::new(test_config(&url), pool).unwrap();
                state.set_migrated();
                let app = init_service(motcua::app::build(state)).await;
                let reqs = metas.iter().enumerate().map(|(i, m)| call(&app, multipart_post("/api/v1/certifications", Some(&officer), form(&[("metadata", m)], Some(&pdf(100 + t * 8 + i as u32))))));
                futures_util::future::join_all(reqs).await.into_iter().map(|r| (r.status.as_u16(), r.body["book_no"].as_i64())).collect::<Vec<_>>()
            }))
        }).collect();
        let mut numbers = Vec::new();
        for t in threads {
            for (status, n) in t.join().unwrap() {
                assert_eq!(status, 201);
                numbers.push(n.unwrap());
            }
        }
        numbers.sort();
        assert_eq!(numbers, (1..=16).collect::<Vec<i64>>());
        let r = get(&app, Some(&officer), "/api/v1/certifications?limit=5").await;
        assert_eq!(r.body["items"][0]["book_no"], 16);
        let year = motcua::domain::calendar::today().format("%Y").to_string();
        assert_eq!(r.body["items"][0]["number_symbol"], format!("16/{year}/SCT/BS"));
        let token = r.body["items"][0]["result"]["seal_token"].as_str().unwrap().to_string();
        assert_eq!(verify(&app, &token).await["status"], "valid");
        // Scope of the results list.
        let (_, neighbour) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        assert_eq!(get(&app, Some(&neighbour), "/api/v1/digital-results").await.body["items"].as_array().unwrap().len(), 0);
        assert_eq!(get(&app, Some(&officer), "/api/v1/digital-results?kind=certified_copy&limit=100").await.body["items"].as_array().unwrap().len(), 16);
        let (_, supervisor) = ctx.user(Role::ProvinceSupervisor, None);
        assert_eq!(get(&app, Some(&supervisor), "/api/v1/digital-results?limit=100").await.body["items"].as_array().unwrap().len(), 16);
        assert_eq!(get(&app, Some(&neighbour), "/api/v1/certifications").await.body["items"].as_array().unwrap().len(), 0);
        assert_eq!(get(&app, None, "/api/v1/digital-results").await.status, 401);
    }
}
