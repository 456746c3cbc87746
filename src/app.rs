//! The actix application, built the same way by `main` and by the tests.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, Logger};
use actix_web::{web, App};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::compression;
use crate::api::middleware::{fallback, request_context, KnownRoutes};
use crate::error::ApiError;
use crate::state::AppState;

pub fn build(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = cors(&state.config.cors_allowed_origins);
    let operation_ids = state.operation_ids.clone();
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(crate::openapi::ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            ApiError::bad_request(
                "query.invalid",
                format!("Tham số truy vấn không hợp lệ: {e}"),
                format!("Invalid query parameters: {e}"),
            )
            .into()
        }))
        .app_data(
            web::PathConfig::default()
                .error_handler(|_, _| ApiError::not_found("tài nguyên", "Resource").into()),
        )
        .configure(crate::api::configure_root)
        .service(utoipa_actix_web::scope("/api/v1").configure(crate::api::configure_v1))
        .split_for_parts();
    let routes = web::Data::new(KnownRoutes::from_openapi(&api));
    let _ = operation_ids.set(crate::openapi::operation_ids(&api));
    // The finished document (openapi::finish); "Authorize" survives a reload of the page.
    let swagger = SwaggerUi::new("/swagger-ui/{_:.*}")
        .external_urls_from_iter_unchecked([(
            "/api-docs/openapi.json",
            crate::openapi::finish(&api),
        )])
        .config(utoipa_swagger_ui::Config::default().persist_authorization(true));
    app.service(swagger)
        // A person types the host or `/swagger-ui`: both lead to the documentation.
        .service(web::redirect("/swagger-ui", "/swagger-ui/").permanent())
        .service(web::redirect("/", "/swagger-ui/"))
        .app_data(routes)
        .default_service(web::to(fallback))
        .wrap(cors)
        .wrap(from_fn(request_context))
        // Compression outside request_context, so that it encodes final bodies (see
        // api/compression.rs for the three layers).
        .wrap(from_fn(compression::mark_uncompressed))
        .wrap(Compress::default())
        .wrap(from_fn(compression::unmark))
        // Outermost, so that its line shows the final status, size and request id.
        // The request line is logged with sensitive query values redacted (PINs, seal
        // tokens, ID numbers searched for): see `logging::redacted_request_line`.
        .wrap(
            Logger::new(r#"%a "%{request}xi" %s %b %Dms rid=%{x-request-id}o"#)
                .custom_request_replace("request", |req| {
                    crate::logging::redacted_request_line(
                        req.method().as_str(),
                        req.path(),
                        req.query_string(),
                        &format!("{:?}", req.version()),
                    )
                }),
        )
}

/// Browser frontends call the API directly: allow the configured origins, with the headers
/// the API uses (Authorization, If-Match, Idempotency-Key) and exposes (ETag, X-Request-Id).
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "if-match",
            "idempotency-key",
            "accept-language",
            "x-request-id",
        ])
        .expose_headers(["etag", "x-request-id", "retry-after", "location"])
        .max_age(3600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}
