//! A short-lived cache of account session state, so that checking every request's token
//! against its account (active? same session epoch?) does not cost a database round trip.
//!
//! Changes made through this instance (deactivation, role change, password reset, logout
//! everywhere) evict the entry at once; other instances see them within the TTL
//! (`SESSION_CACHE_TTL_SECS`, default 5 s; 0 checks the database on every request).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::db::models::user::User;

pub struct SessionCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Instant, User)>>,
}

/// Beyond this many accounts the cache starts over rather than grow without bound.
const MAX_ENTRIES: usize = 100_000;

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        SessionCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, user_id: &str) -> Option<User> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(user_id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, u)| u.clone())
    }

    pub fn put(&self, user: &User) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(user.id.clone(), (Instant::now(), user.clone()));
    }

    pub fn evict(&self, user_id: &str) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user_id);
    }
}
