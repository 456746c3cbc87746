//! The display board: a public Server-Sent Events stream per commune, and the one HTML page
//! a television's browser opens (`/display/{code}`, embedded in the binary).
//!
//! The stream reads the queue events table by id, so it works across instances: each
//! subscriber polls its commune's events once a second (one indexed query), and on this
//! instance a call wakes every subscriber at once. `Last-Event-ID` (sent by `EventSource` on
//! reconnection) resumes after the last event the board saw, so nothing is lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::error::ApiResult;
use crate::service::queue::{self, BoardEvent};
use crate::state::AppState;

/// How often a subscriber looks for events written by other instances.
const POLL: Duration = Duration::from_secs(1);
/// A comment line this often keeps proxies from closing an idle stream.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// What a new board (without `Last-Event-ID`) is sent at once.
const RECENT: i64 = 10;

static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();
/// Counts wake-ups, so that a subscriber not waiting at the moment of one (busy sending)
/// still sees it and reads at once instead of after its next poll.
static WAKES: AtomicU64 = AtomicU64::new(0);

/// Wakes this instance's subscribers: a board event was committed.
pub fn wake() {
    WAKES.fetch_add(1, Ordering::AcqRel);
    WAKE.notify_waiters();
}

fn frame(e: &BoardEvent) -> web::Bytes {
    let data = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
    web::Bytes::from(format!("id: {}\nevent: {}\ndata: {data}\n\n", e.id, e.kind))
}

struct Sub {
    state: web::Data<AppState>,
    code: String,
    last: i64,
    pending: std::collections::VecDeque<BoardEvent>,
    since_sent: Duration,
    /// The wake-up count at the last read.
    wakes: u64,
}

/// The display board's stream of a commune.
///
/// Public (a board shows numbers and counters, nothing personal). `text/event-stream`:
/// each event has an `id`, an `event` (`called`, `recalled`, `waiting`) and as `data` a
/// [`BoardEvent`] (the call with its Vietnamese announcement, the waiting count per
/// service). Without `Last-Event-ID` the last 10 events come first; with it, every event
/// after that id. Events reach subscribers of every instance within about a second.
#[utoipa::path(tag = "queue", params(("code" = String, Path, description = "Commune code"),
    ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses(
    (status = 200, description = "Server-sent events; each `data` is a BoardEvent", content_type = "text/event-stream", body = BoardEvent),
    (status = 404, description = "No such commune", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/communes/{code}/queue/stream")]
pub async fn board_stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let first = {
        let code = code.clone();
        state
            .db(move |conn| match resume {
                Some(after) => queue::board_events(conn, &code, after, 100),
                None => queue::recent_board_events(conn, &code, RECENT),
            })
            .await?
    };
    let last = first.last().map(|e| e.id).or(resume).unwrap_or(0);
    let sub = Sub {
        state,
        code,
        last,
        pending: first.into(),
        since_sent: Duration::ZERO,
        wakes: WAKES.load(Ordering::Acquire),
    };
    // A board reconnects a second after a cut (EventSource's default is a few seconds).
    let retry = futures_util::stream::once(std::future::ready(Ok::<_, actix_web::Error>(
        web::Bytes::from_static(b"retry: 1000\n\n"),
    )));
    let body = futures_util::StreamExt::chain(retry, futures_util::stream::unfold(sub, next_frame));
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // Compress would buffer the stream: `identity` tells api/compression.rs to leave it.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

async fn next_frame(mut s: Sub) -> Option<(Result<web::Bytes, actix_web::Error>, Sub)> {
    loop {
        if let Some(e) = s.pending.pop_front() {
            s.last = e.id;
            s.since_sent = Duration::ZERO;
            return Some((Ok(frame(&e)), s));
        }
        if s.since_sent >= KEEPALIVE {
            s.since_sent = Duration::ZERO;
            return Some((Ok(web::Bytes::from_static(b": keepalive\n\n")), s));
        }
        let waited = std::time::Instant::now();
        if WAKES.load(Ordering::Acquire) == s.wakes {
            let _ = tokio::time::timeout(POLL, WAKE.notified()).await;
        }
        s.wakes = WAKES.load(Ordering::Acquire);
        s.since_sent += waited.elapsed();
        let (code, after) = (s.code.clone(), s.last);
        match s
            .state
            .db(move |conn| queue::board_events(conn, &code, after, 100))
            .await
        {
            Ok(events) => s.pending.extend(events),
            // The database is away: end the stream; EventSource reconnects with its
            // Last-Event-ID and loses nothing.
            Err(_) => return None,
        }
    }
}

/// The display page for a television's browser: large numbers, the last calls, the waiting
/// counts, and the announcement spoken where the browser can. One static file, no external
/// assets; it reads the commune code from its own address.
pub async fn page(code: web::Path<String>) -> HttpResponse {
    let code = code.into_inner();
    if code.is_empty() || code.len() > 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("Không có xã này.");
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(include_str!("display.html"))
}
