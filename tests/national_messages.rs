//! The national systems' language, through the real HTTP app on both backends: the agency
//! identifier (unique, fallback reserved, messages held until it is set, issue 13 hole 5),
//! the portal's file links, and the portal evaluator — the Decision 766 indicators the
//! portal would compute from the messages it received, compared with motcua's own report
//! for the same dossiers of every shape (issue 14).

mod common;

use std::collections::BTreeMap;

use actix_web::test::{init_service, TestRequest};
use chrono::Utc;
use common::portal::{client, drain};
use common::*;
use diesel::prelude::*;
use motcua::domain::roles::Role;
use motcua::portal::mock::{Call, MockPortal};
use serde_json::{json, Value};

/// Paper result, fee-bearing (collected on return).
const PAPER: &str = "1.001193";
/// Electronic result, no fee.
const ELECTRONIC: &str = "1.004873";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const KIM_BOI_ID: &str = "000.25.01.H25";
const HOA_BINH_ID: &str = "000.25.02.H25";

app_fn! {
    async fn get(app: &S, token: Option<&str>, uri: &str) -> Resp {
        let mut r = TestRequest::get().uri(uri);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }

    async fn post(app: &S, token: Option<&str>, uri: &str, body: Value) -> Resp {
        let mut r = TestRequest::post().uri(uri).set_json(body);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        call(app, r).await
    }

    async fn import_ids(app: &S, admin: &str, items: Value) -> Resp {
        call(app, TestRequest::put().uri("/api/v1/provinces/25/agency-identifiers").insert_header(bearer(admin))
            .set_json(json!({"items": items}))).await
    }

    async fn patch_agency(app: &S, token: &str, commune: &str, agency: &str) -> Resp {
        let r = get(app, None, &format!("/api/v1/communes/{commune}")).await;
        let etag = r.header("etag").unwrap().to_string();
        call(app, TestRequest::patch().uri(&format!("/api/v1/communes/{commune}")).insert_header(bearer(token))
            .insert_header(("if-match", etag)).set_json(json!({"agency_code": agency}))).await
    }

    async fn setup(ctx: &TestApp, app: &S) -> String {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        for (code, name, result_type) in [(PAPER, "Đăng ký khai sinh", "paper"), (ELECTRONIC, "Cấp Giấy xác nhận tình trạng hôn nhân", "electronic")] {
            let r = post(app, Some(&admin), "/api/v1/procedures", json!({
                "code": code, "name": name, "field": "Hộ tịch", "result_type": result_type, "effective_from": "2025-07-01",
                "cases": [{"code": "default", "name": "Trường hợp chung", "processing_time": {"value": 3, "unit": "working_days"},
                           "online_level": "full", "documents": [{"name": "Tờ khai", "form": "original"}]}]
            })).await;
            assert_eq!(r.status, 201, "{}", r.body);
            for commune in [KIM_BOI, HOA_BINH] {
                let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/procedures/{code}")).insert_header(bearer(&admin))).await;
                assert!(r.status.is_success());
            }
        }
        let r = post(app, Some(&admin), "/api/v1/fee-schedules", json!({
            "procedure_code": PAPER, "fee_code": "LP-KS", "kind": "le_phi", "name": "Lệ phí đăng ký khai sinh",
            "collection": "on_return", "rule": {"type": "flat", "amount": 8000},
            "scope": "national", "effective_from": "2025-07-01", "legal_basis": "Nghị quyết HĐND tỉnh"
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = call(app, TestRequest::put().uri("/api/v1/provinces/25/payment-account").insert_header(bearer(&admin))
            .set_json(json!({"account_name": "Kho bạc Nhà nước Phú Thọ", "account_no": "3511.0.1058123", "bank_code": "KBNN"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        admin
    }

    async fn file(app: &S, token: &str, procedure: &str, id_number: &str, commune: Option<&str>) -> (String, String) {
        let mut body = json!({
            "procedure_code": procedure,
            "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": id_number, "birth_year": 1990,
                          "phone": "0912345678", "address": "Thôn Bo"},
            "components": [{"document": "Tờ khai", "source": "paper"}]
        });
        if let Some(c) = commune {
            body["commune_code"] = json!(c);
        }
        let r = post(app, Some(token), "/api/v1/dossiers", body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        (r.body["dossier"]["code"].as_str().unwrap().to_string(), r.header("etag").unwrap().to_string())
    }

    async fn run(app: &S, code: &str, etag: String, steps: Vec<(&str, Value)>) -> String {
        let mut etag = etag;
        for (token, body) in steps {
            let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/transitions"))
                .insert_header(bearer(token)).insert_header(("if-match", etag.clone())).set_json(body.clone())).await;
            assert_eq!(r.status, 200, "{body}: {}", r.body);
            etag = r.header("etag").unwrap().to_string();
        }
        etag
    }

    async fn etag_of(app: &S, token: &str, code: &str) -> String {
        let r = get(app, Some(token), &format!("/api/v1/dossiers/{code}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.header("etag").unwrap().to_string()
    }

    async fn pay_online(app: &S, token: &str, code: &str) -> () {
        let r = post(app, Some(token), &format!("/api/v1/dossiers/{code}/payments"), json!({"method": "online"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let reference = r.body["reference"].as_str().unwrap().to_string();
        let r = post(app, None, &format!("/api/v1/payments/sandbox/{reference}/complete"), json!({"pay": true})).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("succeeded")), "{}", r.body);
    }

    async fn upload(app: &S, token: &str, code: &str, digitized: bool) -> Value {
        let digitized = digitized.to_string();
        let (content_type, body) = multipart_form(&[("digitized_at_reception", &digitized), ("document", "Tờ khai")], Some(("to-khai.pdf", PDF)));
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/attachments")).insert_header(bearer(token))
            .insert_header(("content-type", content_type)).set_payload(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    async fn issue_result(app: &S, leader: &str, code: &str, n: u32) -> () {
        let meta = json!({
            "document_type": "Giấy khai sinh", "number_symbol": format!("{n}/KS-UBND"),
            "summary": "Khai sinh", "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã",
            "issued_on": "2026-11-20", "valid_until": null, "scope": "Toàn quốc",
            "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFE", "certificate_subject": "CN=Trần Văn Minh",
                          "certificate_issuer": "CN=Cục Chứng thực số", "signed_at": "2026-11-20T02:30:00Z"}
        }).to_string();
        let mut file = PDF.to_vec();
        file.extend_from_slice(format!("% result {n}\n").as_bytes());
        let (content_type, body) = multipart_form(&[("metadata", &meta)], Some(("kq.pdf", &file)));
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/digital-results")).insert_header(bearer(leader))
            .insert_header(("content-type", content_type)).set_payload(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

fn outbox_statuses(ctx: &TestApp) -> Vec<String> {
    ctx.with_conn(|c| {
        use motcua::db::schema::portal_outbox;
        portal_outbox::table
            .order(portal_outbox::id)
            .select(portal_outbox::status)
            .load(c)
            .unwrap()
    })
}

/// Every message of the outbox (dossiers of every shape, two communes, headers and
/// progress steps) rendered in one batch, set-based, is byte for byte what it is alone.
fn assert_batch_renders_each_message_as_alone(ctx: &TestApp) {
    use motcua::db::schema::portal_outbox;
    use motcua::portal::outbox::{render_batch, OutboxRow};
    let now = Utc::now();
    ctx.with_conn(|c| {
        let rows: Vec<OutboxRow> = portal_outbox::table
            .order(portal_outbox::id)
            .select(OutboxRow::as_select())
            .load(c)
            .unwrap();
        assert!(rows.len() > 40, "{}", rows.len());
        assert!(rows
            .iter()
            .any(|r| r.service != motcua::portal::outbox::DOSSIER_SERVICE));
        let batch = render_batch(c, &rows, now).unwrap();
        assert_eq!(batch.len(), rows.len());
        for (row, message) in rows.iter().zip(&batch) {
            let alone = render_batch(c, std::slice::from_ref(row), now)
                .unwrap()
                .remove(0);
            assert_eq!(message.idempotency_ref, row.idempotency_ref);
            assert_eq!(
                serde_json::to_string(&message.payload).unwrap(),
                serde_json::to_string(&alone.payload).unwrap(),
                "{}",
                row.idempotency_ref
            );
        }
    });
}

/// The path of an absolute link of ours (the app under test serves it).
fn path_of(url: &str) -> String {
    let at = url.find("/api/v1/").expect("a link to the API");
    url[at..].to_string()
}

both_backends! {
    async fn messages_wait_for_the_issued_agency_identifier(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = setup(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (first, _) = file(&app, &officer, ELECTRONIC, "025190000301", None).await;
        assert!(first.starts_with("H25.04978-"), "the fallback until an identifier is issued: {first}");
        assert_eq!(outbox_statuses(&ctx), ["held"]);
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{first}/portal-sync")).await;
        assert_eq!((r.body["state"].as_str(), r.body["held"].as_i64()), (Some("awaiting_agency_id"), Some(1)), "{}", r.body);
        // Nothing is sent with a made-up identifier.
        let portal = MockPortal::start(0).unwrap();
        let client = client(&portal);
        assert_eq!(drain(&ctx, &client, "w").claimed, 0);
        assert!(portal.calls().is_empty());

        // The province's list arrives: the commune's messages go, under its identifier.
        let r = import_ids(&app, &admin, json!([{"commune_code": KIM_BOI, "agency_code": KIM_BOI_ID}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["changed"].clone(), r.body["released_messages"].as_u64()), (json!([KIM_BOI]), Some(1)));
        assert_eq!(outbox_statuses(&ctx), ["pending"]);
        assert_eq!(drain(&ctx, &client, "w").sent, 1);
        let calls = portal.calls();
        assert_eq!(calls[0].body["madonvi"], KIM_BOI_ID);
        assert_eq!(calls[0].body["data"]["DonViXuLy"], KIM_BOI_ID);
        assert_eq!(calls[0].dossier_code, first, "an existing dossier code does not change");
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{first}/portal-sync")).await;
        assert_eq!(r.body["state"], "synced");
        // New dossier codes use the identifier; the commune's view says it is not the default.
        let (second, _) = file(&app, &officer, ELECTRONIC, "025190000302", None).await;
        assert!(second.starts_with(&format!("{KIM_BOI_ID}-")), "{second}");
        assert_eq!(outbox_statuses(&ctx), ["sent", "pending"]);
        let r = get(&app, None, &format!("/api/v1/communes/{KIM_BOI}")).await;
        assert_eq!((r.body["agency_code"].as_str(), r.body["agency_code_is_default"].as_bool()), (Some(KIM_BOI_ID), Some(false)));
        // Cleared again (back to the fallback): its waiting messages are held again.
        let r = import_ids(&app, &admin, json!([{"commune_code": KIM_BOI, "agency_code": null}])).await;
        assert_eq!((r.status.as_u16(), r.body["held_messages"].as_u64()), (200, Some(1)), "{}", r.body);
        assert_eq!(outbox_statuses(&ctx), ["sent", "held"]);
        // Only a system administrator imports a province's list.
        let (_, commune_admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let r = import_ids(&app, &commune_admin, json!([{"commune_code": KIM_BOI, "agency_code": KIM_BOI_ID}])).await;
        assert_eq!(r.status, 403);
        portal.stop();
    }

    async fn an_agency_identifier_is_unique_and_a_collision_never_stops_a_counter(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = setup(&ctx, &app).await;
        let (_, kim_boi_admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let (_, hoa_binh_admin) = ctx.user(Role::CommuneAdmin, Some(HOA_BINH));
        let (_, kim_boi) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, hoa_binh) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let ids = |ctx: &TestApp| -> Vec<(String, Option<String>, i64)> {
            ctx.with_conn(|c| {
                use motcua::db::schema::communes;
                communes::table.filter(communes::code.eq_any([KIM_BOI, HOA_BINH])).order(communes::code)
                    .select((communes::code, communes::agency_code, communes::version)).load(c).unwrap()
            })
        };
        let before = ids(&ctx);
        // The attack of issue 13 §5: Hoà Bình takes Kim Bôi's identifier (its fallback).
        let r = patch_agency(&app, &hoa_binh_admin, HOA_BINH, "H25.04978").await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["agency_code"].is_array(), "{}", r.body);
        // Nor its own fallback, nor any of that form.
        let r = patch_agency(&app, &hoa_binh_admin, HOA_BINH, "H25.04795").await;
        assert_eq!(r.status, 422);
        // Kim Bôi records its issued identifier; Hoà Bình cannot take it.
        let r = patch_agency(&app, &kim_boi_admin, KIM_BOI, KIM_BOI_ID).await;
        assert_eq!((r.status.as_u16(), r.body["version"].as_i64()), (200, Some(before[1].2 + 1)), "one version step: {}", r.body);
        let r = patch_agency(&app, &hoa_binh_admin, HOA_BINH, KIM_BOI_ID).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "commune.agency_code_taken"));
        assert_eq!(r.body["held_by"], KIM_BOI);
        // A province list that would collide changes nothing at all.
        let r = import_ids(&app, &admin, json!([{"commune_code": HOA_BINH, "agency_code": HOA_BINH_ID},
                                                {"commune_code": "04978", "agency_code": HOA_BINH_ID}])).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "commune.agency_code_taken"));
        let r = import_ids(&app, &admin, json!([{"commune_code": HOA_BINH, "agency_code": HOA_BINH_ID},
                                                {"commune_code": BA_DINH, "agency_code": "000.01.01.H01"}])).await;
        assert_eq!(r.status, 422, "Ba Đình is not in Phú Thọ: {}", r.body);
        assert!(r.body["errors"]["items[1].commune_code"].is_array(), "{}", r.body);
        let r = import_ids(&app, &admin, json!([{"commune_code": HOA_BINH, "agency_code": "000.25.02.h25"}])).await;
        assert!(r.body["errors"]["items[0].agency_code"].is_array(), "{}", r.body);
        assert_eq!(ids(&ctx)[0].1, None, "Hoà Bình unchanged");
        // Both counters keep working throughout.
        let (k1, _) = file(&app, &kim_boi, ELECTRONIC, "025190000311", None).await;
        let (k1b, _) = file(&app, &kim_boi, ELECTRONIC, "025190000315", None).await;
        let (h1, _) = file(&app, &hoa_binh, ELECTRONIC, "025190000312", None).await;
        assert!(k1.starts_with(KIM_BOI_ID) && h1.starts_with("H25.04795-"), "{k1} {h1}");
        // Identifiers swap within one list: fine (cleared first, then set).
        let r = import_ids(&app, &admin, json!([{"commune_code": KIM_BOI, "agency_code": HOA_BINH_ID},
                                                {"commune_code": HOA_BINH, "agency_code": KIM_BOI_ID}])).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Hoà Bình now files under the identifier Kim Bôi used this morning: its own counter
        // is at 1, the number Kim Bôi took is skipped, never a 409 at the counter.
        let (h2, _) = file(&app, &hoa_binh, ELECTRONIC, "025190000313", None).await;
        let day = &k1[KIM_BOI_ID.len() + 1..KIM_BOI_ID.len() + 7];
        assert_eq!(h2, format!("{KIM_BOI_ID}-{day}-0003"), "0001 and 0002 are Kim Bôi's: Hoà Bình's counter skips 0002");
        let (k2, _) = file(&app, &kim_boi, ELECTRONIC, "025190000314", None).await;
        assert!(k2.starts_with(HOA_BINH_ID), "{k2}");
        // Every code is unique, and the existing ones were not touched.
        let codes: Vec<String> = ctx.with_conn(|c| {
            use motcua::db::schema::dossiers;
            dossiers::table.order(dossiers::created_at).select(dossiers::code).load(c).unwrap()
        });
        assert_eq!(codes, [k1, k1b, h1, h2, k2]);
    }

    async fn the_portal_fetches_files_by_signed_links(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = setup(&ctx, &app).await;
        let r = import_ids(&app, &admin, json!([{"commune_code": KIM_BOI, "agency_code": KIM_BOI_ID}])).await;
        assert_eq!(r.status, 200);
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (code, _) = file(&app, &officer, ELECTRONIC, "025190000321", None).await;
        upload(&app, &officer, &code, true).await;
        let portal = MockPortal::start(0).unwrap();
        drain(&ctx, &client(&portal), "w");
        let calls = portal.calls();
        let last = &calls.last().unwrap().body["data"];
        let header = if last["HoSo"].is_object() { &last["HoSo"] } else { last };
        let link = header["TaiLieuNop"][0]["DuongDanTaiTepTin"].as_str().unwrap().to_string();
        assert!(link.starts_with("http"), "a URL, not an internal hash: {link}");
        // No login: the link is the authorisation.
        let r = get(&app, None, &path_of(&link)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body.as_str(), Some(String::from_utf8_lossy(PDF).as_ref()));
        // Altered: another file, or a later expiry, is refused.
        let path = path_of(&link);
        // The last character changed, whatever it was (a fixed replacement would leave one
        // signature in sixteen unchanged).
        let last = if path.ends_with('0') { '1' } else { '0' };
        let tampered = format!("{}{last}", &path[..path.len() - 1]);
        assert_eq!(get(&app, None, &tampered).await.status, 404);
        assert_eq!(get(&app, None, "/api/v1/public/portal-files/garbage").await.status, 404);
        portal.stop();
    }

    async fn portal_evaluator_agrees_with_the_report(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = setup(&ctx, &app).await;
        let r = import_ids(&app, &admin, json!([{"commune_code": KIM_BOI, "agency_code": KIM_BOI_ID},
                                                {"commune_code": HOA_BINH, "agency_code": HOA_BINH_ID}])).await;
        assert_eq!(r.status, 200);
        let (_, o) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (sid, s) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let (_, l) = ctx.user(Role::Leader, Some(KIM_BOI));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let (_, other) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let (o, s, l, citizen) = (o.as_str(), s.as_str(), l.as_str(), citizen.as_str());
        let deadline = (motcua::domain::calendar::today() + chrono::Duration::days(10)).to_string();
        let assign = || json!({"action": "assign", "assignee_id": sid.id});
        let supplement = || json!({"action": "request_supplement", "missing_items": ["Bản sao"], "deadline": deadline});
        let submit = || json!({"action": "submit_supplement"});
        let propose = || json!({"action": "propose_result"});
        let approve = || json!({"action": "approve_result"});
        let ready = || json!({"action": "mark_result_ready"});
        let ret = || json!({"action": "return_result"});

        // 1. Counter, paper result, fee paid online, e-result issued, returned.
        let (c, e) = file(&app, o, PAPER, "025190000401", None).await;
        run(&app, &c, e, vec![(o, assign()), (s, propose()), (l, approve())]).await;
        issue_result(&app, l, &c, 1).await;
        pay_online(&app, o, &c).await;
        let e = etag_of(&app, o, &c).await;
        run(&app, &c, e, vec![(o, ready()), (o, ret())]).await;
        // 2. Counter, paper result, fee paid in cash, returned without an e-result.
        let (c, e) = file(&app, o, PAPER, "025190000402", None).await;
        run(&app, &c, e, vec![(o, assign()), (s, propose()), (l, approve()), (o, ready())]).await;
        let r = post(&app, Some(o), &format!("/api/v1/dossiers/{c}/payments"), json!({"method": "cash"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let e = etag_of(&app, o, &c).await;
        run(&app, &c, e, vec![(o, ret())]).await;
        // 3. Online, paper result, paid online by the applicant, e-result, ready.
        let (c, e) = file(&app, citizen, PAPER, "025190000403", Some(KIM_BOI)).await;
        run(&app, &c, e, vec![(o, json!({"action": "receive"})), (o, assign()), (s, propose()), (l, approve())]).await;
        issue_result(&app, l, &c, 3).await;
        pay_online(&app, citizen, &c).await;
        let e = etag_of(&app, o, &c).await;
        run(&app, &c, e, vec![(o, ready())]).await;
        // 4. Online, paper result, fee unpaid, open.
        let (c, e) = file(&app, citizen, PAPER, "025190000404", Some(KIM_BOI)).await;
        run(&app, &c, e, vec![(o, json!({"action": "receive"}))]).await;
        // 5. Online, electronic result, returned with its e-result.
        let (c, e) = file(&app, citizen, ELECTRONIC, "025190000405", Some(KIM_BOI)).await;
        run(&app, &c, e, vec![(o, json!({"action": "receive"})), (o, assign()), (s, propose()), (l, approve())]).await;
        issue_result(&app, l, &c, 5).await;
        let e = etag_of(&app, o, &c).await;
        run(&app, &c, e, vec![(o, ready()), (o, ret())]).await;
        // 6. One supplement (the pause moves the date), digitized component, e-result, finished.
        let (c, e) = file(&app, o, ELECTRONIC, "025190000406", None).await;
        let _ = e;
        let first_component = upload(&app, o, &c, true).await;
        let e = etag_of(&app, o, &c).await;
        run(&app, &c, e, vec![(o, assign()), (s, supplement()), (o, submit()), (s, propose()), (l, approve())]).await;
        // With its e-result: every component file and the result file (766 §4.2).
        issue_result(&app, l, &c, 6).await;
        let e = etag_of(&app, o, &c).await;
        run(&app, &c, e, vec![(o, ready())]).await;
        let reused_from = c.clone();
        // 7. Two supplements: late by 766 §2.1.
        let (c, e) = file(&app, o, ELECTRONIC, "025190000407", None).await;
        run(&app, &c, e, vec![(o, assign()), (s, supplement()), (o, submit()), (s, supplement()), (o, submit()), (s, propose()), (l, approve()), (o, ready())]).await;
        // 8. A component reused from dossier 6 (same applicant), and one not digitized.
        let (c, _) = file(&app, o, ELECTRONIC, "025190000406", None).await;
        let r = post(&app, Some(o), &format!("/api/v1/dossiers/{c}/attachments/reuse"), json!({
            "document": "Tờ khai", "sha256": first_component["sha256"], "from_dossier": reused_from})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        upload(&app, o, &c, false).await;
        // 9. Late, with an apology slip (old and new dates in the message).
        let (c, e) = file(&app, o, ELECTRONIC, "025190000409", None).await;
        let e = run(&app, &c, e, vec![(o, assign())]).await;
        push_due_into_past(&ctx, &c);
        let promised = (motcua::domain::calendar::today() + chrono::Duration::days(5)).to_string();
        run(&app, &c, e, vec![(o, json!({"action": "extend", "reason": "Chờ xác minh", "new_due_date": promised}))]).await;
        let apology = c.clone();
        // 10. Withdrawn; 11. stopped; 12. refused at intake; 13. awaiting intake.
        let (c, e) = file(&app, o, ELECTRONIC, "025190000410", None).await;
        run(&app, &c, e, vec![(o, assign()), (o, json!({"action": "request_withdrawal", "comment": "Công dân xin rút"})), (o, json!({"action": "confirm_withdrawal"}))]).await;
        let (c, e) = file(&app, o, ELECTRONIC, "025190000411", None).await;
        run(&app, &c, e, vec![(o, assign()), (l, json!({"action": "stop", "reason": "Không đủ điều kiện"}))]).await;
        let (c, e) = file(&app, citizen, PAPER, "025190000412", Some(KIM_BOI)).await;
        run(&app, &c, e, vec![(o, json!({"action": "refuse", "reason": "Sai thẩm quyền"}))]).await;
        file(&app, citizen, ELECTRONIC, "025190000413", Some(KIM_BOI)).await;
        // 14. Another commune's dossier: not Kim Bôi's at the portal either.
        file(&app, &other, PAPER, "025190000414", None).await;

        assert_batch_renders_each_message_as_alone(&ctx);
        let portal = MockPortal::start(0).unwrap();
        let client = client(&portal);
        let report = drain(&ctx, &client, "w");
        assert_eq!(report.failed, 0);
        let calls = portal.calls();
        let now = motcua::portal::payload::portal_time(Utc::now());
        let view = portal_view(&calls, KIM_BOI_ID);
        assert_eq!(view.len(), 13, "every Kim Bôi dossier reached the portal");

        // The messages carry what the indicators need.
        let extension = calls.iter().find(|c| c.dossier_code == apology && c.body["data"]["NgayHenTraMoi"].is_string())
            .expect("the apology slip's progress message");
        assert!(extension.body["data"]["NgayHenTraTruoc"].is_string());
        let with_supplement = view.values().find(|h| h["DanhSachHoSoBoSung"].as_array().is_some_and(|a| a.len() == 1)).unwrap();
        let bs = &with_supplement["DanhSachHoSoBoSung"][0];
        assert!(bs["NgayHenTraTruoc"].is_string() && bs["NgayHenTraMoi"].is_string(), "{bs}");
        assert!(bs["NgayHenTraMoi"].as_str() >= bs["NgayHenTraTruoc"].as_str());
        for h in view.values() {
            for link in h["TaiLieuNop"].as_array().unwrap().iter().map(|t| &t["DuongDanTaiTepTin"])
                .chain(h["DanhSachGiayToKetQua"].as_array().unwrap().iter().map(|g| &g["DuongDanTepTinKetQua"])) {
                let r = get(&app, None, &path_of(link.as_str().unwrap())).await;
                assert_eq!(r.status, 200, "the portal can fetch {link}");
                assert!(r.body.as_str().is_some_and(|b| b.starts_with("%PDF")));
            }
        }

        // What the portal computes from them, and what motcua reports.
        let theirs = evaluate(&view, &now);
        let range = {
            let today = motcua::domain::calendar::today();
            format!("from={}&to={}", today - chrono::Duration::days(1), today + chrono::Duration::days(1))
        };
        let ours = get(&app, Some(o), &format!("/api/v1/reports/communes/{KIM_BOI}?{range}")).await;
        assert_eq!(ours.status, 200, "{}", ours.body);
        let indicator = |code: &str| ours.body["indicators"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap().clone();
        let counters = &ours.body["counters"];
        let mut compared = Vec::new();
        for (code, (n, d)) in &theirs.indicators {
            let i = indicator(code);
            assert_eq!((i["numerator"].as_i64(), i["denominator"].as_i64()), (Some(*n), Some(*d)),
                "indicator {code}: the portal computes {n}/{d} from what it received, motcua reports {}", i);
            compared.push(code.clone());
        }
        assert_eq!(compared, ["1.4", "2.1", "3.3", "3.6", "4.1", "4.2", "4.3"]);
        // The e-result and digitization conditions the messages carry, against motcua's own
        // counters (the parts of 3.3, 4.1 and 4.2).
        for (name, n) in &theirs.conditions {
            assert_eq!(counters[name].as_i64(), Some(*n), "{name}: portal {n}, motcua {}", counters[name]);
        }
        // The shapes are really there: not a comparison of zeros.
        assert_eq!(theirs.indicators["3.6"], (2, 4), "two of four fee-bearing received dossiers paid online");
        assert_eq!(theirs.conditions["results_digitized"], 2, "paper-result dossiers with an e-result");
        assert!(theirs.indicators["2.1"].0 < theirs.indicators["2.1"].1);
        assert_eq!(theirs.indicators["4.3"].0, 1);
        assert_eq!(theirs.conditions["dossiers_digitized"], 1);
        assert_eq!(theirs.indicators["3.3"].1, 11);
        assert_eq!(theirs.indicators["4.1"], (2, 4), "paper-result dossiers with an e-result link");
        portal.stop();
    }
}

/// The latest copy of each of one agency's dossiers the portal holds (a progress message
/// carries the dossier too), by MaHoSo.
fn portal_view(calls: &[Call], agency: &str) -> BTreeMap<String, Value> {
    let mut view = BTreeMap::new();
    for c in calls {
        let d = &c.body["data"];
        let h = if c.service == "DongBoHoSoMC" {
            d.clone()
        } else {
            d["HoSo"].clone()
        };
        if h["DonViXuLy"] == agency {
            view.insert(h["MaHoSo"].as_str().unwrap().to_string(), h);
        }
    }
    view
}

/// The portal's computation: indicators as (numerator, denominator), and the dossier-level
/// conditions the messages carry, named as motcua's counters.
struct Evaluation {
    indicators: BTreeMap<String, (i64, i64)>,
    conditions: BTreeMap<&'static str, i64>,
}

/// Procedures whose result is a paper document, as the portal's catalog knows them.
fn paper_result(procedure: &str) -> bool {
    procedure == PAPER
}

/// Decision 766/QĐ-TTg (23/6/2022) formulas, from the messages alone.
fn evaluate(view: &BTreeMap<String, Value>, now: &str) -> Evaluation {
    let s = |h: &Value, k: &str| h[k].as_str().map(str::to_string);
    let flag = |v: &Value| v.as_i64() == Some(1);
    let received: Vec<&Value> = view
        .values()
        .filter(|h| h["NgayTiepNhan"].is_string())
        .collect();
    let n = received.len() as i64;
    let count = |f: &dyn Fn(&Value) -> bool| received.iter().filter(|h| f(h)).count() as i64;
    let supplements = |h: &Value| h["DanhSachHoSoBoSung"].as_array().map_or(0, Vec::len);
    let has_result_link = |h: &Value| {
        h["DanhSachGiayToKetQua"]
            .as_array()
            .is_some_and(|a| a.iter().any(|g| g["DuongDanTepTinKetQua"].is_string()))
    };
    let components = |h: &Value| h["TaiLieuNop"].as_array().cloned().unwrap_or_default();
    // 2.1: finished by the date with at most one supplement request; open and not late
    // (a dossier waiting for a supplement, status 5, is not running late).
    let on_time = |h: &Value| {
        if supplements(h) > 1 {
            return false;
        }
        match (s(h, "NgayKetThucXuLy"), s(h, "NgayHenTra")) {
            (Some(end), Some(due)) => end <= due,
            (Some(_), None) => true,
            (None, Some(due)) => h["TrangThaiHoSo"].as_i64() == Some(5) || due.as_str() >= now,
            (None, None) => true,
        }
    };
    let fee_bearing = |h: &Value| {
        h["DanhSachLePhi"].as_array().is_some_and(|a| {
            a.iter()
                .map(|f| f["Gia"].as_i64().unwrap_or(0))
                .sum::<i64>()
                > 0
        })
    };
    let paid_online = |h: &Value| matches!(h["DuocThanhToanTrucTuyen"].as_i64(), Some(1 | 2));
    let digitized = |h: &Value| {
        let c = components(h);
        !c.is_empty() && c.iter().all(|t| flag(&t["DuocSoHoa"]))
    };
    let reused = |h: &Value| components(h).iter().any(|t| flag(&t["DuocTaiSuDung"]));
    let online_counted = |h: &Value| {
        h["KenhThucHien"].as_i64() == Some(2)
            && (!paper_result(h["MaTTHC"].as_str().unwrap_or("")) || has_result_link(h))
    };
    let paper = |h: &Value| paper_result(h["MaTTHC"].as_str().unwrap_or(""));
    let synced = n; // every received dossier the portal holds is one that reached it
    let mut indicators = BTreeMap::new();
    indicators.insert("1.4".to_string(), (synced, n));
    indicators.insert("2.1".to_string(), (count(&on_time), n));
    // 3.3: online (with the e-result condition) × sync rate ÷ received.
    let sync_rate = if n == 0 {
        0.0
    } else {
        synced as f64 / n as f64
    };
    indicators.insert(
        "3.3".to_string(),
        (
            ((count(&online_counted) as f64) * sync_rate).round() as i64,
            n,
        ),
    );
    indicators.insert(
        "3.6".to_string(),
        (
            count(&|h| fee_bearing(h) && paid_online(h)),
            count(&fee_bearing),
        ),
    );
    indicators.insert(
        "4.1".to_string(),
        (count(&|h| paper(h) && has_result_link(h)), count(&paper)),
    );
    indicators.insert(
        "4.2".to_string(),
        (count(&|h| digitized(h) && has_result_link(h)), n),
    );
    indicators.insert("4.3".to_string(), (count(&reused), n));
    let mut conditions = BTreeMap::new();
    // Decision 766: a result counts as digitized for a paper-result procedure that has an
    // e-result (4.1); a dossier counts for 4.2 with every component file and the result file.
    conditions.insert(
        "results_digitized",
        count(&|h| paper(h) && has_result_link(h)),
    );
    conditions.insert(
        "dossiers_digitized",
        count(&|h| digitized(h) && has_result_link(h)),
    );
    conditions.insert("paper_result", count(&paper));
    conditions.insert("online_counted", count(&online_counted));
    conditions.insert("paid_online", count(&|h| fee_bearing(h) && paid_online(h)));
    conditions.insert("online", count(&|h| h["KenhThucHien"].as_i64() == Some(2)));
    conditions.insert("supplement_repeated", count(&|h| supplements(h) > 1));
    conditions.insert("supplement_requested", count(&|h| supplements(h) >= 1));
    Evaluation {
        indicators,
        conditions,
    }
}

fn push_due_into_past(ctx: &TestApp, code: &str) {
    use motcua::db::schema::dossiers;
    let past = Utc::now().naive_utc() - chrono::Duration::days(2);
    ctx.with_conn(|c| {
        diesel::update(dossiers::table.filter(dossiers::code.eq(code)))
            .set(dossiers::due_at.eq(Some(past)))
            .execute(c)
            .unwrap()
    });
}
