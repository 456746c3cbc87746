//! Test harness: every test gets its own database (a temp SQLite file, or a fresh schema in
//! the PostgreSQL named by MOTCUA_TEST_POSTGRES_URL) and drives the real HTTP app.
#![allow(dead_code, clippy::result_large_err)]

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::Value;

use motcua::auth::password;
use motcua::config::Config;
use motcua::db::models::user::User;
use motcua::db::{self, Backend, DbConn, DbPool};
use motcua::domain::roles::Role;
use motcua::state::AppState;

pub mod portal;
pub mod results;

pub const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";
pub const TEST_PASSWORD: &str = "mat-khau-thu-nghiem";
pub const KIM_BOI: &str = "04978"; // Xã Kim Bôi, Phú Thọ (25)
pub const HOA_BINH: &str = "04795"; // Phường Hoà Bình, Phú Thọ (25)
pub const BA_DINH: &str = "00004"; // Phường Ba Đình, Hà Nội (01)

/// Helper functions generic over the app under test (what `init_service` returns), so a
/// suite's helpers take `&app` without naming its type.
#[macro_export]
macro_rules! app_fn {
    ($(async fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block)+) => {$(
        async fn $name<S, B>($($arg: $ty),*) -> $ret
        where
            S: actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
            B: actix_web::body::MessageBody,
        $body
    )+};
}

/// Runs each listed test body once per backend: `mod name { fn sqlite(); fn postgres(); }`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($ctx:ident) $body:block)+) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let $ctx = $crate::common::TestApp::new(motcua::db::Backend::Sqlite).await;
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let Some($ctx) = $crate::common::TestApp::postgres().await else { return };
                $body
            }
        }
    )+};
}

pub fn pg_admin_url() -> Option<String> {
    match std::env::var("MOTCUA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => {
            panic!("CI is set but MOTCUA_TEST_POSTGRES_URL is not: the PostgreSQL half of the suite must run")
        }
        _ => {
            eprintln!("MOTCUA_TEST_POSTGRES_URL not set: skipping the PostgreSQL run of this test");
            None
        }
    }
}

/// A database that disappears with the test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestDb {
            url,
            backend: Backend::Sqlite,
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    pub fn postgres() -> Option<TestDb> {
        let admin = pg_admin_url()?;
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn =
            diesel::PgConnection::establish(&admin).expect("connect to MOTCUA_TEST_POSTGRES_URL");
        conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create schema");
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-csearch_path%3D{schema}");
        Some(TestDb {
            url,
            backend: Backend::Postgres,
            _dir: None,
            pg_schema: Some((admin, schema)),
        })
    }

    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres(),
        }
    }

    pub fn pool(&self, size: u32) -> DbPool {
        db::build_pool(&self.url, size, Duration::from_secs(10))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, schema)) = &self.pg_schema {
            if let Ok(mut conn) = diesel::PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
            }
        }
    }
}

pub fn test_config(url: &str) -> Config {
    let mut c = Config::for_database(url);
    c.jwt_secret = Some(TEST_SECRET.to_string());
    c.db_pool_size = 8;
    c.db_connect_timeout_secs = 10;
    c.payment_gateway = "sandbox".into();
    c.payment_sandbox_secret = Some(SANDBOX_SECRET.into());
    // One fixed sealing key, so that several app instances agree on seals.
    c.result_signing_keys = Some(format!("test-2026:{}", "A".repeat(43)));
    // Webhook receivers of the tests listen on loopback over plain HTTP.
    c.webhook_allowed_http_hosts = vec!["127.0.0.1".into()];
    c
}

/// The sandbox payment gateway's secret in tests: tests sign platform callbacks with it.
pub const SANDBOX_SECRET: &str = "sandbox-secret-for-tests";

pub struct TestApp {
    pub state: AppState,
    pub db: TestDb,
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        Self::with(TestDb::new(backend).expect("database"), |_| {}).await
    }

    pub async fn postgres() -> Option<TestApp> {
        Some(Self::with(TestDb::postgres()?, |_| {}).await)
    }

    /// Migrated, with the registry of Phú Thọ and Hà Nội loaded.
    pub async fn with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = test_config(&db.url);
        tweak(&mut config);
        let pool = db.pool(config.db_pool_size);
        let state = AppState::new(config, pool).expect("state");
        state
            .db(|conn| {
                conn.apply_migrations().expect("migrations");
                motcua::cli::seed::seed_registry_of(conn, Some(&["25", "01"])).expect("seed");
                Ok(())
            })
            .await
            .expect("prepare database");
        state.set_migrated();
        TestApp { state, db }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    pub fn conn(&self) -> r2d2::PooledConnection<db::ConnectionManager> {
        self.state.pool.get().expect("connection")
    }

    /// Creates an account directly in the database (password TEST_PASSWORD) and returns it
    /// with a valid access token.
    pub fn user(&self, role: Role, commune: Option<&str>) -> (User, String) {
        let name = format!(
            "{}-{}",
            role.as_str().replace('_', "-"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        self.user_named(&name, role, commune)
    }

    pub fn user_named(&self, username: &str, role: Role, commune: Option<&str>) -> (User, String) {
        // Commune staff get their province from the commune; a supervisor gets Phú Thọ.
        let province = (role == Role::ProvinceSupervisor).then_some("25");
        let mut conn = self.conn();
        let user = motcua::service::users::create_account(
            &mut conn,
            username,
            &format!("Người dùng {username}"),
            test_password_hash(),
            role,
            commune.map(str::to_string),
            province.map(str::to_string),
        )
        .expect("create account");
        let token = self.token_for(&user);
        (user, token)
    }

    pub fn token_for(&self, user: &User) -> String {
        self.state.tokens.issue(
            &user.id,
            user.role,
            user.commune_code.as_deref(),
            user.province_code.as_deref(),
            user.session_epoch,
        )
    }

    pub fn with_conn<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        let mut conn = self.conn();
        f(&mut conn)
    }
}

/// One argon2 hash shared by every test account (hashing is deliberately slow).
pub fn test_password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash(TEST_PASSWORD))
}

/// A response, read whole: status, headers and the body as JSON (Null when empty).
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts the RFC 9457 shape and returns the `code`.
    pub fn problem_code(&self) -> &str {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.body
        );
        for key in [
            "type",
            "title",
            "status",
            "detail",
            "instance",
            "code",
            "request_id",
        ] {
            assert!(
                self.body.get(key).is_some(),
                "problem lacks {key}: {}",
                self.body
            );
        }
        assert_eq!(self.body["status"], self.status.as_u16());
        self.body["code"].as_str().unwrap()
    }
}

pub async fn call<S, B>(app: &S, req: TestRequest) -> Resp
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = actix_web::test::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = actix_web::test::read_body(res).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Resp {
        status,
        headers,
        body,
    }
}

pub fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

/// A `multipart/form-data` body: the text `fields` in order, then `file` (a PDF under the
/// given file name) if any. Returns the `Content-Type` (with its boundary) and the body.
pub fn multipart_form(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----motcua-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}
