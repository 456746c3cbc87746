//! Appending to a dossier's history, in one place: the history row, and in the same
//! transaction what the event owes the outside (the portal message and the webhook
//! deliveries) and the dossier's indicator facts. Every change to a dossier goes through
//! here, inside the dossier's transaction, so none of these can be forgotten or committed
//! without the others.

use diesel::QueryResult;

use crate::db::models::dossier::{Dossier, NewDossierEvent};
use crate::db::models::indicator;
use crate::db::DbConn;

/// Appends `e` to its dossier's history: the row, its portal message, its webhook
/// deliveries, and the dossier's indicator facts recomputed from the dossier as saved (so
/// save the dossier first). Returns the event id.
pub fn append(conn: &mut DbConn, e: &NewDossierEvent<'_>) -> QueryResult<i64> {
    let id = e.insert(conn)?;
    let (code, commune) = Dossier::code_and_commune(conn, e.dossier_id)?;
    queue(conn, e, id, &code, &commune)?;
    indicator::refresh(conn, e.dossier_id)?;
    Ok(id)
}

/// What intake read before taking the number and hands to [`append_creation`].
pub struct Known<'a> {
    /// The fee assessment's total.
    pub fee_total: i64,
    /// The procedure version's `result_type`.
    pub result_type: &'a str,
    /// Whether the commune has its issued agency identifier (else the message is held).
    pub commune_has_agency_id: bool,
}

/// [`append`] for the creation event of `d`, in two steps around the commune's number:
/// intake holds the commune's dossier counter from the number to commit, so what does not
/// carry the number (the history row, webhook deliveries) is written before it, and what
/// intake already has in hand (`known`) is not read again.
///
/// The first step, before the number: the history row and its webhook deliveries. Returns
/// the event id for [`number_creation`].
pub fn append_creation(
    conn: &mut DbConn,
    e: &NewDossierEvent<'_>,
    commune: &str,
) -> QueryResult<i64> {
    let id = e.insert(conn)?;
    crate::portal::webhooks::enqueue(conn, e, id, commune)?;
    Ok(id)
}

/// A history entry that changes nothing the outside follows (the queue ticket the dossier
/// was received from): the row only, no portal message, webhook or indicator change.
pub fn append_note(conn: &mut DbConn, e: &NewDossierEvent<'_>) -> QueryResult<i64> {
    e.insert(conn)
}

/// The second step, once `d` has its number: the portal message (its reference carries the
/// code) and the indicator facts (whose daily sums are, like the counter, one row per
/// commune and day: taking them after the number keeps them out of the unlocked part).
pub fn number_creation(
    conn: &mut DbConn,
    e: &NewDossierEvent<'_>,
    id: i64,
    d: &Dossier,
    known: &Known<'_>,
) -> QueryResult<()> {
    crate::portal::outbox::enqueue_known(conn, e, id, &d.code, known.commune_has_agency_id)?;
    indicator::record_new(conn, d, known.fee_total, known.result_type)
}

fn queue(
    conn: &mut DbConn,
    e: &NewDossierEvent<'_>,
    id: i64,
    code: &str,
    commune: &str,
) -> QueryResult<()> {
    crate::portal::outbox::enqueue(conn, e, id, code)?;
    crate::portal::webhooks::enqueue(conn, e, id, commune)
}
