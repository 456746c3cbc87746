//! Intake: what happens, in order, when a dossier is filed (`receive`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use super::lookup::{by_portal_reference, can_see, procedure_name};
use super::record::{ComponentInput, ComponentSource, LifecycleRecord};
pub use super::request::{ApplicantInput, IntakeRequest, RepresentativeInput};
use super::view::{build_receipt, view, DossierView, Receipt};
use crate::auth::Principal;
use crate::db::models::dossier::{next_dossier_seq, Dossier, NewDossierEvent};
use crate::db::models::procedure::{version_in_force_at, Procedure, ProcedureVersion, Publication};
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::calendar::local_date;
use crate::domain::catalog::{Case, OnlineLevel};
use crate::domain::dossier::{ApplicantType, Channel};
use crate::domain::dossier_lifecycle::{LifecycleState, ProcessingStep};
use crate::domain::identity;
use crate::domain::roles::Role;
use crate::domain::text::{fold, nfc};
use crate::error::{ApiError, ApiResult};
use crate::service::idempotency::{self, Claim};

// ---------------------------------------------------------------- intake

/// The statutory clock of a case, from the calendar and the catalog.
pub(crate) fn processing_time_of(
    version: &ProcedureVersion,
    case_code: &str,
) -> ApiResult<crate::domain::calendar::ProcessingTime> {
    let case = version
        .case(case_code)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::internal(format!(
                "case {case_code} vanished from version {}",
                version.id
            ))
        })?;
    Ok(crate::service::calendar::case_processing_time(
        &version.field,
        &case.processing_time,
    ))
}

pub fn check_identity(applicant: &ApplicantInput) -> ApiResult<()> {
    let result = match applicant.applicant_type {
        ApplicantType::Citizen => {
            identity::validate_personal_id(&applicant.id_number, applicant.birth_year).map(|_| ())
        }
        ApplicantType::Business | ApplicantType::Organisation => {
            identity::validate_tax_code(&applicant.id_number)
        }
    };
    result
        .map_err(|e| ApiError::invalid_field("applicant.id_number", e.message_vi(), e.message_en()))
}

