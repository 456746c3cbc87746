//! HTTP layer: routes, request/response views, extractors, middleware.

pub mod auth;
pub mod communes;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod users;

use utoipa_actix_web::service_config::ServiceConfig;

/// Everything under `/api/v1`. Registered through utoipa-actix-web so that the routes and
/// the OpenAPI document come from one list and cannot drift apart.
pub fn configure_v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::issue_token)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::me)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(communes::list_provinces)
        .service(communes::get_province)
        .service(communes::list_communes)
        .service(communes::get_commune)
        .service(communes::update_commune);
}

/// Probes at the root.
pub fn configure_root(cfg: &mut ServiceConfig) {
    cfg.service(health::health).service(health::ready);
}
