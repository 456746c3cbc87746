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

/// [`append`] for the creation event of `d`, inserted in this transaction with its fee
/// assessment (`fee_total`): intake holds the commune's dossier counter until commit, so
/// what it already has in hand is not read back.
pub fn append_creation(
    conn: &mut DbConn,
    e: &NewDossierEvent<'_>,
    d: &Dossier,
    fee_total: i64,
) -> QueryResult<i64> {
    let id = e.insert(conn)?;
    queue(conn, e, id, &d.code, &d.commune_code)?;
    indicator::record_new(conn, d, fee_total)?;
    Ok(id)
}

/// A history entry that changes nothing the outside follows (the queue ticket the dossier
/// was received from): the row only, no portal message, webhook or indicator change.
pub fn append_note(conn: &mut DbConn, e: &NewDossierEvent<'_>) -> QueryResult<i64> {
    e.insert(conn)
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
