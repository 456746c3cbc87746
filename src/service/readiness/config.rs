//! A province's readiness configuration: which items are required, thresholds, the amber
//! rule and per-commune overrides, versioned for `If-Match`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{load_config, visible_province, StoredConfig};
use crate::auth::Principal;
use crate::db::models::readiness::ConfigRow;
use crate::db::schema::communes;
use crate::db::DbConn;
use crate::domain::readiness::{ItemGroup, ItemKind, ProvinceConfig, CATALOG};
use crate::error::{ApiError, ApiResult, FieldErrors, Text as Msg};

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
        updated_at: by.map(|b| b.1.and_utc()),
        catalog: catalog_entries(),
    }
}

/// Province `code`'s configuration (the defaults, version 0, while none is stored).
pub fn get_config(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<ProvinceConfigView> {
    let pv = visible_province(conn, p, code)?;
    Ok(config_view(pv.code.clone(), load_config(conn, &pv.code)?))
}

/// Replaces province `code`'s configuration if its version is still `expected` (412
/// otherwise). Unknown items, thresholds outside 0–100 or on items without one, and
/// communes of another province are 422.
pub fn put_config(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    expected: i64,
    config: ProvinceConfig,
) -> ApiResult<ProvinceConfigView> {
    let pv = visible_province(conn, p, code)?;
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
    if version != expected {
        return Err(ApiError::precondition_failed());
    }
    let json = serde_json::to_string(&config).map_err(ApiError::internal)?;
    let now = crate::clock::now().naive_utc();
    if !ConfigRow::save(conn, &pv.code, &json, version, &p.user_id, now)? {
        return Err(ApiError::precondition_failed());
    }
    Ok(config_view(
        pv.code.clone(),
        (config, version + 1, Some((p.user_id.clone(), now))),
    ))
}
