//! A fixed-window request limiter per client key, in process memory. Used where a
//! public endpoint must not be enumerable (dossier lookup by code and PIN). Each server
//! instance limits on its own; the bound per client is then the limit times the instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
        if entry.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
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
}
