//! Dossiers through the real HTTP app, on both backends: intake, numbering under
//! concurrency, idempotency, the lifecycle, deadlines, scoping and the public lookup.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use diesel::prelude::*;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

const PROCEDURE: &str = "1.004873";

/// Creates the procedure (3 working days, one required document) and publishes it in
/// Kim Bôi and Hoà Bình.
async fn catalog<S, B>(ctx: &TestApp, app: &S)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let (_, admin) = ctx.user(Role::SystemAdmin, None);
    let body = json!({
        "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "paper",
        "effective_from": "2025-07-01",
        "cases": [{
            "code": "default", "name": "Trường hợp chung",
            "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
            "documents": [
                {"name": "Tờ khai", "form": "original"},
                {"name": "Giấy tờ tùy thân", "form": "copy", "required": false, "from_data_store_allowed": true}
            ]
        }]
    });
    let r = call(
        app,
        TestRequest::post()
            .uri("/api/v1/procedures")
            .insert_header(bearer(&admin))
            .set_json(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for commune in [KIM_BOI, HOA_BINH] {
        let r = call(
            app,
            TestRequest::put()
                .uri(&format!(
                    "/api/v1/communes/{commune}/procedures/{PROCEDURE}"
                ))
                .insert_header(bearer(&admin)),
        )
        .await;
        assert!(r.status == 201 || r.status == 200, "{}", r.body);
    }
}

fn intake_body(id_number: &str) -> Value {
    json!({
        "procedure_code": PROCEDURE,
        "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": id_number, "birth_year": 1990,
                      "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi"},
        "summary": "Xác nhận tình trạng hôn nhân",
        "components": [{"document": "Tờ khai", "source": "paper"}]
    })
}

fn file(token: &str, body: Value) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/dossiers")
        .insert_header(bearer(token))
        .set_json(body)
}

fn act(token: &str, code: &str, etag: &str, body: Value) -> TestRequest {
    TestRequest::post()
        .uri(&format!("/api/v1/dossiers/{code}/transitions"))
        .insert_header(bearer(token))
        .insert_header(("if-match", etag.to_string()))
        .set_json(body)
}

fn today_code_prefix() -> String {
    format!(
        "H25.{KIM_BOI}-{}-",
        motcua::domain::calendar::today().format("%y%m%d")
    )
}

fn dossier_count(ctx: &TestApp) -> i64 {
    ctx.with_conn(|c| {
        motcua::db::schema::dossiers::table
            .count()
            .get_result(c)
            .unwrap()
    })
}

