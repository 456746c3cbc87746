//! Indicator reports through the real HTTP app, on both backends: the aggregates equal a
//! direct recount over the raw dossiers (every status and edge case: supplement pauses,
//! repeated supplements, late finishes, withdrawals, stops, refusals, online intake), a
//! full rebuild changes nothing, concurrent intakes add up, the dossiers behind a number,
//! CSV and XLSX exports, and scoping.

mod common;

use std::collections::BTreeMap;

use actix_web::test::{init_service, TestRequest};
use chrono::{NaiveDateTime, Utc};
use common::*;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};
use motcua::domain::roles::Role;
use serde_json::{json, Value};

const PROCEDURE: &str = "1.004873";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

struct People {
    officer: String,
    spec_id: String,
    spec: String,
    leader: String,
    citizen: String,
    other_officer: String,
}

app_fn! {
    async fn get(app: &S, token: &str, uri: &str) -> Resp {
        call(app, TestRequest::get().uri(uri).insert_header(bearer(token))).await
    }

    async fn setup(ctx: &TestApp, app: &S) -> People {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let r = call(app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(&admin)).set_json(json!({
            "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "both",
            "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung", "processing_time": {"value": 3, "unit": "working_days"},
                       "online_level": "full", "documents": [{"name": "Tờ khai", "form": "original"}]}]
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for commune in [KIM_BOI, HOA_BINH] {
            let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/procedures/{PROCEDURE}")).insert_header(bearer(&admin))).await;
            assert!(r.status.is_success());
        }
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (s, spec) = ctx.user(Role::Specialist, Some(KIM_BOI));
        let (_, leader) = ctx.user(Role::Leader, Some(KIM_BOI));
        let (_, citizen) = ctx.user(Role::Citizen, None);
        let (_, other_officer) = ctx.user(Role::ReceptionOfficer, Some(HOA_BINH));
        People { officer, spec_id: s.id, spec, leader, citizen, other_officer }
    }

    // Files a dossier; `commune` set means an online filing by the citizen.
    async fn file(app: &S, token: &str, id_number: &str, commune: Option<&str>) -> (String, String) {
        let mut body = json!({
            "procedure_code": PROCEDURE,
            "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": id_number, "birth_year": 1990,
                          "phone": "0912345678", "address": "Thôn Bo"},
            "components": [{"document": "Tờ khai", "source": "paper"}]
        });
        if let Some(c) = commune {
            body["commune_code"] = json!(c);
        }
        let r = call(app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(token)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        (r.body["dossier"]["code"].as_str().unwrap().to_string(), r.header("etag").unwrap().to_string())
    }

    // Applies transitions in turn; returns the last ETag.
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

    // One dossier of every shape the report distinguishes, in Kim Bôi (and one in Hoà Bình).
    async fn populate(ctx: &TestApp, app: &S, p: &People) -> BTreeMap<&'static str, String> {
        let deadline = (motcua::domain::calendar::today() + chrono::Duration::days(10)).to_string();
        let assign = || json!({"action": "assign", "assignee_id": p.spec_id});
        let supplement = || json!({"action": "request_supplement", "missing_items": ["Bản sao"], "deadline": deadline});
        let submit = || json!({"action": "submit_supplement"});
        let propose = || json!({"action": "propose_result"});
        let approve = || json!({"action": "approve_result"});
        let ready = || json!({"action": "mark_result_ready"});
        let ret = || json!({"action": "return_result"});
        let (o, s, l) = (p.officer.as_str(), p.spec.as_str(), p.leader.as_str());
        let mut codes = BTreeMap::new();

        let (c, e) = file(app, o, "025190000201", None).await;
        run(app, &c, e, vec![(o, assign()), (s, propose()), (l, approve()), (o, ready()), (o, ret())]).await;
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{c}/rating")).insert_header(bearer(o)).set_json(json!({"rating": "satisfied"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        codes.insert("returned_on_time", c);

        let (c, e) = file(app, o, "025190000202", None).await;
        run(app, &c, e, vec![(o, assign()), (s, supplement()), (o, submit()), (s, propose()), (l, approve()), (o, ready())]).await;
        codes.insert("one_supplement", c);

        let (c, e) = file(app, o, "025190000203", None).await;
        run(app, &c, e, vec![(o, assign()), (s, supplement()), (o, submit()), (s, supplement()), (o, submit()), (s, propose()), (l, approve()), (o, ready())]).await;
        codes.insert("two_supplements", c);

        let (c, e) = file(app, o, "025190000204", None).await;
        let e = run(app, &c, e, vec![(o, assign())]).await;
        push_due_into_past(ctx, &c);
        run(app, &c, e, vec![(s, propose()), (l, approve()), (o, ready()), (o, ret())]).await;
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{c}/rating")).insert_header(bearer(o)).set_json(json!({"rating": "dissatisfied"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        codes.insert("finished_late", c);

        let (c, e) = file(app, o, "025190000205", None).await;
        run(app, &c, e, vec![(o, assign()), (o, json!({"action": "request_withdrawal", "comment": "Công dân xin rút"})), (o, json!({"action": "confirm_withdrawal"}))]).await;
        codes.insert("withdrawn", c);

        let (c, e) = file(app, o, "025190000206", None).await;
        run(app, &c, e, vec![(o, assign()), (l, json!({"action": "stop", "reason": "Không đủ điều kiện"}))]).await;
        codes.insert("stopped", c);

        let (c, _) = file(app, o, "025190000207", None).await;
        let (ct, body) = upload_form(true);
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{c}/attachments")).insert_header(bearer(o)).insert_header(("content-type", ct)).set_payload(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        codes.insert("open_on_time_digitized", c);

        // Late, with an apology slip: extended, and still overdue against the legal date.
        let (c, e) = file(app, o, "025190000208", None).await;
        let e = run(app, &c, e, vec![(o, assign())]).await;
        push_due_into_past(ctx, &c);
        let promised = (motcua::domain::calendar::today() + chrono::Duration::days(5)).to_string();
        run(app, &c, e, vec![(o, json!({"action": "extend", "reason": "Chờ xác minh", "new_due_date": promised}))]).await;
        codes.insert("open_overdue", c);

        let (c, e) = file(app, o, "025190000209", None).await;
        run(app, &c, e, vec![(o, assign()), (s, supplement())]).await;
        push_due_into_past(ctx, &c);
        codes.insert("paused_past_due", c);

        let (c, _) = file(app, &p.citizen, "025190000210", Some(KIM_BOI)).await;
        codes.insert("awaiting_intake", c);

        let (c, e) = file(app, &p.citizen, "025190000211", Some(KIM_BOI)).await;
        run(app, &c, e, vec![(o, json!({"action": "refuse", "reason": "Sai thẩm quyền"}))]).await;
        codes.insert("refused", c);

        let (c, e) = file(app, &p.citizen, "025190000212", Some(KIM_BOI)).await;
        run(app, &c, e, vec![(o, json!({"action": "receive"}))]).await;
        codes.insert("online_received", c);

        // 766 3.3 / 4.1 / 4.2: online, with every component digitized and an e-result.
        let (c, e) = file(app, &p.citizen, "025190000214", Some(KIM_BOI)).await;
        let e = run(app, &c, e, vec![(o, json!({"action": "receive"}))]).await;
        let (ct, body) = upload_form(true);
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{c}/attachments")).insert_header(bearer(o)).insert_header(("content-type", ct)).set_payload(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let etag = call(app, TestRequest::get().uri(&format!("/api/v1/dossiers/{c}")).insert_header(bearer(o))).await.header("etag").unwrap().to_string();
        let _ = e;
        run(app, &c, etag, vec![(o, assign()), (s, propose()), (l, approve())]).await;
        let (ct, body) = result_form();
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{c}/digital-results")).insert_header(bearer(l)).insert_header(("content-type", ct)).set_payload(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        codes.insert("online_with_e_result", c);

        // A withdrawal counts from the applicant's request (status 7, not confirmed yet).
        let (c, e) = file(app, o, "025190000215", None).await;
        run(app, &c, e, vec![(o, assign()), (o, json!({"action": "request_withdrawal", "comment": "Công dân xin rút"}))]).await;
        codes.insert("withdrawal_requested", c);

        // Paused before its due date: on time while waiting.
        let (c, e) = file(app, o, "025190000216", None).await;
        run(app, &c, e, vec![(o, assign()), (s, supplement())]).await;
        codes.insert("paused_on_time", c);

        // Supplement never provided: once its deadline passed, the leader stops it.
        let (c, e) = file(app, o, "025190000217", None).await;
        let e = run(app, &c, e, vec![(o, assign()), (s, supplement())]).await;
        let r = call(app, TestRequest::post().uri(&format!("/api/v1/dossiers/{c}/transitions")).insert_header(bearer(l)).insert_header(("if-match", e.clone())).set_json(json!({"action": "stop", "reason": "Không bổ sung"}))).await;
        assert_eq!(r.problem_code(), "dossier.supplement_deadline_not_passed");
        let yesterday = (motcua::domain::calendar::today() - chrono::Duration::days(1)).to_string();
        ctx.with_conn(|conn| {
            use motcua::db::schema::dossiers;
            let lc: String = dossiers::table.filter(dossiers::code.eq(&c)).select(dossiers::lifecycle).first(conn).unwrap();
            let lc = lc.replace(&format!("\"deadline\":\"{deadline}\""), &format!("\"deadline\":\"{yesterday}\""));
            diesel::update(dossiers::table.filter(dossiers::code.eq(&c))).set(dossiers::lifecycle.eq(lc)).execute(conn).unwrap();
        });
        run(app, &c, e, vec![(l, json!({"action": "stop", "reason": "Không bổ sung"}))]).await;
        codes.insert("supplement_expired_stopped", c);

        let (c, _) = file(app, &p.other_officer, "025190000213", None).await;
        codes.insert("hoa_binh", c);
        codes
    }
}

