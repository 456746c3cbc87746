//! The procedure catalog in the database: procedures, their effective-dated versions and the
//! communes that publish them.
//!
//! For other modules (dossiers): find a procedure with `Procedure::find_by_code`, take the
//! version in force when a dossier is received with `version_in_force_at`, store that
//! version's `id` on the dossier, and read its rules later with `ProcedureVersion::find` and
//! `ProcedureVersion::case`. Versions are never changed after the fact except for closing
//! their validity (`effective_to`), and never deleted.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{commune_procedures, procedure_versions, procedures};
use crate::db::DbConn;
use crate::domain::calendar::local_date as vietnam_date;
use crate::domain::catalog::{
    Case, ImplementingLevel, Named, OnlineLevel, ProcedureContent, ResultType, VersionStatus,
};
use crate::domain::text::fold;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = procedures)]
pub struct Procedure {
    pub id: String,
    pub code: String,
    pub active: bool,
    /// Number of the latest version (not necessarily in force yet).
    pub current_version_no: i64,
    /// Record version (ETag); bumped by every change.
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = procedure_versions)]
pub struct ProcedureVersion {
    pub id: String,
    pub procedure_id: String,
    pub version_no: i64,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub name: String,
    pub field: String,
    pub implementing_level: String,
    pub legal_basis: String,
    pub result_type: String,
    /// JSON array of `Case`.
    pub cases: String,
    pub search_key: String,
    pub field_key: String,
    pub online_levels: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
}

/// "In force on `$date`": `effective_from <= date < effective_to` (open-ended when NULL).
macro_rules! in_force_on {
    ($date:expr) => {
        procedure_versions::effective_from.le($date).and(
            procedure_versions::effective_to
                .is_null()
                .or(procedure_versions::effective_to.gt($date)),
        )
    };
}

impl ProcedureVersion {
    fn new(
        procedure_id: &str,
        version_no: i64,
        content: &ProcedureContent,
        effective_from: NaiveDate,
        created_by: Option<&str>,
        now: NaiveDateTime,
    ) -> Self {
        ProcedureVersion {
            id: uuid::Uuid::now_v7().to_string(),
            procedure_id: procedure_id.to_string(),
            version_no,
            effective_from,
            effective_to: None,
            name: content.name.clone(),
            field: content.field.clone(),
            implementing_level: content.implementing_level.as_str().to_string(),
            legal_basis: content.legal_basis.clone(),
            result_type: content.result_type.as_str().to_string(),
            cases: serde_json::to_string(&content.cases).expect("cases serialize"),
            search_key: content.search_key(),
            field_key: fold(&content.field),
            online_levels: content.online_levels(),
            created_at: now,
            created_by: created_by.map(str::to_string),
        }
    }

    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ProcedureVersion>> {
        procedure_versions::table
            .find(id)
            .select(ProcedureVersion::as_select())
            .first(conn)
            .optional()
    }

    /// The cases of this version. Fails only on a corrupt row.
    pub fn cases(&self) -> Result<Vec<Case>, String> {
        serde_json::from_str(&self.cases)
            .map_err(|e| format!("procedure version {}: corrupt cases: {e}", self.id))
    }

    /// One case of this version by its code.
    pub fn case(&self, case_code: &str) -> Result<Option<Case>, String> {
        Ok(self.cases()?.into_iter().find(|c| c.code == case_code))
    }

    pub fn implementing_level(&self) -> Result<ImplementingLevel, String> {
        Named::parse(&self.implementing_level)
            .ok_or_else(|| format!("procedure version {}: unknown implementing_level", self.id))
    }

    pub fn result_type(&self) -> Result<ResultType, String> {
        Named::parse(&self.result_type)
            .ok_or_else(|| format!("procedure version {}: unknown result_type", self.id))
    }

    /// The content of this version (without an effective date) under the procedure's code.
    pub fn content(&self, code: &str) -> Result<ProcedureContent, String> {
        Ok(ProcedureContent {
            code: code.to_string(),
            name: self.name.clone(),
            field: self.field.clone(),
            implementing_level: self.implementing_level()?,
            legal_basis: self.legal_basis.clone(),
            result_type: self.result_type()?,
            cases: self.cases()?,
            effective_from: None,
        })
    }