both_backends! {
    async fn counter_intake_numbers_and_gives_a_receipt(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let d = &r.body["dossier"];
        assert_eq!(d["code"], format!("{}0001", today_code_prefix()));
        assert_eq!(d["status"], "received");
        assert_eq!(d["national_status_code"], 2);
        assert_eq!(d["channel"], "counter");
        assert_eq!(d["deadline"]["timeliness"], "on_time");
        assert!(d["deadline"]["due_at"].is_string());
        assert!(d["allowed_actions"].as_array().unwrap().iter().any(|a| a == "start_processing"));
        // An apology slip may be issued up to one working day before the due date (later
        // it is flagged), so it is offered; a certification extension is not (not chứng thực).
        assert!(d["allowed_actions"].as_array().unwrap().iter().any(|a| a == "extend"));
        assert!(!d["allowed_actions"].as_array().unwrap().iter().any(|a| a == "extend_certification"));
        assert_eq!(r.header("etag"), Some("\"1\""));
        let receipt = &r.body["receipt"];
        assert_eq!(receipt["dossier_code"], d["code"]);
        assert_eq!(receipt["lookup_pin"].as_str().unwrap().len(), 8);
        assert_eq!(receipt["due_date"], d["deadline"]["due_date"]);
        assert_eq!(receipt["components"][0]["document"], "Tờ khai");
        let code = d["code"].as_str().unwrap();
        let again = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/receipt")).insert_header(bearer(&officer))).await;
        assert_eq!(again.body["lookup_pin"], receipt["lookup_pin"]);
        let second = call(&app, file(&officer, intake_body("025190000124"))).await;
        assert_eq!(second.body["dossier"]["code"], format!("{}0002", today_code_prefix()));
        let history = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/history")).insert_header(bearer(&officer))).await;
        assert_eq!(history.body.as_array().unwrap().len(), 1);
        assert_eq!(history.body[0]["action"], "receive_at_counter");
    }

    async fn bad_intakes_are_refused_and_consume_no_number(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut missing = intake_body("025190000123");
        missing["components"] = json!([]);
        let r = call(&app, file(&officer, missing)).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.problem_code(), "dossier.missing_documents");
        assert_eq!(r.body["missing_documents"], json!(["Tờ khai"]));

        let mut bad = intake_body("12345");
        bad["applicant"]["phone"] = json!("abc");
        bad["applicant"]["full_name"] = json!("");
        let r = call(&app, file(&officer, bad)).await;
        assert_eq!(r.status, 422);
        for field in ["applicant.phone", "applicant.full_name"] {
            assert!(r.body["errors"].get(field).is_some(), "{field}: {}", r.body);
        }
        // 097 is in the province range but no province; birth year contradicts the ID.
        let r = call(&app, file(&officer, intake_body("097190000123"))).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["applicant.id_number"].is_array());
        let mut wrong_year = intake_body("025190000123");
        wrong_year["applicant"]["birth_year"] = json!(1985);
        assert_eq!(call(&app, file(&officer, wrong_year)).await.status, 422);

        let mut unknown = intake_body("025190000123");
        unknown["procedure_code"] = json!("1.999999");
        assert_eq!(call(&app, file(&officer, unknown)).await.status, 422);
        assert_eq!(dossier_count(&ctx), 0);
        let ok = call(&app, file(&officer, intake_body("025190000123"))).await;
        assert_eq!(ok.body["dossier"]["code"], format!("{}0001", today_code_prefix()), "no number was consumed by failures");

        // Not published in Ba Đình (Hà Nội): refused.
        let (_, hanoi) = ctx.user(Role::ReceptionOfficer, Some(BA_DINH));
        let r = call(&app, file(&hanoi, intake_body("025190000123"))).await;
        assert_eq!(r.problem_code(), "dossier.procedure_not_published");
        // An officer cannot file for another commune.
        let mut other = intake_body("025190000123");
        other["commune_code"] = json!(HOA_BINH);
        assert_eq!(call(&app, file(&officer, other)).await.status, 403);
        // Roles that do not file.
        for role in [Role::Specialist, Role::Leader, Role::CommuneAdmin, Role::ProvinceSupervisor, Role::SystemAdmin] {
            let (_, t) = ctx.user(role, role.requires_commune().then_some(KIM_BOI));
            assert_eq!(call(&app, file(&t, intake_body("025190000123"))).await.status, 403, "{role}");
        }
    }

    async fn retried_intake_with_a_key_creates_one_dossier(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let req = || file(&officer, intake_body("025190000123")).insert_header(("idempotency-key", "quay-1-20261128-0007"));
        let first = call(&app, req()).await;
        let second = call(&app, req()).await;
        assert_eq!(first.status, 201);
        assert_eq!(second.status, 201);
        assert_eq!(second.header("idempotent-replayed"), Some("true"));
        assert_eq!(first.body["dossier"]["code"], second.body["dossier"]["code"]);
        assert_eq!(dossier_count(&ctx), 1);
        let mut changed = intake_body("025190000123");
        changed["summary"] = json!("Khác");
        let r = call(&app, file(&officer, changed).insert_header(("idempotency-key", "quay-1-20261128-0007"))).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.problem_code(), "idempotency.key_reused");
        // Concurrent retries of one key: still one dossier.
        let reqs = (0..8).map(|_| call(&app, file(&officer, intake_body("025190000124")).insert_header(("idempotency-key", "k2"))));
        let results = futures_util::future::join_all(reqs).await;
        assert!(results.iter().all(|r| r.status == 201), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
        let codes: std::collections::HashSet<_> = results.iter().map(|r| r.body["dossier"]["code"].to_string()).collect();
        assert_eq!(codes.len(), 1);
        assert_eq!(dossier_count(&ctx), 2);
    }

    async fn concurrent_intakes_get_unique_gapless_codes(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        // Two app instances with their own pools on one database, on real threads.
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let url = ctx.db.url.clone();
                let officer = officer.clone();
                std::thread::spawn(move || {
                    actix_web::rt::System::new().block_on(async move {
                        let pool = motcua::db::build_pool(&url, 4, std::time::Duration::from_secs(30));
                        let state = motcua::state::AppState::new(test_config(&url), pool).unwrap();
                        state.set_migrated();
                        let app = init_service(motcua::app::build(state)).await;
                        let reqs = (0..15).map(|i| call(&app, file(&officer, intake_body(&format!("0251900{:05}", i)))));
                        futures_util::future::join_all(reqs).await.into_iter().map(|r| (r.status.as_u16(), r.body["dossier"]["code"].as_str().map(str::to_string))).collect::<Vec<_>>()
                    })
                })
            })
            .collect();
        let mut codes = Vec::new();
        for t in threads {
            for (status, code) in t.join().unwrap() {
                assert_eq!(status, 201);
                codes.push(code.unwrap());
            }
        }
        codes.sort();
        let expected: Vec<String> = (1..=30).map(|n| format!("{}{n:04}", today_code_prefix())).collect();
        assert_eq!(codes, expected, "unique and gapless");
    }

    async fn the_whole_lifecycle(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (specialist, spec_token) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let (_, leader) = ctx.user(Role::Leader, Some(KIM_BOI));
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let due0 = r.body["dossier"]["deadline"]["due_at"].as_str().unwrap().to_string();
        let mut etag = r.header("etag").unwrap().to_string();
        let r = call(&app, act(&officer, &code, &etag, json!({"action": "assign", "assignee_id": specialist.id}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "processing");
        assert_eq!(r.body["assignee_id"], specialist.id.as_str());
        etag = r.header("etag").unwrap().to_string();

        let deadline = (motcua::domain::calendar::today() + chrono::Duration::days(10)).to_string();
        let r = call(&app, act(&spec_token, &code, &etag, json!({"action": "request_supplement", "missing_items": ["Bản sao giấy khai sinh"], "deadline": deadline}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "supplement_requested");
        assert_eq!(r.body["national_status_code"], 5);
        assert_eq!(r.body["deadline"]["timeliness"], "paused");
        assert_eq!(r.body["supplement"]["missing_items"][0], "Bản sao giấy khai sinh");
        etag = r.header("etag").unwrap().to_string();

        let r = call(&app, act(&officer, &code, &etag, json!({"action": "submit_supplement"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "processing");
        assert!(r.body["deadline"]["paused_since"].is_null());
        let due1 = r.body["deadline"]["due_at"].as_str().unwrap().to_string();
        assert!(due1 >= due0, "a pause never brings the due date forward");
        etag = r.header("etag").unwrap().to_string();

        let r = call(&app, act(&spec_token, &code, &etag, json!({"action": "propose_result", "comment": "Đủ điều kiện"}))).await;
        assert_eq!(r.body["processing_step"], "result_proposed", "{}", r.body);
        etag = r.header("etag").unwrap().to_string();
        // Not the specialist's to approve.
        let r = call(&app, act(&spec_token, &code, &etag, json!({"action": "approve_result"}))).await;
        assert_eq!(r.status, 403);
        let r = call(&app, act(&leader, &code, &etag, json!({"action": "approve_result"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        etag = r.header("etag").unwrap().to_string();
        let r = call(&app, act(&officer, &code, &etag, json!({"action": "mark_result_ready"}))).await;
        assert_eq!(r.body["status"], "result_ready");
        assert_eq!(r.body["national_status_code"], 9);
        assert_eq!(r.body["deadline"]["timeliness"], "finished_on_time");
        etag = r.header("etag").unwrap().to_string();
        let r = call(&app, act(&officer, &code, &etag, json!({"action": "return_result", "delivery": "counter"}))).await;
        assert_eq!(r.body["status"], "returned");
        assert_eq!(r.body["allowed_actions"], json!([]));
        assert!(r.body["returned_at"].is_string());

        let history = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/history")).insert_header(bearer(&officer))).await;
        let actions: Vec<&str> = history.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["receive_at_counter", "assign", "request_supplement", "submit_supplement", "propose_result", "approve_result", "mark_result_ready", "return_result"]);

        let rate = |t: &str| TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/rating")).insert_header(bearer(t)).set_json(json!({"rating": "satisfied"}));
        assert_eq!(call(&app, rate(&officer)).await.status, 201);
        let again = call(&app, rate(&officer)).await;
        assert_eq!(again.problem_code(), "dossier.already_rated");
    }

    async fn illegal_and_stale_transitions(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "return_result"}))).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "dossier.transition_not_allowed");
        assert!(r.body["allowed_actions"].as_array().unwrap().iter().any(|a| a == "start_processing"));
        let r = call(&app, act(&admin, &code, "\"1\"", json!({"action": "start_processing"}))).await;
        assert_eq!(r.status, 403, "administrators do not process");
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/transitions")).insert_header(bearer(&officer)).set_json(json!({"action": "start_processing"}))).await;
        assert_eq!(r.status, 428);
        let r = call(&app, act(&officer, &code, "\"7\"", json!({"action": "start_processing"}))).await;
        assert_eq!(r.status, 412);
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "fly"}))).await;
        assert_eq!(r.status, 422);
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "assign"}))).await;
        assert_eq!(r.status, 422, "assign needs assignee_id");
        assert!(r.body["errors"]["assignee_id"].is_array());
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "extend_certification", "extension_days": 3, "reason": "Cần xác minh"}))).await;
        assert_eq!(r.status, 422, "at most 2 working days (Decree 23/2015 Art. 21)");
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "extend_certification", "extension_days": 2, "reason": "Cần xác minh"}))).await;
        assert_eq!(r.problem_code(), "dossier.not_certification");
        // Two officers with the same ETag at the same time: exactly one wins.
        let (_, other) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let a = call(&app, act(&officer, &code, "\"1\"", json!({"action": "start_processing"})));
        let b = call(&app, act(&other, &code, "\"1\"", json!({"action": "request_withdrawal", "comment": "Công dân xin rút"})));
        let (a, b) = futures_util::future::join(a, b).await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 412]);
        let events: i64 = ctx.with_conn(|c| motcua::db::schema::dossier_events::table.count().get_result(c).unwrap());
        assert_eq!(events, 2, "the loser wrote nothing");
    }

    async fn extension_keeps_the_dossier_late(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        // Make it overdue: the due instant passed yesterday.
        let past = (chrono::Utc::now() - chrono::Duration::days(1)).naive_utc();
        ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            diesel::update(dossiers::table.filter(dossiers::code.eq(&code))).set(dossiers::due_at.eq(past)).execute(c).unwrap();
        });
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}")).insert_header(bearer(&officer))).await;
        assert_eq!(r.body["deadline"]["timeliness"], "overdue");
        assert!(r.body["allowed_actions"].as_array().unwrap().iter().any(|a| a == "extend"), "late: apology slip offered");
        let overdue = call(&app, TestRequest::get().uri("/api/v1/dossiers?overdue=true").insert_header(bearer(&officer))).await;
        assert_eq!(overdue.body["items"].as_array().unwrap().len(), 1);
        let new_date = (motcua::domain::calendar::today() + chrono::Duration::days(5)).to_string();
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "extend", "new_due_date": new_date, "reason": "Cần xác minh thêm"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["deadline"]["promised_due_date"], new_date.as_str());
        assert_eq!(r.body["deadline"]["extensions"], 1);
        assert_eq!(r.body["deadline"]["timeliness"], "overdue", "still late after the apology");
        // Issued after the due date: recorded, flagged late.
        let history = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/history")).insert_header(bearer(&officer))).await;
        let last = history.body.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "extend");
        assert!(last["data"]["flags"].as_array().unwrap().iter().any(|f| f == "late_apology"), "{last}");
        assert!(!r.body["allowed_actions"].as_array().unwrap().iter().any(|a| a == "extend"));
        // A second apology is refused with its own problem, and writes nothing.
        let later = (motcua::domain::calendar::today() + chrono::Duration::days(9)).to_string();
        let r = call(&app, act(&officer, &code, "\"2\"", json!({"action": "extend", "new_due_date": later, "reason": "Lần hai"}))).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "dossier.apology_already_issued");
        let (extensions, lifecycle): (i32, String) = ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            dossiers::table.filter(dossiers::code.eq(&code)).select((dossiers::extensions, dossiers::lifecycle)).first(c).unwrap()
        });
        assert_eq!(extensions, 1);
        assert!(lifecycle.contains("\"apologies\":1") && lifecycle.contains("\"late_apology\":true"), "{lifecycle}");
    }

    async fn apology_on_time_is_not_flagged(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        // Due in ten working days: well before the last working day before it.
        let far = (chrono::Utc::now() + chrono::Duration::days(20)).naive_utc();
        ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            diesel::update(dossiers::table.filter(dossiers::code.eq(&code))).set(dossiers::due_at.eq(far)).execute(c).unwrap();
        });
        let new_date = (motcua::domain::calendar::today() + chrono::Duration::days(30)).to_string();
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "extend", "new_due_date": new_date, "reason": "Cần xác minh thêm"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let history = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/history")).insert_header(bearer(&officer))).await;
        let last = history.body.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["data"]["flags"], json!(["late_with_apology"]), "{last}");
    }

    async fn scoping_by_role_and_commune(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (citizen, citizen_token) = ctx.user(Role::Citizen, None);
        ctx.with_conn(|c| {
            use motcua::db::schema::users;
            // Verified (identity provider or system admin): counter intakes of this ID are the account's.
            diesel::update(users::table.find(&citizen.id)).set((users::personal_id.eq("025190000123"), users::personal_id_source.eq("idp"))).execute(c).unwrap();
        });
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let get = |t: &str| TestRequest::get().uri(&format!("/api/v1/dossiers/{code}")).insert_header(bearer(t));
        let (_, foreign_officer) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let (_, stranger) = ctx.user(Role::Citizen, None);
        let (_, supervisor) = ctx.user(Role::ProvinceSupervisor, None);
        let (_, portal_hb) = ctx.user(Role::PortalClient, Some(HOA_BINH));
        let (_, leader) = ctx.user(Role::Leader, Some(KIM_BOI));
        let hanoi_supervisor = ctx.with_conn(|c| motcua::service::users::create_account(c, "gs.hanoi", "Giám sát", test_password_hash(), Role::ProvinceSupervisor, None, Some("01".into())).unwrap());
        let hanoi_token = ctx.token_for(&hanoi_supervisor);
        for (who, token, status) in [
            ("officer", &officer, 200), ("leader", &leader, 200), ("owner", &citizen_token, 200), ("supervisor 25", &supervisor, 200),
            ("foreign officer", &foreign_officer, 404), ("stranger", &stranger, 404), ("portal of another commune", &portal_hb, 404),
            ("supervisor 01", &hanoi_token, 404),
        ] {
            assert_eq!(call(&app, get(token)).await.status, status, "{who}");
        }
        let r = call(&app, act(&foreign_officer, &code, "\"1\"", json!({"action": "start_processing"}))).await;
        assert_eq!(r.status, 404);
        let r = call(&app, act(&supervisor, &code, "\"1\"", json!({"action": "start_processing"}))).await;
        assert_eq!(r.status, 403, "supervisors read only");
        // Lists are scoped the same way.
        let list = |t: &str| TestRequest::get().uri("/api/v1/dossiers").insert_header(bearer(t));
        assert_eq!(call(&app, list(&citizen_token)).await.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(call(&app, list(&stranger)).await.body["items"].as_array().unwrap().len(), 0);
        assert_eq!(call(&app, list(&foreign_officer)).await.body["items"].as_array().unwrap().len(), 0);
        assert_eq!(call(&app, list(&supervisor)).await.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(call(&app, list(&hanoi_token)).await.body["items"].as_array().unwrap().len(), 0);
        // The owner may ask to withdraw; a stranger cannot even see it.
        let r = call(&app, act(&citizen_token, &code, "\"1\"", json!({"action": "request_withdrawal"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "withdrawal_requested");
    }

    async fn online_filing_waits_for_reception(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut body = intake_body("025190000123");
        body["commune_code"] = json!(KIM_BOI);
        let r = call(&app, file(&citizen, body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["dossier"]["status"], "submitted");
        assert_eq!(r.body["dossier"]["channel"], "online");
        assert!(r.body["receipt"].is_null());
        assert_eq!(r.body["dossier"]["deadline"]["timeliness"], "not_started");
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let receipt = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/receipt")).insert_header(bearer(&citizen))).await;
        assert_eq!(receipt.problem_code(), "dossier.not_received");
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "receive"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "received");
        assert!(r.body["deadline"]["due_at"].is_string());
        let receipt = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/receipt")).insert_header(bearer(&citizen))).await;
        assert_eq!(receipt.status, 200);
    }

    async fn public_lookup_shows_no_personal_data_and_cannot_be_enumerated(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let pin = r.body["receipt"]["lookup_pin"].as_str().unwrap().to_string();
        let peer: std::net::SocketAddr = "192.0.2.10:4000".parse().unwrap();
        let lookup = |c: &str, p: &str| TestRequest::get().uri(&format!("/api/v1/public/dossiers/{c}?pin={p}")).peer_addr(peer);
        let ok = call(&app, lookup(&code, &pin)).await;
        assert_eq!(ok.status, 200);
        assert_eq!(ok.body["status"], "received");
        assert_eq!(ok.body["commune_name"], "Xã Kim Bôi");
        let text = ok.body.to_string();
        for secret in ["Nguyễn Thị Hoà", "025190000123", "0912345678", "Thôn Bo"] {
            assert!(!text.contains(secret), "leaks {secret}");
        }
        let wrong_pin = call(&app, lookup(&code, "00000000")).await;
        let wrong_code = call(&app, lookup("H25.04978-990101-0001", &pin)).await;
        assert_eq!(wrong_pin.status, 404);
        assert_eq!(wrong_pin.body["detail"], wrong_code.body["detail"]);
        assert_eq!(wrong_pin.body["code"], wrong_code.body["code"]);
        let mut limited = None;
        for _ in 0..40 {
            let r = call(&app, lookup(&code, "11111111")).await;
            if r.status == 429 {
                limited = Some(r);
                break;
            }
        }
        let limited = limited.expect("lookups are rate limited");
        assert!(limited.header("retry-after").is_some());
    }

    async fn list_filters_search_and_pages(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        for i in 0..5 {
            let mut body = intake_body(&format!("0251900001{i:02}"));
            if i == 3 {
                body["applicant"]["full_name"] = json!("Trần Văn Đức");
            }
            assert_eq!(call(&app, file(&officer, body)).await.status, 201);
        }
        let list = |q: &str| TestRequest::get().uri(&format!("/api/v1/dossiers?{q}")).insert_header(bearer(&officer));
        let r = call(&app, list("q=tran%20van%20duc")).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
        let r = call(&app, list("q=025190000102")).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
        let r = call(&app, list("status=received&channel=counter")).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
        let r = call(&app, list("status=returned")).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
        let r = call(&app, list("due_within_days=10")).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor { Some(c) => format!("limit=2&cursor={c}"), None => "limit=2".into() };
            let r = call(&app, list(&q)).await;
            seen.extend(r.body["items"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()));
            match r.body["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_string()), None => break }
        }
        assert_eq!(seen.len(), 5);
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), 5, "no dossier twice across pages");
        assert_eq!(call(&app, list("status=flying")).await.status, 400);
        assert_eq!(call(&app, list("due_within_days=0")).await.status, 422);
    }

    async fn history_is_append_only_in_the_database(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        assert_eq!(call(&app, file(&officer, intake_body("025190000123"))).await.status, 201);
        ctx.with_conn(|c| {
            use diesel::connection::SimpleConnection;
            assert!(c.batch_execute("UPDATE dossier_events SET action = 'forged'").is_err());
            assert!(c.batch_execute("DELETE FROM dossier_events").is_err());
        });
        let n: i64 = ctx.with_conn(|c| motcua::db::schema::dossier_events::table.count().get_result(c).unwrap());
        assert_eq!(n, 1);
    }
    // Civil Code 2015 Art. 147(2), 148(1): the reception day is not counted; 3 working days
    // end at 17:00 of the third working day after it. A due instant already given (on the
    // receipt) never moves afterwards.
    async fn civil_code_due_date_and_given_promises_do_not_move(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, file(&officer, intake_body("025190000123"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let received: chrono::DateTime<chrono::Utc> = r.body["dossier"]["received_at"].as_str().unwrap().parse().unwrap();
        let cal = motcua::domain::calendar::WorkCalendar::default()
            .with_adjustments(motcua::domain::calendar::government_decisions_2026());
        let want = cal.due(received, &motcua::domain::calendar::ProcessingTime::WorkingDays(3)).due_at;
        let got: chrono::DateTime<chrono::Utc> = r.body["dossier"]["deadline"]["due_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(got, want);
        let local = motcua::domain::calendar::to_local(got).unwrap();
        assert_eq!(local.time(), chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap(), "end of office hours");
        assert!(local.date() > motcua::domain::calendar::local_date(received));
        assert_eq!(r.body["receipt"]["due_date"], local.date().to_string());
        // A promise given under the earlier rule stays as printed through later actions.
        let printed = (received + chrono::Duration::days(3)).naive_utc();
        ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            diesel::update(dossiers::table.filter(dossiers::code.eq(&code))).set(dossiers::due_at.eq(Some(printed))).execute(c).unwrap();
        });
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "start_processing"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let stored: Option<chrono::NaiveDateTime> = ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            dossiers::table.filter(dossiers::code.eq(&code)).select(dossiers::due_at).first(c).unwrap()
        });
        assert_eq!(stored, Some(printed));
    }

    // Decree 23/2015/NĐ-CP Art. 21: a certification may be extended by up to 2 working
    // days, with its reason, once; the dossier is not late for it.
    async fn certification_extension_moves_the_due_date_once(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let body = json!({"code": "2.000815", "name": "Chứng thực bản sao từ bản chính", "field": "Chứng thực", "result_type": "paper", "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Chung", "processing_time": {"value": 0, "unit": "same_day"}, "online_level": "partial", "documents": [{"name": "Bản chính", "form": "original"}]}]});
        let r = call(&app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(&admin)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/communes/{KIM_BOI}/procedures/2.000815")).insert_header(bearer(&admin))).await;
        assert!(r.status.is_success());
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut intake = intake_body("025190000123");
        intake["procedure_code"] = json!("2.000815");
        intake["components"] = json!([{"document": "Bản chính", "source": "paper"}]);
        let r = call(&app, file(&officer, intake)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        assert!(r.body["dossier"]["allowed_actions"].as_array().unwrap().iter().any(|a| a == "extend_certification"));
        let due: chrono::DateTime<chrono::Utc> = r.body["dossier"]["deadline"]["due_at"].as_str().unwrap().parse().unwrap();
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "extend_certification", "extension_days": 2}))).await;
        assert_eq!(r.status, 422, "a reason is required");
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "extend_certification", "extension_days": 2, "reason": "Bản chính nhiều trang, cần đối chiếu"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let cal = motcua::domain::calendar::WorkCalendar::default()
            .with_adjustments(motcua::domain::calendar::government_decisions_2026());
        let moved: chrono::DateTime<chrono::Utc> = r.body["deadline"]["due_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(moved, cal.extend_by_working_days(due, 2));
        assert!(moved > due);
        assert_eq!(r.body["deadline"]["timeliness"], "on_time");
        assert_eq!(r.body["deadline"]["extensions"], 0, "not an apology");
        assert!(!r.body["allowed_actions"].as_array().unwrap().iter().any(|a| a == "extend_certification"));
        let again = call(&app, act(&officer, &code, "\"2\"", json!({"action": "extend_certification", "extension_days": 1, "reason": "Lần hai"}))).await;
        assert_eq!(again.status, 409);
        assert_eq!(again.problem_code(), "dossier.certification_already_extended");
        let (stored, lifecycle): (Option<chrono::NaiveDateTime>, String) = ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            dossiers::table.filter(dossiers::code.eq(&code)).select((dossiers::due_at, dossiers::lifecycle)).first(c).unwrap()
        });
        assert_eq!(stored, Some(moved.naive_utc()));
        assert!(lifecycle.contains("\"certification_extended\":true") && lifecycle.contains("Bản chính nhiều trang"), "{lifecycle}");
        let history = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/history")).insert_header(bearer(&officer))).await;
        assert_eq!(history.body.as_array().unwrap().last().unwrap()["action"], "extend_certification");
    }

    // A supplement never provided: an online dossier sent back at intake is refused once
    // the supplement deadline has passed, not before.
    async fn supplement_never_provided_is_refused_after_its_deadline(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let mut body = intake_body("025190000123");
        body["commune_code"] = json!(KIM_BOI);
        let r = call(&app, file(&citizen, body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let today = motcua::domain::calendar::today().to_string();
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "request_supplement", "missing_items": ["Bản sao"], "deadline": today}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(!r.body["allowed_actions"].as_array().unwrap().iter().any(|a| a == "refuse"));
        let r = call(&app, act(&officer, &code, "\"2\"", json!({"action": "refuse", "reason": "Không bổ sung"}))).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "dossier.supplement_deadline_not_passed");
        let yesterday = (motcua::domain::calendar::today() - chrono::Duration::days(1)).to_string();
        ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            let lc: String = dossiers::table.filter(dossiers::code.eq(&code)).select(dossiers::lifecycle).first(c).unwrap();
            let lc = lc.replace(&format!("\"deadline\":\"{today}\""), &format!("\"deadline\":\"{yesterday}\""));
            diesel::update(dossiers::table.filter(dossiers::code.eq(&code))).set(dossiers::lifecycle.eq(lc)).execute(c).unwrap();
        });
        let r = call(&app, act(&officer, &code, "\"2\"", json!({"action": "refuse", "reason": "Không bổ sung đúng hạn"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "refused");
        let (status, finished): (String, Option<chrono::NaiveDateTime>) = ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            dossiers::table.filter(dossiers::code.eq(&code)).select((dossiers::status, dossiers::finished_at)).first(c).unwrap()
        });
        assert_eq!(status, "refused");
        assert!(finished.is_some());
    }
}
