//! The calendar endpoints: computed holidays, government adjustments, due dates explained.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
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
        // Ours and the two 2026 decisions shipped with migration 000016 (TB 9441/TB-BNV).
        let dates: Vec<&str> = list.body.as_array().unwrap().iter().map(|a| a["date"].as_str().unwrap()).collect();
        assert_eq!(dates, ["2026-08-22", "2026-08-31", "2026-12-04"], "{}", list.body);
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

    // TB 9441/TB-BNV shipped as data: Tết 16–20/2/2026 (computed), 1–2/9/2026 plus Monday
    // 31/8 off, Saturday 22/8 worked.
    async fn government_decisions_2026_are_shipped_as_data(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/holidays?year=2026")).await;
        let items = r.body["items"].as_array().unwrap();
        let kind = |date: &str| items.iter().find(|h| h["date"] == date).map(|h| h["kind"].as_str().unwrap().to_string());
        for day in 16..=20 {
            assert_eq!(kind(&format!("2026-02-{day}")).as_deref(), Some("public"), "Tết {day}/2");
        }
        assert_eq!(kind("2026-08-22").as_deref(), Some("working_day"));
        assert_eq!(kind("2026-08-31").as_deref(), Some("day_off"));
        assert_eq!(kind("2026-09-01").as_deref(), Some("public"));
        assert_eq!(kind("2026-09-02").as_deref(), Some("public"));
        assert_eq!(kind("2026-11-24").as_deref(), Some("public"));
        let list = call(&app, TestRequest::get().uri("/api/v1/calendar/adjustments?year=2026")).await;
        assert!(list.body.as_array().unwrap().iter().all(|a| a["legal_basis"] == "Thông báo 9441/TB-BNV"), "{}", list.body);
        // Friday 28/8/2026 10:00 + 1 working day: 31/8, 1/9, 2/9 off → Thursday 3/9.
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/due-date?unit=working_days&value=1&received_at=2026-08-28T03:00:00Z")).await;
        assert_eq!(r.body["due_date"], "2026-09-03", "{}", r.body);
    }

    // Holidays are rules with their legal basis; 24/11 from 2026 is "to confirm" and an
    // operator switches it off without a release.
    async fn holiday_rules_can_be_switched_off_by_an_operator(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/holiday-rules")).await;
        assert_eq!(r.status, 200);
        let rules = r.body.as_array().unwrap();
        assert_eq!(rules.len(), 8);
        let culture = rules.iter().find(|x| x["id"] == "culture_day").unwrap();
        assert_eq!(culture["to_confirm"], true);
        assert_eq!(culture["enabled"], true);
        assert_eq!(culture["in_force_from"], "2026-07-01");
        assert!(culture["legal_basis"].as_str().unwrap().contains("28/2026/QH16"));
        assert!(rules.iter().all(|x| !x["legal_basis"].as_str().unwrap().is_empty()));
        // Monday 23/11/2026 10:00 + 1 working day: Tuesday 24/11 is a holiday → Wednesday.
        let due = || TestRequest::get().uri("/api/v1/calendar/due-date?unit=working_days&value=1&received_at=2026-11-23T03:00:00Z");
        assert_eq!(call(&app, due()).await.body["due_date"], "2026-11-25");
        let off = json!({"enabled": false, "reason": "Chưa đối chiếu văn bản chính thức"});
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, TestRequest::put().uri("/api/v1/calendar/holiday-rules/culture_day").insert_header(bearer(&officer)).set_json(&off)).await;
        assert_eq!(r.status, 403);
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(&app, TestRequest::put().uri("/api/v1/calendar/holiday-rules/no_such_rule").insert_header(bearer(&admin)).set_json(&off)).await;
        assert_eq!(r.status, 404);
        let r = call(&app, TestRequest::put().uri("/api/v1/calendar/holiday-rules/culture_day").insert_header(bearer(&admin)).set_json(json!({"enabled": false, "reason": ""}))).await;
        assert_eq!(r.status, 422);
        let r = call(&app, TestRequest::put().uri("/api/v1/calendar/holiday-rules/culture_day").insert_header(bearer(&admin)).set_json(&off)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["enabled"], false);
        let stored: Vec<(String, bool)> = ctx.with_conn(|c| {
            use diesel::prelude::*;
            use motcua::db::schema::holiday_rule_settings as h;
            h::table.select((h::rule_id, h::enabled)).load(c).unwrap()
        });
        assert_eq!(stored, [("culture_day".to_string(), false)]);
        // Deadlines computed from now on ignore the rule; the holiday list drops the day.
        assert_eq!(call(&app, due()).await.body["due_date"], "2026-11-24");
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/holidays?year=2026")).await;
        assert!(r.body["items"].as_array().unwrap().iter().all(|h| h["date"] != "2026-11-24"));
        // And back on.
        let on = json!({"enabled": true, "reason": "Đã đối chiếu"});
        let r = call(&app, TestRequest::put().uri("/api/v1/calendar/holiday-rules/culture_day").insert_header(bearer(&admin)).set_json(&on)).await;
        assert_eq!(r.status, 200);
        assert_eq!(call(&app, due()).await.body["due_date"], "2026-11-25");
    }

    // Civil Code 2015 Art. 147(2), 148(1) by default; a province may keep 8 working hours
    // a day by its own regulation.
    async fn day_counting_is_civil_code_with_a_per_province_option(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        // Monday 30/11/2026 10:00 local + 3 working days.
        let due = || TestRequest::get().uri("/api/v1/calendar/due-date?unit=working_days&value=3&received_at=2026-11-30T03:00:00Z&province=25");
        let r = call(&app, due()).await;
        assert_eq!(r.body["due_at"], "2026-12-03T10:00:00Z", "{}", r.body); // Thursday 17:00 local
        let body = json!({"counting": "working_hours", "legal_basis": "Quy chế một cửa của tỉnh (thử nghiệm)"});
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let (_, ca) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        assert_eq!(call(&app, TestRequest::put().uri("/api/v1/calendar/day-counting/25").insert_header(bearer(&ca)).set_json(&body)).await.status, 403);
        assert_eq!(call(&app, TestRequest::put().uri("/api/v1/calendar/day-counting/99").insert_header(bearer(&admin)).set_json(&body)).await.status, 404);
        let r = call(&app, TestRequest::put().uri("/api/v1/calendar/day-counting/25").insert_header(bearer(&admin)).set_json(&body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call(&app, due()).await;
        assert_eq!(r.body["due_at"], "2026-12-03T03:00:00Z", "{}", r.body); // Thursday 10:00 local
        // Other provinces keep the Civil Code.
        let r = call(&app, TestRequest::get().uri("/api/v1/calendar/due-date?unit=working_days&value=3&received_at=2026-11-30T03:00:00Z&province=01")).await;
        assert_eq!(r.body["due_at"], "2026-12-03T10:00:00Z");
        let stored: Vec<(String, String)> = ctx.with_conn(|c| {
            use diesel::prelude::*;
            use motcua::db::schema::province_day_counting as p;
            p::table.select((p::province_code, p::counting)).load(c).unwrap()
        });
        assert_eq!(stored, [("25".to_string(), "working_hours".to_string())]);
    }
}
