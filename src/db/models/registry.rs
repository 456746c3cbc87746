//! Provinces and communes (Decision 19/2025/QĐ-TTg registry plus local contact details).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{communes, provinces};
use crate::db::DbConn;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = provinces)]
pub struct Province {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub name_en: String,
    pub unit_type: String,
    pub formed_from: String,
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = communes)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub full_name: String,
    pub name_en: String,
    pub unit_type: String,
    pub province_code: String,
    pub formed_from: String,
    pub predecessors: String,
    pub agency_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub opening_hours: Option<String>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// Contact details a commune maintains itself; `None` leaves a column alone.
#[derive(AsChangeset, Default)]
#[diesel(table_name = communes)]
pub struct CommuneChanges {
    pub agency_code: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub opening_hours: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

impl Commune {
    pub fn find(conn: &mut DbConn, code: &str) -> QueryResult<Option<Commune>> {
        communes::table
            .find(code)
            .select(Commune::as_select())
            .first(conn)
            .optional()
    }

    /// The agency identifier used in dossier codes (mã định danh cơ quan). Until a commune
    /// sets its official one, `H{province}.{commune}` keeps codes unique and well-formed.
    pub fn agency_id(&self) -> String {
        self.agency_code
            .clone()
            .unwrap_or_else(|| crate::domain::agency_id::fallback(&self.province_code, &self.code))
    }

    pub fn update_versioned(
        conn: &mut DbConn,
        code: &str,
        expected_version: i64,
        changes: &CommuneChanges,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            communes::table
                .filter(communes::code.eq(code))
                .filter(communes::version.eq(expected_version)),
        )
        .set((changes, communes::version.eq(communes::version + 1)))
        .execute(conn)?;
        Ok(n == 1)
    }
}

impl Province {
    pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Province>> {
        provinces::table
            .select(Province::as_select())
            .order(provinces::code.asc())
            .load(conn)
    }

    /// Provinces by code after the keyset cursor `after`; `limit + 1` rows tell whether
    /// there are more.
    pub fn page(
        conn: &mut DbConn,
        after: Option<String>,
        limit: i64,
    ) -> QueryResult<Vec<Province>> {
        let mut q = provinces::table
            .select(Province::as_select())
            .order(provinces::code.asc())
            .limit(limit + 1)
            .into_boxed();
        if let Some(a) = after {
            q = q.filter(provinces::code.gt(a));
        }
        q.load(conn)
    }

    pub fn find(conn: &mut DbConn, code: &str) -> QueryResult<Option<Province>> {
        provinces::table
            .find(code)
            .select(Province::as_select())
            .first(conn)
            .optional()
    }
}