/// A digital result (PDF and its metadata) for `POST /dossiers/{code}/digital-results`.
fn result_form() -> (String, Vec<u8>) {
    let meta = json!({
        "document_type": "Giấy xác nhận tình trạng hôn nhân", "number_symbol": "125/XN-UBND",
        "summary": "Xác nhận tình trạng hôn nhân", "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã",
        "issued_on": "2026-11-20", "valid_until": null, "scope": "Dùng để đăng ký kết hôn",
        "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFE", "certificate_subject": "CN=Trần Văn Minh",
                      "certificate_issuer": "CN=Cục Chứng thực số", "signed_at": "2026-11-20T02:30:00Z"}
    });
    multipart_form(&[("metadata", &meta.to_string())], Some(("kq.pdf", PDF)))
}

fn upload_form(digitized: bool) -> (String, Vec<u8>) {
    let digitized = digitized.to_string();
    multipart_form(
        &[
            ("digitized_at_reception", &digitized),
            ("document", "Tờ khai"),
        ],
        Some(("to-khai.pdf", PDF)),
    )
}

/// Moves a dossier's due date two days back, as if its deadline had passed. Not an event:
/// open dossiers are split at read time; a later finish is judged against it.
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

#[derive(QueryableByName, Debug)]
struct Raw {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    lifecycle: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    received_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    due_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    finished_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    paused_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Integer)]
    supplement_requests: i32,
    #[diesel(sql_type = Integer)]
    extensions: i32,
    #[diesel(sql_type = Text)]
    result_type: String,
}

