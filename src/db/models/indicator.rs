//! Indicator aggregates: per-dossier facts and per-commune daily sums, kept in step with
//! the dossiers in the same transaction, and the reads the reports make of them.
//!
//! `refresh` is the only writer on the hot path. It reads what the dossier's facts depend
//! on from the raw tables (one statement), compares with the stored facts and adds the
//! difference to the daily sums with an upsert (`x = x + excluded.x`), so concurrent
//! transactions on different dossiers of one commune and day add up instead of
//! overwriting each other. Every change of a dossier appends a history event, and
//! `service::events::append` calls `refresh`; the few changes that append none (rating,
//! digitization review, portal delivery) call it themselves.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::connection::SimpleConnection;
use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::prelude::*;
use diesel::row::NamedRow;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text, Timestamp};

use crate::db::models::dossier::Dossier;
use crate::db::schema::{certifications, dossiers};
use crate::db::DbConn;
use crate::domain::indicators::{cohort_day, facts, open_overdue, Counters, FactInputs};

/// The dossier facts a row of `dossier_facts` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub commune_code: String,
    pub province_code: String,
    pub day: NaiveDate,
    pub procedure_code: String,
    pub channel: String,
    pub counters: Counters,
}

/// Counters read by column name (`Counters::NAMES`), for any backend.
pub struct CounterRow(pub Counters);

impl<DB: Backend> QueryableByName<DB> for CounterRow
where
    i64: FromSql<BigInt, DB>,
{
    fn build<'a>(row: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        let mut values = Vec::with_capacity(Counters::NAMES.len());
        for name in Counters::NAMES {
            values.push(NamedRow::get::<BigInt, i64>(row, name)?);
        }
        Ok(CounterRow(Counters::from_values(&values)))
    }
}

/// Counters grouped by one text column (`key`).
pub struct KeyedCounters {
    pub key: String,
    pub counters: Counters,
}

impl<DB: Backend> QueryableByName<DB> for KeyedCounters
where
    i64: FromSql<BigInt, DB>,
    String: FromSql<Text, DB>,
{
    fn build<'a>(row: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        Ok(KeyedCounters {
            key: NamedRow::get::<Text, String>(row, "key")?,
            counters: CounterRow::build(row)?.0,
        })
    }
}

impl<DB: Backend> QueryableByName<DB> for Fact
where
    i64: FromSql<BigInt, DB>,
    String: FromSql<Text, DB>,
    NaiveDate: FromSql<Date, DB>,
{
    fn build<'a>(row: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        Ok(Fact {
            commune_code: NamedRow::get::<Text, String>(row, "commune_code")?,
            province_code: NamedRow::get::<Text, String>(row, "province_code")?,
            day: NamedRow::get::<Date, NaiveDate>(row, "day")?,
            procedure_code: NamedRow::get::<Text, String>(row, "procedure_code")?,
            channel: NamedRow::get::<Text, String>(row, "channel")?,
            counters: CounterRow::build(row)?.0,
        })
    }
}

/// The facts stored for a dossier before this refresh, read in the same statement as its
/// inputs (columns `old_*` of a LEFT JOIN; absent for a new dossier).
struct OldFact(Option<Fact>);

impl<DB: Backend> QueryableByName<DB> for OldFact
where
    i64: FromSql<BigInt, DB>,
    String: FromSql<Text, DB>,
    NaiveDate: FromSql<Date, DB>,
    Option<String>: FromSql<Nullable<Text>, DB>,
{
    fn build<'a>(row: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        let Some(commune_code) =
            NamedRow::get::<Nullable<Text>, Option<String>>(row, "old_commune_code")?
        else {
            return Ok(OldFact(None));
        };
        let mut values = Vec::with_capacity(Counters::NAMES.len());
        for name in Counters::NAMES {
            values.push(NamedRow::get::<BigInt, i64>(row, &format!("old_{name}"))?);
        }
        Ok(OldFact(Some(Fact {
            commune_code,
            province_code: NamedRow::get::<Text, String>(row, "old_province_code")?,
            day: NamedRow::get::<Date, NaiveDate>(row, "old_day")?,
            procedure_code: NamedRow::get::<Text, String>(row, "old_procedure_code")?,
            channel: NamedRow::get::<Text, String>(row, "old_channel")?,
            counters: Counters::from_values(&values),
        })))
    }
}

