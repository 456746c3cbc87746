//! Digital results (kết quả điện tử): issue, seal, verify, revoke, supersede and reuse;
//! digitization records of components; electronic certification (chứng thực bản sao điện
//! tử từ bản chính) with the commune's yearly book.
//!
//! Record scope (who may *see* a result) is `auth::access`; who may *act* on one (issue,
//! certify, review, revoke or replace, hold a data store) are the rules of this module.

pub mod certification;
pub mod data_store;
pub mod digitization;
pub mod issue;
pub mod read;
pub mod verify;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::access::{self, Place, Resource, Scope};
use crate::auth::Principal;
use crate::db::models::dossier::{record_file, Dossier, NewDossierEvent};
use crate::db::models::result::{DigitalResult, NewResultEvent};
use crate::db::schema::{digital_results, dossiers};
use crate::db::DbConn;
use crate::domain::dossier_lifecycle::Status;
use crate::domain::roles::Role;
use crate::domain::sealing::{SealPayload, Sealer, SEAL_FORMAT};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::service::events;

// ---------------------------------------------------------------- commands

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignatureType {
    /// Chữ ký số chuyên dùng công vụ (state officials' signature).
    ChuyenDungCongVu,
    /// Chữ ký số công cộng (public CA).
    CongCong,
}

/// The document's digital signature, as read from the signed PDF.
#[derive(Serialize, Deserialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct SignatureInput {
    #[serde(rename = "type")]
    pub signature_type: SignatureType,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub certificate_serial: String,
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500))]
    pub certificate_subject: String,
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500))]
    pub certificate_issuer: String,
    pub signed_at: DateTime<Utc>,
}

/// A result's metadata (the `metadata` part, JSON, next to the `file` part).
#[derive(Serialize, Deserialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "document_type": "Giấy xác nhận tình trạng hôn nhân", "number_symbol": "125/XN-UBND", "summary": "Xác nhận tình trạng hôn nhân của bà Nguyễn Thị Hoà",
    "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã", "issued_on": "2026-11-28", "valid_until": "2027-05-28",
    "scope": "Dùng để đăng ký kết hôn",
    "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFEB7033FB316D672201B7BA4FE", "certificate_subject": "CN=Trần Văn Minh, O=UBND xã Kim Bôi",
                  "certificate_issuer": "CN=Cục Chứng thực số và Bảo mật thông tin", "signed_at": "2026-11-28T02:30:00Z"}}))]
pub struct ResultInput {
    #[schema(min_length = 1, max_length = 300)]
    #[validate(length(min = 1, max = 300))]
    pub document_type: String,
    /// Số ký hiệu.
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100))]
    pub number_symbol: String,
    /// Trích yếu.
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(min = 1, max = 2000))]
    pub summary: String,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub signer_name: String,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub signer_title: String,
    /// Default: the commune's people's committee.
    #[schema(min_length = 1, max_length = 300)]
    #[validate(length(min = 1, max = 300))]
    pub issuing_agency: Option<String>,
    pub issued_on: NaiveDate,
    /// Default: `issued_on`.
    pub valid_from: Option<NaiveDate>,
    /// Absent: no end.
    pub valid_until: Option<NaiveDate>,
    /// Phạm vi hiệu lực.
    #[schema(max_length = 500)]
    #[validate(length(max = 500))]
    pub scope: Option<String>,
    #[validate(nested)]
    pub signature: SignatureInput,
}

impl ResultInput {
    /// The period's rule, once the fields are valid: it ends no earlier than it starts.
    pub fn check_period(&self) -> ApiResult<()> {
        let from = self.valid_from.unwrap_or(self.issued_on);
        if self.valid_until.is_some_and(|u| u < from) {
            return Err(ApiError::invalid_field(
                "valid_until",
                "Hết hiệu lực trước ngày có hiệu lực.",
                "valid_until is before valid_from.",
            ));
        }
        Ok(())
    }
}

/// A file already in the store: its SHA-256, size and content type.
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub sha256: String,
    pub size: i64,
    pub content_type: &'static str,
}

// ---------------------------------------------------------------- errors, rules

pub fn not_found() -> ApiError {
    ApiError::not_found("kết quả điện tử", "Digital result")
}

fn require_role(p: &Principal, roles: &[Role], vi: &str, en: &str) -> ApiResult<()> {
    if roles.contains(&p.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "digital_result.role_not_allowed",
            vi,
            en,
        ))
    }
}

