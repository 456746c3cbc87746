//! What the digital-result suites (results, identity) start from: a published procedure with
//! an electronic result, the commune's officer, specialist and leader, dossiers taken to an
//! approved result, and the signed PDF a leader issues.

use actix_web::test::TestRequest;
use serde_json::{json, Value};

use super::{bearer, call, multipart_form, Resp, TestApp, KIM_BOI};
use motcua::domain::roles::Role;

/// Cấp Giấy xác nhận tình trạng hôn nhân: one case, an electronic result.
pub const PROCEDURE: &str = "1.004873";

/// The accounts a result suite acts with: a system admin and Kim Bôi's staff.
pub struct People {
    pub admin: String,
    pub officer: String,
    pub leader: String,
    pub spec_id: String,
    pub spec: String,
}

/// A distinct small PDF per `n` (results are keyed by their file's digest).
pub fn pdf(n: u32) -> Vec<u8> {
    let mut b = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    b.extend_from_slice(format!("% result {n}\n").as_bytes());
    b
}

/// The issuing metadata of a result, valid until `valid_until` (open-ended when `None`).
pub fn metadata(valid_until: Option<&str>) -> String {
    json!({
        "document_type": "Giấy xác nhận tình trạng hôn nhân", "number_symbol": "125/XN-UBND",
        "summary": "Xác nhận tình trạng hôn nhân", "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã",
        "issued_on": "2026-11-20", "valid_until": valid_until, "scope": "Dùng để đăng ký kết hôn",
        "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFE", "certificate_subject": "CN=Trần Văn Minh",
                      "certificate_issuer": "CN=Cục Chứng thực số", "signed_at": "2026-11-20T02:30:00Z"}
    })
    .to_string()
}

/// A multipart POST (`form` from `multipart_form`), with a bearer token when given.
pub fn multipart_post(uri: &str, token: Option<&str>, form: (String, Vec<u8>)) -> TestRequest {
    let mut r = TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", form.0))
        .set_payload(form.1);
    if let Some(t) = token {
        r = r.insert_header(bearer(t));
    }
    r
}

/// A citizen applicant with personal ID `id`.
pub fn applicant(id: &str) -> Value {
    json!({"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": id, "birth_year": 1990, "phone": "0912345678", "address": "Thôn Bo"})
}

async fn post_json<S, B>(app: &S, token: Option<&str>, uri: &str, body: Value) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut r = TestRequest::post().uri(uri).set_json(body);
    if let Some(t) = token {
        r = r.insert_header(bearer(t));
    }
    call(app, r).await
}

/// Creates [`PROCEDURE`], publishes it in `communes` and makes Kim Bôi's staff.
pub async fn setup<S, B>(ctx: &TestApp, app: &S, communes: &[&str]) -> People
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let (_, admin) = ctx.user(Role::SystemAdmin, None);
    let r = post_json(app, Some(&admin), "/api/v1/procedures", json!({
        "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "electronic",
        "effective_from": "2025-07-01",
        "cases": [{"code": "default", "name": "Trường hợp chung", "processing_time": {"value": 3, "unit": "working_days"},
                   "online_level": "full", "documents": [{"name": "Tờ khai", "form": "original"},
                   {"name": "Giấy xác nhận cũ", "form": "copy", "required": false, "from_data_store_allowed": true}]}]
    })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    for commune in communes {
        let r = call(
            app,
            TestRequest::put()
                .uri(&format!(
                    "/api/v1/communes/{commune}/procedures/{PROCEDURE}"
                ))
                .insert_header(bearer(&admin)),
        )
        .await;
        assert!(r.status.is_success());
    }
    let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
    let (_, leader) = ctx.user(Role::Leader, Some(KIM_BOI));
    let (s, spec) = ctx.user(Role::Specialist, Some(KIM_BOI));
    People {
        admin,
        officer,
        leader,
        spec_id: s.id,
        spec,
    }
}

/// A counter dossier of applicant `id` taken to an approved result; `notes` are the
/// officer's and the specialist's internal comments on the way. Returns its code.
pub async fn approved<S, B>(app: &S, who: &People, id: &str, notes: [Option<&str>; 2]) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let r = post_json(
        app,
        Some(&who.officer),
        "/api/v1/dossiers",
        json!({
            "procedure_code": PROCEDURE, "applicant": applicant(id),
            "components": [{"document": "Tờ khai", "source": "paper"}]
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
    let mut etag = r.header("etag").unwrap().to_string();
    let mut assign = json!({"action": "assign", "assignee_id": who.spec_id});
    let mut propose = json!({"action": "propose_result"});
    for (body, note) in [(&mut assign, notes[0]), (&mut propose, notes[1])] {
        if let Some(n) = note {
            body["comment"] = json!(n);
        }
    }
    for (token, body) in [
        (&who.officer, assign),
        (&who.spec, propose),
        (&who.leader, json!({"action": "approve_result"})),
    ] {
        let r = call(
            app,
            TestRequest::post()
                .uri(&format!("/api/v1/dossiers/{code}/transitions"))
                .insert_header(bearer(token))
                .insert_header(("if-match", etag.clone()))
                .set_json(body),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        etag = r.header("etag").unwrap().to_string();
    }
    code
}

/// The leader issues result file `n` on dossier `code`.
pub async fn issue<S, B>(
    app: &S,
    leader: &str,
    code: &str,
    n: u32,
    valid_until: Option<&str>,
) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let meta = metadata(valid_until);
    let form = multipart_form(&[("metadata", &meta)], Some(("kq.pdf", &pdf(n))));
    call(
        app,
        multipart_post(
            &format!("/api/v1/dossiers/{code}/digital-results"),
            Some(leader),
            form,
        ),
    )
    .await
}
