use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use motcua::auth::password;
use motcua::cli::{self, pool_for, rebuild_indicators, seed, with_migrated_conn};
use motcua::config::Config;
use motcua::db::DbPool;
use motcua::domain::catalog::FileFormat;
use motcua::domain::roles::Role;
use motcua::state::AppState;
use motcua::{app, logging, openapi};

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Backend for commune one-stop administrative service centers"
)]
struct Cli {
    #[command(flatten)]
    config: Config,

    /// Demo mode: embedded data, demo accounts for every role (passwords printed once),
    /// and a generated JWT secret when none is set.
    #[arg(long, global = true)]
    demo: bool,

    /// Benchmarks and tests only: run `PAYMENT_GATEWAY=sandbox` (anyone may mark a payment
    /// paid) without --demo. A deliberate flag, not a variable, so no environment file can
    /// turn it on by accident.
    #[arg(long, global = true, hide = true)]
    insecure_sandbox_payments: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the reference data (provinces, communes) and the sample procedure catalog,
    /// idempotently; with --demo also publish the sample catalog in the demo commune.
    Seed,
    /// Benchmark data: N synthetic dossiers across every commune of a province (needs `seed`).
    GenerateDossiers {
        #[arg(long, default_value_t = 1_000_000)]
        count: i64,
        #[arg(long, default_value = "25")]
        province: String,
        /// Rows per INSERT statement (each its own transaction).
        #[arg(long, alias = "batch", default_value_t = 50_000)]
        chunk: i64,
        /// Varies statuses, procedures and lookup PINs between runs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Recompute the indicator aggregates (dossier facts, daily and monthly sums) from the raw
    /// tables: after a bulk load, or to repair. The server keeps them current on its own;
    /// while this runs (about 2.5 minutes per million dossiers on PostgreSQL) dossier changes
    /// wait for it.
    RebuildIndicators,
    /// Print the OpenAPI document.
    Openapi,
    /// Run a stand-in national portal on loopback (for demos and benchmarks) until SIGINT or
    /// SIGTERM: it accepts every message and prints a count every 5 seconds.
    MockPortal {
        #[arg(long, default_value_t = 18090)]
        port: u16,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import or export the procedure catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Check the personal-data access log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain of every commune (or one) and report where it breaks: a
    /// deleted entry, an edited one, a broken link, entries missing at the end. Exits 1 when
    /// any chain is broken.
    Verify {
        /// Only this commune's chain.
        #[arg(long)]
        commune: Option<String>,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Import procedures from a CSV or JSON file: an idempotent upsert by code, the same code
    /// path as POST /api/v1/procedures/import. Prints the validation report.
    Import {
        /// The file; its format comes from the extension (.json, else CSV) unless --format says.
        file: PathBuf,
        /// Import the valid procedures and report the others (default: all or nothing).
        #[arg(long)]
        partial: bool,
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
    /// Write the catalog (latest version of every procedure) to standard output.
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: FormatArg,
    },
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum FormatArg {
    Csv,
    Json,
}

impl From<FormatArg> for FileFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Csv => FileFormat::Csv,
            FormatArg::Json => FileFormat::Json,
        }
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: Role,
        #[arg(long)]
        commune: Option<String>,
        #[arg(long)]
        province: Option<String>,
        #[arg(long)]
        full_name: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    // `.env` in the working directory, as .env.example says; a variable already in the
    // environment wins. Read before parsing, since every option can come from a variable.
    let env_file = load_env_file(std::path::Path::new(".env"));
    let cli = Cli::parse();
    logging::init(cli.config.log_format);
    match env_file {
        Ok(true) => log::info!("settings read from .env (the environment wins over it)"),
        Ok(false) => {}
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::GenerateDossiers {
            count,
            province,
            chunk,
            seed,
        } => with_migrated_conn(&cli.config, |conn| {
            cli::bench_data::run(conn, &province, count, chunk, seed)
        }),
        Command::RebuildIndicators => with_migrated_conn(&cli.config, rebuild_indicators),
        Command::Openapi => {
            print!("{}", openapi::spec_json());
            Ok(())
        }
        Command::MockPortal { port } => mock_portal(port),
        Command::Migrate => migrate(&cli.config),
        Command::Seed => with_migrated_conn(&cli.config, |conn| seed::seed_all(conn, cli.demo)),
        Command::Catalog { command } => match command {
            CatalogCommand::Import {
                file,
                partial,
                format,
            } => cli::catalog::import(&cli.config, &file, partial, format.map(FileFormat::from)),
            CatalogCommand::Export { format } => cli::catalog::export(&cli.config, format.into()),
        },
        Command::User { command } => match command {
            UserCommand::Create {
                username,
                role,
                commune,
                province,
                full_name,
                password_stdin: _,
            } => create_user(&cli.config, username, role, commune, province, full_name),
        },
        Command::Audit {
            command: AuditCommand::Verify { commune },
        } => with_migrated_conn(&cli.config, |conn| {
            cli::audit::verify(conn, commune.as_deref())
        }),
        Command::Serve => serve(cli.config, cli.demo, cli.insecure_sandbox_payments),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Loads `path` when it exists, without overriding variables already set. A file that
/// exists but cannot be read or parsed is an error: starting with half of its settings
/// would be worse than not starting.
fn load_env_file(path: &std::path::Path) -> Result<bool, String> {
    if !path.exists() {
        return Ok(false);
    }
    dotenvy::from_path(path)
        .map(|_| true)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn migrate(config: &Config) -> Result<(), String> {
    let pool = pool_for(config);
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let applied = conn.apply_migrations()?;
    log::info!(
        "{} migration(s) applied on {}",
        applied.len(),
        conn.backend().name()
    );
    Ok(())
}

fn create_user(
    config: &Config,
    username: String,
    role: Role,
    commune: Option<String>,
    province: Option<String>,
    full_name: Option<String>,
) -> Result<(), String> {
    let mut pw = String::new();
    std::io::stdin()
        .read_to_string(&mut pw)
        .map_err(|e| e.to_string())?;
    let pw = pw.lines().next().unwrap_or("").to_string();
    if pw.chars().count() < 10 {
        return Err(
            "the password read from standard input must have at least 10 characters".into(),
        );
    }
    with_migrated_conn(config, |conn| {
        let user = motcua::service::users::create_account(
            conn,
            &username,
            full_name.as_deref().unwrap_or(&username),
            &password::hash(&pw),
            role,
            commune,
            province,
        )?;
        log::info!(
            "account {} ({}) created with id {}",
            user.username,
            user.role,
            user.id
        );
        println!("{}", user.id);
        Ok(())
    })
}

fn serve(mut config: Config, demo: bool, insecure_sandbox: bool) -> Result<(), String> {
    config.resolve_jwt_secret(demo)?;
    if !demo && config.result_signing_keys.is_none() {
        return Err("RESULT_SIGNING_KEYS is not set: digital results need a sealing key \
                    (e.g. `export RESULT_SIGNING_KEYS=\"$(date +%Y):$(openssl rand -base64 32)\"`), or start with --demo"
            .into());
    }
    config.check_payment_gateway(demo || insecure_sandbox)?;
    config.check_metrics_token()?;
    if insecure_sandbox && !demo {
        log::warn!("--insecure-sandbox-payments: anyone can mark a payment as paid (benchmarks and tests only)");
    }
    if demo && config.payment_gateway == "none" {
        // Demo mode pays through the in-process sandbox so online payment can be tried.
        config.payment_gateway = "sandbox".into();
    }
    let pool = pool_for(&config);
    let state = AppState::new(config.clone(), pool.clone())?;
    log::info!(
        "motcua {} starting on {} with {} ({})",
        env!("CARGO_PKG_VERSION"),
        config.bind,
        state.backend.name(),
        if demo { "demo mode" } else { "production mode" }
    );

    let stop = Arc::new(AtomicBool::new(false));
    // Migrations (and demo data) before serving when the database answers; otherwise the
    // server still starts, /ready says 503, and a background thread retries until it can.
    if let Err(e) = prepare_database(&pool, demo) {
        log::error!("database not ready: {e}; serving 503 and retrying in the background");
        let (pool, state, stop) = (pool.clone(), state.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_secs(2));
                match prepare_database(&pool, demo) {
                    Ok(()) => {
                        log::info!("database ready");
                        state.set_migrated();
                        return;
                    }
                    Err(e) => log::warn!("database still not ready: {e}"),
                }
            }
        });
    } else {
        state.set_migrated();
        // Warm the in-memory commune index so the first searches do not all build it.
        if let Ok(mut conn) = pool.get() {
            if let Err(e) = state.registry.load(&mut conn) {
                log::warn!("commune index not loaded at start: {e}");
            }
        }
    }

    spawn_reconciler(&state, stop.clone());
    spawn_delivery_workers(&state, stop.clone());

    let workers = config
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let result = actix_web::rt::System::new().block_on(async move {
        let server = actix_web::HttpServer::new(move || app::build(state.clone()))
            .workers(workers)
            .shutdown_timeout(30)
            .bind(&config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        log::info!(
            "listening on http://{} (Swagger UI at /swagger-ui/)",
            config.bind
        );
        // actix stops accepting on SIGINT/SIGTERM and lets in-flight requests finish.
        server.run().await.map_err(|e| e.to_string())
    });
    stop.store(true, Ordering::Relaxed);
    log::info!("stopped");
    result
}

/// Settles online payments left open past their time, every
/// `PAYMENT_RECONCILE_INTERVAL_SECS`. Safe with several instances: settlement is a
/// compare-and-set, so each payment ends once.
fn spawn_reconciler(state: &AppState, stop: Arc<AtomicBool>) {
    let (Some(gateway), interval) = (
        state.payment_gateway.clone(),
        state.config.payment_reconcile_interval_secs,
    ) else {
        return;
    };
    if interval == 0 {
        return;
    }
    let state = state.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_secs(interval));
            if !state.is_migrated() {
                continue;
            }
            let now = motcua::clock::now();
            match motcua::payments::ledger::reconcile(
                &state.pool,
                &state.config,
                gateway.as_ref(),
                now,
            ) {
                Ok(r) => {
                    let outcomes = [
                        ("succeeded", r.succeeded),
                        ("failed", r.failed),
                        ("expired", r.expired),
                        ("unreachable", r.unreachable),
                    ];
                    state
                        .metrics
                        .reconciled(Ok(&outcomes), now.timestamp() as f64);
                    if r.checked > 0 {
                        log::info!("payments reconciled: {r:?}");
                    }
                }
                Err(e) => {
                    state.metrics.reconciled(Err(()), 0.0);
                    log::warn!("payment reconciliation failed: {}", e.code);
                }
            }
        }
    });
}