    pub fn status_on(&self, date: NaiveDate) -> VersionStatus {
        VersionStatus::on(self.effective_from, self.effective_to, date)
    }

    /// Versions of a procedure, newest first, below `before` (a version number) when given.
    pub fn history(
        conn: &mut DbConn,
        procedure_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<ProcedureVersion>> {
        let mut q = procedure_versions::table
            .filter(procedure_versions::procedure_id.eq(procedure_id))
            .select(ProcedureVersion::as_select())
            .order(procedure_versions::version_no.desc())
            .limit(limit)
            .into_boxed();
        if let Some(before) = before {
            q = q.filter(procedure_versions::version_no.lt(before));
        }
        q.load(conn)
    }
}

/// The version of a procedure in force on a date (Vietnam calendar), if any.
pub fn version_in_force(
    conn: &mut DbConn,
    procedure_code: &str,
    date: NaiveDate,
) -> QueryResult<Option<ProcedureVersion>> {
    Ok(Procedure::in_force(conn, procedure_code, date)?.map(|(_, v)| v))
}

/// The version of a procedure in force at an instant: what a dossier received then follows.
pub fn version_in_force_at(
    conn: &mut DbConn,
    procedure_code: &str,
    at: DateTime<Utc>,
) -> QueryResult<Option<ProcedureVersion>> {
    version_in_force(conn, procedure_code, vietnam_date(at))
}

/// Filters of a catalog list.
#[derive(Clone, Debug, Default)]
pub struct CatalogFilter {
    /// Lĩnh vực, compared accent- and case-insensitively.
    pub field: Option<String>,
    /// Procedures with at least one case at this level.
    pub online_level: Option<OnlineLevel>,
    pub active: Option<bool>,
    /// Accent-insensitive words of the name, code or field.
    pub q: Option<String>,
    /// Only procedures this commune publishes.
    pub published_in: Option<String>,
}

impl Procedure {
    pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Procedure>> {
        procedures::table
            .filter(procedures::code.eq(code))
            .select(Procedure::as_select())
            .first(conn)
            .optional()
    }

    /// A procedure with its version in force on `date`.
    pub fn in_force(
        conn: &mut DbConn,
        code: &str,
        date: NaiveDate,
    ) -> QueryResult<Option<(Procedure, ProcedureVersion)>> {
        procedures::table
            .inner_join(procedure_versions::table)
            .filter(procedures::code.eq(code))
            .filter(in_force_on!(date))
            .select((Procedure::as_select(), ProcedureVersion::as_select()))
            .first(conn)
            .optional()
    }

    /// A procedure with its latest version (the one a new version replaces).
    pub fn latest(
        conn: &mut DbConn,
        code: &str,
    ) -> QueryResult<Option<(Procedure, ProcedureVersion)>> {
        Ok(Self::latest_of(conn, &[code.to_string()])?.remove(code))
    }

    /// Latest versions of the procedures with these codes (absent codes are left out).
    pub fn latest_of(
        conn: &mut DbConn,
        codes: &[String],
    ) -> QueryResult<HashMap<String, (Procedure, ProcedureVersion)>> {
        let mut out = HashMap::with_capacity(codes.len());
        // Chunks keep the bind-parameter count well inside both backends' limits.
        for chunk in codes.chunks(500) {
            let rows: Vec<(Procedure, ProcedureVersion)> = procedures::table
                .inner_join(procedure_versions::table)
                .filter(procedures::code.eq_any(chunk))
                .filter(procedure_versions::version_no.eq(procedures::current_version_no))
                .select((Procedure::as_select(), ProcedureVersion::as_select()))
                .load(conn)?;
            out.extend(rows.into_iter().map(|(p, v)| (p.code.clone(), (p, v))));
        }
        Ok(out)
    }

