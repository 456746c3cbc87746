//! The OpenAPI 3.1 document: generated from the annotated handlers, committed under
//! `openapi/openapi.json`, and checked for drift by `tests/openapi.rs`.

use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua API",
        description = "JSON REST API for Vietnam's commune-level Public Administrative Service Centers \
(Trung tâm phục vụ hành chính công cấp xã): communes, procedures, dossiers, fees and digital results.\n\n\
**Conventions.** snake_case fields; instants in RFC 3339 UTC; legal dates `YYYY-MM-DD` in Vietnam time; \
money in integer VND. Errors are RFC 9457 `application/problem+json` with a stable `code` and a `request_id`; \
messages are Vietnamese by default and English with `Accept-Language: en`. Lists use keyset pagination \
(`limit`, `cursor` → `next_cursor`). Mutations of existing records need `If-Match` with the record's `ETag`.\n\n\
**Authentication.** `POST /api/v1/auth/token` returns a bearer token; in Swagger UI press *Authorize* and paste it. \
Each operation's description names the roles allowed.",
        license(name = "MIT", url = "https://opensource.org/licenses/MIT"),
    ),
    servers((url = "/", description = "This server (the document is served by the API it describes)")),
    tags(
        (name = "auth", description = "Login, token refresh, logout"),
        (name = "users", description = "Staff and citizen accounts"),
        (name = "registry", description = "Provinces and communes (Decision 19/2025/QĐ-TTg), with merger lineage and service-center contacts"),
        (name = "procedures", description = "Catalog of administrative procedures (TTHC): versions with effective dates, \
cases, required documents, CSV/JSON import and export, and the procedures each commune publishes"),
        (name = "calendar", description = "Legal working-day calendar: holidays (Labour Code 2019 Art. 112, lunar Tết and Giỗ Tổ), government adjustments, appointment dates"),
        (name = "dossiers", description = "Dossiers (hồ sơ): intake, lifecycle, deadlines, history, receipts"),
        (name = "fees", description = "Fee schedules (phí, lệ phí) with versions, channel amounts, exemptions and provincial overrides; \
each dossier's assessment. Amounts in integer VND"),
        (name = "payments", description = "Payments at the counter and online through the national payment platform (signed INIT, callback, QUERY), \
receipts with gapless numbers, refunds, reconciliation"),
        (name = "digital-results", description = "Digital results sealed with Ed25519 and verifiable offline, revocation and replacement, the citizen's data store, digitization records, electronic certification"),
        (name = "portal", description = "National Public Service Portal sync: the transactional outbox, each dossier's sync state, re-queueing"),
        (name = "events", description = "Ordered, replayable event feed and signed webhooks for integrators"),
        (name = "reports", description = "Decision 766 indicators per commune and province with rankings, the dossiers behind each number, CSV and XLSX exports"),
        (name = "readiness", description = "Readiness (\"phủ xanh\") board: a configurable checklist per commune (infrastructure declared by the commune and reviewed by the province, services and indicator thresholds evaluated live), green/amber/red, and \"N of M communes green\" per province"),
        (name = "access-log", description = "Personal-data access log (Decree 13/2023/NĐ-CP): who read which dossier or digital result, append-only and hash-chained per commune"),
        (name = "public", description = "Lookups without an account (citizens, kiosks)"),
        (name = "queue", description = "The center's front room: counters and the services they serve, kiosk devices, queue tickets (kiosk and remote), calling with priority and fairness, and the display board's event stream"),
        (name = "health", description = "Liveness and readiness probes"),
    ),
    // Enums used only as query parameters: utoipa references them without collecting them.
    components(schemas(
        crate::domain::catalog::FileFormat,
        crate::api::communes::UnitType,
        crate::api::procedures::ImportSource,
        // JSON parts of multipart bodies (`state_multipart_forms`).
        crate::service::results::certification::CertificationInput,
        crate::service::results::ResultInput,
    )),
    modifiers(&SecurityAddon),
)]
pub struct ApiDoc;

pub struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from POST /api/v1/auth/token"))
                    .build(),
            ),
        );
    }
}

/// The full document, as served at `/api-docs/openapi.json` and printed by `motcua openapi`.
pub fn spec() -> Value {
    use utoipa_actix_web::AppExt;
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure_root)
        .service(utoipa_actix_web::scope("/api/v1").configure(crate::api::configure_v1))
        .split_for_parts();
    finish(&api)
}