/// Checks the components against the case: every required document present, nothing unknown.
fn check_components(case: &Case, components: &[ComponentInput]) -> ApiResult<()> {
    let declared: Vec<String> = components.iter().map(|c| nfc(c.document.trim())).collect();
    let known: Vec<String> = case.documents.iter().map(|d| nfc(d.name.trim())).collect();
    let unknown: Vec<&String> = declared.iter().filter(|d| !known.contains(d)).collect();
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable(
            "dossier.unknown_documents",
            format!(
                "Thành phần không thuộc trường hợp của thủ tục: {}.",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!(
                "Components not required by the procedure case: {}.",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
        .with_extra(serde_json::json!({ "unknown_documents": unknown })));
    }
    let missing: Vec<&str> = case
        .documents
        .iter()
        .filter(|d| d.required && !declared.contains(&nfc(d.name.trim())))
        .map(|d| d.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::unprocessable(
            "dossier.missing_documents",
            format!("Hồ sơ thiếu thành phần bắt buộc: {}.", missing.join("; ")),
            format!(
                "The dossier lacks required documents: {}.",
                missing.join("; ")
            ),
        )
        .with_extra(serde_json::json!({ "missing_documents": missing })));
    }
    for c in components {
        if c.source == ComponentSource::DataStore {
            let doc = case
                .documents
                .iter()
                .find(|d| nfc(d.name.trim()) == nfc(c.document.trim()));
            if doc.is_some_and(|d| !d.from_data_store_allowed) {
                return Err(ApiError::invalid_field(
                    "components",
                    format!(
                        "Thành phần \"{}\" không được lấy từ kho dữ liệu điện tử.",
                        c.document
                    ),
                    format!(
                        "Component \"{}\" may not be taken from the e-data store.",
                        c.document
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Every component from the e-data store becomes an attachment of the new dossier: more
/// of them than `MAX_ATTACHMENTS_PER_DOSSIER` is refused before anything is written.
fn check_data_store_count(components: &[ComponentInput], max: i64) -> ApiResult<()> {
    let from_store = components
        .iter()
        .filter(|c| c.source == ComponentSource::DataStore)
        .count() as i64;
    if from_store > max {
        return Err(ApiError::invalid_field(
            "components",
            format!("Hồ sơ chỉ được có tối đa {max} tệp đính kèm; {from_store} thành phần lấy từ kho dữ liệu điện tử."),
            format!("A dossier holds at most {max} attachments; {from_store} components come from the e-data store."),
        ));
    }
    Ok(())
}

fn random_pin() -> String {
    use rand::Rng;
    format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32))
}

/// The dossier code: `{agency}-{yyMMdd}-{NNNN}` in the commune's local day.
pub fn dossier_code(agency: &str, day: NaiveDate, seq: i64) -> String {
    format!("{agency}-{}-{seq:04}", day.format("%y%m%d"))
}

/// Response of a successful intake.
#[derive(Serialize, ToSchema)]
pub struct IntakeResponse {
    pub dossier: DossierView,
    /// Present when the dossier was received at once (counter, post).
    pub receipt: Option<Receipt>,
    /// The fees assessed at filing (empty lines when the procedure has none).
    pub fees: crate::service::fees::FeesView,
}

struct Intake {
    commune: Commune,
    channel: Channel,
    version: ProcedureVersion,
    procedure: Procedure,
    case: Case,
}

/// Where the caller files, with which channel; the procedure must be published there.
fn resolve_intake(
    conn: &mut DbConn,
    p: &Principal,
    req: &IntakeRequest,
    now: DateTime<Utc>,
) -> ApiResult<Intake> {
    let commune_code = match (p.role, &req.commune_code) {
        (Role::ReceptionOfficer, None) => p.commune_code.clone(),
        (Role::ReceptionOfficer, Some(c)) if p.commune_code.as_ref() != Some(c) => {
            return Err(ApiError::forbidden(
                "dossier.other_commune",
                "Cán bộ chỉ tiếp nhận hồ sơ cho xã của mình.",
                "An officer receives dossiers for their own commune only.",
            ))
        }
        (_, c) => c.clone(),
    }
    .ok_or_else(|| {
        ApiError::invalid_field(
            "commune_code",
            "Cần mã xã tiếp nhận.",
            "commune_code is required.",
        )
    })?;
    let commune = Commune::find(conn, &commune_code)?.ok_or_else(|| {
        ApiError::invalid_field(
            "commune_code",
            format!("Không có xã mã {commune_code}."),
            format!("No commune {commune_code}."),
        )
    })?;
    if p.role == Role::PortalClient {
        let serves = match (&p.commune_code, &p.province_code) {
            (Some(c), _) => *c == commune.code,
            (None, Some(pv)) => *pv == commune.province_code,
            (None, None) => true,
        };
        if !serves {
            return Err(ApiError::forbidden(
                "dossier.other_commune",
                "Tài khoản cổng không phục vụ xã này.",
                "This portal account does not serve that commune.",
            ));
        }
    }
    let channel = match p.role {
        Role::ReceptionOfficer => match req.channel.unwrap_or(Channel::Counter) {
            Channel::Online => {
                return Err(ApiError::invalid_field(
                    "channel",
                    "Hồ sơ trực tuyến do công dân hoặc Cổng DVCQG nộp.",
                    "Online dossiers are filed by the applicant or the national portal.",
                ))
            }
            c => c,
        },
        _ => Channel::Online,
    };
    let procedure = Procedure::find_by_code(conn, &req.procedure_code)?
        .filter(|p| p.active)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "procedure_code",
                "Thủ tục không có trong danh mục.",
                "No such procedure in the catalog.",
            )
        })?;
    let version = version_in_force_at(conn, &req.procedure_code, now)?.ok_or_else(|| {
        ApiError::invalid_field(
            "procedure_code",
            "Thủ tục chưa có hiệu lực.",
            "The procedure is not in force.",
        )
    })?;
    if Publication::find(conn, &commune.code, &procedure.id)?.is_none() {
        return Err(ApiError::unprocessable(
            "dossier.procedure_not_published",
            "Xã không tiếp nhận thủ tục này (không có trong danh mục công bố của xã).",
            "The commune does not receive this procedure (not in its published list).",
        ));
    }
    let cases = version.cases().map_err(ApiError::internal)?;
    let case = match &req.case_code {
        Some(code) => cases.into_iter().find(|c| &c.code == code),
        None => cases.into_iter().next(),
    }
    .ok_or_else(|| {
        ApiError::invalid_field(
            "case_code",
            "Thủ tục không có trường hợp này.",
            "The procedure has no such case.",
        )
    })?;
    if channel == Channel::Online && case.online_level == OnlineLevel::None {
        return Err(ApiError::unprocessable(
            "dossier.not_online",
            "Trường hợp này không được nộp trực tuyến.",
            "This case cannot be filed online.",
        ));
    }
    Ok(Intake {
        commune,
        channel,
        version,
        procedure,
        case,
    })
}

/// Checks the portal reference against the caller: the national portal must send its own
/// dossier reference, nobody else may. Returns the reference to look up first.
pub fn portal_reference<'a>(p: &Principal, req: &'a IntakeRequest) -> ApiResult<Option<&'a str>> {
    match (p.role, &req.portal_reference) {
        (Role::PortalClient, None) => Err(ApiError::invalid_field(
            "portal_reference",
            "Cổng DVCQG phải gửi mã hồ sơ của Cổng.",
            "The portal must send its own dossier reference.",
        )),
        (Role::PortalClient, Some(r)) => Ok(Some(r)),
        (_, Some(_)) => Err(ApiError::invalid_field(
            "portal_reference",
            "Chỉ Cổng DVCQG gửi mã hồ sơ của Cổng.",
            "Only the national portal sends a portal reference.",
        )),
        (_, None) => Ok(None),
    }
}

