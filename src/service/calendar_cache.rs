//! The working calendar in memory, per instance.
//!
//! The calendar changes a few times a year (a government decision, an operator switching a
//! holiday rule, a province's day counting) but every intake, transition and deadline reads
//! it. This instance keeps the last one loaded and, at most every [`RECHECK`], asks the
//! database for a cheap change stamp (`calendar_stamp`: one statement on three tiny tables),
//! reloading only when it moved. So:
//! - a change made through this instance takes effect at once (its writers call
//!   [`CalendarCache::invalidate`]);
//! - a change made through another instance takes effect here within [`RECHECK`] (5 s).
//!   Adjustments are decided weeks ahead, so a few seconds cannot move a deadline wrongly.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::db::models::calendar::{
    all_day_countings, calendar_stamp, load_calendar, CalendarStamp,
};
use crate::db::DbConn;
use crate::domain::calendar::{DayCounting, WorkCalendar};
use crate::error::ApiResult;

/// How long another instance's calendar change may take to reach this one.
pub const RECHECK: Duration = Duration::from_secs(5);

struct Loaded {
    stamp: CalendarStamp,
    checked: Instant,
    national: WorkCalendar,
    countings: HashMap<String, DayCounting>,
}

pub struct CalendarCache {
    recheck: Duration,
    loaded: RwLock<Option<Loaded>>,
}

impl Default for CalendarCache {
    fn default() -> Self {
        CalendarCache::new(RECHECK)
    }
}

impl CalendarCache {
    pub fn new(recheck: Duration) -> Self {
        CalendarCache {
            recheck,
            loaded: RwLock::new(None),
        }
    }

    /// The calendar deadlines are computed with: a province's (its day counting), else the
    /// national default.
    pub fn get(&self, conn: &mut DbConn, province: Option<&str>) -> ApiResult<WorkCalendar> {
        if let Some(c) = self.fresh(province) {
            return Ok(c);
        }
        let stamp = calendar_stamp(conn)?;
        {
            let mut guard = self.loaded.write().unwrap_or_else(|e| e.into_inner());
            if let Some(l) = guard.as_mut().filter(|l| l.stamp == stamp) {
                l.checked = Instant::now();
                return Ok(pick(l, province));
            }
        }
        // Load outside the lock: a slow load must not hold up readers of the old calendar.
        // The stamp is read before the rows, so a change racing the load is seen next time.
        let loaded = Loaded {
            stamp,
            checked: Instant::now(),
            national: load_calendar(conn)?,
            countings: all_day_countings(conn)?.into_iter().collect(),
        };
        let calendar = pick(&loaded, province);
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Some(loaded);
        Ok(calendar)
    }

    fn fresh(&self, province: Option<&str>) -> Option<WorkCalendar> {
        let guard = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        let l = guard.as_ref()?;
        (l.checked.elapsed() < self.recheck).then(|| pick(l, province))
    }

    /// Forgets the calendar: the next read asks the database. Called after this instance
    /// changed it (and meant to run after that change committed).
    pub fn invalidate(&self) {
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

fn pick(l: &Loaded, province: Option<&str>) -> WorkCalendar {
    let counting = province
        .and_then(|p| l.countings.get(p).copied())
        .unwrap_or_default();
    match province {
        Some(_) => l.national.clone().with_counting(counting),
        None => l.national.clone(),
    }
}
