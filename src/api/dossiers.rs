//! Dossiers (hồ sơ): intake, the legal lifecycle, deadlines, history and receipts.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::calendar::case_processing_time;
use super::extract::{
    etag, parse_json, read_body, rule, validation_error, IfMatch, Page, PageParams,
};
use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::{AnyRole, DossierIntake};
use crate::auth::{Authorized, Principal, Role};
use crate::db::models::calendar::{load_calendar, load_calendar_for};
use crate::db::models::dossier::{next_dossier_seq, Dossier, DossierEvent, NewDossierEvent};
use crate::db::models::idempotency;
use crate::db::models::procedure::{version_in_force_at, Procedure, ProcedureVersion, Publication};
use crate::db::models::registry::Commune;
use crate::db::schema::{dossiers, users};
use crate::db::DbConn;
use crate::domain::calendar::{local_date, WorkCalendar};
use crate::domain::catalog::{Case, OnlineLevel};
use crate::domain::dossier_lifecycle::{
    self as lifecycle, Action, Actor, Flag, LifecycleState, ProcessingStep, Status, TransitionError,
};
use crate::domain::identity;
use crate::domain::text::{fold, nfc};
use crate::error::{ApiError, ApiResult};
use crate::service::login_throttle::{self, Admission, Limit};
use crate::state::AppState;

// ---------------------------------------------------------------- enums

/// How the dossier reached the commune (national `KenhThucHien`: 1, 2, 3).
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// At the one-stop counter (1).
    Counter,
    /// Online, by the applicant or through the national portal (2).
    Online,
    /// By public postal service (3).
    Post,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Counter => "counter",
            Channel::Online => "online",
            Channel::Post => "post",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Counter, Channel::Online, Channel::Post]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
    pub fn national_code(self) -> u8 {
        match self {
            Channel::Counter => 1,
            Channel::Online => 2,
            Channel::Post => 3,
        }
    }
}

/// Who the dossier is for.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantType {
    /// Công dân: identified by the 12-digit personal ID.
    Citizen,
    /// Doanh nghiệp / hộ kinh doanh: identified by the tax code.
    Business,
    /// Tổ chức: identified by the tax code.
    Organisation,
}

impl ApplicantType {
    fn as_str(self) -> &'static str {
        match self {
            ApplicantType::Citizen => "citizen",
            ApplicantType::Business => "business",
            ApplicantType::Organisation => "organisation",
        }
    }
}

/// Where a submitted component comes from.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ComponentSource {
    /// Paper handed in at the counter (to be digitized).
    Paper,
    /// A file uploaded with the dossier (see the attachments endpoints).
    Upload,
    /// Taken from the applicant's e-data store, not uploaded again.
    DataStore,
    /// Reused from an earlier dossier of the same applicant.
    Reused,
}

/// How the result goes back to the applicant.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Counter,
    Post,
    Online,
}

/// Where the dossier stands against its legal deadline.
#[derive(Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// Not received yet: the clock has not started.
    NotStarted,
    /// In progress, before the due instant.
    OnTime,
    /// The clock is paused while the applicant supplements the dossier.
    Paused,
    /// In progress past the due instant.
    Overdue,
    /// Finished no later than the due instant.
    FinishedOnTime,
    /// Finished after the due instant (an apology extension does not change this).
    FinishedLate,
}

// ---------------------------------------------------------------- stored lifecycle details

/// What the dossier row keeps as JSON besides its indexed columns.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct LifecycleRecord {
    pub state: LifecycleState,
    #[serde(default)]
    pub components: Vec<ComponentInput>,
    #[serde(default)]
    pub applicant_contact: Option<serde_json::Value>,
    /// Date promised on the apology slip after an extension.
    #[serde(default)]
    pub promised_due_date: Option<NaiveDate>,
    #[serde(default)]
    pub delivery: Option<Delivery>,
    #[serde(default)]
    pub returned_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub supplement: Option<SupplementRequest>,
    /// The apology slip was issued later than one working day before the due date.
    #[serde(default)]
    pub late_apology: bool,
    /// The lawful extension of a certification (Decree 23/2015/NĐ-CP Art. 21), if any.
    #[serde(default)]
    pub certification_extension: Option<CertificationExtension>,
}

/// A certification deadline extended under Decree 23/2015/NĐ-CP Art. 21.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct CertificationExtension {
    /// 1 or 2 working days.
    pub days: u32,
    pub reason: String,
    /// The due instant before the extension.
    pub previous_due_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct SupplementRequest {
    pub missing_items: Vec<String>,
    /// Date by which the applicant should supplement.
    pub deadline: NaiveDate,
    pub requested_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- requests

fn validate_name(s: &str) -> Result<(), ValidationError> {
    let n = s.trim().chars().count();
    if (2..=200).contains(&n) {
        Ok(())
    } else {
        Err(rule(
            "name",
            "Họ tên phải có từ 2 đến 200 ký tự.",
            "The name must have 2 to 200 characters.",
        ))
    }
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    #[serde(rename = "type")]
    pub applicant_type: ApplicantType,
    #[validate(custom(function = "validate_name"))]
    pub full_name: String,
    /// Personal ID (citizens) or tax code (businesses, organisations).
    pub id_number: String,
    /// When given, checked against the century/year digits of the personal ID.
    #[validate(range(min = 1900, max = 2100))]
    pub birth_year: Option<i32>,
    #[validate(custom(function = "super::validate::phone"))]
    pub phone: String,
    #[validate(length(min = 5, max = 500))]
    pub address: String,
    #[validate(email)]
    pub email: Option<String>,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeInput {
    #[validate(custom(function = "validate_name"))]
    pub full_name: String,
    #[validate(custom(function = "super::validate::personal_id"))]
    pub id_number: String,
    #[validate(custom(function = "super::validate::phone"))]
    pub phone: String,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    /// Name of the required document, exactly as in the procedure case.
    #[validate(length(min = 1, max = 500))]
    pub document: String,
    pub source: ComponentSource,
    /// For `data_store` / `reused`: the reference (store id or earlier dossier code).
    #[validate(length(max = 200))]
    pub reference: Option<String>,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "procedure_code": "1.004873", "case_code": "default",
    "applicant": {"type": "citizen", "full_name": "Nguyễn Văn An", "id_number": "025090000123",
                  "birth_year": 1990, "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi, tỉnh Phú Thọ"},
    "summary": "Xác nhận tình trạng hôn nhân để đăng ký kết hôn",
    "components": [{"document": "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", "source": "paper"}]
}))]
pub struct IntakeRequest {
    /// Commune receiving the dossier (officers: their own, the default).
    pub commune_code: Option<String>,
    #[validate(length(min = 8, max = 8))]
    pub procedure_code: String,
    /// Case of the procedure (default: its first case).
    #[validate(length(min = 1, max = 40))]
    pub case_code: Option<String>,
    /// `counter` (default for officers) or `post`; online applicants are always `online`.
    pub channel: Option<Channel>,
    #[validate(nested)]
    pub applicant: ApplicantInput,
    #[validate(nested)]
    pub representative: Option<RepresentativeInput>,
    /// Trích yếu: what the applicant asks for.
    #[validate(length(max = 1000))]
    pub summary: Option<String>,
    #[validate(nested)]
    pub components: Vec<ComponentInput>,
    /// Quantities for per-unit fees (pages, copies) and an exemption claim. The fees are
    /// assessed at filing with the schedule versions in force that day.
    #[validate(nested)]
    pub fees: Option<super::fees::FeeInput>,
    /// The national portal's own reference of the dossier (`portal_client` only, required
    /// there): pushing the same reference again returns the existing dossier.
    #[validate(length(min = 1, max = 100))]
    pub portal_reference: Option<String>,
}

