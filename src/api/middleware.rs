//! Cross-cutting HTTP behaviour: request ids and problem+json rendering of every error.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{from_status, ApiError, Lang, PROBLEM_JSON};
use crate::logging::REQUEST_ID;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Keeps a caller's `X-Request-Id` when it is a sane token, else makes one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Outermost middleware: tags the request with its id (response header and log lines) and
/// turns every error response, ours or actix's, into localized problem+json.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request_id(&req);
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    // U+0000 cannot be stored in a PostgreSQL text: refuse it in the query (422 naming the
    // parameter) and in the path (no record has such a key: 404) before any handler runs.
    // JSON bodies and multipart text parts are checked where they are parsed.
    let refused = if let Some(name) = crate::api::extract::nul_query_param(req.query_string()) {
        Some(crate::api::extract::nul_error(&name))
    } else if req.uri().path().contains("%00") {
        Some(ApiError::not_found("tài nguyên", "Resource"))
    } else {
        None
    };
    let res = match refused {
        Some(e) => req.error_response(e),
        // Handlers' and extractors' errors arrive here as responses carrying the error; an
        // Err would only come from a middleware inside this one (none of ours returns one).
        None => REQUEST_ID
            .scope(id.clone(), next.call(req))
            .await?
            .map_into_boxed_body(),
    };
    let mut res = finalize(res, lang, &id);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, v);
    }
    Ok(res)
}

fn finalize(res: ServiceResponse<BoxBody>, lang: Lang, id: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    let api_error = match res.response().error() {
        Some(e) => match (
            e.as_error::<ApiError>(),
            e.as_error::<actix_cors::CorsError>(),
        ) {
            (Some(api), _) => api.clone(),
            (None, Some(cors)) => cors_refusal(cors, res.request()),
            (None, None) => {
                let mut generic = from_status(status);
                generic.cause = Some(e.to_string());
                generic
            }
        },
        None => from_status(status),
    };
    if status.is_server_error() {
        log::error!(
            "{} {} -> {}",
            res.request().method(),
            res.request().path(),
            api_error
        );
    }
    let problem = api_error.to_problem(lang, res.request().path(), id);
    let (req, old) = res.into_parts();
    let mut builder = HttpResponse::build(api_error.status);
    for (k, v) in old.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            builder.append_header((k.clone(), v.clone()));
        }
    }
    for (k, v) in &api_error.headers {
        builder.insert_header((k.clone(), v.clone()));
    }
    builder.insert_header((
        header::CONTENT_LANGUAGE,
        if lang == Lang::En { "en" } else { "vi" },
    ));
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let response = builder.content_type(PROBLEM_JSON).body(body);
    ServiceResponse::new(req, response)
}

/// The request headers a browser script may send (`Access-Control-Allow-Headers`).
pub const CORS_ALLOWED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "idempotency-key",
    "accept-language",
    "x-request-id",
];

/// The response headers a browser script may read (`Access-Control-Expose-Headers`): the
/// ones the API's conventions rely on (docs/api-conventions.md).
pub const CORS_EXPOSED_HEADERS: &[&str] = &[
    "etag",
    "location",
    "idempotent-replayed",
    "retry-after",
    "x-request-id",
    "content-disposition",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
];

pub const CORS_ALLOWED_METHODS: &[&str] = &["GET", "POST", "PATCH", "PUT", "DELETE"];

/// A preflight actix-cors refused, explained: which part of the request was not allowed,
/// and the setting that allows it. The browser hides this body from the script, but the
/// developer reading the network panel (or curl) sees why.
fn cors_refusal(e: &actix_cors::CorsError, req: &HttpRequest) -> ApiError {
    use actix_cors::CorsError as C;
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    let configured = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .is_some_and(|s| {
            s.config
                .cors_allowed_origins
                .iter()
                .any(|o| !o.trim().is_empty())
        });
    let forbidden = |code, vi: String, en: String| ApiError::forbidden(code, vi, en);
    match e {
        C::OriginNotAllowed if !configured => forbidden(
            "cors.not_configured",
            format!(
                "Máy chủ chưa cho phép trình duyệt nào gọi API: CORS_ALLOWED_ORIGINS trống. \
                 Quản trị viên thêm nguồn {origin} vào CORS_ALLOWED_ORIGINS (phân cách bằng dấu phẩy)."
            ),
            format!(
                "This server allows no browser origin: CORS_ALLOWED_ORIGINS is empty. An operator \
                 adds {origin} to CORS_ALLOWED_ORIGINS (comma-separated) to let this page call the API."
            ),
        ),
        C::OriginNotAllowed => forbidden(
            "cors.origin_not_allowed",
            format!("Nguồn {origin} không có trong CORS_ALLOWED_ORIGINS của máy chủ."),
            format!("The origin {origin} is not in the server's CORS_ALLOWED_ORIGINS."),
        ),
        C::MethodNotAllowed => forbidden(
            "cors.method_not_allowed",
            format!("Phương thức không được phép; cho phép: {}.", CORS_ALLOWED_METHODS.join(", ")),
            format!("Method not allowed; allowed: {}.", CORS_ALLOWED_METHODS.join(", ")),
        ),
        C::HeadersNotAllowed => forbidden(
            "cors.header_not_allowed",
            format!("Có tiêu đề không được phép; cho phép: {}.", CORS_ALLOWED_HEADERS.join(", ")),
            format!("A request header is not allowed; allowed: {}.", CORS_ALLOWED_HEADERS.join(", ")),
        ),
        other => ApiError::bad_request(
            "cors.bad_preflight",
            format!("Yêu cầu preflight CORS không hợp lệ: {other}."),
            format!("Invalid CORS preflight: {other}."),
        ),
    }
}

/// Routes the API knows, with their methods, so that a known path called with the wrong
/// method answers 405 with `Allow` rather than 404.
pub struct KnownRoutes(Vec<(actix_web::dev::ResourceDef, Vec<Method>)>);

impl KnownRoutes {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let ops = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                for (m, present) in ops {
                    if present {
                        methods.push(m);
                    }
                }
                (actix_web::dev::ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        KnownRoutes(routes)
    }
}

/// Default service: 405 for a known path with another method, 404 otherwise (both become
/// problem+json in `request_context`).
pub async fn fallback(req: HttpRequest, routes: actix_web::web::Data<KnownRoutes>) -> HttpResponse {
    let path = req.path();
    for (def, methods) in &routes.0 {
        if def.is_match(path) {
            if req.method() == Method::OPTIONS {
                break;
            }
            let allow: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
            return HttpResponse::build(StatusCode::METHOD_NOT_ALLOWED)
                .insert_header((header::ALLOW, allow.join(", ")))
                .finish();
        }
    }
    HttpResponse::NotFound().finish()
}