#[derive(QueryableByName)]
struct InputRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    commune_code: String,
    #[diesel(sql_type = Text)]
    province_code: String,
    #[diesel(sql_type = Text)]
    procedure_code: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    lifecycle: String,
    #[diesel(sql_type = Timestamp)]
    submitted_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    received_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    due_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    finished_at: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    supplement_requests: i64,
    #[diesel(sql_type = BigInt)]
    extensions: i64,
    #[diesel(sql_type = BigInt)]
    components: i64,
    #[diesel(sql_type = BigInt)]
    components_digitized: i64,
    #[diesel(sql_type = BigInt)]
    components_reused: i64,
    #[diesel(sql_type = BigInt)]
    digital_results: i64,
    #[diesel(sql_type = BigInt)]
    fee_total: i64,
    #[diesel(sql_type = BigInt)]
    online_payments: i64,
    #[diesel(sql_type = Bool)]
    synced: bool,
    #[diesel(sql_type = Bool)]
    paper_result: bool,
    #[diesel(sql_type = Nullable<Text>)]
    rating: Option<String>,
    #[diesel(embed)]
    old: OldFact,
}

/// Only the part of the stored lifecycle JSON that tells a withdrawal from a stop.
#[derive(serde::Deserialize)]
struct LifecycleWithdrawal {
    state: WithdrawalState,
}

#[derive(serde::Deserialize)]
struct WithdrawalState {
    #[serde(default)]
    status_before_withdrawal: Option<String>,
}

impl InputRow {
    fn fact(&self) -> Fact {
        let withdrawn = serde_json::from_str::<LifecycleWithdrawal>(&self.lifecycle)
            .map(|l| l.state.status_before_withdrawal.is_some())
            .unwrap_or(false);
        let inputs = FactInputs {
            status: self.status.clone(),
            channel: self.channel.clone(),
            paper_result: self.paper_result,
            withdrawn,
            submitted_at: self.submitted_at,
            received_at: self.received_at,
            due_at: self.due_at,
            finished_at: self.finished_at,
            supplement_requests: self.supplement_requests,
            extensions: self.extensions,
            components: self.components,
            components_digitized: self.components_digitized,
            components_reused: self.components_reused,
            digital_results: self.digital_results,
            fee_total: self.fee_total,
            online_payments: self.online_payments,
            synced: self.synced,
            rating: self.rating.clone(),
        };
        Fact {
            commune_code: self.commune_code.clone(),
            province_code: self.province_code.clone(),
            day: cohort_day(&inputs),
            procedure_code: self.procedure_code.clone(),
            channel: self.channel.clone(),
            counters: facts(&inputs),
        }
    }
}

/// Placeholder `n` (1-based) in the connection's dialect.
fn ph(conn: &DbConn, n: usize) -> String {
    match conn {
        DbConn::Pg(_) => format!("${n}"),
        DbConn::Sqlite(_) => "?".into(),
    }
}

