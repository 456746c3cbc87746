//! The registry of provinces and communes: a commune's record with its province's name,
//! contact details kept by each commune, and issued agency identifiers.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::registry::{Commune, CommuneChanges, Province};
use crate::db::DbConn;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::service::agency;
use crate::service::national_setup::agency_error;
use crate::service::registry_index::IndexedCommune;

fn commune_not_found() -> ApiError {
    ApiError::not_found("xã/phường", "Commune")
}

/// A commune and its province's full name (empty if the province is missing), or 404.
pub fn commune_with_province(conn: &mut DbConn, code: &str) -> ApiResult<(Commune, String)> {
    let c = Commune::find(conn, code)?.ok_or_else(commune_not_found)?;
    let province = Province::find(conn, &c.province_code)?
        .map(|p| p.full_name)
        .unwrap_or_default();
    Ok((c, province))
}

/// Contact details to change: absent stays; an empty string clears the field
/// (`agency_code` "" returns to the default identifier).
pub struct ContactChanges {
    pub agency_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub opening_hours: Option<String>,
}

fn clearable(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| {
        let s = nfc(s.trim());
        (!s.is_empty()).then_some(s)
    })
}

/// Changes a commune's agency identifier and contacts at `version` (else 412). A new
/// identifier is assigned through `service::agency` (unique, never the fallback form), which
/// releases the portal messages that waited for it.
pub fn update_commune(
    conn: &mut DbConn,
    code: &str,
    version: i64,
    changes: ContactChanges,
) -> ApiResult<()> {
    let current = Commune::find(conn, code)?.ok_or_else(commune_not_found)?;
    if current.version != version {
        return Err(ApiError::precondition_failed());
    }
    if let Some(agency) = clearable(changes.agency_code) {
        agency::assign(
            conn,
            &[agency::AgencyAssignment {
                commune_code: code.to_string(),
                agency_code: agency,
            }],
            None,
            false,
            crate::clock::now(),
        )
        .map_err(|e| agency_error(e, |_| "agency_code".into()))?;
    }
    let update = CommuneChanges {
        agency_code: None,
        address: clearable(changes.address),
        phone: clearable(changes.phone),
        email: clearable(changes.email),
        opening_hours: clearable(changes.opening_hours),
        updated_at: Some(crate::clock::now().naive_utc()),
    };
    if !Commune::update_versioned(conn, code, version, &update)? {
        return Err(ApiError::precondition_failed());
    }
    Ok(())
}

/// A commune in a list.
#[derive(Serialize, ToSchema)]
pub struct CommuneSummary {
    #[schema(example = "04978")]
    pub code: String,
    #[schema(example = "Kim Bôi")]
    pub name: String,
    #[schema(example = "Xã Kim Bôi")]
    pub full_name: String,
    pub unit_type: String,
    #[schema(example = "25")]
    pub province_code: String,
    /// Former units whose name matched the search (why a search for "Vĩnh Đồng" lists Xã Kim Bôi).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched_former_units: Vec<String>,
}

/// The communes of the in-memory registry index (ordered by code) after the keyset cursor
/// `after`, filtered by province and unit type, and, with `needle` (folded), by name or
/// former unit name. Returns at most `limit`, and whether more follow.
pub fn search_communes(
    index: &[IndexedCommune],
    province_code: Option<&str>,
    unit_type: Option<&str>,
    needle: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> (Vec<CommuneSummary>, bool) {
    // The index is ordered by code: the keyset cursor is the last code returned.
    let start = match after {
        Some(a) => index.partition_point(|c| c.code.as_str() <= a),
        None => 0,
    };
    let mut items = Vec::new();
    let mut more = false;
    for c in &index[start..] {
        if province_code.is_some_and(|p| p != c.province_code)
            || unit_type.is_some_and(|t| t != c.unit_type)
        {
            continue;
        }
        let matched_former_units = match needle {
            Some(n) => match c.matches(n) {
                Some(via) => via,
                None => continue,
            },
            None => Vec::new(),
        };
        if items.len() as i64 == limit {
            more = true;
            break;
        }
        items.push(CommuneSummary {
            code: c.code.clone(),
            name: c.name.clone(),
            full_name: c.full_name.clone(),
            unit_type: c.unit_type.clone(),
            province_code: c.province_code.clone(),
            matched_former_units,
        });
    }
    (items, more)
}