/// The counters of a commune, counted straight from the raw rows (all dossiers are from
/// today, so the period is simply "everything").
fn recount(ctx: &TestApp, commune: &str) -> BTreeMap<String, i64> {
    let sql = match ctx.backend() {
        motcua::db::Backend::Postgres => "SELECT d.id, d.status, d.channel, d.lifecycle, d.received_at, d.due_at, d.finished_at, d.paused_at, d.supplement_requests, d.extensions, v.result_type FROM dossiers d JOIN procedure_versions v ON v.id = d.procedure_version_id WHERE d.commune_code = $1",
        motcua::db::Backend::Sqlite => "SELECT d.id, d.status, d.channel, d.lifecycle, d.received_at, d.due_at, d.finished_at, d.paused_at, d.supplement_requests, d.extensions, v.result_type FROM dossiers d JOIN procedure_versions v ON v.id = d.procedure_version_id WHERE d.commune_code = ?",
    };
    let rows: Vec<Raw> = ctx.with_conn(|c| {
        diesel::sql_query(sql)
            .bind::<Text, _>(commune)
            .load(c)
            .unwrap()
    });
    let ratings: Vec<(String, String)> = ctx.with_conn(|c| {
        use motcua::db::schema::dossier_ratings as r;
        r::table.select((r::dossier_id, r::rating)).load(c).unwrap()
    });
    let attachments: Vec<(String, bool)> = ctx.with_conn(|c| {
        use motcua::db::schema::dossier_attachments as a;
        a::table
            .select((a::dossier_id, a::digitized_at_reception))
            .load(c)
            .unwrap()
    });
    let results: Vec<(String, String)> = ctx
        .with_conn(|c| {
            use motcua::db::schema::digital_results as r;
            r::table
                .select((r::dossier_id, r::status))
                .load::<(Option<String>, String)>(c)
                .unwrap()
        })
        .into_iter()
        .filter_map(|(d, s)| d.map(|d| (d, s)))
        .collect();
    let now = Utc::now().naive_utc();
    let mut n: BTreeMap<String, i64> = BTreeMap::new();
    let mut bump = |k: &str| *n.entry(k.to_string()).or_default() += 1;
    for d in &rows {
        match d.status.as_str() {
            "submitted" => {
                bump("awaiting_intake");
                continue;
            }
            "refused" => {
                bump("refused");
                continue;
            }
            _ => {}
        }
        assert!(d.received_at.is_some());
        bump("received");
        // Decision 766/QĐ-TTg of 23 June 2022, formula document.
        let paper = d.result_type == "paper" || d.result_type == "both";
        let e_result = results.iter().any(|r| r.0 == d.id && r.1 != "revoked");
        if paper {
            bump("paper_result");
            if e_result {
                bump("results_digitized"); // 4.1
            }
        }
        if d.channel == "online" {
            bump("online");
            if !paper || e_result {
                bump("online_counted"); // 3.3
            }
        }
        let late_by_requests = d.supplement_requests > 1;
        match d.finished_at {
            Some(end) => {
                if late_by_requests || d.due_at.is_some_and(|due| end > due) {
                    bump("finished_late")
                } else {
                    bump("finished_on_time")
                }
            }
            None => {
                bump("in_progress");
                // Paused: late only if the pause began after the due date.
                let past_due = d.due_at.is_some_and(|due| match d.paused_at {
                    Some(paused) => paused > due,
                    None => due < now,
                });
                bump(if late_by_requests || past_due {
                    "open_overdue"
                } else {
                    "open_on_time"
                });
            }
        }
        match d.status.as_str() {
            "result_ready" | "returned" => bump("resolved"),
            "stopped" if d.lifecycle.contains("\"status_before_withdrawal\":\"") => {
                bump("withdrawn")
            }
            "stopped" => bump("stopped"),
            // A withdrawal counts from the request.
            "withdrawal_requested" => bump("withdrawn"),
            _ => {}
        }
        if d.supplement_requests >= 1 {
            bump("supplement_requested");
        }
        if d.supplement_requests >= 2 {
            bump("supplement_repeated");
        }
        if d.extensions >= 1 {
            bump("extended");
        }
        for (_, rating) in ratings.iter().filter(|r| r.0 == d.id) {
            bump("rated");
            bump(rating);
        }
        let mine: Vec<bool> = attachments
            .iter()
            .filter(|a| a.0 == d.id)
            .map(|a| a.1)
            .collect();
        for digitized in &mine {
            bump("components");
            if *digitized {
                bump("components_digitized");
            }
        }
        // 4.2: every component file and the result file.
        if !mine.is_empty() && mine.iter().all(|x| *x) && e_result {
            bump("dossiers_digitized");
        }
    }
    n
}

