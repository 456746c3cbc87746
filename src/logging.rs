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

/// Target of the access log lines (one per request, written by `api::metrics::track`).
pub const ACCESS_TARGET: &str = "motcua::access";

/// `LOG_FORMAT`: lines for people, or one JSON object per line for a log pipeline.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// env_logger with `RUST_LOG` (default `info`) and the request id on every line of a request.
pub fn init(format: LogFormat) {
    let env = env_logger::Env::default().default_filter_or("info,actix_server=warn");
    let mut builder = env_logger::Builder::from_env(env);
    match format {
        LogFormat::Text => builder.format(|buf, record| {
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
        }),
        LogFormat::Json => builder.format(|buf, record| {
            let line = json_line(
                &buf.timestamp_millis().to_string(),
                record,
                current_request_id(),
            );
            writeln!(buf, "{line}")
        }),
    };
    let _ = builder.try_init();
}

/// One log record as one JSON object (serde_json escapes newlines, so a message spanning
/// lines stays one line).
pub fn json_line(ts: &str, record: &log::Record, request_id: Option<String>) -> String {
    let mut line = serde_json::json!({
        "ts": ts,
        "level": record.level().as_str(),
        "target": record.target(),
        "msg": record.args().to_string(),
    });
    if let Some(id) = request_id {
        line["request_id"] = serde_json::Value::String(id);
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_is_one_object_with_the_request_id_as_a_field() {
        let args = format_args!("two\nlines \"quoted\"");
        let record = log::Record::builder()
            .args(args)
            .level(log::Level::Warn)
            .target("motcua::access")
            .build();
        let line = json_line("2026-12-07T21:00:00.000Z", &record, Some("req-1".into()));
        assert!(!line.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["request_id"], "req-1");
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["target"], "motcua::access");
        assert_eq!(v["msg"], "two\nlines \"quoted\"");
        let bare = json_line("t", &record, None);
        assert!(serde_json::from_str::<serde_json::Value>(&bare)
            .unwrap()
            .get("request_id")
            .is_none());
    }
}
