use std::io::Read;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use motcua::auth::{password, Role};
use motcua::config::Config;
use motcua::db::{self, DbPool};
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

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the reference data (provinces, communes) idempotently.
    Seed,
    /// Print the OpenAPI document.
    Openapi,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
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
        Command::Openapi => {
            print!("{}", openapi::spec_json());
            Ok(())
        }
        Command::Migrate => migrate(&cli.config),
        Command::Seed => with_migrated_conn(&cli.config, |conn| {
            let (p, c) = seed::seed_registry(conn)?;
            log::info!("provinces: {p:?}; communes: {c:?}");
            Ok(())
        }),
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
        Command::Serve => serve(cli.config, cli.demo),
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

fn with_migrated_conn(
    config: &Config,
    f: impl FnOnce(&mut db::DbConn) -> Result<(), String>,
) -> Result<(), String> {
    let pool = pool_for(config);
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    conn.apply_migrations()?;
    f(&mut conn)
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

fn serve(mut config: Config, demo: bool) -> Result<(), String> {
    config.resolve_jwt_secret(demo)?;
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
    }

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

fn prepare_database(pool: &DbPool, demo: bool) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| format!("cannot connect: {e}"))?;
    let applied = conn.apply_migrations()?;
    if !applied.is_empty() {
        log::info!("applied migrations: {}", applied.join(", "));
    }
    if demo {
        let (p, c) = seed::seed_registry(&mut conn)?;
        log::info!("reference data: provinces {p:?}, communes {c:?}");
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
