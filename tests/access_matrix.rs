//! Route × role × scope: every operation of the committed OpenAPI document, called with a
//! token of every role, on records in the caller's scope and out of it (another commune of
//! the same province, another province, another citizen's dossier), checked against the rule
//! table of `src/auth/access.rs`:
//!
//! - a role that may never call an operation gets 403;
//! - a record out of the caller's scope is 404, as if it did not exist, and no out-of-scope
//!   or refused call changes the database;
//! - a read in scope succeeds; a write in scope gets past the access checks (it may still be
//!   refused by the dossier's state, a version or validation: 409/412/422…);
//! - a list holds exactly the fixture records the table lets the caller see.
//!
//! Each operation must be classified below: a new operation of the spec fails the test until
//! it is. The fixtures are built once per backend.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use actix_web::test::{init_service, TestRequest};
use common::*;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use motcua::auth::access::{self, Place, Resource};
use motcua::auth::roles::{
    CommuneAdmins, DossierIntake, Payers, Policy, ProvinceReaders, Raters, ReportReaders,
    SystemAdmins, Uploaders, UserAdmins,
};
use motcua::auth::Principal;
use motcua::domain::roles::Role;
use motcua::service::queue::{QueueAdmins, QueueCitizens, QueueOfficers, QueueReaders};
use serde_json::{json, Value};

const PROCEDURE: &str = "1.004873";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const SPEC: &str = include_str!("../openapi/openapi.json");
const SCHEMA_RS: &str = include_str!("../src/db/schema.rs");

// ------------------------------------------------------------------ classification

/// What the path's parameters name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// No record in the path (a list, a creation, a feed).
    None,
    Dossier,
    Attachment,
    Result,
    Payment,
    Digitization,
    Commune,
    Province,
    Account,
    Webhook,
    /// Reference data (catalog, fee schedules, calendar): not scoped.
    Reference,
    QueueCounter,
    QueueTicket,
    QueueDevice,
}

/// Who may call, and which records they reach.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// No token needed.
    Public,
    /// Any token; nothing scoped (e.g. `/auth/me`).
    AnyToken,
    /// These roles may call it; records follow the resource's row of the rule table.
    Scoped(&'static [Role], Resource),
}

#[derive(Clone, Copy)]
struct Op {
    method: &'static str,
    path: &'static str,
    rule: Rule,
    target: Target,
}

const ALL: &[Role] = &Role::ALL;
const LEADER: &[Role] = &[Role::Leader];
const RECEPTION: &[Role] = &[Role::ReceptionOfficer];
const OFFICERS: &[Role] = &[Role::ReceptionOfficer, Role::Specialist, Role::Leader];
const REVIEWERS: &[Role] = &[Role::ReceptionOfficer, Role::Leader];
const CITIZEN: &[Role] = &[Role::Citizen];
const COMMUNE_ADMIN: &[Role] = &[Role::CommuneAdmin];
const SUPERVISOR: &[Role] = &[Role::ProvinceSupervisor];
const BOARD_READERS: &[Role] = &[
    Role::ReceptionOfficer,
    Role::Specialist,
    Role::Leader,
    Role::CommuneAdmin,
    Role::ProvinceSupervisor,
    Role::SystemAdmin,
];
const PROVINCE_BOARD: &[Role] = &[Role::ProvinceSupervisor, Role::SystemAdmin];
const NOT_PORTAL: &[Role] = &[
    Role::Citizen,
    Role::ReceptionOfficer,
    Role::Specialist,
    Role::Leader,
    Role::CommuneAdmin,
    Role::ProvinceSupervisor,
    Role::SystemAdmin,
];

fn op(method: &'static str, path: &'static str, rule: Rule, target: Target) -> Op {
    Op {
        method,
        path,
        rule,
        target,
    }
}

