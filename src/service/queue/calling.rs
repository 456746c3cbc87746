//! At the counter: call next (priority first, fairness in `domain::queue::pick_next`),
//! recall, no-show, start and finish service, transfer, priority confirmation, and the link
//! to the dossier received from the ticket (written into the dossier's history).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::counters::{counter_view, not_your_counter, services_of, CounterView};
use super::display::{record, BoardCall, DisplayEvent};
use super::{
    queue_commune, status_of, ticket_not_found, ticket_view, visible_counter, QueueSettings,
    TicketView,
};
use crate::auth::Principal;
use crate::db::models::dossier::{Dossier, NewDossierEvent};
use crate::db::models::queue::{CounterRow, TicketRow};
use crate::db::DbConn;
use crate::domain::calendar::today;
use crate::domain::queue::{announcement, pick_next, streak_after, Pick, TicketStatus};
use crate::error::{ApiError, ApiResult};

/// What `call next` gives the officer.
#[derive(Serialize, ToSchema, Debug)]
pub struct CallResult {
    /// The ticket called, or null when nothing this counter serves is waiting.
    pub ticket: Option<TicketView>,
    pub counter: CounterView,
}

/// The counter, open and held by the caller (409 otherwise).
fn my_open_counter(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<CounterRow> {
    let c = visible_counter(conn, p, id)?;
    if !c.is_open {
        return Err(ApiError::conflict(
            "queue.counter_closed",
            format!("Quầy số {} đang đóng; hãy mở quầy trước.", c.number),
            format!("Counter {} is closed; open it first.", c.number),
        ));
    }
    if c.officer_id.as_deref() != Some(p.user_id.as_str()) {
        return Err(not_your_counter(c.number));
    }
    Ok(c)
}

fn board_call(t: &TicketRow, counter: i32) -> BoardCall {
    BoardCall {
        number: t.number.clone(),
        counter,
        announcement: announcement(&t.number, counter),
    }
}

/// Calls the next ticket to the caller's counter. Run inside a write transaction: the
/// counter row is locked, and the ticket is claimed with `FOR UPDATE SKIP LOCKED`
/// (PostgreSQL) or under SQLite's IMMEDIATE lock, so two officers never get one ticket.
pub fn call_next(
    conn: &mut DbConn,
    p: &Principal,
    counter_id: &str,
    settings: QueueSettings,
) -> ApiResult<CallResult> {
    let mut c = my_open_counter(conn, p, counter_id)?;
    if let Some(t) = TicketRow::active_at(conn, &c.id)? {
        return Err(ApiError::conflict(
            "queue.ticket_in_progress",
            format!(
                "Quầy đang gọi hoặc phục vụ số {}: hoàn thành, chuyển hoặc ghi vắng mặt trước.",
                t.number
            ),
            format!(
                "The counter is calling or serving {}: finish, transfer or record a no-show first.",
                t.number
            ),
        ));
    }
    let services = services_of(&c)?;
    let day = today();
    let prio = TicketRow::claim_head(conn, &c.commune_code, day, &c.id, &services, true)?;
    let regular = TicketRow::claim_head(conn, &c.commune_code, day, &c.id, &services, false)?;
    let streak = u32::try_from(c.priority_streak).unwrap_or(0);
    let pick = pick_next(
        prio.is_some(),
        regular.is_some(),
        streak,
        settings.priority_streak,
    );
    let (mut t, pick) = match (pick, prio, regular) {
        (Some(Pick::Priority), Some(t), _) => (t, Pick::Priority),
        (Some(Pick::Regular), _, Some(t)) => (t, Pick::Regular),
        _ => {
            return Ok(CallResult {
                ticket: None,
                counter: counter_view(&c)?,
            })
        }
    };
    let now = crate::clock::now().naive_utc();
    t.status = TicketStatus::Called.as_str().into();
    t.counter_id = Some(c.id.clone());
    t.target_counter_id = None;
    t.called_at = Some(now);
    t.updated_at = now;
    if !t.save_if(conn, TicketStatus::Waiting.as_str())? {
        // The row was locked for us (or the database was): another writer cannot have
        // changed it; if it did, the transaction must not commit a half call.
        return Err(ApiError::internal("claimed ticket changed under its lock"));
    }
    c.priority_streak = i32::try_from(streak_after(pick, streak)).unwrap_or(i32::MAX);
    c.updated_at = now;
    c.save(conn)?;
    record(
        conn,
        &c.commune_code,
        DisplayEvent::Called,
        Some(board_call(&t, c.number)),
    )?;
    Ok(CallResult {
        ticket: Some(ticket_view(conn, &t)?),
        counter: counter_view(&c)?,
    })
}

/// A ticket at the caller's counter, in one of `allowed` statuses (409 otherwise).
fn my_ticket(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    allowed: &[TicketStatus],
) -> ApiResult<(TicketRow, CounterRow)> {
    let t = TicketRow::find(conn, id)?.ok_or_else(ticket_not_found)?;
    queue_commune(conn, p, &t.commune_code).map_err(|e| {
        if e.code == "not_found" {
            ticket_not_found()
        } else {
            e
        }
    })?;
    let status = status_of(&t)?;
    let Some(counter_id) = t.counter_id.clone().filter(|_| allowed.contains(&status)) else {
        let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::conflict(
            "queue.ticket_status",
            format!("Số {} đang ở trạng thái {}.", t.number, status.as_str()),
            format!(
                "Ticket {} is {}; this needs {}.",
                t.number,
                status.as_str(),
                allowed.join(" or ")
            ),
        )
        .with_extra(serde_json::json!({ "ticket_status": status.as_str() })));
    };
    let c = my_open_counter(conn, p, &counter_id)?;
    Ok((t, c))
}