/// The dossier the portal already pushed under this reference, with its record version
/// and its view (answered 200 instead of creating it again).
pub fn existing_push(
    conn: &mut DbConn,
    p: &Principal,
    reference: &str,
) -> ApiResult<Option<(i64, IntakeResponse)>> {
    let Some(d) = by_portal_reference(conn, reference)? else {
        return Ok(None);
    };
    if !can_see(p, &d) {
        return Err(ApiError::conflict(
            "dossier.portal_reference_taken",
            "Mã hồ sơ của Cổng đã được dùng ở xã khác.",
            "This portal reference is used by a dossier elsewhere.",
        ));
    }
    let name = procedure_name(conn, &d.procedure_version_id)?;
    let fees = crate::service::fees::fees_view(conn, &d)?;
    let version = d.version;
    let view = view(d, name, p)?;
    Ok(Some((
        version,
        IntakeResponse {
            dossier: view,
            receipt: None,
            fees,
        },
    )))
}

/// A dossier to file: the checked request and its idempotency key, if any.
pub struct Command {
    pub input: IntakeRequest,
    pub idempotency: Option<idempotency::Key>,
    /// `MAX_ATTACHMENTS_PER_DOSSIER`: components taken from the e-data store become
    /// attachments, so an intake may not bring more of them than a dossier may hold.
    pub max_attachments: i64,
    pub calendars: std::sync::Arc<crate::service::calendar_cache::CalendarCache>,
}

/// What filing gave.
pub enum Filed {
    /// The new dossier: its code, record version and the response, as stored under the key.
    New {
        code: String,
        version: i64,
        body: String,
    },
    /// A concurrent request with the same idempotency key committed first: replay it.
    KeyTaken,
    /// A concurrent push of the same portal reference committed first: answer with it.
    PortalReferenceTaken,
}

/// Why a creation stopped (inside `receive`).
enum Stop {
    PortalReferenceTaken,
    Failed(ApiError),
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Self {
        Stop::Failed(e)
    }
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Failed(e.into())
    }
}

/// Files a dossier, inside the caller's write transaction. In order: the idempotency key is
/// claimed; the commune, channel, procedure version and case are resolved and the
/// components checked; the deadline is set when the dossier is received at once; the owner
/// is found; the fees are computed; the dossier (under a provisional code), its fee
/// assessment, its creation event and webhook deliveries are written; the commune's daily
/// number is taken (late: its counter row stays locked to commit) and given to the dossier;
/// the portal message and the indicator facts are written; components from the e-data
/// store are attached; the response is stored under the key.
pub fn receive(conn: &mut DbConn, p: &Principal, cmd: &Command) -> ApiResult<Filed> {
    if let Some(key) = &cmd.idempotency {
        if idempotency::begin(conn, key)? == Claim::Taken {
            return Ok(Filed::KeyTaken);
        }
    }
    // A portal push runs in a savepoint: when a concurrent push of the same reference won,
    // it rolls back (and returns its number) while the key, if any, is given back.
    let created = if cmd.input.portal_reference.is_some() {
        conn.transaction(|c| create(c, p, cmd))
    } else {
        create(conn, p, cmd)
    };
    let (code, version, response) = match created {
        Ok(r) => r,
        Err(Stop::PortalReferenceTaken) => {
            if let Some(key) = &cmd.idempotency {
                idempotency::release(conn, key)?;
            }
            return Ok(Filed::PortalReferenceTaken);
        }
        Err(Stop::Failed(e)) => return Err(e),
    };
    let body = serde_json::to_string(&response).expect("response serializes");
    if let Some(key) = &cmd.idempotency {
        idempotency::complete(conn, key, 201, &body, &code)?;
    }
    Ok(Filed::New {
        code,
        version,
        body,
    })
}