/// Operation ids by `METHOD path`. They become function names in generated clients, so they
/// are chosen here, stable and unique, rather than taken from Rust function names (two
/// handlers are called `history`). `tests/openapi.rs` fails on an operation missing here.
pub const OPERATION_IDS: &[(&str, &str)] = &[
    ("GET /api/v1/access-log", "searchAccessLog"),
    ("POST /api/v1/auth/external", "exchangeExternalToken"),
    ("POST /api/v1/auth/logout", "logout"),
    ("GET /api/v1/auth/me", "getMe"),
    ("POST /api/v1/auth/refresh", "refreshToken"),
    ("POST /api/v1/auth/token", "login"),
    (
        "GET /api/v1/calendar/adjustments",
        "listCalendarAdjustments",
    ),
    (
        "POST /api/v1/calendar/adjustments",
        "createCalendarAdjustment",
    ),
    (
        "DELETE /api/v1/calendar/adjustments/{date}",
        "deleteCalendarAdjustment",
    ),
    ("PUT /api/v1/calendar/day-counting/{code}", "setDayCounting"),
    ("GET /api/v1/calendar/due-date", "computeDueDate"),
    ("GET /api/v1/calendar/holiday-rules", "listHolidayRules"),
    ("PUT /api/v1/calendar/holiday-rules/{id}", "setHolidayRule"),
    ("GET /api/v1/calendar/holidays", "listHolidays"),
    ("GET /api/v1/certifications", "listCertifications"),
    ("POST /api/v1/certifications", "certifyCopy"),
    ("GET /api/v1/communes", "listCommunes"),
    ("GET /api/v1/communes/{code}", "getCommune"),
    ("PATCH /api/v1/communes/{code}", "updateCommune"),
    (
        "GET /api/v1/communes/{code}/digitization",
        "getCommuneDigitization",
    ),
    (
        "GET /api/v1/communes/{code}/payment-account",
        "getCommunePaymentAccount",
    ),
    (
        "PUT /api/v1/communes/{code}/payment-account",
        "putCommunePaymentAccount",
    ),
    (
        "GET /api/v1/communes/{code}/procedures",
        "listCommuneProcedures",
    ),
    (
        "PUT /api/v1/communes/{code}/procedures/{procedure_code}",
        "publishCommuneProcedure",
    ),
    (
        "DELETE /api/v1/communes/{code}/procedures/{procedure_code}",
        "unpublishCommuneProcedure",
    ),
    ("GET /api/v1/digital-results", "listDigitalResults"),
    ("GET /api/v1/digital-results/{id}", "getDigitalResult"),
    (
        "GET /api/v1/digital-results/{id}/file",
        "downloadDigitalResult",
    ),
    (
        "GET /api/v1/digital-results/{id}/history",
        "listDigitalResultHistory",
    ),
    (
        "POST /api/v1/digital-results/{id}/revoke",
        "revokeDigitalResult",
    ),
    (
        "POST /api/v1/digital-results/{id}/supersede",
        "supersedeDigitalResult",
    ),
    (
        "POST /api/v1/digitization-records/{id}/review",
        "reviewDigitizationRecord",
    ),
    ("GET /api/v1/dossiers", "listDossiers"),
    ("POST /api/v1/dossiers", "receiveDossier"),
    ("GET /api/v1/dossiers/{code}", "getDossier"),
    (
        "GET /api/v1/dossiers/{code}/attachments",
        "listDossierAttachments",
    ),
    (
        "POST /api/v1/dossiers/{code}/attachments",
        "uploadDossierAttachment",
    ),
    (
        "POST /api/v1/dossiers/{code}/attachments/from-result",
        "attachDigitalResult",
    ),
    (
        "POST /api/v1/dossiers/{code}/attachments/reuse",
        "reuseDossierAttachment",
    ),
    (
        "GET /api/v1/dossiers/{code}/attachments/{id}/content",
        "downloadDossierAttachment",
    ),
    (
        "POST /api/v1/dossiers/{code}/digital-results",
        "issueDigitalResult",
    ),
    (
        "GET /api/v1/dossiers/{code}/digitization",
        "getDossierDigitization",
    ),
    ("GET /api/v1/dossiers/{code}/fees", "getDossierFees"),
    ("PUT /api/v1/dossiers/{code}/fees", "reassessDossierFees"),
    ("GET /api/v1/dossiers/{code}/history", "listDossierHistory"),
    (
        "POST /api/v1/dossiers/{code}/payments",
        "createDossierPayment",
    ),
    (
        "GET /api/v1/dossiers/{code}/portal-sync",
        "getDossierPortalSync",
    ),
    ("POST /api/v1/dossiers/{code}/rating", "rateDossier"),
    ("GET /api/v1/dossiers/{code}/receipt", "getDossierReceipt"),
    (
        "GET /api/v1/dossiers/{code}/receipt/pdf",
        "getDossierReceiptPdf",
    ),
    (
        "GET /api/v1/dossiers/{code}/forms/{form}",
        "getDossierFormPdf",
    ),
    (
        "POST /api/v1/dossiers/{code}/transitions",
        "transitionDossier",
    ),
    ("GET /api/v1/events", "listEvents"),
    ("GET /api/v1/fee-schedules", "listFeeSchedules"),
    ("POST /api/v1/fee-schedules", "createFeeSchedule"),
    ("POST /api/v1/fee-schedules/quote", "quoteFees"),
    ("GET /api/v1/fee-schedules/{id}", "getFeeSchedule"),
    ("GET /api/v1/me/access-log", "listMyAccessLog"),
    ("GET /api/v1/me/data-store", "listMyDataStore"),
    ("POST /api/v1/me/dossiers/claim", "claimDossier"),
    ("GET /api/v1/payments", "listPayments"),
    (
        "POST /api/v1/payments/callbacks/{gateway}",
        "receivePaymentCallback",
    ),
    ("POST /api/v1/payments/reconcile", "reconcilePayments"),
    (
        "GET /api/v1/payments/sandbox/{reference}",
        "getSandboxPaymentPage",
    ),
    (
        "POST /api/v1/payments/sandbox/{reference}/complete",
        "completeSandboxPayment",
    ),
    ("GET /api/v1/payments/{id}", "getPayment"),
    ("POST /api/v1/payments/{id}/cancel", "cancelPayment"),
    ("GET /api/v1/payments/{id}/receipt", "getPaymentReceipt"),
    (
        "GET /api/v1/payments/{id}/receipt/pdf",
        "getPaymentReceiptPdf",
    ),
    ("GET /api/v1/payments/{id}/refunds", "listPaymentRefunds"),
    ("POST /api/v1/payments/{id}/refunds", "createPaymentRefund"),
    ("GET /api/v1/portal/outbox", "listPortalOutbox"),
    ("POST /api/v1/portal/outbox/requeue", "requeuePortalOutbox"),
    ("GET /api/v1/portal/status", "getPortalStatus"),
    ("GET /api/v1/procedures", "listProcedures"),
    ("POST /api/v1/procedures", "createProcedure"),
    ("GET /api/v1/procedures/export", "exportProcedures"),
    ("POST /api/v1/procedures/import", "importProcedures"),
    ("GET /api/v1/procedures/{code}", "getProcedure"),
    ("PUT /api/v1/procedures/{code}", "updateProcedure"),
    ("DELETE /api/v1/procedures/{code}", "deactivateProcedure"),
    (
        "GET /api/v1/procedures/{code}/versions",
        "listProcedureVersions",
    ),
    ("GET /api/v1/provinces", "listProvinces"),
    ("GET /api/v1/provinces/{code}", "getProvince"),
    (
        "PUT /api/v1/provinces/{code}/agency-identifiers",
        "importAgencyIdentifiers",
    ),
    (
        "PUT /api/v1/provinces/{code}/payment-account",
        "putProvincePaymentAccount",
    ),
    (
        "GET /api/v1/public/digital-results/verify",
        "verifyDigitalResultByToken",
    ),
    (
        "POST /api/v1/public/digital-results/verify",
        "verifyDigitalResultByFile",
    ),
    ("GET /api/v1/public/dossiers/{code}", "lookupPublicDossier"),
    ("GET /api/v1/public/keys", "listSigningKeys"),
    ("GET /api/v1/public/portal-files/{token}", "getPortalFile"),
    (
        "GET /api/v1/readiness/communes/{code}",
        "getCommuneReadiness",
    ),
    (
        "GET /api/v1/readiness/communes/{code}/history",
        "listCommuneReadinessHistory",
    ),
    (
        "PUT /api/v1/readiness/communes/{code}/items/{item}",
        "declareReadinessItem",
    ),
    (
        "POST /api/v1/readiness/communes/{code}/items/{item}/review",
        "reviewReadinessItem",
    ),
    (
        "GET /api/v1/readiness/provinces/{code}",
        "getProvinceReadiness",
    ),
    (
        "GET /api/v1/readiness/provinces/{code}/config",
        "getReadinessConfig",
    ),
    (
        "PUT /api/v1/readiness/provinces/{code}/config",
        "putReadinessConfig",
    ),
    ("GET /api/v1/reports/communes/{code}", "getCommuneReport"),
    (
        "GET /api/v1/reports/communes/{code}/dossiers",
        "listCommuneReportDossiers",
    ),
    ("GET /api/v1/reports/provinces/{code}", "getProvinceReport"),
    (
        "GET /api/v1/reports/provinces/{code}/dossiers",
        "listProvinceReportDossiers",
    ),
    ("GET /api/v1/users", "listUsers"),
    ("POST /api/v1/users", "createUser"),
    ("GET /api/v1/users/{id}", "getUser"),
    ("PATCH /api/v1/users/{id}", "updateUser"),
    ("GET /api/v1/webhooks", "listWebhooks"),
    ("POST /api/v1/webhooks", "createWebhook"),
    ("DELETE /api/v1/webhooks/{id}", "deleteWebhook"),
    (
        "GET /api/v1/webhooks/{id}/deliveries",
        "listWebhookDeliveries",
    ),
    // Queue (the front room).
    (
        "GET /api/v1/communes/{code}/queue/services",
        "listQueueServices",
    ),
    (
        "PUT /api/v1/communes/{code}/queue/services/{prefix}",
        "putQueueService",
    ),
    (
        "GET /api/v1/communes/{code}/queue/counters",
        "listQueueCounters",
    ),
    (
        "POST /api/v1/communes/{code}/queue/counters",
        "createQueueCounter",
    ),
    ("PATCH /api/v1/queue/counters/{id}", "updateQueueCounter"),
    ("POST /api/v1/queue/counters/{id}/open", "openQueueCounter"),
    (
        "POST /api/v1/queue/counters/{id}/close",
        "closeQueueCounter",
    ),
    (
        "POST /api/v1/queue/counters/{id}/call-next",
        "callNextTicket",
    ),
    (
        "POST /api/v1/communes/{code}/queue/devices",
        "registerKioskDevice",
    ),
    (
        "GET /api/v1/communes/{code}/queue/devices",
        "listKioskDevices",
    ),
    ("DELETE /api/v1/queue/devices/{id}", "revokeKioskDevice"),
    (
        "POST /api/v1/communes/{code}/queue/tickets",
        "issueKioskTicket",
    ),
    (
        "POST /api/v1/communes/{code}/queue/remote-tickets",
        "issueRemoteTicket",
    ),
    ("GET /api/v1/queue/tickets/{id}", "getQueueTicket"),
    (
        "GET /api/v1/queue/tickets/{id}/status",
        "getQueueTicketStatus",
    ),
    ("POST /api/v1/queue/tickets/{id}/recall", "recallTicket"),
    (
        "POST /api/v1/queue/tickets/{id}/no-show",
        "recordTicketNoShow",
    ),
    (
        "POST /api/v1/queue/tickets/{id}/start",
        "startTicketService",
    ),
    (
        "POST /api/v1/queue/tickets/{id}/finish",
        "finishTicketService",
    ),
    ("POST /api/v1/queue/tickets/{id}/transfer", "transferTicket"),
    (
        "POST /api/v1/queue/tickets/{id}/priority",
        "confirmTicketPriority",
    ),
    (
        "POST /api/v1/queue/tickets/{id}/dossier",
        "linkTicketDossier",
    ),
    (
        "GET /api/v1/communes/{code}/queue/stream",
        "streamQueueBoard",
    ),
    ("GET /health", "checkHealth"),
    ("GET /ready", "checkReady"),
];

