//! Issue 13, boundary hardening: each hole found by the attack review has its regression
//! test here, driven through the real HTTP app on SQLite and PostgreSQL.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::test::{init_service, TestRequest};
use chrono::{Duration, Utc};
use common::*;
use diesel::prelude::*;
use motcua::config::Config;
use motcua::db::schema::{
    dossier_attachments, dossiers, login_failures, payment_callbacks, users, webhook_deliveries,
    webhook_subscriptions,
};
use motcua::db::Backend;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

const PROCEDURE: &str = "1.004873";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/// Each test body once per backend, on an app whose configuration `tweak` adjusts.
macro_rules! both_backends_with {
    ($(async fn $name:ident($ctx:ident, $c:ident) $tweak:block $body:block)+) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn tweak($c: &mut Config) $tweak
            #[actix_web::test]
            async fn sqlite() {
                let $ctx = TestApp::with(TestDb::sqlite(), tweak).await;
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let Some(db) = TestDb::new(Backend::Postgres) else { return };
                let $ctx = TestApp::with(db, tweak).await;
                $body
            }
        }
    )+};
}

app_fn! {
    async fn post(app: &S, token: Option<&str>, uri: &str, body: Value) -> Resp {
        let mut r = TestRequest::post().uri(uri).set_json(body);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }
}

app_fn! {
    async fn post_raw(app: &S, token: Option<&str>, uri: &str, body: &str) -> Resp {
        let mut r = TestRequest::post()
            .uri(uri)
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_string());
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }
}

app_fn! {
    async fn get(app: &S, token: Option<&str>, uri: &str) -> Resp {
        let mut r = TestRequest::get().uri(uri);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }
}

