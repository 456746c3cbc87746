//! Every failure is an RFC 9457 problem with the right status, in the caller's language.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::db::Backend;
use serde_json::json;

fn token_req() -> TestRequest {
    TestRequest::post().uri("/api/v1/auth/token")
}

both_backends! {
    async fn malformed_and_mistyped_bodies(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let json_ct = ("content-type", "application/json");

        let r = call(&app, token_req().insert_header(json_ct).set_payload("{\"username\": ")).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.problem_code(), "json.malformed");
        assert_eq!(r.body["instance"], "/api/v1/auth/token");

        let r = call(&app, token_req().set_json(json!({"username": "a", "password": "b", "admin": true}))).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.problem_code(), "validation");
        assert!(r.body["errors"]["admin"].is_array(), "the unknown field is named: {}", r.body);

        let r = call(&app, token_req().set_json(json!({"username": ["a"], "password": "b"}))).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["username"].is_array(), "{}", r.body);

        let r = call(&app, token_req().set_json(json!({"password": "b"}))).await;
        assert_eq!(r.status, 422, "missing field");
        assert!(r.body["errors"]["username"].is_array(), "the missing field is named: {}", r.body);

        let r = call(&app, token_req().insert_header(("content-type", "text/plain")).set_payload("{}")).await;
        assert_eq!(r.status, 415);
        assert_eq!(r.problem_code(), "unsupported_media_type");
        let r = call(&app, token_req().set_payload("{}")).await;
        assert_eq!(r.status, 415, "no content type at all");
        let r = call(&app, token_req().insert_header(("content-type", "application/problem+json")).set_payload("{\"username\":\"a\",\"password\":\"b\"}")).await;
        assert_ne!(r.status, 415, "+json suffix types are JSON");
    }

    async fn unknown_routes_and_methods(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri("/api/v1/khong-co")).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.problem_code(), "not_found");
        let r = call(&app, TestRequest::delete().uri("/api/v1/auth/token")).await;
        assert_eq!(r.status, 405);
        assert_eq!(r.problem_code(), "method_not_allowed");
        assert_eq!(r.header("allow"), Some("POST"));
        let r = call(&app, TestRequest::delete().uri("/api/v1/users/abc")).await;
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("GET, PATCH"));
    }

    async fn request_ids_are_kept_or_made(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri("/health").insert_header(("x-request-id", "kiosk-42-abc"))).await;
        assert_eq!(r.header("x-request-id"), Some("kiosk-42-abc"));
        let r = call(&app, TestRequest::get().uri("/nowhere").insert_header(("x-request-id", "trace-7"))).await;
        assert_eq!(r.header("x-request-id"), Some("trace-7"));
        assert_eq!(r.body["request_id"], "trace-7");
        let r = call(&app, TestRequest::get().uri("/nowhere")).await;
        let id = r.header("x-request-id").unwrap().to_string();
        assert_eq!(uuid::Uuid::parse_str(&id).map(|_| ()), Ok(()));
        assert_eq!(r.body["request_id"], id.as_str());
        // A header with control characters or absurd length is replaced, not echoed.
        let long = "x".repeat(300);
        let r = call(&app, TestRequest::get().uri("/health").insert_header(("x-request-id", long.as_str()))).await;
        assert_ne!(r.header("x-request-id"), Some(long.as_str()));
    }

    async fn messages_follow_accept_language(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let vi = call(&app, TestRequest::get().uri("/api/v1/auth/me")).await;
        let en = call(&app, TestRequest::get().uri("/api/v1/auth/me").insert_header(("accept-language", "en-US,en;q=0.9,vi;q=0.5"))).await;
        assert_eq!(vi.problem_code(), en.problem_code());
        assert_eq!(vi.body["title"], "Chưa xác thực");
        assert_eq!(en.body["title"], "Unauthorized");
        assert_ne!(vi.body["detail"], en.body["detail"]);
        assert_eq!(en.header("content-language"), Some("en"));
        let pref_vi = call(&app, TestRequest::get().uri("/api/v1/auth/me").insert_header(("accept-language", "en;q=0.3, vi"))).await;
        assert_eq!(pref_vi.body["title"], "Chưa xác thực");
    }

    async fn readiness_reports_the_database(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri("/ready")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["database"], if ctx.backend() == Backend::Sqlite { "sqlite" } else { "postgresql" });
        let r = call(&app, TestRequest::get().uri("/health")).await;
        assert_eq!(r.body["status"], "ok");
    }
}

#[actix_web::test]
async fn oversized_bodies_get_413() {
    let ctx = TestApp::with(TestDb::sqlite(), |c| c.max_json_bytes = 64).await;
    let app = init_service(motcua::app::build(ctx.state.clone())).await;
    let big = json!({"username": "a".repeat(100), "password": "b"});
    let r = call(&app, token_req().set_json(big)).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.problem_code(), "payload_too_large");
}

/// An unreachable database: /ready and every database-backed request answer 503, never 500.
async fn unreachable(url: &str) {
    let mut config = test_config(url);
    config.db_connect_timeout_secs = 1;
    let pool = motcua::db::build_pool(url, 2, std::time::Duration::from_secs(1));
    let state = motcua::state::AppState::new(config, pool).unwrap();
    let app = init_service(motcua::app::build(state)).await;
    let r = call(&app, TestRequest::get().uri("/ready")).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.problem_code(), "database.unavailable");
    assert!(r.header("retry-after").is_some());
    let r = call(
        &app,
        token_req().set_json(json!({"username": "a", "password": "b"})),
    )
    .await;
    assert_eq!(r.status, 503);
    let r = call(&app, TestRequest::get().uri("/health")).await;
    assert_eq!(r.status, 200, "liveness does not depend on the database");
}

#[actix_web::test]
async fn unreachable_postgres_gives_503() {
    unreachable("postgres://motcua:motcua@127.0.0.1:1/motcua?connect_timeout=1").await;
}

#[actix_web::test]
async fn unopenable_sqlite_gives_503() {
    unreachable("sqlite:///proc/motcua-no-such-dir/x.db").await;
}

/// The server recovers by itself: a pool built while PostgreSQL is unreachable serves
/// requests once it is reachable (simulated by pointing at a database that starts out
/// missing and is then created).
#[actix_web::test]
async fn recovers_when_the_database_returns() {
    let Some(admin) = pg_admin_url() else { return };
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let name = format!("recover_{}", uuid::Uuid::new_v4().simple());
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => return,
    };
    let pool = motcua::db::build_pool(&url, 2, std::time::Duration::from_secs(1));
    let mut config = test_config(&url);
    config.db_connect_timeout_secs = 1;
    let state = motcua::state::AppState::new(config, pool).unwrap();
    let app = init_service(motcua::app::build(state)).await;
    assert_eq!(
        call(&app, TestRequest::get().uri("/ready")).await.status,
        503
    );
    let mut conn = diesel::PgConnection::establish(&admin).unwrap();
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let mut ok = false;
    for _ in 0..30 {
        let r = call(&app, TestRequest::get().uri("/ready")).await;
        // Reachable but not migrated yet: still 503, with the reason.
        if r.status == 503 && r.body["code"] == "database.not_migrated" {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(app);
    let _ = conn.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
    assert!(ok, "the pool never reconnected");
}
