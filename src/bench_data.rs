//! Synthetic dossiers for benchmarks: `motcua generate-dossiers --count N`.
//!
//! Inserts N dossiers across every commune of a province in one set-based statement per
//! chunk (generate_series on PostgreSQL, a recursive CTE on SQLite), so a million rows load in
//! seconds to minutes rather than hours. The data has the shape the indexes and reports
//! see in production: every status in realistic proportions, two years of submissions,
//! counter/online/post channels, due dates, finished and overdue dossiers, and codes that
//! are unique and gapless per commune and day, with `dossier_counters` continued so that
//! real intakes afterwards keep numbering correctly.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::schema::{commune_procedures, communes, dossiers};
use crate::db::DbConn;

/// Status by `n % 100`: mostly returned, a realistic tail of every other status.
const STATUS_CASE: &str = "CASE \
    WHEN n % 100 < 55 THEN 'returned' WHEN n % 100 < 63 THEN 'result_ready' \
    WHEN n % 100 < 78 THEN 'processing' WHEN n % 100 < 83 THEN 'received' \
    WHEN n % 100 < 86 THEN 'supplement_requested' WHEN n % 100 < 88 THEN 'awaiting_payment' \
    WHEN n % 100 < 91 THEN 'submitted' WHEN n % 100 < 94 THEN 'refused' \
    WHEN n % 100 < 97 THEN 'stopped' ELSE 'withdrawal_requested' END";

pub struct Generated {
    pub inserted: i64,
    pub communes: i64,
}