/// The dossier row, its fees and its creation event; the response to send.
fn create(
    conn: &mut DbConn,
    p: &Principal,
    cmd: &Command,
) -> Result<(String, i64, IntakeResponse), Stop> {
    let input = &cmd.input;
    let now = crate::clock::now();
    let intake = resolve_intake(conn, p, input, now)?;
    check_components(&intake.case, &input.components)?;
    check_data_store_count(&input.components, cmd.max_attachments)?;
    let received = intake.channel != Channel::Online;
    let calendar = cmd
        .calendars
        .get(conn, Some(&intake.commune.province_code))?;
    let due_at = if received {
        let time = processing_time_of(&intake.version, &intake.case.code)?;
        Some(calendar.due(now, &time).due_at.naive_utc())
    } else {
        None
    };
    // Online: the filing account. At the counter: the citizen account whose *verified*
    // personal ID is the applicant's (one the officer checked on the ID card); later
    // links go through `POST /me/dossiers/claim`.
    let owner = match p.role {
        Role::Citizen => Some(p.user_id.clone()),
        _ => crate::service::identity::account_with_verified_id(conn, &input.applicant.id_number)?,
    };
    // Fees are computed before the number is taken (a 422 here consumes nothing).
    let fee_input = input.fees.clone().unwrap_or_default();
    let schedules = crate::service::fees::schedules_in_force(
        conn,
        &intake.procedure.code,
        &intake.case.code,
        &intake.commune.code,
        &intake.commune.province_code,
        local_date(now),
    )?;
    let mut fee_lines = crate::service::fees::compute_lines(
        &schedules,
        intake.channel == Channel::Online,
        &fee_input,
    )?;
    let identity_verified =
        p.role == Role::Citizen && crate::service::identity::linked_to_provider(conn, &p.user_id)?;
    // The dossier and what does not carry its number are written first, under a
    // provisional code that nobody sees (uncommitted). The number is taken last: from there
    // to commit the commune's counter row is locked, and only the writes that carry the
    // number wait behind it.
    let mut dossier = new_row(
        &intake,
        input,
        format!("~{}", uuid::Uuid::now_v7()),
        owner,
        due_at,
        now,
    );
    if let Err(e) = Dossier::insert(conn, &dossier) {
        // Only a portal push can collide here (on its reference): a concurrent push won.
        let taken = matches!(
            e,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            )
        );
        return Err(if taken && dossier.portal_reference.is_some() {
            Stop::PortalReferenceTaken
        } else {
            Stop::Failed(e.into())
        });
    }
    // Fees before the creation event: appending it computes the dossier's indicator
    // facts, which count fee-bearing dossiers.
    let assessment = crate::service::fees::store_assessment(
        conn,
        &dossier,
        None,
        &fee_input,
        &mut fee_lines,
        &p.user_id,
        now,
    )?;
    let dossier_id = dossier.id.clone();
    let created = NewDossierEvent {
        dossier_id: &dossier_id,
        action: if received { "receive_at_counter" } else { "submit_online" },
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        from_status: None,
        to_status: dossier.status,
        comment: None,
        data: serde_json::json!({ "channel": dossier.channel, "case_code": dossier.case_code, "identity_verified": identity_verified }).to_string(),
        created_at: now.naive_utc(),
    };
    let event_id = crate::service::events::append_creation(conn, &created, &dossier.commune_code)?;
    let day = local_date(now);
    // Agency identifiers are unique, but a code may still exist from before an
    // identifier changed hands: such numbers are skipped, never a 409 at the counter.
    let agency = intake.commune.agency_id();
    let code = loop {
        let code = dossier_code(
            &agency,
            day,
            next_dossier_seq(conn, &intake.commune.code, day)?,
        );
        if !crate::db::models::dossier::code_taken(conn, &code)? {
            break code;
        }
        log::warn!("dossier number {code} already used: skipped");
    };
    dossier.search_key = fold(&format!("{} {}", dossier.applicant_name, code));
    Dossier::set_code(conn, &dossier.id, &code, &dossier.search_key)?;
    dossier.code = code;
    let known = crate::service::events::Known {
        fee_total: assessment.total,
        result_type: &intake.version.result_type,
        commune_has_agency_id: intake.commune.agency_code.is_some(),
    };
    crate::service::events::number_creation(conn, &created, event_id, &dossier, &known)?;
    attach_from_data_store(conn, p, &dossier, &input.components)?;
    let fees = crate::service::fees::build_fees_view(&dossier, fee_lines, Some(&assessment), 0)?;
    let receipt = if received {
        let (commune, procedure) = (
            intake.commune.full_name.clone(),
            intake.version.name.clone(),
        );
        Some(build_receipt(&dossier, commune, procedure)?)
    } else {
        None
    };
    let name = intake.version.name.clone();
    let (code, version) = (dossier.code.clone(), dossier.version);
    let response = IntakeResponse {
        dossier: view(dossier, name, p)?,
        receipt,
        fees,
    };
    Ok((code, version, response))
}

