//! The personal-data access log over HTTP: the one helper every read site calls
//! ([`record`]), the citizen's "who looked at my records", and the supervisors' query.
//! The rules live in `service::access_log`.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Page, PageParams};
use crate::api::problems::{
    InvalidLimit, MalformedQueryOrCursor, NotAuthenticated, RoleNotAllowed,
};
use crate::auth::extract::{Authorized, Principal};
use crate::auth::roles::{Policy, ProvinceReaders};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult};
use crate::service::access_log::{self as service, Actor, Entry, Filter, Operation};
use crate::service::keyset::Keyset;
use crate::state::AppState;

pub use crate::service::access_log::Read;

/// Records that the caller was shown the personal data of `reads`, through the operation
/// `route` (`"GET /dossiers/{code}"`, as in the handler's attribute). Returns once the
/// entries are committed; if they cannot be, the read must not be served (503). The caller's
/// own records are not logged.
pub async fn record(
    state: &AppState,
    who: &Principal,
    route: &'static str,
    reads: impl IntoIterator<Item = Read>,
) -> ApiResult<()> {
    let route = match route.split_once(' ') {
        Some((method, path)) => format!("{method} /api/v1{path}"),
        None => route.to_string(),
    };
    let operation_id = state
        .operation_ids
        .get()
        .and_then(|ids| ids.get(&route).cloned());
    debug_assert!(
        operation_id.is_some(),
        "access log: {route} is not an operation of the API"
    );
    let op = Operation {
        operation_id: operation_id.unwrap_or_else(|| "unknown".into()),
        route,
        request_id: crate::logging::current_request_id().unwrap_or_default(),
    };
    let actor = Actor {
        user_id: who.user_id.clone(),
        role: who.role,
        commune_code: who.commune_code.clone(),
        province_code: who.province_code.clone(),
    };
    let entries = service::entries(&actor, &op, reads, service::now());
    state
        .access_log
        .write(entries)
        .await
        .map_err(ApiError::service_unavailable)
}

/// A citizen's account.
pub struct Citizens;
impl Policy for Citizens {
    const ROLES: &'static [Role] = &[Role::Citizen];
}

/// One read of a citizen's record, as the citizen sees it.
#[derive(Serialize, ToSchema)]
pub struct MyAccessView {
    /// Reference of the entry, to cite in a complaint or a request to the commune.
    pub id: String,
    pub at: DateTime<Utc>,
    /// The reader's role (the reader's name and account are not shown; the commune or the
    /// province identifies them from the entry on a request).
    pub actor_role: Role,
    /// The reader's commune (commune staff), province (supervisors) or neither
    /// (system administration, the national portal).
    pub actor_commune_code: Option<String>,
    pub actor_province_code: Option<String>,
    /// `dossier` or `digital_result`.
    pub record_kind: String,
    /// The dossier code or the result's number.
    pub record_ref: String,
    /// The OpenAPI operation (`get_dossier`, `download`…).
    pub operation: String,
}

/// One entry, in full.
#[derive(Serialize, ToSchema)]
pub struct AccessEntryView {
    pub id: String,
    /// The record's commune: the chain this entry belongs to.
    pub commune_code: String,
    /// Position in the commune's chain, from 1.
    pub seq: i64,
    pub province_code: String,
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: Role,
    pub actor_commune_code: Option<String>,
    pub actor_province_code: Option<String>,
    pub record_kind: String,
    pub record_id: String,
    pub record_ref: String,
    pub operation: String,
    /// Method and route template (never the query string).
    pub route: String,
    pub request_id: String,
    /// The hash of the previous entry of the chain (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 of the entry's canonical content, `prev_hash` included.
    pub hash: String,
}

fn role_of(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::SystemAdmin)
}

impl From<Entry> for AccessEntryView {
    fn from(e: Entry) -> Self {
        AccessEntryView {
            actor_role: role_of(&e.actor_role),
            at: e.at.and_utc(),
            id: e.id,
            commune_code: e.commune_code,
            seq: e.seq,
            province_code: e.province_code,
            actor_id: e.actor_id,
            actor_commune_code: e.actor_commune_code,
            actor_province_code: e.actor_province_code,
            record_kind: e.record_kind,
            record_id: e.record_id,
            record_ref: e.record_ref,
            operation: e.operation,
            route: e.route,
            request_id: e.request_id,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Who looked at my dossiers and digital results.
///
/// **Roles:** `citizen`. Every read of the personal data of a dossier or a digital result
/// the account owns, by anyone else (commune staff, the province, the national portal, system
/// administration): when, the reader's role and commune or province, which record, through
/// which operation. The reader's name and account are not shown. Newest first, keyset paging.
#[utoipa::path(tag = "access-log", security(("bearer" = [])), params(PageParams), responses(
    (status = 200, body = Page<MyAccessView>),
    (status = 400, description = "Invalid cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    NotAuthenticated, InvalidLimit,
    (status = 403, description = "Not a citizen account", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/me/access-log")]
pub async fn my_access_log(
    state: web::Data<AppState>,
    auth: Authorized<Citizens>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<MyAccessView>>> {
    page.checked()?;
    let limit = page.limit();
    let after = page.cursor::<Keyset>()?;
    let user = auth.user_id.clone();
    let rows = state
        .db(move |conn| Ok(service::for_owner(conn, &user, after, limit)?))
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |e| Keyset(e.at, e.id.clone()),
        |e| MyAccessView {
            actor_role: role_of(&e.actor_role),
            at: e.at.and_utc(),
            id: e.id,
            actor_commune_code: e.actor_commune_code,
            actor_province_code: e.actor_province_code,
            record_kind: e.record_kind,
            record_ref: e.record_ref,
            operation: e.operation,
        },
    )))
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct AccessLogQuery {
    /// The record's commune.
    pub commune_code: Option<String>,
    /// A dossier code, a result number, or a record id.
    pub record: Option<String>,
    /// The reader's account id.
    pub actor: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// Query the personal-data access log.
///
/// **Roles:** `province_supervisor` (reads of records of its province; another province's
/// commune is 404) and `system_admin`. Filters combine; newest first, keyset paging. Each entry
/// shows its place in its commune's hash chain (`seq`, `prev_hash`, `hash`); `motcua audit
/// verify` checks the chains.
#[utoipa::path(tag = "access-log", security(("bearer" = [])), params(AccessLogQuery, PageParams), responses(
    (status = 200, body = Page<AccessEntryView>),
    NotAuthenticated, RoleNotAllowed, MalformedQueryOrCursor,
    (status = 404, description = "No such commune in the caller's province", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit or period", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/access-log")]
pub async fn search_access_log(
    state: web::Data<AppState>,
    auth: Authorized<ProvinceReaders>,
    q: web::Query<AccessLogQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<AccessEntryView>>> {
    page.checked()?;
    let limit = page.limit();
    let after = page.cursor::<Keyset>()?;
    let q = q.into_inner();
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from >= to {
            return Err(ApiError::invalid_field(
                "to",
                "`to` phải sau `from`.",
                "`to` must be after `from`.",
            ));
        }
    }
    let filter = Filter {
        province_code: None,
        commune_code: q.commune_code.clone(),
        record: q.record.filter(|s| !s.is_empty()),
        actor: q.actor.filter(|s| !s.is_empty()),
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
    };
    let reader = auth.principal.clone();
    let rows = state
        .db(move |conn| crate::service::access_review::search(conn, &reader, filter, after, limit))
        .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |e| Keyset(e.at, e.id.clone()),
        AccessEntryView::from,
    )))
}
