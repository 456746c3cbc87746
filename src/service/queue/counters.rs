//! Counters and the services they serve, managed by the commune's administrator; an
//! officer opens a counter (it is then theirs) and closes it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{commune, queue_commune, visible_counter};
use crate::auth::Principal;
use crate::db::models::queue::{CounterRow, ServiceRow, TicketRow};
use crate::db::DbConn;
use crate::domain::queue::valid_prefix;
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};

/// A service of the queue (its letter starts the ticket number).
#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "Chứng thực, hộ tịch", "fields": ["Chứng thực", "Hộ tịch"]}))]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Shown on the kiosk, e.g. "Chứng thực, hộ tịch".
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// Procedure fields this service covers (as in the catalog), for the kiosk's help text.
    #[validate(length(max = 50))]
    #[serde(default)]
    pub fields: Vec<String>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct ServiceView {
    /// One capital letter A–Z.
    pub prefix: String,
    pub name: String,
    pub fields: Vec<String>,
    /// Whether an open counter serves it now (a kiosk offers only these).
    pub open: bool,
}

#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"number": 3, "name": "Quầy 3 — Chứng thực", "services": ["A", "B"]}))]
#[serde(deny_unknown_fields)]
pub struct NewCounter {
    /// The number on the counter ("quầy số 3"); unique in the commune.
    #[validate(range(min = 1, max = 999))]
    pub number: i32,
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// The service prefixes it serves; each must be one of the commune's services.
    #[validate(length(min = 1, max = 26))]
    pub services: Vec<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
#[schema(example = json!({"services": ["A"]}))]
#[serde(deny_unknown_fields)]
pub struct CounterUpdate {
    #[validate(length(min = 1, max = 100))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 26))]
    pub services: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct CounterView {
    pub id: String,
    pub commune_code: String,
    pub number: i32,
    pub name: String,
    pub services: Vec<String>,
    pub is_open: bool,
    /// The officer at it now (account id), while open.
    pub officer_id: Option<String>,
    pub opened_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub(super) fn services_of(c: &CounterRow) -> ApiResult<Vec<String>> {
    serde_json::from_str(&c.services)
        .map_err(|e| ApiError::internal(format!("stored counter services: {e}")))
}

pub(super) fn counter_view(c: &CounterRow) -> ApiResult<CounterView> {
    Ok(CounterView {
        id: c.id.clone(),
        commune_code: c.commune_code.clone(),
        number: c.number,
        name: c.name.clone(),
        services: services_of(c)?,
        is_open: c.is_open,
        officer_id: c.officer_id.clone(),
        opened_at: c.opened_at.map(crate::clock::utc),
    })
}

/// The commune's services and whether an open counter serves each.
pub fn list_services(conn: &mut DbConn, code: &str) -> ApiResult<Vec<ServiceView>> {
    let c = commune(conn, code)?;
    let open = open_services(conn, &c.code)?;
    ServiceRow::of_commune(conn, &c.code)?
        .into_iter()
        .map(|s| {
            Ok(ServiceView {
                open: open.contains(&s.prefix),
                fields: serde_json::from_str(&s.fields)
                    .map_err(|e| ApiError::internal(format!("stored service fields: {e}")))?,
                prefix: s.prefix,
                name: s.name,
            })
        })
        .collect()
}

/// The prefixes some open counter of the commune serves.
pub(super) fn open_services(conn: &mut DbConn, commune: &str) -> ApiResult<Vec<String>> {
    let mut open = Vec::new();
    for c in CounterRow::of_commune(conn, commune)? {
        if c.is_open {
            open.extend(services_of(&c)?);
        }
    }
    open.sort();
    open.dedup();
    Ok(open)
}

fn invalid_prefix() -> ApiError {
    ApiError::invalid_field(
        "prefix",
        "Mã dịch vụ là một chữ cái in hoa A–Z.",
        "The service prefix is one capital letter A–Z.",
    )
}

/// Creates or replaces a service of the commune.
pub fn put_service(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    prefix: &str,
    input: ServiceInput,
) -> ApiResult<ServiceView> {
    let c = queue_commune(conn, p, code)?;
    if !valid_prefix(prefix) {
        return Err(invalid_prefix());
    }
    let row = ServiceRow {
        commune_code: c.code.clone(),
        prefix: prefix.to_string(),
        name: input.name.trim().to_string(),
        fields: serde_json::to_string(&input.fields).map_err(ApiError::internal)?,
        updated_at: crate::clock::now().naive_utc(),
    };
    row.upsert(conn)?;
    let open = open_services(conn, &c.code)?.contains(&row.prefix);
    Ok(ServiceView {
        prefix: row.prefix,
        name: row.name,
        fields: input.fields,
        open,
    })
}

/// Every prefix must be one of the commune's services (422 naming the unknown ones).
fn check_services(conn: &mut DbConn, commune: &str, services: &[String]) -> ApiResult<String> {
    let known: Vec<String> = ServiceRow::of_commune(conn, commune)?
        .into_iter()
        .map(|s| s.prefix)
        .collect();
    let unknown: Vec<&str> = services
        .iter()
        .filter(|s| !known.contains(s))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid_field(
            "services",
            format!("Xã chưa có dịch vụ: {}.", unknown.join(", ")),
            format!("The commune has no service {}.", unknown.join(", ")),
        ));
    }
    let mut list = services.to_vec();
    list.sort();
    list.dedup();
    serde_json::to_string(&list).map_err(ApiError::internal)
}

pub fn create_counter(
    conn: &mut DbConn,
    p: &Principal,
    code: &str,
    input: NewCounter,
) -> ApiResult<CounterView> {
    let c = queue_commune(conn, p, code)?;
    let services = check_services(conn, &c.code, &input.services)?;
    if CounterRow::number_taken(conn, &c.code, input.number)? {
        return Err(ApiError::conflict(
            "queue.counter_number_taken",
            format!("Xã đã có quầy số {}.", input.number),
            format!("The commune already has counter {}.", input.number),
        ));
    }
    let now = crate::clock::now().naive_utc();
    let row = CounterRow {
        id: uuid::Uuid::now_v7().to_string(),
        commune_code: c.code,
        number: input.number,
        name: input.name.trim().to_string(),
        services,
        is_open: false,
        officer_id: None,
        priority_streak: 0,
        opened_at: None,
        created_at: now,
        updated_at: now,
    };
    row.insert(conn)?;
    counter_view(&row)
}

pub fn list_counters(conn: &mut DbConn, p: &Principal, code: &str) -> ApiResult<Vec<CounterView>> {
    let c = queue_commune(conn, p, code)?;
    CounterRow::of_commune(conn, &c.code)?
        .iter()
        .map(counter_view)
        .collect()
}

pub fn update_counter(
    conn: &mut DbConn,
    p: &Principal,
    id: &str,
    input: CounterUpdate,
) -> ApiResult<CounterView> {
    let mut c = visible_counter(conn, p, id)?;
    if let Some(name) = input.name {
        c.name = name.trim().to_string();
    }
    if let Some(services) = input.services {
        c.services = check_services(conn, &c.commune_code, &services)?;
    }
    c.updated_at = crate::clock::now().naive_utc();
    c.save(conn)?;
    counter_view(&c)
}

/// The officer takes the counter: it opens and is theirs until closed. A counter another
/// officer holds, or a second counter for the same officer, is 409.
pub fn open_counter(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<CounterView> {
    let mut c = visible_counter(conn, p, id)?;
    if c.is_open && c.officer_id.as_deref() == Some(p.user_id.as_str()) {
        return counter_view(&c);
    }
    if c.is_open {
        return Err(ApiError::conflict(
            "queue.counter_taken",
            format!("Quầy số {} đang có cán bộ khác làm việc.", c.number),
            format!("Counter {} is held by another officer.", c.number),
        ));
    }
    if let Some(other) = CounterRow::held_by(conn, &p.user_id)? {
        return Err(ApiError::conflict(
            "queue.officer_at_other_counter",
            format!(
                "Bạn đang mở quầy số {}; hãy đóng quầy đó trước.",
                other.number
            ),
            format!("You hold counter {} open; close it first.", other.number),
        ));
    }
    let now = crate::clock::now().naive_utc();
    c.is_open = true;
    c.officer_id = Some(p.user_id.clone());
    c.opened_at = Some(now);
    c.priority_streak = 0;
    c.updated_at = now;
    c.save(conn)?;
    counter_view(&c)
}

/// Closes the counter: its officer, or the commune's administrator. Not while a ticket is
/// called to it or served at it (finish, transfer or record the no-show first).
pub fn close_counter(conn: &mut DbConn, p: &Principal, id: &str) -> ApiResult<CounterView> {
    let mut c = visible_counter(conn, p, id)?;
    if !c.is_open {
        return counter_view(&c);
    }
    let holder = c.officer_id.as_deref() == Some(p.user_id.as_str());
    if !holder && p.role != Role::CommuneAdmin {
        return Err(not_your_counter(c.number));
    }
    if let Some(t) = TicketRow::active_at(conn, &c.id)? {
        return Err(ApiError::conflict(
            "queue.ticket_in_progress",
            format!("Quầy đang gọi hoặc phục vụ số {}.", t.number),
            format!("The counter is calling or serving {}.", t.number),
        ));
    }
    c.is_open = false;
    c.officer_id = None;
    c.opened_at = None;
    c.updated_at = crate::clock::now().naive_utc();
    c.save(conn)?;
    counter_view(&c)
}

pub(super) fn not_your_counter(number: i32) -> ApiError {
    ApiError::conflict(
        "queue.not_your_counter",
        format!("Quầy số {number} không do bạn mở."),
        format!("Counter {number} is not open under your account."),
    )
}