/// Portal outbox workers (`PORTAL_WORKERS`, when a portal is configured) and one webhook
/// worker. Each loops claim → send → mark; idle, it sleeps `PORTAL_POLL_MS`.
fn spawn_delivery_workers(state: &AppState, stop: Arc<AtomicBool>) {
    let cfg = motcua::portal::outbox::DeliveryConfig::from_config(&state.config);
    let poll = Duration::from_millis(state.config.portal_poll_ms.max(10));
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "motcua".into());
    if let Some(client) = state.portal_client.clone() {
        for n in 0..state.config.portal_workers.max(1) {
            let (state, stop, client, cfg) =
                (state.clone(), stop.clone(), client.clone(), cfg.clone());
            let worker = format!("{host}-{}-{n}", std::process::id());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if !state.is_migrated() {
                        std::thread::sleep(poll);
                        continue;
                    }
                    match motcua::portal::outbox::deliver_once(
                        &state.pool,
                        client.as_ref(),
                        &worker,
                        &motcua::clock::now,
                        &cfg,
                    ) {
                        Ok(r) if r.claimed > 0 => log::debug!("portal worker {worker}: {r:?}"),
                        Ok(_) => std::thread::sleep(poll),
                        Err(e) => {
                            log::warn!("portal worker {worker}: {e}");
                            std::thread::sleep(poll);
                        }
                    }
                }
            });
        }
    }
    let (state, agent) = (
        state.clone(),
        motcua::portal::outbound::agent(
            Arc::new(motcua::portal::outbound::OutboundPolicy::new(
                &state.config.webhook_allowed_http_hosts,
            )),
            Duration::from_millis(state.config.portal_timeout_ms),
        ),
    );
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if !state.is_migrated() {
                std::thread::sleep(poll);
                continue;
            }
            match motcua::portal::webhooks::deliver_once(
                &state.pool,
                &agent,
                motcua::clock::now(),
                &cfg,
            ) {
                Ok(r) if r.claimed > 0 => log::debug!("webhook worker: {r:?}"),
                Ok(_) => std::thread::sleep(poll),
                Err(e) => {
                    log::warn!("webhook worker: {e}");
                    std::thread::sleep(poll);
                }
            }
        }
    });
}

