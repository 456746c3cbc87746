//! The readiness ("phủ xanh") board through the real HTTP app, on both backends: green /
//! amber / red, automatic items flipping with data, declaration + review + rejection,
//! If-Match conflicts, scoping, the province's "N of M green", append-only history.

mod common;

use actix_web::test::{init_service, TestRequest};
use chrono::{Duration, Utc};
use common::*;
use diesel::prelude::*;
use motcua::db::schema::{dossier_attachments, dossiers, payments, portal_outbox, stored_files};
use motcua::domain::roles::Role;
use serde_json::{json, Value};

const PROCEDURE: &str = "1.004873";
const INFRA: [&str; 8] = [
    "network",
    "digital_signatures",
    "online_meeting",
    "queue_number",
    "display_screen",
    "procedure_lookup",
    "computers",
    "scanners",
];

fn item<'a>(board: &'a Value, code: &str) -> &'a Value {
    board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no item {code} in {board}"))
}

fn missing(board: &Value) -> Vec<String> {
    board["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

app_fn! {
    async fn get(app: &S, token: &str, uri: &str) -> Resp {
        call(app, TestRequest::get().uri(uri).insert_header(bearer(token))).await
    }

    async fn board(app: &S, token: &str, commune: &str) -> Value {
        let r = get(app, token, &format!("/api/v1/readiness/communes/{commune}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    async fn declare(app: &S, token: &str, commune: &str, code: &str, if_match: &str, body: Value) -> Resp {
        call(app, TestRequest::put().uri(&format!("/api/v1/readiness/communes/{commune}/items/{code}"))
            .insert_header(bearer(token)).insert_header(("if-match", if_match.to_string())).set_json(body)).await
    }

    async fn review(app: &S, token: &str, commune: &str, code: &str, if_match: &str, body: Value) -> Resp {
        call(app, TestRequest::post().uri(&format!("/api/v1/readiness/communes/{commune}/items/{code}/review"))
            .insert_header(bearer(token)).insert_header(("if-match", if_match.to_string())).set_json(body)).await
    }

    async fn put_config(app: &S, token: &str, province: &str, body: Value) -> Resp {
        let r = get(app, token, &format!("/api/v1/readiness/provinces/{province}/config")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let etag = r.header("etag").unwrap().to_string();
        call(app, TestRequest::put().uri(&format!("/api/v1/readiness/provinces/{province}/config"))
            .insert_header(bearer(token)).insert_header(("if-match", etag)).set_json(body)).await
    }

    // Every infrastructure item of the commune declared met.
    async fn all_infra_met(app: &S, admin: &str, commune: &str) -> () {
        for code in INFRA {
            let r = declare(app, admin, commune, code, "\"0\"", json!({"status": "met", "evidence": "Biên bản kiểm tra ngày 10/7", "evidence_date": "2025-07-10"})).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.header("etag"), Some("\"1\""));
        }
    }

    async fn publish_catalog(app: &S, sysadmin: &str, commune: &str) -> () {
        let r = call(app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(sysadmin)).set_json(json!({
            "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "electronic",
            "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung", "processing_time": {"value": 3, "unit": "working_days"},
                       "online_level": "full", "documents": [{"name": "Tờ khai", "form": "original"}]}]
        }))).await;
        assert!(r.status == 201 || r.status == 409, "{}", r.body);
        let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/procedures/{PROCEDURE}")).insert_header(bearer(sysadmin))).await;
        assert!(r.status.is_success(), "{}", r.body);
    }

    async fn intake(app: &S, officer: &str, id_number: &str) -> String {
        let r = call(app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(officer)).set_json(json!({
            "procedure_code": PROCEDURE,
            "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": id_number, "birth_year": 1990, "phone": "0912345678", "address": "Thôn Bo"},
            "components": [{"document": "Tờ khai", "source": "paper"}]
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["dossier"]["id"].as_str().unwrap().to_string()
    }
}

both_backends! {
    async fn flags_follow_required_items_and_config(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, sys) = ctx.user(Role::SystemAdmin, None);
        let (_, sup) = ctx.user(Role::ProvinceSupervisor, None);

        // Nothing declared, nothing published: red, every infrastructure item missing.
        let b = board(&app, &admin, KIM_BOI).await;
        assert_eq!(b["flag"], "red", "{b}");
        let m = missing(&b);
        for code in INFRA {
            assert!(m.contains(&code.to_string()), "{m:?}");
            assert_eq!(item(&b, code)["version"], 0);
            assert_eq!(item(&b, code)["status"], "not_met");
        }
        assert!(m.contains(&"catalog_published".to_string()));
        assert!(m.contains(&"online_payment_live".to_string()));
        // With no data the live indicators have nothing against them.
        for code in ["portal_sync_live", "no_overdue_dossiers", "components_digitized", "results_digitized"] {
            assert_eq!(item(&b, code)["satisfied"], true, "{code}: {}", item(&b, code));
            assert_eq!(item(&b, code)["kind"], "automatic");
        }
        assert_eq!(item(&b, "components_digitized")["threshold"], 100.0);
        assert_eq!(b["required_total"], 14);

        // Infrastructure complete: only services missing, so amber.
        all_infra_met(&app, &admin, KIM_BOI).await;
        let b = board(&app, &admin, KIM_BOI).await;
        assert_eq!(b["flag"], "amber", "{b}");
        assert_eq!(missing(&b), vec!["catalog_published", "online_payment_live"]);
        assert_eq!(item(&b, "scanners")["declaration"]["review"]["status"], "pending");

        // Publishing the catalog flips the automatic item.
        publish_catalog(&app, &sys, KIM_BOI).await;
        let b = board(&app, &admin, KIM_BOI).await;
        assert_eq!(missing(&b), vec!["online_payment_live"]);
        assert_eq!(item(&b, "catalog_published")["evaluation"]["facts"]["active_procedures"], 1);

        // The province does not require online payment yet: green.
        let r = put_config(&app, &sup, "25", json!({"items": {"online_payment_live": {"required": false}}})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("etag"), Some("\"1\""));
        let b = board(&app, &admin, KIM_BOI).await;
        assert_eq!(b["flag"], "green", "{b}");
        assert_eq!(b["required_total"], 13);
        assert_eq!(item(&b, "online_payment_live")["required"], false);

        // Three infrastructure items rejected: more than amber_max_missing (2) → red; a
        // commune override allowing 3 makes it amber.
        for code in ["network", "scanners", "computers"] {
            let r = review(&app, &sup, KIM_BOI, code, "\"1\"", json!({"decision": "reject", "note": "Thiếu biên bản"})).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["satisfied"], false);
        }
        let b = board(&app, &admin, KIM_BOI).await;
        assert_eq!(b["flag"], "red", "{b}");
        assert_eq!(missing(&b), vec!["network", "computers", "scanners"]);
        let r = put_config(&app, &sup, "25", json!({"items": {"online_payment_live": {"required": false}},
            "communes": {KIM_BOI: {"amber_max_missing": 3}}})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["version"], 2);
        let b = board(&app, &admin, KIM_BOI).await;
        assert_eq!(b["flag"], "amber", "{b}");
        assert_eq!(b["amber_max_missing"], 3);
        // Not applicable counts as satisfied; making the rest not required leaves green.
        let r = put_config(&app, &sup, "25", json!({"items": {"online_payment_live": {"required": false},
            "network": {"required": false}, "scanners": {"required": false}, "computers": {"required": false}}})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(board(&app, &admin, KIM_BOI).await["flag"], "green");
    }

    async fn automatic_items_flip_with_data(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, sys) = ctx.user(Role::SystemAdmin, None);
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        all_infra_met(&app, &admin, KIM_BOI).await;
        publish_catalog(&app, &sys, KIM_BOI).await;
        let b = board(&app, &officer, KIM_BOI).await;
        assert_eq!(missing(&b), vec!["online_payment_live"]);

        // A dossier whose portal message was never delivered: sync is not live.
        let dossier_id = intake(&app, &officer, "025190000101").await;
        let b = board(&app, &officer, KIM_BOI).await;
        let sync = item(&b, "portal_sync_live");
        assert_eq!(sync["satisfied"], false, "{sync}");
        assert_eq!(sync["evaluation"]["facts"]["has_dossiers"], 1);
        assert_eq!(sync["evaluation"]["facts"]["any_delivered"], 0);
        ctx.with_conn(|c| diesel::update(portal_outbox::table).set((portal_outbox::status.eq("sent"), portal_outbox::sent_at.eq(Some(Utc::now().naive_utc())))).execute(c).unwrap());
        let b = board(&app, &officer, KIM_BOI).await;
        assert_eq!(item(&b, "portal_sync_live")["satisfied"], true, "{}", item(&b, "portal_sync_live"));
        // A dead-lettered message, then one pending for two hours.
        ctx.with_conn(|c| diesel::update(portal_outbox::table).set(portal_outbox::status.eq("dead")).execute(c).unwrap());
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "portal_sync_live")["evaluation"]["facts"]["dead"], 1);
        let second = intake(&app, &officer, "025190000102").await;
        ctx.with_conn(|c| {
            diesel::update(portal_outbox::table.filter(portal_outbox::dossier_id.eq(&dossier_id))).set(portal_outbox::status.eq("sent")).execute(c).unwrap();
            diesel::update(portal_outbox::table.filter(portal_outbox::dossier_id.eq(&second)))
                .set(portal_outbox::created_at.eq(Utc::now().naive_utc() - Duration::hours(2))).execute(c).unwrap();
        });
        let b = board(&app, &officer, KIM_BOI).await;
        assert_eq!(item(&b, "portal_sync_live")["satisfied"], false, "{}", item(&b, "portal_sync_live"));
        ctx.with_conn(|c| diesel::update(portal_outbox::table).set(portal_outbox::status.eq("sent")).execute(c).unwrap());
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "portal_sync_live")["satisfied"], true);

        // Overdue: an open dossier past its due instant.
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "no_overdue_dossiers")["satisfied"], true);
        ctx.with_conn(|c| diesel::update(dossiers::table.filter(dossiers::id.eq(&dossier_id)))
            .set(dossiers::due_at.eq(Some(Utc::now().naive_utc() - Duration::hours(1)))).execute(c).unwrap());
        let b = board(&app, &officer, KIM_BOI).await;
        assert_eq!(item(&b, "no_overdue_dossiers")["evaluation"]["facts"]["overdue_open"], 1);
        assert_eq!(b["flag"], "amber");
        // Paused (supplement requested) after its due date: still overdue (issue 15) …
        ctx.with_conn(|c| diesel::update(dossiers::table.filter(dossiers::id.eq(&dossier_id)))
            .set(dossiers::paused_at.eq(Some(Utc::now().naive_utc()))).execute(c).unwrap());
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "no_overdue_dossiers")["satisfied"], false);
        // … paused before it: the clock stopped in time, not overdue.
        ctx.with_conn(|c| diesel::update(dossiers::table.filter(dossiers::id.eq(&dossier_id)))
            .set(dossiers::paused_at.eq(Some(Utc::now().naive_utc() - Duration::hours(2)))).execute(c).unwrap());
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "no_overdue_dossiers")["satisfied"], true);

        // Components: one scanned at reception, one not → 50% < 100%.
        let now = Utc::now().naive_utc();
        ctx.with_conn(|c| {
            diesel::insert_into(stored_files::table).values((stored_files::sha256.eq("a".repeat(64)), stored_files::size_bytes.eq(10i64),
                stored_files::content_type.eq("application/pdf"), stored_files::created_at.eq(now))).execute(c).unwrap();
            for (id, digitized) in [("att-1", true), ("att-2", false)] {
                diesel::insert_into(dossier_attachments::table).values((dossier_attachments::id.eq(id), dossier_attachments::dossier_id.eq(&dossier_id),
                    dossier_attachments::document_name.eq("Tờ khai"), dossier_attachments::file_sha256.eq("a".repeat(64)),
                    dossier_attachments::file_name.eq("tk.pdf"), dossier_attachments::source.eq("upload"),
                    dossier_attachments::digitized_at_reception.eq(digitized), dossier_attachments::uploaded_by.eq("x"),
                    dossier_attachments::created_at.eq(now))).execute(c).unwrap();
            }
            // Rows written behind the app's back: bring the indicator aggregates along.
            motcua::db::models::indicator::refresh(c, &dossier_id).unwrap();
        });
        let b = board(&app, &officer, KIM_BOI).await;
        let comp = item(&b, "components_digitized");
        assert_eq!((comp["satisfied"].clone(), comp["evaluation"]["value"].clone()), (json!(false), json!(50.0)), "{comp}");
        ctx.with_conn(|c| {
            diesel::update(dossier_attachments::table).set(dossier_attachments::digitized_at_reception.eq(true)).execute(c).unwrap();
            motcua::db::models::indicator::refresh(c, &dossier_id).unwrap();
        });
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "components_digitized")["satisfied"], true);

        // Results: a returned dossier without a digital result → 0%; a commune threshold of 0 accepts it.
        ctx.with_conn(|c| {
            diesel::update(dossiers::table.filter(dossiers::id.eq(&second)))
                .set((dossiers::status.eq("returned"), dossiers::finished_at.eq(Some(Utc::now().naive_utc())))).execute(c).unwrap();
            motcua::db::models::indicator::refresh(c, &second).unwrap();
        });
        let b = board(&app, &officer, KIM_BOI).await;
        let res = item(&b, "results_digitized");
        assert_eq!((res["satisfied"].clone(), res["evaluation"]["value"].clone()), (json!(false), json!(0.0)), "{res}");
        let (_, sup) = ctx.user(Role::ProvinceSupervisor, None);
        let r = put_config(&app, &sup, "25", json!({"communes": {KIM_BOI: {"items": {"results_digitized": {"threshold": 0}}}}})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "results_digitized")["satisfied"], true);

        // Online payment: a succeeded one 100 days ago does not count, one yesterday does.
        let add_payment = |id: &str, settled: chrono::NaiveDateTime| ctx.with_conn(|c| {
            diesel::insert_into(payments::table).values((payments::id.eq(id), payments::reference.eq(format!("REF-{id}")),
                payments::dossier_id.eq(&dossier_id), payments::commune_code.eq(KIM_BOI), payments::province_code.eq("25"),
                payments::method.eq("online"), payments::amount.eq(8000i64), payments::refunded_amount.eq(0i64), payments::status.eq("succeeded"),
                payments::fee_lines.eq("[]"), payments::payer_name.eq("Nguyễn Thị Hoà"), payments::created_by.eq("x"),
                payments::created_at.eq(settled), payments::settled_at.eq(Some(settled)), payments::version.eq(1i64))).execute(c).unwrap();
        });
        add_payment("pay-old", now - Duration::days(100));
        assert_eq!(item(&board(&app, &officer, KIM_BOI).await, "online_payment_live")["satisfied"], false);
        add_payment("pay-new", now - Duration::days(1));
        let b = board(&app, &officer, KIM_BOI).await;
        assert_eq!(item(&b, "online_payment_live")["satisfied"], true);
        assert_eq!(b["flag"], "green", "{b}");
    }

    async fn declaration_review_rejection_concurrency_and_history(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, admin2) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, sup) = ctx.user(Role::ProvinceSupervisor, None);
        let met = json!({"status": "met", "evidence": "02 máy quét A4, biên bản bàn giao 12/BB", "evidence_date": "2025-07-10"});

        // Validation: evidence required for met, no future dates, unknown and automatic items.
        let r = declare(&app, &admin, KIM_BOI, "scanners", "\"0\"", json!({"status": "met"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (422, "validation"));
        assert!(r.body["errors"]["evidence"].is_array(), "{}", r.body);
        let future = (Utc::now() + Duration::days(3)).date_naive().to_string();
        let r = declare(&app, &admin, KIM_BOI, "scanners", "\"0\"", json!({"status": "met", "evidence": "x", "evidence_date": future})).await;
        assert_eq!(r.status, 422);
        let r = declare(&app, &admin, KIM_BOI, "teleporter", "\"0\"", met.clone()).await;
        assert_eq!(r.status, 404);
        let r = declare(&app, &admin, KIM_BOI, "catalog_published", "\"0\"", met.clone()).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "readiness.item_automatic"));
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/readiness/communes/{KIM_BOI}/items/scanners")).insert_header(bearer(&admin)).set_json(met.clone())).await;
        assert_eq!(r.status, 428);

        // Two administrators declare from the same version: one wins, the other gets 412.
        let r = declare(&app, &admin, KIM_BOI, "scanners", "\"0\"", met.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["version"].clone(), r.body["satisfied"].clone()), (json!(1), json!(true)));
        assert_eq!(r.body["declaration"]["review"]["status"], "pending");
        let r = declare(&app, &admin2, KIM_BOI, "scanners", "\"0\"", json!({"status": "not_met"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (412, "precondition_failed"));

        // The province rejects (a note is required); the item no longer counts.
        let r = review(&app, &sup, KIM_BOI, "scanners", "\"1\"", json!({"decision": "reject"})).await;
        assert_eq!(r.status, 422);
        let r = review(&app, &sup, KIM_BOI, "scanners", "\"0\"", json!({"decision": "reject", "note": "Ảnh mờ"})).await;
        assert_eq!(r.status, 412);
        let r = review(&app, &sup, KIM_BOI, "scanners", "\"1\"", json!({"decision": "reject", "note": "Biên bản chưa có chữ ký"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("etag"), Some("\"2\""));
        assert_eq!(r.body["satisfied"], false);
        assert_eq!(r.body["status"], "met");
        assert_eq!(r.body["declaration"]["review"]["status"], "rejected");
        assert_eq!(r.body["declaration"]["review"]["note"], "Biên bản chưa có chữ ký");
        let b = board(&app, &admin, KIM_BOI).await;
        assert_eq!(item(&b, "scanners")["satisfied"], false);
        assert!(missing(&b).contains(&"scanners".to_string()));
        // Nothing left to review until the commune declares again.
        let r = review(&app, &sup, KIM_BOI, "scanners", "\"2\"", json!({"decision": "approve"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "readiness.already_reviewed"));
        let r = review(&app, &sup, KIM_BOI, "network", "\"0\"", json!({"decision": "approve"})).await;
        assert_eq!(r.status, 404);

        // Declared again, approved.
        let r = declare(&app, &admin2, KIM_BOI, "scanners", "\"2\"", json!({"status": "met", "evidence": "Biên bản đã ký"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["declaration"]["evidence_date"], motcua::domain::calendar::today().to_string());
        let r = review(&app, &sup, KIM_BOI, "scanners", "\"3\"", json!({"decision": "approve"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["satisfied"].clone(), r.body["declaration"]["review"]["status"].clone()), (json!(true), json!("approved")));
        // Not applicable also counts.
        let r = declare(&app, &admin, KIM_BOI, "online_meeting", "\"0\"", json!({"status": "not_applicable", "evidence": "Dùng phòng họp của UBND xã"})).await;
        assert_eq!(r.body["satisfied"], true);

        // History: every declaration and review, newest first, paged.
        let h = get(&app, &admin, &format!("/api/v1/readiness/communes/{KIM_BOI}/history?item=scanners")).await;
        assert_eq!(h.status, 200, "{}", h.body);
        let actions: Vec<&str> = h.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["approve", "declare", "reject", "declare"]);
        assert_eq!(h.body["items"][2]["note"], "Biên bản chưa có chữ ký");
        assert_eq!(h.body["items"][2]["actor_role"], "province_supervisor");
        assert_eq!(h.body["items"][3]["evidence"], "02 máy quét A4, biên bản bàn giao 12/BB");
        let p1 = get(&app, &sup, &format!("/api/v1/readiness/communes/{KIM_BOI}/history?limit=2")).await;
        assert_eq!(p1.body["items"].as_array().unwrap().len(), 2);
        let cursor = p1.body["next_cursor"].as_str().unwrap().to_string();
        let p2 = get(&app, &sup, &format!("/api/v1/readiness/communes/{KIM_BOI}/history?limit=2&cursor={cursor}")).await;
        assert_eq!(p2.body["items"].as_array().unwrap().len(), 2);
        let p3 = get(&app, &sup, &format!("/api/v1/readiness/communes/{KIM_BOI}/history?limit=2&cursor={}", p2.body["next_cursor"].as_str().unwrap())).await;
        assert_eq!(p3.body["items"].as_array().unwrap().len(), 1);
        assert!(p3.body["next_cursor"].is_null());

        // Append-only: the database refuses to change or delete history.
        ctx.with_conn(|c| {
            assert!(diesel::sql_query("UPDATE readiness_events SET note = 'sửa'").execute(c).is_err());
        });
        ctx.with_conn(|c| {
            assert!(diesel::sql_query("DELETE FROM readiness_events").execute(c).is_err());
        });
        let h = get(&app, &admin, &format!("/api/v1/readiness/communes/{KIM_BOI}/history")).await;
        assert_eq!(h.body["items"].as_array().unwrap().len(), 5);
    }

    async fn scoping_refuses_wrong_roles_communes_and_provinces(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let (_, portal) = ctx.user(Role::PortalClient, None);
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, other_officer) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let (_, other_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, sup) = ctx.user(Role::ProvinceSupervisor, None); // Phú Thọ (25)
        let (_, sys) = ctx.user(Role::SystemAdmin, None);
        let board_uri = format!("/api/v1/readiness/communes/{KIM_BOI}");
        let met = json!({"status": "met", "evidence": "Có"});

        // Reading a commune's board.
        for t in [&citizen, &portal] {
            let r = get(&app, t, &board_uri).await;
            assert_eq!((r.status.as_u16(), r.problem_code()), (403, "auth.role_forbidden"));
        }
        assert_eq!(get(&app, &other_officer, &board_uri).await.status, 404);
        assert_eq!(get(&app, &officer, &board_uri).await.status, 200);
        assert_eq!(get(&app, &sup, &board_uri).await.status, 200);
        assert_eq!(get(&app, &sys, &board_uri).await.status, 200);
        assert_eq!(get(&app, &sup, &format!("/api/v1/readiness/communes/{BA_DINH}")).await.status, 404);
        assert_eq!(get(&app, &sys, "/api/v1/readiness/communes/99999").await.status, 404);
        assert_eq!(get(&app, &other_officer, &format!("{board_uri}/history")).await.status, 404);
        assert_eq!(get(&app, &citizen, &format!("{board_uri}/history")).await.status, 403);
        let r = call(&app, TestRequest::get().uri(&board_uri)).await;
        assert_eq!(r.status, 401);

        // Declaring: only the commune's own administrator.
        assert_eq!(declare(&app, &other_admin, KIM_BOI, "network", "\"0\"", met.clone()).await.status, 404);
        for t in [&officer, &sup, &sys, &citizen] {
            assert_eq!(declare(&app, t, KIM_BOI, "network", "\"0\"", met.clone()).await.status, 403);
        }
        assert_eq!(declare(&app, &admin, KIM_BOI, "network", "\"0\"", met.clone()).await.status, 200);
        // Reviewing: only the province's supervisor.
        for t in [&admin, &officer, &sys] {
            assert_eq!(review(&app, t, KIM_BOI, "network", "\"1\"", json!({"decision": "approve"})).await.status, 403);
        }
        assert_eq!(review(&app, &sup, BA_DINH, "network", "\"1\"", json!({"decision": "approve"})).await.status, 404);

        // Province view and configuration.
        for t in [&admin, &officer, &citizen] {
            assert_eq!(get(&app, t, "/api/v1/readiness/provinces/25").await.status, 403);
            assert_eq!(get(&app, t, "/api/v1/readiness/provinces/25/config").await.status, 403);
        }
        assert_eq!(get(&app, &sup, "/api/v1/readiness/provinces/01").await.status, 404);
        assert_eq!(get(&app, &sup, "/api/v1/readiness/provinces/01/config").await.status, 404);
        assert_eq!(get(&app, &sys, "/api/v1/readiness/provinces/01").await.status, 200);
        let r = call(&app, TestRequest::put().uri("/api/v1/readiness/provinces/01/config").insert_header(bearer(&sup))
            .insert_header(("if-match", "\"0\"")).set_json(json!({}))).await;
        assert_eq!(r.status, 404);

        // Configuration: validated, versioned.
        let r = put_config(&app, &sup, "25", json!({"items": {"bogus": {"required": true}, "network": {"threshold": 10}},
            "communes": {BA_DINH: {}}})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (422, "validation"));
        for f in ["items.bogus", "items.network.threshold", &format!("communes.{BA_DINH}")] {
            assert!(r.body["errors"][f].is_array(), "{f}: {}", r.body);
        }
        let r = put_config(&app, &sys, "25", json!({"amber_max_missing": 1})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call(&app, TestRequest::put().uri("/api/v1/readiness/provinces/25/config").insert_header(bearer(&sup))
            .insert_header(("if-match", "\"0\"")).set_json(json!({"amber_max_missing": 3}))).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (412, "precondition_failed"));
        let r = get(&app, &sup, "/api/v1/readiness/provinces/25/config").await;
        assert_eq!(r.body["config"]["amber_max_missing"], 1);
        assert_eq!(r.body["catalog"].as_array().unwrap().len(), 14);
        assert_eq!(r.header("etag"), Some("\"1\""));
    }

    async fn province_view_counts_green_and_lists_what_is_missing(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, hb_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let (_, sys) = ctx.user(Role::SystemAdmin, None);
        let (_, sup) = ctx.user(Role::ProvinceSupervisor, None);
        let total: i64 = ctx.with_conn(|c| motcua::db::schema::communes::table
            .filter(motcua::db::schema::communes::province_code.eq("25")).count().get_result(c).unwrap());
        assert!(total > 100, "Phú Thọ has {total} communes");

        // Nothing configured: every commune red.
        let r = get(&app, &sup, "/api/v1/readiness/provinces/25").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["communes_total"], total);
        assert_eq!((r.body["communes_green"].clone(), r.body["communes_red"].clone()), (json!(0), json!(total)));
        assert_eq!(r.body["not_green"].as_array().unwrap().len() as i64, total);

        // Kim Bôi complete (online payment not required by the province); Hoà Bình only its infrastructure.
        all_infra_met(&app, &admin, KIM_BOI).await;
        all_infra_met(&app, &hb_admin, HOA_BINH).await;
        publish_catalog(&app, &sys, KIM_BOI).await;
        let r = put_config(&app, &sup, "25", json!({"items": {"online_payment_live": {"required": false}}})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // A rejected item in Hoà Bình.
        let r = review(&app, &sup, HOA_BINH, "display_screen", "\"1\"", json!({"decision": "reject", "note": "Chưa lắp đặt"})).await;
        assert_eq!(r.status, 200, "{}", r.body);

        let r = get(&app, &sup, "/api/v1/readiness/provinces/25").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["communes_green"], 1);
        assert_eq!(r.body["communes_amber"], 1);
        assert_eq!(r.body["communes_red"], total - 2);
        assert_eq!(r.body["summary_en"], format!("1 of {total} communes green"));
        assert_eq!(r.body["summary"], format!("1/{total} xã, phường đạt xanh"));
        let gaps = r.body["not_green"].as_array().unwrap();
        assert_eq!(gaps.len() as i64, total - 1);
        assert!(gaps.iter().all(|g| g["commune_code"] != KIM_BOI));
        let hb = gaps.iter().find(|g| g["commune_code"] == HOA_BINH).unwrap();
        assert_eq!(hb["flag"], "amber");
        let codes: Vec<&str> = hb["missing"].as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap()).collect();
        assert_eq!(codes, vec!["display_screen", "catalog_published"]);
        assert_eq!(hb["missing"][0]["title_en"], "Display screen");
        // The province view agrees with each commune's own board.
        assert_eq!(board(&app, &hb_admin, HOA_BINH).await["flag"], "amber");
        assert_eq!(board(&app, &admin, KIM_BOI).await["flag"], "green");
        // System admins see any province.
        let r = get(&app, &sys, "/api/v1/readiness/provinces/01").await;
        assert_eq!(r.body["communes_green"], 0);
    }
}
