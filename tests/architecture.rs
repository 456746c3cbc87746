//! The layout carries the architecture (README, "Code map"): this test reads the source tree
//! and fails when a layer reaches where it must not.
//!
//! - `api/` speaks HTTP only: no diesel, no SQL; files stay short enough to read, and so do
//!   handlers.
//! - Only `db/` names a backend (`DbConn::Pg`, `DbConn::Sqlite`).
//! - `db/` is the bottom layer: it imports nothing from `portal/`, `auth/`, `service/`, `api/`.
//! - `service/` has no actix and does not call up into `api/`: a use case runs the same from
//!   a handler, the CLI or a test.
//! - `cli/` calls services, never handlers.

use std::fs;
use std::path::{Path, PathBuf};

/// A file of `api/` longer than this is split into a folder per feature.
const MAX_API_FILE_LINES: usize = 600;
/// A handler longer than this does more than extract → call a service → render.
const MAX_HANDLER_LINES: usize = 60;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its text and its path relative to `src/`.
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(path) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = src();
    let mut files = Vec::new();
    walk(&root.join(dir), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).expect("read source");
            let rel = p.strip_prefix(&root).unwrap().display().to_string();
            (rel, text)
        })
        .collect()
}

/// Lines of code, without comments (a doc comment may name what the code must not use).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

fn assert_none(found: Vec<String>, rule: &str) {
    assert!(found.is_empty(), "{rule}:\n{}", found.join("\n"));
}

/// `file:line: text` for every code line of the files under `dir` containing one of `needles`.
fn offending(dir: &str, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in sources(dir) {
        for (n, line) in code_lines(&text) {
            if needles.iter().any(|x| line.contains(x)) {
                found.push(format!("src/{path}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

#[test]
fn handlers_do_not_touch_the_database() {
    let found = offending("api", &["diesel", "sql_query", "DbConn::"]);
    assert_none(found, "api/ must call a service, not the database");
}

#[test]
fn only_db_names_a_backend() {
    let mut found = Vec::new();
    for (path, text) in sources("") {
        if path.starts_with("db/") || path.starts_with("db\\") {
            continue;
        }
        for (n, line) in code_lines(&text) {
            if line.contains("DbConn::Pg") || line.contains("DbConn::Sqlite") {
                found.push(format!("src/{path}:{n}: {}", line.trim()));
            }
        }
    }
    assert_none(found, "only db/ may name a backend");
}

#[test]
fn db_is_the_bottom_layer() {
    let found = offending(
        "db",
        &[
            "crate::portal",
            "crate::auth",
            "crate::service",
            "crate::api",
            "crate::payments",
        ],
    );
    assert_none(found, "db/ must not import the layers above it");
}

#[test]
fn services_do_not_speak_http() {
    let found = offending(
        "service",
        &["actix_web", "HttpResponse", "HttpRequest", "crate::api"],
    );
    assert_none(found, "service/ must not depend on actix or on api/");
}

#[test]
fn the_cli_calls_services_not_handlers() {
    let found = offending("cli", &["crate::api"]);
    assert_none(found, "cli/ must call services, not handlers");
    assert!(src().join("cli").is_dir(), "the CLI lives in src/cli/");
}

#[test]
fn handler_files_stay_readable() {
    let long: Vec<String> = sources("api")
        .into_iter()
        .filter(|(_, text)| text.lines().count() > MAX_API_FILE_LINES)
        .map(|(path, text)| format!("src/{path}: {} lines", text.lines().count()))
        .collect();
    assert_none(
        long,
        &format!(
            "split these api/ files into a folder per feature (at most {MAX_API_FILE_LINES} lines)"
        ),
    );
}

/// A handler is an `async fn` under a route attribute; it ends at the first line that is a
/// lone `}` at its own indentation.
#[test]
fn handlers_stay_short() {
    let mut long = Vec::new();
    for (path, text) in sources("api") {
        let lines: Vec<&str> = text.lines().collect();
        let mut routed = false;
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            if ["#[get(", "#[post(", "#[put(", "#[patch(", "#[delete("]
                .iter()
                .any(|a| t.starts_with(a))
            {
                routed = true;
                continue;
            }
            if !(routed && t.contains("async fn ")) {
                continue;
            }
            routed = false;
            let indent = line.len() - t.len();
            let close = format!("{}}}", " ".repeat(indent));
            let end = lines[i..]
                .iter()
                .position(|l| *l == close)
                .map(|p| i + p)
                .unwrap_or(lines.len() - 1);
            let length = end - i + 1;
            if length > MAX_HANDLER_LINES {
                let name = t
                    .split("fn ")
                    .nth(1)
                    .and_then(|s| s.split('(').next())
                    .unwrap_or("?");
                long.push(format!("src/{path}:{}: {name}: {length} lines", i + 1));
            }
        }
    }
    assert_none(
        long,
        &format!("handlers extract, call a service and render (at most {MAX_HANDLER_LINES} lines); move the rest into service/"),
    );
}