/// What the annotations cannot say, applied to the collected document: operation ids,
/// `security: []` on public operations, a `Problem` and free-form objects that generators
/// type usefully, and no schema that nothing references.
/// The result stays JSON: utoipa's types cannot read back every schema they write (a field
/// of any JSON value is a schema with no type).
pub fn finish(api: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(api).expect("the spec serializes");
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for (method, op) in item.as_object_mut().into_iter().flatten() {
                let key = format!("{} {path}", method.to_uppercase());
                if let Some((_, id)) = OPERATION_IDS.iter().find(|(k, _)| *k == key) {
                    op["operationId"] = Value::from(*id);
                }
                let params = op.get_mut("parameters").and_then(Value::as_array_mut);
                for param in params.into_iter().flatten() {
                    not_null(&mut param["schema"]);
                    // IfMatch (api/extract.rs) reads a quoted version number, alone or in
                    // front of a read's hash; anything else is 400.
                    if param["in"] == "header" && param["name"] == "If-Match" {
                        param["schema"]["pattern"] =
                            Value::from(r#"^(W/)?"[0-9]{1,18}(\.[^"]*)?"$"#);
                    }
                }
                if op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["in"] == "header" && p["name"] == "If-Match")
                }) {
                    malformed_if_match_is_400(op);
                }
                // api/middleware.rs refuses U+0000 in any query value with 422 naming it.
                let queried = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
                if queried && op["responses"].get("422").is_none() {
                    op["responses"]["422"] = serde_json::json!({
                        "description": "A query value holds U+0000 (NUL)",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
                    });
                }
                // No requirement means public: say so, rather than inherit nothing.
                if op.get("security").is_none() {
                    op["security"] = Value::Array(vec![]);
                }
            }
        }
    }
    describe_successes(&mut doc);
    state_closed_sets(&mut doc);
    state_multipart_forms(&mut doc);
    state_cross_field_rules(&mut doc);
    // `FeeRule` is an internally tagged enum that refuses unknown fields (domain/fees.rs):
    // utoipa leaves its variants open.
    let rule_variants = doc
        .pointer_mut("/components/schemas/FeeRule/oneOf")
        .and_then(Value::as_array_mut);
    for variant in rule_variants.into_iter().flatten() {
        variant["additionalProperties"] = Value::Bool(false);
    }
    split_request_schemas(&mut doc);
    open_free_form_objects(&mut doc);
    if let Some(problem) = doc.pointer_mut("/components/schemas/Problem") {
        flatten_problem(problem);
    }
    drop_unreferenced_schemas(&mut doc);
    doc
}

