//! What the event feed may read: on PostgreSQL only events of transactions older than every
//! running one are final (a later-committing older transaction could otherwise slip in
//! behind a reader's cursor); on SQLite, with one writer, every committed event is.

use diesel::prelude::*;

use crate::db::DbConn;

/// Events whose `txid` is below this are final.
pub fn horizon(conn: &mut DbConn) -> QueryResult<i64> {
    match conn {
        DbConn::Pg(_) => {
            #[derive(QueryableByName)]
            struct H {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                h: i64,
            }
            Ok(diesel::sql_query(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS h",
            )
            .get_result::<H>(conn)?
            .h)
        }
        DbConn::Sqlite(_) => Ok(i64::MAX),
    }
}
