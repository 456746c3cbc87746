//! The front room through the real HTTP app, on both backends: counters and their access
//! rules, kiosk devices and tickets (gapless numbers, closed services, keys, rate limits),
//! remote tickets and their cut-off, calling (priority and fairness, recall, no-show,
//! transfer, start/finish, dossier link), two officers calling at the same instant on
//! their own connections and threads, and the display board's event stream.

#![allow(clippy::result_large_err)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use actix_web::test::{init_service, TestRequest};
use common::*;
use diesel::prelude::*;
use motcua::db::schema::{dossier_events, queue_events, queue_tickets};
use motcua::domain::roles::Role;
use serde_json::{json, Value};

app_fn! {
    async fn post(app: &S, token: &str, uri: &str, body: Value) -> Resp {
        call(app, TestRequest::post().uri(uri).insert_header(bearer(token)).set_json(body)).await
    }

    async fn post_empty(app: &S, token: &str, uri: &str) -> Resp {
        call(app, TestRequest::post().uri(uri).insert_header(bearer(token))).await
    }

    async fn get(app: &S, token: &str, uri: &str) -> Resp {
        call(app, TestRequest::get().uri(uri).insert_header(bearer(token))).await
    }

    async fn kiosk(app: &S, key: Option<&str>, commune: &str, body: Value) -> Resp {
        let mut r = TestRequest::post().uri(&format!("/api/v1/communes/{commune}/queue/tickets")).set_json(body);
        if let Some(k) = key {
            r = r.insert_header(("x-device-key", k.to_string()));
        }
        call(app, r).await
    }

    // Services A and B, counters 1 (A) and 2 (A, B) in the commune; returns the counter ids.
    async fn front_room(app: &S, admin: &str, commune: &str) -> (String, String) {
        for (prefix, name) in [("A", "Chứng thực"), ("B", "Hộ tịch")] {
            let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/queue/services/{prefix}"))
                .insert_header(bearer(admin)).set_json(json!({"name": name, "fields": ["Chứng thực"]}))).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let r = post(app, admin, &format!("/api/v1/communes/{commune}/queue/counters"), json!({"number": 1, "name": "Quầy 1", "services": ["A"]})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let c1 = r.body["id"].as_str().unwrap().to_string();
        let r = post(app, admin, &format!("/api/v1/communes/{commune}/queue/counters"), json!({"number": 2, "name": "Quầy 2", "services": ["A", "B"]})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        (c1, r.body["id"].as_str().unwrap().to_string())
    }

    async fn device(app: &S, admin: &str, commune: &str) -> String {
        let r = post(app, admin, &format!("/api/v1/communes/{commune}/queue/devices"), json!({"name": "Kiosk sảnh"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        r.body["key"].as_str().unwrap().to_string()
    }

    async fn ticket(app: &S, key: &str, service: &str, priority: Option<&str>) -> Value {
        let r = kiosk(app, Some(key), KIM_BOI, json!({"service": service, "priority_class": priority})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    async fn call_next(app: &S, officer: &str, counter: &str) -> Value {
        let r = post_empty(app, officer, &format!("/api/v1/queue/counters/{counter}/call-next")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["ticket"].clone()
    }
}

fn ticket_count(ctx: &TestApp) -> i64 {
    ctx.with_conn(|c| queue_tickets::table.count().get_result(c).unwrap())
}

both_backends! {
    async fn counters_are_managed_by_the_communes_admin(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, other_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, officer2) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, far_officer) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let (c1, c2) = front_room(&app, &admin, KIM_BOI).await;

        // The wrong role: 403; the wrong commune: 404, as if it did not exist.
        let body = json!({"number": 3, "name": "Quầy 3", "services": ["A"]});
        let r = post(&app, &officer, &format!("/api/v1/communes/{KIM_BOI}/queue/counters"), body.clone()).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "auth.role_forbidden"));
        let r = post(&app, &other_admin, &format!("/api/v1/communes/{KIM_BOI}/queue/counters"), body.clone()).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (404, "not_found"));
        let r = get(&app, &far_officer, &format!("/api/v1/communes/{KIM_BOI}/queue/counters")).await;
        assert_eq!(r.status, 404);
        let r = get(&app, &citizen, &format!("/api/v1/communes/{KIM_BOI}/queue/counters")).await;
        assert_eq!(r.status, 403);
        let r = call(&app, TestRequest::patch().uri(&format!("/api/v1/queue/counters/{c1}")).insert_header(bearer(&other_admin)).set_json(json!({"name": "X"}))).await;
        assert_eq!(r.status, 404);
        let r = post_empty(&app, &far_officer, &format!("/api/v1/queue/counters/{c1}/open")).await;
        assert_eq!(r.status, 404);

        // Bad input: a number taken, an unknown service, a bad prefix.
        let r = post(&app, &admin, &format!("/api/v1/communes/{KIM_BOI}/queue/counters"), json!({"number": 1, "name": "Trùng", "services": ["A"]})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.counter_number_taken"));
        let r = post(&app, &admin, &format!("/api/v1/communes/{KIM_BOI}/queue/counters"), json!({"number": 5, "name": "Quầy 5", "services": ["Z"]})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["services"].is_array(), "{}", r.body);
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/services/ab")).insert_header(bearer(&admin)).set_json(json!({"name": "x"}))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = get(&app, &officer, &format!("/api/v1/communes/{KIM_BOI}/queue/counters")).await;
        assert_eq!(r.body.as_array().unwrap().len(), 2, "nothing half-written: {}", r.body);

        // An officer opens a counter; another officer cannot take it, nor one open two.
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/open")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["is_open"], true);
        let r = post_empty(&app, &officer2, &format!("/api/v1/queue/counters/{c1}/open")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.counter_taken"));
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c2}/open")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.officer_at_other_counter"));
        let r = post_empty(&app, &officer2, &format!("/api/v1/queue/counters/{c1}/close")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.not_your_counter"));
        // The public service list says what is open now.
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/services"))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body[0]["prefix"], "A");
        assert_eq!(r.body[0]["open"], true);
        assert_eq!(r.body[1]["open"], false);
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/close")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["is_open"], false);
        assert!(r.body["officer_id"].is_null());
    }

    async fn kiosk_tickets_need_a_key_an_open_counter_and_are_gapless(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, other_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (c1, _) = front_room(&app, &admin, KIM_BOI).await;
        let key = device(&app, &admin, KIM_BOI).await;
        let other_key = device(&app, &other_admin, HOA_BINH).await;

        let r = kiosk(&app, None, KIM_BOI, json!({"service": "A"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (401, "queue.device_key_invalid"));
        let r = kiosk(&app, Some(&other_key), KIM_BOI, json!({"service": "A"})).await;
        assert_eq!(r.status, 401, "another commune's kiosk");
        // No open counter serves A yet: 409 saying what is open (nothing).
        let r = kiosk(&app, Some(&key), KIM_BOI, json!({"service": "A"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.service_closed"));
        assert_eq!(r.body["open_services"], json!([]));
        assert_eq!(ticket_count(&ctx), 0);

        let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/open")).await;
        assert_eq!(r.status, 200);
        let r = kiosk(&app, Some(&key), KIM_BOI, json!({"service": "B"})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.body["open_services"], json!(["A"]));
        let r = kiosk(&app, Some(&key), KIM_BOI, json!({"service": "Q"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = kiosk(&app, Some(&key), KIM_BOI, json!({"service": "A", "priority_class": "royalty"})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(ticket_count(&ctx), 0);

        let a = ticket(&app, &key, "A", None).await;
        let b = ticket(&app, &key, "A", Some("elderly")).await;
        assert_eq!((a["number"].as_str(), b["number"].as_str()), (Some("A001"), Some("A002")));
        assert_eq!(a["status"], "waiting");
        assert_eq!(b["priority_class"], "elderly");
        assert!(b["priority_confirmed"].is_null());
        // The officer reads it; a citizen who did not take it does not.
        let id = a["id"].as_str().unwrap();
        let r = get(&app, &officer, &format!("/api/v1/queue/tickets/{id}")).await;
        assert_eq!((r.status.as_u16(), r.body["number"].as_str()), (200, Some("A001")));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        assert_eq!(get(&app, &citizen, &format!("/api/v1/queue/tickets/{id}")).await.status, 404);

        // A revoked kiosk's key stops working.
        let r = get(&app, &admin, &format!("/api/v1/communes/{KIM_BOI}/queue/devices")).await;
        let dev = r.body[0]["id"].as_str().unwrap().to_string();
        assert!(r.body[0].get("key").is_none(), "the key is shown once");
        let r = call(&app, TestRequest::delete().uri(&format!("/api/v1/queue/devices/{dev}")).insert_header(bearer(&other_admin))).await;
        assert_eq!(r.status, 404);
        let r = call(&app, TestRequest::delete().uri(&format!("/api/v1/queue/devices/{dev}")).insert_header(bearer(&admin))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = kiosk(&app, Some(&key), KIM_BOI, json!({"service": "A"})).await;
        assert_eq!(r.status, 401);
        assert_eq!(ticket_count(&ctx), 2);
    }

    async fn calling_serves_priority_first_fairly_and_links_the_dossier(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let people = common::results::setup(&ctx, &app, &[KIM_BOI]).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer2) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, far_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let officer = people.officer.clone();
        let (c1, c2) = front_room(&app, &admin, KIM_BOI).await;
        let key = device(&app, &admin, KIM_BOI).await;
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/communes/{HOA_BINH}/queue/services/A")).insert_header(bearer(&far_admin)).set_json(json!({"name": "Chứng thực"}))).await;
        assert_eq!(r.status, 200);
        let far = post(&app, &far_admin, &format!("/api/v1/communes/{HOA_BINH}/queue/counters"), json!({"number": 1, "name": "Quầy 1", "services": ["A"]})).await;
        let far_counter = far.body["id"].as_str().unwrap().to_string();

        // A closed counter does not call.
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/call-next")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.counter_closed"));
        assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/open")).await.status, 200);
        // Nothing waiting: no ticket.
        assert!(call_next(&app, &officer, &c1).await.is_null());

        let n1 = ticket(&app, &key, "A", None).await;
        let p1 = ticket(&app, &key, "A", Some("disability")).await;
        let p2 = ticket(&app, &key, "A", Some("pregnant")).await;
        let p3 = ticket(&app, &key, "A", Some("elderly")).await;
        let p4 = ticket(&app, &key, "A", Some("meritorious")).await;
        let _n2 = ticket(&app, &key, "A", None).await;

        // Priority first, at most 3 in a row while ordinary tickets wait, then the ordinary.
        let mut order = Vec::new();
        for _ in 0..4 {
            let t = call_next(&app, &officer, &c1).await;
            let id = t["id"].as_str().unwrap().to_string();
            assert_eq!(t["status"], "called");
            assert_eq!(t["counter"], 1);
            // A ticket in progress blocks the next call.
            let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/call-next")).await;
            assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.ticket_in_progress"));
            if t["priority_class"].is_string() {
                let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{id}/priority"), json!({"confirmed": true})).await;
                assert_eq!(r.body["priority_confirmed"], true, "{}", r.body);
            } else {
                let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{id}/priority"), json!({"confirmed": true})).await;
                assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.no_priority_claimed"));
            }
            // Another officer cannot act on it.
            let r = post_empty(&app, &officer2, &format!("/api/v1/queue/tickets/{id}/start")).await;
            assert_eq!(r.status, 409, "{}", r.body);
            let r = post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{id}/finish")).await;
            assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.ticket_status"));
            assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{id}/start")).await.body["status"], "serving");
            assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{id}/finish")).await.body["status"], "done");
            order.push(t["number"].as_str().unwrap().to_string());
        }
        let num = |t: &Value| t["number"].as_str().unwrap().to_string();
        assert_eq!(order, vec![num(&p1), num(&p2), num(&p3), num(&n1)]);

        // p4 next: recall, no-show only after two recalls.
        let t = call_next(&app, &officer, &c1).await;
        assert_eq!(t["number"], p4["number"]);
        let id = t["id"].as_str().unwrap().to_string();
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{id}/no-show")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.recalls_remaining"));
        for n in 1..=2 {
            let r = post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{id}/recall")).await;
            assert_eq!(r.body["recalls"], n, "{}", r.body);
        }
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{id}/no-show")).await;
        assert_eq!(r.body["status"], "no_show", "{}", r.body);

        // n2: transfer to a counter of another commune is refused, to counter 2 keeps its place.
        let t = call_next(&app, &officer, &c1).await;
        let id = t["id"].as_str().unwrap().to_string();
        let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{id}/transfer"), json!({"counter_id": far_counter})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"]["counter_id"].as_array().map(Vec::len), Some(1), "{}", r.body);
        let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{id}/transfer"), json!({})).await;
        assert_eq!(r.status, 422);
        let r = get(&app, &officer, &format!("/api/v1/queue/tickets/{id}")).await;
        assert_eq!(r.body["status"], "called", "nothing half-written");
        let later = ticket(&app, &key, "A", None).await;
        let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{id}/transfer"), json!({"counter_id": c2})).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("waiting")), "{}", r.body);
        // Counter 1 no longer sees it: it calls the later ticket; counter 2 calls the transferred one.
        let t = call_next(&app, &officer, &c1).await;
        assert_eq!(t["number"], later["number"]);
        assert_eq!(post_empty(&app, &officer2, &format!("/api/v1/queue/counters/{c2}/open")).await.status, 200);
        let t2 = call_next(&app, &officer2, &c2).await;
        assert_eq!(t2["id"].as_str(), Some(id.as_str()));
        assert_eq!(t2["counter"], 2);

        // The dossier received from a ticket: its history shows the ticket.
        let tid = t["id"].as_str().unwrap().to_string();
        assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{tid}/start")).await.status, 200);
        let r = post(&app, &officer, "/api/v1/dossiers", json!({
            "procedure_code": common::results::PROCEDURE, "applicant": common::results::applicant("001090000123"),
            "components": [{"document": "Tờ khai", "source": "paper"}]})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{tid}/dossier"), json!({"dossier_code": "KHONG-CO"})).await;
        assert_eq!(r.status, 422);
        let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{tid}/dossier"), json!({"dossier_code": code})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["dossier_code"], code.as_str());
        let r = post(&app, &officer, &format!("/api/v1/queue/tickets/{tid}/dossier"), json!({"dossier_code": code})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.dossier_already_linked"));
        let r = get(&app, &officer, &format!("/api/v1/dossiers/{code}/history")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let linked = r.body.to_string();
        assert!(linked.contains("queue_ticket_linked") && linked.contains(t["number"].as_str().unwrap()), "{linked}");
        let n: i64 = ctx.with_conn(|c| dossier_events::table.filter(dossier_events::action.eq("queue_ticket_linked")).count().get_result(c).unwrap());
        assert_eq!(n, 1);
    }

    async fn kiosks_are_rate_limited_per_device(ctx) {
        let db = ctx.db;
        let ctx = TestApp::with(db, |c| c.queue_kiosk_tickets_per_minute = 2).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (c1, _) = front_room(&app, &admin, KIM_BOI).await;
        assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/open")).await.status, 200);
        let key = device(&app, &admin, KIM_BOI).await;
        let key2 = device(&app, &admin, KIM_BOI).await;
        ticket(&app, &key, "A", None).await;
        ticket(&app, &key, "A", None).await;
        let r = kiosk(&app, Some(&key), KIM_BOI, json!({"service": "A"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (429, "queue.rate_limited"));
        assert!(r.header("retry-after").is_some());
        // Another device of the same center is not held back by the first.
        ticket(&app, &key2, "A", None).await;
        assert_eq!(ticket_count(&ctx), 3);
    }

    async fn remote_tickets_stop_at_the_cutoff(ctx) {
        let db = ctx.db;
        // Closing at 23:59 with no cut-off: open all day (but its last minute).
        let ctx = TestApp::with(db, |c| { c.queue_closing_time = "23:59".into(); c.queue_remote_cutoff_minutes = 0; }).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let (c1, _) = front_room(&app, &admin, KIM_BOI).await;
        assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/open")).await.status, 200);
        let uri = format!("/api/v1/communes/{KIM_BOI}/queue/remote-tickets");
        let r = post(&app, &officer, &uri, json!({"service": "A"})).await;
        assert_eq!(r.status, 403, "citizens only");
        let local = motcua::domain::calendar::to_local(chrono::Utc::now()).unwrap().time();
        if local < chrono::NaiveTime::from_hms_opt(23, 58, 0).unwrap() {
            let r = post(&app, &citizen, &uri, json!({"service": "A"})).await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!((r.body["source"].as_str(), r.body["number"].as_str()), (Some("remote"), Some("A001")));
            let id = r.body["id"].as_str().unwrap();
            assert_eq!(get(&app, &citizen, &format!("/api/v1/queue/tickets/{id}")).await.status, 200);
        }
        // A cut-off as long as the day: always closed.
        let db2 = TestDb::new(ctx.backend()).unwrap();
        let ctx2 = TestApp::with(db2, |c| c.queue_remote_cutoff_minutes = 24 * 60).await;
        let app2 = init_service(motcua::app::build(ctx2.state.clone())).await;
        let (_, admin2) = ctx2.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer2) = ctx2.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, citizen2) = ctx2.user(Role::Citizen, None);
        let (c1, _) = front_room(&app2, &admin2, KIM_BOI).await;
        assert_eq!(post_empty(&app2, &officer2, &format!("/api/v1/queue/counters/{c1}/open")).await.status, 200);
        let r = post(&app2, &citizen2, &uri, json!({"service": "A"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "queue.remote_cutoff"));
        assert_eq!(ticket_count(&ctx2), 0);
    }

    async fn two_officers_calling_at_once_never_get_the_same_ticket(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        // Six counters serving A, each with its officer.
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/services/A"))
            .insert_header(bearer(&admin)).set_json(json!({"name": "Chứng thực"}))).await;
        assert_eq!(r.status, 200);
        let mut desks = Vec::new();
        for n in 1..=6 {
            let r = post(&app, &admin, &format!("/api/v1/communes/{KIM_BOI}/queue/counters"), json!({"number": n, "name": format!("Quầy {n}"), "services": ["A"]})).await;
            let counter = r.body["id"].as_str().unwrap().to_string();
            let (user, token) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
            assert_eq!(post_empty(&app, &token, &format!("/api/v1/queue/counters/{counter}/open")).await.status, 200);
            desks.push((user, counter));
        }
        let key = device(&app, &admin, KIM_BOI).await;
        const TICKETS: usize = 30;
        for i in 0..TICKETS {
            ticket(&app, &key, "A", (i % 4 == 0).then_some("elderly")).await;
        }
        // Each officer on its own thread and its own connection, all released at once,
        // calling and finishing until the queue is empty.
        let settings = motcua::service::queue::QueueSettings::from_config(&ctx.state.config).unwrap();
        let barrier = Arc::new(Barrier::new(desks.len()));
        let mut threads = Vec::new();
        for (user, counter) in desks {
            let pool = ctx.state.pool.clone();
            let barrier = barrier.clone();
            threads.push(std::thread::spawn(move || {
                let p = motcua::auth::Principal { user_id: user.id.clone(), role: Role::ReceptionOfficer,
                    commune_code: user.commune_code.clone(), province_code: user.province_code.clone() };
                let mut conn = pool.get().unwrap();
                barrier.wait();
                let mut got = Vec::new();
                let mut took = Vec::new();
                loop {
                    let t0 = std::time::Instant::now();
                    let r = conn.write_transaction(|c| motcua::service::queue::call_next(c, &p, &counter, settings)).expect("call next");
                    took.push(t0.elapsed());
                    let Some(t) = r.ticket else { break };
                    got.push(t.number.clone());
                    conn.write_transaction(|c| motcua::service::queue::start(c, &p, &t.id)).expect("start");
                    conn.write_transaction(|c| motcua::service::queue::finish(c, &p, &t.id)).expect("finish");
                }
                (got, took)
            }));
        }
        let mut all = Vec::new();
        let mut took = Vec::new();
        for t in threads {
            let (got, t) = t.join().unwrap();
            all.extend(got);
            took.extend(t);
        }
        took.sort();
        eprintln!("call next on {:?}, 6 officers at once: p50 {:?}, p99 {:?}, max {:?} over {} calls",
            ctx.backend(), took[took.len() / 2], took[took.len() * 99 / 100], took[took.len() - 1], took.len());
        let distinct: HashSet<&String> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "a ticket called twice: {all:?}");
        assert_eq!(all.len(), TICKETS);
        let done: i64 = ctx.with_conn(|c| queue_tickets::table.filter(queue_tickets::status.eq("done")).count().get_result(c).unwrap());
        assert_eq!(done, TICKETS as i64);
        // One board event per issue and per call.
        let events: i64 = ctx.with_conn(|c| queue_events::table.filter(queue_events::kind.eq("called")).count().get_result(c).unwrap());
        assert_eq!(events, TICKETS as i64);
    }

    async fn the_board_streams_calls_and_resumes_after_last_event_id(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (c1, _) = front_room(&app, &admin, KIM_BOI).await;
        assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/counters/{c1}/open")).await.status, 200);
        let key = device(&app, &admin, KIM_BOI).await;
        ticket(&app, &key, "A", None).await;
        ticket(&app, &key, "A", None).await;
        call_next(&app, &officer, &c1).await;

        let r = call(&app, TestRequest::get().uri("/api/v1/communes/99999/queue/stream")).await;
        assert_eq!(r.status, 404);

        // A new board gets the recent events at once: two issues and the call.
        let res = actix_web::test::call_service(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/stream")).to_request()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get("content-type").unwrap(), "text/event-stream");
        let mut body = Box::pin(actix_web::body::MessageBody::boxed(res.into_body()));
        let events = read_events(&mut body, 3).await;
        assert_eq!(events[2].1["kind"], "called");
        assert_eq!(events[2].1["call"]["announcement"], "Mời công dân có số A001 đến quầy số 1");
        assert_eq!(events[2].1["waiting"]["A"], 1);
        // Live: the next call arrives within a second.
        let t0 = std::time::Instant::now();
        let id = events[2].1["call"].clone();
        assert!(id.is_object());
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{}/recall", first_ticket_called(&ctx))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let live = read_events(&mut body, 1).await;
        assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
        assert_eq!(live[0].1["kind"], "recalled");
        drop(body);

        // Cut and resumed from the first event: everything after it, nothing lost.
        let res = actix_web::test::call_service(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/stream"))
            .insert_header(("last-event-id", events[0].0.to_string())).to_request()).await;
        let mut body = Box::pin(actix_web::body::MessageBody::boxed(res.into_body()));
        let resumed = read_events(&mut body, 3).await;
        let ids: Vec<i64> = resumed.iter().map(|e| e.0).collect();
        assert_eq!(ids, vec![events[1].0, events[2].0, live[0].0]);
    }

    async fn the_display_page_is_served(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri(&format!("/display/{KIM_BOI}"))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let html = r.body.as_str().unwrap();
        assert!(html.contains("EventSource") && html.contains("speechSynthesis"));
        assert!(!html.contains("http://") && !html.contains("https://"), "no external assets");
        let r = call(&app, TestRequest::get().uri("/display/abc")).await;
        assert_eq!(r.status, 404);
    }
}

fn first_ticket_called(ctx: &TestApp) -> String {
    ctx.with_conn(|c| {
        queue_tickets::table
            .filter(queue_tickets::status.eq("called"))
            .select(queue_tickets::id)
            .first::<String>(c)
            .unwrap()
    })
}

/// Reads `n` server-sent events (id, data) from a streaming body, 3 s at most.
async fn read_events(
    body: &mut std::pin::Pin<Box<actix_web::body::BoxBody>>,
    n: usize,
) -> Vec<(i64, Value)> {
    use actix_web::body::MessageBody;
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while out.len() < n {
        let chunk = tokio::time::timeout_at(
            deadline,
            std::future::poll_fn(|cx| body.as_mut().poll_next(cx)),
        )
        .await
        .expect("events within 3 s")
        .expect("stream open")
        .expect("chunk");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse().ok();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(v).ok();
                }
            }
            if let (Some(id), Some(data)) = (id, data) {
                out.push((id, data));
            }
        }
    }
    out
}
