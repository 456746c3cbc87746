//! The actix application, built the same way by `main` and by the tests.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::compression;
use crate::api::middleware::{
    fallback, request_context, KnownRoutes, CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS,
    CORS_EXPOSED_HEADERS,
};
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
    // The finished document (openapi::finish), served by api::conditional (ETag/304) and
    // registered before Swagger UI; "Authorize" survives a reload of the page.
    app.service(crate::api::conditional::spec_resource(
        &crate::openapi::finish(&api),
    ))
    .service(SwaggerUi::new("/swagger-ui/{_:.*}").config(
        utoipa_swagger_ui::Config::from("/api-docs/openapi.json").persist_authorization(true),
    ))
    // A person types the host or `/swagger-ui`: both lead to the documentation.
    .service(web::redirect("/swagger-ui", "/swagger-ui/").permanent())
    .service(web::redirect("/", "/swagger-ui/"))
    // For operators' scrapers, outside the API and its spec (see api/metrics.rs).
    .route("/metrics", web::get().to(crate::api::metrics::scrape))
    // The display board page for a television's browser (api/queue/display.rs).
    .route(
        "/display/{code}",
        web::get().to(crate::api::queue::display::page),
    )
    .app_data(routes)
    .default_service(web::to(fallback))
    .wrap(cors)
    // Inside request_context, so that a 429's problem body keeps these headers too.
    .wrap(from_fn(crate::ratelimit::headers))
    .wrap(from_fn(request_context))
    // Compression outside request_context, so that it encodes final bodies (see
    // api/compression.rs for the three layers).
    .wrap(from_fn(compression::mark_uncompressed))
    .wrap(Compress::default())
    .wrap(from_fn(compression::unmark))
    // Outermost, so that the access line and the metrics see the final status, and
    // time everything.
    .wrap(from_fn(crate::api::metrics::track))
}

/// Browser frontends call the API directly: allow the configured origins, with the headers
/// the API uses and exposes (api/middleware.rs lists them; a refused preflight is explained
/// there too).
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(CORS_ALLOWED_METHODS.iter().copied())
        .allowed_headers(CORS_ALLOWED_HEADERS.iter().copied())
        .expose_headers(CORS_EXPOSED_HEADERS.iter().copied())
        .max_age(3600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}
