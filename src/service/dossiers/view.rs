//! What a dossier, its receipt and its history look like to a caller.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::lookup::procedure_name;
use super::record::{
    record_of, ComponentInput, ComponentSource, Delivery, SupplementRequest, Timeliness,
};
use crate::auth::Principal;
use crate::db::models::dossier::{Dossier, DossierEvent};
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::calendar::local_date;
use crate::domain::dossier::{ApplicantType, Channel};
use crate::domain::dossier_lifecycle::{self as lifecycle, Action, Actor, ProcessingStep, Status};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};

#[derive(Serialize, ToSchema)]
pub struct ApplicantView {
    #[serde(rename = "type")]
    pub applicant_type: ApplicantType,
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

pub(crate) use crate::clock::utc;

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

pub(crate) fn actor_of(p: &Principal) -> Actor {
    Actor::parse(p.role.as_str()).unwrap_or(Actor::ProvinceSupervisor)
}

pub fn view(d: Dossier, procedure_name: String, caller: &Principal) -> ApiResult<DossierView> {
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
    let status = d.status;
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
            applicant_type: d.applicant_type,
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
        channel: d.channel,
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

pub fn receipt_of(conn: &mut DbConn, d: &Dossier) -> ApiResult<Receipt> {
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
pub(crate) fn build_receipt(
    d: &Dossier,
    commune_name: String,
    procedure_name: String,
) -> ApiResult<Receipt> {
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

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub action: String,
    /// The acting account. In the applicant's view only when the applicant acted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
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
