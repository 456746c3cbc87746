//! What every handler shares: the pool, the configuration, the token service.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::auth::sessions::SessionCache;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::db::{Backend, DbConn, DbPool};
use crate::error::{ApiError, ApiResult};
use crate::logging;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenService>,
    pub sessions: Arc<SessionCache>,
    /// The commune registry in memory, for search.
    pub registry: Arc<crate::service::registry_index::RegistryIndex>,
    /// The working calendar in memory (`service::calendar_cache`: another instance's change
    /// is seen within 5 s, this instance's at once).
    pub calendar: Arc<crate::service::calendar_cache::CalendarCache>,
    /// Lookups per client address on the public dossier lookup.
    pub public_limiter: Arc<crate::ratelimit::RateLimiter>,
    /// Verifications by file per client address (public verify-by-file endpoint).
    pub verify_limiter: Arc<crate::ratelimit::RateLimiter>,
    /// Queue tickets per kiosk device, and per client address, on the public issue endpoint.
    pub queue_device_limiter: Arc<crate::ratelimit::RateLimiter>,
    pub queue_client_limiter: Arc<crate::ratelimit::RateLimiter>,
    pub backend: Backend,
    /// The online payment gateway (`PAYMENT_GATEWAY`); none: online payments are refused.
    pub payment_gateway: Option<Arc<dyn crate::payments::PaymentGateway>>,
    /// The national portal's client (`PORTAL_URL`); none: messages wait in the outbox.
    pub portal_client: Option<Arc<dyn crate::portal::PortalClient>>,
    /// Seals digital results (RESULT_SIGNING_KEYS; a random key when unset).
    pub sealer: Arc<crate::domain::sealing::Sealer>,
    /// Set once this process has applied (or verified) the migrations.
    pub migrated: Arc<AtomicBool>,
    /// Group-commit writer of the personal-data access log (`service::access_log`).
    pub access_log: Arc<crate::service::access_log::Writer>,
    /// Operation ids by `METHOD /api/v1/path`, set by `app::build` from the spec it generates
    /// (so the access log names the same operations as the spec).
    pub operation_ids: Arc<std::sync::OnceLock<std::collections::HashMap<String, String>>>,
    /// This instance's Prometheus metrics (`/metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub fn new(config: Config, pool: DbPool) -> Result<AppState, String> {
        let tokens = TokenService::from_config(&config)?;
        let payment_gateway = crate::payments::from_config(&config)?;
        let sealer = match config.result_signing_keys.as_deref() {
            Some(spec) => crate::domain::sealing::Sealer::from_spec(
                spec,
                config.result_signing_active_kid.as_deref(),
            )?,
            None => crate::domain::sealing::Sealer::ephemeral(),
        };
        if let Some(secret) = config.jwt_secret.as_deref() {
            crate::portal::links::install(crate::portal::links::LinkSigner::new(
                secret,
                &config.public_base_url,
                config.portal_file_link_ttl_secs,
            ));
        }
        Ok(AppState {
            sealer: Arc::new(sealer),
            portal_client: crate::portal::from_config(&config),
            payment_gateway,
            backend: Backend::from_url(&config.database_url),
            access_log: Arc::new(crate::service::access_log::Writer::start(pool.clone())),
            operation_ids: Arc::default(),
            metrics: Arc::default(),
            pool,
            sessions: Arc::new(SessionCache::new(std::time::Duration::from_secs(
                config.session_cache_ttl_secs,
            ))),
            registry: Arc::new(crate::service::registry_index::RegistryIndex::new(
                std::time::Duration::from_secs(60),
            )),
            calendar: Arc::default(),
            public_limiter: Arc::new(crate::ratelimit::RateLimiter::new(
                config.public_lookups_per_minute,
                std::time::Duration::from_secs(60),
            )),
            verify_limiter: Arc::new(crate::ratelimit::RateLimiter::new(
                config.public_verify_files_per_minute,
                std::time::Duration::from_secs(60),
            )),
            queue_device_limiter: Arc::new(crate::ratelimit::RateLimiter::new(
                config.queue_kiosk_tickets_per_minute,
                std::time::Duration::from_secs(60),
            )),
            queue_client_limiter: Arc::new(crate::ratelimit::RateLimiter::new(
                config.queue_client_tickets_per_minute,
                std::time::Duration::from_secs(60),
            )),
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            migrated: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn is_migrated(&self) -> bool {
        self.migrated.load(Ordering::Acquire)
    }

    pub fn set_migrated(&self) {
        self.migrated.store(true, Ordering::Release)
    }

    /// Runs blocking diesel work on actix's blocking thread pool, never on an async worker.
    /// The request id travels along so that log lines written inside still carry it.
    pub async fn db<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let metrics = self.metrics.clone();
        let request_id = logging::current_request_id();
        actix_web::web::block(move || {
            logging::with_thread_request_id(request_id, || {
                let waiting = std::time::Instant::now();
                let conn = pool.get();
                metrics.observe_pool_wait(waiting.elapsed(), conn.is_ok());
                let mut conn = conn.map_err(|e| {
                    log::error!("database unavailable: {e}");
                    ApiError::service_unavailable(e)
                })?;
                f(&mut conn)
            })
        })
        .await?
    }

    /// `db` inside a write transaction (IMMEDIATE on SQLite): all of it commits or none does.
    pub async fn db_tx<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db(move |conn| conn.write_transaction(f)).await
    }
}