fn save(conn: &mut DbConn, t: &TicketRow, was: &str) -> ApiResult<()> {
    if t.save_if(conn, was)? {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "queue.ticket_changed",
            "Số thứ tự vừa được thay đổi; hãy tải lại.",
            "The ticket changed meanwhile; reload it.",
        ))
    }
}

/// Calls the ticket again (the board announces it again).
pub fn recall(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<TicketView> {
    let (mut t, c) = my_ticket(conn, p, id, &[TicketStatus::Called])?;
    t.recalls += 1;
    t.updated_at = crate::clock::now().naive_utc();
    save(conn, &t, "called")?;
    record(
        conn,
        &c.commune_code,
        DisplayEvent::Recalled,
        Some(board_call(&t, c.number)),
    )?;
    ticket_view(conn, &t)
}

/// Records that the citizen did not come: only after the configured number of recalls.
pub fn no_show(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    settings: QueueSettings,
) -> ApiResult<TicketView> {
    let (mut t, _) = my_ticket(conn, p, id, &[TicketStatus::Called])?;
    let needed = i32::try_from(settings.max_recalls).unwrap_or(i32::MAX);
    if t.recalls < needed {
        return Err(ApiError::conflict(
            "queue.recalls_remaining",
            format!(
                "Cần gọi lại số {} {} lần trước khi ghi vắng mặt (đã gọi lại {}).",
                t.number, needed, t.recalls
            ),
            format!(
                "Recall {} {} times before recording a no-show ({} so far).",
                t.number, needed, t.recalls
            ),
        ));
    }
    let now = crate::clock::now().naive_utc();
    t.status = TicketStatus::NoShow.as_str().into();
    t.finished_at = Some(now);
    t.updated_at = now;
    save(conn, &t, "called")?;
    ticket_view(conn, &t)
}

/// The citizen is at the counter: service starts.
pub fn start(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<TicketView> {
    let (mut t, _) = my_ticket(conn, p, id, &[TicketStatus::Called])?;
    let now = crate::clock::now().naive_utc();
    t.status = TicketStatus::Serving.as_str().into();
    t.started_at = Some(now);
    t.updated_at = now;
    save(conn, &t, "called")?;
    ticket_view(conn, &t)
}

/// Service is over.
pub fn finish(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<TicketView> {
    let (mut t, _) = my_ticket(conn, p, id, &[TicketStatus::Serving])?;
    let now = crate::clock::now().naive_utc();
    t.status = TicketStatus::Done.as_str().into();
    t.finished_at = Some(now);
    t.updated_at = now;
    save(conn, &t, "serving")?;
    ticket_view(conn, &t)
}

#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"confirmed": true}))]
#[serde(deny_unknown_fields)]
pub struct PriorityDecision {
    /// Whether the officer saw what the claimed priority class requires.
    pub confirmed: bool,
}

/// The officer confirms (or not) the priority the citizen claimed; recorded on the ticket.
pub fn confirm_priority(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    d: PriorityDecision,
) -> ApiResult<TicketView> {
    let (mut t, _) = my_ticket(conn, p, id, &[TicketStatus::Called, TicketStatus::Serving])?;
    if t.priority_class.is_none() {
        return Err(ApiError::conflict(
            "queue.no_priority_claimed",
            format!("Số {} không đăng ký ưu tiên.", t.number),
            format!("Ticket {} claims no priority.", t.number),
        ));
    }
    let was = t.status.clone();
    t.priority_confirmed = Some(d.confirmed);
    t.updated_at = crate::clock::now().naive_utc();
    save(conn, &t, &was)?;
    ticket_view(conn, &t)
}

#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"counter_id": "0193b1c2-7c4e-7a51-9d3a-2f1e5b6c7d80"}))]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Send the ticket to this counter (id, of the same commune): only it calls the ticket.
    pub counter_id: Option<String>,
    /// Or to this service (prefix): any counter serving it calls the ticket.
    #[validate(length(min = 1, max = 1))]
    pub service: Option<String>,
}

/// Sends a called or served ticket back to the queue for another counter or service. It
/// keeps its place (its issue time), so it is called before tickets issued after it.
pub fn transfer(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    input: Transfer,
) -> ApiResult<TicketView> {
    let (mut t, c) = my_ticket(conn, p, id, &[TicketStatus::Called, TicketStatus::Serving])?;
    let was = t.status.clone();
    match (input.counter_id, input.service) {
        (Some(target), None) => {
            let other = CounterRow::find(conn, &target)?;
            match other {
                Some(o) if o.commune_code == c.commune_code => {
                    if o.id == c.id {
                        return Err(ApiError::invalid_field(
                            "counter_id",
                            "Không thể chuyển sang chính quầy này.",
                            "A ticket cannot be transferred to its own counter.",
                        ));
                    }
                    t.target_counter_id = Some(o.id);
                }
                _ => {
                    return Err(ApiError::invalid_field(
                        "counter_id",
                        "Xã không có quầy này (chỉ chuyển được sang quầy cùng xã).",
                        "No such counter in this commune (transfers stay within the commune).",
                    ))
                }
            }
        }
        (None, Some(service)) => {
            let known = crate::db::models::queue::ServiceRow::of_commune(conn, &c.commune_code)?;
            if !known.iter().any(|s| s.prefix == service) {
                return Err(ApiError::invalid_field(
                    "service",
                    format!("Xã không có dịch vụ {service}."),
                    format!("The commune has no service {service}."),
                ));
            }
            t.service = service;
            t.target_counter_id = None;
        }
        _ => {
            return Err(ApiError::invalid_field(
                "counter_id",
                "Chọn đúng một trong counter_id hoặc service.",
                "Give exactly one of counter_id and service.",
            ))
        }
    }
    t.status = TicketStatus::Waiting.as_str().into();
    t.counter_id = None;
    t.called_at = None;
    t.started_at = None;
    t.recalls = 0;
    t.updated_at = crate::clock::now().naive_utc();
    save(conn, &t, &was)?;
    record(conn, &c.commune_code, DisplayEvent::Waiting, None)?;
    ticket_view(conn, &t)
}

#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"dossier_code": "04978-251208-0001"}))]
#[serde(deny_unknown_fields)]
pub struct LinkDossier {
    /// The code of the dossier received from this ticket (same commune).
    #[validate(length(min = 1, max = 64))]
    pub dossier_code: String,
}

/// Links the ticket to the dossier received from it; the dossier's history shows the
/// ticket number. Once per ticket.
pub fn link_dossier(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    input: LinkDossier,
) -> ApiResult<TicketView> {
    let (mut t, c) = my_ticket(conn, p, id, &[TicketStatus::Serving, TicketStatus::Done])?;
    if t.dossier_id.is_some() {
        return Err(ApiError::conflict(
            "queue.dossier_already_linked",
            format!("Số {} đã gắn với một hồ sơ.", t.number),
            format!("Ticket {} is already linked to a dossier.", t.number),
        ));
    }
    let d = Dossier::find_by_code(conn, input.dossier_code.trim())?
        .filter(|d| d.commune_code == c.commune_code)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "dossier_code",
                "Xã không có hồ sơ mã này.",
                "No dossier with this code in the commune.",
            )
        })?;
    let was = t.status.clone();
    let now = crate::clock::now().naive_utc();
    t.dossier_id = Some(d.id.clone());
    t.updated_at = now;
    save(conn, &t, &was)?;
    let data =
        serde_json::json!({ "ticket_number": t.number, "ticket_id": t.id, "counter": c.number });
    crate::service::events::append_note(
        conn,
        &NewDossierEvent {
            dossier_id: &d.id,
            action: "queue_ticket_linked",
            actor_id: &p.user_id,
            actor_role: p.role.as_str(),
            from_status: Some(d.status),
            to_status: d.status,
            comment: None,
            data: data.to_string(),
            created_at: now,
        },
    )?;
    ticket_view(conn, &t)
}
