//! The OpenAPI 3.1 document: generated from the annotated handlers, committed under
//! `openapi/openapi.json`, and checked for drift by `tests/openapi.rs`.

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
        license(name = "MIT"),
    ),
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
pub fn spec() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::configure_root)
        .service(utoipa_actix_web::scope("/api/v1").configure(crate::api::configure_v1))
        .split_for_parts();
    api
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
            if let Some(id) = op.as_ref().and_then(|o| o.operation_id.clone()) {
                ids.insert(format!("{method} {path}"), id);
            }
        }
    }
    ids
}

/// The committed form: pretty JSON with a trailing newline.
pub fn spec_json() -> String {
    let mut s = spec().to_pretty_json().expect("the spec serializes");
    s.push('\n');
    s
}