/// The raw inputs of every dossier's facts; `{where}` narrows it. `o.status || ''` keeps
/// SQLite (no statistics) off `portal_outbox_status_idx`, which walked every sent message
/// of the system per dossier: a backlog drain fell from 2,700 to under 100 messages/s. A
/// dossier has a handful of messages; its own index is the way in, on both backends.
fn inputs_sql(filter: &str) -> String {
    format!(
        "SELECT d.id, d.commune_code, d.province_code, d.procedure_code, d.channel, d.status, d.lifecycle, \
           d.submitted_at, d.received_at, d.due_at, d.finished_at, \
           CAST(d.supplement_requests AS BIGINT) AS supplement_requests, CAST(d.extensions AS BIGINT) AS extensions, \
           (SELECT COUNT(*) FROM dossier_attachments a WHERE a.dossier_id = d.id) AS components, \
           (SELECT COUNT(*) FROM dossier_attachments a WHERE a.dossier_id = d.id AND a.digitized_at_reception = TRUE \
              AND NOT EXISTS (SELECT 1 FROM digitization_records r WHERE r.dossier_id = d.id \
                              AND r.attachment_id = a.id AND r.status = 'rejected')) AS components_digitized, \
           (SELECT COUNT(*) FROM dossier_attachments a WHERE a.dossier_id = d.id AND a.source <> 'upload') AS components_reused, \
           (SELECT COUNT(*) FROM digital_results r WHERE r.dossier_id = d.id AND r.status <> 'revoked') AS digital_results, \
           COALESCE((SELECT f.total FROM fee_assessments f WHERE f.dossier_id = d.id), 0) AS fee_total, \
           (SELECT COUNT(*) FROM payments p WHERE p.dossier_id = d.id AND p.method = 'online' AND p.status = 'succeeded') AS online_payments, \
           EXISTS (SELECT 1 FROM portal_outbox o WHERE o.dossier_id = d.id AND o.service = '{service}' AND o.status || '' = 'sent') AS synced, \
           (SELECT g.rating FROM dossier_ratings g WHERE g.dossier_id = d.id) AS rating, \
           EXISTS (SELECT 1 FROM procedure_versions v WHERE v.id = d.procedure_version_id \
                   AND v.result_type IN ('paper', 'both')) AS paper_result, \
           f.commune_code AS old_commune_code, f.province_code AS old_province_code, f.day AS old_day, \
           f.procedure_code AS old_procedure_code, f.channel AS old_channel, {old} \
         FROM dossiers d LEFT JOIN dossier_facts f ON f.dossier_id = d.id {filter}",
        service = crate::db::models::dossier::PORTAL_DOSSIER_SERVICE,
        old = Counters::NAMES
            .iter()
            .map(|n| format!("f.{n} AS old_{n}"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn counter_columns() -> String {
    Counters::NAMES.join(", ")
}

fn counter_literals(c: &Counters) -> String {
    c.values()
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Recomputes one dossier's facts and moves the daily sums by the difference. Call it in
/// the transaction that changed the dossier.
pub fn refresh(conn: &mut DbConn, dossier_id: &str) -> QueryResult<()> {
    refresh_many(conn, &[dossier_id])
}

/// [`refresh`] for several dossiers in one transaction (the outbox marks a batch of
/// delivered messages, each making its dossier count as synced). Locks are taken in the one
/// order every refresh uses: the dossier rows by id, then the sums (months before days, by
/// commune and date), so two batches spanning the same communes cannot deadlock.
pub fn refresh_many(conn: &mut DbConn, dossier_ids: &[&str]) -> QueryResult<()> {
    let mut ids = dossier_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    // Refreshes of one dossier take turns on its row, so each reads the facts the previous
    // one stored and everything it committed (READ COMMITTED: a new snapshot per statement).
    // NO KEY UPDATE, the lock an UPDATE of the row takes: it does not wait for the key-share
    // locks that inserts referencing the dossier hold (payments, events), which would
    // deadlock with a transaction that holds such a lock and waits for this one. Rows are
    // locked in the order the sort returns them. SQLite has one writer at a time already.
    if let DbConn::Pg(_) = conn {
        if let [id] = ids.as_slice() {
            diesel::sql_query("SELECT id FROM dossiers WHERE id = $1 FOR NO KEY UPDATE")
                .bind::<Text, _>(*id)
                .execute(conn)?;
        } else {
            let list = ids.iter().map(|id| lit(id)).collect::<Vec<_>>().join(", ");
            diesel::sql_query(format!(
                "SELECT id FROM dossiers WHERE id IN ({list}) ORDER BY id FOR NO KEY UPDATE"
            ))
            .execute(conn)?;
        }
    }
    static INPUTS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = INPUTS.get_or_init(|| inputs_sql("WHERE d.id = "));
    let mut changed = Vec::new();
    for id in ids {
        let input = CachedById { sql, id }
            .get_result::<InputRow>(conn)
            .optional()?;
        if let Some(input) = input {
            let new = input.fact();
            if input.old.0.as_ref() != Some(&new) {
                changed.push((id, new, input.old.0));
            }
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let mut moves = Vec::new();
    for (_, new, old) in &changed {
        moves.push((new, new.counters));
        if let Some(o) = old {
            moves.push((o, Counters::default().minus(&o.counters)));
        }
    }
    // One round trip for every write. The values are the dossiers' own codes and numbers,
    // written as literals (quotes doubled).
    let mut statements = sum_statements(&moves);
    statements.extend(changed.iter().map(|(id, new, _)| upsert_fact_sql(id, new)));
    conn.batch_execute(&statements.join(";\n"))
}

/// A fixed statement ending in `= <the id>`, which (unlike `sql_query`) the connection may
/// keep prepared: planning the nine-subquery inputs read took longer than running it.
struct CachedById<'a> {
    /// Ends where the bound id goes.
    sql: &'a str,
    id: &'a str,
}

impl<DB> diesel::query_builder::QueryFragment<DB> for CachedById<'_>
where
    DB: Backend + diesel::sql_types::HasSqlType<Text>,
    str: diesel::serialize::ToSql<Text, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(self.sql);
        out.push_bind_param::<Text, str>(self.id)
    }
}

impl diesel::query_builder::QueryId for CachedById<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for CachedById<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> RunQueryDsl<Conn> for CachedById<'_> {}

/// The facts of a dossier that was just created, in its creation transaction, from the row
/// the caller inserted: nothing can refer to it yet (no attachments, results, payments,
/// delivered messages, rating or stored facts; the fee assessment, `fee_total`, is made
/// before the creation event), and no other transaction can see the row to lock it.
///
/// `result_type` is the procedure version's (766 3.3 and 4.1 need to know whether the
/// result is a paper document); intake has the version in hand and does not read it again.
pub fn record_new(
    conn: &mut DbConn,
    d: &Dossier,
    fee_total: i64,
    result_type: &str,
) -> QueryResult<()> {
    let paper_result = result_type == "paper" || result_type == "both";
    let inputs = FactInputs {
        status: d.status.to_string(),
        channel: d.channel.as_str().to_string(),
        paper_result,
        submitted_at: d.submitted_at,
        received_at: d.received_at,
        due_at: d.due_at,
        finished_at: d.finished_at,
        supplement_requests: i64::from(d.supplement_requests),
        extensions: i64::from(d.extensions),
        fee_total,
        ..Default::default()
    };
    let new = Fact {
        commune_code: d.commune_code.clone(),
        province_code: d.province_code.clone(),
        day: cohort_day(&inputs),
        procedure_code: d.procedure_code.clone(),
        channel: d.channel.as_str().to_string(),
        counters: facts(&inputs),
    };
    let mut statements = sum_statements(&[(&new, new.counters)]);
    statements.push(upsert_fact_sql(&d.id, &new));
    conn.batch_execute(&statements.join(";\n"))
}

/// Upserts adding `moves` (a key and a difference each) to the monthly, then the daily sums,
/// each in key order. Every transaction locks sum rows in this one order (months before
/// days, by commune and date), so two refreshes that move a dossier between days (reception
/// of an online filing) cannot deadlock with each other.
fn sum_statements(moves: &[(&Fact, Counters)]) -> Vec<String> {
    let mut out = Vec::new();
    for rollup in Rollup::ALL {
        let mut sums: std::collections::BTreeMap<(&str, NaiveDate), (&str, Counters)> =
            Default::default();
        for (key, delta) in moves {
            sums.entry((key.commune_code.as_str(), rollup.key(key.day)))
                .or_insert_with(|| (key.province_code.as_str(), Counters::default()))
                .1
                .add(delta);
        }
        let (table, column) = (rollup.table(), rollup.key_column());
        let updates = Counters::NAMES
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        for ((commune, date), (province, delta)) in sums {
            if delta.is_zero() {
                continue;
            }
            out.push(format!(
                "INSERT INTO {table} (commune_code, {column}, province_code, {}) VALUES ({}, '{}', {}, {}) \
                 ON CONFLICT (commune_code, {column}) DO UPDATE SET {updates}",
                counter_columns(),
                lit(commune),
                date.format("%Y-%m-%d"),
                lit(province),
                counter_literals(&delta),
            ));
        }
    }
    out
}

fn upsert_fact_sql(dossier_id: &str, f: &Fact) -> String {
    let updates = [
        "commune_code",
        "province_code",
        "day",
        "procedure_code",
        "channel",
    ]
    .iter()
    .chain(Counters::NAMES)
    .map(|c| format!("{c} = excluded.{c}"))
    .collect::<Vec<_>>()
    .join(", ");
    format!(
        "INSERT INTO dossier_facts (dossier_id, commune_code, province_code, day, procedure_code, channel, {}) \
         VALUES ({}, {}, {}, '{}', {}, {}, {}) ON CONFLICT (dossier_id) DO UPDATE SET {updates}",
        counter_columns(),
        lit(dossier_id),
        lit(&f.commune_code),
        lit(&f.province_code),
        f.day.format("%Y-%m-%d"),
        lit(&f.procedure_code),
        lit(&f.channel),
        counter_literals(&f.counters),
    )
}

/// The two sums the facts roll up into: per commune and day, and per commune and month
/// (a year of a province is 148 × 12 monthly rows instead of 148 × 365 daily ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rollup {
    Daily,
    Monthly,
}

impl Rollup {
    /// Lock order: months before days.
    const ALL: [Rollup; 2] = [Rollup::Monthly, Rollup::Daily];

    fn table(self) -> &'static str {
        match self {
            Rollup::Daily => "indicator_daily",
            Rollup::Monthly => "indicator_monthly",
        }
    }

    fn key_column(self) -> &'static str {
        match self {
            Rollup::Daily => "day",
            Rollup::Monthly => "month",
        }
    }

    fn key(self, day: NaiveDate) -> NaiveDate {
        match self {
            Rollup::Daily => day,
            Rollup::Monthly => month_start(day),
        }
    }
}

/// Recomputes every fact and daily sum from the raw tables (after a bulk load, or to
/// repair). Reads the dossiers in id order, 2,000 at a time; returns how many it read.
pub fn rebuild(conn: &mut DbConn) -> QueryResult<u64> {
    conn.transaction(|conn| {
        // A refresh running meanwhile must see the rebuilt facts, not the old ones, or it
        // would add its difference twice: it waits (even to read) until the rebuild commits.
        // Writes to dossiers pause for the rebuild's duration. SQLite has one writer anyway.
        if let DbConn::Pg(_) = conn {
            diesel::sql_query(
                "LOCK TABLE dossier_facts, indicator_daily, indicator_monthly IN ACCESS EXCLUSIVE MODE",
            )
            .execute(conn)?;
        }
        diesel::sql_query("DELETE FROM indicator_daily").execute(conn)?;
        diesel::sql_query("DELETE FROM indicator_monthly").execute(conn)?;
        diesel::sql_query("DELETE FROM dossier_facts").execute(conn)?;
        let mut daily: std::collections::BTreeMap<(String, NaiveDate), (String, Counters)> =
            Default::default();
        let mut after = String::new();
        let mut total = 0u64;
        loop {
            let sql = inputs_sql(&format!(
                "WHERE d.id > {} ORDER BY d.id LIMIT 2000",
                ph(conn, 1)
            ));
            let rows: Vec<InputRow> = diesel::sql_query(sql)
                .bind::<Text, _>(&after)
                .load(conn)?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            total += rows.len() as u64;
            let mut values = Vec::with_capacity(rows.len());
            for row in &rows {
                let f = row.fact();
                let entry = daily
                    .entry((f.commune_code.clone(), f.day))
                    .or_insert_with(|| (f.province_code.clone(), Counters::default()));
                entry.1.add(&f.counters);
                values.push(format!(
                    "({}, {}, {}, '{}', {}, {}, {})",
                    lit(&row.id),
                    lit(&f.commune_code),
                    lit(&f.province_code),
                    f.day.format("%Y-%m-%d"),
                    lit(&f.procedure_code),
                    lit(&f.channel),
                    counter_literals(&f.counters)
                ));
            }
            diesel::sql_query(format!(
                "INSERT INTO dossier_facts (dossier_id, commune_code, province_code, day, procedure_code, channel, {}) VALUES {}",
                counter_columns(),
                values.join(", ")
            ))
            .execute(conn)?;
        }
        for rollup in Rollup::ALL {
            let mut sums: std::collections::BTreeMap<(&str, NaiveDate), (&str, Counters)> =
                Default::default();
            for ((commune, day), (province, c)) in &daily {
                sums.entry((commune, rollup.key(*day)))
                    .or_insert_with(|| (province, Counters::default()))
                    .1
                    .add(c);
            }
            let rows: Vec<String> = sums
                .iter()
                .map(|((commune, key), (province, c))| {
                    format!(
                        "({}, '{}', {}, {})",
                        lit(commune),
                        key.format("%Y-%m-%d"),
                        lit(province),
                        counter_literals(c)
                    )
                })
                .collect();
            for chunk in rows.chunks(1000) {
                diesel::sql_query(format!(
                    "INSERT INTO {} (commune_code, {}, province_code, {}) VALUES {}",
                    rollup.table(),
                    rollup.key_column(),
                    counter_columns(),
                    chunk.join(", ")
                ))
                .execute(conn)?;
            }
        }
        Ok(total)
    })
}

/// A string literal for SQL built here (both dialects double the quote; PostgreSQL runs
/// with standard_conforming_strings). Only for codes and ids read from our own rows, in the
/// batched writes of `refresh` and `rebuild`; request input is always bound.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whose counters a report sums.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    Commune(&'a str),
    Province(&'a str),
}

impl Scope<'_> {
    fn column(&self) -> &'static str {
        match self {
            Scope::Commune(_) => "commune_code",
            Scope::Province(_) => "province_code",
        }
    }

    fn code(&self) -> &str {
        match self {
            Scope::Commune(c) | Scope::Province(c) => c,
        }
    }
}

