//! The commune registry held in memory for search.
//!
//! 3,321 communes with their folded names and former-unit names fit in about a megabyte, and
//! change only when the official dataset is re-seeded. Searching them in memory answers in
//! microseconds instead of scanning the table with `LIKE '%…%'` for every keystroke of a
//! lookup kiosk. The index reloads itself after `ttl` so a re-seed through another
//! instance shows up; contact details are not in it (they are read from the database).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::db::schema::communes;
use crate::db::DbConn;
use crate::domain::text::fold;

#[derive(Clone, Debug)]
pub struct IndexedCommune {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub unit_type: String,
    pub province_code: String,
    /// Folded name, full name and English name.
    name_key: String,
    /// Former units: (original name, folded name).
    predecessors: Vec<(String, String)>,
}

impl IndexedCommune {
    /// Whether the commune matches a folded needle, and through which former units when it
    /// matches only by them.
    pub fn matches(&self, needle: &str) -> Option<Vec<String>> {
        if self.name_key.contains(needle) {
            return Some(Vec::new());
        }
        let via: Vec<String> = self
            .predecessors
            .iter()
            .filter(|(_, key)| key.contains(needle))
            .map(|(name, _)| name.clone())
            .collect();
        (!via.is_empty()).then_some(via)
    }
}

pub struct RegistryIndex {
    ttl: Duration,
    current: RwLock<Option<(Instant, Arc<Vec<IndexedCommune>>)>>,
    /// Set while one request reloads an expired index; the others keep using the old one.
    reloading: AtomicBool,
}

impl RegistryIndex {
    pub fn new(ttl: Duration) -> Self {
        RegistryIndex {
            ttl,
            current: RwLock::new(None),
            reloading: AtomicBool::new(false),
        }
    }

    /// The index to search now, or `None` when this caller should (re)load it with `load`:
    /// when there is none yet, or when it expired and no other request is reloading it.
    pub fn fresh(&self) -> Option<Arc<Vec<IndexedCommune>>> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        let (at, index) = guard.as_ref()?;
        if at.elapsed() < self.ttl || self.reloading.swap(true, Ordering::AcqRel) {
            return Some(index.clone());
        }
        None
    }

    /// Reads every commune (ordered by code) and installs the new index.
    pub fn load(&self, conn: &mut DbConn) -> QueryResult<Arc<Vec<IndexedCommune>>> {
        let result = self.read(conn);
        if result.is_err() {
            self.reloading.store(false, Ordering::Release);
        }
        result
    }

    fn read(&self, conn: &mut DbConn) -> QueryResult<Arc<Vec<IndexedCommune>>> {
        type Row = (String, String, String, String, String, String, String);
        let rows: Vec<Row> = communes::table
            .select((
                communes::code,
                communes::name,
                communes::full_name,
                communes::name_en,
                communes::unit_type,
                communes::province_code,
                communes::predecessors,
            ))
            .order(communes::code.asc())
            .load(conn)?;
        let entries: Vec<IndexedCommune> = rows
            .into_iter()
            .map(
                |(code, name, full_name, name_en, unit_type, province_code, predecessors)| {
                    let preds: Vec<serde_json::Value> =
                        serde_json::from_str(&predecessors).unwrap_or_default();
                    IndexedCommune {
                        name_key: fold(&format!("{name} {full_name} {name_en}")),
                        predecessors: preds
                            .iter()
                            .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                            .map(|n| (n.to_string(), fold(n)))
                            .collect(),
                        code,
                        name,
                        full_name,
                        unit_type,
                        province_code,
                    }
                },
            )
            .collect();
        let index = Arc::new(entries);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), index.clone()));
        Ok(index)
    }
}