app_fn! {
    // The procedure (one required document, `Tờ khai`) published in Kim Bôi.
    async fn catalog(ctx: &TestApp, app: &S) -> () {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = post(app, Some(&admin), "/api/v1/procedures", json!({
            "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "paper",
            "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung",
                       "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
                       "documents": [{"name": "Tờ khai", "form": "original"}]}]
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = call(app, TestRequest::put()
            .uri(&format!("/api/v1/communes/{KIM_BOI}/procedures/{PROCEDURE}"))
            .insert_header(bearer(&admin))).await;
        assert!(r.status == 201 || r.status == 200, "{}", r.body);
    }
}

fn intake(name: &str, id_number: &str) -> Value {
    json!({
        "procedure_code": PROCEDURE,
        "applicant": {"type": "citizen", "full_name": name, "id_number": id_number, "birth_year": 1990,
                      "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi"},
        "summary": "Xác nhận tình trạng hôn nhân",
        "components": [{"document": "Tờ khai", "source": "paper"}]
    })
}

fn count_dossiers(ctx: &TestApp) -> i64 {
    ctx.with_conn(|c| dossiers::table.count().get_result(c).unwrap())
}

fn login(username: &str, password: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/token")
        .set_json(json!({"username": username, "password": password}))
}

fn multipart(parts: &[(&str, &str)], file: Option<&[u8]>) -> (String, Vec<u8>) {
    multipart_form(parts, file.map(|b| ("a.pdf", b)))
}

fn files_in(dir: &std::path::Path) -> usize {
    fn walk(p: &std::path::Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(dir)
}

// ------------------------------------------------------------------ hole 12: bad input

both_backends! {
    // Hole 12: `{…} {"x":` was accepted and created a dossier; now 400 and nothing written.
    async fn json_followed_by_garbage_is_400_everywhere(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let body = format!("{} {{\"x\":", intake("Nguyễn Văn An", "025190000123"));
        let r = post_raw(&app, Some(&officer), "/api/v1/dossiers", &body).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (400, "json.malformed"), "{}", r.body);
        let r = post_raw(&app, Some(&officer), "/api/v1/dossiers", &format!("{} 1", intake("Nguyễn Văn An", "025190000123"))).await;
        assert_eq!(r.status, 400);
        assert_eq!(count_dossiers(&ctx), 0, "nothing written");
        // The same extractor reads every JSON body.
        let r = post_raw(&app, None, "/api/v1/auth/token", r#"{"username":"a","password":"b"} {"x":"#).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (400, "json.malformed"));
        // Trailing whitespace is still one JSON value.
        let r = post_raw(&app, Some(&officer), "/api/v1/dossiers", &format!("{}\n \t", intake("Nguyễn Văn An", "025190000123"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // Hole 12: U+0000 in a text field was a 500 on PostgreSQL; now 422 naming the field,
    // in JSON bodies, query parameters and multipart text parts, on both backends.
    async fn nul_bytes_are_422_naming_the_field(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = post(&app, Some(&officer), "/api/v1/dossiers", intake("Nguyễn\u{0}Văn An", "025190000123")).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["applicant.full_name"].is_array(), "{}", r.body);
        let mut body = intake("Nguyễn Văn An", "025190000123");
        body["components"][0]["document"] = json!("Tờ\u{0}khai");
        let r = post(&app, Some(&officer), "/api/v1/dossiers", body).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["components[0].document"].is_array(), "{}", r.body);
        assert_eq!(count_dossiers(&ctx), 0);
        // Query parameters.
        let r = get(&app, Some(&officer), "/api/v1/dossiers?q=abc%00def").await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["q"].is_array(), "{}", r.body);
        let r = get(&app, None, "/api/v1/public/dossiers/H25.04978-250701-0001?pin=%00").await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["pin"].is_array());
        // Path segments: no record has such a key.
        let r = get(&app, Some(&officer), "/api/v1/dossiers/H25%00X").await;
        assert_eq!(r.status, 404);
        // Multipart text parts.
        let r = post(&app, Some(&officer), "/api/v1/dossiers", intake("Nguyễn Văn An", "025190000123")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let (ct, body) = multipart(&[("document", "Tờ\u{0}khai")], Some(PDF));
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/attachments"))
            .insert_header(bearer(&officer)).insert_header(("content-type", ct)).set_payload(body)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["document"].is_array(), "{}", r.body);
    }

    // Hole 12: a search of only `%` or `_` returned every record in scope; they are
    // literal characters now (no name or code holds them, so nothing matches).
    async fn like_wildcards_in_searches_are_literal(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        for (i, name) in ["Nguyễn Văn An", "Trần Thị Bình"].iter().enumerate() {
            let r = post(&app, Some(&officer), "/api/v1/dossiers", intake(name, &format!("02519000012{i}"))).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let items = |r: &Resp| r.body["items"].as_array().map_or(usize::MAX, Vec::len);
        assert_eq!(items(&get(&app, Some(&officer), "/api/v1/dossiers?q=binh").await), 1, "a real search still works");
        for q in ["%25", "_", "%25%25", "__", "%5C"] {
            let r = get(&app, Some(&officer), &format!("/api/v1/dossiers?q={q}")).await;
            assert_eq!((r.status.as_u16(), items(&r)), (200, 0), "dossiers q={q}: {}", r.body);
            let r = get(&app, Some(&admin), &format!("/api/v1/users?q={q}")).await;
            assert_eq!((r.status.as_u16(), items(&r)), (200, 0), "users q={q}: {}", r.body);
            let r = get(&app, Some(&admin), &format!("/api/v1/procedures?q={q}")).await;
            assert_eq!((r.status.as_u16(), items(&r)), (200, 0), "procedures q={q}: {}", r.body);
        }
        assert_eq!(items(&get(&app, Some(&admin), "/api/v1/procedures?q=h%C3%B4n").await), 1);
    }
}

// ------------------------------------------------------------------ hole 6: login throttling

both_backends! {
    // Hole 6: 40 parallel wrong passwords were all checked against a limit of 5. The
    // attempt is now counted before the password is verified: at most 5 get a 401.
    async fn parallel_wrong_passwords_cannot_exceed_the_limit(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.user_named("song.song", Role::ReceptionOfficer, Some(KIM_BOI));
        let reqs = (0..40).map(|i| {
            let peer: SocketAddr = format!("198.51.100.{}:4000", i + 1).parse().unwrap();
            call(&app, login("song.song", &format!("wrong-{i}")).peer_addr(peer))
        });
        let results = futures_util::future::join_all(reqs).await;
        let checked = results.iter().filter(|r| r.status == 401).count();
        let refused = results.iter().filter(|r| r.status == 429).count();
        assert_eq!(checked + refused, 40);
        assert_eq!(checked, 5, "exactly the limit was checked");
        let recorded: i64 = ctx.with_conn(|c| login_failures::table
            .filter(login_failures::throttle_key.eq("user:song.song"))
            .count().get_result(c).unwrap());
        assert_eq!(recorded, 5);
        // The right password waits for the window too.
        assert_eq!(call(&app, login("song.song", TEST_PASSWORD)).await.status, 429);
    }

    // Hole 6 also with real threads: 4 OS threads, each its own app, share the database.
    async fn throttling_holds_across_threads_and_connections(ctx) {
        ctx.user_named("nhieu.luong", Role::ReceptionOfficer, Some(KIM_BOI));
        let statuses: Arc<Mutex<Vec<u16>>> = Arc::default();
        let threads: Vec<_> = (0..4).map(|t| {
            let state = ctx.state.clone();
            let statuses = statuses.clone();
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let app = init_service(motcua::app::build(state)).await;
                    let reqs = (0..5).map(|i| {
                        let peer: SocketAddr = format!("203.0.113.{}:4000", t * 10 + i + 1).parse().unwrap();
                        call(&app, login("nhieu.luong", "wrong").peer_addr(peer))
                    });
                    for r in futures_util::future::join_all(reqs).await {
                        statuses.lock().unwrap().push(r.status.as_u16());
                    }
                })
            })
        }).collect();
        for t in threads {
            t.join().unwrap();
        }
        let s = statuses.lock().unwrap();
        assert_eq!(s.len(), 20);
        assert_eq!(s.iter().filter(|&&x| x == 401).count(), 5, "{s:?}");
        assert_eq!(s.iter().filter(|&&x| x == 429).count(), 15, "{s:?}");
    }

    // Hole 11: a correct password for a deactivated account answered
    // `auth.account_disabled`; it now answers exactly like a wrong password.
    async fn deactivated_account_answers_like_a_wrong_password(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (user, _) = ctx.user_named("da.nghi", Role::ReceptionOfficer, Some(KIM_BOI));
        ctx.with_conn(|c| diesel::update(users::table.find(&user.id)).set(users::active.eq(false)).execute(c).unwrap());
        let timed = |pw: &'static str| {
            let app = &app;
            async move {
                let started = std::time::Instant::now();
                let r = call(app, login("da.nghi", pw)).await;
                (r, started.elapsed())
            }
        };
        let mut right_times = Vec::new();
        let mut wrong_times = Vec::new();
        for _ in 0..2 {
            let (right, t1) = timed(TEST_PASSWORD).await;
            let (wrong, t2) = timed("not-the-password").await;
            right_times.push(t1);
            wrong_times.push(t2);
            assert_eq!(right.status, wrong.status);
            assert_eq!(right.status, 401);
            for key in ["type", "title", "status", "detail", "code"] {
                assert_eq!(right.body[key], wrong.body[key], "{key}");
            }
            assert_eq!(right.problem_code(), "auth.invalid_credentials");
            assert_eq!(right.header("www-authenticate"), wrong.header("www-authenticate"));
        }
        // Both verified the password (argon2): comparable times, not one a shortcut.
        let (r, w) = (right_times.iter().min().unwrap(), wrong_times.iter().min().unwrap());
        let ratio = r.as_secs_f64() / w.as_secs_f64();
        assert!((0.25..4.0).contains(&ratio), "right {r:?} vs wrong {w:?}");
        // And it counted as a failure like any wrong password.
        let recorded: i64 = ctx.with_conn(|c| login_failures::table
            .filter(login_failures::throttle_key.eq("user:da.nghi"))
            .count().get_result(c).unwrap());
        assert_eq!(recorded, 4);
    }
}