/// Only the commune's leader issues a dossier's result.
pub fn may_issue(p: &Principal) -> ApiResult<()> {
    require_role(
        p,
        &[Role::Leader],
        "Chỉ lãnh đạo của xã ban hành kết quả.",
        "Only the commune's leader issues results.",
    )
}

/// Only a counter officer certifies copies.
pub fn may_certify(p: &Principal) -> ApiResult<()> {
    require_role(
        p,
        &[Role::ReceptionOfficer],
        "Chỉ cán bộ một cửa chứng thực.",
        "Only a counter officer certifies copies.",
    )
}

/// The commune's counter officer or leader reviews digitized components.
pub fn may_review(p: &Principal) -> ApiResult<()> {
    require_role(
        p,
        &[Role::ReceptionOfficer, Role::Leader],
        "Chỉ cán bộ một cửa hoặc lãnh đạo của xã duyệt số hoá.",
        "Only the commune's counter officer or leader reviews digitization.",
    )
}

/// The data store belongs to citizens.
pub fn may_hold_data_store(p: &Principal) -> ApiResult<()> {
    require_role(
        p,
        &[Role::Citizen],
        "Kho dữ liệu là của công dân.",
        "The data store belongs to citizens.",
    )
}

/// Revoking or replacing: the issuing commune's leader (and its counter officer for a
/// certified copy, which the counter issued).
pub fn may_amend(p: &Principal, r: &DigitalResult) -> ApiResult<()> {
    let role_ok = match r.kind.as_str() {
        "certified_copy" => matches!(p.role, Role::Leader | Role::ReceptionOfficer),
        _ => p.role == Role::Leader,
    };
    let place = Place::commune(&r.commune_code, &r.province_code);
    if role_ok
        && access::reach(Resource::DigitalResult, p.role) == access::Reach::Commune
        && access::may_see(p, Resource::DigitalResult, place)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "digital_result.role_not_allowed",
            "Chỉ lãnh đạo của xã ban hành được thu hồi hoặc thay thế.",
            "Only the issuing commune's leader revokes or replaces a result.",
        ))
    }
}

/// What the public check says of a result on `today`: `revoked`, `superseded`, `expired`
/// (outside its period) or `valid`.
pub fn status_of(r: &DigitalResult, today: NaiveDate) -> &'static str {
    match r.status.as_str() {
        "revoked" => "revoked",
        "superseded" => "superseded",
        _ if r.valid_until.is_some_and(|u| u < today) || r.valid_from > today => "expired",
        _ => "valid",
    }
}

pub(crate) fn active_or_conflict(r: &DigitalResult) -> ApiResult<()> {
    if r.status == "active" {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "digital_result.not_active",
            format!(
                "Kết quả đã {}.",
                if r.status == "revoked" {
                    "bị thu hồi"
                } else {
                    "được thay thế"
                }
            ),
            format!("The result is {}.", r.status),
        ))
    }
}

// ---------------------------------------------------------------- who sees what

/// The code of the result's dossier, if it has one.
pub fn dossier_code_of(conn: &mut DbConn, r: &DigitalResult) -> ApiResult<Option<String>> {
    Ok(match &r.dossier_id {
        Some(id) => dossiers::table
            .find(id)
            .select(dossiers::code)
            .first(conn)
            .optional()?,
        None => None,
    })
}

/// The caller's *verified* personal ID (citizens see results issued to it). A personal ID
/// that no verified source vouched for grants nothing.
pub(crate) fn personal_id(conn: &mut DbConn, p: &Principal) -> ApiResult<Option<String>> {
    if p.role != Role::Citizen {
        return Ok(None);
    }
    Ok(crate::service::identity::verified_personal_id(
        conn, &p.user_id,
    )?)
}

/// The caller's scope over digital results (a citizen's includes the ID number on its account).
pub(crate) fn result_scope(conn: &mut DbConn, p: &Principal) -> ApiResult<Scope> {
    let identity = match access::reach(Resource::DigitalResult, p.role) {
        access::Reach::OwnOrIdentity => personal_id(conn, p)?,
        _ => None,
    };
    Ok(access::scope_with_identity(
        p,
        Resource::DigitalResult,
        identity,
    ))
}

