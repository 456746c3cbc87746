//! Swagger UI works first time on `motcua --demo serve`: the spec's login and intake examples,
//! sent as they are (with the password the demo printed), are accepted against the demo data;
//! `/` and `/swagger-ui` lead to the UI, whose "Authorize" survives a reload.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use diesel::prelude::*;
use motcua::db::schema::dossiers;
use serde_json::Value;

/// The example of a component schema, as Swagger UI pre-fills the request body with it.
fn example(spec: &Value, schema: &str) -> Value {
    let e = spec["components"]["schemas"][schema]["example"].clone();
    assert!(e.is_object(), "{schema} has no example");
    e
}

both_backends! {
    async fn login_and_intake_examples_succeed_on_demo_data(ctx) {
        // What `motcua --demo serve` does before it serves.
        let accounts = ctx.with_conn(|c| {
            motcua::cli::seed::seed_all(c, true).unwrap();
            motcua::cli::seed::demo_accounts(c).unwrap()
        });
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let spec = motcua::openapi::spec();

        // Login: the example names a demo account; its password is the one printed at start.
        let mut login = example(&spec, "TokenRequest");
        let username = login["username"].as_str().unwrap().to_string();
        let (_, _, password) = accounts
            .iter()
            .find(|(u, _, _)| *u == username)
            .unwrap_or_else(|| panic!("the login example's {username} is not a demo account"));
        login["password"] = Value::from(password.as_str());
        let r = call(&app, TestRequest::post().uri("/api/v1/auth/token").set_json(&login)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let token = r.body["access_token"].as_str().expect("access token").to_string();

        // Intake: the example, unchanged, is accepted in the demo commune.
        let intake = example(&spec, "IntakeRequest");
        let r = call(
            &app,
            TestRequest::post()
                .uri("/api/v1/dossiers")
                .insert_header(bearer(&token))
                .insert_header(("Idempotency-Key", "demo-example-1"))
                .set_json(&intake),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"]
            .as_str()
            .or_else(|| r.body["code"].as_str())
            .unwrap_or_else(|| panic!("no dossier code in {}", r.body))
            .to_string();
        let stored: (String, String) = ctx.with_conn(|c| {
            dossiers::table
                .filter(dossiers::code.eq(&code))
                .select((dossiers::procedure_code, dossiers::commune_code))
                .first(c)
                .unwrap()
        });
        assert_eq!(stored, (intake["procedure_code"].as_str().unwrap().to_string(), motcua::cli::seed::DEMO_COMMUNE.to_string()));

        // The same key and body again is a replay, not a second dossier.
        let again = call(
            &app,
            TestRequest::post()
                .uri("/api/v1/dossiers")
                .insert_header(bearer(&token))
                .insert_header(("Idempotency-Key", "demo-example-1"))
                .set_json(&intake),
        )
        .await;
        assert_eq!(again.status, 201, "{}", again.body);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        let count: i64 = ctx.with_conn(|c| dossiers::table.count().get_result(c).unwrap());
        assert_eq!(count, 1);

        // Every sample procedure with documents in the seed lists them in the catalog.
        let r = call(&app, TestRequest::get().uri("/api/v1/procedures/1.001193")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let docs: Vec<&str> = r.body["cases"][0]["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(docs, ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]);
    }

    async fn root_and_bare_swagger_ui_redirect_to_the_ui(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        for (path, status) in [("/", 307), ("/swagger-ui", 308)] {
            let r = call(&app, TestRequest::get().uri(path)).await;
            assert_eq!(r.status.as_u16(), status, "{path}");
            assert_eq!(r.header("location"), Some("/swagger-ui/"), "{path}");
        }
        let r = call(&app, TestRequest::get().uri("/swagger-ui/")).await;
        assert_eq!(r.status, 200);
        let init = call(&app, TestRequest::get().uri("/swagger-ui/swagger-initializer.js")).await;
        assert_eq!(init.status, 200);
        let js = init.body.as_str().expect("javascript").to_string();
        assert!(js.contains("\"persistAuthorization\": true") || js.contains("\"persistAuthorization\":true"), "{js}");
        assert!(js.contains("/api-docs/openapi.json"), "{js}");
        // The document Swagger UI loads is the committed one.
        let doc = call(&app, TestRequest::get().uri("/api-docs/openapi.json")).await;
        assert_eq!(doc.status, 200);
        assert_eq!(doc.body, motcua::openapi::spec());
    }
}
