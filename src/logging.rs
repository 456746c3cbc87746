//! Log lines carry the id of the request they belong to.
//!
//! The request-id middleware runs each request inside a task-local scope; blocking database
//! work copies the id into a thread-local (see `AppState::db`). The log format reads either.

use std::cell::RefCell;
use std::io::Write;

tokio::task_local! {
    pub static REQUEST_ID: String;
}

thread_local! {
    static THREAD_REQUEST_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID
        .try_with(|id| id.clone())
        .ok()
        .or_else(|| THREAD_REQUEST_ID.with(|c| c.borrow().clone()))
}

pub fn with_thread_request_id<T>(id: Option<String>, f: impl FnOnce() -> T) -> T {
    let previous = THREAD_REQUEST_ID.with(|c| c.replace(id));
    let out = f();
    THREAD_REQUEST_ID.with(|c| *c.borrow_mut() = previous);
    out
}

/// env_logger with `RUST_LOG` (default `info`) and the request id on every line of a request.
pub fn init() {
    let env = env_logger::Env::default().default_filter_or("info,actix_server=warn");
    let _ = env_logger::Builder::from_env(env)
        .format(|buf, record| {
            let ts = buf.timestamp_millis();
            match current_request_id() {
                Some(id) => writeln!(
                    buf,
                    "{ts} {:<5} {} [req {id}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                ),
                None => writeln!(
                    buf,
                    "{ts} {:<5} {} {}",
                    record.level(),
                    record.target(),
                    record.args()
                ),
            }
        })
        .try_init();
}
