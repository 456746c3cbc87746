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

/// Query parameters whose values are never personal data nor credentials (paging, filters
/// by status, date or administrative unit): the access log shows them as sent. Every other
/// parameter (`pin`, `token`, `q`, which may be an ID number, and any name not listed
/// here) is logged as `name=[redacted]`.
const LOGGABLE_QUERY_PARAMS: &[&str] = &[
    "active",
    "after",
    "assignee",
    "at",
    "case",
    "channel",
    "commune_code",
    "cursor",
    "date",
    "due_within_days",
    "field",
    "format",
    "from",
    "item",
    "kind",
    "limit",
    "measure",
    "mode",
    "offset",
    "online_level",
    "overdue",
    "period",
    "procedure",
    "procedure_code",
    "province_code",
    "published_in",
    "received_from",
    "received_to",
    "role",
    "scope",
    "scope_code",
    "sort",
    "source",
    "status",
    "to",
    "types",
    "unit",
    "unit_type",
    "year",
];

/// `METHOD /path?query HTTP/x` for the access log, with the value of every query
/// parameter not in [`LOGGABLE_QUERY_PARAMS`] replaced by `[redacted]`.
pub fn redacted_request_line(method: &str, path: &str, query: &str, version: &str) -> String {
    let mut line = format!("{method} {path}");
    if !query.is_empty() {
        line.push('?');
        line.push_str(&redact_query(query));
    }
    line.push(' ');
    line.push_str(version);
    line
}

pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if LOGGABLE_QUERY_PARAMS.contains(&name) || value.is_empty() {
                pair.to_string()
            } else {
                // Keep the name only when it is a plain identifier: a name is client text too.
                let safe = !name.is_empty()
                    && name.len() <= 40
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                format!("{}=[redacted]", if safe { name } else { "[param]" })
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_personal_data_leave_the_query() {
        let q = "pin=123456&token=abc.def&q=025190000001&limit=20&status=processing&x%3D=1";
        let r = redact_query(q);
        assert_eq!(
            r,
            "pin=[redacted]&token=[redacted]&q=[redacted]&limit=20&status=processing&[param]=[redacted]"
        );
        assert_eq!(
            redacted_request_line("GET", "/api/v1/dossiers", "q=0251", "HTTP/1.1"),
            "GET /api/v1/dossiers?q=[redacted] HTTP/1.1"
        );
        assert_eq!(
            redacted_request_line("GET", "/health", "", "HTTP/1.1"),
            "GET /health HTTP/1.1"
        );
    }
}
