use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use motcua::auth::{password, Role};
use motcua::catalog::{self, ImportMode, ImportOutcome};
use motcua::config::Config;
use motcua::db::{self, DbPool};
use motcua::domain::catalog::{parse_import, FileFormat};
use motcua::state::AppState;
use motcua::{app, logging, openapi, seed};

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
    let cli = Cli::parse();
    logging::init();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::GenerateDossiers {
            count,
            province,
            chunk,
            seed,
        } => with_migrated_conn(&cli.config, |conn| {
            let started = std::time::Instant::now();
            let report =
                motcua::bench_data::generate(conn, &province, count, chunk.max(1), seed, |done| {
                    eprintln!(
                        "{done}/{count} dossiers ({:.0}/s)",
                        done as f64 / started.elapsed().as_secs_f64()
                    );
                })?;
            log::info!(
                "{} dossiers across {} communes of province {province} in {:.1} s",
                report.inserted,
                report.communes,
                started.elapsed().as_secs_f64()
            );
            // The bulk insert bypasses the per-dossier refresh.
            rebuild_indicators(conn)
        }),
        Command::RebuildIndicators => with_migrated_conn(&cli.config, rebuild_indicators),
        Command::Openapi => {
            print!("{}", openapi::spec_json());
            Ok(())
        }
        Command::MockPortal { port } => mock_portal(port),
        Command::Migrate => migrate(&cli.config),
        Command::Seed => with_migrated_conn(&cli.config, |conn| seed_all(conn, cli.demo)),
        Command::Catalog { command } => match command {
            CatalogCommand::Import {
                file,
                partial,
                format,
            } => catalog_import(&cli.config, &file, partial, format),
            CatalogCommand::Export { format } => with_migrated_conn(&cli.config, |conn| {
                let text = catalog::export(conn, format.into()).map_err(|e| e.to_string())?;
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())
                    .and_then(|_| out.flush())
                    .map_err(|e| e.to_string())
            }),
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
        } => with_migrated_conn(&cli.config, |conn| audit_verify(conn, commune.as_deref())),
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

/// `motcua audit verify`: one line per chain, one per break; exit 1 when any is broken.
fn audit_verify(conn: &mut db::DbConn, commune: Option<&str>) -> Result<(), String> {
    use motcua::service::access_log;
    let reports = access_log::verify(conn, commune).map_err(|e| e.to_string())?;
    let mut broken = 0;
    let mut out = std::io::stdout().lock();
    for r in &reports {
        if r.is_valid() {
            let _ = writeln!(
                out,
                "ok      commune {}: {} entries",
                r.commune_code, r.entries
            );
            continue;
        }
        broken += 1;
        for b in &r.breaks {
            let id = b
                .entry_id
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "BROKEN  commune {}: entry {}{id}: {}",
                r.commune_code, b.seq, b.problem
            );
        }
    }
    let _ = writeln!(
        out,
        "{} chain(s) checked, {} entries, {broken} broken",
        reports.len(),
        reports.iter().map(|r| r.entries).sum::<i64>()
    );
    let _ = out.flush();
    if broken > 0 {
        return Err(format!("{broken} access-log chain(s) broken"));
    }
    Ok(())
}