// ------------------------------------------------------------------ hole 7: client address

both_backends_with! {
    // Hole 7: the first (client-written) X-Forwarded-For entry was the client; rotating it
    // bypassed the per-client limits. The right-most entry not a trusted proxy counts now.
    async fn forwarded_for_takes_the_right_most_untrusted_address(ctx, c) {
        c.trust_forwarded_for = true;
        c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
        c.login_max_failures_per_client = 3;
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let proxy: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let attempt = |i: usize, xff: String| login(&format!("u{i}"), "wrong").peer_addr(proxy).insert_header(("x-forwarded-for", xff));
        for i in 0..3 {
            // The client rotates what it writes; our two proxies append the real address.
            let r = call(&app, attempt(i, format!("1.1.1.{i}, 203.0.113.9, 10.0.0.7"))).await;
            assert_eq!(r.status, 401);
        }
        let r = call(&app, attempt(9, "1.1.1.99, 203.0.113.9, 10.0.0.7".into())).await;
        assert_eq!(r.status, 429, "rotating the left entries does not help");
        let r = call(&app, attempt(9, "203.0.113.10, 10.0.0.7".into())).await;
        assert_eq!(r.status, 401, "another client is another client");
        let recorded: i64 = ctx.with_conn(|c| login_failures::table
            .filter(login_failures::throttle_key.eq("ip:203.0.113.9"))
            .count().get_result(c).unwrap());
        assert_eq!(recorded, 3);
    }

    // Hole 7: IPv6 clients are counted per /64, so rotating the interface id does not help.
    async fn ipv6_clients_are_counted_per_64(ctx, c) {
        c.login_max_failures_per_client = 3;
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        for i in 0..3 {
            let peer: SocketAddr = format!("[2001:db8:25:1::{:x}]:5000", i + 1).parse().unwrap();
            assert_eq!(call(&app, login(&format!("v{i}"), "wrong").peer_addr(peer)).await.status, 401);
        }
        let same_64: SocketAddr = "[2001:db8:25:1:ffff::1]:5000".parse().unwrap();
        assert_eq!(call(&app, login("v9", "wrong").peer_addr(same_64)).await.status, 429);
        let other_64: SocketAddr = "[2001:db8:25:2::1]:5000".parse().unwrap();
        assert_eq!(call(&app, login("v9", "wrong").peer_addr(other_64)).await.status, 401);
    }

    // Hole 7: wrong PINs are limited per dossier, whatever address they come from.
    async fn failed_pins_are_limited_per_dossier(ctx, c) {
        c.public_lookup_max_failures_per_dossier = 3;
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut dossiers_made = Vec::new();
        for i in 0..2 {
            let r = post(&app, Some(&officer), "/api/v1/dossiers", intake("Nguyễn Văn An", &format!("02519000013{i}"))).await;
            assert_eq!(r.status, 201, "{}", r.body);
            dossiers_made.push((r.body["dossier"]["code"].as_str().unwrap().to_string(), r.body["receipt"]["lookup_pin"].as_str().unwrap().to_string()));
        }
        let (code, pin) = &dossiers_made[0];
        let lookup = |code: &str, pin: &str, n: u32| {
            let peer: SocketAddr = format!("192.0.2.{n}:4000").parse().unwrap();
            TestRequest::get().uri(&format!("/api/v1/public/dossiers/{code}?pin={pin}")).peer_addr(peer)
        };
        // A right PIN does not count.
        assert_eq!(call(&app, lookup(code, pin, 1)).await.status, 200);
        for n in 0..3 {
            assert_eq!(call(&app, lookup(code, "00000000", 10 + n)).await.status, 404);
        }
        let r = call(&app, lookup(code, pin, 50)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (429, "public.dossier_locked"));
        assert!(r.header("retry-after").is_some());
        // Another dossier is not affected.
        let (other, other_pin) = &dossiers_made[1];
        assert_eq!(call(&app, lookup(other, other_pin, 51)).await.status, 200);
        let recorded: i64 = ctx.with_conn(|c| login_failures::table
            .filter(login_failures::throttle_key.eq(format!("pin:{code}")))
            .count().get_result(c).unwrap());
        assert_eq!(recorded, 3);
    }
}

