//! Procedure catalog: CRUD and roles, versions with effective dates, publication per commune,
//! import (idempotency, reports, modes) and export round trips, search, filters, paging.

mod common;

use actix_web::test::{init_service, TestRequest};
use chrono::{Duration, TimeZone, Utc};
use common::*;
use diesel::prelude::*;
use motcua::db::models::procedure::{
    version_in_force, version_in_force_at, Procedure, ProcedureVersion,
};
use motcua::db::schema::{procedure_versions, procedures};
use motcua::domain::calendar::today as vietnam_today;
use motcua::domain::catalog::TimeUnit;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

fn procedure(code: &str, name: &str) -> Value {
    json!({
        "code": code, "name": name, "field": "Hộ tịch", "legal_basis": "Luật Hộ tịch 2014", "result_type": "both",
        "cases": [{
            "code": "default", "name": "Trường hợp chung",
            "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
            "documents": [
                {"name": "Tờ khai", "form": "original"},
                {"name": "Giấy tờ tùy thân (nếu có)", "form": "copy", "count": 2, "required": false, "from_data_store_allowed": true}
            ]
        }]
    })
}

fn post(uri: &str, token: &str) -> TestRequest {
    TestRequest::post().uri(uri).insert_header(bearer(token))
}

fn put(uri: &str, token: &str, etag: &str) -> TestRequest {
    TestRequest::put()
        .uri(uri)
        .insert_header(bearer(token))
        .insert_header(("if-match", etag.to_string()))
}

fn import(token: &str, mode: &str, content_type: &str, body: impl Into<String>) -> TestRequest {
    post(&format!("/api/v1/procedures/import?mode={mode}"), token)
        .insert_header(("content-type", content_type.to_string()))
        .set_payload(body.into())
}

