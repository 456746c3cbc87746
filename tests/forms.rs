//! Printable forms through the real HTTP app, on both backends: each form parses, its text
//! (poppler's `pdftotext`) carries the dossier code, the applicant's name with its
//! diacritics, Vietnamese dates and the legal references; QR codes (rendered by
//! `pdftoppm`, decoded with rqrr) hold the public URLs; same record, same bytes; the
//! JSON resources' scoping holds for their PDFs.

mod common;

use std::path::Path;
use std::process::Command;

use actix_web::test::{init_service, TestRequest};
use common::*;
use motcua::domain::roles::Role;
use serde_json::{json, Value};

const PROCEDURE: &str = "1.004873";
const COPY: &str = "2.000815";
/// Decomposed on purpose in the intake (see `intake_body`): the form prints it NFC.
const NAME: &str = "Nguyễn Thị Hường";

/// A raw response: status, headers, bytes.
struct Raw {
    status: u16,
    content_type: String,
    vary: Option<String>,
    bytes: Vec<u8>,
}

app_fn! {
    async fn raw(app: &S, req: TestRequest) -> Raw {
    let res = actix_web::test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let header = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = header("content-type").unwrap_or_default();
    let vary = header("vary");
    let bytes = actix_web::test::read_body(res).await.to_vec();
    Raw { status, content_type, vary, bytes }
}
}

app_fn! {
    async fn pdf(app: &S, token: &str, uri: &str) -> Raw {
    raw(app, TestRequest::get().uri(uri).insert_header(bearer(token))).await
}
}

