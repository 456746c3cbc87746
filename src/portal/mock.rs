//! A stand-in for the national portal on loopback, for tests, benchmarks and demos
//! (`motcua mock-portal`): it speaks the HTTP client's protocol, records every call, and
//! can fail, refuse, be slow or hang on demand.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

/// How the mock answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// HTTP 503 at once (the portal is down).
    Down,
    /// `error_code` 1 (the portal refuses the data).
    Refuse,
    /// Answer after this many milliseconds.
    Slow(u64),
}

/// One call the portal received.
#[derive(Clone, Debug)]
pub struct Call {
    pub service: String,
    pub reference: String,
    pub dossier_code: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// Keep every call (tests) or only count them (long benchmark runs).
    record: bool,
    received: u64,
    mode: Option<Mode>,
    logins: u32,
}

fn http_server(
    listener: TcpListener,
    state: Arc<Mutex<State>>,
    record: bool,
) -> std::io::Result<actix_web::dev::Server> {
    state.lock().unwrap_or_else(|e| e.into_inner()).record = record;
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(web::JsonConfig::default().limit(16 << 20))
            .route("/login", web::post().to(login))
            .route("/{service}", web::post().to(receive))
    })
    .workers(2)
    .listen(listener)?
    .run())
}

#[derive(Clone)]
pub struct MockPortal {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: actix_web::dev::ServerHandle,
}

impl MockPortal {
    /// Starts on 127.0.0.1 (port 0: any free port) on a thread of its own.
    pub fn start(port: u16) -> std::io::Result<MockPortal> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = http_server(listener, shared, true).expect("listen");
                let _ = tx.send(server.handle());
                let _ = server.await;
            })
        });
        let server = rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(MockPortal { url, state, server })
    }

    /// Runs on this thread until SIGINT or SIGTERM (`motcua mock-portal`), printing how many
    /// messages arrived every few seconds. Keeps only counts, not bodies.
    pub fn serve_forever(port: u16) -> std::io::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        println!(
            "mock portal listening on http://{} (set PORTAL_URL to it)",
            listener.local_addr()?
        );
        let state = Arc::new(Mutex::new(State::default()));
        let counter = state.clone();
        std::thread::spawn(move || {
            let mut last = 0;
            loop {
                std::thread::sleep(Duration::from_secs(5));
                let n = counter.lock().unwrap_or_else(|e| e.into_inner()).received;
                if n != last {
                    println!("{n} messages received");
                    last = n;
                }
            }
        });
        actix_web::rt::System::new()
            .block_on(async move { http_server(listener, state, false)?.await })
    }
    pub fn set_mode(&self, mode: Mode) {
        self.lock().mode = Some(mode);
    }

    /// Every call received, in arrival order (re-deliveries included).
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn logins(&self) -> u32 {
        self.lock().logins
    }

    pub fn stop(&self) {
        let handle = self.server.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

type Shared = web::Data<Arc<Mutex<State>>>;

async fn login(state: Shared) -> HttpResponse {
    state.lock().unwrap_or_else(|e| e.into_inner()).logins += 1;
    HttpResponse::Ok().json(json!({"error_code": 0, "session": "mock-session"}))
}

async fn receive(
    state: Shared,
    service: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let mode = state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .mode
        .unwrap_or(Mode::Ok);
    match mode {
        Mode::Down => return HttpResponse::ServiceUnavailable().finish(),
        Mode::Slow(ms) => actix_web::rt::time::sleep(Duration::from_millis(ms)).await,
        _ => {}
    }
    let body = body.into_inner();
    if body["session"] != "mock-session" {
        return HttpResponse::Ok().json(json!({"error_code": -1, "message": "session expired"}));
    }
    if mode == Mode::Refuse {
        return HttpResponse::Ok()
            .json(json!({"error_code": 1, "message": "dữ liệu không hợp lệ"}));
    }
    let data = &body["data"];
    let code = data["MaHoSo"].as_str().unwrap_or("").to_string();
    state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .calls
        .push(Call {
            service: service.into_inner(),
            reference: body["MaYeuCau"].as_str().unwrap_or("").to_string(),
            dossier_code: code,
            body: body.clone(),
        });
    HttpResponse::Ok().json(json!({"error_code": 0}))
}
