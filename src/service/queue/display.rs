//! What the display board shows, as rows of the queue events table: written in the same
//! transaction as the call (or issue) they report, so a board never shows a call that was
//! rolled back, and read by id so any instance can stream them and a client resumes from
//! the last id it saw.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::commune;
use crate::db::models::queue::{EventRow, TicketRow};
use crate::db::DbConn;
use crate::domain::calendar::today;
use crate::error::{ApiError, ApiResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayEvent {
    /// A ticket called to a counter.
    Called,
    /// A called ticket called again.
    Recalled,
    /// Only the waiting counts changed (a ticket issued, transferred, …).
    Waiting,
}

impl DisplayEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayEvent::Called => "called",
            DisplayEvent::Recalled => "recalled",
            DisplayEvent::Waiting => "waiting",
        }
    }
}

/// A call as the board shows and speaks it.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct BoardCall {
    pub number: String,
    pub counter: i32,
    /// "Mời công dân có số A015 đến quầy số 3".
    pub announcement: String,
}

/// One event of the board's stream (the `data` of a server-sent event; its `id` is the
/// event id).
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct BoardEvent {
    pub id: i64,
    /// `called`, `recalled` or `waiting`.
    pub kind: String,
    pub call: Option<BoardCall>,
    /// Tickets waiting per service prefix, today.
    pub waiting: BTreeMap<String, i64>,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, serde::Deserialize)]
struct Stored {
    call: Option<StoredCall>,
    waiting: BTreeMap<String, i64>,
}

#[derive(Serialize, serde::Deserialize)]
struct StoredCall {
    number: String,
    counter: i32,
    announcement: String,
}

/// Appends an event for the commune's board, with today's waiting counts as they stand in
/// this transaction.
pub(super) fn record(
    conn: &mut DbConn,
    commune: &str,
    kind: DisplayEvent,
    call: Option<BoardCall>,
) -> ApiResult<i64> {
    let waiting = TicketRow::waiting_counts(conn, commune, today())?
        .into_iter()
        .collect();
    let data = Stored {
        call: call.map(|c| StoredCall {
            number: c.number,
            counter: c.counter,
            announcement: c.announcement,
        }),
        waiting,
    };
    let data = serde_json::to_string(&data).map_err(ApiError::internal)?;
    Ok(EventRow::append(
        conn,
        commune,
        kind.as_str(),
        &data,
        crate::clock::now().naive_utc(),
    )?)
}

fn board_event(r: EventRow) -> ApiResult<BoardEvent> {
    let s: Stored = serde_json::from_str(&r.data)
        .map_err(|e| ApiError::internal(format!("stored queue event: {e}")))?;
    Ok(BoardEvent {
        id: r.id,
        kind: r.kind,
        call: s.call.map(|c| BoardCall {
            number: c.number,
            counter: c.counter,
            announcement: c.announcement,
        }),
        waiting: s.waiting,
        at: crate::clock::utc(r.created_at),
    })
}

/// The commune's board events after `after` (oldest first, at most `limit`). 404 for an
/// unknown commune. Public: the board shows numbers and counters, nothing personal.
pub fn board_events(
    conn: &mut DbConn,
    code: &str,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<BoardEvent>> {
    let c = commune(conn, code)?;
    EventRow::after(conn, &c.code, after, limit)?
        .into_iter()
        .map(board_event)
        .collect()
}

/// The commune's last `n` board events, oldest first: what a new board shows at once.
pub fn recent_board_events(conn: &mut DbConn, code: &str, n: i64) -> ApiResult<Vec<BoardEvent>> {
    let c = commune(conn, code)?;
    let mut rows = EventRow::recent(conn, &c.code, n)?;
    rows.reverse();
    rows.into_iter().map(board_event).collect()
}