fn codes(r: &Resp) -> Vec<String> {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// Rows of the catalog tables: what "nothing was written" and "nothing changed" compare.
fn table_state(ctx: &TestApp) -> (Vec<(String, i64, i64)>, i64) {
    ctx.with_conn(|c| {
        let procs = procedures::table
            .select((
                procedures::code,
                procedures::version,
                procedures::current_version_no,
            ))
            .order(procedures::code)
            .load(c)
            .unwrap();
        let versions = procedure_versions::table.count().get_result(c).unwrap();
        (procs, versions)
    })
}

const CSV_HEADER: &str = "code,name,field,implementing_level,legal_basis,result_type,case_code,case_name,processing_time,time_unit,cutoff,online_level,documents\n";

fn sample_csv() -> String {
    format!(
        "{CSV_HEADER}\
         1.001193,Đăng ký khai sinh,Hộ tịch,commune,Luật Hộ tịch 2014,both,default,Trường hợp chung,0,same_day,15:00,full,\"Tờ khai (original, 1, required); Giấy chứng sinh (original, 1, required, store)\"\n\
         1.001193,Đăng ký khai sinh,Hộ tịch,commune,Luật Hộ tịch 2014,both,paper,Nộp trực tiếp,0,same_day,,none,\"Tờ khai (original)\"\n\
         2.000815,Chứng thực bản sao từ bản chính,Chứng thực,,,paper,,,0,same_day,15:00,partial,\"Bản chính (original, 1, required)\"\n\
         1.004222,Đăng ký thường trú,Cư trú,,,electronic,,,7,working_days,,full,\"Tờ khai thay đổi thông tin cư trú (original, 1, required, store); Giấy tờ chứng minh chỗ ở hợp pháp (original_or_copy, 1, optional, store)\"\n"
    )
}

both_backends! {
    async fn create_read_replace_deactivate(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);

        let r = call(&app, post("/api/v1/procedures", &admin).set_json(procedure("1.001193", "  Đăng ký khai sinh "))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.header("etag"), Some("\"1\""));
        assert_eq!(r.body["name"], "Đăng ký khai sinh", "trimmed");
        assert_eq!(r.body["version_no"], 1);
        assert_eq!(r.body["version_status"], "in_force");
        assert_eq!(r.body["effective_from"], vietnam_today().to_string());
        // Defaults of a document.
        assert_eq!(r.body["cases"][0]["documents"][0], json!({"name": "Tờ khai", "form": "original", "count": 1, "required": true, "from_data_store_allowed": false}));

        let dup = call(&app, post("/api/v1/procedures", &admin).set_json(procedure("1.001193", "Khác"))).await;
        assert_eq!(dup.status, 409);
        assert_eq!(dup.problem_code(), "procedure.code_taken");

        let r = call(&app, TestRequest::get().uri("/api/v1/procedures/1.001193")).await;
        assert_eq!(r.status, 200);
        // A read's tag is weak, led by the record version (tests/conditional.rs).
        assert!(r.header("etag").unwrap().starts_with("W/\"1."));
        assert_eq!(r.body["cases"][0]["documents"][1]["from_data_store_allowed"], true);
        assert_eq!(r.body["cases"][0]["processing_time"], json!({"value": 3, "unit": "working_days"}));
        let missing = call(&app, TestRequest::get().uri("/api/v1/procedures/1.999999")).await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.problem_code(), "not_found");

        let uri = "/api/v1/procedures/1.001193";
        let mut changed = procedure("1.001193", "Đăng ký khai sinh");
        changed["cases"][0]["processing_time"] = json!({"value": 0, "unit": "same_day", "cutoff": "15:00"});
        let r = call(&app, TestRequest::put().uri(uri).insert_header(bearer(&admin)).set_json(&changed)).await;
        assert_eq!(r.status, 428);
        assert_eq!(r.problem_code(), "precondition_required");
        let r = call(&app, put(uri, &admin, "\"7\"").set_json(&changed)).await;
        assert_eq!(r.status, 412);
        let mut other = changed.clone();
        other["code"] = json!("1.000656");
        let r = call(&app, put(uri, &admin, "\"1\"").set_json(&other)).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["code"].is_array());
        let r = call(&app, put(uri, &admin, "\"1\"").set_json(&changed)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("etag"), Some("\"2\""));
        assert_eq!(r.body["version_no"], 2);
        assert_eq!(r.body["current_version_no"], 2);
        assert_eq!(r.body["cases"][0]["processing_time"]["cutoff"], "15:00");
        let r = call(&app, put("/api/v1/procedures/1.999999", &admin, "\"1\"").set_json(procedure("1.999999", "X"))).await;
        assert_eq!(r.status, 404);

        // DELETE deactivates; the procedure and its versions stay readable.
        let r = call(&app, TestRequest::delete().uri(uri).insert_header(bearer(&admin))).await;
        assert_eq!(r.status, 428);
        let r = call(&app, TestRequest::delete().uri(uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"1\""))).await;
        assert_eq!(r.status, 412);
        let r = call(&app, TestRequest::delete().uri(uri).insert_header(bearer(&admin)).insert_header(("if-match", "\"2\""))).await;
        assert_eq!(r.status, 204);
        assert_eq!(r.header("etag"), Some("\"3\""));
        let r = call(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["active"], false);
        assert_eq!(codes(&call(&app, TestRequest::get().uri("/api/v1/procedures?active=false")).await), ["1.001193"]);
        assert!(codes(&call(&app, TestRequest::get().uri("/api/v1/procedures?active=true")).await).is_empty());
        let still = ctx.with_conn(|c| Procedure::find_by_code(c, "1.001193").unwrap().unwrap());
        assert!(!still.active);
        // PUT reactivates it.
        let r = call(&app, put(uri, &admin, "\"3\"").set_json(&changed)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["active"], true);
    }

    async fn every_write_needs_a_system_admin(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(&app, post("/api/v1/procedures", &admin).set_json(procedure("1.001193", "Đăng ký khai sinh"))).await;
        assert_eq!(r.status, 201);
        let uri = "/api/v1/procedures/1.001193";
        let writes = |token: Option<&str>| {
            let auth = |req: TestRequest| match token {
                Some(t) => req.insert_header(bearer(t)),
                None => req,
            };
            vec![
                auth(TestRequest::post().uri("/api/v1/procedures")).set_json(procedure("1.000656", "Đăng ký khai tử")),
                auth(TestRequest::put().uri(uri)).insert_header(("if-match", "\"1\"")).set_json(procedure("1.001193", "X")),
                auth(TestRequest::delete().uri(uri)).insert_header(("if-match", "\"1\"")),
                auth(TestRequest::post().uri("/api/v1/procedures/import")).insert_header(("content-type", "text/csv")).set_payload(sample_csv()),
            ]
        };
        for role in Role::ALL.into_iter().filter(|r| *r != Role::SystemAdmin) {
            let commune = role.requires_commune().then_some(KIM_BOI);
            let (_, token) = ctx.user(role, commune);
            for req in writes(Some(&token)) {
                let r = call(&app, req).await;
                assert_eq!(r.status, 403, "{role}: {}", r.body);
                assert_eq!(r.problem_code(), "auth.role_forbidden");
            }
        }
        for req in writes(None) {
            let r = call(&app, req).await;
            assert_eq!(r.status, 401);
        }
        // Nothing changed, and reading stays public.
        assert_eq!(table_state(&ctx), (vec![("1.001193".to_string(), 1, 1)], 1));
        for uri in ["/api/v1/procedures", uri, "/api/v1/procedures/1.001193/versions", "/api/v1/procedures/export"] {
            assert_eq!(call(&app, TestRequest::get().uri(uri)).await.status, 200, "{uri}");
        }
    }

    async fn invalid_bodies_name_their_field(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let mut bad = procedure("4.12", "");
        bad["cases"][0]["processing_time"] = json!({"value": 2, "unit": "same_day", "cutoff": "15h"});
        bad["cases"][0]["documents"][0]["name"] = json!("A; B");
        let r = call(&app, post("/api/v1/procedures", &admin).insert_header(("accept-language", "en")).set_json(&bad)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.problem_code(), "validation");
        for field in ["code", "name", "cases[0].processing_time.value", "cases[0].processing_time.cutoff", "cases[0].documents[0].name"] {
            assert!(r.body["errors"][field].is_array(), "no error for {field}: {}", r.body);
        }
        assert!(r.body["errors"]["code"][0].as_str().unwrap().contains("1.001193"), "{}", r.body);

        let mut unit = procedure("1.001193", "Đăng ký khai sinh");
        unit["cases"][0]["processing_time"]["unit"] = json!("weeks");
        let r = call(&app, post("/api/v1/procedures", &admin).set_json(&unit)).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["cases[0].processing_time.unit"].is_array(), "{}", r.body);

        let r = call(&app, post("/api/v1/procedures", &admin).insert_header(("content-type", "application/json")).set_payload("{\"code\":")).await;
        assert_eq!(r.status, 400);
        let r = call(&app, post("/api/v1/procedures", &admin).insert_header(("content-type", "text/plain")).set_payload("x")).await;
        assert_eq!(r.status, 415);

        let r = call(&app, post("/api/v1/procedures", &admin).set_json(procedure("1.001193", "Đăng ký khai sinh"))).await;
        assert_eq!(r.status, 201);
        let mut past = procedure("1.001193", "Đăng ký khai sinh");
        past["effective_from"] = json!((vietnam_today() - Duration::days(1)).to_string());
        let r = call(&app, put("/api/v1/procedures/1.001193", &admin, "\"1\"").set_json(&past)).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["effective_from"].is_array());
        assert_eq!(table_state(&ctx).1, 1, "no version added");
    }

    async fn versions_take_effect_on_their_date(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let today = vietnam_today();
        let day = |n: i64| (today + Duration::days(n)).to_string();
        assert_eq!(call(&app, post("/api/v1/procedures", &admin).set_json(procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân"))).await.status, 201);

        let mut v2 = procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân (mới)");
        v2["cases"][0]["processing_time"]["value"] = json!(5);
        v2["effective_from"] = json!(day(30));
        let r = call(&app, put("/api/v1/procedures/1.004873", &admin, "\"1\"").set_json(&v2)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["version_status"], "scheduled");
        assert_eq!(r.body["effective_from"], day(30));

        let at = |d: String| format!("/api/v1/procedures/1.004873?at={d}");
        let now = call(&app, TestRequest::get().uri("/api/v1/procedures/1.004873")).await;
        assert_eq!(now.body["version_no"], 1);
        assert_eq!(now.body["effective_to"], day(30));
        assert_eq!(now.body["current_version_no"], 2);
        let before = call(&app, TestRequest::get().uri(&at(day(29)))).await;
        assert_eq!(before.body["version_no"], 1);
        assert_eq!(before.body["cases"][0]["processing_time"]["value"], 3);
        let after = call(&app, TestRequest::get().uri(&at(day(30)))).await;
        assert_eq!(after.body["version_no"], 2);
        assert_eq!(after.body["version_status"], "in_force");
        assert_eq!(after.body["cases"][0]["processing_time"]["value"], 5);
        assert_eq!(after.body["name"], "Cấp Giấy xác nhận tình trạng hôn nhân (mới)");
        // Lists show the version in force on their date too.
        let list = call(&app, TestRequest::get().uri(&format!("/api/v1/procedures?at={}", day(30)))).await;
        assert_eq!(list.body["items"][0]["version_no"], 2);
        let r = call(&app, TestRequest::get().uri(&at(day(-1)))).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.problem_code(), "procedure.not_in_force");
        assert!(codes(&call(&app, TestRequest::get().uri(&format!("/api/v1/procedures?at={}", day(-1)))).await).is_empty());
        assert_eq!(call(&app, TestRequest::get().uri(&at("31-12-2025".into()))).await.status, 400);

        // A version effective earlier than the scheduled one cancels it.
        let mut v3 = procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân");
        v3["cases"][0]["processing_time"]["value"] = json!(4);
        v3["effective_from"] = json!(day(10));
        let r = call(&app, put("/api/v1/procedures/1.004873", &admin, "\"2\"").set_json(&v3)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let history = call(&app, TestRequest::get().uri("/api/v1/procedures/1.004873/versions")).await;
        let summary: Vec<(i64, String, Value, Value)> = history.body["items"].as_array().unwrap().iter()
            .map(|v| (v["version_no"].as_i64().unwrap(), v["status"].as_str().unwrap().to_string(), v["effective_from"].clone(), v["effective_to"].clone()))
            .collect();
        assert_eq!(summary, vec![
            (3, "scheduled".to_string(), json!(day(10)), Value::Null),
            (2, "cancelled".to_string(), json!(day(30)), json!(day(30))),
            (1, "in_force".to_string(), json!(today.to_string()), json!(day(10))),
        ]);
        let paged = call(&app, TestRequest::get().uri("/api/v1/procedures/1.004873/versions?limit=2")).await;
        let cursor = paged.body["next_cursor"].as_str().unwrap().to_string();
        let rest = call(&app, TestRequest::get().uri(&format!("/api/v1/procedures/1.004873/versions?limit=2&cursor={cursor}"))).await;
        assert_eq!(rest.body["items"][0]["version_no"], 1);
        assert!(rest.body["next_cursor"].is_null());
        assert_eq!(call(&app, TestRequest::get().uri(&at(day(30)))).await.body["version_no"], 3);

        // The Rust API the dossier module uses: the version in force at an instant (Vietnam
        // days start at 17:00 UTC) and its cases, kept by id.
        let tenth = today + Duration::days(10);
        let eve = Utc.from_utc_datetime(&(tenth - Duration::days(1)).and_hms_opt(16, 59, 59).unwrap());
        let midnight = Utc.from_utc_datetime(&(tenth - Duration::days(1)).and_hms_opt(17, 0, 0).unwrap());
        let (v_eve, v_midnight, v_none) = ctx.with_conn(|c| (
            version_in_force_at(c, "1.004873", eve).unwrap().unwrap(),
            version_in_force_at(c, "1.004873", midnight).unwrap().unwrap(),
            version_in_force(c, "1.004873", today - Duration::days(1)).unwrap(),
        ));
        assert_eq!((v_eve.version_no, v_midnight.version_no), (1, 3));
        assert!(v_none.is_none());
        let kept = ctx.with_conn(|c| ProcedureVersion::find(c, &v_eve.id).unwrap().unwrap());
        let case = kept.case("default").unwrap().unwrap();
        assert_eq!((case.processing_time.value, case.processing_time.unit), (3, TimeUnit::WorkingDays));
        assert!(kept.case("online").unwrap().is_none());
    }

    async fn publication_belongs_to_the_communes_own_admin(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let (kim_boi_admin, kim_boi) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, hoa_binh) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        for code in ["1.001193", "1.000656"] {
            assert_eq!(call(&app, post("/api/v1/procedures", &admin).set_json(procedure(code, "Thủ tục"))).await.status, 201);
        }
        let uri = |commune: &str, code: &str| format!("/api/v1/communes/{commune}/procedures/{code}");

        let r = call(&app, TestRequest::put().uri(&uri(KIM_BOI, "1.001193")).insert_header(bearer(&kim_boi))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["published_by"], kim_boi_admin.id.as_str());
        let again = call(&app, TestRequest::put().uri(&uri(KIM_BOI, "1.001193")).insert_header(bearer(&kim_boi))).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.body["published_at"], r.body["published_at"]);

        // Another commune's admin: as if the commune did not exist.
        for req in [TestRequest::put(), TestRequest::delete()] {
            let r = call(&app, req.uri(&uri(KIM_BOI, "1.000656")).insert_header(bearer(&hoa_binh))).await;
            assert_eq!(r.status, 404);
            assert_eq!(r.problem_code(), "not_found");
        }
        for role in Role::ALL.into_iter().filter(|r| !matches!(r, Role::CommuneAdmin | Role::SystemAdmin)) {
            let (_, token) = ctx.user(role, role.requires_commune().then_some(KIM_BOI));
            for req in [TestRequest::put(), TestRequest::delete()] {
                let r = call(&app, req.uri(&uri(KIM_BOI, "1.001193")).insert_header(bearer(&token))).await;
                assert_eq!(r.status, 403, "{role}");
                assert_eq!(r.problem_code(), "auth.role_forbidden");
            }
        }
        let r = call(&app, TestRequest::put().uri(&uri(KIM_BOI, "1.000656"))).await;
        assert_eq!(r.status, 401);
        // A system admin publishes anywhere; unknown communes and procedures are 404.
        assert_eq!(call(&app, TestRequest::put().uri(&uri(HOA_BINH, "1.000656")).insert_header(bearer(&admin))).await.status, 201);
        assert_eq!(call(&app, TestRequest::put().uri(&uri("99999", "1.000656")).insert_header(bearer(&admin))).await.status, 404);
        assert_eq!(call(&app, TestRequest::put().uri(&uri(KIM_BOI, "1.999999")).insert_header(bearer(&kim_boi))).await.status, 404);

        let list = call(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}/procedures"))).await;
        assert_eq!(list.status, 200);
        assert_eq!(codes(&list), ["1.001193"]);
        assert!(list.body["items"][0]["published_at"].is_string());
        assert_eq!(codes(&call(&app, TestRequest::get().uri(&format!("/api/v1/procedures?commune_code={HOA_BINH}"))).await), ["1.000656"]);
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/communes/99999/procedures")).await.status, 404);

        let r = call(&app, TestRequest::delete().uri(&uri(KIM_BOI, "1.001193")).insert_header(bearer(&kim_boi))).await;
        assert_eq!(r.status, 204);
        let r = call(&app, TestRequest::delete().uri(&uri(KIM_BOI, "1.001193")).insert_header(bearer(&kim_boi))).await;
        assert_eq!(r.status, 404);
        assert!(codes(&call(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}/procedures"))).await).is_empty());

        // A deactivated procedure cannot be published.
        let r = call(&app, TestRequest::delete().uri("/api/v1/procedures/1.001193").insert_header(bearer(&admin)).insert_header(("if-match", "\"1\""))).await;
        assert_eq!(r.status, 204);
        let r = call(&app, TestRequest::put().uri(&uri(KIM_BOI, "1.001193")).insert_header(bearer(&kim_boi))).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "procedure.inactive");
    }

    async fn importing_the_same_file_twice_changes_nothing(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(&app, import(&admin, "all_or_nothing", "text/csv; charset=utf-8", sample_csv())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["applied"].clone(), r.body["total"].clone(), r.body["inserted"].clone(), r.body["rejected"].clone()), (json!(true), json!(3), json!(3), json!(0)));
        let khai_sinh = call(&app, TestRequest::get().uri("/api/v1/procedures/1.001193")).await;
        assert_eq!(khai_sinh.body["cases"].as_array().unwrap().len(), 2);
        assert_eq!(khai_sinh.body["cases"][1]["online_level"], "none");
        let before = table_state(&ctx);

        let r = call(&app, import(&admin, "all_or_nothing", "text/csv", sample_csv())).await;
        assert_eq!(r.status, 200);
        assert_eq!((r.body["inserted"].clone(), r.body["updated"].clone(), r.body["unchanged"].clone()), (json!(0), json!(0), json!(3)));
        assert_eq!(table_state(&ctx), before, "an unchanged file writes nothing");

        // One changed row adds one version to one procedure.
        let changed = sample_csv().replace("7,working_days", "5,working_days");
        let r = call(&app, import(&admin, "all_or_nothing", "text/csv", changed)).await;
        assert_eq!((r.body["inserted"].clone(), r.body["updated"].clone(), r.body["unchanged"].clone()), (json!(0), json!(1), json!(2)));
        let r = call(&app, TestRequest::get().uri("/api/v1/procedures/1.004222")).await;
        assert_eq!(r.body["version_no"], 2);
        assert_eq!(r.body["cases"][0]["processing_time"]["value"], 5);
        assert_eq!(table_state(&ctx).1, before.1 + 1);
    }

    async fn an_invalid_file_imports_nothing_and_says_why(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let file = format!(
            "{CSV_HEADER}\
             1.001193,Đăng ký khai sinh,Hộ tịch,,,both,,,0,same_day,15:00,full,\n\
             9.001193,Mã sai,Hộ tịch,,,both,,,3,working_days,,full,\n\
             1.000656,Đăng ký khai tử,Hộ tịch,,,both,,,3,weeks,,full,\n\
             1.001193,Đăng ký khai sinh,Hộ tịch,,,both,,,0,same_day,15:00,full,\n\
             2.000815,Thiếu ô,Chứng thực\n\
             2.000884,Chứng thực chữ ký,Chứng thực,,,paper,,,0,same_day,,partial,\"Giấy tờ (scan)\"\n\
             1.004884,Đăng ký lại khai sinh,Hộ tịch,,,paper,,,5,working_days,,partial,\n"
        );
        let r = call(&app, import(&admin, "all_or_nothing", "text/csv", file.clone()).insert_header(("accept-language", "en"))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.problem_code(), "catalog.import_invalid");
        let report = &r.body["report"];
        assert_eq!(report["applied"], false);
        assert_eq!((report["total"].clone(), report["inserted"].clone(), report["rejected"].clone()), (json!(6), json!(0), json!(5)));
        let errors: Vec<(i64, Value, String)> = report["errors"].as_array().unwrap().iter()
            .map(|e| (e["row"].as_i64().unwrap(), e["code"].clone(), e["field"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(errors, vec![
            (3, json!("9.001193"), "code".to_string()),
            (4, json!("1.000656"), "time_unit".to_string()),
            (5, json!("1.001193"), "case_code".to_string()),
            (6, Value::Null, "row".to_string()),
            (7, json!("2.000884"), "documents".to_string()),
        ]);
        let unit = &report["errors"][1]["message"];
        assert!(unit.as_str().unwrap().contains("'weeks'"), "{unit}");
        assert!(r.body["errors"]["rows[4].time_unit"].is_array(), "{}", r.body);
        assert_eq!(table_state(&ctx), (vec![], 0), "nothing written");

        // Partial mode imports the valid procedure (row 8) and reports the others; the two
        // rows of 1.001193 (2 and 5) are one procedure, rejected as a whole.
        let r = call(&app, import(&admin, "partial", "text/csv", file)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["applied"].clone(), r.body["inserted"].clone(), r.body["rejected"].clone()), (json!(true), json!(1), json!(5)));
        assert_eq!(r.body["errors"].as_array().unwrap().len(), 5);
        assert_eq!(table_state(&ctx).0, vec![("1.004884".to_string(), 1, 1)]);

        // Duplicate codes in a JSON file; a JSON file that is not an array; malformed JSON.
        let body = serde_json::to_string(&vec![procedure("1.000656", "A"), procedure("1.000656", "B")]).unwrap();
        let r = call(&app, import(&admin, "all_or_nothing", "application/json", body)).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["report"]["errors"][0]["row"], 2);
        assert_eq!(r.body["report"]["errors"][0]["field"], "code");
        let r = call(&app, import(&admin, "partial", "application/json", "{\"code\": \"1.000656\"}")).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.problem_code(), "catalog.import_invalid");
        let r = call(&app, import(&admin, "partial", "application/json", "[{")).await;
        assert_eq!(r.status, 400);
        // A header with an unknown column refuses the file in both modes.
        let r = call(&app, import(&admin, "partial", "text/csv", "code,name,field,result_type,time_unit,online_level,fee\n")).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["report"]["errors"][0]["field"], "fee");
        let r = call(&app, import(&admin, "all_or_nothing", "text/plain", "x")).await;
        assert_eq!(r.status, 415);
        let r = call(&app, import(&admin, "sometimes", "text/csv", sample_csv())).await;
        assert_eq!(r.status, 400);
        assert_eq!(table_state(&ctx).0.len(), 1);
    }

    async fn export_then_import_changes_nothing(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        assert_eq!(call(&app, import(&admin, "all_or_nothing", "text/csv", sample_csv())).await.status, 200);
        let mut tricky = procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân");
        tricky["legal_basis"] = json!("Nghị định 123/2015/NĐ-CP, \"Điều 22\";\nThông tư 04/2020/TT-BTP");
        tricky["cases"][0]["documents"][0]["name"] = json!("Tờ khai (mẫu TP/HT-2020-XNTTHN), bản giấy");
        assert_eq!(call(&app, post("/api/v1/procedures", &admin).set_json(&tricky)).await.status, 201);
        let before = table_state(&ctx);

        let csv = actix_web::test::call_service(&app, TestRequest::get().uri("/api/v1/procedures/export").to_request()).await;
        assert_eq!(csv.status(), 200);
        assert_eq!(csv.headers().get("content-type").unwrap(), "text/csv; charset=utf-8");
        let csv = String::from_utf8(actix_web::test::read_body(csv).await.to_vec()).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(csv::Reader::from_reader(csv.as_bytes()).records().count(), 5, "a row per case: {csv}");
        let r = call(&app, import(&admin, "all_or_nothing", "text/csv", csv)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["unchanged"].clone(), r.body["updated"].clone(), r.body["inserted"].clone()), (json!(4), json!(0), json!(0)));

        let json_export = call(&app, TestRequest::get().uri("/api/v1/procedures/export?format=json")).await;
        assert_eq!(json_export.body.as_array().unwrap().len(), 4);
        let r = call(&app, import(&admin, "all_or_nothing", "application/json", json_export.body.to_string())).await;
        assert_eq!(r.body["unchanged"], 4);
        assert_eq!(table_state(&ctx), before);
        assert_eq!(call(&app, TestRequest::get().uri("/api/v1/procedures/export?format=xml")).await.status, 400);
    }

    async fn search_filters_and_pages(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let report = ctx.with_conn(|c| motcua::cli::seed::seed_catalog(c).unwrap());
        assert_eq!(report.inserted, 18);
        assert_eq!(ctx.with_conn(|c| motcua::cli::seed::seed_catalog(c).unwrap()).unchanged, 18, "idempotent");

        let get = |q: &str| TestRequest::get().uri(&format!("/api/v1/procedures?{q}"));
        assert_eq!(codes(&call(&app, get("q=dang%20ky%20khai%20sinh")).await), ["1.001193"]);
        assert_eq!(codes(&call(&app, get("q=%C4%90%C4%82NG%20K%C3%9D%20KHAI%20SINH")).await), ["1.001193"], "ĐĂNG KÝ KHAI SINH");
        assert_eq!(codes(&call(&app, get("q=2.000815")).await), ["2.000815"]);
        assert_eq!(codes(&call(&app, get("field=ho%20tich&limit=100")).await).len(), 7);
        assert_eq!(codes(&call(&app, get("online_level=full&limit=100")).await).len(), 8);
        assert_eq!(codes(&call(&app, get("online_level=none")).await).len(), 0);
        assert_eq!(call(&app, get("online_level=some")).await.status, 400);
        let khai_sinh = call(&app, TestRequest::get().uri("/api/v1/procedures/1.001193")).await;
        assert_eq!(khai_sinh.body["cases"][0]["processing_time"], json!({"value": 0, "unit": "same_day", "cutoff": "15:00"}));
        let nuoi = call(&app, TestRequest::get().uri("/api/v1/procedures/2.001263")).await;
        assert_eq!(nuoi.body["cases"][0]["processing_time"], json!({"value": 20, "unit": "calendar_days"}));

        let mut seen = Vec::new();
        let mut uri = "/api/v1/procedures?limit=5".to_string();
        loop {
            let r = call(&app, TestRequest::get().uri(&uri)).await;
            assert_eq!(r.status, 200);
            assert!(r.body["items"].as_array().unwrap().len() <= 5);
            seen.extend(codes(&r));
            match r.body["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/procedures?limit=5&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen.len(), 18);
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        assert_eq!(call(&app, get("cursor=!!")).await.status, 400);
        assert_eq!(call(&app, get("limit=0")).await.status, 422);

        // The demo publication of the sample catalog in Kim Bôi, idempotent as well.
        assert_eq!(ctx.with_conn(|c| motcua::cli::seed::publish_sample_catalog(c, KIM_BOI).unwrap()).inserted, 18);
        assert_eq!(ctx.with_conn(|c| motcua::cli::seed::publish_sample_catalog(c, KIM_BOI).unwrap()).unchanged, 18);
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}/procedures?field=Ch%E1%BB%A9ng%20th%E1%BB%B1c"))).await;
        assert_eq!(codes(&r), ["2.000815", "2.000884"]);
    }

    async fn a_reseed_keeps_an_administrators_edits(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        ctx.with_conn(|c| motcua::cli::seed::seed_catalog(c).unwrap());
        let mut edited = procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân");
        edited["cases"][0]["processing_time"]["value"] = json!(2);
        assert_eq!(call(&app, put("/api/v1/procedures/1.004873", &admin, "\"1\"").set_json(&edited)).await.status, 200);
        let report = ctx.with_conn(|c| motcua::cli::seed::seed_catalog(c).unwrap());
        assert_eq!((report.inserted, report.updated), (0, 0));
        let r = call(&app, TestRequest::get().uri("/api/v1/procedures/1.004873")).await;
        assert_eq!(r.body["cases"][0]["processing_time"]["value"], 2);
    }
}

#[actix_web::test]
async fn an_import_larger_than_the_limit_is_refused() {
    let ctx = TestApp::with(TestDb::sqlite(), |c| c.max_import_bytes = 200).await;
    let app = init_service(motcua::app::build(ctx.state.clone())).await;
    let (_, admin) = ctx.user(Role::SystemAdmin, None);
    let r = call(
        &app,
        import(&admin, "all_or_nothing", "text/csv", sample_csv()),
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.problem_code(), "payload_too_large");
    assert_eq!(table_state(&ctx), (vec![], 0));
}
