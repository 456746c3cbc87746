//! A ticket's status for the kiosk and the citizen app (position as `call next` would call
//! it, estimated wait, the counter called to), and the 58 mm printed ticket.

use serde::Serialize;
use utoipa::ToSchema;

use super::counters::services_of;
use super::{commune, status_of, ticket_not_found, QueueSettings, TicketView};
use crate::auth::access::{self, Place, Resource};
use crate::auth::Principal;
use crate::db::models::queue::{CounterRow, DeviceRow, ServiceRow, TicketRow};
use crate::db::DbConn;
use crate::domain::calendar::{to_local, today};
use crate::domain::queue::{
    estimated_wait_minutes, position, ticket_text, PrintedTicket, QueueKey, TicketStatus,
    WAIT_SAMPLE,
};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};

/// Where a ticket stands now.
#[derive(Serialize, ToSchema, Debug)]
pub struct TicketStatusView {
    pub id: String,
    pub commune_code: String,
    /// The printed and announced number, e.g. `A015`.
    pub number: String,
    /// The service prefix.
    pub service: String,
    pub status: TicketStatus,
    /// 1 = called next, while waiting (null otherwise): the order `call next` would follow
    /// now. A priority ticket taken later goes first, so the position can move back.
    pub position: Option<u32>,
    /// Tickets to be called before this one (position − 1), while waiting.
    pub people_ahead: Option<u32>,
    /// Minutes, rounded up: median service time of the service's last 20 tickets served
    /// today × position ÷ open counters serving it. Null while waiting with no ticket of
    /// the service served today or no counter open, and once called.
    pub estimated_wait_minutes: Option<u32>,
    /// Open counters serving the ticket's queue now.
    pub open_counters: u32,
    /// The counter number the ticket is called to or served at.
    pub counter: Option<i32>,
    pub issued_at: chrono::DateTime<chrono::Utc>,
}

