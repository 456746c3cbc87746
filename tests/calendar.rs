//! The calendar endpoints: computed holidays, government adjustments, due dates explained.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::auth::Role;
use serde_json::json;

both_backends! {
    async fn holidays_include_lunar_new_year_and_compensatory_days(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/holidays?year=2026")).await;
        assert_eq!(r.status, 200);
        let items = r.body["items"].as_array().unwrap();
        let on = |date: &str| items.iter().find(|h| h["date"] == date).cloned();
        assert_eq!(on("2026-02-17").unwrap()["name"], "Tết Nguyên Đán");
        assert_eq!(on("2026-04-26").unwrap()["name"], "Giỗ Tổ Hùng Vương");
        assert_eq!(on("2026-04-30").unwrap()["kind"], "public");
        // 26/4/2026 is a Sunday: a compensatory day follows.
        assert!(items.iter().any(|h| h["kind"] == "compensatory" && h["name"] == "Giỗ Tổ Hùng Vương"), "{}", r.body);
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/calendar/holidays?year=3000")).await.status, 422);
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/calendar/holidays?year=abc")).await.status, 400);
    }

    async fn adjustments_are_managed_by_system_admins_and_move_deadlines(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        // Thursday 2026-12-03 15:00 local + 1 working day = Friday 2026-12-04 15:00 local.
        let due = |app_token: Option<&str>| {
            let mut req = TestRequest::get().uri("/api/v1/calendar/due-date?unit=working_days&value=1&received_at=2026-12-03T08:00:00Z");
            if let Some(t) = app_token {
                req = req.insert_header(bearer(t));
            }
            req
        };
        let r = call(&app, due(None)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["due_date"], "2026-12-04");
        let body = json!({"date": "2026-12-04", "kind": "day_off", "name": "Nghỉ bù thử nghiệm"});
        for role in [Role::CommuneAdmin, Role::ReceptionOfficer, Role::ProvinceSupervisor] {
            let (_, t) = ctx.user(role, role.requires_commune().then_some(KIM_BOI));
            let r = call(&app, TestRequest::post().uri("/api/v1/calendar/adjustments").insert_header(bearer(&t)).set_json(&body)).await;
            assert_eq!(r.status, 403, "{role}");
        }
        assert_eq!(call(&app, TestRequest::post().uri("/api/v1/calendar/adjustments").set_json(&body)).await.status, 401);
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(&app, TestRequest::post().uri("/api/v1/calendar/adjustments").insert_header(bearer(&admin)).set_json(&body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let dup = call(&app, TestRequest::post().uri("/api/v1/calendar/adjustments").insert_header(bearer(&admin)).set_json(&body)).await;
        assert_eq!(dup.problem_code(), "calendar.date_taken");
        // Friday is now a day off: the deadline skips it and the weekend, with the reason.
        let r = call(&app, due(None)).await;
        assert_eq!(r.body["due_date"], "2026-12-07");
        let skipped = r.body["skipped"].as_array().unwrap();
        assert!(skipped.iter().any(|s| s["date"] == "2026-12-04" && s["reason"] == "government_day_off"), "{}", r.body);
        assert!(skipped.iter().any(|s| s["date"] == "2026-12-05" && s["reason"] == "weekend"));
        assert!(!r.body["explanation"].as_array().unwrap().is_empty());
        let list = call(&app, TestRequest::get().uri("/api/v1/calendar/adjustments?year=2026")).await;
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        let del = call(&app, TestRequest::delete().uri("/api/v1/calendar/adjustments/2026-12-04").insert_header(bearer(&admin))).await;
        assert_eq!(del.status, 204);
        assert_eq!(call(&app, due(None)).await.body["due_date"], "2026-12-04");
        let del = call(&app, TestRequest::delete().uri("/api/v1/calendar/adjustments/2026-12-04").insert_header(bearer(&admin))).await;
        assert_eq!(del.status, 404);
    }

    async fn due_date_for_a_catalog_procedure(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let body = json!({"code": "2.000815", "name": "Chứng thực bản sao từ bản chính", "field": "Chứng thực", "result_type": "paper", "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Chung", "processing_time": {"value": 0, "unit": "same_day", "cutoff": "15:00"}, "online_level": "partial", "documents": [{"name": "Bản chính", "form": "original"}]}]});
        let r = call(&app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(&admin)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        // Friday 2026-12-04 16:00 local, after the 15:00 cut-off: next working day is Monday.
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/due-date?procedure=2.000815&received_at=2026-12-04T09:00:00Z")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["due_date"], "2026-12-07");
        assert_eq!(r.body["processing_time"]["unit"], "same_day");
        // Before the cut-off: the same day.
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/due-date?procedure=2.000815&received_at=2026-12-04T02:00:00Z")).await;
        assert_eq!(r.body["due_date"], "2026-12-04");
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/calendar/due-date?procedure=1.999999")).await.status, 404);
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/calendar/due-date")).await.status, 422);
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/calendar/due-date?unit=working_days")).await.status, 422);
    }
}
