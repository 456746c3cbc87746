//! Password hashing is bounded to one hash per core: a login that cannot get a turn within
//! `password::MAX_WAIT` is answered 503 with `Retry-After`, and is not counted as an attempt.

mod common;

use std::time::Instant;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::auth::password;
use motcua::domain::roles::Role;
use serde_json::json;

// The permits are per process: the two backends' tests take them in turn.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

both_backends! {
    async fn a_login_waits_for_a_hashing_turn_then_gets_503(ctx) {
        let _serial = SERIAL.lock().await;
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let name = format!("busy-{:?}", ctx.backend()).to_lowercase();
        ctx.user_named(&name, Role::ReceptionOfficer, Some(KIM_BOI));
        let login = || TestRequest::post().uri("/api/v1/auth/token").set_json(json!({"username": name, "password": TEST_PASSWORD}));

        let mut held = Vec::new();
        for _ in 0..password::permits() {
            held.push(password::permit().await.expect("a free permit"));
        }
        let started = Instant::now();
        let r = call(&app, login()).await;
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.problem_code(), "auth.busy");
        assert_eq!(r.header("retry-after"), Some("1"));
        assert!(started.elapsed() >= password::MAX_WAIT);

        // Turns free again: the same login goes through, the refused one having cost nothing.
        drop(held);
        let r = call(&app, login()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body["access_token"].is_string());
    }
}
