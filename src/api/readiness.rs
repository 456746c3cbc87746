//! The readiness ("phủ xanh") board: a configurable checklist per commune, green / amber /
//! red, and the province view "N of M communes green". Rules in `domain::readiness`.
//!
//! Automatic items are evaluated live, in a fixed number of grouped queries per request
//! (one commune or a whole province alike): no query per commune.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::{etag, IfMatch, Page, PageParams, ValidJson};
use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::Policy;
use crate::auth::{Authorized, Principal, Role};
use crate::db::models::registry::{Commune, Province};
use crate::db::schema::{communes, readiness_events, readiness_items, readiness_province_configs};
use crate::db::DbConn;
use crate::domain::calendar::{local_date, today};
use crate::domain::readiness::{
    catalog_item, evaluate_automatic, flag, manual_satisfied, AutoEvaluation, CatalogItem,
    CommuneFacts, EffectiveConfig, Flag, ItemGroup, ItemKind, ItemOutcome, ManualStatus,
    ProvinceConfig, ReviewStatus, ThresholdValues, CATALOG, INDICATOR_WINDOW_DAYS,
    PAYMENT_WINDOW_DAYS,
};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult, FieldErrors, Text as Msg};
use crate::state::AppState;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

// ---------------------------------------------------------------- who

/// Reading a commune's board: its own staff, the province's supervisor, system admins.
pub struct ReadinessReaders;
impl Policy for ReadinessReaders {
    const ROLES: &'static [Role] = &[
        Role::ReceptionOfficer,
        Role::Specialist,
        Role::Leader,
        Role::CommuneAdmin,
        Role::ProvinceSupervisor,
        Role::SystemAdmin,
    ];
}

/// Declaring a manual item: the commune's administrator.
pub struct ReadinessDeclarers;
impl Policy for ReadinessDeclarers {
    const ROLES: &'static [Role] = &[Role::CommuneAdmin];
}

/// Reviewing a declaration: the province's supervisor.
pub struct ReadinessReviewers;
impl Policy for ReadinessReviewers {
    const ROLES: &'static [Role] = &[Role::ProvinceSupervisor];
}

/// The province view and its configuration.
pub struct ProvinceReadiness;
impl Policy for ProvinceReadiness {
    const ROLES: &'static [Role] = &[Role::ProvinceSupervisor, Role::SystemAdmin];
}

fn commune_not_found() -> ApiError {
    ApiError::not_found("xã/phường", "Commune")
}

