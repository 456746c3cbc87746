//! Fee schedules, dossier assessments, payments, receipts, refunds and callback logs.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::schema::{
    dossier_fees, fee_assessments, fee_schedules, payment_callbacks, payment_refunds, payments,
};
use crate::db::DbConn;
use crate::domain::dossier::Channel;
use crate::domain::payment::PaymentMethod;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = fee_schedules)]
pub struct FeeSchedule {
    pub id: String,
    pub schedule_key: String,
    pub version_no: i64,
    pub procedure_code: String,
    pub case_code: Option<String>,
    pub fee_code: String,
    pub kind: String,
    pub name: String,
    pub collection: String,
    /// JSON of a `domain::fees::FeeRule`.
    pub rule: String,
    pub online_rule: Option<String>,
    /// JSON list of `domain::fees::Exemption`.
    pub exemptions: String,
    pub scope: String,
    pub scope_code: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub legal_basis: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl FeeSchedule {
    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<FeeSchedule>> {
        fee_schedules::table
            .find(id)
            .select(FeeSchedule::as_select())
            .first(conn)
            .optional()
    }

    /// Every version of the procedure's schedules that could apply on `day` (the caller
    /// picks the most specific scope and case, then the latest version).
    pub fn candidates(
        conn: &mut DbConn,
        procedure_code: &str,
        day: NaiveDate,
    ) -> QueryResult<Vec<FeeSchedule>> {
        fee_schedules::table
            .filter(fee_schedules::procedure_code.eq(procedure_code))
            .filter(fee_schedules::effective_from.le(day))
            .filter(
                fee_schedules::effective_to
                    .is_null()
                    .or(fee_schedules::effective_to.ge(day)),
            )
            .select(FeeSchedule::as_select())
            .load(conn)
    }

    pub fn next_version_no(conn: &mut DbConn, key: &str) -> QueryResult<i64> {
        let max: Option<i64> = fee_schedules::table
            .filter(fee_schedules::schedule_key.eq(key))
            .select(diesel::dsl::max(fee_schedules::version_no))
            .first(conn)?;
        Ok(max.unwrap_or(0) + 1)
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = fee_assessments)]
pub struct FeeAssessment {
    pub dossier_id: String,
    pub channel: Channel,
    /// JSON map unit → quantity.
    pub quantities: String,
    /// JSON `{category, reason, evidence}` when the applicant is exempt.
    pub exemption: Option<String>,
    pub total: i64,
    pub version: i64,
    pub assessed_by: String,
    pub assessed_at: NaiveDateTime,
}

impl FeeAssessment {
    pub fn find(conn: &mut DbConn, dossier_id: &str) -> QueryResult<Option<FeeAssessment>> {
        fee_assessments::table
            .find(dossier_id)
            .select(FeeAssessment::as_select())
            .first(conn)
            .optional()
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = dossier_fees)]
pub struct DossierFee {
    pub id: String,
    pub dossier_id: String,
    pub line_no: i32,
    pub schedule_id: String,
    pub fee_code: String,
    pub kind: String,
    pub name: String,
    pub collection: String,
    pub base_amount: i64,
    pub exemption: Option<String>,
    pub amount: i64,
    pub explanation: String,
    /// `unpaid`, `pending` (an open payment covers it), `paid`, or `exempt` (nothing due).
    pub status: String,
    pub payment_id: Option<String>,
}

impl DossierFee {
    pub fn of_dossier(conn: &mut DbConn, dossier_id: &str) -> QueryResult<Vec<DossierFee>> {
        dossier_fees::table
            .filter(dossier_fees::dossier_id.eq(dossier_id))
            .order(dossier_fees::line_no)
            .select(DossierFee::as_select())
            .load(conn)
    }

