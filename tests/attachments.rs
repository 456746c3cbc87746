//! Digitized components: type from the bytes, size limit, scoping, reuse, verified download.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use serde_json::json;

const PROCEDURE: &str = "1.004873";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1];
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

fn multipart(document: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    multipart_with(document, file_name, bytes, None)
}

fn multipart_with(
    document: &str,
    file_name: &str,
    bytes: &[u8],
    digitized: Option<&str>,
) -> (String, Vec<u8>) {
    let mut fields = Vec::new();
    if let Some(v) = digitized {
        fields.push(("digitized_at_reception", v));
    }
    fields.push(("document", document));
    multipart_form(&fields, Some((file_name, bytes)))
}

fn upload(token: &str, code: &str, document: &str, file_name: &str, bytes: &[u8]) -> TestRequest {
    let (ct, body) = multipart(document, file_name, bytes);
    TestRequest::post()
        .uri(&format!("/api/v1/dossiers/{code}/attachments"))
        .insert_header(bearer(token))
        .insert_header(("content-type", ct))
        .set_payload(body)
}

async fn app_with_files() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    (
        TestApp::with(TestDb::sqlite(), move |c| {
            c.upload_dir = path;
            c.max_upload_bytes = 4096;
        })
        .await,
        dir,
    )
}

async fn pg_app_with_files() -> Option<(TestApp, tempfile::TempDir)> {
    let db = TestDb::postgres()?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    Some((
        TestApp::with(db, move |c| {
            c.upload_dir = path;
            c.max_upload_bytes = 4096;
        })
        .await,
        dir,
    ))
}