fn pool_for(config: &Config) -> DbPool {
    db::build_pool(
        &config.database_url,
        config.db_pool_size,
        Duration::from_secs(config.db_connect_timeout_secs),
    )
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

fn with_migrated_conn<T>(
    config: &Config,
    f: impl FnOnce(&mut db::DbConn) -> Result<T, String>,
) -> Result<T, String> {
    // One connection: a larger pool refills its idle connection on a background thread, and
    // a command that exits while that thread is inside libpq can die of a signal.
    let pool = db::build_pool(
        &config.database_url,
        1,
        Duration::from_secs(config.db_connect_timeout_secs),
    );
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    conn.apply_migrations()?;
    f(&mut conn)
}

/// Registry and sample catalog; with `demo`, the sample catalog is also published in the
/// demo commune.
fn seed_all(conn: &mut db::DbConn, demo: bool) -> Result<(), String> {
    let (p, c) = seed::seed_registry(conn)?;
    log::info!("provinces: {p:?}; communes: {c:?}");
    let catalog = seed::seed_catalog(conn)?;
    log::info!("sample procedures: {catalog:?}");
    let fees = seed::seed_fee_schedules(conn)?;
    log::info!("national fee schedules: {fees:?}");
    if demo {
        let published = seed::publish_sample_catalog(conn, seed::DEMO_COMMUNE)?;
        log::info!(
            "sample procedures published in {}: {published:?}",
            seed::DEMO_COMMUNE
        );
        // The sandbox platform needs a beneficiary account to offer online payment; the
        // demo commune gets an obviously fictitious one (never in production: only --demo).
        if motcua::service::beneficiary::get(
            conn,
            motcua::service::beneficiary::Scope::Commune,
            seed::DEMO_COMMUNE,
        )
        .map_err(|e| e.to_string())?
        .is_none()
        {
            motcua::service::beneficiary::set(
                conn,
                motcua::service::beneficiary::Scope::Commune,
                seed::DEMO_COMMUNE,
                &motcua::payments::Beneficiary {
                    account_name: "TAI KHOAN DEMO - KHONG CO THAT".into(),
                    account_no: "0000000000".into(),
                    bank_code: "DEMO".into(),
                },
                "seed",
                motcua::clock::now(),
            )
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// `catalog import`: parse first (to size the progress bar), then the shared import path.
/// indicatif draws the bar on standard error only when it is a terminal.
fn catalog_import(
    config: &Config,
    file: &Path,
    partial: bool,
    format: Option<FormatArg>,
) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let format = format.map(FileFormat::from).unwrap_or_else(|| {
        let json = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json {
            FileFormat::Json
        } else {
            FileFormat::Csv
        }
    });
    let mode = if partial {
        ImportMode::Partial
    } else {
        ImportMode::AllOrNothing
    };
    let parsed = parse_import(format, &bytes);
    let bar = indicatif::ProgressBar::new(parsed.items.len() as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} procedures ({elapsed})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let outcome = with_migrated_conn(config, |conn| {
        catalog::import_parsed(conn, parsed, mode, None, &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .map_err(|e| e.to_string())
    })?;
    bar.finish_and_clear();
    print_report(&outcome);
    if outcome.applied {
        Ok(())
    } else {
        Err(format!(
            "nothing imported: {} finding(s) in {}",
            outcome.issues.len(),
            file.display()
        ))
    }
}

fn print_report(o: &ImportOutcome) {
    for i in &o.issues {
        eprintln!(
            "row {} {} {}: {}",
            i.row,
            i.code.as_deref().unwrap_or("-"),
            i.field,
            i.message.en
        );
    }
    println!(
        "{} procedure(s): {} inserted, {} updated, {} unchanged, {} rejected{}",
        o.total,
        o.inserted,
        o.updated,
        o.unchanged,
        o.rejected,
        if o.applied { "" } else { " (nothing written)" }
    );
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
        let user = motcua::db::models::user::create_account(
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
            match motcua::payments::ledger::reconcile(
                &state.pool,
                &state.config,
                gateway.as_ref(),
                motcua::clock::now(),
            ) {
                Ok(r) if r.checked > 0 => log::info!("payments reconciled: {r:?}"),
                Ok(_) => {}
                Err(e) => log::warn!("payment reconciliation failed: {}", e.code),
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
        seed_all(&mut conn, true)?;
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

fn rebuild_indicators(conn: &mut motcua::db::DbConn) -> Result<(), String> {
    let started = std::time::Instant::now();
    let n = motcua::db::models::indicator::rebuild(conn).map_err(|e| e.to_string())?;
    log::info!(
        "indicators rebuilt from {n} dossiers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
