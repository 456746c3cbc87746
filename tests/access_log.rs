//! The personal-data access log through the real HTTP app, on both backends: what is
//! recorded, the citizen's view, the supervisors' query, append-only triggers, the hash chain
//! under concurrent writers of two instances, and `motcua audit verify` on a tampered log.

mod common;

use actix_web::test::{init_service, TestRequest};
use common::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use motcua::db::schema::access_log;
use motcua::db::DbConn;
use motcua::domain::roles::Role;
use motcua::service::access_log as log;
use serde_json::{json, Value};

const PROCEDURE: &str = "1.004873";

app_fn! {
    async fn catalog(ctx: &TestApp, app: &S) -> () {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        let body = json!({
            "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "paper",
            "effective_from": "2025-07-01",
            "cases": [{
                "code": "default", "name": "Trường hợp chung",
                "processing_time": {"value": 3, "unit": "working_days"}, "online_level": "partial",
                "documents": [{"name": "Tờ khai", "form": "original"}]
            }]
        });
        let r = call(app, TestRequest::post().uri("/api/v1/procedures").insert_header(bearer(&admin)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for commune in [KIM_BOI, BA_DINH] {
            let r = call(app, TestRequest::put().uri(&format!("/api/v1/communes/{commune}/procedures/{PROCEDURE}")).insert_header(bearer(&admin))).await;
            assert!(r.status == 201 || r.status == 200, "{}", r.body);
        }
    }

    // Files a dossier (at the counter for an officer, online for a citizen) and returns its code.
    async fn file(app: &S, token: &str, commune: &str) -> String {
        let body = json!({
            "procedure_code": PROCEDURE, "commune_code": commune,
            "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": "025190000123", "birth_year": 1990,
                          "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi"},
            "summary": "Xác nhận tình trạng hôn nhân",
            "components": [{"document": "Tờ khai", "source": "paper"}]
        });
        let r = call(app, TestRequest::post().uri("/api/v1/dossiers").insert_header(bearer(token)).set_json(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["dossier"]["code"].as_str().unwrap().to_string()
    }

    async fn get(app: &S, token: &str, uri: &str) -> Resp {
        call(app, TestRequest::get().uri(uri).insert_header(bearer(token))).await
    }
}

fn entries(ctx: &TestApp) -> Vec<log::Entry> {
    ctx.with_conn(entries_of)
}

fn entries_of(c: &mut DbConn) -> Vec<log::Entry> {
    access_log::table
        .order((access_log::commune_code, access_log::seq))
        .select(log::Entry::as_select())
        .load(c)
        .unwrap()
}

fn assert_valid(ctx: &TestApp) {
    let reports = ctx.with_conn(|c| log::verify(c, None).unwrap());
    for r in &reports {
        assert!(r.is_valid(), "{r:?}");
    }
}

fn items(r: &Resp) -> &Vec<Value> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.body))
}

