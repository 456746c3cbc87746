//! The front room over HTTP: services, counters and kiosk devices (this file), tickets and
//! calling (`tickets`), and the display board (`display`). Use cases in `service::queue`.

pub mod display;
pub mod tickets;

use actix_web::{delete, get, patch, post, put, web, HttpResponse};

use super::extract::ValidJson;
use super::problems::{
    CommuneNotInScope, InvalidFields, JsonBody, NotAuthenticated, RoleNotAllowed,
};
use crate::auth::Authorized;
use crate::error::ApiResult;
use crate::service::queue::{
    self, CounterUpdate, CounterView, DeviceCreated, DeviceView, NewCounter, NewDevice,
    QueueAdmins, QueueOfficers, QueueReaders, ServiceInput, ServiceView,
};
use crate::state::AppState;

/// A commune's queue services.
///
/// Public (the kiosk shows them): each service's letter (the ticket prefix), name, the
/// procedure fields it covers, and whether an open counter serves it now.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "Commune code")), responses(
    (status = 200, body = Vec<ServiceView>),
    (status = 404, description = "No such commune", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/communes/{code}/queue/services")]
pub async fn list_services(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Vec<ServiceView>>> {
    let code = code.into_inner();
    let list = state
        .db(move |conn| queue::list_services(conn, &code))
        .await?;
    Ok(web::Json(list))
}

/// Create or replace a queue service.
///
/// **Roles:** `commune_admin` of the commune, `system_admin`. The prefix is one capital
/// letter A–Z (422 otherwise); tickets of the service are numbered `A001`, `A002`, … each day.
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = ServiceInput,
    params(("code" = String, Path, description = "Commune code"), ("prefix" = String, Path, description = "Service letter A–Z")),
    responses((status = 200, body = ServiceView), JsonBody, NotAuthenticated, RoleNotAllowed, CommuneNotInScope, InvalidFields))]
#[put("/communes/{code}/queue/services/{prefix}")]
pub async fn put_service(
    state: web::Data<AppState>,
    auth: Authorized<QueueAdmins>,
    path: web::Path<(String, String)>,
    body: ValidJson<ServiceInput>,
) -> ApiResult<web::Json<ServiceView>> {
    let (code, prefix) = path.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::put_service(conn, &p, &code, &prefix, body.0))
        .await?;
    Ok(web::Json(view))
}

/// A commune's counters.
///
/// **Roles:** staff of the commune, `system_admin`; another commune is 404. Each counter
/// with the services it serves, whether it is open and the officer at it.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = Vec<CounterView>), NotAuthenticated, RoleNotAllowed, CommuneNotInScope))]
#[get("/communes/{code}/queue/counters")]
pub async fn list_counters(
    state: web::Data<AppState>,
    auth: Authorized<QueueReaders>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Vec<CounterView>>> {
    let code = code.into_inner();
    let p = auth.principal.clone();
    let list = state
        .db(move |conn| queue::list_counters(conn, &p, &code))
        .await?;
    Ok(web::Json(list))
}

/// Create a counter.
///
/// **Roles:** `commune_admin` of the commune, `system_admin`. Its number is unique in the
/// commune (409); every service it serves must exist (422). It starts closed.
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = NewCounter,
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = CounterView), JsonBody, NotAuthenticated, RoleNotAllowed, CommuneNotInScope, InvalidFields,
    (status = 409, description = "The commune already has a counter with this number", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/communes/{code}/queue/counters")]
pub async fn create_counter(
    state: web::Data<AppState>,
    auth: Authorized<QueueAdmins>,
    code: web::Path<String>,
    body: ValidJson<NewCounter>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::create_counter(conn, &p, &code, body.0))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Rename a counter or change the services it serves.
///
/// **Roles:** `commune_admin` of the counter's commune, `system_admin`; another commune's
/// counter is 404.
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = CounterUpdate,
    params(("id" = String, Path, description = "Counter id")),
    responses((status = 200, body = CounterView), JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 404, description = "No such counter in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/queue/counters/{id}")]
pub async fn update_counter(
    state: web::Data<AppState>,
    auth: Authorized<QueueAdmins>,
    id: web::Path<String>,
    body: ValidJson<CounterUpdate>,
) -> ApiResult<web::Json<CounterView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::update_counter(conn, &p, &id, body.0))
        .await?;
    Ok(web::Json(view))
}

/// Open a counter: the caller becomes its officer.
///
/// **Roles:** officers of the counter's commune (`reception_officer`, `specialist`,
/// `leader`, `commune_admin`). 409 when another officer holds it, or the caller holds
/// another counter open. Opening one's own open counter again changes nothing.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Counter id")),
    responses((status = 200, body = CounterView), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such counter in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Held by another officer, or the caller holds another counter", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/counters/{id}/open")]
pub async fn open_counter(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
) -> ApiResult<web::Json<CounterView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::open_counter(conn, &p, &id))
        .await?;
    Ok(web::Json(view))
}

/// Close a counter.
///
/// **Roles:** the officer at it, or the commune's `commune_admin`. Not while a ticket is
/// called to it or served at it (409).
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Counter id")),
    responses((status = 200, body = CounterView), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such counter in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Another officer's counter, or a ticket is in progress", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/counters/{id}/close")]
pub async fn close_counter(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
) -> ApiResult<web::Json<CounterView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::close_counter(conn, &p, &id))
        .await?;
    Ok(web::Json(view))
}

/// Register a kiosk device.
///
/// **Roles:** `commune_admin` of the commune, `system_admin`. The answer carries the
/// device's key, shown this once (only its hash is stored): the kiosk sends it as
/// `X-Device-Key` when issuing tickets.
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = NewDevice,
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = DeviceCreated), JsonBody, NotAuthenticated, RoleNotAllowed, CommuneNotInScope, InvalidFields))]
#[post("/communes/{code}/queue/devices")]
pub async fn register_device(
    state: web::Data<AppState>,
    auth: Authorized<QueueAdmins>,
    code: web::Path<String>,
    body: ValidJson<NewDevice>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let p = auth.principal.clone();
    let created = state
        .db_tx(move |conn| queue::register_device(conn, &p, &code, body.0))
        .await?;
    log::info!(
        "kiosk device {} registered by {}",
        created.device.id,
        auth.user_id
    );
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(created))
}

/// A commune's kiosk devices (without keys).
///
/// **Roles:** `commune_admin` of the commune, `system_admin`.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("code" = String, Path, description = "Commune code")),
    responses((status = 200, body = Vec<DeviceView>), NotAuthenticated, RoleNotAllowed, CommuneNotInScope))]
#[get("/communes/{code}/queue/devices")]
pub async fn list_devices(
    state: web::Data<AppState>,
    auth: Authorized<QueueAdmins>,
    code: web::Path<String>,
) -> ApiResult<web::Json<Vec<DeviceView>>> {
    let code = code.into_inner();
    let p = auth.principal.clone();
    let list = state
        .db(move |conn| queue::list_devices(conn, &p, &code))
        .await?;
    Ok(web::Json(list))
}

/// Revoke a kiosk device: its key stops working at once.
///
/// **Roles:** `commune_admin` of the device's commune, `system_admin`.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Device id")),
    responses((status = 200, body = DeviceView), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such device in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json")))]
#[delete("/queue/devices/{id}")]
pub async fn revoke_device(
    state: web::Data<AppState>,
    auth: Authorized<QueueAdmins>,
    id: web::Path<String>,
) -> ApiResult<web::Json<DeviceView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::revoke_device(conn, &p, &id))
        .await?;
    Ok(web::Json(view))
}
