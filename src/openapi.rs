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
                    // IfMatch (api/extract.rs) reads a quoted version number; anything else is 412.
                    if param["in"] == "header" && param["name"] == "If-Match" {
                        param["schema"]["pattern"] = Value::from(r#"^(W/)?"[0-9]+"$"#);
                    }
                }
                // No requirement means public: say so, rather than inherit nothing.
                if op.get("security").is_none() {
                    op["security"] = Value::Array(vec![]);
                }
            }
        }
    }
    describe_successes(&mut doc);
    open_free_form_objects(&mut doc);
    if let Some(problem) = doc.pointer_mut("/components/schemas/Problem") {
        flatten_problem(problem);
    }
    drop_unreferenced_schemas(&mut doc);
    doc
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