fn sums() -> String {
    Counters::NAMES
        .iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sums of the scope over the period, per commune: whole months from the monthly rollup,
/// the days before the first and after the last whole month from the daily one.
pub fn counters_by_commune(
    conn: &mut DbConn,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<KeyedCounters>> {
    let mut merged: Vec<KeyedCounters> = Vec::new();
    for (rollup, a, b) in month_split(from, to) {
        for row in sum_rollup(conn, rollup, scope, a, b)? {
            match merged.iter_mut().find(|m| m.key == row.key) {
                Some(m) => m.counters.add(&row.counters),
                None => merged.push(row),
            }
        }
    }
    Ok(merged)
}

fn sum_rollup(
    conn: &mut DbConn,
    rollup: Rollup,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<KeyedCounters>> {
    let sql = format!(
        "SELECT commune_code AS key, {} FROM {} WHERE {} = {} AND {col} >= {} AND {col} <= {} GROUP BY commune_code",
        sums(),
        rollup.table(),
        scope.column(),
        ph(conn, 1),
        ph(conn, 2),
        ph(conn, 3),
        col = rollup.key_column(),
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(scope.code())
        .bind::<Date, _>(rollup.key(from))
        .bind::<Date, _>(rollup.key(to))
        .load(conn)
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

/// The parts of `[from, to]`: whole calendar months (monthly rollup, as first and last
/// month start) and the days around them (daily rollup).
fn month_split(from: NaiveDate, to: NaiveDate) -> Vec<(Rollup, NaiveDate, NaiveDate)> {
    let first_whole = if from.day() == 1 {
        from
    } else {
        month_start(from + chrono::Months::new(1))
    };
    let after_to = to + chrono::Duration::days(1);
    let end_whole = if after_to.day() == 1 {
        after_to
    } else {
        month_start(to)
    };
    if first_whole >= end_whole {
        return vec![(Rollup::Daily, from, to)];
    }
    let mut parts = Vec::new();
    if from < first_whole {
        parts.push((Rollup::Daily, from, first_whole - chrono::Duration::days(1)));
    }
    parts.push((
        Rollup::Monthly,
        first_whole,
        end_whole - chrono::Duration::days(1),
    ));
    if end_whole <= to {
        parts.push((Rollup::Daily, end_whole, to));
    }
    parts
}

/// Per-dossier facts of the scope over the period, grouped by `procedure_code` or `channel`.
pub fn counters_by(
    conn: &mut DbConn,
    scope: Scope,
    group: GroupBy,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<KeyedCounters>> {
    let column = match group {
        GroupBy::Procedure => "procedure_code",
        GroupBy::Channel => "channel",
    };
    let sql = format!(
        "SELECT {column} AS key, {} FROM dossier_facts WHERE {} = {} AND day >= {} AND day <= {} GROUP BY {column} ORDER BY {column}",
        sums(),
        scope.column(),
        ph(conn, 1),
        ph(conn, 2),
        ph(conn, 3)
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(scope.code())
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .load(conn)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Procedure,
    Channel,
}

/// An open dossier of a cohort, as the on-time / overdue split needs it.
#[derive(Queryable, Debug, Clone)]
pub struct OpenDossier {
    pub commune_code: String,
    pub code: String,
    pub procedure_code: String,
    pub channel: String,
    pub status: String,
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub paused_at: Option<NaiveDateTime>,
    pub supplement_requests: i32,
}

impl OpenDossier {
    pub fn overdue(&self, as_of: NaiveDateTime) -> bool {
        open_overdue(
            self.due_at,
            self.paused_at,
            i64::from(self.supplement_requests),
            as_of,
        )
    }
}

/// Open dossiers received in `[start, end)` (UTC instants of the period's Vietnam days).
pub fn open_dossiers(
    conn: &mut DbConn,
    scope: Scope,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<OpenDossier>> {
    let q = dossiers::table
        .filter(dossiers::finished_at.is_null())
        .filter(dossiers::received_at.ge(start))
        .filter(dossiers::received_at.lt(end))
        .select((
            dossiers::commune_code,
            dossiers::code,
            dossiers::procedure_code,
            dossiers::channel,
            dossiers::status,
            dossiers::received_at,
            dossiers::due_at,
            dossiers::paused_at,
            dossiers::supplement_requests,
        ))
        .order((dossiers::received_at.asc(), dossiers::code.asc()))
        .into_boxed();
    let q = match scope {
        Scope::Commune(c) => q.filter(dossiers::commune_code.eq(c.to_string())),
        Scope::Province(p) => q.filter(dossiers::province_code.eq(p.to_string())),
    };
    q.load(conn)
}

/// Open dossiers received in `[start, end)` per commune, and how many of them are overdue at
/// `as_of`. The same rule as `domain::indicators::open_overdue`, counted by the database over
/// a covering partial index, so a province year reads no dossier rows.
pub struct OpenCount {
    pub commune_code: String,
    pub open: i64,
    pub overdue: i64,
}

#[derive(QueryableByName)]
struct OpenCountRow {
    #[diesel(sql_type = Text)]
    commune_code: String,
    #[diesel(sql_type = BigInt)]
    open: i64,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
}

pub fn open_counts(
    conn: &mut DbConn,
    scope: Scope,
    start: NaiveDateTime,
    end: NaiveDateTime,
    as_of: NaiveDateTime,
) -> QueryResult<Vec<OpenCount>> {
    let sql = format!(
        "SELECT commune_code, COUNT(*) AS open,            CAST(COALESCE(SUM(CASE WHEN supplement_requests > 1 OR (paused_at IS NULL AND due_at < {}) OR paused_at > due_at                                   THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue          FROM dossiers WHERE {} = {} AND finished_at IS NULL AND received_at >= {} AND received_at < {}          GROUP BY commune_code",
        ph(conn, 1),
        scope.column(),
        ph(conn, 2),
        ph(conn, 3),
        ph(conn, 4)
    );
    let rows: Vec<OpenCountRow> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(as_of)
        .bind::<Text, _>(scope.code())
        .bind::<Timestamp, _>(start)
        .bind::<Timestamp, _>(end)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| OpenCount {
            commune_code: r.commune_code,
            open: r.open,
            overdue: r.overdue,
        })
        .collect())
}

/// Electronic certified copies issued per commune in `[start, end)`.
pub fn certifications_by_commune(
    conn: &mut DbConn,
    communes: &[String],
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<(String, i64)>> {
    certifications::table
        .filter(certifications::commune_code.eq_any(communes))
        .filter(certifications::created_at.ge(start))
        .filter(certifications::created_at.lt(end))
        .group_by(certifications::commune_code)
        .select((certifications::commune_code, diesel::dsl::count_star()))
        .load(conn)
}

/// A dossier behind a number, for the breakdown list.
#[derive(QueryableByName, Debug, Clone)]
pub struct FactDossier {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub commune_code: String,
    #[diesel(sql_type = Text)]
    pub procedure_code: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub received_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub due_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub finished_at: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    pub supplement_requests: i64,
}

/// The dossiers whose facts count in `measure` (one of `Counters::NAMES`), by cohort day
/// and code; `limit` + 1 rows are read so the caller knows whether more follow.
pub fn dossiers_with(
    conn: &mut DbConn,
    scope: Scope,
    measure: &str,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<FactDossier>> {
    // The column name comes from the fixed list, never from the request as such.
    let Some(column) = Counters::NAMES.iter().find(|n| **n == measure) else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT d.code, d.commune_code, d.procedure_code, d.channel, d.status, f.day, d.received_at, d.due_at, \
                d.finished_at, CAST(d.supplement_requests AS BIGINT) AS supplement_requests \
         FROM dossier_facts f JOIN dossiers d ON d.id = f.dossier_id \
         WHERE f.{} = {} AND f.day >= {} AND f.day <= {} AND f.{column} > 0 \
         ORDER BY f.day, d.code LIMIT {} OFFSET {}",
        scope.column(),
        ph(conn, 1),
        ph(conn, 2),
        ph(conn, 3),
        limit + 1,
        offset
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(scope.code())
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_split_into_whole_months_and_edge_days() {
        use Rollup::*;
        assert_eq!(
            month_split(d("2026-01-01"), d("2026-12-31")),
            vec![(Monthly, d("2026-01-01"), d("2026-12-31"))]
        );
        assert_eq!(
            month_split(d("2026-01-15"), d("2026-04-10")),
            vec![
                (Daily, d("2026-01-15"), d("2026-01-31")),
                (Monthly, d("2026-02-01"), d("2026-03-31")),
                (Daily, d("2026-04-01"), d("2026-04-10")),
            ]
        );
        assert_eq!(
            month_split(d("2026-02-01"), d("2026-02-28")),
            vec![(Monthly, d("2026-02-01"), d("2026-02-28"))]
        );
        assert_eq!(
            month_split(d("2026-02-02"), d("2026-02-28")),
            vec![(Daily, d("2026-02-02"), d("2026-02-28"))]
        );
        assert_eq!(
            month_split(d("2026-02-10"), d("2026-03-05")),
            vec![(Daily, d("2026-02-10"), d("2026-03-05"))]
        );
        assert_eq!(
            month_split(d("2026-11-28"), d("2026-11-28")),
            vec![(Daily, d("2026-11-28"), d("2026-11-28"))]
        );
        assert_eq!(
            month_split(d("2025-12-31"), d("2026-02-01")),
            vec![
                (Daily, d("2025-12-31"), d("2025-12-31")),
                (Monthly, d("2026-01-01"), d("2026-01-31")),
                (Daily, d("2026-02-01"), d("2026-02-01")),
            ]
        );
        // Every day of a range is covered exactly once.
        let (from, to) = (d("2024-01-17"), d("2026-03-03"));
        let mut covered = 0;
        for (rollup, a, b) in month_split(from, to) {
            assert!(a <= b);
            covered += (b - a).num_days() + 1;
            if rollup == Monthly {
                assert_eq!((a.day(), (b + chrono::Duration::days(1)).day()), (1, 1));
            }
        }
        assert_eq!(covered, (to - from).num_days() + 1);
    }
}