/// An `If-Match` that is not an entity tag is 400 (api/extract.rs): add it to the 400 the
/// operation already lists for its body, or list it.
fn malformed_if_match_is_400(op: &mut Value) {
    const WHAT: &str = "If-Match not an entity tag";
    let bad = &mut op["responses"]["400"];
    match bad["description"].as_str() {
        Some(d) => bad["description"] = Value::from(format!("{d}, or {WHAT}")),
        None => {
            *bad = serde_json::json!({
                "description": WHAT,
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            })
        }
    }
}

/// A parameter is absent or has a value: `Option<T>` makes utoipa write `[T, "null"]`, which
/// tells clients they may send `null`, and no query string or header can.
fn not_null(schema: &mut Value) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    } else if let Some(Value::Array(options)) = schema.get("oneOf") {
        let rest: Vec<Value> = options
            .iter()
            .filter(|o| o["type"] != "null")
            .cloned()
            .collect();
        if rest.len() == 1 {
            let mut only = rest[0].clone();
            if let (Some(o), Some(s)) = (only.as_object_mut(), schema.as_object()) {
                for (k, v) in s {
                    if k != "oneOf" {
                        o.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            *schema = only;
        }
    }
}

/// A success (2xx, 3xx) response that its annotation left undescribed takes the first sentence of its
/// body's schema description (what the body is), so that every response says something.
fn describe_successes(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let about = |schema: &Value| -> Option<String> {
        let (schema, list) = match schema.get("items") {
            Some(items) if schema["type"] == "array" => (items, true),
            _ => (schema, false),
        };
        let described = match schema["$ref"].as_str() {
            Some(r) => &schemas[r.rsplit('/').next().unwrap_or_default()],
            None => schema,
        };
        let text = described["description"].as_str()?;
        let first = text.split(['\n', '.']).next().unwrap_or(text).trim();
        Some(if list {
            format!("A list, each item: {first}")
        } else {
            first.to_string()
        })
    };
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for op in paths
        .values_mut()
        .flat_map(|item| item.as_object_mut())
        .flat_map(|m| m.values_mut())
    {
        for (code, response) in op["responses"].as_object_mut().into_iter().flatten() {
            let success = code.starts_with('2') || code.starts_with('3');
            if !success
                || response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty())
            {
                continue;
            }
            let body = response["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|m| &m["schema"]);
            let text = body.and_then(about).unwrap_or_else(|| match code.as_str() {
                "201" => "Created".into(),
                "204" => "Done; no body".into(),
                "304" => "Not modified: the ETag in If-None-Match is current".into(),
                _ => "OK".into(),
            });
            response["description"] = Value::from(text);
        }
    }
}

/// Query parameters whose values are a closed set the server keeps as a constant rather
/// than an enum type: state the set, so that clients and generators see it.
fn state_closed_sets(doc: &mut Value) {
    let measures: Vec<&str> = crate::domain::indicators::Counters::NAMES
        .iter()
        .chain(crate::service::reports::OPEN_MEASURES.iter())
        .copied()
        .collect();
    let types = crate::portal::webhooks::EVENT_TYPES
        .iter()
        .map(|t| t.replace('.', r"\."))
        .collect::<Vec<_>>()
        .join("|");
    // Comma separated, blanks and empty items ignored (api/portal.rs).
    let types = format!(r"^\s*({types})?\s*(,\s*({types})?\s*)*$");
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(get) = item.get_mut("get") else {
            continue;
        };
        let params = get.get_mut("parameters").and_then(Value::as_array_mut);
        for param in params.into_iter().flatten() {
            match param["name"].as_str() {
                Some("measure") if path.starts_with("/api/v1/reports/") => {
                    param["schema"]["enum"] = Value::from(measures.clone());
                }
                Some("types") if path == "/api/v1/events" => {
                    param["schema"]["pattern"] = Value::from(types.clone());
                }
                _ => {}
            }
        }
    }
}

/// One part of a multipart body.
enum Part {
    File(&'static str),
    Text(&'static str),
    /// A JSON document of this component schema.
    Json(&'static str),
}

/// A multipart body: (part, required, what it is) for each part.
type Form = &'static [(&'static str, bool, Part)];

/// The parts of the multipart bodies that handlers read part by part (`api/multipart.rs`),
/// by operation.
const MULTIPART_FORMS: &[(&str, Form)] = &[
    (
        "POST /api/v1/certifications",
        &[
            ("file", true, Part::File("The scan of the original.")),
            ("metadata", true, Part::Json("CertificationInput")),
        ],
    ),
    (
        "POST /api/v1/dossiers/{code}/digital-results",
        &[
            ("file", true, Part::File("The signed result (PDF).")),
            ("metadata", true, Part::Json("ResultInput")),
        ],
    ),
    (
        "POST /api/v1/digital-results/{id}/supersede",
        &[
            ("file", true, Part::File("The signed replacement (PDF).")),
            ("metadata", true, Part::Json("ResultInput")),
            ("reason", false, Part::Text("Why the result is replaced.")),
        ],
    ),
    (
        "POST /api/v1/public/digital-results/verify",
        &[
            ("file", true, Part::File("The document to verify.")),
            (
                "token",
                false,
                Part::Text("The seal token printed with the document, when there is one."),
            ),
        ],
    ),
];

/// A part has a name (an unnamed one is 400); parts a handler does not read are ignored
/// (api/multipart.rs).
fn part_names() -> Value {
    serde_json::json!({"type": "string", "minLength": 1})
}

/// States each multipart body as the object of its parts (utoipa only has `content = String`
/// for them), JSON parts with their schema and `encoding`.
fn state_multipart_forms(doc: &mut Value) {
    if let Some(form) = doc.pointer_mut("/components/schemas/UploadForm") {
        form["propertyNames"] = part_names();
        // A part is there or not; no part can say `null`.
        for part in form["properties"].as_object_mut().into_iter().flatten() {
            not_null(part.1);
        }
    }
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (key, parts) in MULTIPART_FORMS {
        let (method, path) = key.split_once(' ').unwrap_or_default();
        let Some(media) = paths
            .get_mut(path)
            .and_then(|item| item.get_mut(method.to_lowercase()))
            .and_then(|op| op.pointer_mut("/requestBody/content/multipart~1form-data"))
        else {
            continue;
        };
        let mut properties = serde_json::Map::new();
        let mut encoding = serde_json::Map::new();
        for (name, _, part) in parts.iter() {
            let schema = match part {
                Part::File(about) => {
                    serde_json::json!({"type": "string", "format": "binary", "description": about})
                }
                Part::Text(about) => serde_json::json!({"type": "string", "description": about}),
                Part::Json(component) => {
                    encoding.insert(
                        name.to_string(),
                        serde_json::json!({"contentType": "application/json"}),
                    );
                    serde_json::json!({"$ref": format!("#/components/schemas/{component}")})
                }
            };
            properties.insert(name.to_string(), schema);
        }
        let required: Vec<&str> = parts.iter().filter(|p| p.1).map(|p| p.0).collect();
        media["schema"] = serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "propertyNames": part_names(),
        });
        if !encoding.is_empty() {
            media["encoding"] = Value::Object(encoding);
        }
    }
}

