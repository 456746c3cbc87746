//! A commune's board and the province view: every item evaluated now, the flag and what
//! is missing.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{commune_facts, load_config, visible_commune, visible_province};
use crate::auth::Principal;
use crate::db::models::indicator::Scope;
use crate::db::models::readiness::ItemRow;
use crate::db::models::registry::{Commune, Province};
use crate::db::schema::communes;
use crate::db::DbConn;
use crate::domain::readiness::{
    catalog_item, evaluate_automatic, flag, manual_satisfied, AutoEvaluation, CatalogItem,
    CommuneFacts, EffectiveConfig, Flag, ItemGroup, ItemKind, ItemOutcome, ManualStatus,
    ReviewStatus, CATALOG,
};
use crate::error::ApiResult;

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

pub(super) fn manual_view(
    cat: &CatalogItem,
    cfg: &EffectiveConfig,
    row: Option<&ItemRow>,
) -> ItemView {
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
            updated_at: r.updated_at.and_utc(),
            review: ReviewView {
                status: rs,
                note: r.review_note.clone(),
                reviewed_by: r.reviewed_by.clone(),
                reviewed_at: r.reviewed_at.map(|t| t.and_utc()),
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

/// The board of commune `code`, if the caller may see it (404 otherwise).
pub fn commune_board(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<CommuneReadiness> {
    let c = visible_commune(conn, p, code)?;
    board_of(conn, &c)
}

fn board_of(conn: &mut DbConn, c: &Commune) -> ApiResult<CommuneReadiness> {
    let now = crate::clock::now().naive_utc();
    let (config, _, _) = load_config(conn, &c.province_code)?;
    let cfg = config.effective_for(&c.code);
    let facts = commune_facts(conn, Scope::Commune(&c.code), now)?
        .remove(&c.code)
        .unwrap_or_default();
    let rows: HashMap<String, ItemRow> = ItemRow::of_scope(conn, Scope::Commune(&c.code))?
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
        evaluated_at: now.and_utc(),
        items,
    })
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

/// Every commune of province `code` evaluated with the same rules as its own board, in a
/// fixed number of grouped queries (not one per commune).
pub fn province_view(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
) -> ApiResult<ProvinceReadinessView> {
    let pv = visible_province(conn, p, code)?;
    let now = crate::clock::now().naive_utc();
    let list: Vec<(String, String)> = communes::table
        .filter(communes::province_code.eq(&pv.code))
        .select((communes::code, communes::full_name))
        .order(communes::code)
        .load(conn)?;
    let (config, _, _) = load_config(conn, &pv.code)?;
    let mut facts = commune_facts(conn, Scope::Province(&pv.code), now)?;
    let mut rows: HashMap<String, HashMap<String, ItemRow>> = HashMap::new();
    for r in ItemRow::of_scope(conn, Scope::Province(&pv.code))? {
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
    Ok(province_summary(
        &pv,
        list.len(),
        (green, amber, red),
        now,
        not_green,
    ))
}

fn province_summary(
    pv: &Province,
    total: usize,
    (green, amber, red): (usize, usize, usize),
    now: NaiveDateTime,
    not_green: Vec<CommuneGap>,
) -> ProvinceReadinessView {
    ProvinceReadinessView {
        province_code: pv.code.clone(),
        province_name: pv.full_name.clone(),
        communes_total: total,
        communes_green: green,
        communes_amber: amber,
        communes_red: red,
        summary: format!("{green}/{total} xã, phường đạt xanh"),
        summary_en: format!("{green} of {total} communes green"),
        evaluated_at: now.and_utc(),
        not_green,
    }
}