// ---------------------------------------------------------------- views

#[derive(Serialize, ToSchema)]
pub struct ApplicantView {
    #[serde(rename = "type")]
    pub applicant_type: String,
    pub full_name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub representative: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineView {
    /// The legal due instant (moved only by supplement pauses).
    pub due_at: Option<DateTime<Utc>>,
    /// The appointment date in Vietnam.
    pub due_date: Option<NaiveDate>,
    pub timeliness: Timeliness,
    pub paused_since: Option<DateTime<Utc>>,
    /// Working minutes the clock was paused for supplements.
    pub paused_minutes: i64,
    pub finished_at: Option<DateTime<Utc>>,
    /// Date promised on the apology slip, after an extension.
    pub promised_due_date: Option<NaiveDate>,
    pub extensions: i32,
    pub supplement_requests: i32,
    /// More than one supplement request: Decision 766 counts the dossier against the commune.
    pub repeated_supplement_request: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DossierView {
    pub id: String,
    #[schema(example = "H25.04978-251128-0001")]
    pub code: String,
    pub commune_code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    /// The catalog version the dossier follows (in force when it was received).
    pub procedure_version_id: String,
    pub case_code: String,
    pub channel: Channel,
    pub status: Status,
    /// The status in the national code set (1–10) used by the portal.
    pub national_status_code: u8,
    pub status_label: String,
    pub processing_step: ProcessingStep,
    pub applicant: ApplicantView,
    pub summary: String,
    pub components: Vec<ComponentInput>,
    pub assignee_id: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
    pub deadline: DeadlineView,
    pub supplement: Option<SupplementRequest>,
    pub delivery: Option<Delivery>,
    pub returned_at: Option<DateTime<Utc>>,
    /// Actions the caller may take now (`POST …/transitions`).
    pub allowed_actions: Vec<Action>,
    /// Record version; send it in `If-Match`.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn timeliness(d: &Dossier, now: DateTime<Utc>) -> Timeliness {
    match (d.due_at, d.finished_at) {
        (Some(due), Some(end)) => {
            if end <= due {
                Timeliness::FinishedOnTime
            } else {
                Timeliness::FinishedLate
            }
        }
        (None, Some(_)) => Timeliness::FinishedOnTime,
        (None, None) => Timeliness::NotStarted,
        // A pause stops the clock; it does not make a dossier that was already late on time.
        (Some(due), None) if d.paused_at.is_some() => {
            if d.paused_at.is_some_and(|p| p > due) {
                Timeliness::Overdue
            } else {
                Timeliness::Paused
            }
        }
        (Some(due), None) => {
            if now.naive_utc() > due {
                Timeliness::Overdue
            } else {
                Timeliness::OnTime
            }
        }
    }
}

pub fn record_of(d: &Dossier) -> ApiResult<LifecycleRecord> {
    serde_json::from_str(&d.lifecycle)
        .map_err(|e| ApiError::internal(format!("dossier {}: corrupt lifecycle: {e}", d.code)))
}

fn actor_of(p: &Principal) -> Actor {
    Actor::parse(p.role.as_str()).unwrap_or(Actor::ProvinceSupervisor)
}

pub fn view(
    d: Dossier,
    procedure_name: String,
    caller: &Principal,
    calendar: &WorkCalendar,
) -> ApiResult<DossierView> {
    let rec = record_of(&d)?;
    let mut allowed_actions = lifecycle::allowed_actions(&rec.state, actor_of(caller));
    let now = crate::clock::now();
    // One apology slip per dossier; an extension of chứng thực only for certification;
    // stop / refuse while waiting for papers only once the supplement deadline passed.
    let may_extend = d.due_at.is_some() && rec.state.apologies == 0 && d.extensions == 0;
    let may_extend_certification = d.due_at.is_some()
        && !rec.state.certification_extended
        && lifecycle::is_certification_procedure("", &procedure_name);
    let supplement_expired = rec
        .supplement
        .as_ref()
        .is_some_and(|s| lifecycle::supplement_deadline_passed(s.deadline, local_date(now)));
    let waiting = rec.state.status == Status::SupplementRequested;
    allowed_actions.retain(|a| match a {
        Action::Extend => may_extend,
        Action::ExtendCertification => may_extend_certification,
        Action::Stop | Action::Refuse if waiting => supplement_expired,
        _ => true,
    });
    let _ = calendar;
    let status = Status::parse(&d.status)
        .ok_or_else(|| ApiError::internal(format!("bad status {}", d.status)))?;
    let contact = rec.applicant_contact.clone().unwrap_or_default();
    let get = |k: &str| contact.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Ok(DossierView {
        allowed_actions,
        deadline: DeadlineView {
            due_at: d.due_at.map(utc),
            due_date: d.due_at.map(|t| local_date(utc(t))),
            timeliness: timeliness(&d, crate::clock::now()),
            paused_since: d.paused_at.map(utc),
            paused_minutes: d.paused_minutes,
            finished_at: d.finished_at.map(utc),
            promised_due_date: rec.promised_due_date,
            extensions: d.extensions,
            supplement_requests: d.supplement_requests,
            repeated_supplement_request: d.supplement_requests > 1,
        },
        national_status_code: status.national_code(),
        status_label: status.label_vi().to_string(),
        status,
        processing_step: rec.state.step,
        applicant: ApplicantView {
            applicant_type: d.applicant_type.clone(),
            full_name: d.applicant_name.clone(),
            id_number: d.applicant_id_number.clone(),
            phone: get("phone"),
            address: get("address"),
            email: get("email"),
            representative: contact
                .get("representative")
                .cloned()
                .filter(|v| !v.is_null()),
        },
        channel: Channel::parse(&d.channel).unwrap_or(Channel::Counter),
        components: rec.components,
        supplement: rec.supplement,
        delivery: rec.delivery,
        returned_at: rec.returned_at,
        id: d.id,
        code: d.code,
        commune_code: d.commune_code,
        procedure_code: d.procedure_code,
        procedure_name,
        procedure_version_id: d.procedure_version_id,
        case_code: d.case_code,
        summary: d.summary,
        assignee_id: d.assignee_id,
        submitted_at: utc(d.submitted_at),
        received_at: d.received_at.map(utc),
        version: d.version,
        updated_at: utc(d.updated_at),
    })
}

// ---------------------------------------------------------------- scope

/// Whether the caller may see a dossier at all. Anything else is answered 404, as if it
/// did not exist, so that codes of other communes cannot be probed.
pub fn can_see(p: &Principal, d: &Dossier) -> bool {
    access::may_see(p, Resource::Dossier, dossier_place(d))
}

/// Where a dossier sits, for the access rules.
pub fn dossier_place(d: &Dossier) -> Place<'_> {
    Place::commune(&d.commune_code, &d.province_code).owned(d.owner_user_id.as_deref())
}

fn dossier_not_found() -> ApiError {
    ApiError::not_found("hồ sơ", "Dossier")
}

/// Loads a dossier the caller may see, or 404.
pub fn load_visible(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Dossier> {
    Dossier::find_by_code(conn, code)?
        .filter(|d| can_see(p, d))
        .ok_or_else(dossier_not_found)
}

fn procedure_name(conn: &mut DbConn, version_id: &str) -> ApiResult<String> {
    Ok(ProcedureVersion::find(conn, version_id)?
        .map(|v| v.name)
        .unwrap_or_default())
}

// ---------------------------------------------------------------- intake

/// The statutory clock of a case, from the calendar and the catalog.
fn processing_time_of(
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
    Ok(case_processing_time(&version.field, &case.processing_time))
}

fn check_identity(applicant: &ApplicantInput) -> ApiResult<()> {
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

fn random_pin() -> String {
    use rand::Rng;
    format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32))
}

/// The dossier code: `{agency}-{yyMMdd}-{NNNN}` in the commune's local day.
pub fn dossier_code(agency: &str, day: NaiveDate, seq: i64) -> String {
    format!("{agency}-{}-{seq:04}", day.format("%y%m%d"))
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptComponent {
    pub document: String,
    pub source: ComponentSource,
}

/// Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
#[derive(Serialize, ToSchema)]
pub struct Receipt {
    pub dossier_code: String,
    pub commune_code: String,
    pub commune_name: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub case_code: String,
    pub applicant_name: String,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Ngày hẹn trả kết quả (Vietnam date).
    pub due_date: NaiveDate,
    pub components: Vec<ReceiptComponent>,
    /// For `GET /api/v1/public/dossiers/{code}?pin=` (lookup without an account).
    #[schema(example = "48213907")]
    pub lookup_pin: String,
}

fn receipt_of(conn: &mut DbConn, d: &Dossier) -> ApiResult<Receipt> {
    if d.received_at.is_none() || d.due_at.is_none() {
        return Err(ApiError::conflict(
            "dossier.not_received",
            "Hồ sơ chưa được tiếp nhận nên chưa có giấy hẹn.",
            "The dossier has not been received yet, so it has no receipt.",
        ));
    }
    let commune_name = Commune::find(conn, &d.commune_code)?
        .map(|c| c.full_name)
        .unwrap_or_default();
    let procedure_name = procedure_name(conn, &d.procedure_version_id)?;
    build_receipt(d, commune_name, procedure_name)
}

/// The receipt from a received dossier and the names it shows.
fn build_receipt(d: &Dossier, commune_name: String, procedure_name: String) -> ApiResult<Receipt> {
    let (Some(received), Some(due)) = (d.received_at, d.due_at) else {
        return Err(ApiError::internal("receipt of a dossier not received"));
    };
    let rec = record_of(d)?;
    Ok(Receipt {
        dossier_code: d.code.clone(),
        commune_code: d.commune_code.clone(),
        commune_name,
        procedure_code: d.procedure_code.clone(),
        procedure_name,
        case_code: d.case_code.clone(),
        applicant_name: d.applicant_name.clone(),
        received_at: utc(received),
        due_at: utc(due),
        due_date: local_date(utc(due)),
        components: rec
            .components
            .into_iter()
            .map(|c| ReceiptComponent {
                document: c.document,
                source: c.source,
            })
            .collect(),
        lookup_pin: d.lookup_pin.clone(),
    })
}

/// Response of a successful intake.
#[derive(Serialize, ToSchema)]
pub struct IntakeResponse {
    pub dossier: DossierView,
    /// Present when the dossier was received at once (counter, post).
    pub receipt: Option<Receipt>,
    /// The fees assessed at filing (empty lines when the procedure has none).
    pub fees: super::fees::FeesView,
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

/// File a dossier.
///
/// **Roles:** `reception_officer` (at the counter or by post, for its own commune; the
/// dossier is received at once, numbered and given its appointment date), `citizen` and
/// `portal_client` (online; the dossier waits in `submitted` until an officer receives it).
/// The procedure must be published by the commune; every required document of the case
/// must be among `components` (422 `dossier.missing_documents` lists what is missing).
///
/// `Idempotency-Key` makes a retry safe: the same key with the same body returns the
/// original response (header `Idempotent-Replayed: true`) and never creates a second
/// dossier; the same key with a different body is 422.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = IntakeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key (1–200 chars) that makes retries safe")),
    responses(
    (status = 201, body = IntakeResponse, headers(("ETag" = String, description = "Record version"), ("Location" = String, description = "The new dossier"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed, or another commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, missing documents, procedure not published, or an idempotency key reused with another body", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers")]
pub async fn create_dossier(
    state: web::Data<AppState>,
    auth: Authorized<DossierIntake>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // Parsed by hand (not ValidJson) because the idempotency check needs the parsed body too.
    if !super::extract::is_json(&req) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Nội dung phải là JSON (Content-Type: application/json).",
            "The body must be JSON (Content-Type: application/json).",
        ));
    }
    let body = read_body(&req, payload.into_inner(), state.config.max_json_bytes).await?;
    let raw: serde_json::Value = parse_json(&body)?;
    let input: IntakeRequest = parse_json(&body)?;
    input.validate().map_err(validation_error)?;
    check_identity(&input.applicant)?;
    let key = super::extract::idempotency_key(&req)?;
    let principal = auth.principal.clone();
    match (principal.role, &input.portal_reference) {
        (Role::PortalClient, None) => {
            return Err(ApiError::invalid_field(
                "portal_reference",
                "Cổng DVCQG phải gửi mã hồ sơ của Cổng.",
                "The portal must send its own dossier reference.",
            ))
        }
        (Role::PortalClient, Some(r)) => {
            if let Some(existing) = existing_push(&state, &principal, r).await? {
                return Ok(existing);
            }
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid_field(
                "portal_reference",
                "Chỉ Cổng DVCQG gửi mã hồ sơ của Cổng.",
                "Only the national portal sends a portal reference.",
            ))
        }
        (_, None) => {}
    }
    let portal_reference = input.portal_reference.clone();
    let scope = key
        .as_ref()
        .map(|k| idempotency::scope(&principal.user_id, "create_dossier", k));
    let hash = idempotency::request_hash(&raw);

    if let Some(scope) = &scope {
        let s = scope.clone();
        if let Some(stored) = state
            .db(move |conn| Ok(idempotency::find(conn, &s)?))
            .await?
        {
            return replay(stored, &hash);
        }
    }

    let p = principal.clone();
    let sc = scope.clone();
    let h = hash.clone();
    let result = state
        .db_tx(move |conn| {
            if let Some(scope) = &sc {
                idempotency::claim(conn, scope, &h)?;
            }
            let now = crate::clock::now();
            let intake = resolve_intake(conn, &p, &input, now)?;
            check_components(&intake.case, &input.components)?;
            let received = intake.channel != Channel::Online;
            let mut state_ = if received { LifecycleState::received() } else { LifecycleState::submitted() };
            state_.step = ProcessingStep::Unassigned;
            let calendar = load_calendar_for(conn, &intake.commune.province_code)?;
            let due_at = if received {
                Some(calendar.due(now, &processing_time_of(&intake.version, &intake.case.code)?).due_at.naive_utc())
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
            let applicant = &input.applicant;
            let contact = serde_json::json!({
                "phone": applicant.phone.trim(), "address": nfc(applicant.address.trim()),
                "email": applicant.email, "representative": input.representative,
            });
            let rec = LifecycleRecord {
                state: state_.clone(),
                components: input.components.iter().map(|c| ComponentInput { document: nfc(c.document.trim()), ..c.clone() }).collect(),
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
            // Fees are computed before the number is taken (a 422 here consumes nothing).
            let fee_input = input.fees.clone().unwrap_or_default();
            let schedules = super::fees::schedules_in_force(
                conn,
                &intake.procedure.code,
                &intake.case.code,
                &intake.commune.code,
                &intake.commune.province_code,
                local_date(now),
            )?;
            let mut fee_lines = super::fees::compute_lines(&schedules, intake.channel == Channel::Online, &fee_input)?;
            // The number is taken last: from here to commit the commune's counter row is
            // locked, so only the inserts below wait behind it.
            let day = local_date(now);
            // Agency identifiers are unique, but a code may still exist from before an
            // identifier changed hands: such numbers are skipped, never a 409 at the counter.
            let agency = intake.commune.agency_id();
            let code = loop {
                let code = dossier_code(&agency, day, next_dossier_seq(conn, &intake.commune.code, day)?);
                if !crate::db::models::dossier::code_taken(conn, &code)? {
                    break code;
                }
                log::warn!("dossier number {code} already used: skipped");
            };
            let dossier = Dossier {
                id: uuid::Uuid::now_v7().to_string(),
                code: code.clone(),
                commune_code: intake.commune.code.clone(),
                province_code: intake.commune.province_code.clone(),
                procedure_id: intake.procedure.id.clone(),
                procedure_code: intake.procedure.code.clone(),
                procedure_version_id: intake.version.id.clone(),
                case_code: intake.case.code.clone(),
                channel: intake.channel.as_str().to_string(),
                status: state_.status.as_str().to_string(),
                applicant_type: applicant.applicant_type.as_str().to_string(),
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
            };
            Dossier::insert(conn, &dossier)?;
            // Fees before the creation event: appending it computes the dossier's indicator
            // facts, which count fee-bearing dossiers.
            let assessment = super::fees::store_assessment(conn, &dossier, None, &fee_input, &mut fee_lines, &p.user_id, now)?;
            let identity_verified = p.role == Role::Citizen
                && crate::service::identity::linked_to_provider(conn, &p.user_id)?;
            NewDossierEvent {
                dossier_id: &dossier.id,
                action: if received { "receive_at_counter" } else { "submit_online" },
                actor_id: &p.user_id,
                actor_role: p.role.as_str(),
                from_status: None,
                to_status: &dossier.status,
                comment: None,
                data: serde_json::json!({ "channel": dossier.channel, "case_code": dossier.case_code, "identity_verified": identity_verified }).to_string(),
                created_at: nowd,
            }
            .append_creation(conn, &dossier, assessment.total)?;
            // Documents taken from the applicant's e-data store: a digital result by id.
            for (i, c) in input.components.iter().enumerate() {
                if let (ComponentSource::DataStore, Some(id)) = (c.source, c.reference.as_deref()) {
                    super::results::attach_from_result(conn, &p, &dossier, &nfc(c.document.trim()), id).map_err(|e| {
                        if e.status == actix_web::http::StatusCode::NOT_FOUND {
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
            let fees = super::fees::build_fees_view(&dossier, fee_lines, Some(&assessment), 0)?;
            let receipt = if received {
                Some(build_receipt(&dossier, intake.commune.full_name.clone(), intake.version.name.clone())?)
            } else {
                None
            };
            let name = intake.version.name.clone();
            let response = IntakeResponse { dossier: view(dossier.clone(), name, &p, &calendar)?, receipt, fees };
            let body = serde_json::to_string(&response).expect("response serializes");
            if let Some(scope) = &sc {
                idempotency::complete(conn, scope, 201, &body, &dossier.code)?;
            }
            Ok((dossier.code, dossier.version, body))
        })
        .await;
    match result {
        Ok((code, version, body)) => {
            log::info!(
                "dossier {code} filed by {} ({})",
                principal.user_id,
                principal.role
            );
            Ok(HttpResponse::Created()
                .insert_header(etag(version))
                .insert_header(("location", format!("/api/v1/dossiers/{code}")))
                .content_type("application/json")
                .body(body))
        }
        // A concurrent request with the same key won: answer with what it answered.
        Err(e) if e.code == "duplicate" => {
            if let Some(s) = scope.clone() {
                if let Some(stored) = state
                    .db(move |conn| Ok(idempotency::find(conn, &s)?))
                    .await?
                {
                    return replay(stored, &hash);
                }
            }
            // Or a concurrent push of the same portal dossier won.
            if let Some(r) = &portal_reference {
                if let Some(existing) = existing_push(&state, &principal, r).await? {
                    return Ok(existing);
                }
            }
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// The dossier the portal already pushed under this reference, as a 200 with its view.
async fn existing_push(
    state: &AppState,
    p: &Principal,
    reference: &str,
) -> ApiResult<Option<HttpResponse>> {
    let (pr, r) = (p.clone(), reference.to_string());
    let found = state
        .db(move |conn| {
            let Some(d) = dossiers::table
                .filter(dossiers::portal_reference.eq(&r))
                .select(Dossier::as_select())
                .first(conn)
                .optional()?
            else {
                return Ok(None);
            };
            if !can_see(&pr, &d) {
                return Err(ApiError::conflict(
                    "dossier.portal_reference_taken",
                    "Mã hồ sơ của Cổng đã được dùng ở xã khác.",
                    "This portal reference is used by a dossier elsewhere.",
                ));
            }
            let calendar = load_calendar(conn)?;
            let name = procedure_name(conn, &d.procedure_version_id)?;
            let fees = super::fees::fees_view(conn, &d)?;
            let version = d.version;
            let view = view(d, name, &pr, &calendar)?;
            Ok(Some((
                version,
                IntakeResponse {
                    dossier: view,
                    receipt: None,
                    fees,
                },
            )))
        })
        .await?;
    Ok(found.map(|(version, body)| {
        HttpResponse::Ok()
            .insert_header(etag(version))
            .insert_header(("idempotent-replayed", "true"))
            .json(body)
    }))
}

fn replay(stored: idempotency::StoredResponse, hash: &str) -> ApiResult<HttpResponse> {
    if stored.request_hash != hash {
        return Err(ApiError::unprocessable(
            "idempotency.key_reused",
            "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
            "This Idempotency-Key was already used with a different request.",
        ));
    }
    let status = actix_web::http::StatusCode::from_u16(stored.status_code as u16)
        .unwrap_or(actix_web::http::StatusCode::CREATED);
    Ok(HttpResponse::build(status)
        .insert_header(("idempotent-replayed", "true"))
        .insert_header((
            "location",
            format!("/api/v1/dossiers/{}", stored.resource_id),
        ))
        .content_type("application/json")
        .body(stored.response_body))
}

// ---------------------------------------------------------------- read

/// Read a dossier.
///
/// **Roles:** officers of its commune, the owning citizen, `province_supervisor` of its
/// province, `portal_client` in the communes it serves, `system_admin`. Anyone else gets
/// 404. `allowed_actions` lists what the caller may do now.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = DossierView, headers(("ETag" = String, description = "Record version"))),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}")]
pub async fn get_dossier(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (d, name, calendar) = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            let name = procedure_name(conn, &d.procedure_version_id)?;
            Ok((d, name, load_calendar(conn)?))
        })
        .await?;
    crate::api::access_log::record(
        &state,
        &auth,
        "GET /dossiers/{code}",
        [crate::api::access_log::Read::dossier(&d)],
    )
    .await?;
    let version = d.version;
    Ok(HttpResponse::Ok()
        .insert_header(etag(version))
        .json(view(d, name, &auth, &calendar)?))
}

/// The reception receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả).
///
/// **Roles:** as for reading the dossier. 409 while an online dossier has not been received.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = Receipt),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not received yet", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/receipt")]
pub async fn get_receipt(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Receipt>> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (receipt, read) = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            Ok((
                receipt_of(conn, &d)?,
                crate::api::access_log::Read::dossier(&d),
            ))
        })
        .await?;
    crate::api::access_log::record(&state, &auth, "GET /dossiers/{code}/receipt", [read]).await?;
    Ok(web::Json(receipt))
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub action: String,
    /// The acting account. In the applicant's view only when the applicant acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub comment: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Who reads a history: staff see every entry as recorded; the applicant sees the
/// applicant's view (`domain::history`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Applicant,
}

impl Audience {
    pub fn of(p: &Principal) -> Audience {
        match p.role {
            Role::Citizen | Role::PortalClient => Audience::Applicant,
            _ => Audience::Staff,
        }
    }
}

/// An entry as `audience` may read it.
pub fn event_view(e: DossierEvent, audience: Audience) -> EventView {
    use crate::domain::history;
    let data = serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null);
    match audience {
        Audience::Staff => EventView {
            data,
            id: e.id,
            action: e.action,
            actor_id: Some(e.actor_id),
            actor_role: e.actor_role,
            from_status: e.from_status,
            to_status: e.to_status,
            comment: e.comment,
            at: utc(e.created_at),
        },
        Audience::Applicant => EventView {
            data: history::applicant_data(&e.action, &e.actor_role, &data),
            actor_id: history::actor_visible_to_applicant(&e.actor_role).then_some(e.actor_id),
            comment: e
                .comment
                .filter(|_| history::comment_visible_to_applicant(&e.action, &e.actor_role)),
            id: e.id,
            action: e.action,
            actor_role: e.actor_role,
            from_status: e.from_status,
            to_status: e.to_status,
            at: utc(e.created_at),
        },
    }
}

/// The dossier's history, oldest first.
///
/// **Roles:** as for reading the dossier. Append-only: every action adds an entry; the
/// database refuses updates and deletes of history. Staff see every entry as recorded.
/// The applicant (`citizen`, and `portal_client` relaying to the applicant) sees the
/// applicant's view: every step and status, but comments only where they are addressed
/// to the applicant (refusal, supplement request, apology slip, stop, withdrawal, payment
/// request, hand-over) or are the applicant's own, `data` reduced to what the applicant
/// needs (missing items, deadlines, new date, result id…), and no staff account ids.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = Vec<EventView>),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/history")]
pub async fn get_history(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Vec<EventView>>> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (events, read) = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            Ok((
                DossierEvent::for_dossier(conn, &d.id)?,
                crate::api::access_log::Read::dossier(&d),
            ))
        })
        .await?;
    let audience = Audience::of(&auth);
    crate::api::access_log::record(&state, &auth, "GET /dossiers/{code}/history", [read]).await?;
    Ok(web::Json(
        events
            .into_iter()
            .map(|e| event_view(e, audience))
            .collect(),
    ))
}

// ---------------------------------------------------------------- transitions

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "request_supplement", "missing_items": ["Bản sao giấy khai sinh"], "deadline": "2026-12-10", "comment": "Thiếu giấy tờ"}))]
pub struct TransitionRequest {
    pub action: Action,
    /// Required by `refuse`, `stop`, `reject_proposal`, `extend`.
    #[validate(length(min = 1, max = 2000))]
    pub reason: Option<String>,
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
    /// Required by `assign`: an active specialist or leader of the dossier's commune.
    pub assignee_id: Option<String>,
    /// Required by `request_supplement`: what the applicant must add.
    #[validate(length(min = 1, max = 50))]
    pub missing_items: Option<Vec<String>>,
    /// Required by `request_supplement`: by when (Vietnam date).
    pub deadline: Option<NaiveDate>,
    /// Required by `extend`: the new appointment date promised on the apology slip.
    pub new_due_date: Option<NaiveDate>,
    /// Required by `extend_certification`: 1 or 2 working days (Decree 23/2015/NĐ-CP
    /// Art. 21).
    #[validate(range(min = 1, max = 2))]
    pub extension_days: Option<u32>,
    /// For `return_result`: how the result was handed over (default `counter`).
    pub delivery: Option<Delivery>,
}