    /// Every procedure with its latest version, by code (export).
    pub fn all_latest(conn: &mut DbConn) -> QueryResult<Vec<(Procedure, ProcedureVersion)>> {
        procedures::table
            .inner_join(procedure_versions::table)
            .filter(procedure_versions::version_no.eq(procedures::current_version_no))
            .order(procedures::code.asc())
            .select((Procedure::as_select(), ProcedureVersion::as_select()))
            .load(conn)
    }

    /// One page of procedures with their version in force on `date`, by code after `after`.
    /// A procedure none of whose versions is in force on that date is not listed.
    pub fn list_in_force(
        conn: &mut DbConn,
        filter: &CatalogFilter,
        date: NaiveDate,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<(Procedure, ProcedureVersion)>> {
        let mut q = procedures::table
            .inner_join(procedure_versions::table)
            .filter(in_force_on!(date))
            .select((Procedure::as_select(), ProcedureVersion::as_select()))
            .order(procedures::code.asc())
            .limit(limit)
            .into_boxed();
        if let Some(field) = filter.field.as_deref().map(fold).filter(|f| !f.is_empty()) {
            q = q.filter(procedure_versions::field_key.eq(field));
        }
        if let Some(level) = filter.online_level {
            q = q.filter(procedure_versions::online_levels.like(format!("%,{},%", level.as_str())));
        }
        if let Some(active) = filter.active {
            q = q.filter(procedures::active.eq(active));
        }
        if let Some(text) = filter.q.as_deref().filter(|t| !t.trim().is_empty()) {
            let pattern = crate::db::like_contains(text, &fold(text));
            q = q.filter(
                procedure_versions::search_key
                    .like(pattern)
                    .escape(crate::db::LIKE_ESCAPE),
            );
        }
        if let Some(commune) = &filter.published_in {
            let published = commune_procedures::table
                .filter(commune_procedures::commune_code.eq(commune.clone()))
                .select(commune_procedures::procedure_id);
            q = q.filter(procedures::id.eq_any(published));
        }
        if let Some(after) = after {
            q = q.filter(procedures::code.gt(after.to_string()));
        }
        q.load(conn)
    }

    /// Creates a procedure with its first version.
    pub fn create(
        conn: &mut DbConn,
        content: &ProcedureContent,
        effective_from: NaiveDate,
        created_by: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<(Procedure, ProcedureVersion)> {
        let procedure = Procedure {
            id: uuid::Uuid::now_v7().to_string(),
            code: content.code.clone(),
            active: true,
            current_version_no: 1,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(procedures::table)
            .values(&procedure)
            .execute(conn)?;
        let version =
            ProcedureVersion::new(&procedure.id, 1, content, effective_from, created_by, now);
        diesel::insert_into(procedure_versions::table)
            .values(&version)
            .execute(conn)?;
        Ok((procedure, version))
    }

    /// Adds a version taking effect on `effective_from`, if the record still has the version
    /// `self.version` (else `None`: someone changed it meanwhile).
    ///
    /// The new version replaces everything from that date on: the version in force then ends
    /// there, and versions scheduled on or after it are cancelled (they keep
    /// `effective_to = effective_from` and are never in force). `reactivate` also sets the
    /// procedure active again.
    pub fn add_version(
        &self,
        conn: &mut DbConn,
        content: &ProcedureContent,
        effective_from: NaiveDate,
        created_by: Option<&str>,
        now: NaiveDateTime,
        reactivate: bool,
    ) -> QueryResult<Option<(Procedure, ProcedureVersion)>> {
        let version_no = self.current_version_no + 1;
        let n = diesel::update(
            procedures::table
                .filter(procedures::id.eq(&self.id))
                .filter(procedures::version.eq(self.version)),
        )
        .set((
            procedures::current_version_no.eq(version_no),
            procedures::active.eq(self.active || reactivate),
            procedures::version.eq(procedures::version + 1),
            procedures::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Ok(None);
        }
        let mine = procedure_versions::table.filter(procedure_versions::procedure_id.eq(&self.id));
        diesel::update(
            mine.filter(procedure_versions::effective_from.ge(effective_from))
                .filter(
                    procedure_versions::effective_to
                        .is_null()
                        .or(procedure_versions::effective_to
                            .gt(procedure_versions::effective_from.nullable())),
                ),
        )
        .set(procedure_versions::effective_to.eq(procedure_versions::effective_from.nullable()))
        .execute(conn)?;
        diesel::update(
            mine.filter(procedure_versions::effective_from.lt(effective_from))
                .filter(
                    procedure_versions::effective_to
                        .is_null()
                        .or(procedure_versions::effective_to.gt(effective_from)),
                ),
        )
        .set(procedure_versions::effective_to.eq(Some(effective_from)))
        .execute(conn)?;
        let version = ProcedureVersion::new(
            &self.id,
            version_no,
            content,
            effective_from,
            created_by,
            now,
        );
        diesel::insert_into(procedure_versions::table)
            .values(&version)
            .execute(conn)?;
        let procedure = procedures::table
            .find(&self.id)
            .select(Procedure::as_select())
            .first(conn)?;
        Ok(Some((procedure, version)))
    }

    /// Marks the procedure inactive if the record still has `expected_version`; returns the
    /// new record, or `None` on a version mismatch. Nothing is deleted: dossiers refer to it.
    pub fn deactivate(
        conn: &mut DbConn,
        id: &str,
        expected_version: i64,
        now: NaiveDateTime,
    ) -> QueryResult<Option<Procedure>> {
        let n = diesel::update(
            procedures::table
                .filter(procedures::id.eq(id))
                .filter(procedures::version.eq(expected_version)),
        )
        .set((
            procedures::active.eq(false),
            procedures::version.eq(procedures::version + 1),
            procedures::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Ok(None);
        }
        procedures::table
            .find(id)
            .select(Procedure::as_select())
            .first(conn)
            .map(Some)
    }
}

/// A commune's publication of a procedure.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = commune_procedures)]
pub struct Publication {
    pub commune_code: String,
    pub procedure_id: String,
    pub published_at: NaiveDateTime,
    pub published_by: Option<String>,
}

impl Publication {
    /// Publishes; returns false (and changes nothing) when it was already published.
    pub fn publish(conn: &mut DbConn, publication: &Publication) -> QueryResult<bool> {
        let insert = diesel::insert_into(commune_procedures::table).values(publication);
        let n = match conn {
            DbConn::Pg(c) => insert.on_conflict_do_nothing().execute(c)?,
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(commune_procedures::table)
                .values(publication)
                .execute(c)?,
        };
        Ok(n == 1)
    }

    /// Withdraws; returns false when it was not published.
    pub fn unpublish(
        conn: &mut DbConn,
        commune_code: &str,
        procedure_id: &str,
    ) -> QueryResult<bool> {
        let n = diesel::delete(commune_procedures::table.find((commune_code, procedure_id)))
            .execute(conn)?;
        Ok(n == 1)
    }

    pub fn find(
        conn: &mut DbConn,
        commune_code: &str,
        procedure_id: &str,
    ) -> QueryResult<Option<Publication>> {
        commune_procedures::table
            .find((commune_code, procedure_id))
            .select(Publication::as_select())
            .first(conn)
            .optional()
    }

    /// Publication times of some procedures in a commune, by procedure id (one query).
    pub fn times(
        conn: &mut DbConn,
        commune_code: &str,
        procedure_ids: &[String],
    ) -> QueryResult<HashMap<String, NaiveDateTime>> {
        let rows: Vec<(String, NaiveDateTime)> = commune_procedures::table
            .filter(commune_procedures::commune_code.eq(commune_code))
            .filter(commune_procedures::procedure_id.eq_any(procedure_ids))
            .select((
                commune_procedures::procedure_id,
                commune_procedures::published_at,
            ))
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }
}

/// `(id, name)` of these procedure versions, one query.
pub fn version_names(conn: &mut DbConn, ids: Vec<String>) -> QueryResult<Vec<(String, String)>> {
    procedure_versions::table
        .filter(procedure_versions::id.eq_any(ids))
        .select((procedure_versions::id, procedure_versions::name))
        .load(conn)
}
