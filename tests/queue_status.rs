//! A ticket's status (position as `call next` orders it, estimated wait, counter) for the
//! kiosk, the citizen who took it and the commune's staff, and the 58 mm printed ticket the
//! kiosk gets with `Accept: text/plain`; through the real HTTP app on both backends.

#![allow(clippy::result_large_err)]

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use diesel::prelude::*;
use motcua::db::schema::queue_tickets;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

app_fn! {
    async fn post(app: &S, token: &str, uri: &str, body: Value) -> Resp {
        call(app, TestRequest::post().uri(uri).insert_header(bearer(token)).set_json(body)).await
    }

    async fn post_empty(app: &S, token: &str, uri: &str) -> Resp {
        call(app, TestRequest::post().uri(uri).insert_header(bearer(token))).await
    }

    async fn status_as(app: &S, token: &str, id: &str) -> Resp {
        call(app, TestRequest::get().uri(&format!("/api/v1/queue/tickets/{id}/status")).insert_header(bearer(token))).await
    }

    async fn status_kiosk(app: &S, key: &str, id: &str) -> Resp {
        call(app, TestRequest::get().uri(&format!("/api/v1/queue/tickets/{id}/status")).insert_header(("x-device-key", key.to_string()))).await
    }

    // Service A at counter 1 of the commune, opened by `officer`; returns (counter, kiosk key).
    async fn front_room(app: &S, admin: &str, officer: &str, commune: &str) -> (String, String) {
        let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/queue/services/A"))
            .insert_header(bearer(admin)).set_json(json!({"name": "Chứng thực bản sao", "fields": ["Chứng thực"]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = post(app, admin, &format!("/api/v1/communes/{commune}/queue/counters"), json!({"number": 1, "name": "Quầy 1", "services": ["A"]})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let counter = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(post_empty(app, officer, &format!("/api/v1/queue/counters/{counter}/open")).await.status, 200);
        let r = post(app, admin, &format!("/api/v1/communes/{commune}/queue/devices"), json!({"name": "Kiosk sảnh"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        (counter, r.body["key"].as_str().unwrap().to_string())
    }

    async fn ticket(app: &S, key: &str, commune: &str, priority: Option<&str>) -> String {
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/communes/{commune}/queue/tickets"))
            .insert_header(("x-device-key", key.to_string()))
            .set_json(json!({"service": "A", "priority_class": priority}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }
}

fn position(r: &Resp) -> (Option<u64>, Option<u64>) {
    assert_eq!(r.status, 200, "{}", r.body);
    (r.body["position"].as_u64(), r.body["people_ahead"].as_u64())
}

both_backends! {
    async fn status_follows_the_queue_for_its_readers_only(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, far_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let (_, far_officer) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let (citizen_user, citizen) = ctx.user(Role::Citizen, None);
        let (_, other_citizen) = ctx.user(Role::Citizen, None);
        let (counter, key) = front_room(&app, &admin, &officer, KIM_BOI).await;
        let (_, far_key) = front_room(&app, &far_admin, &far_officer, HOA_BINH).await;

        let t1 = ticket(&app, &key, KIM_BOI, None).await;
        let t2 = ticket(&app, &key, KIM_BOI, None).await;
        let t3 = ticket(&app, &key, KIM_BOI, None).await;
        // t3 is the citizen's (as a remote ticket would be: remote issue depends on the hour).
        ctx.with_conn(|c| diesel::update(queue_tickets::table.find(&t3)).set(queue_tickets::citizen_id.eq(&citizen_user.id)).execute(c).unwrap());

        let r = status_kiosk(&app, &key, &t3).await;
        assert_eq!(position(&r), (Some(3), Some(2)));
        assert_eq!(r.body["status"], "waiting");
        assert_eq!(r.body["number"], "A003");
        assert_eq!(r.body["open_counters"], 1);
        assert!(r.body["estimated_wait_minutes"].is_null(), "nothing served today: {}", r.body);
        assert!(r.body["counter"].is_null());
        assert_eq!(position(&status_kiosk(&app, &key, &t1).await), (Some(1), Some(0)));

        // A priority ticket taken later goes first: t3 moves back.
        let p = ticket(&app, &key, KIM_BOI, Some("elderly")).await;
        assert_eq!(position(&status_as(&app, &citizen, &t3).await), (Some(4), Some(3)));
        assert_eq!(position(&status_as(&app, &officer, &p).await), (Some(1), Some(0)));

        // Called: the priority ticket first; it has a counter and no position.
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{counter}/call-next")).await;
        assert_eq!(r.body["ticket"]["id"].as_str(), Some(p.as_str()), "{}", r.body);
        let r = status_kiosk(&app, &key, &p).await;
        assert_eq!((r.body["status"].as_str(), r.body["counter"].as_i64()), (Some("called"), Some(1)), "{}", r.body);
        assert_eq!(position(&r), (None, None));
        assert_eq!(position(&status_as(&app, &citizen, &t3).await), (Some(3), Some(2)));

        // Served in 5 and 9 minutes: median 7 × position ÷ 1 open counter.
        for (t, minutes) in [(&p, 5), (&t1, 9)] {
            if t != &p {
                let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{counter}/call-next")).await;
                assert_eq!(r.body["ticket"]["id"].as_str(), Some(t.as_str()), "{}", r.body);
            }
            assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{t}/start")).await.status, 200);
            assert_eq!(post_empty(&app, &officer, &format!("/api/v1/queue/tickets/{t}/finish")).await.status, 200);
            ctx.with_conn(|c| {
                let started: chrono::NaiveDateTime = queue_tickets::table.find(t).select(queue_tickets::started_at.assume_not_null()).first(c).unwrap();
                diesel::update(queue_tickets::table.find(t))
                    .set(queue_tickets::finished_at.eq(started + chrono::TimeDelta::minutes(minutes)))
                    .execute(c).unwrap();
            });
        }
        let r = status_as(&app, &citizen, &t3).await;
        assert_eq!(position(&r), (Some(2), Some(1)));
        assert_eq!(r.body["estimated_wait_minutes"], 14, "{}", r.body);
        let r = status_kiosk(&app, &key, &t2).await;
        assert_eq!((position(&r), r.body["estimated_wait_minutes"].as_u64()), ((Some(1), Some(0)), Some(7)));

        // The counter closes: no estimate, no counter open.
        let r = post_empty(&app, &officer, &format!("/api/v1/queue/counters/{counter}/close")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = status_kiosk(&app, &key, &t3).await;
        assert_eq!((r.body["open_counters"].as_u64(), r.body["estimated_wait_minutes"].is_null()), (Some(0), true), "{}", r.body);

        // Everyone else: 404 (another citizen, another commune's staff or kiosk); no or a bad
        // key: 401.
        for token in [&other_citizen, &far_officer, &far_admin] {
            let r = status_as(&app, token, &t3).await;
            assert_eq!((r.status.as_u16(), r.problem_code()), (404, "not_found"), "{}", r.body);
        }
        assert_eq!(status_as(&app, &citizen, &t2).await.status, 404, "not the citizen's ticket");
        let r = status_kiosk(&app, &far_key, &t3).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (404, "not_found"));
        let r = status_kiosk(&app, "not-a-key", &t3).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (401, "queue.device_key_invalid"));
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/queue/tickets/{t3}/status"))).await;
        assert_eq!(r.status, 401);
        assert_eq!(status_kiosk(&app, &key, "no-such-ticket").await.status, 404);
    }

    async fn the_kiosk_prints_a_58mm_ticket(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, key) = front_room(&app, &admin, &officer, KIM_BOI).await;
        ticket(&app, &key, KIM_BOI, None).await;

        let req = TestRequest::post().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/tickets"))
            .insert_header(("x-device-key", key.clone()))
            .insert_header(("accept", "text/plain"))
            .set_json(json!({"service": "A"}));
        let resp = actix_web::test::call_service(&app, req.to_request()).await;
        assert_eq!(resp.status(), 201);
        assert_eq!(resp.headers().get("content-type").unwrap(), "text/plain; charset=utf-8");
        let bytes = actix_web::test::read_body(resp).await;
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        for line in text.lines() {
            assert!(line.chars().count() <= 32, "{line:?}");
        }
        let id: String = ctx.with_conn(|c| queue_tickets::table.filter(queue_tickets::number.eq("A002")).select(queue_tickets::id).first(c).unwrap());
        assert!(text.contains("\n            A 0 0 2\n"), "{text}");
        assert!(text.contains("Dịch vụ: Chứng thực bản sao\n"), "{text}");
        assert!(text.contains("Số người chờ trước bạn: 1\n"), "{text}");
        assert!(text.contains("SỐ THỨ TỰ"), "{text}");
        let url: String = text.lines().skip_while(|l| *l != "Tra cứu số thứ tự:").skip(1).collect();
        assert!(url.ends_with(&format!("/api/v1/queue/tickets/{id}/status")), "{url}");
        let when = motcua::domain::calendar::to_local(chrono::Utc::now()).unwrap().format("%d/%m/%Y").to_string();
        assert!(text.contains(&when), "{text}");

        // JSON stays the default, also for a browser's mixed Accept.
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/communes/{KIM_BOI}/queue/tickets"))
            .insert_header(("x-device-key", key.clone()))
            .insert_header(("accept", "application/json, text/plain, */*"))
            .set_json(json!({"service": "A"}))).await;
        assert_eq!((r.status.as_u16(), r.body["number"].as_str()), (201, Some("A003")), "{}", r.body);
    }
}