fn mock_portal(port: u16) -> Result<(), String> {
    motcua::portal::mock::MockPortal::serve_forever(port).map_err(|e| e.to_string())
}

fn prepare_database(pool: &DbPool, demo: bool) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| format!("cannot connect: {e}"))?;
    let applied = conn.apply_migrations()?;
    if !applied.is_empty() {
        log::info!("applied migrations: {}", applied.join(", "));
    }
    if demo {
        seed::seed_all(&mut conn, true)?;
        let accounts = seed::demo_accounts(&mut conn)?;
        let mut table =
            String::from("demo accounts (passwords shown once, reset at every --demo start):\n");
        for (username, role, pw) in accounts {
            table.push_str(&format!("    {username:<28} {:<20} {pw}\n", role.as_str()));
        }
        log::warn!("{table}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn options_are_accepted_before_and_after_the_subcommand() {
        for args in [
            &["motcua", "serve", "--bind", "0.0.0.0:8080"][..],
            &["motcua", "--bind", "0.0.0.0:8080", "serve"][..],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert!(matches!(cli.command, Some(Command::Serve)));
            assert_eq!(cli.config.bind, "0.0.0.0:8080");
        }
        let cli = Cli::try_parse_from([
            "motcua",
            "seed",
            "--demo",
            "--database-url",
            "sqlite://x.db",
        ])
        .unwrap();
        assert!(cli.demo && matches!(cli.command, Some(Command::Seed)));
        assert_eq!(cli.config.database_url, "sqlite://x.db");
        let cli = Cli::try_parse_from(["motcua", "serve", "--log-format", "json"]).unwrap();
        assert_eq!(cli.config.log_format, logging::LogFormat::Json);
        assert!(Cli::try_parse_from(["motcua", "serve", "--log-format", "xml"]).is_err());
        // Every subcommand's own flags still parse next to the shared ones.
        Cli::command().debug_assert();
    }

    #[test]
    fn the_env_file_fills_in_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        assert_eq!(load_env_file(&path), Ok(false));
        std::fs::write(
            &path,
            "MOTCUA_TEST_DOTENV_A=from-file\nMOTCUA_TEST_DOTENV_B=from-file\n",
        )
        .unwrap();
        std::env::set_var("MOTCUA_TEST_DOTENV_B", "from-environment");
        assert_eq!(load_env_file(&path), Ok(true));
        assert_eq!(std::env::var("MOTCUA_TEST_DOTENV_A").unwrap(), "from-file");
        assert_eq!(
            std::env::var("MOTCUA_TEST_DOTENV_B").unwrap(),
            "from-environment"
        );
        std::fs::write(&path, "NOT A VALID LINE 'unterminated\n").unwrap();
        assert!(load_env_file(&path).unwrap_err().contains(".env"));
    }
}
