//! Liveness and readiness probes (outside /api/v1: they are for orchestrators, not clients).

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Backend;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgresql`.
    #[schema(example = "postgresql")]
    pub database: &'static str,
    pub migrations_applied: bool,
}

/// Liveness: the process answers.
///
/// Public. Never touches the database, so an orchestrator does not restart a healthy
/// process because PostgreSQL is down (that is what `/ready` reports).
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health")]
pub async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness: the database answers and the schema is current.
///
/// Public. 200 when the database answers within a second and every migration is applied.
/// Answers 503 (problem+json, `code` = `database.unavailable` or `database.not_migrated`) otherwise.
#[utoipa::path(tag = "health", responses(
    (status = 200, body = Readiness),
    (status = 503, description = "Database unreachable or migrations pending", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let backend: Backend = state.backend;
    let already_migrated = state.is_migrated();
    let current =
        web::block(move || crate::service::health::database_current(&pool, already_migrated))
            .await??;
    if !current {
        return Err(ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "database.not_migrated",
            "Cơ sở dữ liệu chưa được cập nhật cấu trúc (migrations).",
            "Database migrations are pending.",
        )
        .with_header("retry-after", "5"));
    }
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: backend.name(),
        migrations_applied: true,
    }))
}
