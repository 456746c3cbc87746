//! What each instance keeps in memory, on both backends: the working calendar (another
//! instance's change is seen within `calendar_cache::RECHECK`, this instance's at once).

mod common;

use std::time::{Duration, Instant};

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use motcua::service::calendar_cache::RECHECK;
use motcua::state::AppState;
use serde_json::json;

// Thursday 2026-12-03 15:00 local + 1 working day: Friday 2026-12-04, or Monday 2026-12-07
// once Friday is a day off.
const DUE: &str =
    "/api/v1/calendar/due-date?unit=working_days&value=1&received_at=2026-12-03T08:00:00Z";

app_fn! {
    async fn due_date(app: &S) -> String {
        let r = call(app, TestRequest::get().uri(DUE)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["due_date"].as_str().unwrap().to_string()
    }
}

both_backends! {
    async fn a_calendar_change_reaches_the_other_instance_within_the_recheck(ctx) {
        let first = init_service(motcua::app::build(ctx.state.clone())).await;
        // A second instance on the same database, with its own caches.
        let second_state = AppState::new(test_config(&ctx.db.url), ctx.db.pool(2)).expect("state");
        second_state.set_migrated();
        let second = init_service(motcua::app::build(second_state)).await;
        assert_eq!(due_date(&first).await, "2026-12-04");
        assert_eq!(due_date(&second).await, "2026-12-04");

        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(&second, TestRequest::post().uri("/api/v1/calendar/adjustments").insert_header(bearer(&admin))
            .set_json(json!({"date": "2026-12-04", "kind": "day_off", "name": "Nghỉ bù thử nghiệm"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let changed = Instant::now();
        // The instance that made the change uses it at once.
        assert_eq!(due_date(&second).await, "2026-12-07");
        // The other one within RECHECK (it re-reads the change stamp at most that often).
        loop {
            if due_date(&first).await == "2026-12-07" {
                break;
            }
            assert!(changed.elapsed() < RECHECK + Duration::from_secs(2), "not seen within {RECHECK:?}");
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }

        // Removing it through the first instance: the first sees it at once, the second soon.
        let r = call(&first, TestRequest::delete().uri("/api/v1/calendar/adjustments/2026-12-04").insert_header(bearer(&admin))).await;
        assert_eq!(r.status, 204);
        let changed = Instant::now();
        assert_eq!(due_date(&first).await, "2026-12-04");
        loop {
            if due_date(&second).await == "2026-12-04" {
                break;
            }
            assert!(changed.elapsed() < RECHECK + Duration::from_secs(2), "not seen within {RECHECK:?}");
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