both_backends! {
    async fn staff_reads_are_recorded_and_the_owner_sees_who_looked(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (citizen, citizen_token) = ctx.user(Role::Citizen, None);
        let (officer, officer_token) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let code = file(&app, &citizen_token, KIM_BOI).await;
        assert!(entries(&ctx).is_empty(), "filing is not a read");

        // The owner reading their own dossier is not someone looking.
        assert_eq!(get(&app, &citizen_token, &format!("/api/v1/dossiers/{code}")).await.status, 200);
        assert!(entries(&ctx).is_empty());

        // The officer reads it through four operations.
        for uri in ["", "/history", "/attachments", "/fees"] {
            let r = get(&app, &officer_token, &format!("/api/v1/dossiers/{code}{uri}")).await;
            assert_eq!(r.status, 200, "{uri}: {}", r.body);
        }
        // A refused read (another commune's officer: 404) records nothing.
        let (_, foreign) = ctx.user(Role::ReceptionOfficer, Some(BA_DINH));
        assert_eq!(get(&app, &foreign, &format!("/api/v1/dossiers/{code}")).await.status, 404);

        let rows = entries(&ctx);
        assert_eq!(rows.len(), 4, "{rows:?}");
        let ops: Vec<&str> = rows.iter().map(|e| e.operation.as_str()).collect();
        assert_eq!(ops, ["getDossier", "listDossierHistory", "listDossierAttachments", "getDossierFees"]);
        assert_eq!(rows[0].route, "GET /api/v1/dossiers/{code}");
        assert_eq!(rows[2].route, "GET /api/v1/dossiers/{code}/attachments");
        for (i, e) in rows.iter().enumerate() {
            assert_eq!(e.seq, i as i64 + 1);
            assert_eq!(e.commune_code, KIM_BOI);
            assert_eq!(e.actor_id, officer.id);
            assert_eq!(e.actor_role, "reception_officer");
            assert_eq!(e.record_kind, "dossier");
            assert_eq!(e.record_ref, code);
            assert!(!e.request_id.is_empty());
        }
        assert_eq!(rows[0].prev_hash, log::GENESIS);
        assert_eq!(rows[1].prev_hash, rows[0].hash);
        assert_valid(&ctx);

        // The owner sees who looked: role and commune, not the officer's account.
        let r = get(&app, &citizen_token, "/api/v1/me/access-log").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let seen = items(&r);
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0]["operation"], "getDossierFees", "newest first");
        assert_eq!(seen[0]["actor_role"], "reception_officer");
        assert_eq!(seen[0]["actor_commune_code"], KIM_BOI);
        assert_eq!(seen[0]["record_ref"], code.as_str());
        assert_eq!(seen[0]["record_kind"], "dossier");
        assert!(seen[0].get("actor_id").is_none(), "the reader's account is not shown: {}", seen[0]);
        assert!(!r.body.to_string().contains(&officer.id));
        // Paged with the cursor convention.
        let r1 = get(&app, &citizen_token, "/api/v1/me/access-log?limit=3").await;
        assert_eq!(items(&r1).len(), 3);
        let cursor = r1.body["next_cursor"].as_str().unwrap().to_string();
        let r2 = get(&app, &citizen_token, &format!("/api/v1/me/access-log?limit=3&cursor={cursor}")).await;
        assert_eq!(items(&r2).len(), 1);
        assert!(r2.body["next_cursor"].is_null());
        assert_eq!(items(&r2)[0]["operation"], "getDossier");
        let bad = get(&app, &citizen_token, "/api/v1/me/access-log?cursor=nonsense").await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.problem_code(), "query.invalid_cursor");

        // Another citizen sees nothing of it; staff have no "me" log.
        let (_, stranger) = ctx.user(Role::Citizen, None);
        assert!(items(&get(&app, &stranger, "/api/v1/me/access-log").await).is_empty());
        let r = get(&app, &officer_token, "/api/v1/me/access-log").await;
        assert_eq!(r.status, 403);
        assert_eq!(r.problem_code(), "auth.role_forbidden");
        let _ = citizen;
    }

    async fn a_list_page_records_one_entry_per_record_shown(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let mut codes = Vec::new();
        for _ in 0..3 {
            codes.push(file(&app, &officer, KIM_BOI).await);
        }
        let r = get(&app, &officer, "/api/v1/dossiers?limit=2").await;
        assert_eq!(r.status, 200);
        assert_eq!(items(&r).len(), 2);
        let rows = entries(&ctx);
        assert_eq!(rows.len(), 2, "the look-ahead row that only proves a next page is not shown, so not recorded");
        let shown: Vec<&str> = items(&r).iter().map(|d| d["code"].as_str().unwrap()).collect();
        let logged: Vec<&str> = rows.iter().map(|e| e.record_ref.as_str()).collect();
        assert_eq!(shown, logged);
        assert!(rows.iter().all(|e| e.operation == "listDossiers" && e.request_id == rows[0].request_id));
        // An empty page records nothing.
        let r = get(&app, &officer, "/api/v1/dossiers?q=Tr%E1%BA%A7n%20V%C4%83n%20Kh%C3%B4ng").await;
        assert_eq!(items(&r).len(), 0);
        assert_eq!(entries(&ctx).len(), 2);
        assert_valid(&ctx);
    }

    async fn supervisors_query_their_province_and_administrators_everything(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (kb_officer, kb_token) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, bd_token) = ctx.user(Role::ReceptionOfficer, Some(BA_DINH));
        let kb = file(&app, &kb_token, KIM_BOI).await;
        let bd = file(&app, &bd_token, BA_DINH).await;
        get(&app, &kb_token, &format!("/api/v1/dossiers/{kb}")).await;
        get(&app, &kb_token, &format!("/api/v1/dossiers/{kb}/history")).await;
        get(&app, &bd_token, &format!("/api/v1/dossiers/{bd}")).await;
        let (_, supervisor) = ctx.user(Role::ProvinceSupervisor, None); // Phú Thọ (25)
        let (_, admin) = ctx.user(Role::SystemAdmin, None);

        // The supervisor's own read is recorded too (one more entry in Kim Bôi's chain).
        let r = get(&app, &supervisor, "/api/v1/access-log").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(items(&r).len(), 2, "only Phú Thọ's records: {}", r.body);
        assert!(items(&r).iter().all(|e| e["province_code"] == "25"));
        assert_eq!(items(&r)[0]["actor_id"], kb_officer.id.as_str());
        assert_eq!(items(&r)[0]["route"], "GET /api/v1/dossiers/{code}/history");
        assert_eq!(items(&r)[0]["seq"], 2);
        assert_eq!(items(&r)[0]["hash"].as_str().unwrap().len(), 64);
        let r = get(&app, &supervisor, &format!("/api/v1/access-log?commune_code={BA_DINH}")).await;
        assert_eq!(r.status, 404, "another province's commune");
        let r = get(&app, &supervisor, &format!("/api/v1/access-log?record={bd}")).await;
        assert!(items(&r).is_empty(), "another province's record");

        let r = get(&app, &admin, "/api/v1/access-log").await;
        assert_eq!(items(&r).len(), 3);
        let r = get(&app, &admin, &format!("/api/v1/access-log?commune_code={BA_DINH}")).await;
        assert_eq!(items(&r).len(), 1);
        assert_eq!(items(&r)[0]["record_ref"], bd.as_str());
        let r = get(&app, &admin, &format!("/api/v1/access-log?record={kb}&actor={}", kb_officer.id)).await;
        assert_eq!(items(&r).len(), 2);
        let r = get(&app, &admin, "/api/v1/access-log?to=2020-01-01T00:00:00Z").await;
        assert!(items(&r).is_empty());
        let r = get(&app, &admin, "/api/v1/access-log?from=2020-01-01T00:00:00Z&limit=2").await;
        assert_eq!(items(&r).len(), 2);
        let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
        let r = get(&app, &admin, &format!("/api/v1/access-log?from=2020-01-01T00:00:00Z&limit=2&cursor={cursor}")).await;
        assert_eq!(items(&r).len(), 1);

        let r = get(&app, &admin, "/api/v1/access-log?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z").await;
        assert_eq!(r.status, 422);
        let r = get(&app, &admin, "/api/v1/access-log?from=yesterday").await;
        assert_eq!(r.status, 400);
        let r = get(&app, &admin, "/api/v1/access-log?limit=1000").await;
        assert_eq!(r.status, 422);
        for (who, token) in [("officer", &kb_token)] {
            let r = get(&app, token, "/api/v1/access-log").await;
            assert_eq!(r.status, 403, "{who}");
        }
        assert_valid(&ctx);
    }

    async fn the_log_is_append_only(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let code = file(&app, &officer, KIM_BOI).await;
        get(&app, &officer, &format!("/api/v1/dossiers/{code}")).await;
        ctx.with_conn(|c| {
            assert!(c.batch_execute("UPDATE access_log SET actor_id = 'nobody'").is_err());
            assert!(c.batch_execute("DELETE FROM access_log").is_err());
            assert!(c.batch_execute("DELETE FROM access_log_heads").is_err());
            assert!(c.batch_execute("UPDATE access_log_heads SET last_seq = 0").is_err());
        });
        assert_eq!(entries(&ctx).len(), 1);
        assert_valid(&ctx);
    }

    async fn verify_says_where_a_tampered_chain_breaks(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        catalog(&ctx, &app).await;
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let (_, bd_officer) = ctx.user(Role::ReceptionOfficer, Some(BA_DINH));
        let code = file(&app, &officer, KIM_BOI).await;
        let bd = file(&app, &bd_officer, BA_DINH).await;
        for _ in 0..5 {
            get(&app, &officer, &format!("/api/v1/dossiers/{code}")).await;
        }
        get(&app, &bd_officer, &format!("/api/v1/dossiers/{bd}")).await;

        let cli = |args: &[&str]| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
                .args(args)
                .env("DATABASE_URL", &ctx.db.url)
                .env("RUST_LOG", "off")
                .output()
                .expect("run motcua");
            (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let (status, out) = cli(&["audit", "verify"]);
        assert_eq!(status, Some(0), "{out}");
        assert!(out.contains(&format!("ok      commune {KIM_BOI}: 5 entries")), "{out}");
        assert!(out.contains("2 chain(s) checked, 6 entries, 0 broken"), "{out}");

        // Behind the app's back: lift the append-only triggers, delete entry 2, edit entry 4.
        ctx.with_conn(|c| {
            let drop = match c {
                DbConn::Pg(_) => "DROP TRIGGER access_log_no_update ON access_log;",
                DbConn::Sqlite(_) => "DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete;",
            };
            c.batch_execute(drop).unwrap();
            c.batch_execute(&format!(
                "DELETE FROM access_log WHERE commune_code = '{KIM_BOI}' AND seq = 2; \
                 UPDATE access_log SET actor_id = 'someone-else' WHERE commune_code = '{KIM_BOI}' AND seq = 4;"
            ))
            .unwrap();
        });
        let (status, out) = cli(&["audit", "verify"]);
        assert_eq!(status, Some(1), "{out}");
        assert!(out.contains(&format!("BROKEN  commune {KIM_BOI}: entry 2: entry 2 is missing (deleted)")), "{out}");
        assert!(out.contains(&format!("BROKEN  commune {KIM_BOI}: entry 4 (")) && out.contains("(edited)"), "{out}");
        assert!(out.contains(&format!("ok      commune {BA_DINH}: 1 entries")), "the other commune's chain is intact: {out}");
        assert!(out.contains("1 broken"), "{out}");
        // One commune only.
        let (status, out) = cli(&["audit", "verify", "--commune", BA_DINH]);
        assert_eq!(status, Some(0), "{out}");

        // Deleting the last entries is found through the chain head.
        ctx.with_conn(|c| {
            c.batch_execute(&format!("DELETE FROM access_log WHERE commune_code = '{BA_DINH}'")).unwrap();
        });
        let (status, out) = cli(&["audit", "verify", "--commune", BA_DINH]);
        assert_eq!(status, Some(1), "{out}");
        assert!(out.contains("entry 1: the chain head names entry 1"), "{out}");
    }

    async fn concurrent_writers_of_two_instances_make_one_chain(ctx) {
        // Two instances (their own pools and group-commit writers) on one database, and
        // plain threads appending directly: all to one commune's chain at once.
        let pools = [ctx.db.pool(4), ctx.db.pool(4)];
        let writers: Vec<_> = pools.iter().map(|p| std::sync::Arc::new(log::Writer::start(p.clone()))).collect();
        let entry = |i: usize, n: usize| log::NewEntry {
            at: log::now(),
            actor_id: format!("officer-{i}"),
            actor_role: "specialist".into(),
            actor_commune_code: Some(KIM_BOI.into()),
            actor_province_code: None,
            record_kind: "dossier".into(),
            record_id: format!("d-{i}-{n}"),
            record_ref: format!("H25.{KIM_BOI}-260101-{n:04}"),
            commune_code: KIM_BOI.into(),
            province_code: "25".into(),
            operation: "get_dossier".into(),
            route: "GET /api/v1/dossiers/{code}".into(),
            request_id: format!("r-{i}-{n}"),
        };
        const THREADS: usize = 6;
        const ROUNDS: usize = 25;
        let mut handles = Vec::new();
        for i in 0..THREADS {
            let pool = pools[i % 2].clone();
            let writer = writers[i % 2].clone();
            handles.push(std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
                for n in 0..ROUNDS {
                    if i < THREADS / 2 {
                        let mut conn = pool.get().unwrap();
                        // One or two entries per transaction.
                        let batch: Vec<_> = (0..1 + n % 2).map(|k| entry(i, n * 2 + k)).collect();
                        log::append(&mut conn, &batch).unwrap();
                    } else {
                        rt.block_on(writer.write(vec![entry(i, n * 2)])).unwrap();
                    }
                }
            }));
        }
        for h in handles {
            h.join().unwrap();
        }
        let direct: usize = (0..ROUNDS).map(|n| 1 + n % 2).sum::<usize>() * (THREADS / 2);
        let expected = direct + ROUNDS * (THREADS - THREADS / 2);
        let rows = entries(&ctx);
        assert_eq!(rows.len(), expected);
        let seqs: Vec<i64> = rows.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=expected as i64).collect::<Vec<_>>(), "one gapless chain");
        let reports = ctx.with_conn(|c| log::verify(c, Some(KIM_BOI)).unwrap());
        assert_eq!(reports.len(), 1);
        assert!(reports[0].is_valid(), "{:?}", reports[0]);
        assert_eq!(reports[0].entries, expected as i64);
        assert_eq!(reports[0].head_seq, expected as i64);
    }

    async fn a_writer_whose_head_is_stale_falls_back_to_locking(ctx) {
        // Two chainers (two instances' writers) take turns on one commune: each one's memory
        // of the head goes stale when the other appends, so its fast path must write nothing
        // and its locking path must continue the one chain.
        let entry = |n: usize| log::NewEntry {
            at: log::now(),
            actor_id: "officer".into(),
            actor_role: "specialist".into(),
            actor_commune_code: Some(KIM_BOI.into()),
            actor_province_code: None,
            record_kind: "dossier".into(),
            record_id: format!("d-{n}"),
            record_ref: format!("H25.{KIM_BOI}-260101-{n:04}"),
            commune_code: KIM_BOI.into(),
            province_code: "25".into(),
            operation: "get_dossier".into(),
            route: "GET /api/v1/dossiers/{code}".into(),
            request_id: format!("r-{n}"),
        };
        let (mut a, mut b) = (log::Chainer::default(), log::Chainer::default());
        ctx.with_conn(|c| {
            assert!(a.append(c, &[entry(1), entry(2)]).is_empty(), "first sight: locking path");
            assert!(a.append(c, &[entry(3)]).is_empty(), "fast path");
            assert!(b.append(c, &[entry(4)]).is_empty(), "the other instance appends");
            assert!(a.append(c, &[entry(5), entry(6)]).is_empty(), "stale head: falls back");
            assert!(b.append(c, &[entry(7)]).is_empty());

            // The fast path itself, against a head that has moved, writes nothing.
            let stored = entries_of(c);
            let mut forged = stored.last().unwrap().clone();
            forged.id = "forged".into();
            forged.seq += 1;
            let stale = (stored[2].seq, stored[2].hash.as_str());
            let written = motcua::db::models::access_log::append_after(c, KIM_BOI, stale, &[forged]).unwrap();
            assert!(!written);
            assert_eq!(entries_of(c).len(), 7, "nothing written on a stale head");
        });
        let rows = entries(&ctx);
        assert_eq!(rows.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=7).collect::<Vec<_>>());
        let ids: Vec<&str> = rows.iter().map(|e| e.record_id.as_str()).collect();
        assert_eq!(ids, ["d-1", "d-2", "d-3", "d-4", "d-5", "d-6", "d-7"], "in the order written");
        let reports = ctx.with_conn(|c| log::verify(c, Some(KIM_BOI)).unwrap());
        assert!(reports[0].is_valid(), "{:?}", reports[0]);
        assert_eq!(reports[0].head_seq, 7);
    }
}
