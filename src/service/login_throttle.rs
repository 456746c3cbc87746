//! Failed-login throttling that holds under parallel requests.
//!
//! An attempt is counted and recorded *before* the password is checked, in one write
//! transaction per attempt that first serialises on each throttle key (PostgreSQL:
//! a transaction-scoped advisory lock per key; SQLite: `BEGIN IMMEDIATE`, one writer at a
//! time). So with a limit of 5, at most 5 attempts for one key are ever admitted within the
//! window, however many arrive at once. A successful login then withdraws its own records
//! (and clears the username's failures); a failed one leaves them as the failure.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::login_failures;
use crate::db::DbConn;

/// One throttle key (`user:<name>`, `ip:<client>`) and the attempts it may have per window.
#[derive(Clone, Debug)]
pub struct Limit {
    pub key: String,
    pub max: i64,
}

/// What `admit` decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// The attempt may go on; these records count it until it succeeds.
    Admitted { records: Vec<String> },
    /// Over a limit: retry after this many seconds.
    Refused { retry_after_secs: i64 },
}

/// Namespace of the throttle's transaction locks (see `DbConn::lock_keys`).
const LOCK_NAMESPACE: i64 = 13;

/// The key that serialises the deletions that end an attempt. Two successful logins to one
/// account each delete their own records and then all the account's: overlapping rows
/// taken in different orders, which PostgreSQL answers with `deadlock detected`. Logins are
/// bounded by password hashing (a few per core per second), so one lock costs nothing.
/// Never taken together with the per-key locks of `admit` (another transaction).
const CLEANUP_LOCK: &str = "login_failures:cleanup";

/// Counts the attempt against every limit and records it, atomically per key.
pub fn admit(
    conn: &mut DbConn,
    limits: &[Limit],
    window_secs: i64,
    now: NaiveDateTime,
) -> QueryResult<Admission> {
    let since = now - Duration::seconds(window_secs);
    conn.write_transaction(|conn| {
        let keys: Vec<&str> = limits.iter().map(|l| l.key.as_str()).collect();
        conn.lock_keys(&keys, LOCK_NAMESPACE)?;
        for limit in limits {
            let q = login_failures::table
                .filter(login_failures::throttle_key.eq(&limit.key))
                .filter(login_failures::failed_at.gt(since));
            let count: i64 = q.count().get_result(conn)?;
            if count >= limit.max {
                let oldest: Option<NaiveDateTime> = q
                    .select(diesel::dsl::min(login_failures::failed_at))
                    .first(conn)?;
                let retry = oldest
                    .map(|o| {
                        (o + Duration::seconds(window_secs) - now)
                            .num_seconds()
                            .max(1)
                    })
                    .unwrap_or(window_secs);
                return Ok(Admission::Refused {
                    retry_after_secs: retry,
                });
            }
        }
        let mut records = Vec::with_capacity(limits.len());
        for limit in limits {
            let id = uuid::Uuid::new_v4().to_string();
            diesel::insert_into(login_failures::table)
                .values((
                    login_failures::id.eq(&id),
                    login_failures::throttle_key.eq(&limit.key),
                    login_failures::failed_at.eq(now),
                ))
                .execute(conn)?;
            records.push(id);
        }
        Ok(Admission::Admitted { records })
    })
}

/// The attempt succeeded: it no longer counts, and neither do the earlier failures of
/// `clear_key` (the username).
pub fn succeeded(conn: &mut DbConn, records: &[String], clear_key: &str) -> QueryResult<()> {
    conn.lock_keys(&[CLEANUP_LOCK], LOCK_NAMESPACE)?;
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(records)))
        .execute(conn)?;
    diesel::delete(login_failures::table.filter(login_failures::throttle_key.eq(clear_key)))
        .execute(conn)?;
    Ok(())
}

/// The attempt failed: its records stay; records older than the window are dropped so the
/// table stays small.
pub fn failed(conn: &mut DbConn, window_secs: i64, now: NaiveDateTime) -> QueryResult<()> {
    conn.lock_keys(&[CLEANUP_LOCK], LOCK_NAMESPACE)?;
    diesel::delete(
        login_failures::table
            .filter(login_failures::failed_at.lt(now - Duration::seconds(window_secs))),
    )
    .execute(conn)?;
    Ok(())
}
