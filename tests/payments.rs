//! Fees and payments through the real HTTP app, on both backends: fee formulas at intake,
//! channel amounts, exemptions, version locking, provincial overrides, the lifecycle
//! gates, counter and online payments, platform callbacks, receipts, refunds,
//! reconciliation and scoping.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use diesel::prelude::*;
use motcua::domain::roles::Role;
use motcua::payments::paygov;
use serde_json::{json, Value};

/// Certified copy: per page and copy, collected before processing.
const COPY: &str = "2.000815";
/// Residence registration: flat, cheaper online, exemptions, collected on return.
const RESIDENCE: &str = "1.004222";

app_fn! {
    async fn post(app: &S, token: Option<&str>, uri: &str, body: Value) -> Resp {
    let mut r = TestRequest::post().uri(uri).set_json(body);
    if let Some(t) = token {
        r = r.insert_header(bearer(t));
    }
    call(app, r).await
}
}

app_fn! {
    async fn get(app: &S, token: Option<&str>, uri: &str) -> Resp {
    let mut r = TestRequest::get().uri(uri);
    if let Some(t) = token {
        r = r.insert_header(bearer(t));
    }
    call(app, r).await
}
}

// Both procedures, published in Kim Bôi, Hoà Bình and Ba Đình, with national schedules.
app_fn! {
    async fn catalog(ctx: &TestApp, app: &S) -> String {
    let (_, admin) = ctx.user(Role::SystemAdmin, None);
    for (code, name, online) in [(COPY, "Chứng thực bản sao từ bản chính", "partial"), (RESIDENCE, "Đăng ký thường trú", "full")] {
        let r = post(app, Some(&admin), "/api/v1/procedures", json!({
            "code": code, "name": name, "field": "Chứng thực", "result_type": "paper", "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung",
                       "processing_time": {"value": 2, "unit": "working_days"}, "online_level": online,
                       "documents": [{"name": "Bản chính", "form": "original"}]}]
        })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for commune in [KIM_BOI, HOA_BINH, BA_DINH] {
            let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/procedures/{code}")).insert_header(bearer(&admin))).await;
            assert!(r.status.is_success(), "{}", r.body);
        }
    }
    // Phú Thọ's beneficiary account: its communes may take online payments.
    let r = call(app, TestRequest::put().uri("/api/v1/provinces/25/payment-account").insert_header(bearer(&admin))
        .set_json(json!({"account_name": "Kho bạc Nhà nước Phú Thọ", "account_no": "3511.0.1058123", "bank_code": "KBNN"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(app, Some(&admin), "/api/v1/fee-schedules", copy_schedule(2000)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = post(app, Some(&admin), "/api/v1/fee-schedules", json!({
        "procedure_code": RESIDENCE, "fee_code": "LP-TT", "kind": "le_phi", "name": "Lệ phí đăng ký cư trú",
        "collection": "on_return", "rule": {"type": "flat", "amount": 20000}, "online_rule": {"type": "flat", "amount": 10000},
        "exemptions": [{"category": "poor_household", "reason": "Hộ nghèo (Điều 4 TT 75/2022/TT-BTC)"}],
        "scope": "national", "effective_from": "2025-07-01", "legal_basis": "TT 75/2022/TT-BTC, TT 71/2025/TT-BTC"
    })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    admin
}
}

fn copy_schedule(first_pages: i64) -> Value {
    json!({
        "procedure_code": COPY, "fee_code": "CT-BS", "kind": "phi", "name": "Phí chứng thực bản sao",
        "collection": "before_processing",
        "rule": {"type": "per_unit", "unit": "page", "set_unit": "copy", "cap_per_set": 200000,
                 "tiers": [{"from": 1, "to": 2, "amount": first_pages}, {"from": 3, "to": null, "amount": 1000}]},
        "scope": "national", "effective_from": "2025-07-01", "legal_basis": "TT 226/2016/TT-BTC"
    })
}

fn intake(procedure: &str, id_number: &str, fees: Value) -> Value {
    json!({
        "procedure_code": procedure,
        "applicant": {"type": "citizen", "full_name": "Trần Văn Bình", "id_number": id_number, "birth_year": 1990,
                      "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi"},
        "components": [{"document": "Bản chính", "source": "paper"}],
        "fees": fees
    })
}

app_fn! {
    async fn file(app: &S, token: &str, procedure: &str, id_number: &str, fees: Value) -> Resp {
    post(app, Some(token), "/api/v1/dossiers", intake(procedure, id_number, fees)).await
}
}

fn code_of(r: &Resp) -> String {
    r.body["dossier"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", r.body))
        .to_string()
}

fn count(ctx: &TestApp, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    ctx.with_conn(|c| {
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<N>(c)
            .unwrap()
            .n
    })
}

app_fn! {
    async fn pay(app: &S, token: &str, code: &str, body: Value) -> Resp {
    post(app, Some(token), &format!("/api/v1/dossiers/{code}/payments"), body).await
}
}

app_fn! {
    async fn act(app: &S, token: &str, code: &str, etag: &str, body: Value) -> Resp {
    call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/transitions")).insert_header(bearer(token)).insert_header(("if-match", etag.to_string())).set_json(body)).await
}
}

/// A platform callback as the sandbox platform signs it: the ten signed fields of the
/// national protocol and their MaXacThuc.
fn signed_callback(
    reference: &str,
    amount: &str,
    result: &str,
    tx: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Value {
    let mut cb = motcua::payments::Callback {
        kind: "PAY".into(),
        result_code: result.into(),
        partner: motcua::payments::sandbox::PARTNER.into(),
        reference: reference.into(),
        amount: amount.into(),
        currency: "VND".into(),
        transaction_id: tx.into(),
        bank_code: "VCB".into(),
        time: paygov::format_time(at),
        info: String::new(),
        mac: String::new(),
    };
    paygov::sign_callback(&mut cb, SANDBOX_SECRET);
    serde_json::to_value(cb).unwrap()
}

both_backends! {
    async fn fee_formulas_at_intake(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        // (pages, copies, VND): 2,000 for pages 1–2, 1,000 from page 3, ≤ 200,000 per copy.
        for (i, (pages, copies, want)) in [(1, 1, 2000), (2, 1, 4000), (3, 1, 5000), (150, 1, 152000), (3, 2, 10000), (400, 2, 400000)].into_iter().enumerate() {
            let r = file(&app, &officer, COPY, &format!("02519000{i:04}"), json!({"quantities": {"page": pages, "copy": copies}})).await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!(r.body["fees"]["total_vnd"], want, "{pages} pages × {copies}");
            assert_eq!(r.body["fees"]["outstanding_before_processing_vnd"], want);
            let line = &r.body["fees"]["lines"][0];
            assert_eq!(line["amount_vnd"], want);
            assert_eq!(line["status"], "unpaid");
            assert_eq!(line["kind"], "phi");
            assert!(line["explanation"].as_str().unwrap().contains(&format!("{pages} page")), "{line}");
        }
        // Stored as well, and readable by the dossier's readers: exactly what intake
        // answered (intake builds its view from memory rather than reading it back).
        let filed = file(&app, &officer, COPY, "025190009999", json!({"quantities": {"page": 3, "copy": 1}})).await;
        let code = code_of(&filed);
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{code}/fees")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, filed.body["fees"]);
        assert_eq!(r.body["total_vnd"], 5000);
        assert_eq!(r.body["quantities"], json!({"page": 3, "copy": 1}));
        assert_eq!(r.header("etag"), Some("\"1\""));

        // Missing or absurd quantities: 422 naming the field, and no dossier, no number.
        let before = count(&ctx, "dossiers");
        let r = file(&app, &officer, COPY, "025190008888", json!({"quantities": {"copy": 1}})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["fees.quantities.page"].is_array(), "{}", r.body);
        let r = file(&app, &officer, COPY, "025190008888", json!({"quantities": {"page": 0, "copy": 1}})).await;
        assert_eq!(r.status, 422);
        let r = file(&app, &officer, COPY, "025190008888", json!({"quantities": {"page": "three"}})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(count(&ctx, "dossiers"), before);
    }

    async fn channel_amounts_and_exemptions(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let r = file(&app, &officer, RESIDENCE, "025190000001", Value::Null).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["fees"]["total_vnd"], 20000, "counter");
        assert_eq!(r.body["fees"]["lines"][0]["collection"], "on_return");
        assert_eq!(r.body["fees"]["outstanding_before_processing_vnd"], 0);

        let mut body = intake(RESIDENCE, "025190000002", Value::Null);
        body["commune_code"] = json!(KIM_BOI);
        let r = post(&app, Some(&citizen), "/api/v1/dossiers", body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["fees"]["total_vnd"], 10000, "online is cheaper");

        let r = file(&app, &officer, RESIDENCE, "025190000003", json!({"exemption": {"category": "poor_household", "evidence": "GCN hộ nghèo số 12/2026"}})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let line = &r.body["fees"]["lines"][0];
        assert_eq!(line["base_amount_vnd"], 20000);
        assert_eq!(line["amount_vnd"], 0);
        assert_eq!(line["status"], "not_due");
        assert_eq!(line["exemption"]["reason"], "Hộ nghèo (Điều 4 TT 75/2022/TT-BTC)");
        assert_eq!(line["exemption"]["evidence"], "GCN hộ nghèo số 12/2026");
        assert_eq!(r.body["fees"]["outstanding_vnd"], 0);
        let stored = get(&app, Some(&officer), &format!("/api/v1/dossiers/{}/fees", code_of(&r))).await;
        assert_eq!(stored.body, r.body["fees"]);

        let before = count(&ctx, "dossiers");
        let r = file(&app, &officer, RESIDENCE, "025190000004", json!({"exemption": {"category": "vip"}})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["fees.exemption.category"].is_array());
        assert_eq!(count(&ctx, "dossiers"), before);

        // The public quote gives the same numbers without storing anything.
        let r = post(&app, None, "/api/v1/fee-schedules/quote", json!({"procedure_code": RESIDENCE, "commune_code": KIM_BOI, "channel": "online"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["total_vnd"], 10000);
        assert_eq!(count(&ctx, "dossiers"), before);
    }

    async fn schedule_versions_and_overrides(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, hanoi) = ctx.user(Role::ReceptionOfficer, Some(BA_DINH));
        let q = json!({"quantities": {"page": 3, "copy": 1}});
        let old = file(&app, &officer, COPY, "025190000011", q.clone()).await;
        assert_eq!(old.body["fees"]["total_vnd"], 5000);
        let old_code = code_of(&old);
        let old_schedule = old.body["fees"]["lines"][0]["schedule_id"].as_str().unwrap().to_string();

        // Version 2 from today: new dossiers pay it, the earlier one keeps version 1.
        let mut v2 = copy_schedule(3000);
        v2["effective_from"] = json!(motcua::domain::calendar::today().to_string());
        let r = post(&app, Some(&admin), "/api/v1/fee-schedules", v2).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["version_no"], 2);
        let new = file(&app, &officer, COPY, "025190000012", q.clone()).await;
        assert_eq!(new.body["fees"]["total_vnd"], 7000);
        // Re-assessing the old dossier (more pages) still uses its locked version.
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/dossiers/{old_code}/fees")).insert_header(bearer(&officer)).insert_header(("if-match", "\"1\"")).set_json(json!({"quantities": {"page": 4, "copy": 1}}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["total_vnd"], 6000);
        assert_eq!(r.body["lines"][0]["schedule_id"], old_schedule.as_str());
        assert_eq!(r.header("etag"), Some("\"2\""));
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/dossiers/{old_code}/fees")).insert_header(bearer(&officer)).insert_header(("if-match", "\"1\"")).set_json(json!({"quantities": {"page": 5, "copy": 1}}))).await;
        assert_eq!(r.status, 412, "stale assessment version");

        // A provincial override (Phú Thọ) needs its legal basis and wins in its communes only.
        let mut ov = json!({"procedure_code": RESIDENCE, "fee_code": "LP-TT", "kind": "le_phi", "name": "Lệ phí đăng ký cư trú (Phú Thọ)",
            "collection": "on_return", "rule": {"type": "flat", "amount": 15000}, "scope": "province", "scope_code": "25",
            "effective_from": "2025-07-01"});
        let r = post(&app, Some(&admin), "/api/v1/fee-schedules", ov.clone()).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body["errors"]["legal_basis"].is_array());
        ov["legal_basis"] = json!("Nghị quyết HĐND tỉnh Phú Thọ số 10/2025/NQ-HĐND");
        let r = post(&app, Some(&admin), "/api/v1/fee-schedules", ov).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = file(&app, &officer, RESIDENCE, "025190000013", Value::Null).await;
        assert_eq!(r.body["fees"]["total_vnd"], 15000, "Phú Thọ's amount");
        let r = file(&app, &hanoi, RESIDENCE, "001190000014", Value::Null).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["fees"]["total_vnd"], 20000, "national amount in Hà Nội");

        // Malformed rules are refused with the field named; only system_admin writes.
        let mut bad = copy_schedule(2000);
        bad["rule"]["tiers"] = json!([{"from": 2, "to": null, "amount": 1000}]);
        let r = post(&app, Some(&admin), "/api/v1/fee-schedules", bad).await;
        assert_eq!(r.status, 422);
        assert!(r.body["errors"]["rule"].is_array());
        let (_, cadmin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let r = post(&app, Some(&cadmin), "/api/v1/fee-schedules", copy_schedule(1)).await;
        assert_eq!(r.status, 403);

        // Public reads, paginated.
        let r = get(&app, None, &format!("/api/v1/fee-schedules?procedure_code={COPY}&limit=1")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
        let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
        let r = get(&app, None, &format!("/api/v1/fee-schedules?procedure_code={COPY}&limit=1&cursor={cursor}")).await;
        assert_eq!(r.body["items"][0]["version_no"], 2);
        assert!(r.body["next_cursor"].is_null());
        let id = r.body["items"][0]["id"].as_str().unwrap().to_string();
        let r = get(&app, None, &format!("/api/v1/fee-schedules/{id}")).await;
        assert_eq!(r.body["rule"]["tiers"][0]["amount"], 3000);
    }

    async fn unpaid_fees_block_processing_and_return(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (specialist, spec) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let (_, leader) = ctx.user(Role::Leader, Some(KIM_BOI));

        // Collected before processing: assignment waits for the payment.
        let r = file(&app, &officer, COPY, "025190000021", json!({"quantities": {"page": 3, "copy": 1}})).await;
        let code = code_of(&r);
        let etag = r.header("etag").unwrap().to_string();
        let r = act(&app, &officer, &code, &etag, json!({"action": "assign", "assignee_id": specialist.id})).await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.problem_code(), "fee.unpaid");
        assert_eq!(r.body["outstanding_vnd"], 5000);
        let r = pay(&app, &officer, &code, json!({"method": "cash"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["status"], "succeeded");
        assert_eq!(r.body["receipt"]["number"], 1);
        let r = act(&app, &officer, &code, &etag, json!({"action": "assign", "assignee_id": specialist.id})).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Collected on return: the whole way through, then the hand-over waits.
        let r = file(&app, &officer, RESIDENCE, "025190000022", Value::Null).await;
        let code = code_of(&r);
        let mut etag = r.header("etag").unwrap().to_string();
        for (token, body) in [
            (&officer, json!({"action": "assign", "assignee_id": specialist.id})),
            (&spec, json!({"action": "propose_result"})),
            (&leader, json!({"action": "approve_result"})),
            (&officer, json!({"action": "mark_result_ready"})),
        ] {
            let r = act(&app, token, &code, &etag, body).await;
            assert_eq!(r.status, 200, "{}", r.body);
            etag = r.header("etag").unwrap().to_string();
        }
        let r = act(&app, &officer, &code, &etag, json!({"action": "return_result"})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "fee.unpaid");
        assert_eq!(r.body["outstanding_vnd"], 20000);
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{code}")).await;
        assert_eq!(r.body["status"], "result_ready", "nothing changed");
        let r = pay(&app, &officer, &code, json!({"method": "card", "payer_name": "Trần Thị C"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let payment = r.body["id"].as_str().unwrap().to_string();
        let r = act(&app, &officer, &code, &etag, json!({"action": "return_result"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "returned");

        // The receipt, and the history of the money.
        let r = get(&app, Some(&officer), &format!("/api/v1/payments/{payment}/receipt")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["total_vnd"], 20000);
        assert_eq!(r.body["total_in_words"], "Hai mươi nghìn đồng");
        assert_eq!(r.body["payer_name"], "Trần Thị C");
        assert_eq!(r.body["number"], "0000002", "second receipt of the commune");
        assert_eq!(r.body["template"], "01BLP0-001");
        let yy = motcua::domain::calendar::today().format("%y").to_string();
        assert_eq!(r.body["series"], format!("BL{yy}E"));
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{code}/history")).await;
        let actions: Vec<&str> = r.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"payment_succeeded"), "{actions:?}");
        // Nothing left to pay.
        let r = pay(&app, &officer, &code, json!({"method": "cash"})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.problem_code(), "payment.nothing_due");
    }

    async fn payment_creation_is_idempotent_and_never_double(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = file(&app, &officer, COPY, "025190000031", json!({"quantities": {"page": 1, "copy": 1}})).await;
        let code = code_of(&r);
        let req = |key: &str, body: Value| TestRequest::post().uri(&format!("/api/v1/dossiers/{code}/payments")).insert_header(bearer(&officer)).insert_header(("idempotency-key", key.to_string())).set_json(body);
        let a = call(&app, req("k-1", json!({"method": "online"}))).await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_eq!(a.body["status"], "pending");
        assert!(a.body["redirect_url"].as_str().unwrap().contains("/api/v1/payments/sandbox/"));
        let b = call(&app, req("k-1", json!({"method": "online"}))).await;
        assert_eq!(b.status, 201);
        assert_eq!(b.header("idempotent-replayed"), Some("true"));
        assert_eq!(a.body["id"], b.body["id"]);
        let c = call(&app, req("k-1", json!({"method": "cash"}))).await;
        assert_eq!(c.status, 422);
        assert_eq!(c.problem_code(), "idempotency.key_reused");
        // Another key for the same fee: the line is taken by the open payment.
        let d = call(&app, req("k-2", json!({"method": "cash"}))).await;
        assert_eq!(d.status, 409);
        assert_eq!(d.problem_code(), "payment.pending_exists");
        assert_eq!(d.body["payment_id"], a.body["id"]);
        assert_eq!(count(&ctx, "payments"), 1);

        // Racing creations with different keys on another dossier: exactly one wins.
        let r = file(&app, &officer, COPY, "025190000032", json!({"quantities": {"page": 1, "copy": 1}})).await;
        let code2 = code_of(&r);
        let reqs = (0..6).map(|i| call(&app, TestRequest::post().uri(&format!("/api/v1/dossiers/{code2}/payments")).insert_header(bearer(&officer)).insert_header(("idempotency-key", format!("race-{i}"))).set_json(json!({"method": "cash"}))));
        let results = futures_util::future::join_all(reqs).await;
        let won = results.iter().filter(|r| r.status == 201).count();
        assert_eq!(won, 1, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
        assert!(results.iter().all(|r| r.status == 201 || r.status == 409), "{:?}", results.iter().map(|r| r.body.clone()).collect::<Vec<_>>());
        assert_eq!(count(&ctx, "payments"), 2);
    }

    async fn platform_callbacks(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let mut body = intake(RESIDENCE, "025190000041", Value::Null);
        body["commune_code"] = json!(KIM_BOI);
        let r = post(&app, Some(&citizen), "/api/v1/dossiers", body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = code_of(&r);
        let r = pay(&app, &citizen, &code, json!({"method": "cash"})).await;
        assert_eq!(r.status, 403, "citizens pay online");
        let r = pay(&app, &citizen, &code, json!({"method": "online"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let reference = r.body["reference"].as_str().unwrap().to_string();
        assert_eq!(r.body["amount_vnd"], 10000);
        let now = chrono::Utc::now();
        let url = "/api/v1/payments/callbacks/sandbox";

        let mut forged = signed_callback(&reference, "10000", "00", "PG1", now);
        forged["MaXacThuc"] = json!("00".repeat(32));
        let r = post(&app, None, url, forged).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (403, "payment.callback_invalid_signature"));
        let r = post(&app, None, url, signed_callback(&reference, "10000", "00", "PG1", now - chrono::Duration::hours(3))).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "payment.callback_stale"));
        let r = post(&app, None, url, signed_callback("MCNOSUCHREFERENCE", "10000", "00", "PG1", now)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (404, "payment.unknown_reference"));
        let r = post(&app, None, url, signed_callback(&reference, "1000", "00", "PG1", now)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (422, "payment.amount_mismatch"));
        let r = call(&app, TestRequest::post().uri(url).insert_header(("content-type", "application/json")).set_payload("{\"MaThamChieu\": ")).await;
        assert_eq!(r.status, 400);
        let r = post(&app, None, "/api/v1/payments/callbacks/paygov", signed_callback(&reference, "10000", "00", "PG1", now)).await;
        assert_eq!(r.status, 404, "not the configured gateway");
        // None of that changed anything.
        let r = get(&app, Some(&citizen), &format!("/api/v1/payments/{id}")).await;
        assert_eq!(r.body["status"], "pending");
        let r = get(&app, Some(&citizen), &format!("/api/v1/dossiers/{code}/fees")).await;
        assert_eq!(r.body["lines"][0]["status"], "pending");

        let good = signed_callback(&reference, "10000", "00", "PG1", now);
        let r = post(&app, None, url, good.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["result"], "applied");
        assert_eq!(r.body["MaLoi"], "00");
        let r = post(&app, None, url, good).await;
        assert_eq!(r.status, 200, "the platform's retry is acknowledged");
        assert_eq!(r.body["result"], "already_applied");
        let r = post(&app, None, url, signed_callback(&reference, "10000", "00", "PG2", now)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "payment.already_settled"));

        let r = get(&app, Some(&citizen), &format!("/api/v1/payments/{id}")).await;
        assert_eq!(r.body["status"], "succeeded");
        assert_eq!(r.body["gateway_transaction_id"], "PG1");
        assert!(r.body["redirect_url"].is_null());
        assert_eq!(r.body["receipt"]["number"], 1);
        let r = get(&app, Some(&citizen), &format!("/api/v1/dossiers/{code}/fees")).await;
        assert_eq!(r.body["paid_vnd"], 10000);
        assert_eq!(r.body["outstanding_vnd"], 0);

        // Every callback is logged with what became of it.
        let outcomes: Vec<(String, i32)> = ctx.with_conn(|c| {
            use motcua::db::schema::payment_callbacks::dsl::*;
            payment_callbacks.order(id).select((outcome, http_status)).load(c).unwrap()
        });
        let codes: Vec<&str> = outcomes.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(codes, ["payment.callback_invalid_signature", "payment.callback_stale", "payment.unknown_reference",
            "payment.amount_mismatch", "json.malformed", "applied", "already_applied", "payment.already_settled"]);
        assert_eq!(outcomes[5].1, 200);
    }

    async fn sandbox_reconciliation_and_cancellation(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut refs = Vec::new();
        for i in 0..4 {
            let r = file(&app, &officer, COPY, &format!("02519000005{i}"), json!({"quantities": {"page": 1, "copy": 1}})).await;
            let code = code_of(&r);
            let r = pay(&app, &officer, &code, json!({"method": "online"})).await;
            assert_eq!(r.status, 201, "{}", r.body);
            refs.push((code, r.body["id"].as_str().unwrap().to_string(), r.body["reference"].as_str().unwrap().to_string()));
        }
        // The INIT the platform received carries the receipt block in full (signed over the
        // 14 fields, which the sandbox checked before opening the page).
        let gateway = ctx.state.payment_gateway.clone().unwrap();
        let init = gateway.as_sandbox().unwrap().init_of(&refs[0].2).unwrap();
        let receipt = &init["ThongTinBienLai"];
        assert_eq!((receipt["TenTKThuHuong"].as_str(), receipt["TKThuHuong"].as_str(), receipt["MaNHThuHuong"].as_str()),
            (Some("Kho bạc Nhà nước Phú Thọ"), Some("3511.0.1058123"), Some("KBNN")));
        assert_eq!(receipt["MaDonVi"], "H25.04978", "the commune's identifier (its fallback until one is issued)");
        assert_eq!(receipt["MaDVC"], format!("{COPY}.01"));
        assert_eq!(receipt["MaHoSo"], refs[0].0.as_str());
        assert_eq!(receipt["SoCMNDNguoiNop"], "025190000050");
        assert_eq!(receipt["PhiLePhi"][0]["MaPhiLePhi"], "CT-BS");
        assert_eq!(receipt["PhiLePhi"][0]["SoTien"], "2000");
        assert_eq!(receipt["DSKhoanNop"][0]["SoTien"], "2000");
        assert!(paygov::message_signed(&init, &paygov::INIT_SIGNED, SANDBOX_SECRET));
        // 0: the payer pays on the sandbox page; the callback goes through the real path.
        let r = get(&app, None, &format!("/api/v1/payments/sandbox/{}", refs[0].2)).await;
        assert_eq!(r.body["amount_vnd"], 2000);
        let r = post(&app, None, &format!("/api/v1/payments/sandbox/{}/complete", refs[0].2), json!({"pay": true})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "succeeded");
        // 1: paid at the platform, but the callback is lost.
        gateway.as_sandbox().unwrap().complete(&refs[1].2, true).unwrap();
        // 2: never paid. 3: cancelled by the officer.
        let r = post(&app, Some(&officer), &format!("/api/v1/payments/{}/cancel", refs[3].1), json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "cancelled");
        let r = post(&app, Some(&officer), &format!("/api/v1/payments/{}/cancel", refs[3].1), json!({})).await;
        assert_eq!(r.status, 409);
        // A cancelled payment's fee can be paid again.
        let r = pay(&app, &officer, &refs[3].0, json!({"method": "cash"})).await;
        assert_eq!(r.status, 201, "{}", r.body);

        // Nothing is due yet (timeout 15 min); the admin endpoint says so.
        let r = post(&app, Some(&admin), "/api/v1/payments/reconcile", json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["receipts_fetched"], 1, "payment 0 succeeded: its platform receipt is fetched");
        assert_eq!(r.body["checked"], 0);
        let r = post(&app, Some(&officer), "/api/v1/payments/reconcile", json!({})).await;
        assert_eq!(r.status, 403);
        // An hour later: the lost callback is recovered, the unpaid one expires.
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let report = motcua::payments::ledger::reconcile(&ctx.state.pool, &ctx.state.config, gateway.as_ref(), later).unwrap();
        assert_eq!((report.checked, report.succeeded, report.expired), (2, 1, 1), "{report:?}");
        // The platform's receipts of both successes were fetched (signed with each payment's
        // original transaction time, which the sandbox checks) and kept: payment 0's by the
        // pass run by hand above, payment 1's by this one.
        assert_eq!((report.receipts_fetched, report.receipts_missing), (1, 0), "{report:?}");
        let kept: Vec<(String, Vec<u8>)> = ctx.with_conn(|c| {
            use motcua::db::schema::payment_platform_receipts::dsl::*;
            payment_platform_receipts.order(payment_id).select((payment_id, content)).load(c).unwrap()
        });
        let mut want = vec![refs[0].1.clone(), refs[1].1.clone()];
        want.sort();
        assert_eq!(kept.iter().map(|k| k.0.clone()).collect::<Vec<_>>(), want);
        assert!(kept.iter().all(|k| k.1.starts_with(b"%PDF")));
        for (i, want) in [(1, "succeeded"), (2, "expired")] {
            let r = get(&app, Some(&officer), &format!("/api/v1/payments/{}", refs[i].1)).await;
            assert_eq!(r.body["status"], want);
        }
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{}/fees", refs[2].0)).await;
        assert_eq!(r.body["lines"][0]["status"], "unpaid", "payable again");
        // Receipts: 0, 3 (cash) and 1 — numbered 1..3 with no gap.
        let mut numbers: Vec<i64> = ctx.with_conn(|c| {
            use motcua::db::schema::payments::dsl::*;
            payments.filter(receipt_no.is_not_null()).select(receipt_no).load::<Option<i64>>(c).unwrap().into_iter().flatten().collect()
        });
        numbers.sort();
        assert_eq!(numbers, [1, 2, 3]);
        // The payer of the expired one pays after all: the money is recorded, with a receipt.
        let late = signed_callback(&refs[2].2, "2000", "00", "PGLATE", chrono::Utc::now());
        let r = post(&app, None, "/api/v1/payments/callbacks/sandbox", late).await;
        assert_eq!((r.status.as_u16(), r.body["status"].as_str()), (200, Some("succeeded")), "{}", r.body);
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{}/fees", refs[2].0)).await;
        assert_eq!(r.body["lines"][0]["status"], "paid");
        // A second pass finds nothing more.
        let report = motcua::payments::ledger::reconcile(&ctx.state.pool, &ctx.state.config, gateway.as_ref(), later).unwrap();
        assert_eq!(report.checked, 0);
        // The late success was a callback forged in this test, so the sandbox platform never
        // saw that payment succeed: it has no receipt for it, which is asked again next pass.
        assert_eq!((report.receipts_fetched, report.receipts_missing), (0, 1), "{report:?}");
    }

    async fn online_payment_needs_a_beneficiary_account(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let admin = catalog(&ctx, &app).await;
        // Hà Nội (01) has no account, neither has Ba Đình.
        let (_, hanoi) = ctx.user(Role::ReceptionOfficer, Some(BA_DINH));
        let r = file(&app, &hanoi, COPY, "001190000061", json!({"quantities": {"page": 1, "copy": 1}})).await;
        let code = code_of(&r);
        let r = pay(&app, &hanoi, &code, json!({"method": "online"})).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "payment.online_not_offered"), "{}", r.body);
        assert_eq!(count(&ctx, "payments"), 0, "nothing written");
        let r = get(&app, Some(&hanoi), &format!("/api/v1/dossiers/{code}/fees")).await;
        assert_eq!(r.body["lines"][0]["status"], "unpaid");
        // Cash at the counter needs no account.
        let r = pay(&app, &hanoi, &code, json!({"method": "cash"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        // Ba Đình's own account: its commune admin records it; another commune's admin cannot.
        let (_, ba_dinh_admin) = ctx.user(Role::CommuneAdmin, Some(BA_DINH));
        let (_, kim_boi_admin) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let account = json!({"account_name": "UBND phường Ba Đình", "account_no": "3711.0.9999999", "bank_code": "KBNN"});
        let put = |t: &str| TestRequest::put().uri(&format!("/api/v1/communes/{BA_DINH}/payment-account")).insert_header(bearer(t)).set_json(account.clone());
        let r = call(&app, put(&kim_boi_admin)).await;
        assert_eq!(r.status, 404);
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/communes/{BA_DINH}/payment-account")).insert_header(bearer(&ba_dinh_admin))).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (404, "payment.no_beneficiary"));
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/communes/{BA_DINH}/payment-account")).insert_header(bearer(&ba_dinh_admin))
            .set_json(json!({"account_name": "x", "account_no": "abc", "bank_code": "KBNN"}))).await;
        assert_eq!(r.status, 422);
        let r = call(&app, put(&ba_dinh_admin)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["scope"].as_str(), r.body["scope_code"].as_str()), (Some("commune"), Some(BA_DINH)));
        // Kim Bôi has none of its own: the province's applies.
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/communes/{KIM_BOI}/payment-account")).insert_header(bearer(&kim_boi_admin))).await;
        assert_eq!((r.body["scope"].as_str(), r.body["scope_code"].as_str()), (Some("province"), Some("25")));
        let r = call(&app, TestRequest::put().uri("/api/v1/provinces/01/payment-account").insert_header(bearer(&ba_dinh_admin)).set_json(account.clone())).await;
        assert_eq!(r.status, 403, "a province's account is the system administrator's");
        let _ = admin;
        let r = file(&app, &hanoi, COPY, "001190000062", json!({"quantities": {"page": 1, "copy": 1}})).await;
        let r = pay(&app, &hanoi, &code_of(&r), json!({"method": "online"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let init = ctx.state.payment_gateway.clone().unwrap().as_sandbox().unwrap().init_of(r.body["reference"].as_str().unwrap()).unwrap();
        assert_eq!(init["ThongTinBienLai"]["TKThuHuong"], "3711.0.9999999");
    }

    async fn refunds_race_for_the_remainder(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, specialist) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let r = file(&app, &officer, COPY, "025190000061", json!({"quantities": {"page": 8, "copy": 1}})).await;
        let code = code_of(&r);
        let r = pay(&app, &officer, &code, json!({"method": "cash"})).await;
        let id = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(r.body["refundable_vnd"], 10000);
        let uri = format!("/api/v1/payments/{id}/refunds");
        let refund = |amount: i64, refundable: i64| json!({"amount_vnd": amount, "refundable_vnd": refundable, "method": "cash", "reason": "Thu thừa"});

        let r = post(&app, Some(&specialist), &uri, refund(1, 10000)).await;
        assert_eq!(r.status, 403);
        // Two officers refund the same remainder at once, on two instances: one wins.
        let threads: Vec<_> = (0..2).map(|_| {
            let (url, officer, uri, body) = (ctx.db.url.clone(), officer.clone(), uri.clone(), refund(6000, 10000));
            std::thread::spawn(move || actix_web::rt::System::new().block_on(async move {
                let pool = motcua::db::build_pool(&url, 2, std::time::Duration::from_secs(30));
                let state = motcua::state::AppState::new(test_config(&url), pool).unwrap();
                state.set_migrated();
                let app = init_service(motcua::app::build(state)).await;
                call(&app, TestRequest::post().uri(&uri).insert_header(bearer(&officer)).set_json(body)).await.status.as_u16()
            }))
        }).collect();
        let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        statuses.sort();
        assert_eq!(statuses, [201, 412]);
        let r = post(&app, Some(&officer), &uri, refund(5000, 4000)).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (409, "refund.exceeds_refundable"));
        let r = post(&app, Some(&officer), &uri, refund(1000, 10000)).await;
        assert_eq!(r.status, 412, "stale refundable amount");
        assert_eq!(r.body["refundable_vnd"], 4000);
        let r = post(&app, Some(&officer), &uri, refund(4000, 4000)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = get(&app, Some(&officer), &uri).await;
        assert_eq!(r.body.as_array().unwrap().len(), 2);
        let r = get(&app, Some(&officer), &format!("/api/v1/payments/{id}")).await;
        assert_eq!((r.body["amount_vnd"].as_i64(), r.body["refunded_vnd"].as_i64(), r.body["refundable_vnd"].as_i64()), (Some(10000), Some(10000), Some(0)));
        let r = get(&app, Some(&officer), &format!("/api/v1/dossiers/{code}/fees")).await;
        assert_eq!(r.body["refunded_vnd"], 10000);
        // The payment row is the original: amount untouched, refunds are their own rows.
        assert_eq!(count(&ctx, "payment_refunds"), 2);
    }

    async fn receipt_numbers_are_gapless_under_concurrency(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut codes = Vec::new();
        for i in 0..20 {
            let r = file(&app, &officer, COPY, &format!("0251900007{i:02}"), json!({"quantities": {"page": 2, "copy": 1}})).await;
            codes.push(code_of(&r));
        }
        let threads: Vec<_> = codes.chunks(10).map(|chunk| {
            let (url, officer, chunk) = (ctx.db.url.clone(), officer.clone(), chunk.to_vec());
            std::thread::spawn(move || actix_web::rt::System::new().block_on(async move {
                let pool = motcua::db::build_pool(&url, 4, std::time::Duration::from_secs(30));
                let state = motcua::state::AppState::new(test_config(&url), pool).unwrap();
                state.set_migrated();
                let app = init_service(motcua::app::build(state)).await;
                let reqs = chunk.iter().map(|c| call(&app, TestRequest::post().uri(&format!("/api/v1/dossiers/{c}/payments")).insert_header(bearer(&officer)).set_json(json!({"method": "cash"}))));
                futures_util::future::join_all(reqs).await.into_iter().map(|r| (r.status.as_u16(), r.body["receipt"]["number"].as_i64())).collect::<Vec<_>>()
            }))
        }).collect();
        let mut numbers = Vec::new();
        for t in threads {
            for (status, n) in t.join().unwrap() {
                assert_eq!(status, 201);
                numbers.push(n.unwrap());
            }
        }
        numbers.sort();
        assert_eq!(numbers, (1..=20).collect::<Vec<i64>>());
    }

    async fn scoping_of_fees_and_payments(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, neighbour) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        let (_, specialist) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let (_, stranger) = ctx.user(Role::Citizen, None);
        let (_, phu_tho) = ctx.user(Role::ProvinceSupervisor, None);
        let (mut hn, _) = ctx.user(Role::ProvinceSupervisor, None);
        ctx.with_conn(|c| {
            use motcua::db::schema::users::dsl::*;
            diesel::update(users.filter(id.eq(&hn.id))).set(province_code.eq("01")).execute(c).unwrap();
        });
        hn.province_code = Some("01".into());
        let ha_noi = ctx.token_for(&hn);
        let r = file(&app, &officer, COPY, "025190000081", json!({"quantities": {"page": 1, "copy": 1}})).await;
        let code = code_of(&r);
        let r = pay(&app, &officer, &code, json!({"method": "cash"})).await;
        let id = r.body["id"].as_str().unwrap().to_string();

        for token in [&neighbour, &stranger, &ha_noi] {
            assert_eq!(get(&app, Some(token), &format!("/api/v1/dossiers/{code}/fees")).await.status, 404);
            assert_eq!(get(&app, Some(token), &format!("/api/v1/payments/{id}")).await.status, 404);
            assert_eq!(get(&app, Some(token), &format!("/api/v1/payments/{id}/receipt")).await.status, 404);
        }
        assert_eq!(pay(&app, &neighbour, &code, json!({"method": "cash"})).await.status, 404);
        assert_eq!(pay(&app, &specialist, &code, json!({"method": "cash"})).await.status, 403);
        assert_eq!(post(&app, Some(&neighbour), &format!("/api/v1/payments/{id}/refunds"), json!({"amount_vnd": 1, "refundable_vnd": 2000, "method": "cash", "reason": "x"})).await.status, 404);
        assert_eq!(get(&app, Some(&phu_tho), &format!("/api/v1/payments/{id}")).await.status, 200);
        assert_eq!(get(&app, Some(&phu_tho), &format!("/api/v1/payments/{id}/receipt")).await.status, 200);
        assert_eq!(post(&app, Some(&phu_tho), &format!("/api/v1/payments/{id}/refunds"), json!({"amount_vnd": 1, "refundable_vnd": 2000, "method": "cash", "reason": "x"})).await.status, 403);
        // Lists are scoped the same way.
        let items = |r: Resp| r.body["items"].as_array().map_or(0, |a| a.len());
        assert_eq!(items(get(&app, Some(&officer), "/api/v1/payments").await), 1);
        assert_eq!(items(get(&app, Some(&neighbour), "/api/v1/payments").await), 0);
        assert_eq!(items(get(&app, Some(&neighbour), &format!("/api/v1/payments?commune_code={KIM_BOI}")).await), 0);
        assert_eq!(items(get(&app, Some(&phu_tho), "/api/v1/payments").await), 1);
        assert_eq!(items(get(&app, Some(&ha_noi), "/api/v1/payments").await), 0);
        assert_eq!(items(get(&app, Some(&stranger), "/api/v1/payments").await), 0);
        // Without a token: 401.
        assert_eq!(get(&app, None, &format!("/api/v1/payments/{id}")).await.status, 401);
        assert_eq!(get(&app, None, &format!("/api/v1/dossiers/{code}/fees")).await.status, 401);
    }

    async fn shipped_schedules_seed_once_and_price_intake(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        ctx.with_conn(|c| motcua::cli::seed::seed_catalog(c).unwrap());
        let report = ctx.with_conn(|c| motcua::cli::seed::seed_fee_schedules(c).unwrap());
        assert_eq!(report.inserted, 3);
        let again = ctx.with_conn(|c| motcua::cli::seed::seed_fee_schedules(c).unwrap());
        assert_eq!((again.inserted, again.unchanged), (0, 3), "idempotent");
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(&app, TestRequest::put().uri(&format!("/api/v1/communes/{KIM_BOI}/procedures/{COPY}")).insert_header(bearer(&admin))).await;
        assert!(r.status.is_success(), "{}", r.body);
        let r = post(&app, None, "/api/v1/fee-schedules/quote", json!({"procedure_code": COPY, "commune_code": KIM_BOI, "channel": "counter", "fees": {"quantities": {"page": 150, "copy": 1}}})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["total_vnd"], 152000);
        let r = post(&app, None, "/api/v1/fee-schedules/quote", json!({"procedure_code": RESIDENCE, "commune_code": KIM_BOI, "channel": "online"})).await;
        assert_eq!(r.body["total_vnd"], 10000);
    }
}
