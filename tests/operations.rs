//! What browsers and operators meet (issue 18, items 4 and 5): CORS preflights and their
//! refusals, `/metrics`, and the `RateLimit-*` headers of throttled routes.

mod common;

use actix_web::test::{init_service, TestRequest};
use diesel::prelude::*;
use serde_json::json;

use common::*;
use motcua::db::schema::{login_failures, portal_outbox};
use motcua::domain::roles::Role;

const FRONTEND: &str = "https://motcua.phutho.gov.vn";
const METRICS_TOKEN: &str = "scrape-token-for-tests-0123456789";

fn preflight(origin: &str, method: &str, headers: &str) -> TestRequest {
    TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api/v1/dossiers")
        .insert_header(("origin", origin))
        .insert_header(("access-control-request-method", method))
        .insert_header(("access-control-request-headers", headers))
}

/// Publishes one procedure in Kim Bôi and receives a dossier for it: the dossier's history
/// puts a message in the portal outbox.
async fn receive_a_dossier<S, B>(ctx: &TestApp, app: &S)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let (_, admin) = ctx.user(Role::SystemAdmin, None);
    let r = call(app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(&admin)).set_json(json!({
        "code": "1.004873", "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "paper",
        "effective_from": "2025-07-01",
        "cases": [{"code": "default", "name": "Trường hợp chung",
                   "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
                   "documents": [{"name": "Tờ khai", "form": "original"}]}]
    }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = call(
        app,
        TestRequest::put()
            .uri(&format!("/api/v1/communes/{KIM_BOI}/procedures/1.004873"))
            .insert_header(bearer(&admin)),
    )
    .await;
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
    let r = call(app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&officer)).set_json(json!({
        "procedure_code": "1.004873",
        "applicant": {"type": "citizen", "full_name": "Nguyễn Văn An", "id_number": "025190000001", "birth_year": 1990,
                      "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi"},
        "summary": "Xác nhận tình trạng hôn nhân",
        "components": [{"document": "Tờ khai", "source": "paper"}]
    }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

fn scrape(token: Option<&str>) -> TestRequest {
    let req = TestRequest::get().uri("/metrics");
    match token {
        Some(t) => req.insert_header(bearer(t)),
        None => req,
    }
}

/// The value of one unlabelled or labelled sample in the text format, e.g.
/// `motcua_portal_outbox_messages{status="dead"}`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

both_backends! {
    async fn a_refused_preflight_explains_itself_and_names_the_setting(ctx) {
        // No CORS_ALLOWED_ORIGINS: every browser origin is refused, and the answer says why.
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, preflight(FRONTEND, "POST", "content-type")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "cors.not_configured"));
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains("CORS_ALLOWED_ORIGINS") && detail.contains(FRONTEND), "{detail}");
        assert!(r.header("access-control-allow-origin").is_none());

        let ctx = TestApp::with(TestDb::new(ctx.backend()).unwrap(), |c| {
            c.cors_allowed_origins = vec![FRONTEND.into()];
        }).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, preflight("https://evil.example", "GET", "authorization").insert_header(("accept-language", "en"))).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "cors.origin_not_allowed"));
        assert!(r.body["detail"].as_str().unwrap().contains("CORS_ALLOWED_ORIGINS"));
        let r = call(&app, preflight(FRONTEND, "POST", "x-secret-header")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "cors.header_not_allowed"));
        assert!(r.body["detail"].as_str().unwrap().contains("if-none-match"));
    }

    async fn browsers_may_send_conditional_and_idempotent_requests_and_read_the_headers(ctx) {
        let ctx = TestApp::with(TestDb::new(ctx.backend()).unwrap(), |c| {
            c.cors_allowed_origins = vec![FRONTEND.into()];
        }).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        for (method, headers) in [
            ("GET", "authorization, if-none-match"),
            ("PATCH", "authorization, content-type, if-match"),
            ("POST", "authorization, content-type, idempotency-key, x-request-id"),
        ] {
            let r = call(&app, preflight(FRONTEND, method, headers)).await;
            assert_eq!(r.status, 200, "{method} {headers}: {}", r.body);
            assert_eq!(r.header("access-control-allow-origin"), Some(FRONTEND));
            let allowed = r.header("access-control-allow-headers").unwrap().to_lowercase();
            for h in headers.split(", ") {
                assert!(allowed.contains(h), "{h} not in {allowed}");
            }
        }
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, TestRequest::get().uri("/api/v1/dossiers")
            .insert_header(("origin", FRONTEND)).insert_header(bearer(&officer))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let exposed = r.header("access-control-expose-headers").unwrap().to_lowercase();
        for h in ["etag", "location", "idempotent-replayed", "retry-after", "x-request-id",
                  "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
            assert!(exposed.contains(h), "{h} not exposed: {exposed}");
        }
    }

    async fn metrics_need_the_token_and_label_routes_by_template(ctx) {
        // Without METRICS_TOKEN there is nothing to read.
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        assert_eq!(call(&app, scrape(Some(METRICS_TOKEN))).await.status, 404);

        let ctx = TestApp::with(TestDb::new(ctx.backend()).unwrap(), |c| {
            c.metrics_token = Some(METRICS_TOKEN.into());
            c.login_max_failures_per_user = 2;
        }).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, scrape(None)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (401, "metrics.token_required"));
        assert_eq!(call(&app, scrape(Some("scrape-token-for-tests-0123456780"))).await.status, 401);

        // A request for a record that does not exist: counted under its template, the id nowhere.
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let missing = uuid::Uuid::new_v4().to_string();
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{missing}")).insert_header(bearer(&officer))).await;
        assert_eq!(r.status, 404);
        // Two failed logins for one name: that name is now throttled.
        let (user, _) = ctx.user(Role::Specialist, Some(KIM_BOI));
        for _ in 0..2 {
            let r = call(&app, TestRequest::post().uri("/api/v1/auth/token")
                .set_json(json!({"username": user.username, "password": "wrong-password"}))).await;
            assert_eq!(r.status, 401);
        }
        // A dossier received: its message waits in the portal outbox; one of them dead-lettered.
        receive_a_dossier(&ctx, &app).await;
        let unsent: Vec<(String, i64)> = ctx.with_conn(|c| portal_outbox::table
            .group_by(portal_outbox::status).select((portal_outbox::status, diesel::dsl::count_star()))
            .load(c).unwrap());
        assert!(!unsent.is_empty() && unsent.iter().all(|(s, _)| s == "pending" || s == "held"), "{unsent:?}");
        let (first, first_status): (i64, String) = ctx.with_conn(|c| portal_outbox::table
            .select((portal_outbox::id, portal_outbox::status)).order(portal_outbox::id).first(c).unwrap());
        ctx.with_conn(|c| diesel::update(portal_outbox::table.find(first)).set(portal_outbox::status.eq("dead")).execute(c).unwrap());
        let expect = |status: &str| unsent.iter().filter(|(s, _)| s == status).map(|(_, n)| *n).sum::<i64>()
            - i64::from(status == first_status) + i64::from(status == "dead");

        let r = call(&app, scrape(Some(METRICS_TOKEN))).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
        let text = r.body.as_str().unwrap();
        assert!(!text.contains(&missing), "an id in a label");
        assert_eq!(sample(text, r#"motcua_http_requests_total{method="GET",route="/api/v1/dossiers/{code}",status="404"}"#), Some(1.0), "{text}");
        assert_eq!(sample(text, r#"motcua_http_requests_total{method="POST",route="/api/v1/auth/token",status="401"}"#), Some(2.0));
        assert!(text.contains(r#"motcua_http_request_duration_seconds_bucket{method="GET",route="/api/v1/dossiers/{code}",status="404",le="0.001"}"#));
        assert_eq!(sample(text, "motcua_db_up"), Some(1.0));
        assert_eq!(sample(text, "motcua_db_pool_max_connections"), Some(8.0));
        assert!(sample(text, "motcua_db_pool_connections").unwrap() >= 1.0);
        assert!(sample(text, "motcua_db_pool_wait_seconds_count").unwrap() >= 1.0);
        for status in ["dead", "pending", "held"] {
            let series = format!(r#"motcua_portal_outbox_messages{{status="{status}"}}"#);
            let want = expect(status);
            assert_eq!(sample(text, &series).unwrap_or(0.0), want as f64, "{status}: {text}");
        }
        assert_eq!(sample(text, r#"motcua_webhook_deliveries{status="dead"}"#), Some(0.0));
        assert_eq!(sample(text, "motcua_payments_pending"), Some(0.0));
        assert_eq!(sample(text, "motcua_payments_awaiting_reconciliation"), Some(0.0));
        let recorded: i64 = ctx.with_conn(|c| login_failures::table.filter(login_failures::throttle_key.like("user:%").or(login_failures::throttle_key.like("ip:%"))).count().get_result(c).unwrap());
        assert_eq!(sample(text, "motcua_login_failures_in_window"), Some(recorded as f64));
        assert_eq!(sample(text, "motcua_login_throttled_keys"), Some(1.0));
        // The next login of that name is refused, and counted as such.
        let r = call(&app, TestRequest::post().uri("/api/v1/auth/token")
            .set_json(json!({"username": user.username, "password": TEST_PASSWORD}))).await;
        assert_eq!(r.status, 429);
        let text = call(&app, scrape(Some(METRICS_TOKEN))).await.body.as_str().unwrap().to_string();
        assert_eq!(sample(&text, r#"motcua_http_requests_total{method="POST",route="/api/v1/auth/token",status="429"}"#), Some(1.0));
    }

    async fn metrics_report_a_database_that_does_not_answer(ctx) {
        let ctx = TestApp::with(TestDb::new(ctx.backend()).unwrap(), |c| {
            c.metrics_token = Some(METRICS_TOKEN.into());
        }).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        // The only connection of a pool held: the scrape still answers, and says so.
        let mut state = ctx.state.clone();
        state.pool = motcua::db::build_pool(&ctx.db.url, 1, std::time::Duration::from_millis(1000));
        let _blocker = state.pool.get().unwrap();
        let app2 = init_service(motcua::app::build(state)).await;
        let r = call(&app2, scrape(Some(METRICS_TOKEN))).await;
        assert_eq!(r.status, 200);
        let text = r.body.as_str().unwrap();
        assert_eq!(sample(text, "motcua_db_up"), Some(0.0), "{text}");
        assert!(sample(text, "motcua_db_pool_timeouts_total").unwrap() >= 1.0);
        let text = call(&app, scrape(Some(METRICS_TOKEN))).await.body.as_str().unwrap().to_string();
        assert_eq!(sample(&text, "motcua_db_up"), Some(1.0));
    }

    async fn throttled_routes_say_where_the_client_stands(ctx) {
        let ctx = TestApp::with(TestDb::new(ctx.backend()).unwrap(), |c| {
            c.public_lookups_per_minute = 3;
        }).await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let peer: std::net::SocketAddr = "192.0.2.77:4000".parse().unwrap();
        let lookup = || TestRequest::get().uri("/api/v1/public/dossiers/H25.04978-990101-0001?pin=12345678").peer_addr(peer);
        for remaining in ["2", "1", "0"] {
            let r = call(&app, lookup()).await;
            assert_eq!(r.status, 404, "{}", r.body);
            assert_eq!(r.header("ratelimit-limit"), Some("3"));
            assert_eq!(r.header("ratelimit-remaining"), Some(remaining));
            let reset: u64 = r.header("ratelimit-reset").unwrap().parse().unwrap();
            assert!((1..=60).contains(&reset), "{reset}");
            assert_eq!(r.header("ratelimit-policy"), Some("3;w=60"));
        }
        let r = call(&app, lookup()).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (429, "public.rate_limited"));
        assert_eq!(r.header("ratelimit-remaining"), Some("0"));
        assert_eq!(r.header("retry-after"), r.header("ratelimit-reset"));
        // Routes without a limiter carry no such headers.
        let r = call(&app, TestRequest::get().uri("/health")).await;
        assert!(r.header("ratelimit-limit").is_none());
    }
}
