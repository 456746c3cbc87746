//! Runtime configuration: environment variables, overridable on the command line.
//! Every option is documented in docs/configuration.md and `.env.example`.

use std::path::PathBuf;

/// Shared by `serve`, `migrate`, `seed` and `user create`.
#[derive(clap::Args, Clone)]
pub struct Config {
    /// Database: `postgres://…` for PostgreSQL, `sqlite://path` (or a plain path) for embedded SQLite.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://data/motcua.db"
    )]
    pub database_url: String,

    /// Maximum connections in the pool.
    #[arg(long, global = true, env = "DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,

    /// How long a request waits for a database connection before answering 503.
    #[arg(
        long,
        global = true,
        env = "DB_CONNECT_TIMEOUT_SECS",
        default_value_t = 5
    )]
    pub db_connect_timeout_secs: u64,

    /// Address the HTTP server listens on.
    #[arg(
        long,
        global = true,
        env = "MOTCUA_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: String,

    /// HTTP worker threads (default: one per core).
    #[arg(long, global = true, env = "MOTCUA_WORKERS")]
    pub workers: Option<usize>,

    /// HMAC secret for the access tokens this server issues (HS256), at least 32 bytes.
    #[arg(long, global = true, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// `iss` claim of issued tokens, required on verification.
    #[arg(long, global = true, env = "JWT_ISSUER", default_value = "motcua")]
    pub jwt_issuer: String,

    /// `aud` claim of issued tokens, required on verification.
    #[arg(
        long,
        global = true,
        env = "JWT_AUDIENCE",
        default_value = "motcua-api"
    )]
    pub jwt_audience: String,

    /// Lifetime of an access token in seconds.
    #[arg(
        long,
        global = true,
        env = "JWT_ACCESS_TTL_SECS",
        default_value_t = 900
    )]
    pub jwt_access_ttl_secs: i64,

    /// Lifetime of a refresh token in seconds.
    #[arg(
        long,
        global = true,
        env = "JWT_REFRESH_TTL_SECS",
        default_value_t = 2_592_000
    )]
    pub jwt_refresh_ttl_secs: i64,

    /// PEM public key of an external identity provider whose tokens are also accepted.
    #[arg(long, global = true, env = "JWT_EXTERNAL_PUBLIC_KEY_FILE")]
    pub jwt_external_public_key_file: Option<PathBuf>,

    /// Algorithm of the external provider: RS256, RS384, RS512, ES256, ES384 or EdDSA.
    #[arg(
        long,
        global = true,
        env = "JWT_EXTERNAL_ALGORITHM",
        default_value = "RS256"
    )]
    pub jwt_external_algorithm: String,

    /// Required `iss` of external tokens.
    #[arg(long, global = true, env = "JWT_EXTERNAL_ISSUER")]
    pub jwt_external_issuer: Option<String>,

    /// Required `aud` of external tokens (default: JWT_AUDIENCE).
    #[arg(long, global = true, env = "JWT_EXTERNAL_AUDIENCE")]
    pub jwt_external_audience: Option<String>,

    /// Claim of the external provider's token that carries the person's verified 12-digit
    /// personal ID (VNeID: the citizen's identification number). Absent or invalid: the
    /// account gets no personal ID from the provider.
    #[arg(
        long,
        global = true,
        env = "JWT_EXTERNAL_PERSONAL_ID_CLAIM",
        default_value = "personal_id"
    )]
    pub jwt_external_personal_id_claim: String,

    /// Largest accepted JSON request body in bytes (larger: 413).
    #[arg(
        long,
        global = true,
        env = "MAX_JSON_BYTES",
        default_value_t = 1_048_576
    )]
    pub max_json_bytes: usize,

    /// Largest accepted catalog import file (CSV or JSON) in bytes (larger: 413).
    #[arg(
        long,
        global = true,
        env = "MAX_IMPORT_BYTES",
        default_value_t = 10_485_760
    )]
    pub max_import_bytes: usize,

    /// Largest accepted file upload in bytes (larger: 413).
    #[arg(
        long,
        global = true,
        env = "MAX_UPLOAD_BYTES",
        default_value_t = 20_971_520
    )]
    pub max_upload_bytes: usize,

    /// Directory of the content-addressed file store (attachments, results).
    #[arg(long, global = true, env = "UPLOAD_DIR", default_value = "data/files")]
    pub upload_dir: PathBuf,

    /// Bearer token a Prometheus scraper sends to read `/metrics`; unset: `/metrics` is 404.
    /// Never logged.
    #[arg(long, global = true, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// `text` (for people) or `json` (one object per line, the request id as a field).
    #[arg(
        long,
        global = true,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: crate::logging::LogFormat,

    /// Browser origins allowed to call the API (comma separated; empty: no CORS).
    #[arg(
        long,
        global = true,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Seconds an account's session state (active, session epoch) is cached per instance.
    /// Changes made through another instance take effect within this time; 0 disables.
    #[arg(
        long,
        global = true,
        env = "SESSION_CACHE_TTL_SECS",
        default_value_t = 5
    )]
    pub session_cache_ttl_secs: u64,

    /// Take the client address from `X-Forwarded-For` (set this only behind a reverse proxy
    /// that appends to that header; otherwise clients could forge it): the right-most entry
    /// that is not one of TRUSTED_PROXIES.
    #[arg(
        long,
        global = true,
        env = "TRUST_FORWARDED_FOR",
        default_value_t = false
    )]
    pub trust_forwarded_for: bool,

    /// The operator's reverse proxies (comma-separated addresses or CIDR blocks) whose
    /// `X-Forwarded-For` entries are skipped to find the client; the TCP peer always counts
    /// as one when TRUST_FORWARDED_FOR is set.
    #[arg(long, global = true, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::netguard::Cidr>,

    /// Failed PIN attempts allowed per dossier (whoever makes them) on the public lookup
    /// within PUBLIC_LOOKUP_FAILURE_WINDOW_SECS; more: 429 for that dossier.
    #[arg(
        long,
        global = true,
        env = "PUBLIC_LOOKUP_MAX_FAILURES_PER_DOSSIER",
        default_value_t = 10
    )]
    pub public_lookup_max_failures_per_dossier: i64,

    /// Window of the per-dossier failed-PIN limit, seconds.
    #[arg(
        long,
        global = true,
        env = "PUBLIC_LOOKUP_FAILURE_WINDOW_SECS",
        default_value_t = 3600
    )]
    pub public_lookup_failure_window_secs: i64,

    /// Public verifications by file (`POST /public/digital-results/verify`) allowed per
    /// client address per minute (more: 429).
    #[arg(
        long,
        global = true,
        env = "PUBLIC_VERIFY_FILES_PER_MINUTE",
        default_value_t = 10
    )]
    pub public_verify_files_per_minute: u32,

    /// Largest file accepted by the public verify-by-file endpoint, bytes (larger: 413).
    #[arg(
        long,
        global = true,
        env = "MAX_VERIFY_FILE_BYTES",
        default_value_t = 5_242_880
    )]
    pub max_verify_file_bytes: usize,

    /// Most attachments one dossier may hold (more: 409).
    #[arg(
        long,
        global = true,
        env = "MAX_ATTACHMENTS_PER_DOSSIER",
        default_value_t = 50
    )]
    pub max_attachments_per_dossier: i64,

    /// Largest payment-platform callback body, bytes (larger: 413, nothing stored).
    #[arg(
        long,
        global = true,
        env = "PAYMENT_CALLBACK_MAX_BYTES",
        default_value_t = 16_384
    )]
    pub payment_callback_max_bytes: usize,

    /// Hosts (`name` or `name:port`, comma-separated) that webhooks may reach over plain
    /// HTTP and on private or loopback addresses: for tests and demos only. Every other
    /// webhook must be HTTPS to a public address.
    #[arg(
        long,
        global = true,
        env = "WEBHOOK_ALLOWED_HTTP_HOSTS",
        value_delimiter = ','
    )]
    pub webhook_allowed_http_hosts: Vec<String>,

    /// Public dossier lookups allowed per client address per minute (more: 429).
    #[arg(
        long,
        global = true,
        env = "PUBLIC_LOOKUPS_PER_MINUTE",
        default_value_t = 30
    )]
    pub public_lookups_per_minute: u32,

    /// Queue: tickets a kiosk device may issue per minute (more: 429).
    #[arg(
        long,
        global = true,
        env = "QUEUE_KIOSK_TICKETS_PER_MINUTE",
        default_value_t = 30
    )]
    pub queue_kiosk_tickets_per_minute: u32,

    /// Queue: public ticket requests per client address per minute (more: 429).
    #[arg(
        long,
        global = true,
        env = "QUEUE_CLIENT_TICKETS_PER_MINUTE",
        default_value_t = 60
    )]
    pub queue_client_tickets_per_minute: u32,

    /// Queue: the center's closing time, Vietnamese wall clock (HH:MM).
    #[arg(
        long,
        global = true,
        env = "QUEUE_CLOSING_TIME",
        default_value = "17:00"
    )]
    pub queue_closing_time: String,

    /// Queue: remote tickets stop this many minutes before closing (time to arrive).
    #[arg(
        long,
        global = true,
        env = "QUEUE_REMOTE_CUTOFF_MINUTES",
        default_value_t = 60
    )]
    pub queue_remote_cutoff_minutes: u32,

    /// Queue: priority tickets a counter calls in a row while ordinary ones wait (0: no
    /// priority).
    #[arg(
        long,
        global = true,
        env = "QUEUE_PRIORITY_STREAK",
        default_value_t = 3
    )]
    pub queue_priority_streak: u32,

    /// Queue: recalls of a called ticket before the officer may record a no-show.
    #[arg(long, global = true, env = "QUEUE_MAX_RECALLS", default_value_t = 2)]
    pub queue_max_recalls: u32,

    /// Failed logins allowed per username within the window before 429.
    #[arg(
        long,
        global = true,
        env = "LOGIN_MAX_FAILURES_PER_USER",
        default_value_t = 5
    )]
    pub login_max_failures_per_user: i64,

    /// Failed logins allowed per client address within the window before 429.
    #[arg(
        long,
        global = true,
        env = "LOGIN_MAX_FAILURES_PER_CLIENT",
        default_value_t = 20
    )]
    pub login_max_failures_per_client: i64,

    /// Length of the failed-login window in seconds.
    #[arg(long, global = true, env = "LOGIN_WINDOW_SECS", default_value_t = 900)]
    pub login_window_secs: i64,

    /// Address clients reach this server at; links handed out (payment pages, receipts)
    /// start with it.
    #[arg(
        long,
        global = true,
        env = "PUBLIC_BASE_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_base_url: String,

    /// Online payment gateway: `paygov` (the national payment platform), `sandbox` (in
    /// process, for tests and demos; `--demo` uses it unless another is set) or `none`.
    #[arg(long, global = true, env = "PAYMENT_GATEWAY", default_value = "none")]
    pub payment_gateway: String,

    /// Base URL of the national payment platform's API (`/init`, `/query` under it).
    #[arg(long, global = true, env = "PAYGOV_URL")]
    pub paygov_url: Option<String>,

    /// Partner code issued by the payment platform (MaDoiTac).
    #[arg(long, global = true, env = "PAYGOV_PARTNER_CODE")]
    pub paygov_partner_code: Option<String>,

    /// Shared secret for the platform's SHA-256 message codes. Never logged.
    #[arg(long, global = true, env = "PAYGOV_SECRET", hide_env_values = true)]
    pub paygov_secret: Option<String>,

    /// Secret of the sandbox gateway (random per process when unset).
    #[arg(
        long,
        global = true,
        env = "PAYMENT_SANDBOX_SECRET",
        hide_env_values = true
    )]
    pub payment_sandbox_secret: Option<String>,

    /// Seconds an online payment stays open; after that the reconciler asks the platform
    /// and expires it if still unpaid.
    #[arg(
        long,
        global = true,
        env = "PAYMENT_TIMEOUT_SECS",
        default_value_t = 900
    )]
    pub payment_timeout_secs: i64,

    /// A callback whose transaction time is further than this from now is a replay.
    #[arg(
        long,
        global = true,
        env = "PAYMENT_CALLBACK_WINDOW_SECS",
        default_value_t = 900
    )]
    pub payment_callback_window_secs: i64,

    /// How often (seconds) the reconciler looks at pending online payments; 0 disables it.
    #[arg(
        long,
        global = true,
        env = "PAYMENT_RECONCILE_INTERVAL_SECS",
        default_value_t = 60
    )]
    pub payment_reconcile_interval_secs: u64,

    /// Base URL of the National Public Service Portal's API; unset: portal messages wait
    /// in the outbox until one is configured.
    #[arg(long, global = true, env = "PORTAL_URL")]
    pub portal_url: Option<String>,

    /// Portal account (session token from username/password).
    #[arg(long, global = true, env = "PORTAL_USERNAME")]
    pub portal_username: Option<String>,

    /// Portal password. Never logged.
    #[arg(long, global = true, env = "PORTAL_PASSWORD", hide_env_values = true)]
    pub portal_password: Option<String>,

    /// Timeout of one call to the portal (and to a webhook receiver), milliseconds.
    #[arg(
        long,
        global = true,
        env = "PORTAL_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub portal_timeout_ms: u64,

    /// How long the links the portal follows to fetch component files and digital results
    /// stay valid, seconds (default 30 days).
    #[arg(long, global = true, env = "PORTAL_FILE_LINK_TTL_SECS", default_value_t = 30 * 86_400)]
    pub portal_file_link_ttl_secs: i64,

    /// Delivery workers per instance (portal outbox; webhooks get one more).
    #[arg(long, global = true, env = "PORTAL_WORKERS", default_value_t = 2)]
    pub portal_workers: usize,

    /// Messages a worker claims at once.
    #[arg(long, global = true, env = "PORTAL_BATCH", default_value_t = 50)]
    pub portal_batch: i64,

    /// Attempts before a message is dead-lettered (then an administrator re-queues it).
    #[arg(long, global = true, env = "PORTAL_MAX_ATTEMPTS", default_value_t = 12)]
    pub portal_max_attempts: i32,

    /// First retry delay, milliseconds; doubles per attempt (up to an hour), with jitter.
    #[arg(
        long,
        global = true,
        env = "PORTAL_RETRY_BASE_MS",
        default_value_t = 2_000
    )]
    pub portal_retry_base_ms: u64,

    /// How long an idle worker waits before looking again, milliseconds.
    #[arg(long, global = true, env = "PORTAL_POLL_MS", default_value_t = 500)]
    pub portal_poll_ms: u64,

    /// Keys that seal digital results: `kid:base64seed,…` (32-byte Ed25519 seeds). Append a
    /// key to rotate: the last one (or RESULT_SIGNING_ACTIVE_KID) seals, all verify.
    /// Required outside `--demo`. Never logged.
    #[arg(
        long,
        global = true,
        env = "RESULT_SIGNING_KEYS",
        hide_env_values = true
    )]
    pub result_signing_keys: Option<String>,

    /// The key id that seals new results (default: the last key listed).
    #[arg(long, global = true, env = "RESULT_SIGNING_ACTIVE_KID")]
    pub result_signing_active_kid: Option<String>,

    /// Receipt template (mẫu số biên lai) printed on every receipt.
    #[arg(
        long,
        global = true,
        env = "RECEIPT_TEMPLATE",
        default_value = "01BLP0-001"
    )]
    pub receipt_template: String,

    /// Receipt series (ký hiệu); `{yy}` becomes the two-digit year, so numbering restarts
    /// each year. Numbers are gapless per commune and series.
    #[arg(long, global = true, env = "RECEIPT_SERIES", default_value = "BL{yy}E")]
    pub receipt_series: String,
}