// ------------------------------------------------------------------ hole 8: payment callbacks

both_backends_with! {
    // Hole 8: every refused 1 MB callback body was stored whole. The route now takes at
    // most PAYMENT_CALLBACK_MAX_BYTES, checks the signature first, and keeps a digest and
    // a short prefix of what it refuses.
    async fn refused_callbacks_keep_only_a_digest(ctx, c) {
        c.payment_callback_max_bytes = 4096;
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let url = "/api/v1/payments/callbacks/sandbox";
        let cb = motcua::payments::Callback {
            kind: "PAY".into(),
            result_code: "00".into(),
            partner: "MOTCUA".into(),
            reference: "MC-NOPE".into(),
            amount: "10000".into(),
            currency: "VND".into(),
            transaction_id: "X".repeat(3000),
            bank_code: String::new(),
            time: motcua::payments::paygov::format_time(Utc::now()),
            info: String::new(),
            mac: "00".repeat(32),
        };
        let body = serde_json::to_string(&cb).unwrap();
        assert!(body.len() > 3000 && body.len() < 4096);
        let r = post_raw(&app, None, url, &body).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "payment.callback_invalid_signature"));
        let garbage = format!("{{\"junk\": \"{}\"}}", "Y".repeat(3500));
        let r = post_raw(&app, None, url, &garbage).await;
        assert_eq!(r.status, 422);
        let stored: Vec<(String, i32)> = ctx.with_conn(|c| payment_callbacks::table
            .select((payment_callbacks::body, payment_callbacks::http_status))
            .order(payment_callbacks::id)
            .load(c).unwrap());
        assert_eq!(stored.len(), 2);
        for (b, _) in &stored {
            assert!(b.starts_with("sha256="), "{b}");
            assert!(b.len() < 400, "bounded: {} bytes", b.len());
        }
        use sha2::Digest;
        assert!(stored[0].0.contains(&hex::encode(sha2::Sha256::digest(body.as_bytes()))));
        // Over the route's limit: 413 and nothing stored.
        let big = format!("{{\"junk\": \"{}\"}}", "Z".repeat(5000));
        let r = post_raw(&app, None, url, &big).await;
        assert_eq!(r.status, 413);
        let n: i64 = ctx.with_conn(|c| payment_callbacks::table.count().get_result(c).unwrap());
        assert_eq!(n, 2);
    }
}

