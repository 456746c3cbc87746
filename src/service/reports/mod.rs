//! Indicator reports (Decision 766/QĐ-TTg) per commune and per province, with the ranking
//! of a province's communes. Read from the aggregates kept by `db::models::indicator`,
//! never by scanning every dossier.

mod behind;

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::access::{self, Place, Resource};
use crate::auth::Principal;
use crate::db::models::indicator::{self as agg, GroupBy, KeyedCounters, Scope};
use crate::db::models::registry::{Commune, Province};
use crate::db::schema::communes;
use crate::db::DbConn;
use crate::domain::calendar::{from_local, today};
use crate::domain::indicators::{
    group_scores, indicators, round2, Counters, GroupScore, Indicator, OpenSplit, Period,
    PeriodKind,
};
use crate::error::{ApiError, ApiResult};

pub use behind::*;

/// Longest custom range (about ten years): bounds the work of one request.
pub const MAX_DAYS: i64 = 3_700;

#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Breakdown {
    Procedure,
    Channel,
}

/// The period of a report: `from` and `to` (a custom range), or `period` (default a month)
/// with a `date` inside it (default today). At most `MAX_DAYS` days.
pub fn resolve_period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    period: Option<PeriodKind>,
    date: Option<NaiveDate>,
) -> ApiResult<Period> {
    let p = match (from, to) {
        (Some(from), Some(to)) => {
            if period.is_some() || date.is_some() {
                return Err(ApiError::bad_request(
                    "report.period_conflict",
                    "Dùng `from`/`to` hoặc `period`/`date`, không dùng cả hai.",
                    "Give `from`/`to` or `period`/`date`, not both.",
                ));
            }
            Period { from, to }
        }
        (None, None) => Period::containing(
            period.unwrap_or(PeriodKind::Month),
            date.unwrap_or_else(today),
        ),
        _ => {
            return Err(ApiError::bad_request(
                "report.period_incomplete",
                "Khoảng tuỳ chọn cần cả `from` và `to`.",
                "A custom range needs both `from` and `to`.",
            ))
        }
    };
    if p.to < p.from {
        return Err(ApiError::invalid_field(
            "to",
            "`to` trước `from`.",
            "`to` is before `from`.",
        ));
    }
    if p.days() > MAX_DAYS {
        return Err(ApiError::invalid_field(
            "from",
            format!("Khoảng báo cáo dài tối đa {MAX_DAYS} ngày."),
            format!("A report covers at most {MAX_DAYS} days."),
        ));
    }
    Ok(p)
}

