//! The database figures `/metrics` reports: a handful of grouped counts, read at scrape time
//! so that every instance reports the same shared state.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{login_failures, payments, portal_outbox, webhook_deliveries};
use crate::db::DbConn;
use crate::metrics::Snapshot;

/// What the login throttle allows (LOGIN_* settings).
pub struct LoginLimits {
    pub window_secs: i64,
    pub max_per_user: i64,
    pub max_per_client: i64,
}

/// The statuses of messages not yet delivered, each always reported (at 0 when no row has
/// it), so that an alert on it has a series to watch from the first scrape.
const OUTBOX_STATUSES: &[&str] = &["pending", crate::portal::outbox::HELD, "dead"];
const WEBHOOK_STATUSES: &[&str] = &["pending", "dead"];

pub fn snapshot(
    conn: &mut DbConn,
    now: NaiveDateTime,
    payment_timeout_secs: i64,
    login: &LoginLimits,
) -> QueryResult<Snapshot> {
    // Sent messages and delivered webhooks are left out: they only grow, and counting them
    // at every scrape reads the whole table (0.5 s at a million rows on PostgreSQL). The
    // statuses that need attention are named, so an index on status finds them (under 1 ms);
    // `<> 'sent'` would still scan.
    let outbox_by_status: Vec<(String, i64)> = portal_outbox::table
        .filter(portal_outbox::status.eq_any(OUTBOX_STATUSES))
        .group_by(portal_outbox::status)
        .select((portal_outbox::status, diesel::dsl::count_star()))
        .load(conn)?;
    let oldest_pending: Option<NaiveDateTime> = portal_outbox::table
        .filter(portal_outbox::status.eq("pending"))
        .select(diesel::dsl::min(portal_outbox::created_at))
        .first(conn)?;
    let webhooks_by_status: Vec<(String, i64)> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq_any(WEBHOOK_STATUSES))
        .group_by(webhook_deliveries::status)
        .select((webhook_deliveries::status, diesel::dsl::count_star()))
        .load(conn)?;
    let webhooks_failing: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::attempts.gt(0))
        .count()
        .get_result(conn)?;
    let payments_pending: i64 = payments::table
        .filter(payments::status.eq("pending"))
        .count()
        .get_result(conn)?;
    // The reconciler's own criterion (`Payment::pending_before`).
    let payments_awaiting_reconciliation: i64 = payments::table
        .filter(payments::status.eq("pending"))
        .filter(payments::created_at.lt(now - Duration::seconds(payment_timeout_secs)))
        .count()
        .get_result(conn)?;
    let (login_failures_in_window, login_keys_throttled) = login_throttle(conn, now, login)?;
    Ok(Snapshot {
        outbox_by_status: with_zeros(outbox_by_status, OUTBOX_STATUSES),
        outbox_oldest_pending_secs: oldest_pending
            .map(|t| (now - t).num_seconds().max(0))
            .unwrap_or(0),
        webhooks_by_status: with_zeros(webhooks_by_status, WEBHOOK_STATUSES),
        webhooks_failing,
        payments_pending,
        payments_awaiting_reconciliation,
        login_failures_in_window,
        login_keys_throttled,
    })
}

/// Failed logins in the window, and the keys at their limit. The table also holds the
/// public lookup's wrong PINs (`pin:` keys), which are not logins.
fn login_throttle(
    conn: &mut DbConn,
    now: NaiveDateTime,
    login: &LoginLimits,
) -> QueryResult<(i64, i64)> {
    let since = now - Duration::seconds(login.window_secs);
    let recent = || {
        login_failures::table
            .filter(login_failures::failed_at.gt(since))
            .filter(
                login_failures::throttle_key
                    .like("user:%")
                    .or(login_failures::throttle_key.like("ip:%")),
            )
    };
    let failures: i64 = recent().count().get_result(conn)?;
    let floor = login.max_per_user.min(login.max_per_client);
    let heavy: Vec<(String, i64)> = recent()
        .group_by(login_failures::throttle_key)
        .having(diesel::dsl::count_star().ge(floor))
        .select((login_failures::throttle_key, diesel::dsl::count_star()))
        .load(conn)?;
    let throttled = heavy
        .iter()
        .filter(|(key, n)| {
            let max = if key.starts_with("user:") {
                login.max_per_user
            } else {
                login.max_per_client
            };
            *n >= max
        })
        .count();
    Ok((failures, throttled as i64))
}

fn with_zeros(mut rows: Vec<(String, i64)>, always: &[&str]) -> Vec<(String, i64)> {
    for status in always {
        if !rows.iter().any(|(s, _)| s == status) {
            rows.push((status.to_string(), 0));
        }
    }
    rows.sort();
    rows
}