/// The new row: received at once unless filed online; numbered `code`.
fn new_row(
    intake: &Intake,
    input: &IntakeRequest,
    code: String,
    owner: Option<String>,
    due_at: Option<chrono::NaiveDateTime>,
    now: DateTime<Utc>,
) -> Dossier {
    let received = intake.channel != Channel::Online;
    let mut state = if received {
        LifecycleState::received()
    } else {
        LifecycleState::submitted()
    };
    state.step = ProcessingStep::Unassigned;
    let applicant = &input.applicant;
    let contact = serde_json::json!({
        "phone": applicant.phone.trim(), "address": nfc(applicant.address.trim()),
        "email": applicant.email, "representative": input.representative,
    });
    let status = state.status;
    let rec = LifecycleRecord {
        state,
        components: input
            .components
            .iter()
            .map(|c| ComponentInput {
                document: nfc(c.document.trim()),
                ..c.clone()
            })
            .collect(),
        applicant_contact: Some(contact.clone()),
        promised_due_date: None,
        delivery: None,
        returned_at: None,
        supplement: None,
        late_apology: false,
        certification_extension: None,
    };
    let full_name = nfc(applicant.full_name.trim());
    let nowd = now.naive_utc();
    Dossier {
        id: uuid::Uuid::now_v7().to_string(),
        code: code.clone(),
        commune_code: intake.commune.code.clone(),
        province_code: intake.commune.province_code.clone(),
        procedure_id: intake.procedure.id.clone(),
        procedure_code: intake.procedure.code.clone(),
        procedure_version_id: intake.version.id.clone(),
        case_code: intake.case.code.clone(),
        channel: intake.channel,
        status,
        applicant_type: applicant.applicant_type,
        search_key: fold(&format!("{full_name} {}", code)),
        applicant_name: full_name,
        applicant_id_number: applicant.id_number.clone(),
        applicant_contact: contact.to_string(),
        summary: nfc(input.summary.as_deref().unwrap_or("").trim()),
        owner_user_id: owner,
        assignee_id: None,
        submitted_at: nowd,
        received_at: received.then_some(nowd),
        due_at,
        paused_at: None,
        paused_minutes: 0,
        finished_at: None,
        supplement_requests: 0,
        extensions: 0,
        lifecycle: serde_json::to_string(&rec).expect("lifecycle serializes"),
        lookup_pin: random_pin(),
        version: 1,
        created_at: nowd,
        updated_at: nowd,
        portal_reference: input.portal_reference.clone(),
    }
}

/// Documents taken from the applicant's e-data store: a digital result by id.
fn attach_from_data_store(
    conn: &mut DbConn,
    p: &Principal,
    dossier: &Dossier,
    components: &[ComponentInput],
) -> ApiResult<()> {
    for (i, c) in components.iter().enumerate() {
        if let (ComponentSource::DataStore, Some(id)) = (c.source, c.reference.as_deref()) {
            let document = nfc(c.document.trim());
            crate::service::results::data_store::attach_from_result(
                conn, p, dossier, &document, id,
            )
            .map_err(|e| {
                if e.status.as_u16() == 404 {
                    ApiError::invalid_field(
                        &format!("components[{i}].reference"),
                        "Không có kết quả điện tử này của người nộp.",
                        "No such digital result of the applicant.",
                    )
                } else {
                    e
                }
            })?;
        }
    }
    Ok(())
}
