//! The event feed: ordered, replayable, scoped like dossiers.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::access::{self, Resource};
use crate::auth::Principal;
use crate::db::models::dossier::DossierEvent;
use crate::db::models::event_feed;
use crate::db::schema::{dossier_events, dossiers};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::portal::webhooks::{self, EventItem, EVENT_TYPES};

/// A page of the feed.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventItem>,
    /// Pass as `after` next time; unchanged when there was nothing new.
    pub next_after: Option<String>,
}

/// 422 on `field` naming the first type that is not an event type.
pub fn check_event_types(field: &'static str, types: &[String]) -> ApiResult<()> {
    if let Some(bad) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::invalid_field(
            field,
            format!("Không có loại sự kiện “{bad}”."),
            format!(
                "Unknown event type '{bad}'; one of: {}.",
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    Ok(())
}

/// What to read of the feed: after which position (`decode_after` of the client's `after`,
/// kept as sent in `previous`), which types (empty: all), how many.
pub struct FeedQuery {
    pub after: (i64, i64),
    pub previous: Option<String>,
    pub types: Vec<String>,
    pub limit: i64,
}

/// The position a client's `after` names (400 if it is not one of ours).
pub fn decode_after(after: Option<&str>) -> ApiResult<(i64, i64)> {
    match after {
        None => Ok((i64::MIN, i64::MIN)),
        Some(a) => webhooks::decode_cursor(a).ok_or_else(|| {
            ApiError::bad_request(
                "events.invalid_cursor",
                "Con trỏ không hợp lệ.",
                "Invalid cursor.",
            )
        }),
    }
}

/// The next page of the caller's feed. A page may hold fewer items than `limit` (even none)
/// while `next_after` moves on.
pub fn feed_page(conn: &mut DbConn, p: &Principal, q: FeedQuery) -> ApiResult<EventPage> {
    let after = q.after;
    let scope = access::scope(p, Resource::EventFeed);
    let (limit, types) = (q.limit, q.types);
    // On PostgreSQL only transactions older than every running one are final.
    let horizon = event_feed::horizon(conn)?;
    let mut items: Vec<EventItem> = Vec::new();
    let mut cursor = after;
    // Type filters may skip rows; read on in chunks until the page is full, but at
    // most 20 chunks per request: a rare type then gets a short page whose
    // `next_after` has moved on, and the client reads on from there.
    for _ in 0..20 {
        let mut query = dossier_events::table
            .inner_join(dossiers::table)
            .select((
                DossierEvent::as_select(),
                dossiers::code,
                dossiers::commune_code,
            ))
            .filter(dossier_events::txid.lt(horizon))
            .filter(
                dossier_events::txid.gt(cursor.0).or(dossier_events::txid
                    .eq(cursor.0)
                    .and(dossier_events::id.gt(cursor.1))),
            )
            .order((dossier_events::txid, dossier_events::id))
            .limit(limit)
            .into_boxed();
        query = crate::scope_filter!(
            query,
            scope,
            commune = dossiers::commune_code,
            province = dossiers::province_code,
            owner = dossiers::owner_user_id,
        );
        let rows: Vec<(DossierEvent, String, String)> = query.load(conn)?;
        let exhausted = (rows.len() as i64) < limit;
        for (e, code, commune) in rows {
            cursor = (e.txid, e.id);
            let it = webhooks::item(e, code, commune);
            if types.is_empty() || types.contains(&it.event_type) {
                items.push(it);
                if items.len() as i64 == limit {
                    break;
                }
            }
        }
        if exhausted || items.len() as i64 == limit {
            break;
        }
    }
    let next = if cursor == after {
        q.previous
    } else {
        Some(webhooks::encode_cursor(cursor.0, cursor.1))
    };
    Ok(EventPage {
        items,
        next_after: next,
    })
}