pub(crate) fn may_see(conn: &mut DbConn, p: &Principal, r: &DigitalResult) -> ApiResult<bool> {
    Ok(result_scope(conn, p)?.admits(
        Place::commune(&r.commune_code, &r.province_code)
            .owned(r.owner_user_id.as_deref())
            .identity(&r.owner_id_number),
    ))
}

/// A result the caller may see, or 404.
pub fn load_result(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<DigitalResult> {
    let r = DigitalResult::find(conn, id)?.ok_or_else(not_found)?;
    if !may_see(conn, p, &r)? {
        return Err(not_found());
    }
    Ok(r)
}

// ---------------------------------------------------------------- issuing

/// What issuing needs besides the metadata.
pub(crate) struct Owner {
    pub commune_code: String,
    pub province_code: String,
    pub agency: String,
    pub id_number: String,
    pub name: String,
    pub user_id: Option<String>,
    pub dossier_id: Option<String>,
}

/// Seals and records a result (and its first history entry, and the dossier's).
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_result(
    conn: &mut DbConn,
    sealer: &Sealer,
    p: &Principal,
    kind: &str,
    owner: &Owner,
    input: &ResultInput,
    file: &StoredFile,
    supersedes: Option<&str>,
) -> ApiResult<DigitalResult> {
    let now = crate::clock::now();
    record_file(
        conn,
        &file.sha256,
        file.size,
        file.content_type,
        now.naive_utc(),
    )?;
    let id = uuid::Uuid::now_v7().to_string();
    let valid_from = input.valid_from.unwrap_or(input.issued_on);
    let token = sealer.seal(SealPayload {
        v: SEAL_FORMAT,
        kid: String::new(),
        rid: id.clone(),
        h: file.sha256.clone(),
        o: String::new(),
        vf: valid_from.to_string(),
        vu: input.valid_until.map(|d| d.to_string()),
        iat: now.timestamp(),
    });
    let r = DigitalResult {
        id,
        kind: kind.into(),
        dossier_id: owner.dossier_id.clone(),
        commune_code: owner.commune_code.clone(),
        province_code: owner.province_code.clone(),
        owner_id_number: owner.id_number.clone(),
        owner_name: owner.name.clone(),
        owner_user_id: owner.user_id.clone(),
        document_type: nfc(input.document_type.trim()),
        number_symbol: nfc(input.number_symbol.trim()),
        summary: nfc(input.summary.trim()),
        signer_name: nfc(input.signer_name.trim()),
        signer_title: nfc(input.signer_title.trim()),
        issuing_agency: input
            .issuing_agency
            .as_deref()
            .map(|a| nfc(a.trim()))
            .unwrap_or_else(|| owner.agency.clone()),
        issued_on: input.issued_on,
        valid_from,
        valid_until: input.valid_until,
        scope: nfc(input.scope.as_deref().unwrap_or("").trim()),
        file_sha256: file.sha256.clone(),
        signature: serde_json::to_string(&input.signature).expect("serializes"),
        seal_kid: sealer.active_kid().to_string(),
        seal_token: token,
        status: "active".into(),
        revoked_at: None,
        revoked_reason: None,
        supersedes: supersedes.map(str::to_string),
        superseded_by: None,
        created_by: p.user_id.clone(),
        created_at: now.naive_utc(),
        version: 1,
    };
    diesel::insert_into(digital_results::table)
        .values(&r)
        .execute(conn)?;
    NewResultEvent {
        result_id: &r.id,
        action: if supersedes.is_some() { "issued_as_replacement" } else { "issued" },
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        reason: None,
        data: serde_json::json!({ "sha256": r.file_sha256, "kid": r.seal_kid, "supersedes": supersedes }).to_string(),
        created_at: r.created_at,
    }
    .append(conn)?;
    if let Some(did) = &r.dossier_id {
        dossier_event(
            conn,
            p,
            did,
            "result_issued",
            None,
            serde_json::json!({ "result_id": r.id, "number_symbol": r.number_symbol }),
        )?;
    }
    Ok(r)
}

/// An entry in the dossier's history that leaves its status as it is.
pub(crate) fn dossier_event(
    conn: &mut DbConn,
    p: &Principal,
    dossier_id: &str,
    action: &str,
    comment: Option<&str>,
    data: serde_json::Value,
) -> ApiResult<()> {
    let status: Status = dossiers::table
        .find(dossier_id)
        .select(dossiers::status)
        .first(conn)?;
    events::append(
        conn,
        &NewDossierEvent {
            dossier_id,
            action,
            actor_id: &p.user_id,
            actor_role: p.role.as_str(),
            from_status: Some(status),
            to_status: status,
            comment,
            data: data.to_string(),
            created_at: crate::clock::now().naive_utc(),
        },
    )?;
    Ok(())
}

/// The owner of a dossier's result: its applicant (and owner account), its commune.
pub(crate) fn owner_of(conn: &mut DbConn, d: &Dossier) -> ApiResult<Owner> {
    let commune = crate::db::models::registry::Commune::find(conn, &d.commune_code)?
        .ok_or_else(|| ApiError::internal("commune"))?;
    Ok(Owner {
        commune_code: d.commune_code.clone(),
        province_code: d.province_code.clone(),
        agency: format!("UBND {}", commune.full_name),
        id_number: d.applicant_id_number.clone(),
        name: d.applicant_name.clone(),
        user_id: d.owner_user_id.clone(),
        dossier_id: Some(d.id.clone()),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::db::models::result::next_certification_no;
    use chrono::TimeZone;

    /// A fresh SQLite database in memory with every migration applied.
    pub(crate) fn conn() -> DbConn {
        use diesel::r2d2::ManageConnection;
        let mut conn = crate::db::ConnectionManager::new(":memory:")
            .connect()
            .expect("sqlite in memory");
        conn.apply_migrations().expect("migrations");
        // The province and the commune the results below belong to.
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "INSERT INTO provinces VALUES ('25', 'Phú Thọ', 'Tỉnh Phú Thọ', 'Phu Tho', 'tinh', '', 'phu tho'); \
             INSERT INTO communes (code, name, full_name, name_en, unit_type, province_code, formed_from, \
             predecessors, search_key, lineage_key, updated_at) VALUES ('04978', 'Kim Bôi', 'xã Kim Bôi', \
             'Kim Boi', 'xa', '25', '', '[]', 'kim boi', '04978', '2026-01-01 00:00:00')",
        )
        .expect("registry");
        conn
    }

    fn officer(role: Role, commune: &str) -> Principal {
        Principal {
            user_id: format!("{}-{commune}", role.as_str()),
            role,
            commune_code: Some(commune.into()),
            province_code: Some("25".into()),
        }
    }

    fn input(number: &str) -> ResultInput {
        ResultInput {
            document_type: "Bản sao".into(),
            number_symbol: number.into(),
            summary: "Chứng thực".into(),
            signer_name: "Trần Văn Minh".into(),
            signer_title: "Phó Chủ tịch".into(),
            issuing_agency: None,
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            valid_from: None,
            valid_until: None,
            scope: None,
            signature: SignatureInput {
                signature_type: SignatureType::ChuyenDungCongVu,
                certificate_serial: "01".into(),
                certificate_subject: "CN=Trần Văn Minh".into(),
                certificate_issuer: "CN=CA".into(),
                signed_at: Utc.with_ymd_and_hms(2026, 11, 28, 2, 30, 0).unwrap(),
            },
        }
    }

    fn file(sha: &str) -> StoredFile {
        StoredFile {
            sha256: sha.repeat(64 / sha.len()),
            size: 10,
            content_type: "application/pdf",
        }
    }

    /// A certified copy of commune 04978 (no dossier), issued by its counter.
    fn copy(conn: &mut DbConn, sealer: &Sealer, number: &str, sha: &str) -> DigitalResult {
        let owner = Owner {
            commune_code: "04978".into(),
            province_code: "25".into(),
            agency: "UBND xã Kim Bôi".into(),
            id_number: "025190000123".into(),
            name: "Nguyễn Thị Hoà".into(),
            user_id: None,
            dossier_id: None,
        };
        let counter = officer(Role::ReceptionOfficer, "04978");
        insert_result(
            conn,
            sealer,
            &counter,
            "certified_copy",
            &owner,
            &input(number),
            &file(sha),
            None,
        )
        .expect("issued")
    }

    #[test]
    fn the_certification_book_is_numbered_per_commune_and_year_without_gaps() {
        let mut conn = conn();
        let n = |conn: &mut DbConn, c: &str, y| next_certification_no(conn, c, y).unwrap();
        assert_eq!(
            (1..=3)
                .map(|_| n(&mut conn, "04978", 2026))
                .collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(
            n(&mut conn, "04978", 2027),
            1,
            "a new year starts a new book"
        );
        assert_eq!(
            n(&mut conn, "04981", 2026),
            1,
            "each commune keeps its own book"
        );
        assert_eq!(n(&mut conn, "04978", 2026), 4);
    }

    #[test]
    fn a_copy_is_revoked_or_replaced_by_its_commune_only_once_and_at_its_version() {
        let mut conn = conn();
        let sealer = Sealer::ephemeral();
        let old = copy(&mut conn, &sealer, "1/2026/SCT/BS", "a");
        assert_eq!(old.status, "active");

        // Who may replace: the counter of the commune (a certified copy is the counter's),
        // never another commune's leader, nor the commune's specialist.
        let counter = officer(Role::ReceptionOfficer, "04978");
        assert!(may_amend(&counter, &old).is_ok());
        assert!(may_amend(&officer(Role::Leader, "04978"), &old).is_ok());
        assert_eq!(
            may_amend(&officer(Role::Leader, "04981"), &old)
                .unwrap_err()
                .code,
            "digital_result.role_not_allowed"
        );
        assert!(may_amend(&officer(Role::Specialist, "04978"), &old).is_err());

        // A stale version is 412 and leaves the old result active (the handler's
        // transaction also rolls back the new one; this test has none, so it starts over).
        let stale = issue::supersede(
            &mut conn,
            &sealer,
            &counter,
            &old.id,
            old.version + 1,
            &input("1/2026/SCT/BS-a"),
            &file("b"),
            Some("typo"),
        );
        let stale = stale.unwrap_err();
        assert_eq!(stale.status.as_u16(), 412, "{:?}", stale.cause);
        let still = DigitalResult::find(&mut conn, &old.id).unwrap().unwrap();
        assert_eq!(
            (still.status.as_str(), still.version),
            ("active", old.version)
        );

        let mut conn = self::conn();
        let old = copy(&mut conn, &sealer, "1/2026/SCT/BS", "a");
        let (new, code) = issue::supersede(
            &mut conn,
            &sealer,
            &counter,
            &old.id,
            old.version,
            &input("1/2026/SCT/BS-a"),
            &file("b"),
            Some("typo"),
        )
        .expect("replaced");
        assert_eq!(code, None);
        assert_eq!(new.supersedes.as_deref(), Some(old.id.as_str()));
        let was = DigitalResult::find(&mut conn, &old.id).unwrap().unwrap();
        assert_eq!(
            (
                was.status.as_str(),
                was.superseded_by.as_deref(),
                was.version
            ),
            ("superseded", Some(new.id.as_str()), old.version + 1)
        );
        let (events, _) = read::history(&mut conn, &counter, &old.id).unwrap();
        assert_eq!(
            events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            vec!["issued", "superseded"]
        );
        let (events, _) = read::history(&mut conn, &counter, &new.id).unwrap();
        assert_eq!(events[0].action, "issued_as_replacement");

        // Only an active result is revoked or replaced again (409).
        let again = issue::revoke(&mut conn, &counter, &old.id, was.version, "again");
        assert_eq!(again.unwrap_err().code, "digital_result.not_active");
        let (revoked, _) =
            issue::revoke(&mut conn, &counter, &new.id, new.version, "wrong person").unwrap();
        assert_eq!(
            (revoked.status.as_str(), revoked.revoked_reason.as_deref()),
            ("revoked", Some("wrong person"))
        );

        // Verification by the file names what the record says now.
        let by_file = verify::by_file(&mut conn, &new.file_sha256).unwrap();
        assert_eq!(by_file.status, "revoked");
        assert_eq!(
            verify::by_file(&mut conn, &"c".repeat(64)).unwrap().status,
            "unknown"
        );
    }

    #[test]
    fn a_result_is_valid_only_within_its_period_and_while_active() {
        let mut conn = conn();
        let sealer = Sealer::ephemeral();
        let mut r = copy(&mut conn, &sealer, "2/2026/SCT/BS", "d");
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        r.valid_from = day(2);
        r.valid_until = Some(day(10));
        assert_eq!(status_of(&r, day(1)), "expired");
        assert_eq!(status_of(&r, day(2)), "valid");
        assert_eq!(status_of(&r, day(10)), "valid");
        assert_eq!(status_of(&r, day(11)), "expired");
        r.status = "superseded".into();
        assert_eq!(status_of(&r, day(5)), "superseded");
    }
}