    /// Moves the lines from `from` to `to` (with the payment id) only if every one of them
    /// is still in `from`; returns how many moved. The caller compares with the count it
    /// expected: a smaller number means another request got there first.
    pub fn move_lines(
        conn: &mut DbConn,
        ids: &[String],
        from: &str,
        to: &str,
        payment_id: Option<&str>,
    ) -> QueryResult<usize> {
        diesel::update(
            dossier_fees::table
                .filter(dossier_fees::id.eq_any(ids))
                .filter(dossier_fees::status.eq(from)),
        )
        .set((
            dossier_fees::status.eq(to),
            dossier_fees::payment_id.eq(payment_id),
        ))
        .execute(conn)
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = payments)]
pub struct Payment {
    pub id: String,
    pub reference: String,
    pub dossier_id: String,
    pub commune_code: String,
    pub province_code: String,
    pub method: PaymentMethod,
    pub gateway: Option<String>,
    pub amount: i64,
    pub refunded_amount: i64,
    pub status: String,
    /// JSON list of the dossier_fees ids this payment covers.
    pub fee_lines: String,
    pub payer_name: String,
    pub redirect_url: Option<String>,
    pub gateway_transaction_id: Option<String>,
    pub failure_reason: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub settled_at: Option<NaiveDateTime>,
    pub receipt_template: Option<String>,
    pub receipt_series: Option<String>,
    pub receipt_no: Option<i64>,
    pub version: i64,
}

impl Payment {
    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Payment>> {
        payments::table
            .find(id)
            .select(Payment::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_reference(conn: &mut DbConn, reference: &str) -> QueryResult<Option<Payment>> {
        payments::table
            .filter(payments::reference.eq(reference))
            .select(Payment::as_select())
            .first(conn)
            .optional()
    }

    pub fn lines(&self) -> Vec<String> {
        serde_json::from_str(&self.fee_lines).unwrap_or_default()
    }

    /// Leaves `pending` for a final status, only if still pending (one settler wins).
    pub fn settle(
        conn: &mut DbConn,
        id: &str,
        status: &str,
        transaction_id: Option<&str>,
        failure_reason: Option<&str>,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            payments::table
                .filter(payments::id.eq(id))
                .filter(payments::status.eq("pending")),
        )
        .set((
            payments::status.eq(status),
            payments::gateway_transaction_id.eq(transaction_id),
            payments::failure_reason.eq(failure_reason),
            payments::settled_at.eq(at),
            payments::version.eq(payments::version + 1),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    pub fn set_receipt(
        conn: &mut DbConn,
        id: &str,
        template: &str,
        series: &str,
        number: i64,
    ) -> QueryResult<()> {
        diesel::update(payments::table.find(id))
            .set((
                payments::receipt_template.eq(template),
                payments::receipt_series.eq(series),
                payments::receipt_no.eq(number),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Adds a refund to the running total only if the refundable remainder is still what
    /// the caller saw (`expected_refundable`): the optimistic guard of concurrent refunds.
    pub fn add_refund(
        conn: &mut DbConn,
        id: &str,
        amount: i64,
        expected_refundable: i64,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            payments::table
                .filter(payments::id.eq(id))
                .filter(payments::status.eq("succeeded"))
                .filter((payments::amount - payments::refunded_amount).eq(expected_refundable)),
        )
        .set((
            payments::refunded_amount.eq(payments::refunded_amount + amount),
            payments::version.eq(payments::version + 1),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Online payments still open that were created before `before` (reconciliation).
    pub fn pending_before(
        conn: &mut DbConn,
        before: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<Payment>> {
        payments::table
            .filter(payments::status.eq("pending"))
            .filter(payments::created_at.lt(before))
            .order(payments::created_at)
            .limit(limit)
            .select(Payment::as_select())
            .load(conn)
    }
}

#[derive(QueryableByName)]
struct LastNo {
    #[diesel(sql_type = BigInt)]
    last_no: i64,
}

/// The next receipt number of the commune's series: an upsert on the counter row, so
/// concurrent settlements queue on the row and numbers have no gaps (a rolled-back
/// settlement gives its number back).
pub fn next_receipt_no(conn: &mut DbConn, commune_code: &str, series: &str) -> QueryResult<i64> {
    let sql = match conn {
        DbConn::Pg(_) => {
            "INSERT INTO receipt_counters (commune_code, series, last_no) VALUES ($1, $2, 1) \
             ON CONFLICT (commune_code, series) DO UPDATE SET last_no = receipt_counters.last_no + 1 \
             RETURNING last_no"
        }
        DbConn::Sqlite(_) => {
            "INSERT INTO receipt_counters (commune_code, series, last_no) VALUES (?, ?, 1) \
             ON CONFLICT (commune_code, series) DO UPDATE SET last_no = last_no + 1 \
             RETURNING last_no"
        }
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(commune_code)
        .bind::<Text, _>(series)
        .get_result::<LastNo>(conn)
        .map(|r| r.last_no)
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = payment_refunds)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub amount: i64,
    pub method: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl Refund {
    pub fn of_payment(conn: &mut DbConn, payment_id: &str) -> QueryResult<Vec<Refund>> {
        payment_refunds::table
            .filter(payment_refunds::payment_id.eq(payment_id))
            .order((payment_refunds::created_at, payment_refunds::id))
            .select(Refund::as_select())
            .load(conn)
    }
}

#[derive(Insertable)]
#[diesel(table_name = payment_callbacks)]
pub struct NewCallbackLog<'a> {
    pub gateway: &'a str,
    pub reference: Option<&'a str>,
    pub payment_id: Option<&'a str>,
    pub outcome: &'a str,
    pub http_status: i32,
    pub body: &'a str,
    pub client_ip: Option<&'a str>,
    pub received_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = payment_callbacks)]
pub struct CallbackLog {
    pub id: i64,
    pub gateway: String,
    pub reference: Option<String>,
    pub payment_id: Option<String>,
    pub outcome: String,
    pub http_status: i32,
    pub body: String,
    pub client_ip: Option<String>,
    pub received_at: NaiveDateTime,
}

impl NewCallbackLog<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(payment_callbacks::table)
            .values(self)
            .execute(conn)
            .map(|_| ())
    }
}