/// UTC instants of the period's first moment and of the moment after it.
fn bounds(p: &Period) -> (NaiveDateTime, NaiveDateTime) {
    let start = |d: NaiveDate| {
        from_local(d.and_hms_opt(0, 0, 0).expect("midnight"))
            .map(|t| t.naive_utc())
            .unwrap_or_default()
    };
    (start(p.from), start(p.to + Duration::days(1)))
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Unit {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Score {
    /// Points of the measured indicators.
    pub points: f64,
    /// Maximum of the indicators motcua measures (of 100).
    pub measured_max: f64,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct KeyedRow {
    /// Procedure code or channel.
    pub key: String,
    pub counters: Counters,
}

/// A report of one commune or one province.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Report {
    /// `commune` or `province`.
    pub scope: &'static str,
    pub unit: Unit,
    /// Province of a commune report.
    pub province: Option<Unit>,
    pub period: Period,
    /// Open dossiers are split into on time / overdue at this instant: the period end, or
    /// now if earlier.
    pub as_of: chrono::DateTime<Utc>,
    /// The cohort of the period: dossiers received (or, never received, submitted) in it.
    pub counters: Counters,
    pub open: OpenSplit,
    pub indicators: Vec<Indicator>,
    pub groups: Vec<GroupScore>,
    pub score: Score,
    /// With `by`: the counters per procedure or channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Vec<KeyedRow>>,
    /// Province reports: every commune of the province, best score first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<RankedCommune>>,
    /// Province reports: how many communes the province has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communes: Option<usize>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RankedCommune {
    /// 1 = best; equal points share a rank.
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub points: f64,
    pub measured_max: f64,
    pub received: i64,
    /// 766 2.1 rate (0..1), `null` without received dossiers.
    pub on_time_rate: Option<f64>,
    pub open_overdue: i64,
    pub groups: Vec<GroupScore>,
    pub counters: Counters,
}

fn score(groups: &[GroupScore]) -> Score {
    Score {
        points: round2(groups.iter().map(|g| g.points).sum()),
        measured_max: groups.iter().map(|g| g.measured_max).sum(),
    }
}

fn commune_in_scope(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Commune> {
    Commune::find(conn, code)?
        .filter(|c| {
            access::may_see(
                p,
                Resource::CommuneBoard,
                Place::commune(&c.code, &c.province_code),
            )
        })
        .ok_or_else(|| ApiError::not_found("xã", "Commune"))
}

fn province_in_scope(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Province> {
    Province::find(conn, code)?
        .filter(|pv| access::may_see(p, Resource::ProvinceBoard, Place::province(&pv.code)))
        .ok_or_else(|| ApiError::not_found("tỉnh", "Province"))
}

fn as_of(end: NaiveDateTime) -> NaiveDateTime {
    end.min(crate::clock::now().naive_utc())
}

fn breakdown(
    conn: &mut DbConn,
    scope: Scope,
    by: Option<Breakdown>,
    p: &Period,
) -> ApiResult<Option<Vec<KeyedRow>>> {
    let Some(by) = by else { return Ok(None) };
    let group = match by {
        Breakdown::Procedure => GroupBy::Procedure,
        Breakdown::Channel => GroupBy::Channel,
    };
    Ok(Some(
        agg::counters_by(conn, scope, group, p.from, p.to)?
            .into_iter()
            .map(|k| KeyedRow {
                key: k.key,
                counters: k.counters,
            })
            .collect(),
    ))
}

fn sum(rows: &[KeyedCounters]) -> Counters {
    let mut c = Counters::default();
    for r in rows {
        c.add(&r.counters);
    }
    c
}

/// The open split of one commune (`Some`) or of all rows.
fn split(rows: &[agg::OpenCount], commune: Option<&str>) -> OpenSplit {
    let mut s = OpenSplit::default();
    for r in rows
        .iter()
        .filter(|r| commune.is_none_or(|c| r.commune_code == c))
    {
        s.open_on_time += r.open - r.overdue;
        s.open_overdue += r.overdue;
    }
    s
}

/// The report of commune `code`, if the caller may read it (404 otherwise).
pub fn commune(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    period: &Period,
    by: Option<Breakdown>,
) -> ApiResult<Report> {
    let commune = commune_in_scope(conn, p, code)?;
    commune_report(conn, &commune, period, by)
}

/// The report of province `code` with the ranking of its communes, if the caller may read
/// it (404 otherwise).
pub fn province(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    period: &Period,
    by: Option<Breakdown>,
) -> ApiResult<Report> {
    let province = province_in_scope(conn, p, code)?;
    province_report(conn, &province, period, by)
}

fn commune_report(
    conn: &mut DbConn,
    commune: &Commune,
    p: &Period,
    by: Option<Breakdown>,
) -> ApiResult<Report> {
    let scope = Scope::Commune(&commune.code);
    let (start, end) = bounds(p);
    let at = as_of(end);
    let counters = sum(&agg::counters_by_commune(conn, scope, p.from, p.to)?);
    let open = split(&agg::open_counts(conn, scope, start, end, at)?, None);
    let certified =
        agg::certifications_by_commune(conn, std::slice::from_ref(&commune.code), start, end)?
            .first()
            .map_or(0, |r| r.1);
    let ind = indicators(&counters, &open, certified);
    let groups = group_scores(&ind);
    let province = Province::find(conn, &commune.province_code)?.map(|pr| Unit {
        code: pr.code,
        name: pr.name,
    });
    Ok(Report {
        scope: "commune",
        unit: Unit {
            code: commune.code.clone(),
            name: commune.name.clone(),
        },
        province,
        period: *p,
        as_of: at.and_utc(),
        counters,
        open,
        score: score(&groups),
        indicators: ind,
        groups,
        breakdown: breakdown(conn, scope, by, p)?,
        ranking: None,
        communes: None,
    })
}

fn province_report(
    conn: &mut DbConn,
    province: &Province,
    p: &Period,
    by: Option<Breakdown>,
) -> ApiResult<Report> {
    let scope = Scope::Province(&province.code);
    let (start, end) = bounds(p);
    let at = as_of(end);
    let names: Vec<(String, String)> = communes::table
        .filter(communes::province_code.eq(&province.code))
        .select((communes::code, communes::name))
        .order(communes::code.asc())
        .load(conn)?;
    let rows = agg::counters_by_commune(conn, scope, p.from, p.to)?;
    let open_rows = agg::open_counts(conn, scope, start, end, at)?;
    let codes: Vec<String> = names.iter().map(|n| n.0.clone()).collect();
    let certified = agg::certifications_by_commune(conn, &codes, start, end)?;
    let mut ranking: Vec<RankedCommune> = names
        .into_iter()
        .map(|(code, name)| {
            let counters = rows
                .iter()
                .find(|r| r.key == code)
                .map(|r| r.counters)
                .unwrap_or_default();
            let open = split(&open_rows, Some(&code));
            let certs = certified.iter().find(|c| c.0 == code).map_or(0, |c| c.1);
            let ind = indicators(&counters, &open, certs);
            let groups = group_scores(&ind);
            let s = score(&groups);
            RankedCommune {
                rank: 0,
                on_time_rate: ind.iter().find(|i| i.code == "2.1").and_then(|i| i.rate),
                code,
                name,
                points: s.points,
                measured_max: s.measured_max,
                received: counters.received,
                open_overdue: open.open_overdue,
                groups,
                counters,
            }
        })
        .collect();
    rank(&mut ranking);
    let counters = sum(&rows);
    let open = split(&open_rows, None);
    // The province offers electronic certification where any of its communes does.
    let ind = indicators(&counters, &open, certified.iter().map(|c| c.1).sum());
    let groups = group_scores(&ind);
    Ok(Report {
        scope: "province",
        unit: Unit {
            code: province.code.clone(),
            name: province.name.clone(),
        },
        province: None,
        period: *p,
        as_of: at.and_utc(),
        counters,
        open,
        score: score(&groups),
        indicators: ind,
        groups,
        breakdown: breakdown(conn, scope, by, p)?,
        communes: Some(ranking.len()),
        ranking: Some(ranking),
    })
}

/// Orders communes best first (by points, then by code) and numbers them: equal points
/// share a rank, and the next distinct score takes its position (1, 1, 3).
pub fn rank(ranking: &mut [RankedCommune]) {
    ranking.sort_by(|a, b| b.points.total_cmp(&a.points).then(a.code.cmp(&b.code)));
    for i in 0..ranking.len() {
        ranking[i].rank = if i > 0 && ranking[i].points == ranking[i - 1].points {
            ranking[i - 1].rank
        } else {
            i + 1
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commune(code: &str, points: f64) -> RankedCommune {
        RankedCommune {
            rank: 0,
            code: code.into(),
            name: code.into(),
            points,
            measured_max: 64.0,
            received: 0,
            on_time_rate: None,
            open_overdue: 0,
            groups: Vec::new(),
            counters: Counters::default(),
        }
    }

    fn ranks(r: &[RankedCommune]) -> Vec<(&str, usize)> {
        r.iter().map(|c| (c.code.as_str(), c.rank)).collect()
    }

    #[test]
    fn best_points_first_and_equal_points_share_a_rank() {
        let mut r = vec![
            commune("04990", 5.0),
            commune("04978", 7.5),
            commune("04981", 5.0),
            commune("04975", 9.0),
        ];
        rank(&mut r);
        assert_eq!(
            ranks(&r),
            [("04975", 1), ("04978", 2), ("04981", 3), ("04990", 3)]
        );
    }

    #[test]
    fn after_a_tie_the_next_rank_is_the_position() {
        let mut r = vec![
            commune("b", 10.0),
            commune("a", 10.0),
            commune("c", 2.0),
            commune("d", 0.0),
        ];
        rank(&mut r);
        assert_eq!(ranks(&r), [("a", 1), ("b", 1), ("c", 3), ("d", 4)]);
    }

    #[test]
    fn nothing_to_rank() {
        let mut r: Vec<RankedCommune> = Vec::new();
        rank(&mut r);
        assert!(r.is_empty());
    }

    /// A migrated SQLite database in a temporary directory with province 25's registry.
    fn sqlite() -> (tempfile::TempDir, crate::db::DbPool) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("reports.db").display());
        let pool = crate::db::build_pool(&url, 1, std::time::Duration::from_secs(5));
        let mut conn = pool.get().expect("connection");
        conn.apply_migrations().expect("migrations");
        crate::cli::seed::seed_registry_of(&mut conn, Some(&["25"])).expect("registry");
        (dir, pool)
    }

    /// Puts the cohort counters of one commune and day straight into the daily rollup.
    fn counters(conn: &mut DbConn, commune: &str, day: NaiveDate, cols: &[(&str, i64)]) {
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let values: Vec<String> = cols.iter().map(|c| c.1.to_string()).collect();
        diesel::sql_query(format!(
            "INSERT INTO indicator_daily (commune_code, day, province_code, {}) \
             VALUES ('{commune}', '{day}', '25', {})",
            names.join(", "),
            values.join(", ")
        ))
        .execute(conn)
        .expect("insert counters");
    }

    #[test]
    fn province_ranking_from_the_aggregates() {
        let (_dir, pool) = sqlite();
        let mut conn = pool.get().expect("connection");
        let conn = &mut *conn;
        let codes: Vec<String> = communes::table
            .filter(communes::province_code.eq("25"))
            .select(communes::code)
            .order(communes::code)
            .load(conn)
            .expect("communes");
        assert!(codes.len() > 3, "province 25 is seeded");
        let day = NaiveDate::from_ymd_opt(2025, 9, 15).unwrap();
        let (good, late) = (&codes[2], &codes[0]);
        // Every dossier of `good` finished on time and synced; `late` finished all late.
        counters(
            conn,
            good,
            day,
            &[
                ("received", 10),
                ("finished_on_time", 10),
                ("resolved", 10),
                ("synced", 10),
            ],
        );
        counters(
            conn,
            late,
            day,
            &[("received", 10), ("finished_late", 10), ("resolved", 10)],
        );
        let province = Province::find(conn, "25").unwrap().unwrap();
        let period = Period { from: day, to: day };
        let report = province_report(conn, &province, &period, None).expect("report");
        let ranking = report.ranking.expect("a province report ranks");
        assert_eq!(report.communes, Some(codes.len()));
        assert_eq!(ranking.len(), codes.len());
        assert_eq!(
            (ranking[0].code.as_str(), ranking[0].rank),
            (good.as_str(), 1)
        );
        assert!(ranking[0].points > ranking[1].points, "alone at the top");
        assert_eq!(ranking[0].on_time_rate, Some(1.0));
        assert_eq!(ranking[0].received, 10);
        let late_row = ranking.iter().find(|c| &c.code == late).unwrap();
        assert_eq!(late_row.on_time_rate, Some(0.0));
        assert!(late_row.points < ranking[0].points);
        // Ranks follow the points: equal points share a rank, the next is the position.
        for i in 1..ranking.len() {
            assert!(ranking[i].points <= ranking[i - 1].points);
            let expected = if ranking[i].points == ranking[i - 1].points {
                ranking[i - 1].rank
            } else {
                i + 1
            };
            assert_eq!(ranking[i].rank, expected, "{}", ranking[i].code);
        }
        // The province sums its communes.
        assert_eq!(report.counters.received, 20);
        assert_eq!(report.counters.finished_on_time, 10);
        assert_eq!(report.counters.finished_late, 10);
    }
}