/// What no schema can state: rules between fields of one request, or on the data a request
/// names. Each is appended to its operation's description ("Cross-field rules: …"), where
/// Swagger UI and generated clients show it; `cursor` and `If-Match` rules are added to
/// every operation that takes them.
const CROSS_FIELD_RULES: &[(&str, &str)] = &[
    ("GET /api/v1/calendar/due-date", "either `procedure` (and optionally `case`) or `unit` and `value` (422 naming `procedure` otherwise)"),
    ("GET /api/v1/communes/{code}/digitization", "`to` is not before `from` (422)"),
    ("GET /api/v1/reports/communes/{code}", "`from` and `to` come together, `to` not before `from`, at most 3,700 days (400/422)"),
    ("GET /api/v1/reports/provinces/{code}", "`from` and `to` come together, `to` not before `from`, at most 3,700 days (400/422)"),
    ("GET /api/v1/reports/communes/{code}/dossiers", "`from` and `to` come together, `to` not before `from` (400/422)"),
    ("GET /api/v1/reports/provinces/{code}/dossiers", "`from` and `to` come together, `to` not before `from` (400/422)"),
    ("POST /api/v1/digitization-records/{id}/review", "`reason` is required when `decision` is `reject` (422)"),
    ("POST /api/v1/dossiers", "`applicant.id_number` is a personal ID for a `citizen` and a tax code otherwise; `birth_year` matches the ID; `procedure_code`, `case_code` and every component's `document` name a published procedure, its case and that case's documents; `commune_code` is a commune (422 naming the field)"),
    ("POST /api/v1/certifications", "`file` is a PDF, JPEG or PNG by its content (415 otherwise); `metadata.applicant_id_number` is a valid personal ID (422)"),
    ("POST /api/v1/dossiers/{code}/attachments", "`document` is a document of the dossier's case; the file is a PDF, JPEG or PNG by its content (415 otherwise)"),
    ("POST /api/v1/dossiers/{code}/attachments/from-result", "`document` is a document of the dossier's case and `result_id` a result the applicant holds (422/404)"),
    ("POST /api/v1/dossiers/{code}/attachments/reuse", "`document` is a document of the dossier's case and `sha256` a file of `from_dossier` (422/404)"),
    ("POST /api/v1/dossiers/{code}/transitions", "`reason` for `refuse`, `stop`, `reject_proposal` and `extend`; `assignee_id` for `assign`; `missing_items` and `deadline` for `request_supplement`; `extension_days` for `extend_certification` (422 naming the field)"),
    ("POST /api/v1/procedures", "a case's `processing_time` is `value` 0 with an optional `cutoff` for `same_day`, and `value` 1–1,000 without `cutoff` otherwise; case codes are distinct (422 naming the field)"),
    ("PUT /api/v1/procedures/{code}", "a case's `processing_time` is `value` 0 with an optional `cutoff` for `same_day`, and `value` 1–1,000 without `cutoff` otherwise; case codes are distinct (422 naming the field)"),
    ("POST /api/v1/procedures/import", "each row as for creating a procedure (422 naming the row and field)"),
    ("PUT /api/v1/readiness/communes/{code}/items/{item}", "`evidence` is required for `met` and `not_applicable` (422)"),
    ("POST /api/v1/users", "`commune_code` is a commune, `province_code` its province, as the role requires (422 naming the field)"),
    ("PATCH /api/v1/communes/{code}", "`email` is empty or an email address (422); `agency_code` is unique among communes (409)"),
    ("POST /api/v1/webhooks", "`url`'s host resolves to an address outbound calls may reach (422)"),
    ("POST /api/v1/fee-schedules", "`procedure_code` and `case_code` name a procedure of the catalog and its case (422 naming the field)"),
    ("POST /api/v1/fee-schedules/quote", "`procedure_code`, `case_code` and `commune_code` name a procedure, its case and a commune; the quantities the procedure's fee rules read are present (422 naming the field)"),
    ("PUT /api/v1/dossiers/{code}/fees", "the quantities the dossier's fee rules read are present (422 naming `fees.quantities.<unit>`)"),
];

