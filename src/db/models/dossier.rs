//! Dossier rows, their gapless numbering, append-only history and attachments.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use crate::db::schema::{
    dossier_attachments, dossier_events, dossier_ratings, dossiers, stored_files,
};
use crate::db::DbConn;
use crate::domain::dossier::{ApplicantType, Channel};
use crate::domain::dossier_lifecycle::Status;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = dossiers)]
pub struct Dossier {
    pub id: String,
    pub code: String,
    pub commune_code: String,
    pub province_code: String,
    pub procedure_id: String,
    pub procedure_code: String,
    pub procedure_version_id: String,
    pub case_code: String,
    pub channel: Channel,
    pub status: Status,
    pub applicant_type: ApplicantType,
    pub applicant_name: String,
    pub applicant_id_number: String,
    /// JSON: phone, address, email, representative.
    pub applicant_contact: String,
    pub search_key: String,
    pub summary: String,
    pub owner_user_id: Option<String>,
    pub assignee_id: Option<String>,
    pub submitted_at: NaiveDateTime,
    pub received_at: Option<NaiveDateTime>,
    /// The legal due instant: set at reception, moved only by supplement pauses. An apology
    /// extension promises a later date but does not move it (the dossier still counts late).
    pub due_at: Option<NaiveDateTime>,
    pub paused_at: Option<NaiveDateTime>,
    pub paused_minutes: i64,
    pub finished_at: Option<NaiveDateTime>,
    pub supplement_requests: i32,
    pub extensions: i32,
    /// JSON of the lifecycle details that no list filters on (processing step, where a
    /// supplement returns to, promised date after an extension, result delivery…).
    pub lifecycle: String,
    pub lookup_pin: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The national portal's reference of a dossier it pushed (idempotent intake).
    pub portal_reference: Option<String>,
}

/// The portal outbox's service of a dossier's own message (the creation event's), as
/// `portal::outbox` writes it and the indicators read it.
pub const PORTAL_DOSSIER_SERVICE: &str = "DongBoHoSoMC";

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

impl Dossier {
    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Dossier>> {
        dossiers::table
            .filter(dossiers::code.eq(code))
            .select(Dossier::as_select())
            .first(conn)
            .optional()
    }

    /// The code and commune of the dossier `id`.
    pub fn code_and_commune(conn: &mut DbConn, id: &str) -> QueryResult<(String, String)> {
        dossiers::table
            .find(id)
            .select((dossiers::code, dossiers::commune_code))
            .first(conn)
    }

    pub fn insert(conn: &mut DbConn, d: &Dossier) -> QueryResult<()> {
        diesel::insert_into(dossiers::table)
            .values(d)
            .execute(conn)
            .map(|_| ())
    }

    /// Gives a dossier inserted under a provisional code (in this transaction) its number.
    pub fn set_code(conn: &mut DbConn, id: &str, code: &str, search_key: &str) -> QueryResult<()> {
        diesel::update(dossiers::table.find(id))
            .set((dossiers::code.eq(code), dossiers::search_key.eq(search_key)))
            .execute(conn)
            .map(|_| ())
    }

    /// Writes the new state only if nobody changed the dossier since `expected_version`
    /// was read: of two officers acting at once, exactly one succeeds.
    pub fn save_versioned(
        conn: &mut DbConn,
        d: &Dossier,
        expected_version: i64,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(&d.id))
                .filter(dossiers::version.eq(expected_version)),
        )
        .set((
            dossiers::status.eq(d.status),
            dossiers::assignee_id.eq(&d.assignee_id),
            dossiers::received_at.eq(d.received_at),
            dossiers::due_at.eq(d.due_at),
            dossiers::paused_at.eq(d.paused_at),
            dossiers::paused_minutes.eq(d.paused_minutes),
            dossiers::finished_at.eq(d.finished_at),
            dossiers::supplement_requests.eq(d.supplement_requests),
            dossiers::extensions.eq(d.extensions),
            dossiers::lifecycle.eq(&d.lifecycle),
            dossiers::version.eq(expected_version + 1),
            dossiers::updated_at.eq(d.updated_at),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

/// Next number of a commune's daily sequence. Runs inside the intake transaction: the
/// upsert locks the counter row until commit (PostgreSQL) or the whole database is held by
/// the IMMEDIATE transaction (SQLite), and a rollback returns the number, so the numbers
/// that exist are always 1..N without gaps, across any number of server instances.
/// Whether a dossier already has this code.
pub fn code_taken(conn: &mut DbConn, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        dossiers::table.filter(dossiers::code.eq(code)),
    ))
    .get_result(conn)
}

