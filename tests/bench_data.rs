//! The benchmark data generator: every status, unique codes, counters that continue.

mod common;

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use motcua::db::schema::{dossier_counters, dossiers};

both_backends! {
    async fn generates_unique_codes_in_every_status_and_continues_counters(ctx) {
        let report = ctx.with_conn(|c| {
            motcua::cli::seed::seed_catalog(c).unwrap();
            motcua::cli::bench_data::generate(c, "25", 3000, 1000, 7, |_| {}).unwrap()
        });
        assert_eq!(report.inserted, 3000);
        assert_eq!(report.communes, 148);
        let rows: Vec<(String, String, String)> =
            ctx.with_conn(|c| dossiers::table.select((dossiers::commune_code, dossiers::code, dossiers::status)).load(c).unwrap());
        let codes: HashSet<&String> = rows.iter().map(|r| &r.1).collect();
        assert_eq!(codes.len(), 3000, "codes are unique");
        let statuses: HashSet<&String> = rows.iter().map(|r| &r.2).collect();
        assert_eq!(statuses.len(), 10, "all ten statuses");
        // Each (commune, day) counter equals the highest number generated for it, so the
        // next real intake continues the sequence without a gap or a duplicate.
        let counters: Vec<(String, chrono::NaiveDate, i64)> = ctx.with_conn(|c| {
            dossier_counters::table
                .select((dossier_counters::commune_code, dossier_counters::day, dossier_counters::last_seq))
                .load(c)
                .unwrap()
        });
        let counter: HashMap<(String, String), i64> =
            counters.into_iter().map(|(cc, d, s)| ((cc, d.format("%y%m%d").to_string()), s)).collect();
        let mut highest: HashMap<(String, String), i64> = HashMap::new();
        for (commune, code, _) in &rows {
            let mut parts = code.rsplitn(3, '-');
            let seq: i64 = parts.next().unwrap().parse().unwrap();
            let day = parts.next().unwrap().to_string();
            let e = highest.entry((commune.clone(), day)).or_insert(0);
            *e = (*e).max(seq);
        }
        assert_eq!(highest, counter);
        // Lifecycle columns agree with the status: due dates once received, finish instants
        // exactly for finished dossiers, nothing in the future, lifecycle JSON readable.
        type Life = (String, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>, chrono::NaiveDateTime, String);
        let lives: Vec<Life> = ctx.with_conn(|c| {
            dossiers::table
                .select((dossiers::status, dossiers::due_at, dossiers::finished_at, dossiers::submitted_at, dossiers::lifecycle))
                .load(c)
                .unwrap()
        });
        let now = chrono::Utc::now().naive_utc();
        for (status, due, finished, submitted, lifecycle) in &lives {
            assert_eq!(due.is_none(), status == "submitted", "{status}");
            let done = ["returned", "result_ready", "refused", "stopped"].contains(&status.as_str());
            assert_eq!(finished.is_some(), done, "{status}");
            assert!(*submitted < now && finished.is_none_or(|f| f >= *submitted && f <= now));
            let rec: motcua::service::dossiers::record::LifecycleRecord = serde_json::from_str(lifecycle).unwrap();
            assert_eq!(rec.state.status.as_str(), status);
        }
    }
}
