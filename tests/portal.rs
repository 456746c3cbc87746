//! National portal sync, inbound pushes, the event feed and webhooks, through the real
//! HTTP app and a mock portal on loopback, on both backends.

mod common;

use std::sync::{Arc, Mutex};

use actix_web::test::{init_service, TestRequest};
use chrono::{Duration, Utc};
use common::portal::{client, drain, fast};
use common::*;
use diesel::prelude::*;
use motcua::domain::roles::Role;
use motcua::portal::http::HttpPortalClient;
use motcua::portal::mock::{MockPortal, Mode};
use motcua::portal::outbox::{self, DeliveryConfig};
use serde_json::{json, Value};

const PROCEDURE: &str = "1.001193";

app_fn! {
    async fn post(app: &S, token: Option<&str>, uri: &str, body: Value) -> Resp {
        let mut r = TestRequest::post().uri(uri).set_json(body);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }

    async fn get(app: &S, token: &str, uri: &str) -> Resp {
        call(app, TestRequest::get().uri(uri).insert_header(bearer(token))).await
    }

    async fn catalog(ctx: &TestApp, app: &S) -> String {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = post(app, Some(&admin), "/api/v1/procedures", json!({
            "code": PROCEDURE, "name": "Đăng ký khai sinh", "field": "Hộ tịch", "result_type": "paper", "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung", "processing_time": {"value": 1, "unit": "working_days"},
                       "online_level": "full", "documents": [{"name": "Tờ khai", "form": "original"}]}]
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for commune in [KIM_BOI, HOA_BINH] {
            let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/procedures/{PROCEDURE}")).insert_header(bearer(&admin))).await;
            assert!(r.status.is_success());
        }
        // Both communes have their issued identifiers: their messages may go.
        let r = call(app, TestRequest::put().uri("/api/v1/provinces/25/agency-identifiers").insert_header(bearer(&admin))
            .set_json(json!({"items": [{"commune_code": KIM_BOI, "agency_code": "000.25.01.H25"},
                                       {"commune_code": HOA_BINH, "agency_code": "000.25.02.H25"}]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        admin
    }

    // Files a dossier at the counter and assigns it: two history events, two messages.
    async fn dossier_with_two_events(app: &S, officer: &str, specialist_id: &str, n: usize) -> String {
        let r = post(app, Some(officer), "/api/v1/dossiers", intake(n)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let etag = r.header("etag").unwrap().to_string();
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/transitions")).insert_header(bearer(officer))
            .insert_header(("if-match", etag)).set_json(json!({"action": "assign", "assignee_id": specialist_id}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        code
    }
}

fn intake(n: usize) -> Value {
    json!({
        "procedure_code": PROCEDURE,
        "applicant": {"type": "citizen", "full_name": "Lê Thị Mai", "id_number": format!("025190{n:06}"), "birth_year": 1990,
                      "phone": "0912345678", "address": "Thôn Bo"},
        "components": [{"document": "Tờ khai", "source": "paper"}]
    })
}

fn outbox_refs(ctx: &TestApp) -> Vec<(String, String, String)> {
    ctx.with_conn(|c| {
        use motcua::db::schema::{dossiers, portal_outbox};
        portal_outbox::table
            .inner_join(dossiers::table)
            .order(portal_outbox::id)
            .select((
                dossiers::code,
                portal_outbox::idempotency_ref,
                portal_outbox::status,
            ))
            .load(c)
            .unwrap()
    })
}

both_backends! {
    async fn every_change_reaches_the_portal_after_an_outage_in_order(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (specialist, _) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let portal = MockPortal::start(0).unwrap();
        let client = client(&portal);
        portal.set_mode(Mode::Down);
        let mut codes = Vec::new();
        for n in 0..6 {
            codes.push(dossier_with_two_events(&app, &officer, &specialist.id, n).await);
        }
        assert_eq!(outbox_refs(&ctx).len(), 12, "one message per history event, written with it");

        // Down for a long stretch: retried with backoff until dead-lettered; nothing lost.
        let r = outbox::deliver_once(&ctx.state.pool, &client, "w1", &Utc::now, &fast()).unwrap();
        assert_eq!((r.claimed, r.failed), (6, 6), "only the first message of each dossier is due");
        let r = get(&app, &officer, &format!("/api/v1/dossiers/{}/portal-sync", codes[0])).await;
        assert_eq!(r.body["state"], "pending");
        assert!(r.body["last_error"].as_str().unwrap().contains("503"), "{}", r.body);
        let total = drain(&ctx, &client, "w1");
        assert_eq!(total.dead, 6);
        let r = get(&app, &officer, &format!("/api/v1/dossiers/{}/portal-sync", codes[0])).await;
        assert_eq!(r.body["state"], "failed");
        let r = get(&app, &admin, "/api/v1/portal/outbox?status=dead").await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 6);
        assert!(portal.calls().is_empty());

        // Back up: an administrator re-queues; everything arrives, in order per dossier.
        portal.set_mode(Mode::Ok);
        let (_, cadmin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let r = post(&app, Some(&cadmin), "/api/v1/portal/outbox/requeue", json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["requeued"], 6);
        let total = drain(&ctx, &client, "w2");
        assert_eq!(total.sent, 12);
        let calls = portal.calls();
        let refs: Vec<String> = outbox_refs(&ctx).into_iter().map(|(_, r, s)| { assert_eq!(s, "sent"); r }).collect();
        let mut got: Vec<String> = calls.iter().map(|c| c.reference.clone()).collect();
        got.sort();
        let mut want = refs.clone();
        want.sort();
        assert_eq!(got, want, "every message, each once");
        for code in &codes {
            let mine: Vec<&motcua::portal::mock::Call> = calls.iter().filter(|c| &c.dossier_code == code).collect();
            assert_eq!(mine.len(), 2);
            assert_eq!(mine[0].service, "DongBoHoSoMC", "the dossier first");
            assert_eq!(mine[1].service, "CapNhatTienDoHoSoMC");
            let d = &mine[0].body["data"];
            // The header is the dossier as it is when delivered (processing by now).
            assert_eq!(d["TrangThaiHoSo"], 4);
            assert_eq!(d["KenhThucHien"], 1);
            assert_eq!(d["MaTTHC"], PROCEDURE);
            assert_eq!(d["NgayTiepNhan"].as_str().unwrap().len(), 14, "yyyyMMddHHmmss");
            assert_eq!(mine[1].body["data"]["TrangThai"], 4, "processing");
            assert_eq!(mine[0].body["madonvi"], "000.25.01.H25", "the issued identifier, not the unit code");
        }
        let r = get(&app, &officer, &format!("/api/v1/dossiers/{}/portal-sync", codes[0])).await;
        assert_eq!((r.body["state"].as_str(), r.body["sent"].as_i64()), (Some("synced"), Some(2)));
        let r = get(&app, &admin, "/api/v1/portal/status").await;
        assert_eq!((r.body["sent"].as_i64(), r.body["pending"].as_i64(), r.body["dead"].as_i64()), (Some(12), Some(0), Some(0)));
        // Scope: an officer may not administer; another commune's admin sees nothing.
        assert_eq!(get(&app, &officer, "/api/v1/portal/outbox").await.status, 403);
        let (_, other_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        assert_eq!(get(&app, &other_admin, "/api/v1/portal/outbox").await.body["items"].as_array().unwrap().len(), 0);
        let (_, neighbour) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        assert_eq!(get(&app, &neighbour, &format!("/api/v1/dossiers/{}/portal-sync", codes[0])).await.status, 404);
        portal.stop();
    }

    async fn a_worker_killed_after_sending_resends_the_same_reference(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = post(&app, Some(&officer), "/api/v1/dossiers", intake(1)).await;
        assert_eq!(r.status, 201);
        let portal = MockPortal::start(0).unwrap();
        let client = client(&portal);
        // Worker 1 claims and sends, then dies before marking the message sent.
        let now = Utc::now();
        let claimed = ctx.with_conn(|c| outbox::claim(c, "dies", now, &fast()).unwrap());
        assert_eq!(claimed.len(), 1);
        let message = ctx.with_conn(|c| outbox::render(c, &claimed[0]).unwrap());
        motcua::portal::PortalClient::send(&client, &message).unwrap();
        // While its lease runs, nobody else takes it.
        let r = outbox::deliver_once(&ctx.state.pool, &client, "w2", &move || now + Duration::seconds(5), &fast()).unwrap();
        assert_eq!(r.claimed, 0);
        // After the lease: sent again, with the same reference, and marked.
        let later = now + Duration::minutes(10);
        let r = outbox::deliver_once(&ctx.state.pool, &client, "w2", &move || later, &fast()).unwrap();
        assert_eq!(r.sent, 1);
        let calls = portal.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].reference, calls[1].reference);
        assert_eq!(outbox_refs(&ctx)[0].2, "sent");
        portal.stop();
    }

    async fn concurrent_workers_never_deliver_one_message_twice(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (specialist, _) = ctx.user(Role::Specialist, Some(KIM_BOI));
        for n in 0..30 {
            dossier_with_two_events(&app, &officer, &specialist.id, n).await;
        }
        let portal = MockPortal::start(0).unwrap();
        portal.set_mode(Mode::Slow(2));
        let small = DeliveryConfig { batch: 5, ..fast() };
        // Four workers, each with its own connection pool, as on four server instances.
        let threads: Vec<_> = (0..4).map(|i| {
            let (url, portal_url, cfg) = (ctx.db.url.clone(), portal.url.clone(), small.clone());
            std::thread::spawn(move || {
                let pool = motcua::db::build_pool(&url, 2, std::time::Duration::from_secs(30));
                let client = HttpPortalClient::new(portal_url, "u".into(), "p".into(), std::time::Duration::from_secs(2));
                let mut idle = 0;
                while idle < 3 {
                    let r = outbox::deliver_once(&pool, &client, &format!("w{i}"), &Utc::now, &cfg).unwrap();
                    if r.claimed == 0 { idle += 1; std::thread::sleep(std::time::Duration::from_millis(20)); } else { idle = 0; }
                }
            })
        }).collect();
        for t in threads { t.join().unwrap(); }
        let calls = portal.calls();
        let mut refs: Vec<&str> = calls.iter().map(|c| c.reference.as_str()).collect();
        assert_eq!(refs.len(), 60);
        refs.sort();
        refs.dedup();
        assert_eq!(refs.len(), 60, "no message delivered twice");
        // Per dossier, the dossier message came before its progress message.
        let mut seen = std::collections::HashSet::new();
        for c in &calls {
            if c.service == "CapNhatTienDoHoSoMC" {
                assert!(seen.contains(&c.dossier_code), "progress of {} before its dossier", c.dossier_code);
            } else {
                seen.insert(c.dossier_code.clone());
            }
        }
        // Each delivery counted its dossier as synced (766 1.4) in the transaction that
        // marked it sent, across four instances at once, and the raw rows agree.
        let report = get(&app, &officer, &format!("/api/v1/reports/communes/{KIM_BOI}?period=year")).await;
        assert_eq!(report.status, 200, "{}", report.body);
        assert_eq!(report.body["counters"]["synced"], 30, "{}", report.body["counters"]);
        let rebuilt = ctx.with_conn(|c| motcua::db::models::indicator::rebuild(c).unwrap());
        assert_eq!(rebuilt, 30);
        let again = get(&app, &officer, &format!("/api/v1/reports/communes/{KIM_BOI}?period=year")).await;
        assert_eq!(again.body["counters"], report.body["counters"]);
        portal.stop();
    }

    async fn portal_pushes_are_idempotent(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, portal_token) = ctx.user(Role::PortalClient, Some(KIM_BOI));
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut body = intake(7);
        body["commune_code"] = json!(KIM_BOI);
        let r = post(&app, Some(&portal_token), "/api/v1/dossiers", body.clone()).await;
        assert_eq!(r.status, 422, "the portal's reference is required");
        body["portal_reference"] = json!("G22.99-261128-000123");
        let first = post(&app, Some(&portal_token), "/api/v1/dossiers", body.clone()).await;
        assert_eq!(first.status, 201, "{}", first.body);
        let again = post(&app, Some(&portal_token), "/api/v1/dossiers", body.clone()).await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(first.body["dossier"]["code"], again.body["dossier"]["code"]);
        // Racing duplicates: still one dossier.
        body["portal_reference"] = json!("G22.99-261128-000124");
        let reqs = (0..5).map(|_| post(&app, Some(&portal_token), "/api/v1/dossiers", body.clone()));
        let results = futures_util::future::join_all(reqs).await;
        assert!(results.iter().all(|r| r.status == 201 || r.status == 200), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
        let mut codes: Vec<&str> = results.iter().map(|r| r.body["dossier"]["code"].as_str().unwrap()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 1);
        let count: i64 = ctx.with_conn(|c| motcua::db::schema::dossiers::table.count().get_result(c).unwrap());
        assert_eq!(count, 2);
        let mut counter = intake(8);
        counter["portal_reference"] = json!("X");
        assert_eq!(post(&app, Some(&officer), "/api/v1/dossiers", counter).await.status, 422, "only the portal sends one");
    }

    async fn the_event_feed_resumes_exactly_after_the_cursor(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (specialist, _) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let (_, neighbour) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        for n in 0..4 {
            dossier_with_two_events(&app, &officer, &specialist.id, n).await;
        }
        let r = post(&app, Some(&neighbour), "/api/v1/dossiers", intake(50)).await;
        assert_eq!(r.status, 201);
        // On PostgreSQL an event shows once every older transaction in the cluster has
        // ended (other tests run alongside): wait for the horizon to pass.
        let mut all = get(&app, &admin, "/api/v1/events?limit=500").await;
        for _ in 0..100 {
            if all.body["items"].as_array().unwrap().len() == 9 { break; }
            std::thread::sleep(std::time::Duration::from_millis(100));
            all = get(&app, &admin, "/api/v1/events?limit=500").await;
        }
        assert_eq!(all.status, 200, "{}", all.body);
        let everything: Vec<i64> = all.body["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(everything.len(), 9);
        // Page through three at a time: the same events, none twice, none skipped.
        let mut after: Option<String> = None;
        let mut paged = Vec::new();
        loop {
            let uri = format!("/api/v1/events?limit=3{}", after.as_ref().map(|a| format!("&after={a}")).unwrap_or_default());
            let r = get(&app, &admin, &uri).await;
            let items = r.body["items"].as_array().unwrap().clone();
            if items.is_empty() {
                assert_eq!(r.body["next_after"].as_str(), after.as_deref(), "unchanged at the end");
                break;
            }
            paged.extend(items.iter().map(|e| e["id"].as_i64().unwrap()));
            after = r.body["next_after"].as_str().map(str::to_string);
        }
        assert_eq!(paged, everything);
        // New events appear after the saved cursor, and only they.
        dossier_with_two_events(&app, &officer, &specialist.id, 9).await;
        let uri = format!("/api/v1/events?after={}", after.unwrap());
        let mut r = get(&app, &admin, &uri).await;
        for _ in 0..100 {
            if r.body["items"].as_array().unwrap().len() == 2 { break; }
            std::thread::sleep(std::time::Duration::from_millis(100));
            r = get(&app, &admin, &uri).await;
        }
        let types: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["dossier.received", "dossier.status_changed"]);
        // Type filter and scope.
        let r = get(&app, &officer, "/api/v1/events?types=dossier.status_changed").await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
        let r = get(&app, &neighbour, "/api/v1/events").await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "only its commune");
        assert_eq!(get(&app, &admin, "/api/v1/events?types=nope").await.status, 422);
        assert_eq!(get(&app, &admin, "/api/v1/events?after=garbage").await.status, 400);
    }

    async fn webhooks_are_signed_retried_and_logged(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, cadmin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (receiver_url, received) = receiver();
        let r = post(&app, Some(&cadmin), "/api/v1/webhooks", json!({"url": receiver_url, "event_types": ["dossier.received"]})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let secret = r.body["secret"].as_str().unwrap().to_string();
        assert_eq!(get(&app, &cadmin, "/api/v1/webhooks").await.body[0]["secret"], Value::Null, "shown once");
        let r = post(&app, Some(&cadmin), "/api/v1/webhooks", json!({"url": "https://x.example/h", "commune_code": HOA_BINH})).await;
        assert_eq!(r.status, 403);
        let r = post(&app, Some(&officer), "/api/v1/dossiers", intake(3)).await;
        assert_eq!(r.status, 201);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();

        let policy = Arc::new(motcua::portal::outbound::OutboundPolicy::new(&ctx.state.config.webhook_allowed_http_hosts));
        let agent = motcua::portal::outbound::agent(policy, std::time::Duration::from_secs(5));
        // The receiver fails the first time: retried, then delivered.
        let r = motcua::portal::webhooks::deliver_once(&ctx.state.pool, &agent, Utc::now(), &fast()).unwrap();
        assert_eq!((r.claimed, r.failed), (1, 1));
        let r = motcua::portal::webhooks::deliver_once(&ctx.state.pool, &agent, Utc::now() + Duration::minutes(1), &fast()).unwrap();
        assert_eq!((r.claimed, r.sent), (1, 1));
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 2);
        let (signature, body) = &got[1];
        let now = Utc::now().timestamp();
        assert!(motcua::portal::webhooks::verify(&secret, signature, body, now, 300), "a receiver can verify it");
        assert!(!motcua::portal::webhooks::verify("wrong", signature, body, now, 300));
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["type"], "dossier.received");
        assert_eq!(event["dossier_code"], code.as_str());
        let r = get(&app, &cadmin, &format!("/api/v1/webhooks/{id}/deliveries")).await;
        let d = &r.body["items"][0];
        assert_eq!((d["status"].as_str(), d["attempts"].as_i64(), d["last_status_code"].as_i64()), (Some("delivered"), Some(2), Some(200)));
        // Unsubscribed: no more deliveries.
        let r = call(&app, TestRequest::delete().uri(&format!("/api/v1/webhooks/{id}")).insert_header(bearer(&cadmin))).await;
        assert_eq!(r.status, 204);
        post(&app, Some(&officer), "/api/v1/dossiers", intake(4)).await;
        let r = motcua::portal::webhooks::deliver_once(&ctx.state.pool, &agent, Utc::now() + Duration::minutes(2), &fast()).unwrap();
        assert_eq!(r.claimed, 0);
    }

    async fn the_portal_catalog_syncs_idempotently(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let portal_catalog = json!({"data": [{
            "MaTTHC": "1.004222", "TenTTHC": "Đăng ký thường trú", "TenLinhVuc": "Cư trú", "CapThucHien": "Cấp Xã",
            "CanCuPhapLy": "Luật Cư trú 2020", "LoaiKetQua": "Giấy",
            "TruongHop": [{"MaTruongHop": "TH1", "TenTruongHop": "Chung", "ThoiHanGiaiQuyet": 7, "DonViTinh": "Ngày làm việc", "MucDo": "Toàn trình",
                           "ThanhPhanHoSo": [{"TenGiayTo": "Tờ khai CT01", "BanChinh": 1, "BatBuoc": 1}]}]
        }]});
        let r = post(&app, Some(&admin), "/api/v1/procedures/import?source=portal", portal_catalog.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["inserted"], 1);
        let r = post(&app, Some(&admin), "/api/v1/procedures/import?source=portal", portal_catalog.clone()).await;
        assert_eq!((r.body["inserted"].as_i64(), r.body["unchanged"].as_i64()), (Some(0), Some(1)), "{}", r.body);
        let r = get(&app, &admin, "/api/v1/procedures/1.004222").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = post(&app, Some(&admin), "/api/v1/procedures/import?source=portal", json!({"x": 1})).await;
        assert_eq!(r.status, 422);
    }
}

/// A webhook receiver on loopback that fails its first request, then records signature
/// and body of each.
/// Signature header and body of each request the receiver got.
type Received = Arc<Mutex<Vec<(String, String)>>>;

fn receiver() -> (String, Received) {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Received = Arc::default();
    let g = got.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let g = g.clone();
                App::new().route(
                    "/hook",
                    web::post().to(move |req: HttpRequest, body: String| {
                        let g = g.clone();
                        async move {
                            let sig = req
                                .headers()
                                .get("x-motcua-signature")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string();
                            let mut all = g.lock().unwrap();
                            all.push((sig, body));
                            if all.len() == 1 {
                                HttpResponse::InternalServerError().finish()
                            } else {
                                HttpResponse::Ok().finish()
                            }
                        }
                    }),
                )
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap()
        })
    });
    (url, got)
}