fn state_cross_field_rules(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            let key = format!("{} {path}", method.to_uppercase());
            let mut rules: Vec<String> = CROSS_FIELD_RULES
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, r)| r.to_string())
                .collect();
            let takes = |name: &str| {
                op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name))
            };
            if takes("cursor") {
                rules.push("`cursor` is a `next_cursor` this list returned (400 `query.invalid_cursor` otherwise)".into());
            }
            if takes("If-Match") {
                rules.push("`If-Match` names the record's current version (412 `precondition_failed` otherwise)".into());
            }
            if rules.is_empty() {
                continue;
            }
            let described = op["description"].as_str().unwrap_or_default().trim_end();
            op["description"] = Value::from(format!(
                "{described}\n\nCross-field rules: {}.",
                rules.join("; ")
            ));
        }
    }
}

/// Fields a request may leave out (`#[serde(default)]`) and every response carries. One Rust
/// type serves both directions, so utoipa writes them optional everywhere: responses require
/// them, and request bodies get a `…Input` copy of the schema where they stay optional.
const DEFAULTED_IN_REQUESTS: &[(&str, &[&str])] = &[
    ("Case", &["documents"]),
    ("CommuneOverride", &["items"]),
    ("ProcedureContent", &["implementing_level", "legal_basis"]),
    ("ProcessingTime", &["value"]),
    ("ProvinceConfig", &["items", "communes"]),
    (
        "RequiredDocument",
        &["count", "required", "from_data_store_allowed"],
    ),
];