fn ops() -> Vec<Op> {
    use Resource as R;
    use Rule::{AnyToken, Public, Scoped};
    use Target as T;
    let v = vec![
        op("POST", "/api/v1/auth/logout", Public, T::None),
        op("GET", "/api/v1/auth/me", AnyToken, T::None),
        op("POST", "/api/v1/auth/refresh", Public, T::None),
        op("POST", "/api/v1/auth/token", Public, T::None),
        op("GET", "/api/v1/calendar/adjustments", Public, T::None),
        op(
            "POST",
            "/api/v1/calendar/adjustments",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::None,
        ),
        op(
            "DELETE",
            "/api/v1/calendar/adjustments/{date}",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::Reference,
        ),
        op("GET", "/api/v1/calendar/due-date", Public, T::None),
        op("GET", "/api/v1/calendar/holidays", Public, T::None),
        op(
            "GET",
            "/api/v1/certifications",
            Scoped(BOARD_READERS, R::CertificationBook),
            T::None,
        ),
        op(
            "POST",
            "/api/v1/certifications",
            Scoped(RECEPTION, R::CertificationBook),
            T::None,
        ),
        op("GET", "/api/v1/communes", Public, T::None),
        op("GET", "/api/v1/communes/{code}", Public, T::Commune),
        op(
            "PATCH",
            "/api/v1/communes/{code}",
            Scoped(CommuneAdmins::ROLES, R::CommuneSettings),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/communes/{code}/digitization",
            Scoped(BOARD_READERS, R::CertificationBook),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/communes/{code}/procedures",
            Public,
            T::Commune,
        ),
        op(
            "PUT",
            "/api/v1/communes/{code}/procedures/{procedure_code}",
            Scoped(CommuneAdmins::ROLES, R::CommuneSettings),
            T::Commune,
        ),
        op(
            "DELETE",
            "/api/v1/communes/{code}/procedures/{procedure_code}",
            Scoped(CommuneAdmins::ROLES, R::CommuneSettings),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/digital-results",
            Scoped(ALL, R::DigitalResult),
            T::None,
        ),
        op(
            "GET",
            "/api/v1/digital-results/{id}",
            Scoped(ALL, R::DigitalResult),
            T::Result,
        ),
        op(
            "GET",
            "/api/v1/digital-results/{id}/file",
            Scoped(ALL, R::DigitalResult),
            T::Result,
        ),
        op(
            "GET",
            "/api/v1/digital-results/{id}/history",
            Scoped(ALL, R::DigitalResult),
            T::Result,
        ),
        op(
            "POST",
            "/api/v1/digital-results/{id}/revoke",
            Scoped(LEADER, R::DigitalResult),
            T::Result,
        ),
        op(
            "POST",
            "/api/v1/digital-results/{id}/supersede",
            Scoped(LEADER, R::DigitalResult),
            T::Result,
        ),
        op(
            "POST",
            "/api/v1/digitization-records/{id}/review",
            Scoped(REVIEWERS, R::CertificationBook),
            T::Digitization,
        ),
        op("GET", "/api/v1/dossiers", Scoped(ALL, R::Dossier), T::None),
        op(
            "POST",
            "/api/v1/dossiers",
            Scoped(DossierIntake::ROLES, R::Dossier),
            T::None,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/attachments",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "POST",
            "/api/v1/dossiers/{code}/attachments",
            Scoped(Uploaders::ROLES, R::Dossier),
            T::Dossier,
        ),
        op(
            "POST",
            "/api/v1/dossiers/{code}/attachments/from-result",
            Scoped(Uploaders::ROLES, R::Dossier),
            T::Dossier,
        ),
        op(
            "POST",
            "/api/v1/dossiers/{code}/attachments/reuse",
            Scoped(Uploaders::ROLES, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/attachments/{id}/content",
            Scoped(ALL, R::Dossier),
            T::Attachment,
        ),
        op(
            "POST",
            "/api/v1/dossiers/{code}/digital-results",
            Scoped(LEADER, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/digitization",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/fees",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "PUT",
            "/api/v1/dossiers/{code}/fees",
            Scoped(OFFICERS, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/history",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "POST",
            "/api/v1/dossiers/{code}/payments",
            Scoped(Payers::ROLES, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/portal-sync",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "POST",
            "/api/v1/dossiers/{code}/rating",
            Scoped(Raters::ROLES, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/receipt",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/receipt/pdf",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "GET",
            "/api/v1/dossiers/{code}/forms/{form}",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op(
            "POST",
            "/api/v1/dossiers/{code}/transitions",
            Scoped(ALL, R::Dossier),
            T::Dossier,
        ),
        op("GET", "/api/v1/events", Scoped(ALL, R::EventFeed), T::None),
        op("GET", "/api/v1/fee-schedules", Public, T::None),
        op(
            "POST",
            "/api/v1/fee-schedules",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::None,
        ),
        op("POST", "/api/v1/fee-schedules/quote", Public, T::None),
        op("GET", "/api/v1/fee-schedules/{id}", Public, T::Reference),
        op(
            "GET",
            "/api/v1/me/data-store",
            Scoped(CITIZEN, R::Reference),
            T::None,
        ),
        op(
            "GET",
            "/api/v1/payments",
            Scoped(NOT_PORTAL, R::PaymentList),
            T::None,
        ),
        op(
            "POST",
            "/api/v1/payments/callbacks/{gateway}",
            Public,
            T::Reference,
        ),
        op(
            "POST",
            "/api/v1/payments/reconcile",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::None,
        ),
        op(
            "GET",
            "/api/v1/payments/sandbox/{reference}",
            Public,
            T::Reference,
        ),
        op(
            "POST",
            "/api/v1/payments/sandbox/{reference}/complete",
            Public,
            T::Reference,
        ),
        op(
            "GET",
            "/api/v1/payments/{id}",
            Scoped(ALL, R::Dossier),
            T::Payment,
        ),
        op(
            "POST",
            "/api/v1/payments/{id}/cancel",
            Scoped(Payers::ROLES, R::Dossier),
            T::Payment,
        ),
        op(
            "GET",
            "/api/v1/payments/{id}/receipt",
            Scoped(ALL, R::Dossier),
            T::Payment,
        ),
        op(
            "GET",
            "/api/v1/payments/{id}/receipt/pdf",
            Scoped(ALL, R::Dossier),
            T::Payment,
        ),
        op(
            "GET",
            "/api/v1/payments/{id}/refunds",
            Scoped(ALL, R::Dossier),
            T::Payment,
        ),
        op(
            "POST",
            "/api/v1/payments/{id}/refunds",
            Scoped(RECEPTION, R::Dossier),
            T::Payment,
        ),
        op(
            "GET",
            "/api/v1/portal/outbox",
            Scoped(CommuneAdmins::ROLES, R::PortalOutbox),
            T::None,
        ),
        op(
            "POST",
            "/api/v1/portal/outbox/requeue",
            Scoped(CommuneAdmins::ROLES, R::PortalOutbox),
            T::None,
        ),
        op(
            "GET",
            "/api/v1/portal/status",
            Scoped(CommuneAdmins::ROLES, R::PortalOutbox),
            T::None,
        ),
        op("GET", "/api/v1/procedures", Public, T::None),
        op(
            "POST",
            "/api/v1/procedures",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::None,
        ),
        op("GET", "/api/v1/procedures/export", Public, T::None),
        op(
            "POST",
            "/api/v1/procedures/import",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::None,
        ),
        op("GET", "/api/v1/procedures/{code}", Public, T::Reference),
        op(
            "PUT",
            "/api/v1/procedures/{code}",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::Reference,
        ),
        op(
            "DELETE",
            "/api/v1/procedures/{code}",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::Reference,
        ),
        op(
            "GET",
            "/api/v1/procedures/{code}/versions",
            Public,
            T::Reference,
        ),
        op(
            "GET",
            "/api/v1/access-log",
            Scoped(ProvinceReaders::ROLES, R::ProvinceBoard),
            T::None,
        ),
        op("POST", "/api/v1/auth/external", Public, T::None),
        op(
            "PUT",
            "/api/v1/calendar/day-counting/{code}",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::Reference,
        ),
        op("GET", "/api/v1/calendar/holiday-rules", Public, T::None),
        op(
            "PUT",
            "/api/v1/calendar/holiday-rules/{id}",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::Reference,
        ),
        op(
            "GET",
            "/api/v1/communes/{code}/payment-account",
            Scoped(CommuneAdmins::ROLES, R::CommuneSettings),
            T::Commune,
        ),
        op(
            "PUT",
            "/api/v1/communes/{code}/payment-account",
            Scoped(CommuneAdmins::ROLES, R::CommuneSettings),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/me/access-log",
            Scoped(CITIZEN, R::Reference),
            T::None,
        ),
        op(
            "POST",
            "/api/v1/me/dossiers/claim",
            Scoped(CITIZEN, R::Reference),
            T::None,
        ),
        op(
            "PUT",
            "/api/v1/provinces/{code}/agency-identifiers",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::Reference,
        ),
        op(
            "PUT",
            "/api/v1/provinces/{code}/payment-account",
            Scoped(SystemAdmins::ROLES, R::Reference),
            T::Reference,
        ),
        op(
            "GET",
            "/api/v1/public/portal-files/{token}",
            Public,
            T::None,
        ),
        op("GET", "/api/v1/provinces", Public, T::None),
        op("GET", "/api/v1/provinces/{code}", Public, T::Province),
        op(
            "GET",
            "/api/v1/public/digital-results/verify",
            Public,
            T::None,
        ),
        op(
            "POST",
            "/api/v1/public/digital-results/verify",
            Public,
            T::None,
        ),
        op("GET", "/api/v1/public/dossiers/{code}", Public, T::Dossier),
        op("GET", "/api/v1/public/keys", Public, T::None),
        op(
            "GET",
            "/api/v1/readiness/communes/{code}",
            Scoped(BOARD_READERS, R::CommuneBoard),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/readiness/communes/{code}/history",
            Scoped(BOARD_READERS, R::CommuneBoard),
            T::Commune,
        ),
        op(
            "PUT",
            "/api/v1/readiness/communes/{code}/items/{item}",
            Scoped(COMMUNE_ADMIN, R::CommuneBoard),
            T::Commune,
        ),
        op(
            "POST",
            "/api/v1/readiness/communes/{code}/items/{item}/review",
            Scoped(SUPERVISOR, R::CommuneBoard),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/readiness/provinces/{code}",
            Scoped(PROVINCE_BOARD, R::ProvinceBoard),
            T::Province,
        ),
        op(
            "GET",
            "/api/v1/readiness/provinces/{code}/config",
            Scoped(PROVINCE_BOARD, R::ProvinceBoard),
            T::Province,
        ),
        op(
            "PUT",
            "/api/v1/readiness/provinces/{code}/config",
            Scoped(PROVINCE_BOARD, R::ProvinceBoard),
            T::Province,
        ),
        op(
            "GET",
            "/api/v1/reports/communes/{code}",
            Scoped(ReportReaders::ROLES, R::CommuneBoard),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/reports/communes/{code}/dossiers",
            Scoped(ReportReaders::ROLES, R::CommuneBoard),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/reports/provinces/{code}",
            Scoped(ProvinceReaders::ROLES, R::ProvinceBoard),
            T::Province,
        ),
        op(
            "GET",
            "/api/v1/reports/provinces/{code}/dossiers",
            Scoped(ProvinceReaders::ROLES, R::ProvinceBoard),
            T::Province,
        ),
        op(
            "GET",
            "/api/v1/users",
            Scoped(UserAdmins::ROLES, R::Account),
            T::None,
        ),
        op(
            "POST",
            "/api/v1/users",
            Scoped(UserAdmins::ROLES, R::Account),
            T::None,
        ),
        op(
            "GET",
            "/api/v1/users/{id}",
            Scoped(UserAdmins::ROLES, R::Account),
            T::Account,
        ),
        op(
            "PATCH",
            "/api/v1/users/{id}",
            Scoped(UserAdmins::ROLES, R::Account),
            T::Account,
        ),
        op(
            "GET",
            "/api/v1/webhooks",
            Scoped(CommuneAdmins::ROLES, R::Webhook),
            T::None,
        ),
        op(
            "POST",
            "/api/v1/webhooks",
            Scoped(CommuneAdmins::ROLES, R::Webhook),
            T::None,
        ),
        op(
            "DELETE",
            "/api/v1/webhooks/{id}",
            Scoped(CommuneAdmins::ROLES, R::Webhook),
            T::Webhook,
        ),
        op(
            "GET",
            "/api/v1/webhooks/{id}/deliveries",
            Scoped(CommuneAdmins::ROLES, R::Webhook),
            T::Webhook,
        ),
        // Queue: a citizen's remote ticket is reference-like (any commune); a ticket is read
        // by its commune's staff (and by the citizen who took it, which the table does not
        // describe: another citizen gets 404 like anyone out of scope).
        op(
            "GET",
            "/api/v1/communes/{code}/queue/services",
            Public,
            T::Commune,
        ),
        op(
            "PUT",
            "/api/v1/communes/{code}/queue/services/{prefix}",
            Scoped(QueueAdmins::ROLES, R::Queue),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/communes/{code}/queue/counters",
            Scoped(QueueReaders::ROLES, R::Queue),
            T::Commune,
        ),
        op(
            "POST",
            "/api/v1/communes/{code}/queue/counters",
            Scoped(QueueAdmins::ROLES, R::Queue),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/communes/{code}/queue/devices",
            Scoped(QueueAdmins::ROLES, R::Queue),
            T::Commune,
        ),
        op(
            "POST",
            "/api/v1/communes/{code}/queue/devices",
            Scoped(QueueAdmins::ROLES, R::Queue),
            T::Commune,
        ),
        op(
            "POST",
            "/api/v1/communes/{code}/queue/tickets",
            Public,
            T::Commune,
        ),
        op(
            "POST",
            "/api/v1/communes/{code}/queue/remote-tickets",
            Scoped(QueueCitizens::ROLES, R::Reference),
            T::Commune,
        ),
        op(
            "GET",
            "/api/v1/communes/{code}/queue/stream",
            Public,
            T::Commune,
        ),
        op(
            "PATCH",
            "/api/v1/queue/counters/{id}",
            Scoped(QueueAdmins::ROLES, R::Queue),
            T::QueueCounter,
        ),
        op(
            "POST",
            "/api/v1/queue/counters/{id}/open",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueCounter,
        ),
        op(
            "POST",
            "/api/v1/queue/counters/{id}/close",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueCounter,
        ),
        op(
            "POST",
            "/api/v1/queue/counters/{id}/call-next",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueCounter,
        ),
        op(
            "DELETE",
            "/api/v1/queue/devices/{id}",
            Scoped(QueueAdmins::ROLES, R::Queue),
            T::QueueDevice,
        ),
        op(
            "GET",
            "/api/v1/queue/tickets/{id}",
            Scoped(QueueReaders::ROLES, R::Queue),
            T::QueueTicket,
        ),
        // Also a kiosk of the commune with its device key (tests/queue_status.rs).
        op(
            "GET",
            "/api/v1/queue/tickets/{id}/status",
            Scoped(QueueReaders::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op(
            "POST",
            "/api/v1/queue/tickets/{id}/recall",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op(
            "POST",
            "/api/v1/queue/tickets/{id}/no-show",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op(
            "POST",
            "/api/v1/queue/tickets/{id}/start",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op(
            "POST",
            "/api/v1/queue/tickets/{id}/finish",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op(
            "POST",
            "/api/v1/queue/tickets/{id}/transfer",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op(
            "POST",
            "/api/v1/queue/tickets/{id}/priority",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op(
            "POST",
            "/api/v1/queue/tickets/{id}/dossier",
            Scoped(QueueOfficers::ROLES, R::Queue),
            T::QueueTicket,
        ),
        op("GET", "/health", Public, T::None),
        op("GET", "/ready", Public, T::None),
    ];
    v
}

/// Whether which role may perform the operation in scope depends on the body or the
/// dossier's state (a lifecycle action; the applicant adds files only while the dossier waits
/// for them): an in-scope 403 is then the lifecycle's answer, not the access table's.
fn action_dependent(o: &Op) -> bool {
    o.method == "POST"
        && matches!(
            o.path,
            "/api/v1/dossiers/{code}/transitions"
                | "/api/v1/dossiers/{code}/attachments"
                | "/api/v1/dossiers/{code}/attachments/from-result"
                | "/api/v1/dossiers/{code}/attachments/reuse"
        )
}

/// Lists whose items are checked against the table, and the record kind they hold.
fn list_kind(path: &str) -> Option<Target> {
    match path {
        "/api/v1/dossiers" | "/api/v1/events" => Some(Target::Dossier),
        "/api/v1/digital-results" => Some(Target::Result),
        "/api/v1/payments" => Some(Target::Payment),
        "/api/v1/users" => Some(Target::Account),
        "/api/v1/webhooks" => Some(Target::Webhook),
        _ => None,
    }
}

// ------------------------------------------------------------------ fixtures

/// One record of the fixtures: its identifiers and where it sits.
#[derive(Clone, Debug)]
struct Rec {
    kind: Target,
    /// What goes into the path (`{code}`, `{id}`); for an attachment, its id.
    key: String,
    /// The dossier an attachment belongs to.
    parent: Option<String>,
    label: &'static str,
    commune: Option<&'static str>,
    province: Option<&'static str>,
    owner: Option<String>,
    identity: Option<String>,
}

impl Rec {
    fn place(&self) -> Place<'_> {
        Place {
            commune: self.commune,
            province: self.province,
            owner: self.owner.as_deref(),
            identity: self.identity.as_deref(),
        }
    }
}

struct Caller {
    token: String,
    principal: Principal,
}

struct World {
    callers: BTreeMap<&'static str, Caller>,
    records: Vec<Rec>,
    admin: String,
    fee_schedule: String,
}

fn rec(
    kind: Target,
    key: &str,
    label: &'static str,
    commune: &'static str,
    province: &'static str,
) -> Rec {
    Rec {
        kind,
        key: key.to_string(),
        parent: None,
        label,
        commune: Some(commune),
        province: Some(province),
        owner: None,
        identity: None,
    }
}

fn form(parts: &[(&str, &str)], file: Option<&[u8]>) -> (String, Vec<u8>) {
    multipart_form(parts, file.map(|b| ("tep.pdf", b)))
}

fn pdf(n: &str) -> Vec<u8> {
    let mut b = PDF.to_vec();
    b.extend_from_slice(format!("% {n}\n").as_bytes());
    b
}

fn result_metadata() -> String {
    json!({
        "document_type": "Giấy xác nhận tình trạng hôn nhân", "number_symbol": "125/XN-UBND",
        "summary": "Xác nhận tình trạng hôn nhân", "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã",
        "issued_on": "2026-11-20", "valid_until": null, "scope": "Dùng để đăng ký kết hôn",
        "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFE", "certificate_subject": "CN=Trần Văn Minh",
                      "certificate_issuer": "CN=Cục Chứng thực số", "signed_at": "2026-11-20T02:30:00Z"}
    })
    .to_string()
}

fn principal_of(user: &motcua::db::models::user::User) -> Principal {
    Principal {
        user_id: user.id.clone(),
        role: user.role,
        commune_code: user.commune_code.clone(),
        province_code: user.province_code.clone(),
    }
}

app_fn! {
    async fn send(app: &S, method: &str, uri: &str, token: Option<&str>, headers: Vec<(String, String)>, body: Option<(String, Vec<u8>)>) -> Resp {
        let mut r = match method {
            "GET" => TestRequest::get(),
            "POST" => TestRequest::post(),
            "PUT" => TestRequest::put(),
            "PATCH" => TestRequest::patch(),
            "DELETE" => TestRequest::delete(),
            m => panic!("method {m}"),
        }
        .uri(uri);
        if let Some(t) = token {
            r = r.insert_header(bearer(t));
        }
        for (k, v) in headers {
            r = r.insert_header((k, v));
        }
        if let Some((ct, bytes)) = body {
            r = r.insert_header(("content-type", ct)).set_payload(bytes);
        }
        call(app, r).await
    }

    async fn post_json(app: &S, token: &str, uri: &str, body: Value, etag: Option<String>) -> Resp {
        let mut r = TestRequest::post().uri(uri).insert_header(bearer(token)).set_json(body);
        if let Some(e) = etag {
            r = r.insert_header(("if-match", e));
        }
        call(app, r).await
    }

    // A counter dossier in `commune`, taken to an approved result with an uploaded, digitized
    // component, a cash payment and an issued digital result.
    async fn counter_dossier(app: &S, world: &mut World, ctx: &TestApp, commune: &'static str, province: &'static str, label: &'static str, id_number: &str) -> () {
        let (_, officer) = ctx.user(Role::ReceptionOfficer, Some(commune));
        let (spec_user, spec) = ctx.user(Role::Specialist, Some(commune));
        let (_, leader) = ctx.user(Role::Leader, Some(commune));
        let r = post_json(app, &officer, "/api/v1/dossiers", json!({
            "procedure_code": PROCEDURE,
            "applicant": {"type": "citizen", "full_name": "Nguyễn Thị Hoà", "id_number": id_number, "birth_year": 1990, "phone": "0912345678", "address": "Thôn Bo"},
            "components": [{"document": "Tờ khai", "source": "paper"}]
        }), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["dossier"]["code"].as_str().unwrap().to_string();
        let mut etag = r.header("etag").unwrap().to_string();
        // An uploaded component, digitized at reception.
        let (ct, body) = form(&[("document", "Tờ khai"), ("digitized_at_reception", "true")], Some(&pdf(label)));
        let r = send(app, "POST", &format!("/api/v1/dossiers/{code}/attachments"), Some(&officer), vec![], Some((ct, body))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let attachment = r.body["id"].as_str().unwrap_or_else(|| panic!("{}", r.body)).to_string();
        let r = send(app, "GET", &format!("/api/v1/dossiers/{code}/digitization"), Some(&officer), vec![], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let digitization = r.body[0]["id"].as_str().unwrap_or_else(|| panic!("{}", r.body)).to_string();
        // A cash payment at the counter.
        let r = post_json(app, &officer, &format!("/api/v1/dossiers/{code}/payments"), json!({"method": "cash"}), None).await;
        assert!(r.status.is_success(), "{}", r.body);
        let payment = r.body["id"].as_str().or(r.body["payment"]["id"].as_str()).unwrap_or_else(|| panic!("{}", r.body)).to_string();
        let r = send(app, "GET", &format!("/api/v1/dossiers/{code}"), Some(&officer), vec![], None).await;
        etag = r.header("etag").map(str::to_string).unwrap_or(etag);
        for (token, body) in [
            (&officer, json!({"action": "assign", "assignee_id": spec_user.id})),
            (&spec, json!({"action": "propose_result"})),
            (&leader, json!({"action": "approve_result"})),
        ] {
            let r = post_json(app, token, &format!("/api/v1/dossiers/{code}/transitions"), body, Some(etag.clone())).await;
            assert_eq!(r.status, 200, "{}", r.body);
            etag = r.header("etag").unwrap().to_string();
        }
        let meta = result_metadata();
        let (ct, body) = form(&[("metadata", &meta)], Some(&pdf(&format!("result {label}"))));
        let r = send(app, "POST", &format!("/api/v1/dossiers/{code}/digital-results"), Some(&leader), vec![], Some((ct, body))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let result = r.body["id"].as_str().unwrap().to_string();

        world.records.push(rec(Target::Dossier, &code, label, commune, province));
        world.records.push(Rec { parent: Some(code.clone()), ..rec(Target::Attachment, &attachment, label, commune, province) });
        world.records.push(rec(Target::Digitization, &digitization, label, commune, province));
        world.records.push(rec(Target::Payment, &payment, label, commune, province));
        world.records.push(Rec { identity: Some(id_number.to_string()), ..rec(Target::Result, &result, label, commune, province) });
        let (officer_user, _) = ctx.user(Role::ReceptionOfficer, Some(commune));
        world.records.push(rec(Target::Account, &officer_user.id, label, commune, province));
        let r = post_json(app, &world.admin, "/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "event_types": ["dossier.received"], "commune_code": commune}), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        world.records.push(rec(Target::Webhook, r.body["id"].as_str().unwrap(), label, commune, province));
        world.records.push(Rec { key: commune.to_string(), ..rec(Target::Commune, commune, label, commune, province) });
        // The front room: a service, a counter open with an officer, a kiosk and a ticket.
        let r = send(app, "PUT", &format!("/api/v1/communes/{commune}/queue/services/A"), Some(&world.admin), vec![],
            Some(("application/json".into(), json!({"name": "Chứng thực"}).to_string().into_bytes()))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = post_json(app, &world.admin, &format!("/api/v1/communes/{commune}/queue/counters"), json!({"number": 1, "name": "Quầy 1", "services": ["A"]}), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let counter = r.body["id"].as_str().unwrap().to_string();
        let r = send(app, "POST", &format!("/api/v1/queue/counters/{counter}/open"), Some(&officer), vec![], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = post_json(app, &world.admin, &format!("/api/v1/communes/{commune}/queue/devices"), json!({"name": "Kiosk"}), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let (device, key) = (r.body["id"].as_str().unwrap().to_string(), r.body["key"].as_str().unwrap().to_string());
        let r = send(app, "POST", &format!("/api/v1/communes/{commune}/queue/tickets"), None, vec![("x-device-key".to_string(), key)],
            Some(("application/json".into(), json!({"service": "A"}).to_string().into_bytes()))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        world.records.push(rec(Target::QueueTicket, r.body["id"].as_str().unwrap(), label, commune, province));
        world.records.push(rec(Target::QueueCounter, &counter, label, commune, province));
        world.records.push(rec(Target::QueueDevice, &device, label, commune, province));
    }

    async fn online_dossier(app: &S, token: &str, owner: &str, label: &'static str, id_number: &str) -> Rec {
        let r = post_json(app, token, "/api/v1/dossiers", json!({
            "procedure_code": PROCEDURE, "commune_code": KIM_BOI,
            "applicant": {"type": "citizen", "full_name": "Lê Văn An", "id_number": id_number, "birth_year": 1990, "phone": "0912345679", "address": "Thôn Bo"},
            "components": [{"document": "Tờ khai", "source": "paper"}]
        }), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        Rec { owner: Some(owner.to_string()), ..rec(Target::Dossier, r.body["dossier"]["code"].as_str().unwrap(), label, KIM_BOI, "25") }
    }

    async fn build_world(ctx: &TestApp, app: &S) -> World {
        let (_, admin) = ctx.user(Role::SystemAdmin, None);
        // Every province in the fixtures has its beneficiary account, so reading a commune's
        // payment account in scope succeeds.
        ctx.with_conn(|conn| {
            use motcua::payments::Beneficiary;
            use motcua::service::beneficiary::{self, Scope};
            for province in ["25", "01"] {
                let account = Beneficiary {
                    account_name: "Kho bạc Nhà nước".into(),
                    account_no: "0000000000".into(),
                    bank_code: "KBNN".into(),
                };
                beneficiary::set(conn, Scope::Province, province, &account, "fixture", chrono::Utc::now()).unwrap();
            }
        });
        let r = post_json(app, &admin, "/api/v1/procedures", json!({
            "code": PROCEDURE, "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "Hộ tịch", "result_type": "electronic",
            "effective_from": "2025-07-01",
            "cases": [{"code": "default", "name": "Trường hợp chung", "processing_time": {"value": 3, "unit": "working_days"},
                       "online_level": "full", "documents": [{"name": "Tờ khai", "form": "original"},
                       {"name": "Giấy xác nhận cũ", "form": "copy", "required": false, "from_data_store_allowed": true}]}]
        }), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        for commune in [KIM_BOI, HOA_BINH, BA_DINH] {
            let r = send(app, "PUT", &format!("/api/v1/communes/{commune}/procedures/{PROCEDURE}"), Some(&admin), vec![], None).await;
            assert!(r.status.is_success(), "{}", r.body);
        }
        let r = post_json(app, &admin, "/api/v1/fee-schedules", json!({
            "procedure_code": PROCEDURE, "fee_code": "LP-HT", "kind": "le_phi", "name": "Lệ phí hộ tịch",
            "collection": "on_return", "rule": {"type": "flat", "amount": 10000},
            "scope": "national", "effective_from": "2025-07-01", "legal_basis": "TT 85/2019/TT-BTC"
        }), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let fee_schedule = r.body["id"].as_str().unwrap().to_string();

        let mut world = World { callers: BTreeMap::new(), records: vec![], admin: admin.clone(), fee_schedule };
        counter_dossier(app, &mut world, ctx, KIM_BOI, "25", "home", "025190000001").await;
        counter_dossier(app, &mut world, ctx, HOA_BINH, "25", "neighbour", "025190000002").await;
        counter_dossier(app, &mut world, ctx, BA_DINH, "01", "far", "001190000003").await;
        for (code, label) in [("25", "home"), ("01", "far")] {
            world.records.push(Rec { commune: None, ..rec(Target::Province, code, label, "", code) });
        }
        // The callers: staff of Kim Bôi, the supervisor of Phú Thọ, a portal client bound to
        // Kim Bôi, a system administrator and a citizen with an online dossier of its own.
        for role in Role::ALL {
            let commune = match role {
                Role::ReceptionOfficer | Role::Specialist | Role::Leader | Role::CommuneAdmin | Role::PortalClient => Some(KIM_BOI),
                _ => None,
            };
            let (user, token) = ctx.user(role, commune);
            world.callers.insert(role.as_str(), Caller { token, principal: principal_of(&user) });
        }
        let citizen = &world.callers["citizen"];
        let own = online_dossier(app, &citizen.token.clone(), &citizen.principal.user_id.clone(), "own", "025190000011").await;
        world.records.push(own);
        let (other, other_token) = ctx.user(Role::Citizen, None);
        let theirs = online_dossier(app, &other_token, &other.id, "another citizen", "025190000012").await;
        world.records.push(theirs);
        world
    }
}

// ------------------------------------------------------------------ database fingerprint

/// Row counts, version sums, status histograms and latest updates of every table: any write
/// an out-of-scope call made shows here.
fn fingerprint(ctx: &TestApp) -> BTreeMap<String, String> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Nullable<Text>)]
        k: Option<String>,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut tables: Vec<(String, Vec<String>)> = vec![];
    for block in SCHEMA_RS.split("table! {").skip(1) {
        let head = block.trim_start();
        let name = head.split([' ', '(']).next().unwrap().to_string();
        // Reading personal data appends to the access log by design (Decree 13/2023): an
        // in-scope read is recorded there, and that is the only write a read may make.
        if name.starts_with("access_log") {
            continue;
        }
        let body = &head[..head.find('}').unwrap_or(head.len())];
        let columns = body
            .lines()
            .filter_map(|l| {
                l.trim()
                    .split_once(" -> ")
                    .map(|(c, _)| c.trim().to_string())
            })
            .collect();
        tables.push((name, columns));
    }
    assert!(tables.len() > 10, "schema.rs not parsed");
    let mut out = BTreeMap::new();
    ctx.with_conn(|conn| {
        for (t, cols) in &tables {
            let mut queries = vec![format!("SELECT 'rows' AS k, COUNT(*) AS n FROM {t}")];
            if cols.iter().any(|c| c == "version") {
                queries.push(format!("SELECT 'version' AS k, CAST(COALESCE(SUM(version), 0) AS BIGINT) AS n FROM {t}"));
            }
            for c in ["status", "active", "updated_at", "revoked_at", "published"] {
                if cols.iter().any(|x| x == c) {
                    queries.push(format!("SELECT CAST({c} AS TEXT) AS k, COUNT(*) AS n FROM {t} GROUP BY {c}"));
                }
            }
            for q in queries {
                let lines: Vec<Line> = diesel::sql_query(&q).load(conn).unwrap_or_else(|e| panic!("{q}: {e}"));
                for l in lines {
                    out.insert(format!("{t}/{}", l.k.unwrap_or_default()), l.n.to_string());
                }
            }
        }
    });
    out
}

// ------------------------------------------------------------------ probing

fn spec() -> Value {
    serde_json::from_str(SPEC).unwrap()
}

/// The JSON example of an operation's request body, from the spec's schema.
fn example_body(spec: &Value, method: &str, path: &str) -> Option<Value> {
    let op = &spec["paths"][path][method.to_lowercase()];
    let media = op["requestBody"]["content"].get("application/json")?;
    if let Some(e) = media.get("example") {
        return Some(e.clone());
    }
    let name = media["schema"]["$ref"].as_str()?.rsplit('/').next()?;
    spec["components"]["schemas"][name].get("example").cloned()
}

/// A request body for an operation: the spec's example, or a form for the uploads.
fn body_for(spec: &Value, o: &Op, world: &World) -> Option<(String, Vec<u8>)> {
    let meta = result_metadata();
    match (o.method, o.path) {
        ("POST", "/api/v1/dossiers/{code}/attachments") => {
            Some(form(&[("document", "Tờ khai")], Some(&pdf("probe"))))
        }
        ("POST", "/api/v1/dossiers/{code}/digital-results") => {
            Some(form(&[("metadata", &meta)], Some(&pdf("probe result"))))
        }
        ("POST", "/api/v1/digital-results/{id}/supersede") => Some(form(
            &[("metadata", &meta), ("reason", "Sai ngày sinh")],
            Some(&pdf("probe supersede")),
        )),
        ("POST", "/api/v1/certifications") | ("POST", "/api/v1/public/digital-results/verify") => {
            Some(form(&[], Some(&pdf("probe certification"))))
        }
        ("POST", "/api/v1/dossiers") => {
            // Filed where the caller may file: the example names no commune.
            let mut b = example_body(spec, o.method, o.path).unwrap();
            b["procedure_code"] = json!(PROCEDURE);
            Some(("application/json".into(), b.to_string().into_bytes()))
        }
        ("POST", "/api/v1/fee-schedules/quote") => {
            let mut b = example_body(spec, o.method, o.path).unwrap();
            b["procedure_code"] = json!(PROCEDURE);
            Some(("application/json".into(), b.to_string().into_bytes()))
        }
        _ => {
            let _ = world;
            example_body(spec, o.method, o.path)
                .map(|b| ("application/json".into(), b.to_string().into_bytes()))
        }
    }
}

/// The concrete URI of an operation for a record.
fn uri_for(o: &Op, record: Option<&Rec>, world: &World) -> String {
    let mut uri = o.path.to_string();
    if let Some(r) = record {
        match r.kind {
            Target::Attachment => {
                uri = uri
                    .replace("{code}", r.parent.as_deref().unwrap())
                    .replace("{id}", &r.key)
            }
            _ => uri = uri.replace("{code}", &r.key).replace("{id}", &r.key),
        }
    }
    uri = uri
        .replace("{procedure_code}", PROCEDURE)
        .replace("{item}", "scanners")
        .replace("{prefix}", "B")
        .replace("{date}", "2026-12-31")
        .replace("{reference}", "no-such-reference")
        .replace("{gateway}", "sandbox")
        .replace("{form}", "receipt");
    if o.target == Target::Reference {
        uri = uri
            .replace(
                "/fee-schedules/{id}",
                &format!("/fee-schedules/{}", world.fee_schedule),
            )
            .replace("/procedures/{code}", &format!("/procedures/{PROCEDURE}"))
            .replace("/calendar/day-counting/{code}", "/calendar/day-counting/25")
            .replace(
                "/calendar/holiday-rules/{id}",
                "/calendar/holiday-rules/new_year",
            )
            .replace("/provinces/{code}/", "/provinces/25/");
    }
    uri = uri.replace("/public/portal-files/{token}", "/public/portal-files/x");
    match o.path {
        "/api/v1/certifications" => uri.push_str("?commune_code=04978"),
        "/api/v1/calendar/due-date" => {
            uri.push_str("?unit=working_days&value=1&received_at=2026-12-03T08:00:00Z")
        }
        "/api/v1/reports/communes/{code}/dossiers"
        | "/api/v1/reports/provinces/{code}/dossiers" => uri.push_str("?measure=received"),
        "/api/v1/public/dossiers/{code}" => uri.push_str("?pin=000000"),
        "/api/v1/public/digital-results/verify" if o.method == "GET" => uri.push_str("?token=x"),
        _ => {}
    }
    assert!(!uri.contains('{'), "unfilled parameter in {uri}");
    uri
}

/// The version a write must name (If-Match), read by the system administrator: probing with
/// the right version means only the access rules can stop the call.
async fn etag_for<S, B>(app: &S, world: &World, uri: &str) -> Option<String>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut candidate = uri.split('?').next().unwrap().to_string();
    for _ in 0..3 {
        let r = send(app, "GET", &candidate, Some(&world.admin), vec![], None).await;
        if let Some(e) = r.header("etag") {
            return Some(e.to_string());
        }
        match candidate.rfind('/') {
            Some(i) => candidate.truncate(i),
            None => break,
        }
    }
    // A record that was never written (a readiness item not yet declared) is at version 0.
    Some("\"0\"".to_string())
}

/// Every string value of a JSON document.
fn strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

async fn walk<S, B>(ctx: &TestApp, app: &S)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let started = std::time::Instant::now();
    let world = build_world(ctx, app).await;
    let spec = spec();
    let ops = ops();

    // Every operation of the spec is classified, and nothing else.
    let mut in_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let key = format!("{} {path}", method.to_uppercase());
            // `security: []` (or an empty requirement) marks a public operation.
            let public = op["security"].as_array().unwrap().is_empty()
                || op["security"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r.as_object().unwrap().is_empty());
            let o = ops.iter().find(|o| format!("{} {}", o.method, o.path) == key)
                .unwrap_or_else(|| panic!("{key} is not classified in tests/access_matrix.rs: say who may call it and which records it reaches"));
            // The spec's security agrees with the classification (logout takes an optional token).
            if o.path != "/api/v1/auth/logout" {
                assert_eq!(
                    public,
                    matches!(o.rule, Rule::Public),
                    "{key}: spec security vs classification"
                );
            }
            in_spec.insert(key);
        }
    }
    for o in &ops {
        assert!(
            in_spec.contains(&format!("{} {}", o.method, o.path)),
            "{} {} is classified but not in the spec",
            o.method,
            o.path
        );
    }

    // Phase 1: refused and out-of-scope calls, writes included. Only 403/404, and the
    // database does not move.
    let before = fingerprint(ctx);
    let mut probes = 0usize;
    let mut in_scope: Vec<(Op, &'static str, Option<Rec>)> = vec![];
    for o in &ops {
        let body = body_for(&spec, o, &world);
        for (role_name, caller) in &world.callers {
            let role = caller.principal.role;
            let records: Vec<Option<&Rec>> = match o.target {
                Target::None | Target::Reference => vec![None],
                kind => world
                    .records
                    .iter()
                    .filter(|r| r.kind == kind)
                    .map(Some)
                    .collect(),
            };
            for record in records {
                let (allowed, visible) = match o.rule {
                    Rule::Public | Rule::AnyToken => (true, true),
                    Rule::Scoped(roles, resource) => {
                        let allowed = roles.contains(&role)
                            && access::reach(resource, role) != access::Reach::Nothing;
                        let visible = record.is_none_or(|r| {
                            access::may_see(&caller.principal, resource, r.place())
                        });
                        (allowed, visible)
                    }
                };
                if allowed && visible {
                    in_scope.push((*o, role_name, record.cloned()));
                    continue;
                }
                let uri = uri_for(o, record, &world);
                let mut headers = vec![];
                if o.method != "GET" {
                    if let Some(e) = etag_for(app, &world, &uri).await {
                        headers.push(("if-match".to_string(), e));
                    }
                }
                let r = send(
                    app,
                    o.method,
                    &uri,
                    Some(&caller.token),
                    headers,
                    body.clone(),
                )
                .await;
                probes += 1;
                let what = format!(
                    "{} {uri} as {role_name} ({})",
                    o.method,
                    record.map_or("-", |r| r.label)
                );
                if !allowed && (record.is_none() || visible) {
                    assert_eq!(r.status, 403, "{what}: role may never call it: {}", r.body);
                } else {
                    // Out of scope (and possibly not allowed either): as if it did not exist.
                    let ok = r.status == 404 || (!allowed && r.status == 403);
                    assert!(
                        ok,
                        "{what}: out of scope must be 404, got {}: {}",
                        r.status, r.body
                    );
                }
                r.problem_code();
            }
        }
    }
    let after = fingerprint(ctx);
    assert_eq!(
        before, after,
        "refused or out-of-scope calls changed the database"
    );

    // Phase 2: reads in scope succeed; lists hold exactly what the table lets the caller see.
    // The display board's stream never ends: tests/queue.rs reads it.
    let endless = |o: &Op| o.path == "/api/v1/communes/{code}/queue/stream";
    for (o, role_name, record) in in_scope
        .iter()
        .filter(|(o, _, _)| o.method == "GET" && !endless(o))
    {
        let caller = &world.callers[role_name];
        let uri = uri_for(o, record.as_ref(), &world);
        let r = send(app, o.method, &uri, Some(&caller.token), vec![], None).await;
        probes += 1;
        let what = format!(
            "GET {uri} as {role_name} ({})",
            record.as_ref().map_or("-", |r| r.label)
        );
        let legitimately_refused = match o.path {
            // A public lookup with a wrong PIN.
            "/api/v1/public/dossiers/{code}" => true,
            // No such sandbox payment.
            "/api/v1/payments/sandbox/{reference}" => true,
            // A forged portal file link.
            "/api/v1/public/portal-files/{token}" => true,
            // The counter's receipt exists once the dossier was received at the counter.
            "/api/v1/dossiers/{code}/receipt"
            | "/api/v1/dossiers/{code}/receipt/pdf"
            | "/api/v1/dossiers/{code}/forms/{form}" => {
                record.as_ref().is_some_and(|r| r.owner.is_some())
            }
            _ => false,
        };
        if legitimately_refused {
            assert!(
                r.status.is_client_error() && r.status != 401 && r.status != 403,
                "{what}: {} {}",
                r.status,
                r.body
            );
        } else {
            assert!(
                r.status.is_success(),
                "{what}: in scope must succeed, got {}: {}",
                r.status,
                r.body
            );
        }
        if let (Some(kind), Rule::Scoped(_, resource)) = (list_kind(o.path), o.rule) {
            let mut seen = BTreeSet::new();
            strings(&r.body, &mut seen);
            for rec in world.records.iter().filter(|r| r.kind == kind) {
                let expected = access::may_see(&caller.principal, resource, rec.place());
                assert_eq!(
                    seen.contains(&rec.key),
                    expected,
                    "{what}: list and table disagree on {} ({:?})",
                    rec.label,
                    rec.kind
                );
            }
        }
    }

    // Phase 3: writes in scope get past the access checks.
    for (o, role_name, record) in in_scope.iter().filter(|(o, _, _)| o.method != "GET") {
        let caller = &world.callers[role_name];
        let uri = uri_for(o, record.as_ref(), &world);
        let mut headers = vec![];
        if let Some(e) = etag_for(app, &world, &uri).await {
            headers.push(("if-match".to_string(), e));
        }
        let r = send(
            app,
            o.method,
            &uri,
            Some(&caller.token),
            headers,
            body_for(&spec, o, &world),
        )
        .await;
        probes += 1;
        let what = format!(
            "{} {uri} as {role_name} ({})",
            o.method,
            record.as_ref().map_or("-", |r| r.label)
        );
        assert!(
            !r.status.is_server_error(),
            "{what}: {} {}",
            r.status,
            r.body
        );
        if matches!(o.rule, Rule::Scoped(..)) {
            assert_ne!(r.status, 401, "{what}: {}", r.body);
            if !action_dependent(o) {
                assert_ne!(
                    r.status, 403,
                    "{what}: in scope and allowed, yet refused: {}",
                    r.body
                );
            }
            // A 404 stays possible here: the spec's example bodies name records (a result to
            // reuse, an earlier dossier) that the fixtures do not have, and an earlier in-scope
            // write may have removed the record (a webhook deleted by another role).
        }
    }
    eprintln!(
        "access matrix on {:?}: {} operations, {} probes in {:?}",
        ctx.backend(),
        ops.len(),
        probes,
        started.elapsed()
    );
}

both_backends! {
    async fn every_operation_every_role_in_and_out_of_scope(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        walk(&ctx, &app).await;
    }
}

both_backends! {
    // Places where the rules used to disagree with each other, now decided by the table: a
    // staff token without its commune reaches nothing (it listed every account, and could
    // subscribe a webhook to every commune's events), and a role that may never read a
    // commune's digitization is told 403, as for the certification book (it was 404).
    async fn missing_binding_reaches_nothing_and_never_calls_are_403(ctx) {
        let app = init_service(motcua::app::build(ctx.state.clone())).await;
        // A token whose commune claim is missing (an identity provider's, say).
        let (admin, _) = ctx.user(Role::CommuneAdmin, Some(KIM_BOI));
        let unbound = ctx.state.tokens.issue(&admin.id, Role::CommuneAdmin, None, None, admin.session_epoch);
        ctx.user(Role::ReceptionOfficer, Some(KIM_BOI));
        let r = send(&app, "GET", "/api/v1/users", Some(&unbound), vec![], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 0, "{}", r.body);
        let r = send(&app, "GET", &format!("/api/v1/users?commune_code={KIM_BOI}"), Some(&unbound), vec![], None).await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 0, "{}", r.body);
        let body = json!({"url": "http://127.0.0.1:9/hook", "event_types": ["dossier.received"]});
        let r = send(&app, "POST", "/api/v1/webhooks", Some(&unbound), vec![], Some(("application/json".into(), body.to_string().into_bytes()))).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.problem_code(), "webhook.other_commune");
        let n: i64 = ctx.with_conn(|c| motcua::db::schema::webhook_subscriptions::table.count().get_result(c).unwrap());
        assert_eq!(n, 0);
        let r = send(&app, "POST", "/api/v1/users", Some(&unbound), vec![], Some(("application/json".into(),
            json!({"username": "khong.xa", "full_name": "X", "password": "mat-khau-du-dai", "role": "citizen"}).to_string().into_bytes()))).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let n: i64 = ctx.with_conn(|c| motcua::db::schema::users::table.filter(motcua::db::schema::users::username.eq("khong.xa")).count().get_result(c).unwrap());
        assert_eq!(n, 0);

        for role in [Role::Citizen, Role::PortalClient] {
            let (_, token) = ctx.user(role, None);
            let r = send(&app, "GET", &format!("/api/v1/communes/{KIM_BOI}/digitization"), Some(&token), vec![], None).await;
            assert_eq!(r.status, 403, "{role}: {}", r.body);
            assert_eq!(r.problem_code(), "auth.role_forbidden");
        }
    }
}