pub fn next_dossier_seq(conn: &mut DbConn, commune_code: &str, day: NaiveDate) -> QueryResult<i64> {
    let sql = match conn {
        DbConn::Pg(_) => {
            "INSERT INTO dossier_counters (commune_code, day, last_seq) VALUES ($1, $2, 1) \
             ON CONFLICT (commune_code, day) DO UPDATE SET last_seq = dossier_counters.last_seq + 1 \
             RETURNING last_seq"
        }
        DbConn::Sqlite(_) => {
            "INSERT INTO dossier_counters (commune_code, day, last_seq) VALUES (?, ?, 1) \
             ON CONFLICT (commune_code, day) DO UPDATE SET last_seq = last_seq + 1 \
             RETURNING last_seq"
        }
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(commune_code)
        .bind::<Date, _>(day)
        .get_result::<Seq>(conn)
        .map(|s| s.last_seq)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = dossier_events)]
pub struct DossierEvent {
    pub id: i64,
    pub dossier_id: String,
    pub action: String,
    pub actor_id: String,
    pub actor_role: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub comment: Option<String>,
    pub data: String,
    pub created_at: NaiveDateTime,
    /// Commit order of the event's transaction (feed order); 0 on SQLite.
    pub txid: i64,
}

#[derive(Insertable)]
#[diesel(table_name = dossier_events)]
pub struct NewDossierEvent<'a> {
    pub dossier_id: &'a str,
    pub action: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub comment: Option<&'a str>,
    pub data: String,
    pub created_at: NaiveDateTime,
}

impl NewDossierEvent<'_> {
    /// Inserts the history row only; returns its id. Appending an event is
    /// `service::events::append`, which also queues what the event owes the outside.
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<i64> {
        diesel::insert_into(dossier_events::table)
            .values(self)
            .returning(dossier_events::id)
            .get_result(conn)
    }
}

impl DossierEvent {
    pub fn for_dossier(conn: &mut DbConn, dossier_id: &str) -> QueryResult<Vec<DossierEvent>> {
        dossier_events::table
            .filter(dossier_events::dossier_id.eq(dossier_id))
            .order(dossier_events::id.asc())
            .select(DossierEvent::as_select())
            .load(conn)
    }
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = dossier_attachments)]
pub struct Attachment {
    pub id: String,
    pub dossier_id: String,
    pub document_name: String,
    pub file_sha256: String,
    pub file_name: String,
    /// `upload`, `reused_dossier` or `data_store`.
    pub source: String,
    pub reused_from: Option<String>,
    pub digitized_at_reception: bool,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
}

impl Attachment {
    pub fn insert(conn: &mut DbConn, a: &Attachment) -> QueryResult<()> {
        diesel::insert_into(dossier_attachments::table)
            .values(a)
            .execute(conn)
            .map(|_| ())
    }

    pub fn for_dossier(conn: &mut DbConn, dossier_id: &str) -> QueryResult<Vec<Attachment>> {
        dossier_attachments::table
            .filter(dossier_attachments::dossier_id.eq(dossier_id))
            .order(dossier_attachments::created_at.asc())
            .select(Attachment::as_select())
            .load(conn)
    }

    pub fn count_for_dossier(conn: &mut DbConn, dossier_id: &str) -> QueryResult<i64> {
        dossier_attachments::table
            .filter(dossier_attachments::dossier_id.eq(dossier_id))
            .count()
            .get_result(conn)
    }

