//! Issue 13, identity and ownership, through the real HTTP app on both backends: reuse of
//! a digital result by who its owner is (hole 1), personal IDs only from verified sources
//! and linking counter dossiers by claim (hole 2), seal tokens without the owner's ID
//! (hole 3), and the applicant's view of a dossier's history.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::results::{applicant, approved, issue, setup, People, PROCEDURE};
use common::*;
use diesel::prelude::*;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

/// Marks an account's personal ID as verified, as the identity provider or a system
/// administrator would (a fixture shortcut for tests that are not about how).
fn verify_identity(ctx: &TestApp, user_id: &str, pid: &str) {
    ctx.with_conn(|c| {
        use motcua::db::schema::users::dsl::*;
        diesel::update(users.filter(id.eq(user_id)))
            .set((personal_id.eq(pid), personal_id_source.eq("system_admin")))
            .execute(c)
            .unwrap();
    });
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

    // A counter dossier of applicant `id` with an issued result: (dossier code, result id, seal token).
    async fn issued(app: &S, who: &People, id: &str, n: u32) -> (String, String, String) {
        let notes = [Some("NOI-BO giao cho chị Hà, hồ sơ người quen"), Some("NOI-BO đã đối chiếu CSDL hộ tịch")];
        let code = approved(app, who, id, notes).await;
        let r = issue(app, &who.leader, &code, n, None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        (code, r.body["id"].as_str().unwrap().to_string(), r.body["seal_token"].as_str().unwrap().to_string())
    }
}

fn count(ctx: &TestApp, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    ctx.with_conn(|c| diesel::sql_query(sql).get_result::<N>(c).unwrap().n)
}

both_backends! {
    // Hole 1: a citizen types the victim's ID number and the victim's result id (readable
    // from the QR seal) into an online intake: refused, nothing written.
    async fn a_result_is_reused_only_by_its_owner(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI]).await;
        let victim_id = "025190000201";
        let (_, rid, _) = issued(&app, &who, victim_id, 1).await;
        let (attacker, attacker_token) = ctx.user(Role::Citizen, None);
        let online = |reference: &str| json!({
            "procedure_code": PROCEDURE, "commune_code": KIM_BOI, "applicant": applicant(victim_id),
            "components": [{"document": "Tờ khai", "source": "paper"}, {"document": "Giấy xác nhận cũ", "source": "data_store", "reference": reference}]
        });
        let r = post(&app, Some(&attacker_token), "/api/v1/dossiers", online(&rid)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.problem_code(), "validation", "{}", r.body);
        assert!(r.body.to_string().contains("components[1].reference"), "{}", r.body);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM dossiers WHERE owner_user_id = '{}'", attacker.id)), 0);
        assert_eq!(count(&ctx, "SELECT COUNT(*) AS n FROM dossier_attachments WHERE source = 'reused_result'"), 0);
        // Nor through the attachment endpoint of the attacker's own dossier.
        let r = post(&app, Some(&attacker_token), "/api/v1/dossiers", json!({
            "procedure_code": PROCEDURE, "commune_code": KIM_BOI, "applicant": applicant(victim_id),
            "components": [{"document": "Tờ khai", "source": "paper"}]
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let own = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let r = post(&app, Some(&attacker_token), &format!("/api/v1/dossiers/{own}/attachments/from-result"), json!({"document": "Giấy xác nhận cũ", "result_id": rid})).await;
        assert_eq!(r.status, 404, "{}", r.body);
        assert_eq!(count(&ctx, "SELECT COUNT(*) AS n FROM dossier_attachments WHERE source = 'reused_result'"), 0);
        // An unverified personal ID on the account changes nothing.
        ctx.with_conn(|c| {
            use motcua::db::schema::users::dsl::*;
            diesel::update(users.filter(id.eq(&attacker.id))).set(personal_id.eq(victim_id)).execute(c).unwrap();
        });
        let r = post(&app, Some(&attacker_token), &format!("/api/v1/dossiers/{own}/attachments/from-result"), json!({"document": "Giấy xác nhận cũ", "result_id": rid})).await;
        assert_eq!(r.status, 404, "{}", r.body);
        assert_eq!(get(&app, Some(&attacker_token), &format!("/api/v1/digital-results/{rid}")).await.status, 404);

        // The owner, whose verified identity is the result's, reuses it online.
        let (owner, owner_token) = ctx.user(Role::Citizen, None);
        verify_identity(&ctx, &owner.id, victim_id);
        let r = post(&app, Some(&owner_token), "/api/v1/dossiers", online(&rid)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM dossier_attachments WHERE source = 'reused_result' AND reused_from = '{rid}'")), 1);
    }

    // Hole 2: a commune admin can no longer make an account "be" someone; a system admin
    // can, audited, once per active citizen account.
    async fn personal_ids_come_only_from_verified_sources(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI]).await;
        let pid = "025190000202";
        let (_, rid, _) = issued(&app, &who, pid, 2).await;
        let (_, commune_admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let body = json!({"username": "ke-mao-danh", "full_name": "Kẻ Mạo Danh", "password": "mat-khau-dai-du-10",
                          "role": "citizen", "commune_code": KIM_BOI, "personal_id": pid});
        let r = post(&app, Some(&commune_admin), "/api/v1/users", body.clone()).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.problem_code(), "user.personal_id_not_allowed");
        assert_eq!(count(&ctx, "SELECT COUNT(*) AS n FROM users WHERE username = 'ke-mao-danh'"), 0);
        // Nor by a PATCH of an existing citizen account of its commune.
        let (c, _) = ctx.user(Role::Citizen, Some(KIM_BOI));
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/users/{}", c.id)).insert_header(bearer(&commune_admin))
            .insert_header(("if-match", "\"1\"")).set_json(json!({"personal_id": pid}))).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM users WHERE personal_id = '{pid}'")), 0);

        // A system admin sets it (after checking papers): recorded, without the number.
        let mut body = body;
        body["username"] = json!("chu-that");
        let r = post(&app, Some(&who.admin), "/api/v1/users", body.clone()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["personal_id"], pid);
        assert_eq!(r.body["personal_id_verified"], true, "{}", r.body);
        assert!(r.body["personal_id_verified_at"].is_string(), "{}", r.body);
        let owner_id = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM identity_events WHERE user_id = '{owner_id}' AND action = 'personal_id_verified'")), 1);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM identity_events WHERE detail LIKE '%{pid}%'")), 0);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM users WHERE id = '{owner_id}' AND personal_id_source = 'system_admin'")), 1);
        // Unique among active citizen accounts: create and patch both refused.
        body["username"] = json!("chu-that-2");
        let r = post(&app, Some(&who.admin), "/api/v1/users", body).await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.problem_code(), "identity.personal_id_taken");
        assert_eq!(count(&ctx, "SELECT COUNT(*) AS n FROM users WHERE username = 'chu-that-2'"), 0);
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/users/{}", c.id)).insert_header(bearer(&who.admin))
            .insert_header(("if-match", "\"1\"")).set_json(json!({"personal_id": pid}))).await;
        assert_eq!(r.status, 409, "{}", r.body);
        // Only citizens carry one.
        let (staff, _) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/users/{}", staff.id)).insert_header(bearer(&who.admin))
            .insert_header(("if-match", "\"1\"")).set_json(json!({"personal_id": "025190000299"}))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM users WHERE id = '{}' AND personal_id IS NULL", staff.id)), 1);

        // The verified account sees its result; a legacy, unverified copy of the number does not.
        let owner = ctx.with_conn(|c| motcua::db::models::user::User::find(c, &owner_id).unwrap().unwrap());
        let owner_token = ctx.token_for(&owner);
        assert_eq!(get(&app, Some(&owner_token), &format!("/api/v1/digital-results/{rid}")).await.status, 200);
        let (legacy, legacy_token) = ctx.user(Role::Citizen, None);
        ctx.with_conn(|c| {
            use motcua::db::schema::users::dsl::*;
            diesel::update(users.filter(id.eq(&legacy.id))).set(personal_id.eq(pid)).execute(c).unwrap();
        });
        assert_eq!(get(&app, Some(&legacy_token), &format!("/api/v1/digital-results/{rid}")).await.status, 404);
        let r = get(&app, Some(&legacy_token), "/api/v1/digital-results").await;
        assert_eq!(r.body["items"].as_array().map(|a| a.len()), Some(0), "{}", r.body);
        let r = get(&app, Some(&legacy_token), "/api/v1/me/data-store").await;
        assert_eq!(r.body["results"].as_array().map(|a| a.len()), Some(0), "{}", r.body);
        // And the account says so: its number is shown, but as unverified.
        let me = get(&app, Some(&legacy_token), "/api/v1/auth/me").await;
        assert_eq!((me.body["personal_id"].as_str(), me.body["personal_id_verified"].as_bool()), (Some(pid), Some(false)), "{}", me.body);
        // New counter intakes go to the verified account only.
        let r = post(&app, Some(&who.officer), "/api/v1/dossiers", json!({
            "procedure_code": PROCEDURE, "applicant": applicant(pid), "components": [{"document": "Tờ khai", "source": "paper"}]
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap();
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM dossiers WHERE code = '{code}' AND owner_user_id = '{owner_id}'")), 1);
    }

    // Hole 2, under concurrency: two system admins verify the same personal ID on two
    // accounts at the same moment; exactly one wins, the other gets 409.
    async fn one_active_citizen_account_per_verified_id_under_concurrency(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin_a) = ctx.user(Role::SystemAdmin, None);
        let (_, admin_b) = ctx.user(Role::SystemAdmin, None);
        let (a, _) = ctx.user(Role::Citizen, None);
        let (b, _) = ctx.user(Role::Citizen, None);
        let patch = |id: &str, token: &str| TestRequest::patch().uri(&format!("/api/v1/users/{id}")).insert_header(bearer(token))
            .insert_header(("if-match", "\"1\"")).set_json(json!({"personal_id": "025190000207"}));
        let (ra, rb) = futures_util::future::join(call(&app, patch(&a.id, &admin_a)), call(&app, patch(&b.id, &admin_b))).await;
        let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", ra.body, rb.body);
        assert_eq!(count(&ctx, "SELECT COUNT(*) AS n FROM users WHERE personal_id = '025190000207'"), 1);
        assert_eq!(count(&ctx, "SELECT COUNT(*) AS n FROM identity_events WHERE action = 'personal_id_verified'"), 1);
    }

    // Hole 2, linking: a counter dossier filed before the applicant had a verified account
    // is claimed with the receipt's code and PIN by the account whose verified ID is the
    // applicant's; its results follow; the link is audited.
    async fn a_counter_dossier_is_claimed_with_the_receipt(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI]).await;
        let pid = "025190000203";
        let (code, rid, _) = issued(&app, &who, pid, 3).await;
        let pin: String = ctx.with_conn(|c| {
            use motcua::db::schema::dossiers::dsl::*;
            dossiers.filter(code.eq(&code)).select(lookup_pin).first(c).unwrap()
        });
        let (holder, holder_token) = ctx.user(Role::Citizen, None);
        let claim = |pin: &str| json!({"code": code, "pin": pin});
        // Unverified account: refused, whatever it holds.
        let r = post(&app, Some(&holder_token), "/api/v1/me/dossiers/claim", claim(&pin)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "identity.not_verified"), "{}", r.body);
        verify_identity(&ctx, &holder.id, pid);
        assert_eq!(get(&app, Some(&holder_token), &format!("/api/v1/dossiers/{code}")).await.status, 404);
        let r = post(&app, Some(&holder_token), "/api/v1/me/dossiers/claim", claim("00000000")).await;
        assert_eq!(r.status, 404, "{}", r.body);
        // Someone else's verified identity with the right PIN: not the applicant.
        let (other, other_token) = ctx.user(Role::Citizen, None);
        verify_identity(&ctx, &other.id, "025190000204");
        let r = post(&app, Some(&other_token), "/api/v1/me/dossiers/claim", claim(&pin)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "identity.not_the_applicant"), "{}", r.body);
        // Staff cannot claim.
        assert_eq!(post(&app, Some(&who.officer), "/api/v1/me/dossiers/claim", claim(&pin)).await.status, 403);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM dossiers WHERE code = '{code}' AND owner_user_id IS NULL")), 1);

        let r = post(&app, Some(&holder_token), "/api/v1/me/dossiers/claim", claim(&pin)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["owner_user_id"], holder.id.as_str());
        assert_eq!(get(&app, Some(&holder_token), &format!("/api/v1/dossiers/{code}")).await.status, 200);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM digital_results WHERE id = '{rid}' AND owner_user_id = '{}'", holder.id)), 1);
        assert_eq!(count(&ctx, &format!("SELECT COUNT(*) AS n FROM identity_events WHERE user_id = '{}' AND action = 'dossier_claimed'", holder.id)), 1);
        // Again: harmless, no second audit entry.
        assert_eq!(post(&app, Some(&holder_token), "/api/v1/me/dossiers/claim", claim(&pin)).await.status, 200);
        assert_eq!(count(&ctx, "SELECT COUNT(*) AS n FROM identity_events WHERE action = 'dossier_claimed'"), 1);
    }

    // Hole 3: the public token and the public verification carry nothing of the ID number;
    // a seal of the old format (with the owner digest) still verifies.
    async fn seals_do_not_leak_the_owner_id(ctx) {
        use base64::Engine;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI]).await;
        let pid = "025190000205";
        let (_, rid, token) = issued(&app, &who, pid, 5).await;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap();
        let payload: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(payload["v"], 2, "{payload}");
        assert!(payload.get("o").is_none(), "{payload}");
        assert!(!token.contains(&motcua::domain::sealing::legacy_owner_digest(pid)));
        let v = get(&app, None, &format!("/api/v1/public/digital-results/verify?token={token}")).await;
        assert_eq!(v.body["status"], "valid", "{}", v.body);
        let masked = v.body["document"]["owner_id_masked"].as_str().unwrap();
        assert!(!masked.chars().any(|c| c.is_ascii_digit()), "{masked}");
        assert!(!v.body.to_string().contains("0205"), "{}", v.body);

        // A format-1 seal (sealed before this change) of the same record still verifies.
        let sha: String = ctx.with_conn(|c| {
            use motcua::db::schema::digital_results::dsl::*;
            digital_results.filter(id.eq(&rid)).select(file_sha256).first(c).unwrap()
        });
        let old = ctx.state.sealer.seal(motcua::domain::sealing::SealPayload {
            v: 1, kid: String::new(), rid: rid.clone(), h: sha,
            o: motcua::domain::sealing::legacy_owner_digest(pid), vf: "2026-11-20".into(), vu: None, iat: 1_790_000_000,
        });
        let v = get(&app, None, &format!("/api/v1/public/digital-results/verify?token={old}")).await;
        assert_eq!(v.body["status"], "valid", "{}", v.body);
    }

    // Issue 13 (11): the applicant reads the steps of their dossier, not the officers'
    // internal notes, raw request bodies or staff account ids; staff read everything.
    async fn the_applicant_reads_the_applicants_history(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let who = setup(&ctx, &app, &[KIM_BOI]).await;
        let pid = "025190000206";
        let (citizen, citizen_token) = ctx.user(Role::Citizen, None);
        verify_identity(&ctx, &citizen.id, pid);
        let (code, _, _) = issued(&app, &who, pid, 6).await;
        let staff = get(&app, Some(&who.officer), &format!("/api/v1/dossiers/{code}/history")).await;
        assert_eq!(staff.status, 200);
        let text = staff.body.to_string();
        assert!(text.contains("NOI-BO") && text.contains(&who.spec_id), "{text}");

        let mine = get(&app, Some(&citizen_token), &format!("/api/v1/dossiers/{code}/history")).await;
        assert_eq!(mine.status, 200, "{}", mine.body);
        let events = mine.body.as_array().unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["receive_at_counter", "assign", "propose_result", "approve_result", "result_issued"]);
        let text = mine.body.to_string();
        assert!(!text.contains("NOI-BO"), "{text}");
        assert!(!text.contains(&who.spec_id) && !text.contains("assignee_id") && !text.contains("\"request\""), "{text}");
        assert!(events.iter().all(|e| e.get("actor_id").is_none()), "{text}");
        assert!(events.iter().all(|e| e["to_status"].is_string() && e["at"].is_string()), "{text}");

        let pin: String = ctx.with_conn(|c| {
            use motcua::db::schema::dossiers::dsl::*;
            dossiers.filter(code.eq(&code)).select(lookup_pin).first(c).unwrap()
        });
        let public = get(&app, None, &format!("/api/v1/public/dossiers/{code}?pin={pin}")).await;
        assert_eq!(public.status, 200, "{}", public.body);
        assert_eq!(public.body["history"].as_array().unwrap().len(), 5);
        let text = public.body.to_string();
        assert!(!text.contains("NOI-BO") && !text.contains(&who.spec_id) && !text.contains(pid), "{text}");
    }
}
