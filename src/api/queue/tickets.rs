//! Tickets over HTTP: issue at a kiosk (public, device key) or remotely (citizen), read one,
//! and the officer's acts at the counter.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};

use super::super::extract::{client_ip, ValidJson};
use super::super::problems::{InvalidFields, JsonBody, NotAuthenticated, RoleNotAllowed};
use crate::auth::roles::AnyRole;
use crate::auth::{Authorized, Principal};
use crate::error::{ApiError, ApiResult};
use crate::service::queue::{
    self, CallResult, IssueTicket, LinkDossier, PriorityDecision, QueueCitizens, QueueOfficers,
    QueueSettings, StatusReader, TicketStatusView, TicketView, Transfer,
};
use crate::state::AppState;

fn rate_limited(retry: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "queue.rate_limited",
        format!("Lấy số quá nhiều lần. Thử lại sau {retry} giây."),
        format!("Too many tickets requested. Retry in {retry} seconds."),
    )
    .with_header("retry-after", retry.to_string())
}

/// Take a ticket at a kiosk.
///
/// Public, from a kiosk registered with the commune: send its key as `X-Device-Key` (401
/// without a valid one). Limited per client address and per device (429 with
/// `Retry-After`). The service must be one an open counter serves now (409, with
/// `open_services`); an unknown service is 422. The number continues the commune's day for
/// that service (`A015`), without gaps.
///
/// With `Accept: text/plain` the answer is the ticket to print on a 58 mm thermal printer:
/// UTF-8 text of at most 32 columns a line (commune, the number in spaced letters, service,
/// time of issue, people ahead, and the status URL cut into lines). JSON otherwise.
#[utoipa::path(tag = "queue", request_body = IssueTicket,
    params(("code" = String, Path, description = "Commune code"), ("X-Device-Key" = String, Header, description = "The kiosk's key")),
    responses((status = 201, description = "The ticket: JSON, or with `Accept: text/plain` the 58 mm printed ticket", content(
        (TicketView = "application/json"),
        (String = "text/plain"))),
    JsonBody, InvalidFields,
    (status = 401, description = "No valid device key for this commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "No open counter serves the service", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many tickets from this address or device", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/communes/{code}/queue/tickets")]
pub async fn issue_kiosk(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    body: ValidJson<IssueTicket>,
) -> ApiResult<HttpResponse> {
    state
        .queue_client_limiter
        .check(&client_ip(&req))
        .map_err(rate_limited)?;
    let key = req
        .headers()
        .get("x-device-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let code = code.into_inner();
    let device = {
        let code = code.clone();
        state
            .db(move |conn| queue::device_for_key(conn, &code, key.as_deref()))
            .await?
    };
    state
        .queue_device_limiter
        .check(&device.id)
        .map_err(rate_limited)?;
    let print = wants_text(&req);
    let settings = QueueSettings::from_config(&state.config)?;
    let base = state.config.public_base_url.clone();
    let (view, text) = state
        .db_tx(move |conn| {
            let view = queue::issue_kiosk(conn, &device, body.0)?;
            let text = if print {
                Some(queue::printed_ticket(conn, &view, settings, &base)?)
            } else {
                None
            };
            Ok((view, text))
        })
        .await?;
    super::display::wake();
    Ok(match text {
        Some(t) => HttpResponse::Created()
            .content_type("text/plain; charset=utf-8")
            .body(t),
        None => HttpResponse::Created().json(view),
    })
}

/// Whether the kiosk asks for the printed ticket: `text/plain` accepted, JSON not preferred.
fn wants_text(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let text = accept.contains("text/plain");
    let json = accept.contains("application/json");
    text && !json
}

/// Where a ticket stands: position, estimated wait, counter.
///
/// For the kiosk, with its `X-Device-Key` instead of a token (tickets of its commune; a wrong
/// or revoked key 401); for the citizen who took the ticket in the app; for staff of its
/// commune and `system_admin`. Anyone else 404. `position` is the order `call next` would
/// follow now (priority first, fairness rule included): a priority ticket taken later goes
/// ahead, so it can move back. `estimated_wait_minutes` = median service time of the
/// service's last 20 tickets served today × position ÷ open counters serving it (null
/// without such a ticket or counter).
#[utoipa::path(tag = "queue", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id"), ("X-Device-Key" = Option<String>, Header, description = "A kiosk's key, instead of a token")),
    responses((status = 200, body = TicketStatusView), NotAuthenticated,
    (status = 404, description = "No such ticket for the caller", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/queue/tickets/{id}/status")]
pub async fn ticket_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<web::Json<TicketStatusView>> {
    let settings = QueueSettings::from_config(&state.config)?;
    let key = req
        .headers()
        .get("x-device-key")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let principal = match key {
        Some(_) => None,
        None => Some(Principal::extract(&req).await?),
    };
    let id = id.into_inner();
    let view = state
        .db(move |conn| {
            let reader = match &principal {
                Some(p) => StatusReader::User(p),
                None => StatusReader::Kiosk(key.as_deref()),
            };
            queue::ticket_status(conn, reader, &id, settings)
        })
        .await?;
    Ok(web::Json(view))
}

/// Take a ticket remotely, in the app.
///
/// **Roles:** `citizen`. Only while the citizen can still arrive: until `QUEUE_REMOTE_CUTOFF_MINUTES`
/// before the center closes (`QUEUE_CLOSING_TIME`, Vietnamese time); later is 409. Otherwise
/// as at a kiosk.
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = IssueTicket,
    params(("code" = String, Path, description = "Commune code")),
    responses((status = 201, body = TicketView), JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 404, description = "No such commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "After the cut-off, or no open counter serves the service", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many tickets from this address", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/communes/{code}/queue/remote-tickets")]
pub async fn issue_remote(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Authorized<QueueCitizens>,
    code: web::Path<String>,
    body: ValidJson<IssueTicket>,
) -> ApiResult<HttpResponse> {
    state
        .queue_client_limiter
        .check(&client_ip(&req))
        .map_err(rate_limited)?;
    let settings = QueueSettings::from_config(&state.config)?;
    let code = code.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::issue_remote(conn, &p, &code, body.0, settings))
        .await?;
    super::display::wake();
    Ok(HttpResponse::Created().json(view))
}

/// A ticket.
///
/// **Roles:** staff of its commune, `system_admin`, or the citizen who took it; anyone else 404.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), NotAuthenticated,
    (status = 404, description = "No such ticket for the caller", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/queue/tickets/{id}")]
pub async fn get_ticket(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    id: web::Path<String>,
) -> ApiResult<web::Json<TicketView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    Ok(web::Json(
        state
            .db(move |conn| queue::get_ticket(conn, &p, &id))
            .await?,
    ))
}

/// Call the next ticket to the caller's counter.
///
/// **Roles:** the officer holding the counter open (409 if closed or someone else's). Priority
/// tickets first, at most `QUEUE_PRIORITY_STREAK` in a row while ordinary ones wait, then
/// first come first served; tickets transferred to this counter are its own. Two officers
/// calling at once never get the same ticket. `ticket` is null when nothing waits. 409 while
/// the counter still has a ticket called or in service.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Counter id")),
    responses((status = 200, body = CallResult), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such counter in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Counter closed or not the caller's, or a ticket in progress", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/counters/{id}/call-next")]
pub async fn call_next(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
) -> ApiResult<web::Json<CallResult>> {
    let settings = QueueSettings::from_config(&state.config)?;
    let id = id.into_inner();
    let p = auth.principal.clone();
    let r = state
        .db_tx(move |conn| queue::call_next(conn, &p, &id, settings))
        .await?;
    super::display::wake();
    Ok(web::Json(r))
}

/// The acts on a ticket at the caller's counter, by path segment.
#[derive(Clone, Copy)]
enum Act {
    Recall,
    NoShow,
    Start,
    Finish,
}

async fn act(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
    what: Act,
) -> ApiResult<web::Json<TicketView>> {
    let settings = QueueSettings::from_config(&state.config)?;
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| match what {
            Act::Recall => queue::recall(conn, &p, &id),
            Act::NoShow => queue::no_show(conn, &p, &id, settings),
            Act::Start => queue::start(conn, &p, &id),
            Act::Finish => queue::finish(conn, &p, &id),
        })
        .await?;
    super::display::wake();
    Ok(web::Json(view))
}

/// Call a called ticket again (the board announces it again).
///
/// **Roles:** the officer of the counter the ticket is called to. Only a `called` ticket (409).
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such ticket in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not called, or not at the caller's counter", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/tickets/{id}/recall")]
pub async fn recall(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
) -> ApiResult<web::Json<TicketView>> {
    act(state, auth, id, Act::Recall).await
}

/// Record that the called citizen did not come.
///
/// **Roles:** the officer of the counter the ticket is called to. Only after
/// `QUEUE_MAX_RECALLS` recalls (409 before).
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such ticket in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not called, not at the caller's counter, or recalls remain", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/tickets/{id}/no-show")]
pub async fn no_show(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
) -> ApiResult<web::Json<TicketView>> {
    act(state, auth, id, Act::NoShow).await
}

/// Start serving a called ticket (the citizen is at the counter).
///
/// **Roles:** the officer of the counter the ticket is called to.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such ticket in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not called, or not at the caller's counter", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/tickets/{id}/start")]
pub async fn start(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
) -> ApiResult<web::Json<TicketView>> {
    act(state, auth, id, Act::Start).await
}

/// Finish serving a ticket.
///
/// **Roles:** the officer of the counter serving it.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such ticket in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not in service, or not at the caller's counter", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/tickets/{id}/finish")]
pub async fn finish(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
) -> ApiResult<web::Json<TicketView>> {
    act(state, auth, id, Act::Finish).await
}

/// Transfer a ticket to another counter or service of the commune.
///
/// **Roles:** the officer of the counter it is called to or served at. It returns to the
/// queue in its original place. A counter of another commune, an unknown service, or both or
/// neither given: 422.
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = Transfer, params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 404, description = "No such ticket in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not at the caller's counter", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/tickets/{id}/transfer")]
pub async fn transfer(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
    body: ValidJson<Transfer>,
) -> ApiResult<web::Json<TicketView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::transfer(conn, &p, &id, body.0))
        .await?;
    super::display::wake();
    Ok(web::Json(view))
}

/// Confirm (or not) the priority the citizen claimed.
///
/// **Roles:** the officer of the counter it is called to or served at. 409 when the ticket
/// claims no priority.
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = PriorityDecision, params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 404, description = "No such ticket in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "No priority claimed, or not at the caller's counter", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/tickets/{id}/priority")]
pub async fn confirm_priority(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
    body: ValidJson<PriorityDecision>,
) -> ApiResult<web::Json<TicketView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::confirm_priority(conn, &p, &id, body.0))
        .await?;
    Ok(web::Json(view))
}

/// Link the ticket to the dossier received from it.
///
/// **Roles:** the officer of the counter serving (or having served) it. The dossier must be
/// of the same commune (422); once per ticket (409). The dossier's history records the
/// ticket number (`queue_ticket_linked`).
#[utoipa::path(tag = "queue", security(("bearer" = [])), request_body = LinkDossier, params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = TicketView), JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 404, description = "No such ticket in the caller's commune", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already linked, not in service, or not at the caller's counter", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/queue/tickets/{id}/dossier")]
pub async fn link_dossier(
    state: web::Data<AppState>,
    auth: Authorized<QueueOfficers>,
    id: web::Path<String>,
    body: ValidJson<LinkDossier>,
) -> ApiResult<web::Json<TicketView>> {
    let id = id.into_inner();
    let p = auth.principal.clone();
    let view = state
        .db_tx(move |conn| queue::link_dossier(conn, &p, &id, body.0))
        .await?;
    Ok(web::Json(view))
}
