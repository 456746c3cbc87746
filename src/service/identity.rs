//! Who a citizen account *is*, and what it therefore owns.
//!
//! - A personal ID on an account is an identity claim. It counts (grants results, links
//!   counter dossiers) only when it came from a verified source: the external identity
//!   provider's claim (`idp`), or an audited `system_admin` action (`system_admin`). Values
//!   from before these rules have no source and grant nothing.
//! - A verified personal ID belongs to at most one active citizen account (a partial unique
//!   index backs the check against races).
//! - Ownership of dossiers and results is by account (`owner_user_id`). A counter dossier
//!   becomes an account's either at intake (the applicant's ID number matches an account's
//!   verified personal ID) or later by a claim: the citizen presents the dossier's code and
//!   the lookup PIN of the receipt, and the account's verified personal ID must be the
//!   dossier's applicant ID. Every such change is written to `identity_events`.
//! - Subjects of the external identity provider map to local accounts; an unknown subject
//!   gets a new `citizen` account (the least role; any elevation is a local decision).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::dossier::Dossier;
use crate::db::models::result::DigitalResult;
use crate::db::models::user::User;
use crate::db::schema::{digital_results, dossiers, external_identities, identity_events, users};
use crate::db::DbConn;
use crate::domain::roles::Role;

/// Where a verified personal ID came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdSource {
    /// The external identity provider's claim.
    IdentityProvider,
    /// A system administrator, after checking the person's papers.
    SystemAdmin,
}

impl IdSource {
    pub fn as_str(self) -> &'static str {
        match self {
            IdSource::IdentityProvider => "idp",
            IdSource::SystemAdmin => "system_admin",
        }
    }
}

#[derive(Debug)]
pub enum IdentityError {
    Db(diesel::result::Error),
    /// Another active citizen account holds this verified personal ID.
    PersonalIdTaken,
    /// A personal ID is an attribute of citizen accounts only.
    NotACitizen,
    /// The claim's dossier code and PIN do not match (or the dossier does not exist).
    NoSuchDossier,
    /// The account has no verified personal ID to prove the claim with.
    NoVerifiedIdentity,
    /// The dossier's applicant is someone else.
    NotTheApplicant,
    /// The dossier already belongs to another account.
    OwnedByAnother,
    /// The provider's subject is linked to an account that is deactivated.
    AccountDeactivated,
}

impl From<diesel::result::Error> for IdentityError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                ref info,
            ) if info.message().contains("personal_id")
                || info.constraint_name() == Some("users_verified_personal_id_idx") =>
            {
                IdentityError::PersonalIdTaken
            }
            e => IdentityError::Db(e),
        }
    }
}

pub type IdResult<T> = Result<T, IdentityError>;

