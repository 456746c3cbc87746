//! A fixed-window request limiter per client key, in process memory. Used where a
//! public endpoint must not be enumerable (dossier lookup by code and PIN). Each server
//! instance limits on its own; the bound per client is then the limit times the instances.
//!
//! A limited route tells the client where it stands with `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` (seconds) on every answer, and `Retry-After`
//! on its 429: [`check`](RateLimiter::check) notes the quota in the request's task and
//! [`headers`] writes it, so a handler needs nothing beyond its call to `check`.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// Where one client stands against one limiter after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
    pub window_secs: u64,
}

tokio::task_local! {
    static QUOTA: Rc<Cell<Option<Quota>>>;
}

/// Keeps the tighter of two quotas seen in one request.
fn note(q: Quota) {
    let _ = QUOTA.try_with(|slot| {
        let tighter = match slot.get() {
            Some(old) if old.remaining <= q.remaining => old,
            _ => q,
        };
        slot.set(Some(tighter));
    });
}

/// Middleware: the `RateLimit-*` headers of whatever limiter the handler consulted.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let slot = Rc::new(Cell::new(None));
    let mut res = QUOTA.scope(slot.clone(), next.call(req)).await?;
    if let Some(q) = slot.get() {
        let h = res.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", q.limit.to_string()),
            ("ratelimit-remaining", q.remaining.to_string()),
            ("ratelimit-reset", q.reset_secs.to_string()),
            (
                "ratelimit-policy",
                format!("{};w={}", q.limit, q.window_secs),
            ),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(name), v);
            }
        }
    }
    Ok(res)
}

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    state: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key`; `Err(seconds)` until the window resets when over the limit.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.len() > 100_000 {
            state.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = state.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let left = self.window.saturating_sub(now.duration_since(entry.0));
        // Rounded up: a client that waits this long finds the window reset.
        let reset_secs = (left.as_millis().div_ceil(1000) as u64).max(1);
        let refused = entry.1 >= self.limit;
        if !refused {
            entry.1 += 1;
        }
        note(Quota {
            limit: self.limit,
            remaining: self.limit.saturating_sub(entry.1),
            reset_secs,
            window_secs: self.window.as_secs(),
        });
        if refused {
            Err(reset_secs)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_resets() {
        let l = RateLimiter::new(2, Duration::from_millis(50));
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_err());
        assert!(l.check("b").is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert!(l.check("a").is_ok());
    }

    #[actix_web::test]
    async fn the_tightest_quota_of_a_request_is_noted() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        let slot = Rc::new(Cell::new(None));
        QUOTA
            .scope(slot.clone(), async {
                l.check("a").unwrap();
                l.check("a").unwrap();
                l.check("b").unwrap();
            })
            .await;
        let q = slot.get().unwrap();
        assert_eq!((q.limit, q.remaining, q.window_secs), (3, 1, 60));
        assert!((59..=60).contains(&q.reset_secs), "{q:?}");
        // Outside a request nothing is noted and nothing fails.
        assert!(l.check("c").is_ok());
    }
}