impl TransitionRequest {
    fn has(&self, field: &str) -> bool {
        match field {
            "reason" => self.reason.as_deref().is_some_and(|s| !s.trim().is_empty()),
            "assignee_id" => self.assignee_id.is_some(),
            "missing_items" => self.missing_items.as_ref().is_some_and(|v| !v.is_empty()),
            "deadline" => self.deadline.is_some(),
            "new_due_date" => self.new_due_date.is_some(),
            "extension_days" => self.extension_days.is_some(),
            _ => true,
        }
    }
}

fn transition_error(e: TransitionError) -> ApiError {
    let status = actix_web::http::StatusCode::from_u16(e.http_status())
        .unwrap_or(actix_web::http::StatusCode::CONFLICT);
    let allowed = e.allowed().map(|a| a.to_vec()).unwrap_or_default();
    ApiError::new(status, e.code(), e.message_vi(), e.message_en())
        .with_extra(serde_json::json!({ "allowed_actions": allowed }))
}

/// Applies an action to a loaded dossier: lifecycle, clock, and the history entry.
fn apply(
    conn: &mut DbConn,
    calendar: &WorkCalendar,
    p: &Principal,
    d: &mut Dossier,
    req: &TransitionRequest,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Flag>> {
    let missing: Vec<&str> = req
        .action
        .required_fields()
        .iter()
        .copied()
        .filter(|f| !req.has(f))
        .collect();
    if !missing.is_empty() {
        let mut errors = crate::error::FieldErrors::new();
        for f in missing {
            errors.insert(
                f.to_string(),
                vec![crate::error::Text::new(
                    "Bắt buộc với thao tác này.",
                    "Required by this action.",
                )],
            );
        }
        return Err(ApiError::validation(errors));
    }
    let mut rec = record_of(d)?;
    // Dossiers stored before the apology count was kept carry it in `extensions`.
    rec.state.apologies = rec.state.apologies.max(d.extensions.max(0) as u32);
    let from = rec.state.status;
    let due_before = d.due_at;
    let mut outcome =
        lifecycle::transition(&rec.state, &req.action, actor_of(p)).map_err(transition_error)?;
    if from == Status::SupplementRequested && matches!(req.action, Action::Stop | Action::Refuse) {
        let passed = rec
            .supplement
            .as_ref()
            .is_some_and(|s| lifecycle::supplement_deadline_passed(s.deadline, local_date(now)));
        if !passed {
            return Err(ApiError::conflict(
                "dossier.supplement_deadline_not_passed",
                "Hạn bổ sung hồ sơ chưa qua: chỉ dừng xử lý hoặc từ chối khi người nộp không bổ sung đúng hạn.",
                "The supplement deadline has not passed: stop or refuse only when the papers were not supplied in time.",
            ));
        }
    }
    super::fees::check_fees_allow(conn, d, req.action, from)?;
    let nowd = now.naive_utc();

    match req.action {
        Action::Receive => {
            let version = ProcedureVersion::find(conn, &d.procedure_version_id)?
                .ok_or_else(|| ApiError::internal("procedure version missing"))?;
            d.received_at = Some(nowd);
            d.due_at = Some(
                calendar
                    .due(now, &processing_time_of(&version, &d.case_code)?)
                    .due_at
                    .naive_utc(),
            );
        }
        Action::Assign => {
            let assignee = req.assignee_id.clone().unwrap_or_default();
            let ok = users::table
                .filter(users::id.eq(&assignee))
                .filter(users::active.eq(true))
                .filter(users::commune_code.eq(&d.commune_code))
                .filter(users::role.eq_any(["specialist", "leader"]))
                .count()
                .get_result::<i64>(conn)?
                == 1;
            if !ok {
                return Err(ApiError::invalid_field(
                    "assignee_id",
                    "Người được giao phải là chuyên viên hoặc lãnh đạo đang hoạt động của xã.",
                    "The assignee must be an active specialist or leader of the commune.",
                ));
            }
            d.assignee_id = Some(assignee);
        }
        Action::RequestSupplement => {
            let deadline = req.deadline.unwrap_or_default();
            if deadline < local_date(now) {
                return Err(ApiError::invalid_field(
                    "deadline",
                    "Hạn bổ sung đã qua.",
                    "The supplement deadline is in the past.",
                ));
            }
            rec.supplement = Some(SupplementRequest {
                missing_items: req
                    .missing_items
                    .clone()
                    .unwrap_or_default()
                    .iter()
                    .map(|s| nfc(s.trim()))
                    .collect(),
                deadline,
                requested_at: now,
            });
        }
        Action::Extend => {
            let new_date = req.new_due_date.unwrap_or_default();
            let due = d.due_at.map(utc).ok_or_else(|| {
                ApiError::conflict(
                    "dossier.no_deadline",
                    "Hồ sơ chưa có hạn giải quyết.",
                    "The dossier has no deadline yet.",
                )
            })?;
            if new_date <= local_date(due) || rec.promised_due_date.is_some_and(|p| new_date <= p) {
                return Err(ApiError::invalid_field(
                    "new_due_date",
                    "Ngày hẹn mới phải sau ngày hẹn hiện tại.",
                    "The new date must be after the current appointment date.",
                ));
            }
            // Due at the latest one working day before the due date: a later slip is still
            // recorded, flagged.
            if now > calendar.apology_deadline(due) {
                outcome.flags.push(Flag::LateApology);
                rec.late_apology = true;
            }
            rec.promised_due_date = Some(new_date);
            d.extensions += 1;
        }
        Action::ExtendCertification => {
            let version = ProcedureVersion::find(conn, &d.procedure_version_id)?
                .ok_or_else(|| ApiError::internal("procedure version missing"))?;
            if !lifecycle::is_certification_procedure(&version.field, &version.name) {
                return Err(ApiError::conflict(
                    "dossier.not_certification",
                    "Chỉ kéo dài thời hạn theo Điều 21 Nghị định 23/2015/NĐ-CP với hồ sơ chứng thực.",
                    "Only a certification dossier may be extended under Decree 23/2015 Art. 21.",
                ));
            }
            let due = d.due_at.map(utc).ok_or_else(|| {
                ApiError::conflict(
                    "dossier.no_deadline",
                    "Hồ sơ chưa có hạn giải quyết.",
                    "The dossier has no deadline yet.",
                )
            })?;
            let days = req.extension_days.unwrap_or(1);
            d.due_at = Some(calendar.extend_by_working_days(due, days).naive_utc());
            rec.certification_extension = Some(CertificationExtension {
                days,
                reason: nfc(req.reason.as_deref().unwrap_or_default().trim()),
                previous_due_at: due,
            });
        }
        Action::ReturnResult => {
            rec.delivery = Some(req.delivery.unwrap_or(Delivery::Counter));
            rec.returned_at = Some(now);
        }
        _ => {}
    }
    if outcome.pauses_clock && d.due_at.is_some() {
        d.paused_at = Some(nowd);
    }
    if outcome.resumes_clock {
        if let (Some(paused), Some(due)) = (d.paused_at, d.due_at) {
            d.paused_minutes += calendar.working_minutes_between(utc(paused), now);
            d.due_at = Some(
                calendar
                    .extend_for_pause(utc(due), utc(paused), now)
                    .naive_utc(),
            );
        }
        d.paused_at = None;
        rec.supplement = None;
    }
    // A withdrawal requested before the request itself ended processing is closed here.
    if (outcome.finishes || req.action == Action::ConfirmWithdrawal) && d.finished_at.is_none() {
        d.finished_at = Some(nowd);
    }
    rec.state = outcome.new_state;
    d.status = rec.state.status.as_str().to_string();
    d.supplement_requests = rec.state.supplement_requests as i32;
    d.lifecycle = serde_json::to_string(&rec).expect("lifecycle serializes");
    d.updated_at = nowd;

    let flags: Vec<&str> = outcome
        .flags
        .iter()
        .map(|f| match f {
            Flag::RepeatedSupplementRequest => "repeated_supplement_request",
            Flag::LateWithApology => "late_with_apology",
            Flag::LateApology => "late_apology",
        })
        .collect();
    // The row first, then its event: appending refreshes the indicator facts, which read
    // the dossier as saved.
    if !Dossier::save_versioned(conn, d, d.version)? {
        return Err(ApiError::precondition_failed());
    }
    NewDossierEvent {
        dossier_id: &d.id,
        action: req.action.as_str(),
        actor_id: &p.user_id,
        actor_role: p.role.as_str(),
        from_status: Some(from.as_str()),
        to_status: &d.status,
        comment: req.comment.as_deref().or(req.reason.as_deref()),
        // The appointment date before and after (a supplement's pause moves it; the portal
        // gets both as NgayHenTraTruoc/NgayHenTraMoi).
        data: serde_json::json!({ "request": req, "flags": flags,
            "due_before": due_before.map(utc), "due_after": d.due_at.map(utc) })
        .to_string(),
        created_at: nowd,
    }
    .append(conn)?;
    Ok(outcome.flags)
}

/// Act on a dossier: the legal lifecycle.
///
/// **Roles:** by action (see `allowed_actions` on the dossier):
/// reception officer: receive, refuse, request_supplement (at intake), submit_supplement,
/// start_processing, assign, request_payment, confirm_payment, mark_result_ready,
/// return_result, request/confirm_withdrawal, extend; specialist: request_supplement,
/// request_payment, propose_result, extend; leader: also approve_result, reject_proposal,
/// stop, assign; citizen / portal_client: submit_supplement, request_withdrawal (own
/// dossiers). Administrators and supervisors do not process dossiers.
///
/// Requires `If-Match`: of two officers acting at once on one version, one succeeds and the
/// other gets 412. An action not allowed now is 409 with `allowed_actions`; a role that may
/// never take it is 403. A supplement request pauses the legal clock and the supplement
/// resumes it (the due instant moves by the paused working time); a second request is
/// allowed but flagged, as Decision 766 counts it against the commune. `extend` records
/// the apology slip's new date; the dossier still counts as late.
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = TransitionRequest,
    params(("code" = String, Path, description = "Dossier code"), ("If-Match" = String, Header, description = "ETag of the dossier version acted on")),
    responses(
    (status = 200, body = DossierView, headers(("ETag" = String, description = "New record version"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "The caller's role may not take this action", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Action not allowed in the current status (`allowed_actions` lists what is)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale ETag", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing or invalid action data", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: super::extract::ValidJson<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let req = body.0;
    let (d, name, calendar) = state
        .db_tx(move |conn| {
            let mut d = load_visible(conn, &p, &code)?;
            if d.version != if_match.0 {
                return Err(ApiError::precondition_failed());
            }
            let calendar = load_calendar_for(conn, &d.province_code)?;
            apply(conn, &calendar, &p, &mut d, &req, crate::clock::now())?;
            d.version = if_match.0 + 1;
            let name = procedure_name(conn, &d.procedure_version_id)?;
            Ok((d, name, calendar))
        })
        .await?;
    log::info!("dossier {} -> {} by {}", d.code, d.status, auth.user_id);
    let version = d.version;
    Ok(HttpResponse::Ok()
        .insert_header(etag(version))
        .json(view(d, name, &auth, &calendar)?))
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct DossierFilter {
    pub status: Option<Status>,
    pub procedure_code: Option<String>,
    pub channel: Option<Channel>,
    /// `me` or an account id.
    pub assignee: Option<String>,
    /// Commune (for province supervisors, portal clients and system admins).
    pub commune_code: Option<String>,
    /// Received on or after this Vietnam date.
    pub received_from: Option<NaiveDate>,
    /// Received on or before this Vietnam date.
    pub received_to: Option<NaiveDate>,
    /// Only unfinished dossiers past their due instant (clock not paused).
    pub overdue: Option<bool>,
    /// Only unfinished dossiers due within this many working days (1–60).
    pub due_within_days: Option<u32>,
    /// Dossier code, applicant ID number, or applicant name (accent-insensitive).
    pub q: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DossierCursor(NaiveDateTime, String);

fn local_day_start(day: NaiveDate) -> NaiveDateTime {
    // 00:00 in Vietnam is 17:00 UTC the day before.
    day.and_hms_opt(0, 0, 0).expect("midnight") - chrono::Duration::hours(7)
}

/// List dossiers.
///
/// **Roles:** officers see their commune's dossiers, citizens their own, province
/// supervisors their province's, portal clients those of the communes they serve, system
/// admins all. Newest first; keyset pagination (the cost of a page does not grow with the
/// table). Every filter combination is served by an index on (commune, …, submitted_at).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), params(DossierFilter, PageParams), responses(
    (status = 200, body = Page<DossierView>),
    (status = 400, description = "Invalid query", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit or filter", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers")]
pub async fn list_dossiers(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    filter: web::Query<DossierFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<DossierView>>> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<DossierCursor> = page.cursor()?;
    let f = filter.into_inner();
    if f.due_within_days.is_some_and(|n| n == 0 || n > 60) {
        return Err(ApiError::invalid_field(
            "due_within_days",
            "Từ 1 đến 60 ngày làm việc.",
            "Between 1 and 60 working days.",
        ));
    }
    let p = auth.principal.clone();
    let rows = state
        .db(move |conn| {
            let now = crate::clock::now();
            let calendar = load_calendar(conn)?;
            let mut q = dossiers::table.select(Dossier::as_select()).into_boxed();
            // Scope first: it is also the leading column of every index.
            q = crate::scope_filter!(
                q,
                access::scope(&p, Resource::Dossier),
                commune = dossiers::commune_code,
                province = dossiers::province_code,
                owner = dossiers::owner_user_id,
            );
            if let Some(c) = f.commune_code {
                q = q.filter(dossiers::commune_code.eq(c));
            }
            if let Some(s) = f.status {
                q = q.filter(dossiers::status.eq(s.as_str()));
            }
            if let Some(pc) = f.procedure_code {
                q = q.filter(dossiers::procedure_code.eq(pc));
            }
            if let Some(ch) = f.channel {
                q = q.filter(dossiers::channel.eq(ch.as_str()));
            }
            if let Some(a) = f.assignee {
                let id = if a == "me" { p.user_id.clone() } else { a };
                q = q.filter(dossiers::assignee_id.eq(id));
            }
            if let Some(from) = f.received_from {
                q = q.filter(dossiers::received_at.ge(local_day_start(from)));
            }
            if let Some(to) = f.received_to {
                q = q.filter(
                    dossiers::received_at.lt(local_day_start(to + chrono::Duration::days(1))),
                );
            }
            if f.overdue == Some(true) {
                q = q
                    .filter(dossiers::finished_at.is_null())
                    .filter(dossiers::paused_at.is_null())
                    .filter(dossiers::due_at.lt(now.naive_utc()));
            }
            if let Some(n) = f.due_within_days {
                let limit_at = calendar
                    .add_working_minutes(now, i64::from(n) * calendar.hours.daily_minutes());
                q = q
                    .filter(dossiers::finished_at.is_null())
                    .filter(dossiers::due_at.ge(now.naive_utc()))
                    .filter(dossiers::due_at.le(limit_at.naive_utc()));
            }
            if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                if text.matches('-').count() >= 2 {
                    q = q.filter(dossiers::code.eq(text.to_uppercase()));
                } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    q = q.filter(dossiers::applicant_id_number.eq(text.to_string()));
                } else {
                    let pattern = crate::db::like_contains(text, &fold(text));
                    q = q.filter(
                        dossiers::search_key
                            .like(pattern)
                            .escape(crate::db::LIKE_ESCAPE),
                    );
                }
            }
            if let Some(DossierCursor(at, id)) = after {
                // `submitted_at <= at` alone bounds the index range, so a deep page starts
                // where the previous one ended instead of scanning every row before it
                // (an OR at the top level hides that bound from SQLite's planner).
                q = q
                    .filter(dossiers::submitted_at.le(at))
                    .filter(dossiers::submitted_at.lt(at).or(dossiers::id.lt(id)));
            }
            let rows: Vec<Dossier> = q
                .order((dossiers::submitted_at.desc(), dossiers::id.desc()))
                .limit(limit + 1)
                .load(conn)?;
            // Names of the few versions on this page, one query.
            let ids: Vec<String> = rows
                .iter()
                .map(|d| d.procedure_version_id.clone())
                .collect();
            let names: std::collections::HashMap<String, String> =
                crate::db::schema::procedure_versions::table
                    .filter(crate::db::schema::procedure_versions::id.eq_any(ids))
                    .select((
                        crate::db::schema::procedure_versions::id,
                        crate::db::schema::procedure_versions::name,
                    ))
                    .load::<(String, String)>(conn)?
                    .into_iter()
                    .collect();
            Ok((rows, names, calendar))
        })
        .await?;
    let (rows, names, calendar) = rows;
    crate::api::access_log::record(
        &state,
        &auth,
        "GET /dossiers",
        rows.iter()
            .take(limit as usize)
            .map(crate::api::access_log::Read::dossier),
    )
    .await?;
    let mut views = Vec::with_capacity(rows.len());
    let more = rows.len() as i64 > limit;
    let cursor = if more {
        rows.get(limit as usize - 1)
            .map(|d| super::extract::encode_cursor(&DossierCursor(d.submitted_at, d.id.clone())))
    } else {
        None
    };
    for d in rows.into_iter().take(limit as usize) {
        let name = names
            .get(&d.procedure_version_id)
            .cloned()
            .unwrap_or_default();
        views.push(view(d, name, &auth, &calendar)?);
    }
    Ok(web::Json(Page {
        items: views,
        next_cursor: cursor,
    }))
}

// ---------------------------------------------------------------- satisfaction

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    Neutral,
    Dissatisfied,
}

impl Rating {
    fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Neutral => "neutral",
            Rating::Dissatisfied => "dissatisfied",
        }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": "satisfied", "comment": "Cán bộ hướng dẫn tận tình"}))]
pub struct RatingRequest {
    pub rating: Rating,
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RatingView {
    pub dossier_code: String,
    pub rating: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Rate the service once the result is returned.
///
/// **Roles:** the owning `citizen`, or a `reception_officer` of the commune recording the
/// applicant's rating at the counter. Once per dossier (409 after); only after the result
/// was returned (409 before).
#[utoipa::path(tag = "dossiers", security(("bearer" = [])), request_body = RatingRequest,
    params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 201, body = RatingView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not returned yet, or already rated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/dossiers/{code}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    auth: Authorized<crate::auth::roles::Raters>,
    code: web::Path<String>,
    body: super::extract::ValidJson<RatingRequest>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let input = body.0;
    let view = state
        .db_tx(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            if d.status != Status::Returned.as_str() {
                return Err(ApiError::conflict(
                    "dossier.not_returned",
                    "Chỉ đánh giá sau khi đã trả kết quả.",
                    "A rating is possible only after the result was returned.",
                ));
            }
            if crate::db::models::dossier::rating_of(conn, &d.id)?.is_some() {
                return Err(ApiError::conflict(
                    "dossier.already_rated",
                    "Hồ sơ đã được đánh giá.",
                    "The dossier was already rated.",
                ));
            }
            let now = crate::clock::now().naive_utc();
            let comment = input.comment.as_deref().map(|c| nfc(c.trim()));
            crate::db::models::dossier::insert_rating(
                conn,
                &d.id,
                input.rating.as_str(),
                comment.as_deref(),
                &p.user_id,
                now,
            )?;
            Ok(RatingView {
                dossier_code: d.code,
                rating: input.rating.as_str().to_string(),
                comment,
                created_at: utc(now),
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

// ---------------------------------------------------------------- public lookup

/// What anyone holding the receipt may see: no personal data.
#[derive(Serialize, ToSchema)]
pub struct PublicDossierView {
    pub code: String,
    pub status: Status,
    pub national_status_code: u8,
    pub status_label: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub commune_name: String,
    pub received_at: Option<DateTime<Utc>>,
    pub due_date: Option<NaiveDate>,
    pub finished: bool,
    /// The steps of the dossier, oldest first, as the applicant's view of the history
    /// shows them, without comments or reasons (a kiosk screen is not a private place).
    pub history: Vec<EventView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PinQuery {
    /// The 8-digit lookup PIN printed on the receipt.
    pub pin: String,
}

/// Constant-time comparison, so response time does not reveal how much of a PIN matched.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Look up a dossier with its receipt PIN, without an account.
///
/// Public, for citizens and lookup kiosks. Shows status, procedure, commune, dates and the
/// steps taken (the applicant's view of the history, without comments), and nothing
/// personal. A wrong code and a wrong PIN give the same 404; each client address
/// gets a limited number of lookups per minute, and each dossier a limited number of wrong
/// PINs per window whoever sends them (`PUBLIC_LOOKUP_MAX_FAILURES_PER_DOSSIER`; both 429
/// with `Retry-After`), so codes and PINs cannot be enumerated.
#[utoipa::path(tag = "public", params(("code" = String, Path, description = "Dossier code"), PinQuery), responses(
    (status = 200, body = PublicDossierView),
    (status = 400, description = "Missing PIN", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No dossier with this code and PIN", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many lookups from this address, or too many wrong PINs for this dossier", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/public/dossiers/{code}")]
pub async fn public_lookup(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    q: web::Query<PinQuery>,
) -> ApiResult<web::Json<PublicDossierView>> {
    let client = super::extract::client_ip(&req);
    if let Err(retry) = state.public_limiter.check(&client) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "public.rate_limited",
            format!("Tra cứu quá nhiều lần. Thử lại sau {retry} giây."),
            format!("Too many lookups. Retry in {retry} seconds."),
        )
        .with_header("retry-after", retry.to_string()));
    }
    let code = code.into_inner();
    let pin = q.into_inner().pin;
    // Failed PINs are also counted per dossier, whoever sends them: rotating client
    // addresses does not buy more guesses at one receipt. Counted before the comparison,
    // atomically, like logins (see `service::login_throttle`).
    let limits = vec![Limit {
        key: format!("pin:{}", code.trim().to_uppercase()),
        max: state.config.public_lookup_max_failures_per_dossier,
    }];
    let window = state.config.public_lookup_failure_window_secs;
    let found = state
        .db(move |conn| {
            let now = crate::clock::now().naive_utc();
            let records = match login_throttle::admit(conn, &limits, window, now)? {
                Admission::Refused { retry_after_secs } => {
                    return Err(ApiError::new(
                        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                        "public.dossier_locked",
                        format!(
                            "Nhập sai mã tra cứu của hồ sơ này quá nhiều lần. Thử lại sau {retry_after_secs} giây."
                        ),
                        format!(
                            "Too many wrong PINs for this dossier. Retry in {retry_after_secs} seconds."
                        ),
                    )
                    .with_header("retry-after", retry_after_secs.to_string()))
                }
                Admission::Admitted { records } => records,
            };
            let dossier = Dossier::find_by_code(conn, &code)?;
            let Some(d) = dossier.filter(|d| same(&d.lookup_pin, &pin)) else {
                login_throttle::failed(conn, window, now)?;
                return Ok(None);
            };
            login_throttle::succeeded(conn, &records, &limits[0].key)?;
            let name = procedure_name(conn, &d.procedure_version_id)?;
            let commune = Commune::find(conn, &d.commune_code)?
                .map(|c| c.full_name)
                .unwrap_or_default();
            let history: Vec<EventView> = DossierEvent::for_dossier(conn, &d.id)?
                .into_iter()
                .map(|e| {
                    let mut v = event_view(e, Audience::Applicant);
                    v.comment = None;
                    if let Some(o) = v.data.as_object_mut() {
                        o.remove("reason");
                    }
                    v
                })
                .collect();
            Ok(Some((d, name, commune, history)))
        })
        .await?;
    let (d, procedure_name, commune_name, history) = found.ok_or_else(dossier_not_found)?;
    let status = Status::parse(&d.status).ok_or_else(|| ApiError::internal("bad status"))?;
    Ok(web::Json(PublicDossierView {
        national_status_code: status.national_code(),
        status_label: status.label_vi().to_string(),
        status,
        code: d.code,
        procedure_code: d.procedure_code,
        procedure_name,
        commune_name,
        received_at: d.received_at.map(utc),
        due_date: d.due_at.map(|t| local_date(utc(t))),
        finished: d.finished_at.is_some(),
        history,
    }))
}