/// The account's verified personal ID, if it has one and is an active citizen account.
pub fn verified_personal_id(conn: &mut DbConn, user_id: &str) -> QueryResult<Option<String>> {
    Ok(users::table
        .find(user_id)
        .filter(users::role.eq("citizen"))
        .filter(users::active.eq(true))
        .filter(users::personal_id_source.is_not_null())
        .select(users::personal_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Whether the account is linked to a subject of the external identity provider (VNeID):
/// the portal's `TaiKhoanDuocXacThucVoiVNeID` for the dossiers it files.
pub fn linked_to_provider(conn: &mut DbConn, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        external_identities::table.filter(external_identities::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// The active citizen account whose verified personal ID is `id_number`.
pub fn account_with_verified_id(conn: &mut DbConn, id_number: &str) -> QueryResult<Option<String>> {
    users::table
        .filter(users::role.eq("citizen"))
        .filter(users::active.eq(true))
        .filter(users::personal_id_source.is_not_null())
        .filter(users::personal_id.eq(id_number))
        .select(users::id)
        .first(conn)
        .optional()
}

/// Whether result `r` belongs to account `account`: it was issued to the account, or to
/// the account's verified personal ID. Never decided by anything a request typed.
pub fn result_belongs_to(conn: &mut DbConn, r: &DigitalResult, account: &str) -> QueryResult<bool> {
    if r.owner_user_id.as_deref() == Some(account) {
        return Ok(true);
    }
    Ok(verified_personal_id(conn, account)?.as_deref() == Some(r.owner_id_number.as_str()))
}

/// One entry of the identity audit trail. `detail` never holds the personal ID itself.
#[allow(clippy::too_many_arguments)]
pub fn audit(
    conn: &mut DbConn,
    user_id: &str,
    action: &str,
    actor_id: &str,
    actor_role: &str,
    dossier_id: Option<&str>,
    detail: serde_json::Value,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(identity_events::table)
        .values((
            identity_events::id.eq(uuid::Uuid::now_v7().to_string()),
            identity_events::user_id.eq(user_id),
            identity_events::action.eq(action),
            identity_events::actor_id.eq(actor_id),
            identity_events::actor_role.eq(actor_role),
            identity_events::dossier_id.eq(dossier_id),
            identity_events::detail.eq(detail.to_string()),
            identity_events::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who sets a verified personal ID.
pub struct Actor<'a> {
    pub id: &'a str,
    pub role: &'a str,
}

/// Sets `user`'s personal ID as verified by `source` (audited). 409-worthy
/// `PersonalIdTaken` when another active citizen account holds it.
pub fn set_verified_personal_id(
    conn: &mut DbConn,
    user: &User,
    id_number: &str,
    source: IdSource,
    actor: &Actor,
    at: NaiveDateTime,
) -> IdResult<()> {
    if user.role != Role::Citizen {
        return Err(IdentityError::NotACitizen);
    }
    if let Some(holder) = account_with_verified_id(conn, id_number)? {
        if holder != user.id {
            return Err(IdentityError::PersonalIdTaken);
        }
    }
    let previous: (Option<String>, Option<String>) = users::table
        .find(&user.id)
        .select((users::personal_id, users::personal_id_source))
        .first(conn)?;
    if previous.0.as_deref() == Some(id_number) && previous.1.is_some() {
        // Already verified as this number (a repeated sign-in): nothing to change.
        return Ok(());
    }
    diesel::update(users::table.find(&user.id))
        .set((
            users::personal_id.eq(id_number),
            users::personal_id_source.eq(source.as_str()),
            users::personal_id_verified_at.eq(at),
            users::updated_at.eq(at),
            users::version.eq(users::version + 1),
        ))
        .execute(conn)?;
    {
        audit(
            conn,
            &user.id,
            "personal_id_verified",
            actor.id,
            actor.role,
            None,
            serde_json::json!({
                "source": source.as_str(),
                "replaced_previous": previous.0.is_some() && previous.0.as_deref() != Some(id_number),
            }),
            at,
        )?;
    }
    Ok(())
}

/// A verified sign-in at the external identity provider.
pub struct ExternalLogin {
    pub issuer: String,
    pub subject: String,
    /// The provider's claim of the person's personal ID, already validated (12 digits).
    pub personal_id: Option<String>,
    pub full_name: Option<String>,
}

/// The username of an account created for a provider's subject: stable, and telling
/// nothing about the person.
pub fn external_username(issuer: &str, subject: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("{issuer}\n{subject}").as_bytes()));
    format!("idp-{}", &digest[..20])
}

/// The local account of a provider's subject: the linked one; else the active citizen
/// account already holding the claimed (verified) personal ID; else a new `citizen`
/// account. The provider's personal ID claim is recorded as verified. Roles, communes or
/// any other claims of the provider are never read.
pub fn resolve_external(conn: &mut DbConn, login: &ExternalLogin) -> IdResult<User> {
    let now = crate::clock::now().naive_utc();
    let linked: Option<String> = external_identities::table
        .find((&login.issuer, &login.subject))
        .select(external_identities::user_id)
        .first(conn)
        .optional()?;
    let user = match linked {
        Some(id) => {
            diesel::update(external_identities::table.find((&login.issuer, &login.subject)))
                .set(external_identities::last_login_at.eq(now))
                .execute(conn)?;
            User::find(conn, &id)?.ok_or(IdentityError::Db(diesel::result::Error::NotFound))?
        }
        None => {
            let existing = match &login.personal_id {
                Some(pid) => account_with_verified_id(conn, pid)?,
                None => None,
            };
            let user = match existing {
                Some(id) => User::find(conn, &id)?
                    .ok_or(IdentityError::Db(diesel::result::Error::NotFound))?,
                None => {
                    let username = external_username(&login.issuer, &login.subject);
                    let full_name = login
                        .full_name
                        .as_deref()
                        .map(|n| crate::domain::text::nfc(n.trim()))
                        .filter(|n| !n.is_empty() && n.chars().count() <= 200)
                        .unwrap_or_else(|| username.clone());
                    let user = User {
                        id: uuid::Uuid::now_v7().to_string(),
                        search_key: crate::domain::text::fold(&format!("{username} {full_name}")),
                        username,
                        full_name,
                        // Not a PHC string: no password ever verifies against it.
                        password_hash: "!external-identity".into(),
                        role: Role::Citizen,
                        commune_code: None,
                        province_code: None,
                        personal_id: None,
                        active: true,
                        session_epoch: 0,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                        personal_id_source: None,
                        personal_id_verified_at: None,
                    };
                    User::insert(conn, &user)?;
                    audit(
                        conn,
                        &user.id,
                        "account_created_from_identity_provider",
                        &user.id,
                        "identity_provider",
                        None,
                        serde_json::json!({ "issuer": login.issuer }),
                        now,
                    )?;
                    user
                }
            };
            diesel::insert_into(external_identities::table)
                .values((
                    external_identities::issuer.eq(&login.issuer),
                    external_identities::subject.eq(&login.subject),
                    external_identities::user_id.eq(&user.id),
                    external_identities::created_at.eq(now),
                    external_identities::last_login_at.eq(now),
                ))
                .execute(conn)?;
            audit(
                conn,
                &user.id,
                "identity_provider_linked",
                &user.id,
                "identity_provider",
                None,
                serde_json::json!({ "issuer": login.issuer }),
                now,
            )?;
            user
        }
    };
    if !user.active {
        return Err(IdentityError::AccountDeactivated);
    }
    if let Some(pid) = &login.personal_id {
        if user.role == Role::Citizen {
            set_verified_personal_id(
                conn,
                &user,
                pid,
                IdSource::IdentityProvider,
                &Actor {
                    id: &user.id,
                    role: "identity_provider",
                },
                now,
            )?;
        }
    }
    Ok(User::find(conn, &user.id)?.unwrap_or(user))
}

/// A citizen claims a counter dossier: the code and lookup PIN of the receipt prove
/// possession, the account's verified personal ID proves being the applicant. The dossier
/// and the results issued for it become the account's. Idempotent for the owner.
pub fn claim_dossier(
    conn: &mut DbConn,
    user_id: &str,
    code: &str,
    pin_matches: impl Fn(&str) -> bool,
) -> IdResult<Dossier> {
    let d = Dossier::find_by_code(conn, code)?
        .filter(|d| pin_matches(&d.lookup_pin))
        .ok_or(IdentityError::NoSuchDossier)?;
    let pid = verified_personal_id(conn, user_id)?.ok_or(IdentityError::NoVerifiedIdentity)?;
    if pid != d.applicant_id_number {
        return Err(IdentityError::NotTheApplicant);
    }
    match d.owner_user_id.as_deref() {
        Some(o) if o == user_id => return Ok(d),
        Some(_) => return Err(IdentityError::OwnedByAnother),
        None => {}
    }
    let now = crate::clock::now().naive_utc();
    // Guarded on "still unowned", so two concurrent claims cannot both win.
    let n = diesel::update(
        dossiers::table
            .filter(dossiers::id.eq(&d.id))
            .filter(dossiers::owner_user_id.is_null()),
    )
    .set(dossiers::owner_user_id.eq(user_id))
    .execute(conn)?;
    if n == 0 {
        return Err(IdentityError::OwnedByAnother);
    }
    let results = diesel::update(
        digital_results::table
            .filter(digital_results::dossier_id.eq(&d.id))
            .filter(digital_results::owner_user_id.is_null()),
    )
    .set(digital_results::owner_user_id.eq(user_id))
    .execute(conn)?;
    audit(
        conn,
        user_id,
        "dossier_claimed",
        user_id,
        "citizen",
        Some(&d.id),
        serde_json::json!({ "dossier_code": d.code, "proof": "receipt_pin+verified_personal_id", "results_linked": results }),
        now,
    )?;
    Ok(Dossier::find_by_code(conn, code)?.unwrap_or(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_usernames_are_stable_distinct_and_opaque() {
        let a = external_username("https://vneid.gov.vn", "012345");
        assert_eq!(a, external_username("https://vneid.gov.vn", "012345"));
        assert_ne!(a, external_username("https://vneid.gov.vn", "012346"));
        assert_ne!(a, external_username("https://other.idp", "012345"));
        assert!(!a.contains("012345"));
        // Fits the local username rule (3–64 lowercase ASCII, digits, '-').
        assert!(
            a.len() <= 64
                && a.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        );
    }
}