/// Publishes every catalog procedure in every commune of the province, then inserts
/// `count` dossiers (the dossiers table must hold none of this province yet).
pub fn generate(
    conn: &mut DbConn,
    province: &str,
    count: i64,
    chunk: i64,
    progress: impl Fn(i64),
) -> Result<Generated, String> {
    let err = |e: diesel::result::Error| e.to_string();
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
    let procedures: i64 = commune_procedures::table
        .count()
        .get_result(conn)
        .map_err(err)?;
    if procedures == 0 {
        return Err("the catalog is empty: run `motcua seed` first".into());
    }

    // n → commune (n % C), day offset and daily sequence: (commune, day, seq) is unique and
    // each (commune, day) gets 1..k without gaps.
    let pg = matches!(conn, DbConn::Pg(_));
    let mut start = 0i64;
    while start < count {
        let end = (start + chunk).min(count);
        let sql = if pg {
            pg_chunk(province, start, end, communes_n)
        } else {
            sqlite_chunk(province, start, end, communes_n)
        };
        conn.batch_execute(&sql).map_err(err)?;
        progress(end);
        start = end;
    }
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

/// Columns every generated row gets, in terms of: n, c (commune code), agency, day (offset
/// in days back from today), seq, status, proc (procedure id, version id, code).
fn select_list(pg: bool) -> String {
    let ts = |days: &str, extra_minutes: &str| {
        if pg {
            format!("(date_trunc('day', now() AT TIME ZONE 'UTC') - ({days}) * interval '1 day' + interval '1 hour' + ({extra_minutes}) * interval '1 minute')")
        } else {
            format!("datetime('now', 'start of day', (60 - ({days}) * 1440 + ({extra_minutes})) || ' minutes')")
        }
    };
    let yymmdd = if pg {
        "to_char(date_trunc('day', now() AT TIME ZONE 'UTC') - day * interval '1 day', 'YYMMDD')"
            .to_string()
    } else {
        "substr(strftime('%Y%m%d', 'now', '-' || day || ' days'), 3, 6)".to_string()
    };
    let lpad = if pg {
        "lpad(seq::text, 4, '0')".to_string()
    } else {
        "substr('0000' || seq, -4, 4)".to_string()
    };
    let submitted = ts("day", "(n % 480)");
    let due = ts("day - 3", "(n % 480)");
    let finished = ts("day - 2", "(n % 480)");
    let finished_late = ts("day - 5", "(n % 480)");
    let is_finished = "status IN ('returned','result_ready','refused','stopped')";
    format!(
        "SELECT \
         'gen-' || n, agency || '-' || {yymmdd} || '-' || {lpad}, c, '{{P}}', proc_id, proc_code, version_id, 'default', \
         CASE WHEN n % 10 < 6 THEN 'counter' WHEN n % 10 < 9 THEN 'online' ELSE 'post' END, status, \
         'citizen', 'Người dân ' || n, '025' || substr('000000000' || (n % 1000000000), -9, 9), \
         '{{\"phone\":\"0912345678\",\"address\":\"Phú Thọ\"}}', 'nguoi dan ' || n, '', NULL, NULL, \
         {submitted}, CASE WHEN status = 'submitted' THEN NULL ELSE {submitted} END, \
         CASE WHEN status = 'submitted' THEN NULL ELSE {due} END, \
         CASE WHEN status = 'supplement_requested' THEN {submitted} ELSE NULL END, \
         CASE WHEN n % 7 = 0 THEN 240 ELSE 0 END, \
         CASE WHEN {is_finished} THEN (CASE WHEN n % 20 = 0 THEN {finished_late} ELSE {finished} END) ELSE NULL END, \
         CASE WHEN n % 7 = 0 THEN 1 ELSE 0 END, 0, \
         '{{\"state\":{{\"status\":\"' || status || '\",\"step\":\"unassigned\",\"supplement_requests\":' || (CASE WHEN n % 7 = 0 THEN 1 ELSE 0 END) || '}},\"components\":[]}}', \
         substr('00000000' || ((n * 7919) % 100000000), -8, 8), 1, {submitted}, {submitted} \
         FROM rows_"
    )
}

const INSERT_COLUMNS: &str = "INSERT INTO dossiers (id, code, commune_code, province_code, procedure_id, procedure_code, \
    procedure_version_id, case_code, channel, status, applicant_type, applicant_name, applicant_id_number, \
    applicant_contact, search_key, summary, owner_user_id, assignee_id, submitted_at, received_at, due_at, paused_at, \
    paused_minutes, finished_at, supplement_requests, extensions, lifecycle, lookup_pin, version, created_at, updated_at) ";

/// The rows of numbers start..end joined with their commune and a published procedure.
fn source(pg: bool, start: i64, end: i64, communes_n: i64) -> String {
    let numbers = if pg {
        format!(
            "SELECT generate_series({start}::bigint, {}::bigint) AS n",
            end - 1
        )
    } else {
        format!("SELECT n FROM (WITH RECURSIVE s(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {end}) SELECT n FROM s)")
    };
    format!(
        "WITH nums AS ({numbers}), \
         cs AS (SELECT code AS c, COALESCE(agency_code, 'H' || province_code || '.' || code) AS agency, \
                ROW_NUMBER() OVER (ORDER BY code) - 1 AS idx FROM communes WHERE province_code = '{{P}}'), \
         ps AS (SELECT p.id AS proc_id, p.code AS proc_code, v.id AS version_id, \
                ROW_NUMBER() OVER (ORDER BY p.code) - 1 AS pidx FROM procedures p \
                JOIN procedure_versions v ON v.procedure_id = p.id AND v.effective_to IS NULL), \
         pn AS (SELECT COUNT(*) AS k FROM ps), \
         rows_ AS (SELECT n, c, agency, (n / {communes_n}) % 730 AS day, (n / {communes_n}) / 730 + 1 AS seq, \
                   proc_id, proc_code, version_id, {STATUS_CASE} AS status \
                   FROM nums JOIN cs ON cs.idx = n % {communes_n} CROSS JOIN pn JOIN ps ON ps.pidx = n % pn.k) \
         "
    )
}

fn pg_chunk(province: &str, start: i64, end: i64, communes_n: i64) -> String {
    format!(
        "{INSERT_COLUMNS}{} {} ",
        source(true, start, end, communes_n),
        select_list(true)
    )
    .replace("{P}", province)
}

fn sqlite_chunk(province: &str, start: i64, end: i64, communes_n: i64) -> String {
    format!(
        "{INSERT_COLUMNS}{} {} ",
        source(false, start, end, communes_n),
        select_list(false)
    )
    .replace("{P}", province)
}
