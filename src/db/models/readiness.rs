//! Readiness ("phủ xanh") rows: the manual items each commune declares, their append-only
//! history, each province's configuration, and the grouped queries behind the automatic
//! items (one query per kind of fact for a commune or a whole province, never one per
//! commune).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::db::models::indicator::Scope;
use crate::db::schema::{communes, readiness_events, readiness_items, readiness_province_configs};
use crate::db::DbConn;
use crate::domain::readiness::{CommuneFacts, ManualStatus, ReviewStatus};

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = readiness_items)]
pub struct ItemRow {
    pub commune_code: String,
    pub item_code: String,
    pub status: String,
    pub evidence: String,
    pub evidence_date: NaiveDate,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
    pub review_status: String,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub version: i64,
}

impl ItemRow {
    /// The declaration and its review, when both are known values.
    pub fn declared(&self) -> Option<(ManualStatus, ReviewStatus)> {
        Some((
            ManualStatus::parse(&self.status)?,
            ReviewStatus::parse(&self.review_status)?,
        ))
    }

    pub fn find(conn: &mut DbConn, commune: &str, item: &str) -> QueryResult<Option<ItemRow>> {
        readiness_items::table
            .find((commune, item))
            .select(ItemRow::as_select())
            .first(conn)
            .optional()
    }

    /// The declared items of one commune or of every commune of a province.
    pub fn of_scope(conn: &mut DbConn, scope: Scope) -> QueryResult<Vec<ItemRow>> {
        match scope {
            Scope::Commune(c) => readiness_items::table
                .filter(readiness_items::commune_code.eq(c))
                .select(ItemRow::as_select())
                .load(conn),
            Scope::Province(p) => readiness_items::table
                .inner_join(communes::table.on(communes::code.eq(readiness_items::commune_code)))
                .filter(communes::province_code.eq(p))
                .select(ItemRow::as_select())
                .load(conn),
        }
    }

    /// Writes the row (with its new version) if the stored version is still `expected`
    /// (0: none stored yet).
    pub fn save(&self, conn: &mut DbConn, expected: i64) -> QueryResult<bool> {
        let n = if expected == 0 {
            match conn {
                DbConn::Pg(c) => diesel::insert_into(readiness_items::table)
                    .values(self.clone())
                    .on_conflict_do_nothing()
                    .execute(c)?,
                DbConn::Sqlite(c) => diesel::insert_or_ignore_into(readiness_items::table)
                    .values(self.clone())
                    .execute(c)?,
            }
        } else {
            diesel::update(
                readiness_items::table
                    .find((&self.commune_code, &self.item_code))
                    .filter(readiness_items::version.eq(expected)),
            )
            .set((
                readiness_items::status.eq(&self.status),
                readiness_items::evidence.eq(&self.evidence),
                readiness_items::evidence_date.eq(self.evidence_date),
                readiness_items::updated_by.eq(&self.updated_by),
                readiness_items::updated_at.eq(self.updated_at),
                readiness_items::review_status.eq(&self.review_status),
                readiness_items::review_note.eq(&self.review_note),
                readiness_items::reviewed_by.eq(&self.reviewed_by),
                readiness_items::reviewed_at.eq(self.reviewed_at),
                readiness_items::version.eq(self.version),
            ))
            .execute(conn)?
        };
        Ok(n == 1)
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = readiness_events)]
pub struct EventRow {
    pub id: i64,
    pub commune_code: String,
    pub item_code: String,
    pub action: String,
    pub status: String,
    pub evidence: String,
    pub evidence_date: NaiveDate,
    pub review_status: String,
    pub note: Option<String>,
    pub item_version: i64,
    pub actor_id: String,
    pub actor_role: String,
    pub created_at: NaiveDateTime,
}

