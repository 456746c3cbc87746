//! Digital results, their append-only history, digitization records and the
//! certification book.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::schema::{digital_result_events, digital_results, digitization_records};
use crate::db::DbConn;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = digital_results)]
pub struct DigitalResult {
    pub id: String,
    /// `result` (of a dossier) or `certified_copy` (electronic certification).
    pub kind: String,
    pub dossier_id: Option<String>,
    pub commune_code: String,
    pub province_code: String,
    pub owner_id_number: String,
    pub owner_name: String,
    pub owner_user_id: Option<String>,
    pub document_type: String,
    pub number_symbol: String,
    pub summary: String,
    pub signer_name: String,
    pub signer_title: String,
    pub issuing_agency: String,
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub scope: String,
    pub file_sha256: String,
    /// JSON of the document's digital signature (type, certificate, signing time).
    pub signature: String,
    pub seal_kid: String,
    pub seal_token: String,
    /// `active`, `revoked` or `superseded`.
    pub status: String,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_reason: Option<String>,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub version: i64,
}

impl DigitalResult {
    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<DigitalResult>> {
        digital_results::table
            .find(id)
            .select(DigitalResult::as_select())
            .first(conn)
            .optional()
    }
}

#[derive(Insertable)]
#[diesel(table_name = digital_result_events)]
pub struct NewResultEvent<'a> {
    pub result_id: &'a str,
    pub action: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub reason: Option<&'a str>,
    pub data: String,
    pub created_at: NaiveDateTime,
}

impl NewResultEvent<'_> {
    pub fn append(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(digital_result_events::table)
            .values(self)
            .execute(conn)
            .map(|_| ())
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = digital_result_events)]
pub struct ResultEvent {
    pub id: i64,
    pub result_id: String,
    pub action: String,
    pub actor_id: String,
    pub actor_role: String,
    pub reason: Option<String>,
    pub data: String,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = digitization_records)]
pub struct DigitizationRecord {
    pub id: String,
    pub attachment_id: String,
    pub dossier_id: String,
    pub commune_code: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub digitized_by: String,
    pub digitized_at: NaiveDateTime,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct LastNo {
    #[diesel(sql_type = BigInt)]
    last_no: i64,
}

/// The next number of the commune's certification book for the year: an upsert on the
/// counter row inside the certifying transaction (gapless; a failed one gives it back).
pub fn next_certification_no(conn: &mut DbConn, commune_code: &str, year: i32) -> QueryResult<i64> {
    let sql = match conn {
        DbConn::Pg(_) => {
            "INSERT INTO certification_counters (commune_code, year, last_no) VALUES ($1, $2, 1) \
             ON CONFLICT (commune_code, year) DO UPDATE SET last_no = certification_counters.last_no + 1 \
             RETURNING last_no"
        }
        DbConn::Sqlite(_) => {
            "INSERT INTO certification_counters (commune_code, year, last_no) VALUES (?, ?, 1) \
             ON CONFLICT (commune_code, year) DO UPDATE SET last_no = last_no + 1 \
             RETURNING last_no"
        }
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(commune_code)
        .bind::<Integer, _>(year)
        .get_result::<LastNo>(conn)
        .map(|r| r.last_no)
}

/// The stored file and number of a digital result that is not revoked, for a signed portal
/// link.
pub fn live_result_file(conn: &mut DbConn, id: &str) -> QueryResult<Option<(String, String)>> {
    digital_results::table
        .find(id)
        .filter(digital_results::status.ne("revoked"))
        .select((digital_results::file_sha256, digital_results::number_symbol))
        .first(conn)
        .optional()
}