app_fn! {
    async fn catalog(ctx: &TestApp, app: &S) -> () {
    let (_, admin) = ctx.user(Role::SystemAdmin, None);
    for (code, name, documents) in [
        (PROCEDURE, "Cấp Giấy xác nhận tình trạng hôn nhân", json!([{"name": "Tờ khai", "form": "original"}])),
        (COPY, "Chứng thực bản sao từ bản chính", json!([{"name": "Bản chính", "form": "original"}])),
    ] {
        let r = call(app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(&admin)).set_json(json!({
            "code": code, "name": name, "field": "Hộ tịch", "result_type": "paper", "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung",
                       "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
                       "documents": documents}]
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for commune in [KIM_BOI, HOA_BINH] {
            let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/procedures/{code}")).insert_header(bearer(&admin))).await;
            assert!(r.status.is_success(), "{}", r.body);
        }
    }
    let r = call(app, TestRequest::post().uri("/api/v1/fee-schedules").insert_header(bearer(&admin)).set_json(json!({
        "procedure_code": COPY, "fee_code": "CT-BS", "kind": "phi", "name": "Phí chứng thực bản sao",
        "collection": "before_processing",
        "rule": {"type": "per_unit", "unit": "page", "set_unit": "copy", "cap_per_set": 200000,
                 "tiers": [{"from": 1, "to": 2, "amount": 2000}, {"from": 3, "to": null, "amount": 1000}]},
        "scope": "national", "effective_from": "2025-07-01", "legal_basis": "TT 226/2016/TT-BTC"
    }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
}
}

fn intake_body(id_number: &str) -> Value {
    // "Nguyễn Thị Hường" with combining marks, as some keyboards send it.
    let decomposed: String = unicode_normalization::UnicodeNormalization::nfd(NAME).collect();
    json!({
        "procedure_code": PROCEDURE,
        "applicant": {"type": "citizen", "full_name": decomposed, "id_number": id_number, "birth_year": 1990,
                      "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi"},
        "summary": "Xác nhận tình trạng hôn nhân để đăng ký kết hôn",
        "components": [{"document": "Tờ khai", "source": "paper"}]
    })
}

fn act(token: &str, code: &str, etag: &str, body: Value) -> TestRequest {
    TestRequest::post()
        .uri(&format!("/api/v1/dossiers/{code}/transitions"))
        .insert_header(bearer(token))
        .insert_header(("if-match", etag.to_string()))
        .set_json(body)
}

/// The PDF's text, as poppler extracts it.
fn text_of(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("form.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Renders page 1 in greyscale with pdftoppm and decodes every QR code on it.
fn qr_codes(bytes: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("form.pdf");
    std::fs::write(&file, bytes).unwrap();
    let prefix = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-gray", "-r", "150", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (Debian poppler-utils) is installed");
    assert!(status.success());
    let (w, h, pixels) = read_pgm(&dir.path().join("page.pgm"));
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    img.detect_grids()
        .into_iter()
        .map(|g| g.decode().expect("QR decodes").1)
        .collect()
}

/// A binary PGM (P5, 8-bit), as pdftoppm -gray writes it.
fn read_pgm(path: &Path) -> (usize, usize, Vec<u8>) {
    let data = std::fs::read(path).unwrap();
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = data[i + 1..].to_vec();
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

/// With `FORMS_PNG_DIR` set, keeps page 1 of a form as `{name}.png` at 60 dpi: how
/// docs/forms/*.png are made (`FORMS_PNG_DIR=docs/forms cargo test --test forms sqlite`).
fn keep(name: &str, bytes: &[u8]) {
    let Ok(dir) = std::env::var("FORMS_PNG_DIR") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("form.pdf");
    std::fs::write(&file, bytes).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(Path::new(&dir).join(name))
        .status()
        .unwrap();
    assert!(status.success());
}

fn vn_date(d: chrono::NaiveDate) -> String {
    motcua::forms::layout::vn_date(d)
}

fn assert_frame(text: &str, title: &str) {
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN XÃ KIM BÔI",
        "TRUNG TÂM PHỤC VỤ",
        "HÀNH CHÍNH CÔNG",
        title,
        "Nghị định số 30/2020/NĐ-CP",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

both_backends! {
    async fn the_receipt_prints_with_its_lookup_qr(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user_named("le-van-an", Role::ReceptionOfficer, Some(KIM_BOI));
        let r = call(&app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&officer)).set_json(intake_body("025190000123"))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let pin = r.body["receipt"]["lookup_pin"].as_str().unwrap().to_string();
        let due_date: chrono::NaiveDate = r.body["receipt"]["due_date"].as_str().unwrap().parse().unwrap();

        // Negotiated on the receipt resource, and the browser link: the same bytes.
        let negotiated = raw(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/receipt"))
            .insert_header(bearer(&officer)).insert_header(("accept", "application/pdf"))).await;
        assert_eq!(negotiated.status, 200);
        assert_eq!(negotiated.content_type, "application/pdf");
        assert!(negotiated.vary.as_deref().is_some_and(|v| v.split(", ").any(|h| h == "Accept")), "{:?}", negotiated.vary);
        assert!(negotiated.bytes.starts_with(b"%PDF-"));
        let link = pdf(&app, &officer, &format!("/api/v1/dossiers/{code}/receipt/pdf")).await;
        assert_eq!(link.status, 200);
        assert_eq!(link.bytes, negotiated.bytes, "same record, same bytes");
        // JSON stays the default.
        let json = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/receipt")).insert_header(bearer(&officer))).await;
        assert_eq!(json.body["dossier_code"], code.as_str());

        keep("receipt", &link.bytes);
        let text = text_of(&link.bytes);
        assert_frame(&text, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ");
        assert!(text.contains(&code), "{text}");
        assert!(text.contains(NAME), "the name, precomposed, with every diacritic: {text}");
        assert!(text.contains("Cấp Giấy xác nhận tình trạng hôn nhân"), "{text}");
        assert!(text.contains("Tờ khai"), "{text}");
        assert!(text.contains(&vn_date(motcua::domain::calendar::today())), "reception date: {text}");
        assert!(text.contains(&vn_date(due_date)), "due date: {text}");
        assert!(text.contains("Nghị định số 118/2025/NĐ-CP"), "{text}");
        assert!(text.contains("Người dùng le-van-an"), "the receiving officer: {text}");
        assert!(text.contains(&pin), "{text}");

        // The QR code is the public lookup, and it works without an account.
        let base = ctx.state.config.public_base_url.trim_end_matches('/').to_string();
        let url = format!("{base}/api/v1/public/dossiers/{code}?pin={pin}");
        assert_eq!(qr_codes(&link.bytes), vec![url.clone()]);
        let public = call(&app, TestRequest::get().uri(url.strip_prefix(&base).unwrap())).await;
        assert_eq!(public.status, 200, "{}", public.body);
        assert_eq!(public.body["code"], code.as_str());
    }

    async fn a_citizen_prints_only_their_own_receipt(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let (_, stranger) = ctx.user(Role::Citizen, None);
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, foreign_officer) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let (_, hanoi) = ctx.user(Role::ReceptionOfficer, Some(BA_DINH));
        let mut body = intake_body("025190000123");
        body["commune_code"] = json!(KIM_BOI);
        let r = call(&app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&citizen)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let uri = format!("/api/v1/dossiers/{code}/receipt/pdf");

        // Not received yet: no receipt, in PDF as in JSON.
        let r = call(&app, TestRequest::get().uri(&uri).insert_header(bearer(&citizen))).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "dossier.not_received");
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "receive"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);

        let own = pdf(&app, &citizen, &uri).await;
        assert_eq!(own.status, 200);
        assert!(text_of(&own.bytes).contains(NAME));
        for token in [&stranger, &foreign_officer, &hanoi] {
            let r = call(&app, TestRequest::get().uri(&uri).insert_header(bearer(token))).await;
            assert_eq!(r.status, 404, "{}", r.body);
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            let r = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/receipt"))
                .insert_header(bearer(token)).insert_header(("accept", "application/pdf"))).await;
            assert_eq!(r.status, 404, "negotiated too: {}", r.body);
        }
        let r = call(&app, TestRequest::get().uri(&uri)).await;
        assert_eq!(r.status, 401);
        let r = call(&app, TestRequest::get().uri("/api/v1/dossiers/H25.04978-000000-9999/receipt/pdf").insert_header(bearer(&citizen))).await;
        assert_eq!(r.status, 404);
        // An unknown form is a 404 problem, not a 500.
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/forms/nothing")).insert_header(bearer(&officer))).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        // The control slip is for staff.
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/forms/control-slip")).insert_header(bearer(&citizen))).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.problem_code(), "form.staff_only");
        // No apology was issued.
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/dossiers/{code}/forms/apology")).insert_header(bearer(&citizen))).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.problem_code(), "form.not_issued");
    }

    async fn slips_print_what_the_history_issued(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (specialist, spec) = ctx.user_named("tran-thi-binh", Role::Specialist, Some(KIM_BOI));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let r = call(&app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&officer)).set_json(intake_body("025190000123"))).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let today = motcua::domain::calendar::today();

        // Apology and new date.
        let new_date = today + chrono::Duration::days(9);
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "extend", "new_due_date": new_date.to_string(), "reason": "Cần xác minh thêm với Công an xã"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let apology = pdf(&app, &officer, &format!("/api/v1/dossiers/{code}/forms/apology")).await;
        assert_eq!(apology.status, 200);
        keep("apology", &apology.bytes);
        let text = text_of(&apology.bytes);
        assert_frame(&text, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ");
        for needle in [code.as_str(), NAME, "Cần xác minh thêm với Công an xã", &vn_date(new_date), "Nghị định số 118/2025/NĐ-CP"] {
            assert!(text.contains(needle), "missing {needle:?}: {text}");
        }
        let again = pdf(&app, &officer, &format!("/api/v1/dossiers/{code}/forms/apology")).await;
        assert_eq!(again.bytes, apology.bytes);

        // Supplement request, by the specialist.
        let r = call(&app, act(&officer, &code, "\"2\"", json!({"action": "assign", "assignee_id": specialist.id}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let deadline = today + chrono::Duration::days(10);
        let r = call(&app, act(&spec, &code, "\"3\"", json!({"action": "request_supplement", "missing_items": ["Bản sao giấy khai sinh", "Giấy xác nhận cư trú"], "deadline": deadline.to_string()}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let slip = pdf(&app, &officer, &format!("/api/v1/dossiers/{code}/forms/supplement-request")).await;
        assert_eq!(slip.status, 200);
        keep("supplement-request", &slip.bytes);
        let text = text_of(&slip.bytes);
        assert_frame(&text, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ");
        for needle in [code.as_str(), NAME, "1. Bản sao giấy khai sinh", "2. Giấy xác nhận cư trú", &vn_date(deadline), "Người dùng tran-thi-binh"] {
            assert!(text.contains(needle), "missing {needle:?}: {text}");
        }

        // The control slip: every step, in order, with who acted.
        let slip = pdf(&app, &officer, &format!("/api/v1/dossiers/{code}/forms/control-slip")).await;
        assert_eq!(slip.status, 200);
        keep("control-slip", &slip.bytes);
        let text = text_of(&slip.bytes);
        assert_frame(&text, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ");
        // Table cells wrap: short needles.
        let steps = ["Tiếp nhận hồ sơ", "Xin lỗi, hẹn lại", "Chuyển xử lý", "Yêu cầu bổ sung"];
        let at: Vec<usize> = steps.iter().map(|s| text.find(s).unwrap_or_else(|| panic!("missing {s:?}: {text}"))).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "in history order: {at:?}");
        for needle in ["tran-thi-binh", NAME, "Đang xử lý", "Được tiếp nhận"] {
            assert!(text.contains(needle), "missing {needle:?}: {text}");
        }
        assert!(text.contains(&format!("ngày {}", today.format("%d"))), "{text}");

        // The applicant reads their slips too.
        let r = pdf(&app, &officer, &format!("/api/v1/dossiers/{code}/forms/refusal")).await;
        assert_eq!(r.status, 404, "not refused");
        let _ = citizen;
    }

    async fn refusal_of_an_online_dossier(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let mut body = intake_body("025190000123");
        body["commune_code"] = json!(KIM_BOI);
        let r = call(&app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&citizen)).set_json(body)).await;
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let r = call(&app, act(&officer, &code, "\"1\"", json!({"action": "refuse", "reason": "Tờ khai không có chữ ký của người yêu cầu"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let refusal = pdf(&app, &citizen, &format!("/api/v1/dossiers/{code}/forms/refusal")).await;
        assert_eq!(refusal.status, 200);
        keep("refusal", &refusal.bytes);
        let text = text_of(&refusal.bytes);
        assert_frame(&text, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ");
        let today = vn_date(motcua::domain::calendar::today());
        for needle in [code.as_str(), NAME, "Tờ khai không có chữ ký của người yêu cầu", today.as_str(), "Nghị định số 118/2025/NĐ-CP"] {
            assert!(text.contains(needle), "missing {needle:?}: {text}");
        }
    }

    async fn the_fee_receipt_prints_with_its_qr(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, foreign_officer) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let mut body = intake_body("025190000123");
        body["procedure_code"] = json!(COPY);
        body["components"] = json!([{"document": "Bản chính", "source": "paper"}]);
        body["fees"] = json!({"quantities": {"page": 3, "copy": 1}});
        let r = call(&app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&officer)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let uri = |id: &str| format!("/api/v1/payments/{id}/receipt/pdf");
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/payments")).insert_header(bearer(&officer)).set_json(json!({"method": "cash"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let json = call(&app, TestRequest::get().uri(&format!("/api/v1/payments/{id}/receipt")).insert_header(bearer(&officer))).await;
        assert_eq!(json.status, 200, "{}", json.body);

        let receipt = pdf(&app, &officer, &uri(&id)).await;
        assert_eq!(receipt.status, 200);
        assert_eq!(receipt.content_type, "application/pdf");
        let negotiated = raw(&app, TestRequest::get().uri(&format!("/api/v1/payments/{id}/receipt"))
            .insert_header(bearer(&officer)).insert_header(("accept", "application/pdf"))).await;
        assert_eq!(negotiated.bytes, receipt.bytes, "same payment, same bytes");
        keep("fee-receipt", &receipt.bytes);
        let text = text_of(&receipt.bytes);
        assert_frame(&text, "BIÊN LAI THU PHÍ, LỆ PHÍ");
        let number = json.body["number"].as_str().unwrap();
        for needle in [code.as_str(), NAME, number, json.body["series"].as_str().unwrap(), "5.000", "Năm nghìn đồng", "Tiền mặt", &vn_date(motcua::domain::calendar::today()), "Nghị định số 123/2020/NĐ-CP"] {
            assert!(text.contains(needle), "missing {needle:?}: {text}");
        }
        assert_eq!(qr_codes(&receipt.bytes), vec![json.body["url"].as_str().unwrap().to_string()]);
        let r = call(&app, TestRequest::get().uri(&uri(&id)).insert_header(bearer(&foreign_officer))).await;
        assert_eq!(r.status, 404);
    }
}