/// The commune, if the caller may see its board (else 404, as for any record out of scope).
fn visible_commune(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Commune> {
    let c = Commune::find(conn, code)?.ok_or_else(commune_not_found)?;
    if access::may_see(
        p,
        Resource::CommuneBoard,
        Place::commune(&c.code, &c.province_code),
    ) {
        Ok(c)
    } else {
        Err(commune_not_found())
    }
}

fn visible_province(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Province> {
    let not_found = || ApiError::not_found("tỉnh/thành phố", "Province");
    let pv = Province::find(conn, code)?.ok_or_else(not_found)?;
    if access::may_see(p, Resource::ProvinceBoard, Place::province(&pv.code)) {
        Ok(pv)
    } else {
        Err(not_found())
    }
}

// ---------------------------------------------------------------- rows

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
    fn declared(&self) -> Option<(ManualStatus, ReviewStatus)> {
        Some((
            ManualStatus::parse(&self.status)?,
            ReviewStatus::parse(&self.review_status)?,
        ))
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

fn record_event(
    conn: &mut DbConn,
    row: &ItemRow,
    action: &str,
    note: Option<String>,
    p: &Principal,
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
            readiness_events::actor_id.eq(&p.user_id),
            readiness_events::actor_role.eq(p.role.as_str()),
            readiness_events::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored configuration, its version (0: none stored, defaults apply) and who set it when.
type StoredConfig = (ProvinceConfig, i64, Option<(String, NaiveDateTime)>);

/// A province's stored configuration.
fn load_config(conn: &mut DbConn, province: &str) -> ApiResult<StoredConfig> {
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
    match row {
        None => Ok((ProvinceConfig::default(), 0, None)),
        Some((json, v, by, at)) => Ok((
            serde_json::from_str(&json)
                .map_err(|e| ApiError::internal(format!("stored readiness config: {e}")))?,
            v,
            Some((by, at)),
        )),
    }
}

// ---------------------------------------------------------------- live facts

/// Which communes a grouped query covers.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    Commune(&'a str),
    Province(&'a str),
}

impl Scope<'_> {
    fn code(&self) -> &str {
        match self {
            Scope::Commune(c) | Scope::Province(c) => c,
        }
    }
    /// The condition on a table with `commune_code` and `province_code` columns.
    fn on(&self, alias: &str) -> String {
        match self {
            Scope::Commune(_) => format!("{alias}.commune_code = $1"),
            Scope::Province(_) => format!("{alias}.province_code = $1"),
        }
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

/// The indicator numbers behind the threshold items, per commune of the scope, from the
/// indicator aggregates (`db::models::indicator`, the numbers the reports show): open
/// dossiers overdue at `to` (766 rule: past due while the clock runs or paused only after
/// the due date, or a second
/// supplement request), and over the dossiers received in the Vietnam days of `[from, to]`
/// their components and how many are digitized (not rejected on review), and their
/// resolved dossiers and how many have a digital result in force.
pub fn threshold_values(
    conn: &mut DbConn,
    scope: Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<BTreeMap<String, ThresholdValues>> {
    use crate::db::models::indicator as agg;
    let scope = match scope {
        Scope::Commune(c) => agg::Scope::Commune(c),
        Scope::Province(p) => agg::Scope::Province(p),
    };
    let mut out: BTreeMap<String, ThresholdValues> = BTreeMap::new();
    // Every open dossier, whenever it was received.
    let ever = NaiveDateTime::default();
    for r in agg::open_counts(conn, scope, ever, to, to)? {
        if r.overdue > 0 {
            out.entry(r.commune_code).or_default().overdue_open = r.overdue;
        }
    }
    let (first, last) = (local_date(from.and_utc()), local_date(to.and_utc()));
    for r in agg::counters_by_commune(conn, scope, first, last)? {
        let c = r.counters;
        if c.components == 0 && c.resolved == 0 {
            continue;
        }
        let t = out.entry(r.key).or_default();
        t.components_total = c.components;
        t.components_digitized = c.components_digitized;
        t.returned_total = c.resolved;
        t.returned_with_digital_result = c.results_digitized;
    }
    Ok(out)
}

/// Everything the automatic items need, per commune of the scope (communes without any
/// data are absent: their facts are all zero).
fn commune_facts(
    conn: &mut DbConn,
    scope: Scope,
    now: NaiveDateTime,
) -> QueryResult<BTreeMap<String, CommuneFacts>> {
    let thresholds = threshold_values(
        conn,
        scope,
        now - Duration::days(INDICATOR_WINDOW_DAYS),
        now,
    )?;
    let mut out: BTreeMap<String, CommuneFacts> = thresholds
        .into_iter()
        .map(|(c, t)| {
            (
                c,
                CommuneFacts {
                    thresholds: t,
                    ..Default::default()
                },
            )
        })
        .collect();
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
    let rows: Vec<CountRow> = diesel::sql_query(q)
        .bind::<Text, _>(scope.code())
        .load(conn)?;
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
    let rows: Vec<PairRow> = diesel::sql_query(q)
        .bind::<Text, _>(scope.code())
        .load(conn)?;
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
            scope.on("d")
        ),
    );
    let rows: Vec<OutboxRow> = diesel::sql_query(q)
        .bind::<Text, _>(scope.code())
        .load(conn)?;
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
            scope.on("p")
        ),
    );
    let rows: Vec<CountRow> = diesel::sql_query(q)
        .bind::<Text, _>(scope.code())
        .bind::<Timestamp, _>(now - Duration::days(PAYMENT_WINDOW_DAYS))
        .load(conn)?;
    for r in rows {
        out.entry(r.commune_code)
            .or_default()
            .online_payments_recent = r.n;
    }
    Ok(out)
}

// ---------------------------------------------------------------- views

/// The province's review of the latest declaration.
#[derive(Serialize, ToSchema)]
pub struct ReviewView {
    pub status: ReviewStatus,
    pub note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// What the commune declared for a manual item.
#[derive(Serialize, ToSchema)]
pub struct DeclarationView {
    pub status: ManualStatus,
    pub evidence: String,
    /// The date the evidence refers to (Vietnam calendar).
    pub evidence_date: NaiveDate,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    pub review: ReviewView,
}

/// One checklist item of a commune.
#[derive(Serialize, ToSchema)]
pub struct ItemView {
    pub code: String,
    pub group: ItemGroup,
    pub kind: ItemKind,
    pub title: String,
    pub title_en: String,
    /// Whether the flag depends on it (configuration).
    pub required: bool,
    /// Threshold items: the configured minimum share in percent.
    pub threshold: Option<f64>,
    /// `met`, `not_met` or (manual items) `not_applicable`. A manual item never declared is
    /// `not_met`.
    pub status: ManualStatus,
    /// Whether it counts as met (a declaration rejected by the province does not).
    pub satisfied: bool,
    /// Manual items: the latest declaration and its review.
    pub declaration: Option<DeclarationView>,
    /// Manual items: the version to send in `If-Match` (0 before the first declaration).
    pub version: Option<i64>,
    /// Automatic items: how they were evaluated now.
    pub evaluation: Option<AutoEvaluation>,
}

fn manual_view(cat: &CatalogItem, cfg: &EffectiveConfig, row: Option<&ItemRow>) -> ItemView {
    let declared = row.and_then(ItemRow::declared);
    let e = cfg.item(cat.code);
    ItemView {
        code: cat.code.into(),
        group: cat.group,
        kind: cat.kind,
        title: cat.title_vi.into(),
        title_en: cat.title_en.into(),
        required: e.required,
        threshold: e.threshold,
        status: declared.map(|d| d.0).unwrap_or(ManualStatus::NotMet),
        satisfied: manual_satisfied(declared),
        declaration: row.zip(declared).map(|(r, (s, rs))| DeclarationView {
            status: s,
            evidence: r.evidence.clone(),
            evidence_date: r.evidence_date,
            updated_by: r.updated_by.clone(),
            updated_at: utc(r.updated_at),
            review: ReviewView {
                status: rs,
                note: r.review_note.clone(),
                reviewed_by: r.reviewed_by.clone(),
                reviewed_at: r.reviewed_at.map(utc),
            },
        }),
        version: Some(row.map_or(0, |r| r.version)),
        evaluation: None,
    }
}

fn item_views(
    cfg: &EffectiveConfig,
    facts: &CommuneFacts,
    rows: &HashMap<String, ItemRow>,
    now: NaiveDateTime,
) -> Vec<ItemView> {
    CATALOG
        .iter()
        .map(|cat| match cat.kind {
            ItemKind::Manual => manual_view(cat, cfg, rows.get(cat.code)),
            ItemKind::Automatic => {
                let e = cfg.item(cat.code);
                let ev = evaluate_automatic(cat.code, facts, cfg, now);
                let met = ev.as_ref().is_some_and(|e| e.met);
                ItemView {
                    code: cat.code.into(),
                    group: cat.group,
                    kind: cat.kind,
                    title: cat.title_vi.into(),
                    title_en: cat.title_en.into(),
                    required: e.required,
                    threshold: e.threshold,
                    status: if met {
                        ManualStatus::Met
                    } else {
                        ManualStatus::NotMet
                    },
                    satisfied: met,
                    declaration: None,
                    version: None,
                    evaluation: ev,
                }
            }
        })
        .collect()
}

fn flag_of(items: &[ItemView], cfg: &EffectiveConfig) -> (Flag, Vec<&'static str>) {
    let outcomes: Vec<ItemOutcome> = CATALOG
        .iter()
        .zip(items)
        .map(|(cat, v)| ItemOutcome {
            code: cat.code,
            group: cat.group,
            required: v.required,
            satisfied: v.satisfied,
        })
        .collect();
    flag(&outcomes, cfg.amber_max_missing)
}

/// A commune's board.
#[derive(Serialize, ToSchema)]
pub struct CommuneReadiness {
    pub commune_code: String,
    pub commune_name: String,
    pub province_code: String,
    /// green: every required item met; amber: something missing but no infrastructure item,
    /// or at most `amber_max_missing` items; red: otherwise.
    pub flag: Flag,
    pub required_total: usize,
    pub required_met: usize,
    /// Codes of the required items still missing.
    pub missing: Vec<String>,
    pub amber_max_missing: u32,
    pub evaluated_at: DateTime<Utc>,
    pub items: Vec<ItemView>,
}

fn manual_rows(conn: &mut DbConn, scope: Scope) -> QueryResult<Vec<ItemRow>> {
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

fn commune_board(conn: &mut DbConn, c: &Commune) -> ApiResult<CommuneReadiness> {
    let now = crate::clock::now().naive_utc();
    let (config, _, _) = load_config(conn, &c.province_code)?;
    let cfg = config.effective_for(&c.code);
    let facts = commune_facts(conn, Scope::Commune(&c.code), now)?
        .remove(&c.code)
        .unwrap_or_default();
    let rows: HashMap<String, ItemRow> = manual_rows(conn, Scope::Commune(&c.code))?
        .into_iter()
        .map(|r| (r.item_code.clone(), r))
        .collect();
    let items = item_views(&cfg, &facts, &rows, now);
    let (f, missing) = flag_of(&items, &cfg);
    let required_total = items.iter().filter(|i| i.required).count();
    Ok(CommuneReadiness {
        commune_code: c.code.clone(),
        commune_name: c.full_name.clone(),
        province_code: c.province_code.clone(),
        flag: f,
        required_total,
        required_met: required_total - missing.len(),
        missing: missing.into_iter().map(str::to_string).collect(),
        amber_max_missing: cfg.amber_max_missing,
        evaluated_at: utc(now),
        items,
    })
}

const P401: &str = "Not authenticated";

/// A commune's readiness board.
///
/// **Roles:** staff of that commune (`reception_officer`, `specialist`, `leader`,
/// `commune_admin`), `province_supervisor` of its province, `system_admin`; another commune
/// is 404, citizens and the portal 403. Every item with its status; manual items with the
/// latest declaration (evidence, date), its review and the version for `If-Match`; automatic
/// items evaluated now, with the numbers behind the decision; the flag and what is missing.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code")), responses(
    (status = 200, body = CommuneReadiness),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/readiness/communes/{code}")]
pub async fn commune_readiness(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessReaders>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let board = state
        .db(move |conn| {
            let c = visible_commune(conn, &p, &code)?;
            commune_board(conn, &c)
        })
        .await?;
    Ok(HttpResponse::Ok().json(board))
}

// ---------------------------------------------------------------- declare and review

/// A commune's declaration of a manual item.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "met", "evidence": "02 máy quét A4 Canon DR-C225, biên bản bàn giao số 12/BB-UBND", "evidence_date": "2025-07-10"}))]
pub struct DeclareItem {
    pub status: ManualStatus,
    /// What shows it (required for `met` and `not_applicable`).
    #[validate(length(max = 2000))]
    #[serde(default)]
    pub evidence: String,
    /// The date the evidence refers to, not in the future (default today, Vietnam).
    pub evidence_date: Option<NaiveDate>,
}

fn unknown_item() -> ApiError {
    ApiError::not_found("mục kiểm tra", "Checklist item")
}

fn manual_item(code: &str) -> ApiResult<&'static CatalogItem> {
    let cat = catalog_item(code).ok_or_else(unknown_item)?;
    if cat.kind == ItemKind::Automatic {
        return Err(ApiError::conflict(
            "readiness.item_automatic",
            "Mục này được đánh giá tự động từ dữ liệu, không khai báo được.",
            "This item is evaluated automatically from data and cannot be declared.",
        ));
    }
    Ok(cat)
}

fn find_row(conn: &mut DbConn, commune: &str, item: &str) -> QueryResult<Option<ItemRow>> {
    readiness_items::table
        .find((commune, item))
        .select(ItemRow::as_select())
        .first(conn)
        .optional()
}

/// Writes `row` (with its new version) if the stored version is still `expected`.
fn save_row(conn: &mut DbConn, row: &ItemRow, expected: i64) -> QueryResult<bool> {
    let n = if expected == 0 {
        match conn {
            DbConn::Pg(c) => diesel::insert_into(readiness_items::table)
                .values(row.clone())
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(readiness_items::table)
                .values(row.clone())
                .execute(c)?,
        }
    } else {
        diesel::update(
            readiness_items::table
                .find((&row.commune_code, &row.item_code))
                .filter(readiness_items::version.eq(expected)),
        )
        .set((
            readiness_items::status.eq(&row.status),
            readiness_items::evidence.eq(&row.evidence),
            readiness_items::evidence_date.eq(row.evidence_date),
            readiness_items::updated_by.eq(&row.updated_by),
            readiness_items::updated_at.eq(row.updated_at),
            readiness_items::review_status.eq(&row.review_status),
            readiness_items::review_note.eq(&row.review_note),
            readiness_items::reviewed_by.eq(&row.reviewed_by),
            readiness_items::reviewed_at.eq(row.reviewed_at),
            readiness_items::version.eq(row.version),
        ))
        .execute(conn)?
    };
    Ok(n == 1)
}

fn saved_view(
    conn: &mut DbConn,
    c: &Commune,
    cat: &CatalogItem,
    row: &ItemRow,
) -> ApiResult<ItemView> {
    let (config, _, _) = load_config(conn, &c.province_code)?;
    Ok(manual_view(cat, &config.effective_for(&c.code), Some(row)))
}

fn item_response(view: ItemView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(view.version.unwrap_or(0)))
        .json(view)
}

/// Declare a manual item (infrastructure).
///
/// **Roles:** `commune_admin` of that commune (another commune is 404). Requires `If-Match`
/// with the item's `version` (`"0"` before the first declaration): of two administrators
/// writing at once, one gets 412. A declaration replaces the current one, waits for the
/// province's review (it counts as met meanwhile, unless rejected later) and is appended to
/// the history. Automatic items cannot be declared (409).
#[utoipa::path(tag = "readiness", security(("bearer" = [])), request_body = DeclareItem,
    params(("code" = String, Path, description = "Commune code"), ("item" = String, Path, description = "Item code, e.g. `scanners`"),
           ("If-Match" = String, Header, description = "The item's version (`\"0\"` before the first declaration)")),
    responses(
    (status = 200, body = ItemView, headers(("ETag" = String, description = "New item version"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a commune administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's scope, or no such item", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The item is automatic", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing evidence, date in the future", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/readiness/communes/{code}/items/{item}")]
pub async fn declare_item(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessDeclarers>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ValidJson<DeclareItem>,
) -> ApiResult<HttpResponse> {
    let (code, item) = path.into_inner();
    let path_commune = code.clone();
    let input = body.0;
    let evidence = nfc(input.evidence.trim());
    if evidence.is_empty() && input.status != ManualStatus::NotMet {
        return Err(ApiError::invalid_field(
            "evidence",
            "Cần mô tả minh chứng.",
            "Evidence is required.",
        ));
    }
    let evidence_date = input.evidence_date.unwrap_or_else(today);
    if evidence_date > today() {
        return Err(ApiError::invalid_field(
            "evidence_date",
            "Ngày minh chứng không được ở tương lai.",
            "The evidence date may not be in the future.",
        ));
    }
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| {
            let c = visible_commune(conn, &p, &code)?;
            let cat = manual_item(&item)?;
            let current = find_row(conn, &c.code, cat.code)?;
            let version = current.as_ref().map_or(0, |r| r.version);
            if version != if_match.0 {
                return Err(ApiError::precondition_failed());
            }
            let now = crate::clock::now().naive_utc();
            let row = ItemRow {
                commune_code: c.code.clone(),
                item_code: cat.code.into(),
                status: input.status.as_str().into(),
                evidence,
                evidence_date,
                updated_by: p.user_id.clone(),
                updated_at: now,
                review_status: ReviewStatus::Pending.as_str().into(),
                review_note: None,
                reviewed_by: None,
                reviewed_at: None,
                version: version + 1,
            };
            if !save_row(conn, &row, version)? {
                return Err(ApiError::precondition_failed());
            }
            record_event(conn, &row, "declare", None, &p, now)?;
            saved_view(conn, &c, cat, &row)
        })
        .await?;
    log::info!(
        "readiness item {} of {} declared by {}",
        view.code,
        path_commune,
        auth.user_id
    );
    Ok(item_response(view))
}

#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// The province's decision on a declaration.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "reject", "note": "Biên bản bàn giao chưa có chữ ký."}))]
pub struct ReviewItem {
    pub decision: Decision,
    /// Why (required to reject).
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

/// Approve or reject a commune's declaration of a manual item.
///
/// **Roles:** `province_supervisor` of the commune's province (another province's commune is
/// 404). Requires `If-Match` with the item's version, so the decision is about the
/// declaration the reviewer saw (412 if it changed). Only a declaration waiting for review
/// can be decided (409 otherwise). A rejected item does not count as met until the commune
/// declares it again. Appended to the history.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), request_body = ReviewItem,
    params(("code" = String, Path, description = "Commune code"), ("item" = String, Path, description = "Item code"),
           ("If-Match" = String, Header, description = "The item's version")),
    responses(
    (status = 200, body = ItemView, headers(("ETag" = String, description = "New item version"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a province supervisor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's province, no such item, or nothing declared", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Automatic item, or the declaration was already reviewed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "A rejection without a note", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/readiness/communes/{code}/items/{item}/review")]
pub async fn review_item(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessReviewers>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ValidJson<ReviewItem>,
) -> ApiResult<HttpResponse> {
    let (code, item) = path.into_inner();
    let path_commune = code.clone();
    let input = body.0;
    let note = input.note.map(|n| nfc(n.trim())).filter(|n| !n.is_empty());
    if input.decision == Decision::Reject && note.is_none() {
        return Err(ApiError::invalid_field(
            "note",
            "Cần ghi lý do từ chối.",
            "A rejection needs a note.",
        ));
    }
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| {
            let c = visible_commune(conn, &p, &code)?;
            let cat = manual_item(&item)?;
            let mut row = find_row(conn, &c.code, cat.code)?.ok_or_else(|| {
                ApiError::not_found("khai báo của mục kiểm tra", "Declaration of the item")
            })?;
            if row.version != if_match.0 {
                return Err(ApiError::precondition_failed());
            }
            if row.review_status != ReviewStatus::Pending.as_str() {
                return Err(ApiError::conflict(
                    "readiness.already_reviewed",
                    "Khai báo này đã được xem xét; chờ xã khai báo lại.",
                    "This declaration was already reviewed; wait for a new one.",
                ));
            }
            let now = crate::clock::now().naive_utc();
            let (status, action) = match input.decision {
                Decision::Approve => (ReviewStatus::Approved, "approve"),
                Decision::Reject => (ReviewStatus::Rejected, "reject"),
            };
            let expected = row.version;
            row.review_status = status.as_str().into();
            row.review_note = note.clone();
            row.reviewed_by = Some(p.user_id.clone());
            row.reviewed_at = Some(now);
            row.version += 1;
            if !save_row(conn, &row, expected)? {
                return Err(ApiError::precondition_failed());
            }
            record_event(conn, &row, action, note, &p, now)?;
            saved_view(conn, &c, cat, &row)
        })
        .await?;
    log::info!(
        "readiness item {} of {} reviewed by {}",
        view.code,
        path_commune,
        auth.user_id
    );
    Ok(item_response(view))
}

// ---------------------------------------------------------------- history

/// One entry of a commune's readiness history.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub item_code: String,
    /// `declare`, `approve` or `reject`.
    pub action: String,
    /// The item as it stood after this entry.
    pub status: ManualStatus,
    pub evidence: String,
    pub evidence_date: NaiveDate,
    pub review_status: ReviewStatus,
    /// The reviewer's note.
    pub note: Option<String>,
    pub item_version: i64,
    pub actor_id: String,
    pub actor_role: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct HistoryFilter {
    /// Only this item.
    pub item: Option<String>,
}

/// A commune's readiness history: every declaration and review, newest first.
///
/// **Roles:** as for the commune's board. Append-only (the database refuses updates and
/// deletes). Keyset pagination.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code"), HistoryFilter, PageParams), responses(
    (status = 200, body = Page<HistoryEntry>),
    (status = 400, description = "Invalid cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/readiness/communes/{code}/history")]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authorized<ReadinessReaders>,
    code: web::Path<String>,
    filter: web::Query<HistoryFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let cursor: Option<i64> = page.cursor()?;
    let p = auth.principal.clone();
    let code = code.into_inner();
    let item = filter.into_inner().item;
    let rows = state
        .db(move |conn| {
            let c = visible_commune(conn, &p, &code)?;
            let mut q = readiness_events::table
                .filter(readiness_events::commune_code.eq(c.code))
                .select(EventRow::as_select())
                .order(readiness_events::id.desc())
                .limit(limit + 1)
                .into_boxed();
            if let Some(i) = item {
                q = q.filter(readiness_events::item_code.eq(i));
            }
            if let Some(after) = cursor {
                q = q.filter(readiness_events::id.lt(after));
            }
            Ok(q.load(conn)?)
        })
        .await?;
    let page = Page::from_rows(
        rows,
        limit,
        |r: &EventRow| r.id,
        |r| HistoryEntry {
            id: r.id,
            item_code: r.item_code,
            action: r.action,
            status: ManualStatus::parse(&r.status).unwrap_or(ManualStatus::NotMet),
            evidence: r.evidence,
            evidence_date: r.evidence_date,
            review_status: ReviewStatus::parse(&r.review_status).unwrap_or(ReviewStatus::Pending),
            note: r.note,
            item_version: r.item_version,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            created_at: utc(r.created_at),
        },
    );
    Ok(HttpResponse::Ok().json(page))
}

// ---------------------------------------------------------------- province configuration

/// A catalog entry with its default settings.
#[derive(Serialize, ToSchema)]
pub struct CatalogEntry {
    pub code: String,
    pub group: ItemGroup,
    pub kind: ItemKind,
    pub title: String,
    pub title_en: String,
    pub required_by_default: bool,
    pub default_threshold: Option<f64>,
}

fn catalog_entries() -> Vec<CatalogEntry> {
    CATALOG
        .iter()
        .map(|c| CatalogEntry {
            code: c.code.into(),
            group: c.group,
            kind: c.kind,
            title: c.title_vi.into(),
            title_en: c.title_en.into(),
            required_by_default: c.required_by_default,
            default_threshold: c.default_threshold,
        })
        .collect()
}

/// A province's readiness configuration.
#[derive(Serialize, ToSchema)]
pub struct ProvinceConfigView {
    pub province_code: String,
    /// 0 while nothing is stored (the defaults apply); send it in `If-Match`.
    pub version: i64,
    pub config: ProvinceConfig,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The items and their defaults.
    pub catalog: Vec<CatalogEntry>,
}

fn config_view(province: String, (config, version, by): StoredConfig) -> ProvinceConfigView {
    ProvinceConfigView {
        province_code: province,
        version,
        config,
        updated_by: by.as_ref().map(|b| b.0.clone()),
        updated_at: by.map(|b| utc(b.1)),
        catalog: catalog_entries(),
    }
}

/// A province's readiness configuration.
///
/// **Roles:** `province_supervisor` of that province (another is 404), `system_admin`.
/// Which items are required, thresholds, the amber rule, and per-commune overrides; the
/// catalog with its defaults. `ETag` is the version for `PUT`.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Province code")), responses(
    (status = 200, body = ProvinceConfigView, headers(("ETag" = String, description = "Configuration version"))),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such province in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/readiness/provinces/{code}/config")]
pub async fn get_config(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReadiness>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let view = state
        .db(move |conn| {
            let pv = visible_province(conn, &p, &code)?;
            Ok(config_view(pv.code.clone(), load_config(conn, &pv.code)?))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Replace a province's readiness configuration.
///
/// **Roles:** `province_supervisor` of that province (another is 404), `system_admin`.
/// Requires `If-Match` with the configuration's version (`"0"` while none is stored; 412 if
/// someone changed it meanwhile). Absent settings fall back to the catalog defaults; a
/// commune's override wins over the province's setting. Unknown items, thresholds outside
/// 0–100 or on items without one, and communes of another province are 422.
#[utoipa::path(tag = "readiness", security(("bearer" = [])), request_body = ProvinceConfig,
    params(("code" = String, Path, description = "Province code"), ("If-Match" = String, Header, description = "The configuration's version")),
    responses(
    (status = 200, body = ProvinceConfigView, headers(("ETag" = String, description = "New configuration version"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such province in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale If-Match", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid settings (`errors` names each)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/readiness/provinces/{code}/config")]
pub async fn put_config(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReadiness>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<ProvinceConfig>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let config = body.0;
    let view = state
        .db_tx(move |conn| {
            let pv = visible_province(conn, &p, &code)?;
            let own: Vec<String> = communes::table
                .filter(communes::province_code.eq(&pv.code))
                .select(communes::code)
                .load(conn)?;
            let errors = config.check(|c| own.iter().any(|o| o == c));
            if !errors.is_empty() {
                let mut map = FieldErrors::new();
                for e in errors {
                    map.entry(e.field)
                        .or_default()
                        .push(Msg::new(e.message_vi, e.message_en));
                }
                return Err(ApiError::validation(map));
            }
            let (_, version, _) = load_config(conn, &pv.code)?;
            if version != if_match.0 {
                return Err(ApiError::precondition_failed());
            }
            let json = serde_json::to_string(&config).map_err(ApiError::internal)?;
            let now = crate::clock::now().naive_utc();
            let n = if version == 0 {
                let row = (
                    readiness_province_configs::province_code.eq(&pv.code),
                    readiness_province_configs::config.eq(&json),
                    readiness_province_configs::version.eq(1i64),
                    readiness_province_configs::updated_by.eq(&p.user_id),
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
                        .find(&pv.code)
                        .filter(readiness_province_configs::version.eq(version)),
                )
                .set((
                    readiness_province_configs::config.eq(&json),
                    readiness_province_configs::version.eq(version + 1),
                    readiness_province_configs::updated_by.eq(&p.user_id),
                    readiness_province_configs::updated_at.eq(now),
                ))
                .execute(conn)?
            };
            if n != 1 {
                return Err(ApiError::precondition_failed());
            }
            Ok(config_view(
                pv.code.clone(),
                (config, version + 1, Some((p.user_id.clone(), now))),
            ))
        })
        .await?;
    log::info!(
        "readiness configuration of province {} set by {}",
        view.province_code,
        auth.user_id
    );
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Checked by `ProvinceConfig::check` (it needs the province's communes); this only lets
/// the body go through `ValidJson` for its JSON and content-type problems.
impl Validate for ProvinceConfig {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

// ---------------------------------------------------------------- province view

/// A required item a commune still lacks.
#[derive(Serialize, ToSchema)]
pub struct MissingItem {
    pub code: String,
    pub title: String,
    pub title_en: String,
}

/// A commune that is not green, and why.
#[derive(Serialize, ToSchema)]
pub struct CommuneGap {
    pub commune_code: String,
    pub commune_name: String,
    pub flag: Flag,
    pub missing: Vec<MissingItem>,
}

/// "N of M communes green" for a province.
#[derive(Serialize, ToSchema)]
pub struct ProvinceReadinessView {
    pub province_code: String,
    pub province_name: String,
    pub communes_total: usize,
    pub communes_green: usize,
    pub communes_amber: usize,
    pub communes_red: usize,
    /// E.g. "76/148 xã, phường đạt xanh".
    pub summary: String,
    /// E.g. "76 of 148 communes green".
    pub summary_en: String,
    pub evaluated_at: DateTime<Utc>,
    /// Every commune that is not green (by code), with the required items it lacks.
    pub not_green: Vec<CommuneGap>,
}

/// A province's readiness: how many communes are green and what the others lack.
///
/// **Roles:** `province_supervisor` of that province (another is 404), `system_admin`.
/// Every commune of the province is evaluated live with the same rules as its own board, in a
/// fixed number of grouped queries (not one per commune). The full list of communes that
/// are not green is returned (a province has at most a few hundred communes).
#[utoipa::path(tag = "readiness", security(("bearer" = [])), params(("code" = String, Path, description = "Province code")), responses(
    (status = 200, body = ProvinceReadinessView),
    (status = 401, description = P401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such province in the caller's scope", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/readiness/provinces/{code}")]
pub async fn province_readiness(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReadiness>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let view = state
        .db(move |conn| {
            let pv = visible_province(conn, &p, &code)?;
            let now = crate::clock::now().naive_utc();
            let list: Vec<(String, String)> = communes::table
                .filter(communes::province_code.eq(&pv.code))
                .select((communes::code, communes::full_name))
                .order(communes::code)
                .load(conn)?;
            let (config, _, _) = load_config(conn, &pv.code)?;
            let mut facts = commune_facts(conn, Scope::Province(&pv.code), now)?;
            let mut rows: HashMap<String, HashMap<String, ItemRow>> = HashMap::new();
            for r in manual_rows(conn, Scope::Province(&pv.code))? {
                rows.entry(r.commune_code.clone())
                    .or_default()
                    .insert(r.item_code.clone(), r);
            }
            let empty = HashMap::new();
            let (mut green, mut amber, mut red) = (0, 0, 0);
            let mut not_green = Vec::new();
            for (c, name) in &list {
                let cfg = config.effective_for(c);
                let f = facts.remove(c).unwrap_or_default();
                let items = item_views(&cfg, &f, rows.get(c).unwrap_or(&empty), now);
                let (fl, missing) = flag_of(&items, &cfg);
                match fl {
                    Flag::Green => green += 1,
                    Flag::Amber => amber += 1,
                    Flag::Red => red += 1,
                }
                if fl != Flag::Green {
                    not_green.push(CommuneGap {
                        commune_code: c.clone(),
                        commune_name: name.clone(),
                        flag: fl,
                        missing: missing
                            .into_iter()
                            .filter_map(catalog_item)
                            .map(|m| MissingItem {
                                code: m.code.into(),
                                title: m.title_vi.into(),
                                title_en: m.title_en.into(),
                            })
                            .collect(),
                    });
                }
            }
            let total = list.len();
            Ok(ProvinceReadinessView {
                province_code: pv.code.clone(),
                province_name: pv.full_name.clone(),
                communes_total: total,
                communes_green: green,
                communes_amber: amber,
                communes_red: red,
                summary: format!("{green}/{total} xã, phường đạt xanh"),
                summary_en: format!("{green} of {total} communes green"),
                evaluated_at: utc(now),
                not_green,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