// ------------------------------------------------------------------ hole 9: access log

static LOG_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Every log record of this test binary from the first call on, for the access-log test.
fn captured() -> &'static Mutex<Vec<String>> {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        struct Capture;
        impl log::Log for Capture {
            fn enabled(&self, _: &log::Metadata) -> bool {
                true
            }
            fn log(&self, record: &log::Record) {
                let line = format!("{} {}", record.target(), record.args());
                LOG_LINES
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line);
            }
            fn flush(&self) {}
        }
        log::set_boxed_logger(Box::new(Capture)).expect("no other logger in this binary");
        log::set_max_level(log::LevelFilter::Info);
    });
    &LOG_LINES
}

both_backends! {
    // Hole 9: the access log wrote `?pin=`, `?token=` and `?q=<ID number>` as sent.
    async fn the_access_log_never_holds_pins_tokens_or_id_numbers(ctx) {
        captured();
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let id_number = format!("025190{:06}", rand_digits() % 1_000_000);
        let r = post(&app, Some(&officer), "/api/v1/dossiers", intake("Nguyễn Văn An", &id_number)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let pin = r.body["receipt"]["lookup_pin"].as_str().unwrap().to_string();
        let token = format!("seal{}", rand_digits());
        assert_eq!(get(&app, None, &format!("/api/v1/public/dossiers/{code}?pin={pin}")).await.status, 200);
        get(&app, None, &format!("/api/v1/public/digital-results/verify?token={token}")).await;
        assert_eq!(get(&app, Some(&officer), &format!("/api/v1/dossiers?q={id_number}&limit=5")).await.status, 200);
        let lines = captured().lock().unwrap().clone();
        // The access line holds the path and never the query string.
        let access: Vec<&String> = lines.iter().filter(|l| l.starts_with(motcua::logging::ACCESS_TARGET)).collect();
        assert!(access.iter().any(|l| l.contains(&format!("\"GET /api/v1/public/dossiers/{code} HTTP/1.1\" 200"))), "{access:?}");
        assert!(access.iter().any(|l| l.contains("\"GET /api/v1/dossiers HTTP/1.1\" 200")), "{access:?}");
        assert!(access.iter().all(|l| !l.contains('?')), "{access:?}");
        for line in &lines {
            for secret in [&pin, &token, &id_number] {
                assert!(!line.contains(secret.as_str()), "leaked {secret} in {line}");
            }
        }
    }
}

fn rand_digits() -> u64 {
    use rand::Rng;
    rand::thread_rng().gen_range(10_000_000..99_999_999)
}

// ------------------------------------------------------------------ hole 4: webhooks

/// A receiver on loopback: `/hook` answers 200, `/redirect` a 302 to `/hook`. Records paths.
fn receiver() -> (u16, Arc<Mutex<Vec<String>>>) {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let g = got.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let g = g.clone();
                App::new().default_service(web::to(move |req: HttpRequest| {
                    let g = g.clone();
                    async move {
                        g.lock().unwrap().push(req.path().to_string());
                        if req.path() == "/redirect" {
                            HttpResponse::Found()
                                .insert_header(("location", "/hook"))
                                .finish()
                        } else {
                            HttpResponse::Ok().finish()
                        }
                    }
                }))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap()
        })
    });
    (port, got)
}

