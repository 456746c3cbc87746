//! The center's front room: counters and the services they serve (`counters`), kiosk
//! devices and ticket issue (`tickets`), and calling (`calling`). The ordering and fairness
//! rules are in `domain::queue`; what the display board streams is appended to the queue
//! events table in the same transaction as the change it reports (`display`).

mod calling;
mod counters;
mod display;
mod status;
mod tickets;

use chrono::NaiveTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::Policy;
use crate::auth::Principal;
use crate::db::models::queue::{CounterRow, TicketRow};
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::queue::{PriorityClass, TicketStatus};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};

pub use calling::*;
pub use counters::*;
pub use display::*;
pub use status::*;
pub use tickets::*;

/// Managing a commune's counters, services and kiosk devices.
pub struct QueueAdmins;
impl Policy for QueueAdmins {
    const ROLES: &'static [Role] = &[Role::CommuneAdmin, Role::SystemAdmin];
}

/// Officers at a counter: opening, closing, calling and serving.
pub struct QueueOfficers;
impl Policy for QueueOfficers {
    const ROLES: &'static [Role] = &[
        Role::ReceptionOfficer,
        Role::Specialist,
        Role::Leader,
        Role::CommuneAdmin,
    ];
}

/// Reading a commune's counters and tickets: its staff and system admins.
pub struct QueueReaders;
impl Policy for QueueReaders {
    const ROLES: &'static [Role] = &[
        Role::ReceptionOfficer,
        Role::Specialist,
        Role::Leader,
        Role::CommuneAdmin,
        Role::SystemAdmin,
    ];
}

/// Taking a remote ticket in the app.
pub struct QueueCitizens;
impl Policy for QueueCitizens {
    const ROLES: &'static [Role] = &[Role::Citizen];
}

/// The queue settings (configuration: `QUEUE_*`).
#[derive(Clone, Copy, Debug)]
pub struct QueueSettings {
    pub closing: NaiveTime,
    pub remote_cutoff_minutes: u32,
    pub priority_streak: u32,
    pub max_recalls: u32,
}

impl QueueSettings {
    pub fn from_config(c: &crate::config::Config) -> ApiResult<QueueSettings> {
        let closing = NaiveTime::parse_from_str(c.queue_closing_time.trim(), "%H:%M")
            .map_err(|e| ApiError::internal(format!("QUEUE_CLOSING_TIME: {e}")))?;
        Ok(QueueSettings {
            closing,
            remote_cutoff_minutes: c.queue_remote_cutoff_minutes,
            priority_streak: c.queue_priority_streak,
            max_recalls: c.queue_max_recalls,
        })
    }
}

fn commune_not_found() -> ApiError {
    ApiError::not_found("xã/phường", "Commune")
}

/// The commune, if it exists (public endpoints).
fn commune(conn: &mut DbConn, code: &str) -> ApiResult<Commune> {
    Commune::find(conn, code)?.ok_or_else(commune_not_found)
}

/// The commune, if the caller reaches its queue (else 404, as for any record out of scope).
fn queue_commune(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Commune> {
    access::require(p, Resource::Queue)?;
    let c = commune(conn, code)?;
    if access::may_see(
        p,
        Resource::Queue,
        Place::commune(&c.code, &c.province_code),
    ) {
        Ok(c)
    } else {
        Err(commune_not_found())
    }
}

fn counter_not_found() -> ApiError {
    ApiError::not_found("quầy", "Counter")
}

/// A counter the caller reaches (404 otherwise).
fn visible_counter(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<CounterRow> {
    access::require(p, Resource::Queue)?;
    // Locked: every caller of this either writes the counter or acts on its behalf.
    let c = CounterRow::find_locked(conn, id)?.ok_or_else(counter_not_found)?;
    let commune = commune(conn, &c.commune_code)?;
    if access::may_see(
        p,
        Resource::Queue,
        Place::commune(&commune.code, &commune.province_code),
    ) {
        Ok(c)
    } else {
        Err(counter_not_found())
    }
}

fn ticket_not_found() -> ApiError {
    ApiError::not_found("số thứ tự", "Ticket")
}

/// One of a commune's tickets as staff and its owner see it.
#[derive(Serialize, ToSchema, Debug)]
pub struct TicketView {
    pub id: String,
    pub commune_code: String,
    /// The printed and announced number, e.g. `A015`.
    pub number: String,
    /// The service prefix.
    pub service: String,
    /// `kiosk` or `remote`.
    pub source: String,
    pub status: TicketStatus,
    pub priority_class: Option<PriorityClass>,
    /// Whether the officer confirmed the claimed priority at the counter (null: not yet).
    pub priority_confirmed: Option<bool>,
    /// The counter number the ticket is called to or served at.
    pub counter: Option<i32>,
    /// Transferred to this counter (id): only it calls the ticket.
    pub target_counter_id: Option<String>,
    pub recalls: i32,
    /// The dossier received from this ticket.
    pub dossier_code: Option<String>,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub called_at: Option<chrono::DateTime<chrono::Utc>>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn status_of(t: &TicketRow) -> ApiResult<TicketStatus> {
    TicketStatus::parse(&t.status)
        .ok_or_else(|| ApiError::internal(format!("stored ticket status {:?}", t.status)))
}

fn ticket_view(conn: &mut DbConn, t: &TicketRow) -> ApiResult<TicketView> {
    let counter = match &t.counter_id {
        Some(id) => CounterRow::find(conn, id)?.map(|c| c.number),
        None => None,
    };
    let dossier_code = match &t.dossier_id {
        Some(id) => Some(crate::db::models::dossier::Dossier::code_and_commune(conn, id)?.0),
        None => None,
    };
    Ok(TicketView {
        id: t.id.clone(),
        commune_code: t.commune_code.clone(),
        number: t.number.clone(),
        service: t.service.clone(),
        source: t.source.clone(),
        status: status_of(t)?,
        priority_class: t.priority_class.as_deref().and_then(PriorityClass::parse),
        priority_confirmed: t.priority_confirmed,
        counter,
        target_counter_id: t.target_counter_id.clone(),
        recalls: t.recalls,
        dossier_code,
        issued_at: crate::clock::utc(t.issued_at),
        called_at: t.called_at.map(crate::clock::utc),
        started_at: t.started_at.map(crate::clock::utc),
        finished_at: t.finished_at.map(crate::clock::utc),
    })
}

/// A ticket as the caller may read it: staff of its commune, or the citizen who took it.
pub fn get_ticket(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<TicketView> {
    let t = status::readable_ticket(conn, p, id)?;
    ticket_view(conn, &t)
}