fn split_request_schemas(doc: &mut Value) {
    fn to_input(node: &mut Value) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get_mut("$ref") {
                    let name = r.trim_start_matches("#/components/schemas/");
                    if DEFAULTED_IN_REQUESTS.iter().any(|(n, _)| *n == name) {
                        *r = format!("{r}Input");
                    }
                }
                map.values_mut().for_each(to_input);
            }
            Value::Array(items) => items.iter_mut().for_each(to_input),
            _ => {}
        }
    }
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    for (name, fields) in DEFAULTED_IN_REQUESTS {
        let Some(schema) = schemas.get_mut(*name) else {
            continue;
        };
        let mut input = schema.clone();
        to_input(&mut input);
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        let mut all = required.clone();
        all.extend(
            fields
                .iter()
                .map(|f| Value::from(*f))
                .filter(|f| !required.contains(f)),
        );
        schema["required"] = Value::Array(all);
        schemas.insert(format!("{name}Input"), input);
    }
    let ops = doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut());
    for op in ops
        .flat_map(|item| item.as_object_mut())
        .flat_map(|m| m.values_mut())
    {
        if let Some(body) = op.get_mut("requestBody") {
            to_input(body);
        }
    }
}

/// `{"type": "object"}` with no properties is a free-form object (`serde_json::Value`):
/// say `additionalProperties: true`, or generators type it as an empty record.
fn open_free_form_objects(node: &mut Value) {
    match node {
        Value::Object(map) => {
            let is_object = match map.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            let shaped = [
                "properties",
                "additionalProperties",
                "propertyNames",
                "allOf",
                "oneOf",
                "anyOf",
                "$ref",
            ]
            .iter()
            .any(|k| map.contains_key(*k));
            if is_object && !shaped {
                map.insert("additionalProperties".into(), Value::Bool(true));
            }
            for (key, child) in map.iter_mut() {
                // Examples are data, not schemas.
                if key != "example" && key != "examples" && key != "default" {
                    open_free_form_objects(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(open_free_form_objects),
        _ => {}
    }
}

/// `Problem` flattens its problem-specific members (`#[serde(flatten)] extra`), which utoipa
/// writes as `allOf: [nullable object, members]`: TypeScript gets `(… | null) & {…}`, to
/// which nothing is assignable. One object with `additionalProperties: true` says the same.
fn flatten_problem(problem: &mut Value) {
    let Some(parts) = problem.get("allOf").and_then(Value::as_array).cloned() else {
        return;
    };
    let Some(mut members) = parts.into_iter().find(|p| p.get("properties").is_some()) else {
        return;
    };
    members["additionalProperties"] = Value::Bool(true);
    if let Some(errors) = members.pointer_mut("/properties/errors") {
        errors["type"] = Value::from("object");
    }
    for key in ["description", "example"] {
        if let Some(v) = problem.get(key) {
            members[key] = v.clone();
        }
    }
    members["description"] = Value::from(format!(
        "{} Problem-specific members (e.g. `allowed_actions`) may follow the standard ones.",
        members["description"].as_str().unwrap_or_default()
    ));
    *problem = members;
}

/// Removes component schemas that no operation reaches (utoipa collects every schema a type
/// names, including ones only used inline by a generic `Page<T>`).
fn drop_unreferenced_schemas(doc: &mut Value) {
    fn refs(node: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    if let Some(name) = r.strip_prefix("#/components/schemas/") {
                        out.push(name.to_string());
                    }
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    let mut outside = doc.clone();
    if let Some(c) = outside.get_mut("components").and_then(Value::as_object_mut) {
        c.remove("schemas");
    }
    let mut todo = Vec::new();
    refs(&outside, &mut todo);
    let mut reached = std::collections::BTreeSet::new();
    while let Some(name) = todo.pop() {
        if reached.insert(name.clone()) {
            if let Some(schema) = schemas.get(&name) {
                refs(schema, &mut todo);
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| reached.contains(name));
    }
}

/// Operation ids by `METHOD /api/v1/path` (the path as the spec writes it).
pub fn operation_ids(api: &utoipa::openapi::OpenApi) -> std::collections::HashMap<String, String> {
    let mut ids = std::collections::HashMap::new();
    for (path, item) in &api.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let key = format!("{method} {path}");
            let named = OPERATION_IDS
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, id)| id.to_string());
            if let Some(id) = named.or_else(|| op.as_ref().and_then(|o| o.operation_id.clone())) {
                ids.insert(key, id);
            }
        }
    }
    ids
}

/// The committed form: pretty JSON with a trailing newline.
pub fn spec_json() -> String {
    let mut s = serde_json::to_string_pretty(&spec()).expect("the spec serializes");
    s.push('\n');
    s
}
