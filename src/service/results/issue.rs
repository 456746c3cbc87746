//! Issuing a dossier's result, revoking a result and replacing it with a corrected one.

use diesel::prelude::*;

use super::{
    active_or_conflict, dossier_code_of, dossier_event, insert_result, load_result, may_amend,
    may_issue, not_found, owner_of, Owner, ResultInput, StoredFile,
};
use crate::auth::Principal;
use crate::db::models::result::{DigitalResult, NewResultEvent};
use crate::db::schema::digital_results;
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::{ProcessingStep, Status};
use crate::domain::sealing::Sealer;
use crate::error::{ApiError, ApiResult};

// The dossier lookup is the dossiers slice's; it moves to service/ with it.
use crate::service::dossiers::lookup::load_visible;
use crate::service::dossiers::record::record_of;

/// Before the upload is read: the dossier is visible (else 404) and the caller may issue.
pub fn check_issue(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<()> {
    load_visible(conn, p, code)?;
    may_issue(p)
}

/// Issues the dossier's result once it is approved (processing with an approved result,
/// `result_ready` or `returned`); the dossier's history gets `result_issued`. Returns the
/// result and the dossier's code.
pub fn issue(
    conn: &mut DbConn,
    sealer: &Sealer,
    p: &Principal,
    code: &str,
    input: &ResultInput,
    file: &StoredFile,
) -> ApiResult<(DigitalResult, String)> {
    let d = load_visible(conn, p, code)?;
    let rec = record_of(&d)?;
    let approved = match rec.state.status {
        Status::Processing => rec.state.step == ProcessingStep::ResultApproved,
        Status::ResultReady | Status::Returned => true,
        _ => false,
    };
    if !approved {
        return Err(ApiError::conflict(
            "digital_result.not_approved",
            "Kết quả của hồ sơ chưa được phê duyệt.",
            "The dossier's result is not approved.",
        ));
    }
    let owner = owner_of(conn, &d)?;
    let r = insert_result(conn, sealer, p, "result", &owner, input, file, None)?;
    Ok((r, d.code))
}

/// Revokes an active result (`version`: the caller's ETag). Nothing is deleted: the result
/// stays, marked revoked with the reason and date.
pub fn revoke(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    version: i64,
    reason: &str,
) -> ApiResult<(DigitalResult, Option<String>)> {
    let r = load_result(conn, p, id)?;
    may_amend(p, &r)?;
    active_or_conflict(&r)?;
    let now = crate::clock::now().naive_utc();
    let n = diesel::update(
        digital_results::table
            .filter(digital_results::id.eq(&r.id))
            .filter(digital_results::version.eq(version)),
    )
    .set((
        digital_results::status.eq("revoked"),
        digital_results::revoked_at.eq(now),
        digital_results::revoked_reason.eq(reason),
        digital_results::version.eq(digital_results::version + 1),
    ))
    .execute(conn)?;
    if n != 1 {
        return Err(ApiError::precondition_failed());
    }
    NewResultEvent {
        result_id: &r.id,
        action: "revoked",
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        reason: Some(reason),
        data: "{}".into(),
        created_at: now,
    }
    .append(conn)?;
    if let Some(did) = &r.dossier_id {
        dossier_event(
            conn,
            p,
            did,
            "result_revoked",
            Some(reason),
            serde_json::json!({ "result_id": r.id }),
        )?;
    }
    let r = DigitalResult::find(conn, &r.id)?.ok_or_else(not_found)?;
    let code = dossier_code_of(conn, &r)?;
    Ok((r, code))
}

/// Before the upload is read: the result is visible (else 404) and the caller may replace it.
pub fn check_amend(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<()> {
    let r = load_result(conn, p, id)?;
    may_amend(p, &r)
}

/// Replaces an active result with a corrected one: the new result names the old one in
/// `supersedes`, the old one becomes `superseded` with `superseded_by`, and both histories
/// record it. `version` is the old result's ETag.
#[allow(clippy::too_many_arguments)]
pub fn supersede(
    conn: &mut DbConn,
    sealer: &Sealer,
    p: &Principal,
    id: &str,
    version: i64,
    input: &ResultInput,
    file: &StoredFile,
    reason: Option<&str>,
) -> ApiResult<(DigitalResult, Option<String>)> {
    let old = load_result(conn, p, id)?;
    active_or_conflict(&old)?;
    let commune = crate::db::models::registry::Commune::find(conn, &old.commune_code)?
        .ok_or_else(|| ApiError::internal("commune"))?;
    let owner = Owner {
        commune_code: old.commune_code.clone(),
        province_code: old.province_code.clone(),
        agency: format!("UBND {}", commune.full_name),
        id_number: old.owner_id_number.clone(),
        name: old.owner_name.clone(),
        user_id: old.owner_user_id.clone(),
        dossier_id: old.dossier_id.clone(),
    };
    let new = insert_result(
        conn,
        sealer,
        p,
        &old.kind,
        &owner,
        input,
        file,
        Some(&old.id),
    )?;
    let n = diesel::update(
        digital_results::table
            .filter(digital_results::id.eq(&old.id))
            .filter(digital_results::version.eq(version)),
    )
    .set((
        digital_results::status.eq("superseded"),
        digital_results::superseded_by.eq(&new.id),
        digital_results::version.eq(digital_results::version + 1),
    ))
    .execute(conn)?;
    if n != 1 {
        return Err(ApiError::precondition_failed());
    }
    NewResultEvent {
        result_id: &old.id,
        action: "superseded",
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        reason,
        data: serde_json::json!({ "superseded_by": new.id }).to_string(),
        created_at: new.created_at,
    }
    .append(conn)?;
    let code = dossier_code_of(conn, &new)?;
    Ok((new, code))
}
