//! Recording communes' issued agency identifiers (mã định danh điện tử, QĐ 20/2020/QĐ-TTg),
//! one at a time or a province's list at once.
//!
//! The effective identifier is unique: an issued one is held by one commune only (a unique
//! index backs this check under concurrency), and the fallback form `H{pp}.{ccccc}` can
//! never be recorded (`domain::agency_id`). Recording an identifier releases the commune's
//! portal messages that were waiting for it (`held` → `pending`); clearing it holds them
//! again.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{communes, dossiers, portal_outbox};
use crate::db::DbConn;
use crate::domain::agency_id::{self, Refusal};

/// One change: the commune and its new identifier (`None`: back to the fallback).
#[derive(Clone, Debug)]
pub struct AgencyAssignment {
    pub commune_code: String,
    pub agency_code: Option<String>,
}

#[derive(Debug)]
pub enum AgencyError {
    /// Item `index` of the command is malformed or the reserved fallback form.
    Refused {
        index: usize,
        why: Refusal,
    },
    /// Item `index` names a commune that does not exist (or is outside the province).
    UnknownCommune {
        index: usize,
        commune_code: String,
    },
    /// Item `index` takes an identifier another commune holds (or another item takes).
    Taken {
        index: usize,
        agency_code: String,
        held_by: String,
    },
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for AgencyError {
    fn from(e: diesel::result::Error) -> Self {
        AgencyError::Db(e)
    }
}

/// What a change did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AgencyOutcome {
    /// Communes whose identifier changed.
    pub changed: Vec<String>,
    /// Portal messages released (their commune now has an identifier).
    pub released: usize,
    /// Portal messages put on hold (their commune no longer has one).
    pub held: usize,
}

/// Applies the assignments inside the caller's transaction, all or nothing. With
/// `province` set, every commune must belong to it (a province's list). Communes whose
/// identifier is unchanged are left alone; with `bump`, changed ones get a new version
/// (a caller that versions the row itself passes `false`).
pub fn assign(
    conn: &mut DbConn,
    items: &[AgencyAssignment],
    province: Option<&str>,
    bump: bool,
    now: DateTime<Utc>,
) -> Result<AgencyOutcome, AgencyError> {
    let mut wanted: Vec<(usize, String, Option<String>)> = Vec::with_capacity(items.len());
    for (index, it) in items.iter().enumerate() {
        let code = it
            .agency_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if let Some(c) = &code {
            agency_id::check(c).map_err(|why| AgencyError::Refused { index, why })?;
        }
        if let Some((_, other, _)) = wanted.iter().find(|(_, _, w)| code.is_some() && w == &code) {
            return Err(AgencyError::Taken {
                index,
                agency_code: code.unwrap_or_default(),
                held_by: other.clone(),
            });
        }
        wanted.push((index, it.commune_code.clone(), code));
    }
    let mut changing: Vec<(usize, String, Option<String>)> = Vec::new();
    for (index, commune, code) in wanted {
        let row: Option<(String, Option<String>)> = communes::table
            .find(&commune)
            .select((communes::province_code, communes::agency_code))
            .first(conn)
            .optional()?;
        let Some((prov, current)) = row.filter(|(p, _)| province.is_none_or(|want| want == p))
        else {
            return Err(AgencyError::UnknownCommune {
                index,
                commune_code: commune,
            });
        };
        let _ = prov;
        if current != code {
            changing.push((index, commune, code));
        }
    }
    let moving: Vec<&str> = changing.iter().map(|(_, c, _)| c.as_str()).collect();
    for (index, commune, code) in &changing {
        let Some(code) = code else { continue };
        let holder: Option<String> = communes::table
            .filter(communes::agency_code.eq(code))
            .filter(communes::code.ne(commune))
            .select(communes::code)
            .first(conn)
            .optional()?;
        // A holder that gives the identifier up in this same command frees it.
        if let Some(h) = holder.filter(|h| !moving.contains(&h.as_str())) {
            return Err(AgencyError::Taken {
                index: *index,
                agency_code: code.clone(),
                held_by: h,
            });
        }
    }
    let nowd = now.naive_utc();
    // Clear first, then set: a swap between two communes never meets the unique index.
    diesel::update(communes::table.filter(communes::code.eq_any(moving.clone())))
        .set(communes::agency_code.eq(None::<String>))
        .execute(conn)?;
    let mut out = AgencyOutcome::default();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for (_, commune, code) in &changing {
        diesel::update(communes::table.find(commune))
            .set((
                communes::agency_code.eq(code),
                communes::version.eq(communes::version + i64::from(bump)),
                communes::updated_at.eq(nowd),
            ))
            .execute(conn)?;
        out.changed.push(commune.clone());
        if code.is_some() {
            with.push(commune.as_str());
        } else {
            without.push(commune.as_str());
        }
    }
    if !with.is_empty() {
        out.released = diesel::update(
            portal_outbox::table
                .filter(portal_outbox::status.eq("held"))
                .filter(
                    portal_outbox::dossier_id.eq_any(
                        dossiers::table
                            .filter(dossiers::commune_code.eq_any(with.clone()))
                            .select(dossiers::id),
                    ),
                ),
        )
        .set((
            portal_outbox::status.eq("pending"),
            portal_outbox::next_attempt_at.eq(nowd),
        ))
        .execute(conn)?;
    }
    if !without.is_empty() {
        out.held = diesel::update(
            portal_outbox::table
                .filter(portal_outbox::status.eq("pending"))
                .filter(
                    portal_outbox::dossier_id.eq_any(
                        dossiers::table
                            .filter(dossiers::commune_code.eq_any(without.clone()))
                            .select(dossiers::id),
                    ),
                ),
        )
        .set(portal_outbox::status.eq("held"))
        .execute(conn)?;
    }
    Ok(out)
}

/// Whether the dossier's commune has an issued identifier (its portal messages may go).
pub fn dossier_commune_has_identifier(conn: &mut DbConn, dossier_id: &str) -> QueryResult<bool> {
    let commune: String = dossiers::table
        .find(dossier_id)
        .select(dossiers::commune_code)
        .first(conn)?;
    communes::table
        .find(commune)
        .select(communes::agency_code)
        .first::<Option<String>>(conn)
        .map(|c| c.is_some())
}
