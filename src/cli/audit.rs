//! `motcua audit verify`: the personal-data access log's hash chains.

use std::io::Write;

use crate::db::DbConn;
use crate::service::access_log;

/// One line per chain, one per break; an error (exit 1) when any chain is broken.
pub fn verify(conn: &mut DbConn, commune: Option<&str>) -> Result<(), String> {
    let reports = access_log::verify(conn, commune).map_err(|e| e.to_string())?;
    let mut broken = 0;
    let mut out = std::io::stdout().lock();
    for r in &reports {
        if r.is_valid() {
            let _ = writeln!(
                out,
                "ok      commune {}: {} entries",
                r.commune_code, r.entries
            );
            continue;
        }
        broken += 1;
        for b in &r.breaks {
            let id = b
                .entry_id
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "BROKEN  commune {}: entry {}{id}: {}",
                r.commune_code, b.seq, b.problem
            );
        }
    }
    let _ = writeln!(
        out,
        "{} chain(s) checked, {} entries, {broken} broken",
        reports.len(),
        reports.iter().map(|r| r.entries).sum::<i64>()
    );
    let _ = out.flush();
    if broken > 0 {
        return Err(format!("{broken} access-log chain(s) broken"));
    }
    Ok(())
}