fn reported(report: &Value) -> BTreeMap<String, i64> {
    let mut n: BTreeMap<String, i64> = report["counters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
        .filter(|(_, v)| *v != 0)
        .collect();
    for k in ["open_on_time", "open_overdue"] {
        let v = report["open"][k].as_i64().unwrap();
        if v != 0 {
            n.insert(k.into(), v);
        }
    }
    n
}

/// A non-JSON body as text (binary bytes become replacement characters).
fn text_of(r: &Resp) -> String {
    r.body.as_str().expect("a text body").to_string()
}

fn today_range() -> String {
    let today = motcua::domain::calendar::today();
    format!(
        "from={}&to={}",
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(1)
    )
}

both_backends! {
    async fn aggregates_equal_a_recount_and_a_rebuild(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let p = setup(&ctx, &app).await;
        let codes = populate(&ctx, &app, &p).await;
        let (_, supervisor) = ctx.user(Role::ProvinceSupervisor, None); // Phú Thọ (25)
        let range = today_range();
        let r = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}?{range}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let expected = recount(&ctx, KIM_BOI);
        assert_eq!(reported(&r.body), expected, "aggregates vs recount");
        // The shapes all showed up: the recount is not trivially empty.
        for k in ["finished_on_time", "finished_late", "withdrawn", "stopped", "refused", "awaiting_intake", "open_overdue", "open_on_time", "supplement_repeated", "extended", "dossiers_digitized", "satisfied", "dissatisfied", "online", "online_counted", "paper_result", "results_digitized"] {
            assert!(expected.get(k).copied().unwrap_or(0) > 0, "{k} missing from the generated data: {expected:?}");
        }
        assert_eq!(expected["received"], 14);
        assert_eq!(expected["finished_late"], 2, "late by due date and by a second supplement request");
        assert_eq!(expected["open_overdue"], 2, "the apology one, and the one paused after its due date");
        assert_eq!(expected["withdrawn"], 2, "confirmed, and only requested");
        assert_eq!((expected["online"], expected["online_counted"]), (2, 1), "online without an e-result does not count for 3.3");
        assert_eq!((expected["paper_result"], expected["results_digitized"], expected["dossiers_digitized"]), (14, 1, 1));

        // Whole months come from the monthly sums, the edge days from the daily ones: the
        // same cohort whichever way the period is cut.
        let today = motcua::domain::calendar::today();
        let month_start = today.format("%Y-%m-01").to_string();
        for q in ["period=month".to_string(), "period=quarter".into(), "period=year".into(), format!("from={month_start}&to={today}"),
                  format!("from={}&to={}", today - chrono::Duration::days(40), today + chrono::Duration::days(40))] {
            let other = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}?{q}")).await;
            assert_eq!(other.body["counters"], r.body["counters"], "{q}");
        }

        // 766 2.1 numbers and the dossiers behind them.
        let ind = |code: &str| r.body["indicators"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap().clone();
        let on_time = ind("2.1");
        assert_eq!(on_time["denominator"], 14);
        assert_eq!((ind("4.1")["numerator"].as_i64(), ind("4.1")["denominator"].as_i64()), (Some(1), Some(14)));
        assert_eq!(ind("3.3")["measure"], "online_counted");
        assert_eq!((ind("4.2")["numerator"].as_i64(), ind("4.2")["denominator"].as_i64()), (Some(1), Some(14)));
        assert!(r.body["indicators"].as_array().unwrap().iter().all(|i| i["code"] != "4.6"));
        let behind = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}/dossiers?measure=online_counted&{range}")).await;
        assert_eq!(behind.body["items"][0]["code"], codes["online_with_e_result"].as_str());
        assert_eq!(behind.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(on_time["numerator"].as_i64().unwrap(), expected["finished_on_time"] + expected["open_on_time"]);
        let total: f64 = r.body["groups"].as_array().unwrap().iter().map(|g| g["max_points"].as_f64().unwrap()).sum();
        assert_eq!(total, 100.0);
        let late = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}/dossiers?measure=finished_late&{range}")).await;
        assert_eq!(late.status, 200, "{}", late.body);
        let mut late_codes: Vec<&str> = late.body["items"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
        late_codes.sort();
        let mut want = vec![codes["two_supplements"].as_str(), codes["finished_late"].as_str()];
        want.sort();
        assert_eq!(late_codes, want);
        let overdue = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}/dossiers?measure=open_overdue&{range}")).await;
        let mut overdue_codes: Vec<&str> = overdue.body["items"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
        overdue_codes.sort();
        let mut want = vec![codes["open_overdue"].as_str(), codes["paused_past_due"].as_str()];
        want.sort();
        assert_eq!(overdue_codes, want);
        // Paging.
        let page = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}/dossiers?measure=received&limit=4&{range}")).await;
        assert_eq!((page.body["items"].as_array().unwrap().len(), page.body["next_offset"].as_i64()), (4, Some(4)));
        let last = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}/dossiers?measure=received&limit=4&offset=12&{range}")).await;
        assert_eq!((last.body["items"].as_array().unwrap().len(), last.body["next_offset"].as_i64()), (2, None));

        // Breakdowns add up to the totals.
        let by = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}?{range}&by=channel")).await;
        let rows = by.body["breakdown"].as_array().unwrap();
        let received: i64 = rows.iter().map(|k| k["counters"]["received"].as_i64().unwrap()).sum();
        assert_eq!(received, 14);
        assert!(rows.iter().any(|k| k["key"] == "online" && k["counters"]["received"] == 2));

        // The province sums its communes and ranks them all.
        let prov = get(&app, &supervisor, &format!("/api/v1/reports/provinces/25?{range}")).await;
        assert_eq!(prov.status, 200, "{}", prov.body);
        assert_eq!(prov.body["counters"]["received"], 15);
        let ranking = prov.body["ranking"].as_array().unwrap();
        assert_eq!(ranking.len() as i64, prov.body["communes"].as_i64().unwrap());
        let kim_boi = ranking.iter().find(|c| c["code"] == KIM_BOI).unwrap();
        assert_eq!(kim_boi["counters"], r.body["counters"]);
        assert_eq!(kim_boi["points"], r.body["score"]["points"]);
        assert!(ranking.windows(2).all(|w| w[0]["points"].as_f64() >= w[1]["points"].as_f64()));
        assert_eq!(ranking[0]["rank"], 1);

        // A rebuild from the raw tables lands on the same numbers.
        let before = r.body["counters"].clone();
        let n = ctx.with_conn(|c| motcua::db::models::indicator::rebuild(c).unwrap());
        assert_eq!(n, 17);
        let again = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}?{range}")).await;
        assert_eq!(again.body["counters"], before);

        // A rejected digitization and a late rating move the numbers in step.
        let rec = get(&app, &p.officer, &format!("/api/v1/dossiers/{}/digitization", codes["open_on_time_digitized"])).await;
        assert_eq!(rec.status, 200, "{}", rec.body);
        let rec_id = rec.body[0]["id"].as_str().unwrap().to_string();
        let r = call(&app, TestRequest::post().uri(&format!("/api/v1/digitization-records/{rec_id}/review")).insert_header(bearer(&p.leader)).set_json(json!({"decision": "reject", "reason": "Ảnh mờ"}))).await;
        assert!(r.status.is_success(), "{}", r.body);
        let after = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}?{range}")).await;
        assert_eq!(after.body["counters"]["components_digitized"], 1);
        assert_eq!(reported(&after.body), recount_with_rejections(&ctx, KIM_BOI));
    }

    async fn concurrent_intakes_add_up(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let p = setup(&ctx, &app).await;
        let threads: Vec<_> = (0..3).map(|t| {
            let (url, officer) = (ctx.db.url.clone(), p.officer.clone());
            std::thread::spawn(move || actix_web::rt::System::new().block_on(async move {
                let pool = motcua::db::build_pool(&url, 4, std::time::Duration::from_secs(30));
                let state = motcua::state::AppState::new(test_config(&url), pool).unwrap();
                state.set_migrated();
                let app = init_service(motcua::app::build(state)).await;
                let reqs = (0..8).map(|i| {
                    let body = json!({
                        "procedure_code": PROCEDURE,
                        "applicant": {"type": "citizen", "full_name": "Lê Văn Tám", "id_number": format!("0251900{t}1{i:03}"), "birth_year": 1990, "phone": "0912345678", "address": "Thôn Bo"},
                        "components": [{"document": "Tờ khai", "source": "paper"}]
                    });
                    call(&app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(&officer)).set_json(body))
                });
                futures_util::future::join_all(reqs).await.into_iter().map(|r| r.status.as_u16()).collect::<Vec<_>>()
            }))
        }).collect();
        for t in threads {
            let statuses = t.join().unwrap();
            assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
        }
        let r = get(&app, &p.officer, &format!("/api/v1/reports/communes/{KIM_BOI}?{}", today_range())).await;
        assert_eq!(r.body["counters"]["received"], 24, "{}", r.body["counters"]);
        assert_eq!(r.body["counters"]["in_progress"], 24);
    }

    async fn exports_are_real_files(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let p = setup(&ctx, &app).await;
        file(&app, &p.officer, "025190000301", None).await;
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let range = today_range();
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/reports/communes/{KIM_BOI}?{range}&format=csv")).insert_header(bearer(&p.officer))).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        assert!(r.header("content-disposition").unwrap().contains(".csv"));
        let text = text_of(&r);
        assert!(text.starts_with('\u{feff}'), "BOM for spreadsheets");
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        assert!(lines.next().unwrap().starts_with("group,code,name,numerator,denominator,rate"));
        assert!(text.contains("2.1,Hồ sơ giải quyết đúng hạn,1,1,"), "{text}");
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/reports/provinces/25?{range}&format=csv")).insert_header(bearer(&admin))).await;
        assert_eq!(r.status, 200);
        assert!(text_of(&r).contains(&format!(",{KIM_BOI},")));
        for uri in [format!("/api/v1/reports/communes/{KIM_BOI}?{range}&format=xlsx&by=procedure"), format!("/api/v1/reports/provinces/25?{range}&format=xlsx")] {
            let r = call(&app, TestRequest::get().uri(&uri).insert_header(bearer(&admin))).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type"), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
            let names = text_of(&r);
            assert!(names.starts_with("PK\u{3}\u{4}"), "a zip container");
            assert!(names.contains("xl/worksheets/sheet1.xml") && names.contains("xl/styles.xml"));
        }
        let r = call(&app, TestRequest::get().uri(&format!("/api/v1/reports/communes/{KIM_BOI}/dossiers?measure=received&{range}&format=csv")).insert_header(bearer(&p.officer))).await;
        assert_eq!(r.status, 200);
        assert_eq!(text_of(&r).lines().count(), 2, "header and the one dossier");
    }

    async fn scoping_and_bad_input(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        let p = setup(&ctx, &app).await;
        let uri = format!("/api/v1/reports/communes/{KIM_BOI}");
        assert_eq!(call(&app, TestRequest::get().uri(&uri)).await.status, 401);
        assert_eq!(get(&app, &p.citizen, &uri).await.status, 403);
        let (_, portal) = ctx.user(Role::PortalClient, None);
        assert_eq!(get(&app, &portal, &uri).await.status, 403);
        assert_eq!(get(&app, &p.other_officer, &uri).await.status, 404, "another commune's report");
        assert_eq!(get(&app, &p.other_officer, &format!("{uri}/dossiers?measure=received")).await.status, 404);
        assert_eq!(get(&app, &p.leader, &uri).await.status, 200);
        let (mut u, _) = ctx.user_named("gs-ha-noi", Role::ProvinceSupervisor, None);
        ctx.with_conn(|c| {
            use motcua::db::schema::users;
            diesel::update(users::table.filter(users::id.eq(&u.id))).set(users::province_code.eq(Some("01"))).execute(c).unwrap();
        });
        u.province_code = Some("01".into());
        let hanoi = ctx.token_for(&u);
        assert_eq!(get(&app, &hanoi, &uri).await.status, 404, "another province's commune");
        assert_eq!(get(&app, &hanoi, "/api/v1/reports/provinces/25").await.status, 404);
        assert_eq!(get(&app, &hanoi, "/api/v1/reports/provinces/01").await.status, 200);
        assert_eq!(get(&app, &p.officer, "/api/v1/reports/provinces/25").await.status, 403, "commune staff read no province report");
        // Periods.
        let r = get(&app, &p.officer, &format!("{uri}?period=quarter&date=2026-11-28")).await;
        assert_eq!((r.body["period"]["from"].as_str(), r.body["period"]["to"].as_str()), (Some("2026-10-01"), Some("2026-12-31")));
        let r = get(&app, &p.officer, &format!("{uri}?from=2026-11-01")).await;
        assert_eq!((r.status.as_u16(), r.problem_code()), (400, "report.period_incomplete"));
        let r = get(&app, &p.officer, &format!("{uri}?from=2026-11-01&to=2026-10-01")).await;
        assert_eq!(r.status, 422);
        let r = get(&app, &p.officer, &format!("{uri}?from=2000-01-01&to=2026-10-01")).await;
        assert_eq!(r.status, 422, "over ten years");
        assert_eq!(get(&app, &p.officer, &format!("{uri}?period=week")).await.status, 400);
        assert_eq!(get(&app, &p.officer, &format!("{uri}?from=2026-13-01&to=2026-12-01")).await.status, 400);
        assert_eq!(get(&app, &p.officer, &format!("{uri}?format=pdf")).await.status, 400);
        let r = get(&app, &p.officer, &format!("{uri}/dossiers?measure=drop_table")).await;
        assert_eq!(r.status, 422);
        assert_eq!(get(&app, &p.officer, &format!("{uri}/dossiers?measure=received&limit=0")).await.status, 422);
        assert_eq!(get(&app, &p.officer, &format!("{uri}/dossiers?measure=received&format=xlsx")).await.status, 400);
        assert_eq!(get(&app, &p.officer, "/api/v1/reports/communes/99999").await.status, 404);
    }
}

/// The recount again, with the review outcomes: a rejected component is not digitized.
fn recount_with_rejections(ctx: &TestApp, commune: &str) -> BTreeMap<String, i64> {
    let mut n = recount(ctx, commune);
    let rejected: i64 = ctx.with_conn(|c| {
        use motcua::db::schema::digitization_records as r;
        r::table
            .filter(r::status.eq("rejected"))
            .filter(r::commune_code.eq(commune))
            .count()
            .get_result(c)
            .unwrap()
    });
    if rejected > 0 {
        let v = n.get("components_digitized").copied().unwrap_or(0) - rejected;
        if v == 0 {
            n.remove("components_digitized");
        } else {
            n.insert("components_digitized".into(), v);
        }
        // The rejected component's dossier had no result file: 4.2 is unchanged.
    }
    n
}
