//! Synthetic dossiers for benchmarks: `motcua generate-dossiers --count N`.
//!
//! Inserts N dossiers across every commune of a province in one set-based statement per
//! chunk (generate_series on PostgreSQL, a recursive CTE on SQLite), so a million rows load in
//! about a minute rather than hours. What needs the domain code is computed in Rust first
//! and joined in from two temporary tables: the submission slots of the last two years
//! (local day and time, code date) and, per slot and procedure case, the legal due instant
//! from the work calendar (`WorkCalendar::due` with the case's processing time, also after a
//! four-hour supplement pause) and plausible finish instants.
//!
//! The data has the shape the indexes see in production: old dossiers are almost all
//! finished (returned, refused, stopped, a few results never collected and a small stuck
//! tail that is overdue), the open statuses are concentrated in the last three weeks;
//! counter/online/post channels (online only for `submitted`); codes unique and gapless per
//! commune and day, numbered in submission order, with `dossier_counters` continued so that
//! real intakes afterwards keep numbering correctly.

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::models::calendar::load_calendar;
use crate::db::schema::{commune_procedures, communes, dossiers, procedure_versions, procedures};
use crate::db::{Backend, DbConn};
use crate::domain::calendar::{local_date, ProcessingTime};
use crate::domain::dossier_lifecycle::{LifecycleState, ProcessingStep, Status};
use crate::service::calendar::case_processing_time;
use crate::service::dossiers::record::LifecycleRecord;

/// Days of history (dossiers are submitted 1..=DAYS days ago, never today).
const DAYS: i64 = 730;
/// Dossiers younger than this many days are mostly still open.
const RECENT_DAYS: i64 = 21;
/// Submissions spread over 07:00..16:00 local time, in hourly slots.
const FIRST_LOCAL_MINUTE: i64 = 7 * 60;
const SPREAD_MINUTES: i64 = 9 * 60;
const SLOTS: i64 = SPREAD_MINUTES / 60;
/// A supplement round trip that already ended: the clock paused this many working minutes.
const PAST_PAUSE_MINUTES: i64 = 240;

/// Status by h = hash(n) % 1000, as cumulative per-mille thresholds.
const RECENT: [(&str, i64); 10] = [
    ("submitted", 60),
    ("received", 160),
    ("processing", 460),
    ("supplement_requested", 540),
    ("awaiting_payment", 580),
    ("withdrawal_requested", 600),
    ("result_ready", 720),
    ("returned", 940),
    ("refused", 970),
    ("stopped", 1000),
];
const OLD: [(&str, i64); 8] = [
    ("returned", 905),
    ("result_ready", 925),
    ("refused", 955),
    ("stopped", 985),
    ("processing", 991),
    ("supplement_requested", 995),
    ("awaiting_payment", 997),
    ("withdrawal_requested", 1000),
];
const FINISHED: &str = "('returned','result_ready','refused','stopped')";

pub struct Generated {
    pub inserted: i64,
    pub communes: i64,
}

struct CaseRow {
    procedure_id: String,
    procedure_code: String,
    version_id: String,
    case_code: String,
    time: ProcessingTime,
}

/// A string literal for SQL built here (both dialects double the quote).
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