impl EventRow {
    /// Appends the item as it now stands to the history.
    pub fn record(
        conn: &mut DbConn,
        row: &ItemRow,
        action: &str,
        note: Option<String>,
        (actor_id, actor_role): (&str, &str),
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::insert_into(readiness_events::table)
            .values((
                readiness_events::commune_code.eq(&row.commune_code),
                readiness_events::item_code.eq(&row.item_code),
                readiness_events::action.eq(action),
                readiness_events::status.eq(&row.status),
                readiness_events::evidence.eq(&row.evidence),
                readiness_events::evidence_date.eq(row.evidence_date),
                readiness_events::review_status.eq(&row.review_status),
                readiness_events::note.eq(note),
                readiness_events::item_version.eq(row.version),
                readiness_events::actor_id.eq(actor_id),
                readiness_events::actor_role.eq(actor_role),
                readiness_events::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// A commune's history, newest first: `limit` entries before the id `before`.
    pub fn page(
        conn: &mut DbConn,
        commune: &str,
        item: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<EventRow>> {
        let mut q = readiness_events::table
            .filter(readiness_events::commune_code.eq(commune))
            .select(EventRow::as_select())
            .order(readiness_events::id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(i) = item {
            q = q.filter(readiness_events::item_code.eq(i.to_string()));
        }
        if let Some(after) = before {
            q = q.filter(readiness_events::id.lt(after));
        }
        q.load(conn)
    }
}

/// A province's stored configuration: the JSON, its version, who set it and when.
pub struct ConfigRow {
    pub config: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
}

impl ConfigRow {
    pub fn find(conn: &mut DbConn, province: &str) -> QueryResult<Option<ConfigRow>> {
        let row: Option<(String, i64, String, NaiveDateTime)> = readiness_province_configs::table
            .find(province)
            .select((
                readiness_province_configs::config,
                readiness_province_configs::version,
                readiness_province_configs::updated_by,
                readiness_province_configs::updated_at,
            ))
            .first(conn)
            .optional()?;
        Ok(
            row.map(|(config, version, updated_by, updated_at)| ConfigRow {
                config,
                version,
                updated_by,
                updated_at,
            }),
        )
    }

    /// Stores `json` as version `expected + 1` if the stored version is still `expected`
    /// (0: none stored yet).
    pub fn save(
        conn: &mut DbConn,
        province: &str,
        json: &str,
        expected: i64,
        by: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = if expected == 0 {
            let row = (
                readiness_province_configs::province_code.eq(province),
                readiness_province_configs::config.eq(json),
                readiness_province_configs::version.eq(1i64),
                readiness_province_configs::updated_by.eq(by),
                readiness_province_configs::updated_at.eq(now),
            );
            match conn {
                DbConn::Pg(c) => diesel::insert_into(readiness_province_configs::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute(c)?,
                DbConn::Sqlite(c) => {
                    diesel::insert_or_ignore_into(readiness_province_configs::table)
                        .values(row)
                        .execute(c)?
                }
            }
        } else {
            diesel::update(
                readiness_province_configs::table
                    .find(province)
                    .filter(readiness_province_configs::version.eq(expected)),
            )
            .set((
                readiness_province_configs::config.eq(json),
                readiness_province_configs::version.eq(expected + 1),
                readiness_province_configs::updated_by.eq(by),
                readiness_province_configs::updated_at.eq(now),
            ))
            .execute(conn)?
        };
        Ok(n == 1)
    }
}

// ---------------------------------------------------------------- live facts

fn scope_code<'a>(scope: &Scope<'a>) -> &'a str {
    match *scope {
        Scope::Commune(c) | Scope::Province(c) => c,
    }
}

/// The condition on a table with `commune_code` and `province_code` columns.
fn scope_on(scope: &Scope, alias: &str) -> String {
    match scope {
        Scope::Commune(_) => format!("{alias}.commune_code = $1"),
        Scope::Province(_) => format!("{alias}.province_code = $1"),
    }
}

/// Backend spelling of numbered placeholders: `$1` on PostgreSQL, `?1` on SQLite.
fn sql(conn: &DbConn, pg: &str) -> String {
    match conn {
        DbConn::Pg(_) => pg.to_string(),
        DbConn::Sqlite(_) => pg.replace('$', "?"),
    }
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Text)]
    commune_code: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct PairRow {
    #[diesel(sql_type = Text)]
    commune_code: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    part: i64,
}

#[derive(QueryableByName)]
struct OutboxRow {
    #[diesel(sql_type = Text)]
    commune_code: String,
    #[diesel(sql_type = BigInt)]
    dead: i64,
    #[diesel(sql_type = BigInt)]
    failing: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    oldest_pending: Option<NaiveDateTime>,
}

/// Adds to `out` the facts of the services items, per commune of the scope: published
/// active procedures, whether it has dossiers and ever had a portal message delivered,
/// its portal problems, and its online payments settled since `payments_since`.
pub fn service_facts(
    conn: &mut DbConn,
    scope: Scope,
    payments_since: NaiveDateTime,
    out: &mut BTreeMap<String, CommuneFacts>,
) -> QueryResult<()> {
    let code = scope_code(&scope);
    let scope_communes = match scope {
        Scope::Commune(_) => "c.code = $1",
        Scope::Province(_) => "c.province_code = $1",
    };
    let q = sql(
        conn,
        &format!(
            "SELECT cp.commune_code AS commune_code, COUNT(*) AS n FROM commune_procedures cp \
             JOIN procedures p ON p.id = cp.procedure_id JOIN communes c ON c.code = cp.commune_code \
             WHERE {scope_communes} AND p.active GROUP BY cp.commune_code"
        ),
    );
    let rows: Vec<CountRow> = diesel::sql_query(q).bind::<Text, _>(code).load(conn)?;
    for r in rows {
        out.entry(r.commune_code).or_default().active_procedures = r.n;
    }
    // Whether each commune has dossiers and ever had a message delivered: two EXISTS per
    // commune, served by the commune indexes, instead of counting every message.
    // `o.status || ''` keeps SQLite (no statistics) from walking every sent message of the
    // system through the status index for each commune that has none.
    let q = sql(
        conn,
        &format!(
            "SELECT c.code AS commune_code, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM dossiers d WHERE d.commune_code = c.code) \
             THEN 1 ELSE 0 END AS BIGINT) AS total, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM dossiers d JOIN portal_outbox o ON o.dossier_id = d.id \
             WHERE d.commune_code = c.code AND o.status || '' = 'sent') THEN 1 ELSE 0 END AS BIGINT) AS part \
             FROM communes c WHERE {scope_communes}"
        ),
    );
    let rows: Vec<PairRow> = diesel::sql_query(q).bind::<Text, _>(code).load(conn)?;
    for r in rows.into_iter().filter(|r| r.total > 0 || r.part > 0) {
        let f = out.entry(r.commune_code).or_default();
        f.has_dossiers = r.total > 0;
        f.any_delivered = r.part > 0;
    }
    // Problems: only undelivered messages are read (the status index), never the sent ones.
    // A message held for want of the commune's agency identifier is waiting like a pending one.
    let q = sql(
        conn,
        &format!(
            "SELECT d.commune_code AS commune_code, \
             CAST(SUM(CASE WHEN o.status = 'dead' THEN 1 ELSE 0 END) AS BIGINT) AS dead, \
             CAST(SUM(CASE WHEN o.status = 'pending' AND o.attempts > 0 THEN 1 ELSE 0 END) AS BIGINT) AS failing, \
             MIN(CASE WHEN o.status IN ('pending', 'held') THEN o.created_at END) AS oldest_pending \
             FROM portal_outbox o JOIN dossiers d ON d.id = o.dossier_id \
             WHERE o.status IN ('pending', 'held', 'dead') AND {} GROUP BY d.commune_code",
            scope_on(&scope, "d")
        ),
    );
    let rows: Vec<OutboxRow> = diesel::sql_query(q).bind::<Text, _>(code).load(conn)?;
    for r in rows {
        let f = out.entry(r.commune_code).or_default();
        f.outbox_dead = r.dead;
        f.outbox_failing = r.failing;
        f.oldest_pending_at = r.oldest_pending;
    }
    let q = sql(
        conn,
        &format!(
            "SELECT p.commune_code AS commune_code, COUNT(*) AS n FROM payments p WHERE {} \
             AND p.method = 'online' AND p.status = 'succeeded' AND p.settled_at >= $2 \
             GROUP BY p.commune_code",
            scope_on(&scope, "p")
        ),
    );
    let rows: Vec<CountRow> = diesel::sql_query(q)
        .bind::<Text, _>(code)
        .bind::<Timestamp, _>(payments_since)
        .load(conn)?;
    for r in rows {
        out.entry(r.commune_code)
            .or_default()
            .online_payments_recent = r.n;
    }
    Ok(())
}