/// The smallest HMAC secret we accept: 256 bits, the HS256 key size.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The shortest `METRICS_TOKEN` accepted.
pub const MIN_METRICS_TOKEN_BYTES: usize = 32;

impl Config {
    /// Configuration for tests and tools: every default, the given database.
    pub fn for_database(database_url: &str) -> Self {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        // Parse an empty command line so the defaults live in one place (the attributes above);
        // environment variables still apply, then the URL is forced.
        let mut config = Wrapper::parse_from(["motcua"]).config;
        config.database_url = database_url.to_string();
        config
    }

    /// The sandbox gateway lets anyone mark a payment as paid (its public "complete"
    /// endpoint): only a `--demo` server may run it. Tests build their state through the
    /// library (`AppState::new`), not through `serve`.
    pub fn check_payment_gateway(&self, demo: bool) -> Result<(), String> {
        if self.payment_gateway.trim().eq_ignore_ascii_case("sandbox") && !demo {
            return Err(
                "PAYMENT_GATEWAY=sandbox lets anyone mark a payment as paid: it is \
                        allowed only with --demo. Use `paygov` (or `none`) in production."
                    .into(),
            );
        }
        Ok(())
    }

    /// `METRICS_TOKEN` guards the service's internals: empty means unset (as `METRICS_TOKEN=`
    /// in a copied `.env.example`), and a short one is refused like a short JWT secret.
    pub fn check_metrics_token(&mut self) -> Result<(), String> {
        match self.metrics_token.as_deref() {
            Some("") => self.metrics_token = None,
            Some(t) if t.len() < MIN_METRICS_TOKEN_BYTES => {
                return Err(format!(
                    "METRICS_TOKEN is too short: use at least {MIN_METRICS_TOKEN_BYTES} characters \
                     (e.g. `openssl rand -hex 32`), or leave it unset to keep /metrics closed"
                ))
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks the JWT secret; in demo mode a missing one is generated (tokens then die with the process).
    pub fn resolve_jwt_secret(&mut self, demo: bool) -> Result<(), String> {
        match &self.jwt_secret {
            Some(s) if s.len() >= MIN_JWT_SECRET_BYTES => Ok(()),
            Some(_) => Err(format!(
                "JWT_SECRET is too short: use at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
            )),
            None if demo => {
                self.jwt_secret = Some(crate::auth::random_token(48));
                Ok(())
            }
            None => Err(format!(
                "JWT_SECRET is not set: set it to a random string of at least {MIN_JWT_SECRET_BYTES} bytes \
                 (e.g. `export JWT_SECRET=$(openssl rand -base64 48)`), or start with --demo"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_gateway_only_runs_in_demo_mode() {
        let mut c = Config::for_database("sqlite://unused.db");
        c.payment_gateway = "sandbox".into();
        assert!(c.check_payment_gateway(false).is_err());
        assert!(c.check_payment_gateway(true).is_ok());
        c.payment_gateway = "SANDBOX".into();
        assert!(c.check_payment_gateway(false).is_err());
        for other in ["paygov", "none"] {
            c.payment_gateway = other.into();
            assert!(c.check_payment_gateway(false).is_ok());
        }
    }

    #[test]
    fn an_empty_metrics_token_is_unset_and_a_short_one_refused() {
        let mut c = Config::for_database("sqlite://unused.db");
        c.metrics_token = Some(String::new());
        assert!(c.check_metrics_token().is_ok());
        assert_eq!(c.metrics_token, None);
        c.metrics_token = Some("short".into());
        assert!(c
            .check_metrics_token()
            .unwrap_err()
            .contains("METRICS_TOKEN"));
        c.metrics_token = Some("x".repeat(32));
        assert!(c.check_metrics_token().is_ok());
    }

    #[test]
    fn trusted_proxies_parse_as_cidr_blocks() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        let w = Wrapper::try_parse_from([
            "motcua",
            "--trusted-proxies",
            "10.0.0.0/8,192.0.2.1,2001:db8::/32",
        ])
        .unwrap();
        assert_eq!(w.config.trusted_proxies.len(), 3);
        assert!(Wrapper::try_parse_from(["motcua", "--trusted-proxies", "10.0.0.0/99"]).is_err());
    }
}
