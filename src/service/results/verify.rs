//! Public verification of a digital result: by its seal token, or by the document's file.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::status_of;
use crate::db::models::result::DigitalResult;
use crate::db::schema::digital_results;
use crate::db::DbConn;
use crate::domain::calendar::today;
use crate::domain::sealing::{mask_id_number, SealError, Sealer};
use crate::error::ApiResult;

/// What a verifier learns: the status and what the document itself states.
#[derive(Serialize, ToSchema)]
pub struct Verification {
    /// `valid`, `tampered` (the token or the file does not match its seal), `revoked`,
    /// `superseded`, `expired`, or `unknown` (no such result, or a key we never had).
    pub status: &'static str,
    pub document: Option<PublicDocument>,
}

/// The document's own content: nothing about the owner beyond the name printed on it (no
/// digit of the ID number: with the name and a few digits the rest is easily guessed).
#[derive(Serialize, ToSchema)]
pub struct PublicDocument {
    pub document_type: String,
    pub number_symbol: String,
    pub summary: String,
    pub issuing_agency: String,
    pub signer_name: String,
    pub signer_title: String,
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub scope: String,
    pub owner_name: String,
    /// Always `************`: public verification reveals no digit of the ID number.
    pub owner_id_masked: String,
    pub file_sha256: String,
    pub sealed_with: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub superseded_by: Option<String>,
}

fn public_document(r: &DigitalResult) -> PublicDocument {
    let masked = mask_id_number(&r.owner_id_number);
    PublicDocument {
        document_type: r.document_type.clone(),
        number_symbol: r.number_symbol.clone(),
        summary: r.summary.clone(),
        issuing_agency: r.issuing_agency.clone(),
        signer_name: r.signer_name.clone(),
        signer_title: r.signer_title.clone(),
        issued_on: r.issued_on,
        valid_from: r.valid_from,
        valid_until: r.valid_until,
        scope: r.scope.clone(),
        owner_name: r.owner_name.clone(),
        owner_id_masked: masked,
        file_sha256: r.file_sha256.clone(),
        sealed_with: r.seal_kid.clone(),
        revoked_at: r
            .revoked_at
            .map(|t| DateTime::from_naive_utc_and_offset(t, Utc)),
        revoked_reason: r.revoked_reason.clone(),
        superseded_by: r.superseded_by.clone(),
    }
}

fn unknown() -> Verification {
    Verification {
        status: "unknown",
        document: None,
    }
}

/// Checks a token (and, if given, the file's hash) against the seal and the records.
pub fn by_token(
    conn: &mut DbConn,
    sealer: &Sealer,
    token: &str,
    file_sha: Option<&str>,
) -> ApiResult<Verification> {
    let payload = match sealer.verify(token) {
        Ok(p) => p,
        Err(SealError::UnknownKey) => return Ok(unknown()),
        Err(_) => {
            return Ok(Verification {
                status: "tampered",
                document: None,
            })
        }
    };
    let Some(r) = DigitalResult::find(conn, &payload.rid)? else {
        return Ok(unknown());
    };
    if payload.h != r.file_sha256 || file_sha.is_some_and(|h| h != r.file_sha256) {
        return Ok(Verification {
            status: "tampered",
            document: Some(public_document(&r)),
        });
    }
    Ok(Verification {
        status: status_of(&r, today()),
        document: Some(public_document(&r)),
    })
}

/// Checks a file without a token: looked up by its SHA-256.
pub fn by_file(conn: &mut DbConn, sha: &str) -> ApiResult<Verification> {
    // The most recent result with this file decides (a re-issue of the same file
    // supersedes the older record).
    let r: Option<DigitalResult> = digital_results::table
        .filter(digital_results::file_sha256.eq(sha))
        .order(digital_results::created_at.desc())
        .select(DigitalResult::as_select())
        .first(conn)
        .optional()?;
    Ok(match r {
        Some(r) => Verification {
            status: status_of(&r, today()),
            document: Some(public_document(&r)),
        },
        None => unknown(),
    })
}