/// Publishes every catalog procedure in every commune of the province, then inserts
/// `count` dossiers (the dossiers table must hold none of this province yet). `seed`
/// varies statuses, procedures and lookup PINs between runs; the same seed gives the same
/// data on the same day.
pub fn generate(
    conn: &mut DbConn,
    province: &str,
    count: i64,
    chunk: i64,
    seed: u64,
    progress: impl Fn(i64),
) -> Result<Generated, String> {
    let err = |e: diesel::result::Error| e.to_string();
    if !province.bytes().all(|b| b.is_ascii_digit()) || province.is_empty() {
        return Err(format!("invalid province code {province:?}"));
    }
    let communes_n: i64 = communes::table
        .filter(communes::province_code.eq(province))
        .count()
        .get_result(conn)
        .map_err(err)?;
    if communes_n == 0 {
        return Err(format!(
            "no communes in province {province}: run `motcua seed` first"
        ));
    }
    let existing: i64 = dossiers::table
        .filter(dossiers::province_code.eq(province))
        .count()
        .get_result(conn)
        .map_err(err)?;
    if existing > 0 {
        return Err(format!(
            "province {province} already has {existing} dossiers; use an empty database"
        ));
    }
    let publish = "INSERT INTO commune_procedures (commune_code, procedure_id, published_at, published_by) \
         SELECT c.code, p.id, CURRENT_TIMESTAMP, NULL FROM communes c CROSS JOIN procedures p \
         WHERE c.province_code = '{P}' AND p.active \
         AND NOT EXISTS (SELECT 1 FROM commune_procedures x WHERE x.commune_code = c.code AND x.procedure_id = p.id)";
    conn.batch_execute(&publish.replace("{P}", province))
        .map_err(err)?;
    let published: i64 = commune_procedures::table
        .count()
        .get_result(conn)
        .map_err(err)?;
    if published == 0 {
        return Err("the catalog is empty: run `motcua seed` first".into());
    }

    let cases = catalog_cases(conn)?;
    if cases.is_empty() {
        return Err("no procedure version in force has a case".into());
    }
    let pg = conn.backend() == Backend::Postgres;
    let now = crate::clock::now();
    prepare_tables(conn, &cases, now)?;

    // n → commune (n % C), day (k % DAYS) and k = n / C / DAYS, the 0-based number within
    // that commune's day: (commune, day, seq) is unique and each (commune, day) gets 1..m
    // without gaps, in submission-time order (the minute of day grows with k).
    let per_day = (count + communes_n * DAYS - 1) / (communes_n * DAYS);
    let mut start = 0i64;
    while start < count {
        let end = (start + chunk).min(count);
        let sql = chunk_sql(
            pg,
            province,
            start,
            end,
            communes_n,
            per_day,
            cases.len() as i64,
            seed,
        );
        conn.batch_execute(&sql).map_err(err)?;
        progress(end);
        start = end;
    }
    conn.batch_execute("DROP TABLE gen_slot; DROP TABLE gen_due")
        .map_err(err)?;
    // Continue the daily counters past the generated numbers.
    let counters = "INSERT INTO dossier_counters (commune_code, day, last_seq) \
         SELECT commune_code, {DAY}, MAX(CAST(substr(code, length(code) - 3, 4) AS INTEGER)) \
         FROM dossiers WHERE province_code = '{P}' GROUP BY commune_code, {DAY}";
    let day_expr = if pg {
        "CAST(submitted_at + interval '7 hours' AS date)"
    } else {
        "date(submitted_at, '+7 hours')"
    };
    conn.batch_execute(&counters.replace("{DAY}", day_expr).replace("{P}", province))
        .map_err(err)?;
    if pg {
        // Planner statistics now rather than whenever autovacuum gets to a million new rows.
        conn.batch_execute("ANALYZE dossiers; ANALYZE dossier_counters")
            .map_err(err)?;
    }
    let inserted = dossiers::table
        .filter(dossiers::province_code.eq(province))
        .count()
        .get_result(conn)
        .map_err(err)?;
    Ok(Generated {
        inserted,
        communes: communes_n,
    })
}

/// Every case of every active procedure's version in force, in a stable order.
fn catalog_cases(conn: &mut DbConn) -> Result<Vec<CaseRow>, String> {
    let rows: Vec<(String, String, String, String)> = procedures::table
        .inner_join(
            procedure_versions::table.on(procedure_versions::procedure_id.eq(procedures::id)),
        )
        .filter(procedures::active.eq(true))
        .filter(procedure_versions::effective_to.is_null())
        .order((procedures::code, procedure_versions::version_no))
        .select((
            procedures::id,
            procedures::code,
            procedure_versions::id,
            procedure_versions::cases,
        ))
        .load(conn)
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (procedure_id, procedure_code, version_id, cases_json) in rows {
        let cases: Vec<crate::domain::catalog::Case> =
            serde_json::from_str(&cases_json).map_err(|e| e.to_string())?;
        for c in cases {
            out.push(CaseRow {
                procedure_id: procedure_id.clone(),
                procedure_code: procedure_code.clone(),
                version_id: version_id.clone(),
                case_code: c.code,
                time: case_processing_time("", &c.processing_time),
            });
        }
    }
    Ok(out)
}

