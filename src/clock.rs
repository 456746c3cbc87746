//! The current instant, at the precision both databases keep.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Now, truncated to whole microseconds: PostgreSQL stores timestamps to the microsecond,
/// so a response built from memory (intake, a payment, a transition) must not show
/// nanoseconds that the next read of the same record will not.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// A stored instant (the databases keep UTC without an offset) as UTC.
pub fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_has_whole_microseconds() {
        for _ in 0..100 {
            assert_eq!(super::now().timestamp_subsec_nanos() % 1000, 0);
        }
    }
}