/// Who asks for a ticket's status.
pub enum StatusReader<'a> {
    /// A kiosk, by its device key (any of its commune's tickets).
    Kiosk(Option<&'a str>),
    /// Staff of the ticket's commune, or the citizen who took it.
    User(&'a Principal),
}

/// The ticket's status for a kiosk of its commune, the citizen who took it, or staff of its
/// commune (and system admins); anyone else 404. A missing, wrong or revoked device key is
/// 401, a device of another commune 404.
pub fn ticket_status(
    conn: &mut DbConn,
    reader: StatusReader<'_>,
    id: &str,
    settings: QueueSettings,
) -> ApiResult<TicketStatusView> {
    let t = match reader {
        StatusReader::Kiosk(key) => {
            let device = kiosk_device(conn, key)?;
            let t = TicketRow::find(conn, id)?.ok_or_else(ticket_not_found)?;
            if t.commune_code != device.commune_code {
                return Err(ticket_not_found());
            }
            t
        }
        StatusReader::User(p) => readable_ticket(conn, p, id)?,
    };
    status_view(conn, &t, settings)
}

fn kiosk_device(conn: &mut DbConn, key: Option<&str>) -> ApiResult<DeviceRow> {
    let key = key.map(str::trim).filter(|k| !k.is_empty());
    let found = match key {
        Some(k) => DeviceRow::by_key_hash(conn, &super::tickets::key_hash(k))?,
        None => None,
    };
    found.ok_or_else(|| {
        ApiError::unauthorized(
            "queue.device_key_invalid",
            "Thiết bị chưa được đăng ký (thiếu hoặc sai X-Device-Key).",
            "This device is not registered (missing or wrong X-Device-Key).",
        )
    })
}

/// The ticket if the user may read it: its citizen, or staff reaching its commune.
pub(super) fn readable_ticket(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<TicketRow> {
    let t = TicketRow::find(conn, id)?.ok_or_else(ticket_not_found)?;
    if p.role == Role::Citizen {
        return if t.citizen_id.as_deref() == Some(p.user_id.as_str()) {
            Ok(t)
        } else {
            Err(ticket_not_found())
        };
    }
    access::require(p, Resource::Queue)?;
    let c = commune(conn, &t.commune_code)?;
    if access::may_see(
        p,
        Resource::Queue,
        Place::commune(&c.code, &c.province_code),
    ) {
        Ok(t)
    } else {
        Err(ticket_not_found())
    }
}

/// Whether a waiting ticket is in the same queue as `t`: transferred to the same counter,
/// or (neither transferred) of the same service.
fn same_queue(t: &TicketRow, other: &TicketRow, target_services: &[String]) -> bool {
    match &t.target_counter_id {
        Some(target) => {
            other.target_counter_id.as_deref() == Some(target.as_str())
                || (other.target_counter_id.is_none() && target_services.contains(&other.service))
        }
        None => other.target_counter_id.is_none() && other.service == t.service,
    }
}

fn status_view(
    conn: &mut DbConn,
    t: &TicketRow,
    settings: QueueSettings,
) -> ApiResult<TicketStatusView> {
    let status = status_of(t)?;
    let counters = CounterRow::of_commune(conn, &t.commune_code)?;
    let mut open = 0u32;
    let mut target_services = Vec::new();
    for c in &counters {
        let services = services_of(c)?;
        let serves = match &t.target_counter_id {
            Some(target) => &c.id == target,
            None => services.contains(&t.service),
        };
        if c.is_open && serves {
            open += 1;
        }
        if t.target_counter_id.as_deref() == Some(c.id.as_str()) {
            target_services = services;
        }
    }
    let key = |r: &TicketRow| {
        (
            r.priority_class.is_some(),
            QueueKey {
                issued_at: r.issued_at,
                seq: r.seq,
            },
        )
    };
    // Only today's waiting tickets are called; an older one never will be.
    let pos = if status == TicketStatus::Waiting && t.day == today() {
        let others: Vec<_> = TicketRow::waiting_of_day(conn, &t.commune_code, t.day)?
            .iter()
            .filter(|o| o.id != t.id && same_queue(t, o, &target_services))
            .map(key)
            .collect();
        Some(position(key(t), &others, settings.priority_streak))
    } else {
        None
    };
    let estimate = match pos {
        Some(pos) => {
            let durations: Vec<i64> = TicketRow::recent_service_times(
                conn,
                &t.commune_code,
                t.day,
                &t.service,
                WAIT_SAMPLE,
            )?
            .into_iter()
            .filter_map(|(s, f)| Some((f? - s?).num_seconds()))
            .collect();
            estimated_wait_minutes(&durations, pos, open)
        }
        None => None,
    };
    let counter = match &t.counter_id {
        Some(id) => counters.iter().find(|c| &c.id == id).map(|c| c.number),
        None => None,
    };
    Ok(TicketStatusView {
        id: t.id.clone(),
        commune_code: t.commune_code.clone(),
        number: t.number.clone(),
        service: t.service.clone(),
        status,
        position: pos,
        people_ahead: pos.map(|p| p - 1),
        estimated_wait_minutes: estimate,
        open_counters: open,
        counter,
        issued_at: crate::clock::utc(t.issued_at),
    })
}

/// The printed ticket of a ticket just issued at a kiosk (see `domain::queue::ticket_text`).
pub fn printed_ticket(
    conn: &mut DbConn,
    ticket: &TicketView,
    settings: QueueSettings,
    base_url: &str,
) -> ApiResult<String> {
    let t = TicketRow::find(conn, &ticket.id)?.ok_or_else(ticket_not_found)?;
    let c = commune(conn, &t.commune_code)?;
    let service = ServiceRow::of_commune(conn, &c.code)?
        .into_iter()
        .find(|s| s.prefix == t.service)
        .map_or_else(|| t.service.clone(), |s| s.name);
    let status = status_view(conn, &t, settings)?;
    let issued_at = to_local(crate::clock::utc(t.issued_at))
        .ok_or_else(|| ApiError::internal("clock out of range"))?;
    let url = format!(
        "{}/api/v1/queue/tickets/{}/status",
        base_url.trim_end_matches('/'),
        t.id
    );
    Ok(ticket_text(&PrintedTicket {
        commune: &c.full_name,
        number: &t.number,
        service: &service,
        issued_at,
        people_ahead: status.people_ahead.unwrap_or(0),
        status_url: &url,
    }))
}
