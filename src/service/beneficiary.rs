//! The account the national payment platform pays a commune's fees into (tài khoản thụ
//! hưởng: account name, number, bank code), kept per commune or per province. A commune
//! without its own uses its province's; with neither, online payment is not offered there.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::payment_beneficiaries;
use crate::db::DbConn;
use crate::payments::Beneficiary;

/// A stored account and where it applies.
#[derive(Queryable, Selectable, Clone, Debug, PartialEq, Eq)]
#[diesel(table_name = payment_beneficiaries)]
pub struct BeneficiaryRow {
    pub scope_code: String,
    /// `commune` or `province`.
    pub scope: String,
    pub account_name: String,
    pub account_no: String,
    pub bank_code: String,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
}

impl BeneficiaryRow {
    pub fn account(&self) -> Beneficiary {
        Beneficiary {
            account_name: self.account_name.clone(),
            account_no: self.account_no.clone(),
            bank_code: self.bank_code.clone(),
        }
    }
}

/// `commune` or `province` scope of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Commune,
    Province,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Commune => "commune",
            Scope::Province => "province",
        }
    }
}

fn key(scope: Scope, code: &str) -> String {
    match scope {
        Scope::Commune => format!("C{code}"),
        Scope::Province => format!("P{code}"),
    }
}

/// The account stored for exactly this scope.
pub fn get(conn: &mut DbConn, scope: Scope, code: &str) -> QueryResult<Option<BeneficiaryRow>> {
    payment_beneficiaries::table
        .find(key(scope, code))
        .select(BeneficiaryRow::as_select())
        .first(conn)
        .optional()
}

/// Records (or replaces) the account of a scope.
pub fn set(
    conn: &mut DbConn,
    scope: Scope,
    code: &str,
    account: &Beneficiary,
    by: &str,
    now: DateTime<Utc>,
) -> QueryResult<BeneficiaryRow> {
    let k = key(scope, code);
    diesel::delete(payment_beneficiaries::table.find(&k)).execute(conn)?;
    diesel::insert_into(payment_beneficiaries::table)
        .values((
            payment_beneficiaries::scope_code.eq(&k),
            payment_beneficiaries::scope.eq(scope.as_str()),
            payment_beneficiaries::account_name.eq(&account.account_name),
            payment_beneficiaries::account_no.eq(&account.account_no),
            payment_beneficiaries::bank_code.eq(&account.bank_code),
            payment_beneficiaries::updated_by.eq(by),
            payment_beneficiaries::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    get(conn, scope, code).map(|r| r.expect("just written"))
}

/// The account the platform pays a commune's fees into: its own, else its province's.
pub fn effective(
    conn: &mut DbConn,
    commune_code: &str,
    province_code: &str,
) -> QueryResult<Option<BeneficiaryRow>> {
    match get(conn, Scope::Commune, commune_code)? {
        Some(own) => Ok(Some(own)),
        None => get(conn, Scope::Province, province_code),
    }
}