    /// The dossier's first attachment of the stored file `sha256`.
    pub fn first_with_file(
        conn: &mut DbConn,
        dossier_id: &str,
        sha256: &str,
    ) -> QueryResult<Option<Attachment>> {
        dossier_attachments::table
            .filter(dossier_attachments::dossier_id.eq(dossier_id))
            .filter(dossier_attachments::file_sha256.eq(sha256))
            .order(dossier_attachments::created_at.asc())
            .select(Attachment::as_select())
            .first(conn)
            .optional()
    }

    /// The dossier's attachments, oldest first, each with its file's size and content type.
    pub fn with_files(
        conn: &mut DbConn,
        dossier_id: &str,
    ) -> QueryResult<Vec<(Attachment, i64, String)>> {
        dossier_attachments::table
            .inner_join(
                stored_files::table.on(stored_files::sha256.eq(dossier_attachments::file_sha256)),
            )
            .filter(dossier_attachments::dossier_id.eq(dossier_id))
            .order(dossier_attachments::created_at.asc())
            .select((
                Attachment::as_select(),
                stored_files::size_bytes,
                stored_files::content_type,
            ))
            .load(conn)
    }

    pub fn find(conn: &mut DbConn, dossier_id: &str, id: &str) -> QueryResult<Option<Attachment>> {
        dossier_attachments::table
            .filter(dossier_attachments::dossier_id.eq(dossier_id))
            .filter(dossier_attachments::id.eq(id))
            .select(Attachment::as_select())
            .first(conn)
            .optional()
    }
}

/// Locks the dossier row until the end of the transaction (PostgreSQL; SQLite's write
/// transaction already holds the whole database), so that checks of what it holds stay true
/// until commit.
pub fn lock_for_update(conn: &mut DbConn, dossier_id: &str) -> QueryResult<()> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT id FROM dossiers WHERE id = $1 FOR UPDATE")
            .bind::<Text, _>(dossier_id)
            .execute(c)?;
    }
    Ok(())
}

/// Records a stored file's metadata once (the bytes are on disk, named by their hash).
/// Two requests storing the same bytes at once both succeed: the second insert is ignored
/// instead of failing on the primary key (PostgreSQL transactions do not serialize here).
pub fn record_file(
    conn: &mut DbConn,
    sha256: &str,
    size: i64,
    content_type: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        stored_files::sha256.eq(sha256),
        stored_files::size_bytes.eq(size),
        stored_files::content_type.eq(content_type),
        stored_files::created_at.eq(now),
    );
    match conn {
        DbConn::Pg(c) => diesel::insert_into(stored_files::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_or_ignore_into(stored_files::table)
            .values(row)
            .execute(c)?,
    };
    Ok(())
}

pub fn file_content_type(conn: &mut DbConn, sha256: &str) -> QueryResult<Option<(String, i64)>> {
    stored_files::table
        .find(sha256)
        .select((stored_files::content_type, stored_files::size_bytes))
        .first(conn)
        .optional()
}

pub fn insert_rating(
    conn: &mut DbConn,
    dossier_id: &str,
    rating: &str,
    comment: Option<&str>,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(dossier_ratings::table)
        .values((
            dossier_ratings::dossier_id.eq(dossier_id),
            dossier_ratings::rating.eq(rating),
            dossier_ratings::comment.eq(comment),
            dossier_ratings::recorded_by.eq(by),
            dossier_ratings::created_at.eq(now),
        ))
        .execute(conn)?;
    crate::db::models::indicator::refresh(conn, dossier_id)
}

pub fn rating_of(
    conn: &mut DbConn,
    dossier_id: &str,
) -> QueryResult<Option<(String, Option<String>, NaiveDateTime)>> {
    dossier_ratings::table
        .find(dossier_id)
        .select((
            dossier_ratings::rating,
            dossier_ratings::comment,
            dossier_ratings::created_at,
        ))
        .first(conn)
        .optional()
}

/// The stored file and download name of a dossier component, for a signed portal link.
pub fn attachment_file(conn: &mut DbConn, id: &str) -> QueryResult<Option<(String, String)>> {
    dossier_attachments::table
        .find(id)
        .select((
            dossier_attachments::file_sha256,
            dossier_attachments::file_name,
        ))
        .first(conn)
        .optional()
}