/// gen_slot(day, slot, yymmdd, at): the start of each hourly submission slot, `day` days
/// ago. gen_due(day, slot, pidx, …): for a dossier of case `pidx` received at that slot,
/// the calendar's due instant, the same after a past four-hour pause, and finish instants
/// on time and late (never in the future).
fn prepare_tables(conn: &mut DbConn, cases: &[CaseRow], now: DateTime<Utc>) -> Result<(), String> {
    let err = |e: diesel::result::Error| e.to_string();
    let calendar = load_calendar(conn).map_err(err)?;
    let temp = "TEMP TABLE";
    conn.batch_execute(&format!(
        "DROP TABLE IF EXISTS gen_slot; DROP TABLE IF EXISTS gen_due; \
         CREATE {temp} gen_slot (day BIGINT NOT NULL, slot BIGINT NOT NULL, yymmdd TEXT NOT NULL, at TIMESTAMP NOT NULL, PRIMARY KEY (day, slot)); \
         CREATE {temp} gen_due (day BIGINT NOT NULL, slot BIGINT NOT NULL, pidx BIGINT NOT NULL, due_at TIMESTAMP NOT NULL, \
           due_paused TIMESTAMP NOT NULL, fin_ok TIMESTAMP NOT NULL, fin_late TIMESTAMP NOT NULL, \
           proc_id TEXT NOT NULL, proc_code TEXT NOT NULL, version_id TEXT NOT NULL, case_code TEXT NOT NULL, \
           PRIMARY KEY (day, slot, pidx))"
    ))
    .map_err(err)?;
    let today = local_date(now);
    let nowd = now.naive_utc();
    let mut slots = Vec::new();
    let mut dues = Vec::new();
    for day in 1..=DAYS {
        let date = today - Duration::days(day);
        for slot in 0..SLOTS {
            let local =
                date.and_time(NaiveTime::MIN) + Duration::minutes(FIRST_LOCAL_MINUTE + slot * 60);
            let at = local - Duration::hours(7);
            slots.push(format!(
                "({day}, {slot}, '{}', {})",
                date.format("%y%m%d"),
                ts(at)
            ));
            let at_utc = at.and_utc();
            for (pidx, c) in cases.iter().enumerate() {
                let due = calendar.due(at_utc, &c.time).due_at;
                let due_paused = calendar.add_working_minutes(due, PAST_PAUSE_MINUTES);
                let due = due.naive_utc();
                // On time: halfway from the slot's last submission to the deadline, at
                // least an hour before now. Late: two days after the deadline.
                let earliest = at + Duration::minutes(59);
                let fin_ok = (earliest + (due - earliest) / 2)
                    .min(nowd - Duration::hours(1))
                    .max(earliest);
                let fin_late = (due + Duration::days(2)).min(nowd).max(earliest);
                dues.push(format!(
                    "({day}, {slot}, {pidx}, {}, {}, {}, {}, {}, {}, {}, {})",
                    ts(due),
                    ts(due_paused.naive_utc()),
                    ts(fin_ok),
                    ts(fin_late),
                    lit(&c.procedure_id),
                    lit(&c.procedure_code),
                    lit(&c.version_id),
                    lit(&c.case_code)
                ));
            }
        }
    }
    for (table, rows) in [("gen_slot", slots), ("gen_due", dues)] {
        for part in rows.chunks(1000) {
            conn.batch_execute(&format!("INSERT INTO {table} VALUES {}", part.join(",")))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The lifecycle JSON the intake and transitions would have stored, per status and number
/// of supplement requests, as a SQL CASE over `status` and `sr`.
fn lifecycle_case() -> String {
    let mut arms = String::new();
    for status in Status::ALL {
        for sr in 0..=2u32 {
            let state = LifecycleState {
                status,
                step: ProcessingStep::Unassigned,
                supplement_requests: sr,
                return_status_after_supplement: (status == Status::SupplementRequested)
                    .then_some(Status::Processing),
                status_before_withdrawal: (status == Status::WithdrawalRequested)
                    .then_some(Status::Processing),
                apologies: 0,
                certification_extended: false,
            };
            let rec = LifecycleRecord {
                state,
                components: Vec::new(),
                applicant_contact: None,
                promised_due_date: None,
                delivery: None,
                returned_at: None,
                supplement: None,
                late_apology: false,
                certification_extension: None,
            };
            let json = serde_json::to_string(&rec).expect("lifecycle serializes");
            arms.push_str(&format!(
                "WHEN status = '{}' AND sr = {sr} THEN {} ",
                status.as_str(),
                lit(&json)
            ));
        }
    }
    format!("CASE {arms}END")
}

fn status_case(table: &[(&str, i64)]) -> String {
    let mut s = String::from("CASE ");
    for (status, upto) in table {
        s.push_str(&format!("WHEN h < {upto} THEN '{status}' "));
    }
    s.push_str("END");
    s
}

#[allow(clippy::too_many_arguments)]
fn chunk_sql(
    pg: bool,
    province: &str,
    start: i64,
    end: i64,
    communes_n: i64,
    per_day: i64,
    cases_n: i64,
    seed: u64,
) -> String {
    let seed = (seed % 1_000_003) as i64;
    let numbers = if pg {
        format!(
            "SELECT generate_series({start}::bigint, {}::bigint) AS n",
            end - 1
        )
    } else {
        format!("SELECT n FROM (WITH RECURSIVE s(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {end}) SELECT n FROM s)")
    };
    let minutes = |base: &str, m: &str| {
        if pg {
            format!("({base} + ({m}) * interval '1 minute')")
        } else {
            format!("datetime({base}, '+' || ({m}) || ' minutes')")
        }
    };
    let lpad = if pg {
        "lpad(seq::text, 4, '0')"
    } else {
        "substr('0000' || seq, -4, 4)"
    };
    let submitted = minutes("s.at", "mod_");
    let paused = minutes(&submitted, "30");
    let recent = status_case(&RECENT);
    let old = status_case(&OLD);
    let lifecycle = lifecycle_case();
    format!(
        "INSERT INTO dossiers (id, code, commune_code, province_code, procedure_id, procedure_code, \
           procedure_version_id, case_code, channel, status, applicant_type, applicant_name, applicant_id_number, \
           applicant_contact, search_key, summary, owner_user_id, assignee_id, submitted_at, received_at, due_at, paused_at, \
           paused_minutes, finished_at, supplement_requests, extensions, lifecycle, lookup_pin, version, created_at, updated_at) \
         WITH nums AS ({numbers}), \
         cs AS (SELECT code AS c, COALESCE(agency_code, 'H' || province_code || '.' || code) AS agency, \
                ROW_NUMBER() OVER (ORDER BY code) - 1 AS idx FROM communes WHERE province_code = '{province}'), \
         k_ AS (SELECT n, (n / {communes_n}) % {DAYS} + 1 AS day, (n / {communes_n}) / {DAYS} AS k, \
                (n * 2654435761 + {seed}) % 1000 AS h, (n / 7 + {seed}) % {cases_n} AS pidx FROM nums), \
         m_ AS (SELECT n, day, k + 1 AS seq, h, pidx, (k * {SPREAD_MINUTES}) / {per_day} AS minute_of_day, \
                CASE WHEN day <= {RECENT_DAYS} THEN {recent} ELSE {old} END AS status FROM k_), \
         rows_ AS (SELECT m_.*, minute_of_day / 60 AS slot, minute_of_day % 60 AS mod_, \
                   CASE WHEN n % 7 = 0 AND status <> 'submitted' THEN 1 ELSE 0 END AS past_pause, \
                   (CASE WHEN n % 7 = 0 AND status <> 'submitted' THEN 1 ELSE 0 END) \
                     + (CASE WHEN status = 'supplement_requested' THEN 1 ELSE 0 END) AS sr \
                   FROM m_) \
         SELECT \
         'gen-{seed}-' || n, agency || '-' || s.yymmdd || '-' || {lpad}, c, '{province}', g.proc_id, g.proc_code, g.version_id, g.case_code, \
         CASE WHEN status = 'submitted' THEN 'online' WHEN n % 10 < 6 THEN 'counter' WHEN n % 10 < 9 THEN 'online' ELSE 'post' END, status, \
         'citizen', 'Người dân ' || n, '025' || substr('000000000' || (n % 1000000000), -9, 9), \
         '{{\"phone\":\"0912345678\",\"address\":\"Phú Thọ\"}}', 'nguoi dan ' || n || ' ' || lower(agency || '-' || s.yymmdd || '-' || {lpad}), '', NULL, NULL, \
         {submitted}, CASE WHEN status = 'submitted' THEN NULL ELSE {submitted} END, \
         CASE WHEN status = 'submitted' THEN NULL WHEN past_pause = 1 THEN g.due_paused ELSE g.due_at END, \
         CASE WHEN status = 'supplement_requested' THEN {paused} ELSE NULL END, \
         past_pause * {PAST_PAUSE_MINUTES}, \
         CASE WHEN status IN {FINISHED} THEN (CASE WHEN n % 20 = 0 THEN g.fin_late ELSE g.fin_ok END) ELSE NULL END, \
         sr, 0, {lifecycle}, \
         substr('00000000' || ((n * 7919 + {seed} * 104729) % 100000000), -8, 8), 1, {submitted}, {submitted} \
         FROM rows_ JOIN cs ON cs.idx = n % {communes_n} \
         JOIN gen_slot s ON s.day = rows_.day AND s.slot = rows_.slot \
         JOIN gen_due g ON g.day = rows_.day AND g.slot = rows_.slot AND g.pidx = rows_.pidx"
    )
}

/// `motcua generate-dossiers`: `generate` with progress on standard error, then the
/// indicator aggregates (the bulk insert bypasses the per-dossier refresh).
pub fn run(
    conn: &mut DbConn,
    province: &str,
    count: i64,
    chunk: i64,
    seed: u64,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let report = generate(conn, province, count, chunk.max(1), seed, |done| {
        eprintln!(
            "{done}/{count} dossiers ({:.0}/s)",
            done as f64 / started.elapsed().as_secs_f64()
        );
    })?;
    log::info!(
        "{} dossiers across {} communes of province {province} in {:.1} s",
        report.inserted,
        report.communes,
        started.elapsed().as_secs_f64()
    );
    super::rebuild_indicators(conn)
}