/// A published procedure and one dossier received at the Kim Bôi counter for `id_number`.
async fn dossier<S, B>(
    ctx: &TestApp,
    app: &S,
    officer: &str,
    id_number: &str,
    publish: bool,
) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    if publish {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let body = json!({"code": PROCEDURE, "name": "Xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "paper",
            "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Chung", "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
                "documents": [{"name": "Tờ khai", "form": "original"}]}]});
        assert_eq!(
            call(
                app,
                TestRequest::post()
                    .uri("/api/v1/procedures")
                    .insert_header(bearer(&admin))
                    .set_json(body)
            )
            .await
            .status,
            201
        );
        let r = call(
            app,
            TestRequest::put()
                .uri(&format!(
                    "/api/v1/communes/{KIM_BOI}/procedures/{PROCEDURE}"
                ))
                .insert_header(bearer(&admin)),
        )
        .await;
        assert!(r.status.is_success());
    }
    let body = json!({"procedure_code": PROCEDURE, "commune_code": KIM_BOI,
        "applicant": {"type": "citizen", "full_name": "Phạm Thị Mai", "id_number": id_number, "phone": "0912345678", "address": "Kim Bôi, Phú Thọ"},
        "components": [{"document": "Tờ khai", "source": "paper"}]});
    let r = call(
        app,
        TestRequest::post()
            .uri("/api/v1/dossiers")
            .insert_header(bearer(officer))
            .set_json(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["dossier"]["code"].as_str().unwrap().to_string()
}

async fn scenario(ctx: TestApp) {
    let app = init_service(motcua::app::build(ctx.state.clone())).await;
    let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
    let code = dossier(&ctx, &app, &officer, "025190000123", true).await;

    // PDF upload: hash, size and type from the bytes; the file is on disk under its hash.
    let r = call(&app, upload(&officer, &code, "Tờ khai", "to-khai.pdf", PDF)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let sha = motcua::files::sha256_hex(PDF);
    assert_eq!(r.body["sha256"], sha.as_str());
    assert_eq!(r.body["size_bytes"], PDF.len());
    assert_eq!(r.body["content_type"], "application/pdf");
    assert_eq!(r.body["digitized_at_reception"], true);
    let store = motcua::files::FileStore::new(&ctx.state.config.upload_dir);
    assert!(store.location(&sha).exists());
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = call(&app, upload(&officer, &code, "Tờ khai", "anh.png", PNG)).await;
    assert_eq!(r.body["content_type"], "image/png");
    let png_id = r.body["id"].as_str().unwrap().to_string();
    // JPEG, sent with a PDF header by the client, a path and a Vietnamese name.
    let (ct, body) = multipart_with(
        "Tờ khai",
        "scans/2025/Tờ khai scan.jpg",
        JPEG,
        Some("false"),
    );
    let r = call(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/dossiers/{code}/attachments"))
            .insert_header(bearer(&officer))
            .insert_header(("content-type", ct))
            .set_payload(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["content_type"], "image/jpeg");
    assert_eq!(r.body["digitized_at_reception"], false);
    assert_eq!(r.body["file_name"], "Tờ khai scan.jpg");
    assert_eq!(r.body["size_bytes"], JPEG.len());
    let jpeg_id = r.body["id"].as_str().unwrap().to_string();

    // A ".pdf" that is really an executable or HTML: refused by its bytes.
    for fake in [
        &b"MZ\x90\x00\x03\x00\x00\x00"[..],
        b"<html><script>alert(1)</script></html>",
    ] {
        let r = call(
            &app,
            upload(&officer, &code, "Tờ khai", "to-khai.pdf", fake),
        )
        .await;
        assert_eq!(r.status, 415);
        assert_eq!(r.problem_code(), "attachment.unsupported_type");
    }
    let big = [PDF, &vec![b'x'; 5000]].concat();
    let r = call(&app, upload(&officer, &code, "Tờ khai", "lon.pdf", &big)).await;
    assert_eq!(r.status, 413);
    let r = call(
        &app,
        upload(
            &officer,
            &code,
            "Giấy không có trong danh mục",
            "x.pdf",
            PDF,
        ),
    )
    .await;
    assert_eq!(r.status, 422);
    let r = call(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/dossiers/{code}/attachments"))
            .insert_header(bearer(&officer))
            .set_json(json!({})),
    )
    .await;
    assert_eq!(r.status, 415, "not multipart");

    // Scope and role.
    let (_, foreign) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
    assert_eq!(
        call(&app, upload(&foreign, &code, "Tờ khai", "x.pdf", PDF))
            .await
            .status,
        404
    );
    let (_, specialist) = ctx.user(Role::Specialist, Some(KIM_BOI));
    assert_eq!(
        call(&app, upload(&specialist, &code, "Tờ khai", "x.pdf", PDF))
            .await
            .status,
        403
    );

    // List and verified download.
    let list = call(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{code}/attachments"))
            .insert_header(bearer(&specialist)),
    )
    .await;
    assert_eq!(list.body.as_array().unwrap().len(), 3);
    let res = actix_web::test::call_service(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{code}/attachments/{id}/content"))
            .insert_header(bearer(&officer))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    assert_eq!(
        res.headers().get("etag").unwrap().to_str().unwrap(),
        format!("\"{sha}\"")
    );
    assert_eq!(
        res.headers().get("content-disposition").unwrap(),
        "attachment; filename=\"to-khai.pdf\""
    );
    assert_eq!(
        res.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    assert_eq!(actix_web::test::read_body(res).await.as_ref(), PDF);
    let res = actix_web::test::call_service(
        &app,
        TestRequest::get()
            .uri(&format!(
                "/api/v1/dossiers/{code}/attachments/{jpeg_id}/content"
            ))
            .insert_header(bearer(&specialist))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let cd = res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cd.starts_with("attachment; filename=\"To khai scan.jpg\"")
            && cd.contains("filename*=UTF-8''T%E1%BB%9D%20khai%20scan.jpg"),
        "{cd}"
    );
    assert_eq!(actix_web::test::read_body(res).await.as_ref(), JPEG);
    let r = call(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{code}/attachments/{id}/content"))
            .insert_header(bearer(&foreign)),
    )
    .await;
    assert_eq!(r.status, 404);

    // Reuse by the same applicant in a new dossier; another applicant cannot.
    let second = dossier(&ctx, &app, &officer, "025190000123", false).await;
    let reuse = |target: &str, from: &str| {
        TestRequest::post()
            .uri(&format!("/api/v1/dossiers/{target}/attachments/reuse"))
            .insert_header(bearer(&officer))
            .set_json(json!({"document": "Tờ khai", "sha256": sha, "from_dossier": from}))
    };
    let r = call(&app, reuse(&second, &code)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["source"], "reused_dossier");
    assert_eq!(r.body["reused_from"], code.as_str());
    assert_eq!(r.body["sha256"], sha.as_str());
    assert_eq!(r.body["file_name"], "to-khai.pdf");
    let listed = call(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{second}/attachments"))
            .insert_header(bearer(&officer)),
    )
    .await;
    assert_eq!(listed.body[0]["source"], "reused_dossier");
    let stranger = dossier(&ctx, &app, &officer, "025190000999", false).await;
    assert_eq!(call(&app, reuse(&stranger, &code)).await.status, 404);
    // A hash the earlier dossier does not hold (even one stored elsewhere), or not a hash.
    for (bad, status) in [(sha256_of(b"nope"), 404), ("z".repeat(64), 422)] {
        let r = call(
            &app,
            TestRequest::post()
                .uri(&format!("/api/v1/dossiers/{second}/attachments/reuse"))
                .insert_header(bearer(&officer))
                .set_json(json!({"document": "Tờ khai", "sha256": bad, "from_dossier": code})),
        )
        .await;
        assert_eq!(r.status, status, "{}", r.body);
    }

    // A finished dossier takes no more components.
    let mut etag = "\"1\"".to_string();
    for action in ["request_withdrawal", "confirm_withdrawal"] {
        let r = call(
            &app,
            TestRequest::post()
                .uri(&format!("/api/v1/dossiers/{stranger}/transitions"))
                .insert_header(bearer(&officer))
                .insert_header(("if-match", etag.clone()))
                .set_json(json!({"action": action, "comment": "Công dân xin rút hồ sơ"})),
        )
        .await;
        assert!(r.status.is_success(), "{action}: {}", r.body);
        etag = r.header("etag").unwrap().to_string();
    }
    let r = call(&app, upload(&officer, &stranger, "Tờ khai", "x.pdf", PDF)).await;
    assert_eq!(r.status, 409, "{}", r.body);

    // History records the upload.
    let h = call(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{code}/history"))
            .insert_header(bearer(&officer)),
    )
    .await;
    assert!(h
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "attach_component"));

    // Altered on disk: never served.
    std::fs::write(store.location(&sha), b"%PDF-1.4 altered").unwrap();
    let r = call(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{code}/attachments/{id}/content"))
            .insert_header(bearer(&officer)),
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.problem_code(), "attachment.integrity_failed");
    // Gone from disk: same answer.
    std::fs::remove_file(store.location(&motcua::files::sha256_hex(PNG))).unwrap();
    let r = call(
        &app,
        TestRequest::get()
            .uri(&format!(
                "/api/v1/dossiers/{code}/attachments/{png_id}/content"
            ))
            .insert_header(bearer(&officer)),
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.problem_code(), "attachment.integrity_failed");
}

fn sha256_of(bytes: &[u8]) -> String {
    motcua::files::sha256_hex(bytes)
}

/// The applicant adds files to their own online dossier while it waits for them, and no longer
/// once the counter has received it; other applicants do not see it.
async fn applicant_turn(ctx: TestApp) {
    let app = init_service(motcua::app::build(ctx.state.clone())).await;
    let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
    // Publishes the procedure (and a counter dossier we do not use).
    dossier(&ctx, &app, &officer, "025190000111", true).await;
    let (citizen, citizen_token) = ctx.user(Role::Citizen, None);
    ctx.with_conn(|c| {
        use diesel::prelude::*;
        use motcua::db::schema::users;
        diesel::update(users::table.find(&citizen.id))
            .set(users::personal_id.eq("025190000123"))
            .execute(c)
            .unwrap();
    });
    let code = dossier(&ctx, &app, &citizen_token, "025190000123", false).await;

    let r = call(
        &app,
        upload(&citizen_token, &code, "Tờ khai", "scan.png", PNG),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["digitized_at_reception"], false, "online default");
    assert_eq!(r.body["uploaded_by"], citizen.id.as_str());
    let (ct, body) = multipart_with("Tờ khai", "scan.pdf", PDF, Some("maybe"));
    let r = call(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/dossiers/{code}/attachments"))
            .insert_header(bearer(&citizen_token))
            .insert_header(("content-type", ct))
            .set_payload(body),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);

    let (_, stranger) = ctx.user_named("cong-dan-khac", Role::Citizen, None);
    let r = call(&app, upload(&stranger, &code, "Tờ khai", "x.pdf", PDF)).await;
    assert_eq!(r.status, 404);
    let r = call(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{code}/attachments"))
            .insert_header(bearer(&stranger)),
    )
    .await;
    assert_eq!(r.status, 404);

    // Received at the counter: now the officer digitizes, not the applicant.
    let r = call(
        &app,
        TestRequest::post()
            .uri(&format!("/api/v1/dossiers/{code}/transitions"))
            .insert_header(bearer(&officer))
            .insert_header(("if-match", "\"1\""))
            .set_json(json!({"action": "receive"})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = call(&app, upload(&citizen_token, &code, "Tờ khai", "x.pdf", PDF)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = call(&app, upload(&officer, &code, "Tờ khai", "x.pdf", PDF)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let list = call(
        &app,
        TestRequest::get()
            .uri(&format!("/api/v1/dossiers/{code}/attachments"))
            .insert_header(bearer(&citizen_token)),
    )
    .await;
    assert_eq!(list.body.as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn applicant_turn_sqlite() {
    let (ctx, _dir) = app_with_files().await;
    applicant_turn(ctx).await;
}

#[actix_web::test]
async fn applicant_turn_postgres() {
    let Some((ctx, _dir)) = pg_app_with_files().await else {
        return;
    };
    applicant_turn(ctx).await;
}

#[actix_web::test]
async fn attachments_sqlite() {
    let (ctx, _dir) = app_with_files().await;
    scenario(ctx).await;
}

#[actix_web::test]
async fn attachments_postgres() {
    let Some((ctx, _dir)) = pg_app_with_files().await else {
        return;
    };
    scenario(ctx).await;
}