both_backends_with! {
    // Hole 4: any URL was accepted. Now HTTPS to public addresses only (plain HTTP and
    // internal addresses only to operator-listed hosts), refused without a row.
    async fn webhooks_refuse_internal_and_plain_http_targets(ctx, c) {
        c.webhook_allowed_http_hosts = vec!["127.0.0.1".into()];
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, cadmin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        for url in [
            "http://8.8.8.8/hook",
            "https://127.0.0.2/hook",
            "https://localhost/hook",
            "https://10.0.0.5/hook",
            "https://172.16.0.1/hook",
            "https://192.168.1.10/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/hook",
            "https://0.0.0.0/hook",
            "https://[::1]/hook",
            "https://[fd00:ec2::254]/hook",
            "https://[::ffff:10.0.0.1]/hook",
            "https://[fe80::1]/hook",
            "https://224.0.0.1/hook",
            "https://user:pw@8.8.8.8/hook",
            "ftp://8.8.8.8/hook",
        ] {
            let r = post(&app, Some(&cadmin), "/api/v1/webhooks", json!({"url": url})).await;
            assert_eq!(r.status, 422, "{url}: {}", r.body);
            assert!(r.body["errors"]["url"].is_array(), "{url}: {}", r.body);
        }
        let n: i64 = ctx.with_conn(|c| webhook_subscriptions::table.count().get_result(c).unwrap());
        assert_eq!(n, 0, "nothing stored");
        let r = post(&app, Some(&cadmin), "/api/v1/webhooks", json!({"url": "https://8.8.8.8/hook"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = post(&app, Some(&cadmin), "/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook"})).await;
        assert_eq!(r.status, 201, "listed by the operator: {}", r.body);
    }

    // Hole 4 at delivery: the resolver of the delivery agent checks the address it
    // connects to (a subscription stored before the rules, or a DNS answer that changed,
    // cannot reach loopback), redirects are not followed, and the log says what happened
    // in a fixed vocabulary.
    async fn webhook_deliveries_are_pinned_unredirected_and_logged_plainly(ctx, c) {
        c.webhook_allowed_http_hosts = vec!["127.0.0.1".into()];
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (admin, _) = ctx.user(Role::SystemAdmin, None);
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (port, got) = receiver();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Stored directly, as a rebinding DNS name or an older row would be.
        let urls = [
            ("a", format!("https://localhost:{port}/hook"), "address not allowed"),
            ("b", format!("http://localhost:{port}/hook"), "address not allowed"),
            ("c", format!("http://127.0.0.1:{port}/redirect"), "HTTP 302"),
            ("d", format!("http://127.0.0.1:{closed}/hook"), "connection failed"),
        ];
        ctx.with_conn(|conn| {
            for (id, url, _) in &urls {
                diesel::insert_into(webhook_subscriptions::table).values((
                    webhook_subscriptions::id.eq(id),
                    webhook_subscriptions::commune_code.eq(None::<String>),
                    webhook_subscriptions::url.eq(url),
                    webhook_subscriptions::secret.eq("s"),
                    webhook_subscriptions::event_types.eq("[]"),
                    webhook_subscriptions::active.eq(true),
                    webhook_subscriptions::created_by.eq(&admin.id),
                    webhook_subscriptions::created_at.eq(Utc::now().naive_utc()),
                )).execute(conn).unwrap();
            }
        });
        let r = post(&app, Some(&officer), "/api/v1/dossiers", intake("Nguyễn Văn An", "025190000140")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let policy = Arc::new(motcua::portal::outbound::OutboundPolicy::new(&ctx.state.config.webhook_allowed_http_hosts));
        let agent = motcua::portal::outbound::agent(policy, std::time::Duration::from_secs(5));
        let cfg = motcua::portal::outbox::DeliveryConfig::from_config(&ctx.state.config);
        let report = motcua::portal::webhooks::deliver_once(&ctx.state.pool, &agent, Utc::now() + Duration::seconds(1), &cfg).unwrap();
        assert_eq!((report.claimed, report.sent), (4, 0), "{report:?}");
        assert_eq!(got.lock().unwrap().clone(), vec!["/redirect".to_string()], "only the listed host was called, and the redirect not followed");
        for (id, _, word) in &urls {
            let (error, code): (Option<String>, Option<i32>) = ctx.with_conn(|c| webhook_deliveries::table
                .filter(webhook_deliveries::subscription_id.eq(id))
                .select((webhook_deliveries::last_error, webhook_deliveries::last_status_code))
                .first(c).unwrap());
            assert_eq!(error.as_deref(), Some(*word), "{id}");
            assert_eq!(code.is_some(), *id == "c");
        }
    }
}

// ------------------------------------------------------------------ hole 11: the smaller ones

both_backends_with! {
    // Hole 11: the file was written before its document was checked, and a dossier took
    // any number of files. Now nothing reaches the disk for a refused upload, and
    // MAX_ATTACHMENTS_PER_DOSSIER caps the count.
    async fn uploads_are_checked_before_writing_and_capped(ctx, c) {
        c.upload_dir = std::env::temp_dir().join(format!("motcua-hardening-{}", uuid::Uuid::new_v4().simple()));
        c.max_attachments_per_dossier = 2;
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let dir = ctx.state.config.upload_dir.clone();
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = post(&app, Some(&officer), "/api/v1/dossiers", intake("Nguyễn Văn An", "025190000150")).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let upload = |document: &str, bytes: Vec<u8>| {
            let (ct, body) = multipart(&[("document", document)], Some(&bytes));
            TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/attachments"))
                .insert_header(bearer(&officer)).insert_header(("content-type", ct)).set_payload(body)
        };
        let pdf = |n: u8| { let mut b = PDF.to_vec(); b.push(n); b };
        let r = call(&app, upload("Không có trong thủ tục", pdf(0))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(files_in(&dir), 0, "a refused upload leaves nothing on disk");
        for n in 1..=2 {
            let r = call(&app, upload("Tờ khai", pdf(n))).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let stored = files_in(&dir);
        let r = call(&app, upload("Tờ khai", pdf(3))).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "attachment.too_many"));
        assert_eq!(files_in(&dir), stored, "the refused third file was not written");
        let n: i64 = ctx.with_conn(|c| dossier_attachments::table.count().get_result(c).unwrap());
        assert_eq!(n, 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Hole 11: the public verify-by-file endpoint took 20 MB without a rate limit.
    async fn verify_by_file_has_a_small_limit_and_a_rate_limit(ctx, c) {
        c.max_verify_file_bytes = 1024;
        c.public_verify_files_per_minute = 2;
    } {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let verify = |bytes: Vec<u8>, n: u8| {
            let (ct, body) = multipart(&[], Some(&bytes));
            let peer: SocketAddr = format!("192.0.2.{n}:4000").parse().unwrap();
            TestRequest::post().uri("/api/v1/public/digital-results/verify")
                .insert_header(("content-type", ct)).set_payload(body).peer_addr(peer)
        };
        assert_eq!(call(&app, verify(vec![b'x'; 2000], 1)).await.status, 413);
        assert_eq!(call(&app, verify(PDF.to_vec(), 2)).await.status, 200);
        assert_eq!(call(&app, verify(PDF.to_vec(), 2)).await.status, 200);
        let r = call(&app, verify(PDF.to_vec(), 2)).await;
        assert_eq!(r.status, 429);
        assert!(r.header("retry-after").is_some());
        assert_eq!(call(&app, verify(PDF.to_vec(), 3)).await.status, 200, "per client");
    }
}

both_backends! {
    // Hole 11: catalog CSV cells starting with `=`, `+`, `-`, `@` ran as formulas in a
    // spreadsheet (OWASP CSV Injection). They are neutralised, and the import of the
    // export still changes nothing.
    async fn catalog_csv_export_neutralises_formulas_and_round_trips(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = post(&app, Some(&admin), "/api/v1/procedures", json!({
            "code": "1.000001", "name": "=HYPERLINK(\"http://evil.example\",\"Bấm\")", "field": "@Hộ tịch", "result_type": "paper",
            "legal_basis": "-Luật Hộ tịch 2014", "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "+Trường hợp chung",
                       "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
                       "documents": [{"name": "=1+1 Tờ khai", "form": "original"}]}]
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let export = call(&app, TestRequest::get().uri("/api/v1/procedures/export?format=csv").insert_header(bearer(&admin))).await;
        assert_eq!(export.status, 200);
        let text = export.body.as_str().unwrap().to_string();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut cells = 0;
        for row in reader.records() {
            for cell in row.unwrap().iter() {
                cells += 1;
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "formula cell: {cell}");
            }
        }
        assert!(cells > 0);
        assert!(text.contains("'=HYPERLINK"));
        let r = call(&app, TestRequest::post().uri("/api/v1/procedures/import")
            .insert_header(bearer(&admin)).insert_header(("content-type", "text/csv")).set_payload(text)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["inserted"].as_i64(), r.body["unchanged"].as_i64()), (Some(0), Some(1)), "{}", r.body);
        let r = get(&app, Some(&admin), "/api/v1/procedures/1.000001").await;
        assert_eq!(r.body["name"], "=HYPERLINK(\"http://evil.example\",\"Bấm\")");
    }
}

/// Hole 11: `PAYMENT_GATEWAY=sandbox` (anyone may mark a payment paid) is refused when the
/// server starts outside `--demo`, whatever the database.
#[test]
fn the_sandbox_gateway_is_refused_outside_demo() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.path().join("x.db").display())];
    if let Some(pg) = pg_admin_url() {
        urls.push(pg);
    }
    for url in urls {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("JWT_SECRET", TEST_SECRET)
            .env("RESULT_SIGNING_KEYS", format!("k:{}", "A".repeat(43)))
            .env("PAYMENT_GATEWAY", "sandbox")
            .env("MOTCUA_BIND", "127.0.0.1:0")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{url}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("PAYMENT_GATEWAY=sandbox"), "{stderr}");
    }
    // The explicit test-only switch gets past the check (the server then stops at the
    // unusable bind address, not at the gateway).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["serve", "--insecure-sandbox-payments"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("y.db").display()),
        )
        .env("JWT_SECRET", TEST_SECRET)
        .env("RESULT_SIGNING_KEYS", format!("k:{}", "A".repeat(43)))
        .env("PAYMENT_GATEWAY", "sandbox")
        .env("MOTCUA_BIND", "256.0.0.1:1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("PAYMENT_GATEWAY=sandbox lets anyone"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot listen on 256.0.0.1:1"), "{stderr}");
}
