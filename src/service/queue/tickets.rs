//! Kiosk devices and ticket issue: at a kiosk (public, with the device's key) and remotely
//! by a citizen in the app (until the cut-off before closing). The number is the commune's
//! daily sequence of the service prefix, taken in the issuing transaction.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::counters::open_services;
use super::display::{record, DisplayEvent};
use super::{commune, queue_commune, ticket_view, QueueSettings, TicketView};
use crate::auth::Principal;
use crate::db::models::queue::{DeviceRow, ServiceRow, TicketRow};
use crate::db::models::registry::Commune;
use crate::db::DbConn;
use crate::domain::calendar::{local_date, to_local};
use crate::domain::queue::{remote_ticket_open, ticket_number, PriorityClass, TicketStatus};
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "Kiosk sảnh chính"}))]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    /// Where it stands, e.g. "Kiosk sảnh chính".
    #[validate(length(min = 1, max = 100))]
    pub name: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct DeviceView {
    pub id: String,
    pub commune_code: String,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A registered device with its key: the only time the key is shown.
#[derive(Serialize, ToSchema, Debug)]
pub struct DeviceCreated {
    #[serde(flatten)]
    pub device: DeviceView,
    /// Send as `X-Device-Key` when issuing tickets. Stored only as its hash: keep it now.
    pub key: String,
}

fn device_view(d: &DeviceRow) -> DeviceView {
    DeviceView {
        id: d.id.clone(),
        commune_code: d.commune_code.clone(),
        name: d.name.clone(),
        created_at: crate::clock::utc(d.created_at),
        revoked_at: d.revoked_at.map(crate::clock::utc),
    }
}

pub(super) fn key_hash(key: &str) -> String {
    crate::auth::tokens::hash_refresh_token(key)
}

pub fn register_device(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    input: NewDevice,
) -> ApiResult<DeviceCreated> {
    let c = queue_commune(conn, p, code)?;
    let key = crate::auth::tokens::random_token(32);
    let row = DeviceRow {
        id: uuid::Uuid::now_v7().to_string(),
        commune_code: c.code,
        name: input.name.trim().to_string(),
        key_hash: key_hash(&key),
        created_by: p.user_id.clone(),
        created_at: crate::clock::now().naive_utc(),
        revoked_at: None,
    };
    row.insert(conn)?;
    Ok(DeviceCreated {
        device: device_view(&row),
        key,
    })
}

pub fn list_devices(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Vec<DeviceView>> {
    let c = queue_commune(conn, p, code)?;
    Ok(DeviceRow::of_commune(conn, &c.code)?
        .iter()
        .map(device_view)
        .collect())
}

/// Revokes a device: its key stops working at once.
pub fn revoke_device(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<DeviceView> {
    let not_found = || ApiError::not_found("thiết bị", "Device");
    let d = DeviceRow::find(conn, id)?.ok_or_else(not_found)?;
    // Another commune's device is not found, like its commune.
    queue_commune(conn, p, &d.commune_code).map_err(|e| {
        if e.code == "not_found" {
            not_found()
        } else {
            e
        }
    })?;
    DeviceRow::revoke(conn, id, crate::clock::now().naive_utc())?;
    let d = DeviceRow::find(conn, id)?.ok_or_else(not_found)?;
    Ok(device_view(&d))
}

/// The device of a key, which must be registered to this commune and not revoked (401).
pub fn device_for_key(conn: &mut DbConn, code: &str, key: Option<&str>) -> ApiResult<DeviceRow> {
    let invalid = || {
        ApiError::unauthorized(
            "queue.device_key_invalid",
            "Thiết bị chưa được đăng ký với xã này (thiếu hoặc sai X-Device-Key).",
            "This device is not registered with the commune (missing or wrong X-Device-Key).",
        )
    };
    let key = key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(invalid)?;
    match DeviceRow::by_key_hash(conn, &key_hash(key))? {
        Some(d) if d.commune_code == code => Ok(d),
        _ => Err(invalid()),
    }
}

#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"service": "A", "priority_class": "elderly"}))]
#[serde(deny_unknown_fields)]
pub struct IssueTicket {
    /// The service prefix, e.g. `A`.
    #[validate(length(min = 1, max = 1))]
    pub service: String,
    /// The priority the citizen claims; the officer confirms it at the counter.
    pub priority_class: Option<PriorityClass>,
}

/// Where the ticket came from.
pub enum Source<'a> {
    Kiosk(&'a DeviceRow),
    Remote(&'a Principal),
}

/// Issues a kiosk ticket (the device's key was checked by [`device_for_key`]).
pub fn issue_kiosk(
    conn: &mut DbConn,
    device: &DeviceRow,
    input: IssueTicket,
) -> ApiResult<TicketView> {
    let c = commune(conn, &device.commune_code)?;
    issue(conn, &c, Source::Kiosk(device), input)
}

/// Issues a remote ticket to a citizen, while they can still arrive before closing.
pub fn issue_remote(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    input: IssueTicket,
    settings: QueueSettings,
) -> ApiResult<TicketView> {
    let c = commune(conn, code)?;
    let now = to_local(crate::clock::now())
        .ok_or_else(|| ApiError::internal("clock out of range"))?
        .time();
    if !remote_ticket_open(now, settings.closing, settings.remote_cutoff_minutes) {
        return Err(ApiError::conflict(
            "queue.remote_cutoff",
            format!(
                "Đã quá giờ lấy số từ xa hôm nay ({} phút trước giờ đóng cửa {}).",
                settings.remote_cutoff_minutes,
                settings.closing.format("%H:%M")
            ),
            format!(
                "Remote tickets stop {} minutes before closing ({}).",
                settings.remote_cutoff_minutes,
                settings.closing.format("%H:%M")
            ),
        ));
    }
    issue(conn, &c, Source::Remote(p), input)
}

fn issue(
    conn: &mut DbConn,
    c: &Commune,
    source: Source<'_>,
    input: IssueTicket,
) -> ApiResult<TicketView> {
    let service = input.service.trim().to_string();
    let known = ServiceRow::of_commune(conn, &c.code)?;
    if !known.iter().any(|s| s.prefix == service) {
        return Err(ApiError::invalid_field(
            "service",
            format!("Xã không có dịch vụ {service}."),
            format!("The commune has no service {service}."),
        ));
    }
    let open = open_services(conn, &c.code)?;
    if !open.contains(&service) {
        return Err(ApiError::conflict(
            "queue.service_closed",
            format!("Chưa có quầy nào mở cho dịch vụ {service}."),
            format!("No open counter serves {service} now."),
        )
        .with_extra(serde_json::json!({ "open_services": open })));
    }
    let now = crate::clock::now();
    let day = local_date(now);
    let seq = TicketRow::next_seq(conn, &c.code, day, &service)?;
    let (source, device_id, citizen_id) = match source {
        Source::Kiosk(d) => ("kiosk", Some(d.id.clone()), None),
        Source::Remote(p) => ("remote", None, Some(p.user_id.clone())),
    };
    let row = TicketRow {
        id: uuid::Uuid::now_v7().to_string(),
        commune_code: c.code.clone(),
        day,
        number: ticket_number(&service, seq),
        service,
        seq,
        source: source.into(),
        device_id,
        citizen_id,
        priority_class: input.priority_class.map(|p| p.as_str().to_string()),
        priority_confirmed: None,
        status: TicketStatus::Waiting.as_str().into(),
        counter_id: None,
        target_counter_id: None,
        recalls: 0,
        dossier_id: None,
        issued_at: now.naive_utc(),
        called_at: None,
        started_at: None,
        finished_at: None,
        updated_at: now.naive_utc(),
    };
    row.insert(conn)?;
    record(conn, &c.code, DisplayEvent::Waiting, None)?;
    ticket_view(conn, &row)
}
