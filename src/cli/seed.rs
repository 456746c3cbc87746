//! Reference data shipped in the binary (seeds/, see seeds/LICENSE-data.md), the sample
//! procedure catalog and demo accounts.
//! Every seed is idempotent: re-running changes nothing; a newer dataset updates official
//! names and lineage but never the columns a commune edits locally (agency code, contacts).

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::{password, random_token};
use crate::db::models::procedure::{Procedure, Publication};
use crate::db::models::user::{User, UserChanges};
use crate::db::schema::{communes, provinces};
use crate::db::DbConn;
use crate::domain::calendar::today as vietnam_today;
use crate::domain::catalog::{
    Case, DocumentForm, ImplementingLevel, OnlineLevel, ProcedureContent, ProcessingTime,
    RequiredDocument, ResultType, TimeUnit, DEFAULT_CASE_NAME,
};
use crate::domain::lineage;
use crate::domain::roles::Role;
use crate::domain::text::{fold, nfc};

pub const PROVINCES_CSV: &str = include_str!("../../seeds/provinces.csv");
pub const COMMUNES_CSV: &str = include_str!("../../seeds/communes.csv");
pub const PROCEDURES_CSV: &str = include_str!("../../seeds/procedures-sample.csv");
pub const PROCEDURE_DOCUMENTS_CSV: &str = include_str!("../../seeds/procedure-documents.csv");

#[derive(Deserialize)]
struct ProvinceRow {
    code: String,
    name: String,
    name_en: String,
    full_name: String,
    unit_type: String,
    formed_from: String,
}

#[derive(Deserialize)]
struct CommuneRow {
    code: String,
    name: String,
    name_en: String,
    full_name: String,
    province_code: String,
    unit_type: String,
    formed_from: String,
}

#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn read_csv<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<T>, String> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| format!("row {}: {e}", i + 2)))
        .collect()
}

/// Loads the 34 provinces and 3,321 communes (one transaction).
pub fn seed_registry(conn: &mut DbConn) -> Result<(SeedReport, SeedReport), String> {
    seed_registry_of(conn, None)
}

/// As `seed_registry`, limited to some provinces (tests load only what they use).
pub fn seed_registry_of(
    conn: &mut DbConn,
    only: Option<&[&str]>,
) -> Result<(SeedReport, SeedReport), String> {
    let keep = |code: &str| only.is_none_or(|list| list.contains(&code));
    let mut province_rows: Vec<ProvinceRow> = read_csv(PROVINCES_CSV)?;
    let mut commune_rows: Vec<CommuneRow> = read_csv(COMMUNES_CSV)?;
    province_rows.retain(|r| keep(&r.code));
    commune_rows.retain(|r| keep(&r.province_code));
    conn.write_transaction(|conn| {
        let mut p_report = SeedReport::default();
        let existing: HashMap<String, (String, String, String, String, String)> = provinces::table
            .select((
                provinces::code,
                provinces::name,
                provinces::full_name,
                provinces::name_en,
                provinces::unit_type,
                provinces::formed_from,
            ))
            .load::<(String, String, String, String, String, String)>(conn)?
            .into_iter()
            .map(|(c, a, b, d, e, f)| (c, (a, b, d, e, f)))
            .collect();
        for r in &province_rows {
            let (name, full_name) = (nfc(&r.name), nfc(&r.full_name));
            let wanted = (
                name.clone(),
                full_name.clone(),
                r.name_en.clone(),
                r.unit_type.clone(),
                nfc(&r.formed_from),
            );
            let search_key = fold(&format!("{name} {full_name} {}", r.name_en));
            match existing.get(&r.code) {
                None => {
                    diesel::insert_into(provinces::table)
                        .values((
                            provinces::code.eq(&r.code),
                            provinces::name.eq(&wanted.0),
                            provinces::full_name.eq(&wanted.1),
                            provinces::name_en.eq(&wanted.2),
                            provinces::unit_type.eq(&wanted.3),
                            provinces::formed_from.eq(&wanted.4),
                            provinces::search_key.eq(&search_key),
                        ))
                        .execute(conn)?;
                    p_report.inserted += 1;
                }
                Some(have) if *have == wanted => p_report.unchanged += 1,
                Some(_) => {
                    diesel::update(provinces::table.find(&r.code))
                        .set((
                            provinces::name.eq(&wanted.0),
                            provinces::full_name.eq(&wanted.1),
                            provinces::name_en.eq(&wanted.2),
                            provinces::unit_type.eq(&wanted.3),
                            provinces::formed_from.eq(&wanted.4),
                            provinces::search_key.eq(&search_key),
                        ))
                        .execute(conn)?;
                    p_report.updated += 1;
                }
            }
        }

        let mut c_report = SeedReport::default();
        type Official = (String, String, String, String, String, String);
        let existing: HashMap<String, Official> = communes::table
            .select((
                communes::code,
                (
                    communes::name,
                    communes::full_name,
                    communes::name_en,
                    communes::unit_type,
                    communes::province_code,
                    communes::formed_from,
                ),
            ))
            .load::<(String, Official)>(conn)?
            .into_iter()
            .collect();
        let now = crate::clock::now().naive_utc();
        for r in &commune_rows {
            let wanted: Official = (
                nfc(&r.name),
                nfc(&r.full_name),
                r.name_en.clone(),
                r.unit_type.clone(),
                r.province_code.clone(),
                nfc(&r.formed_from),
            );
            if existing.get(&r.code) == Some(&wanted) {
                c_report.unchanged += 1;
                continue;
            }
            let predecessors = lineage::parse_formed_from(&wanted.5);
            let predecessors_json =
                serde_json::to_string(&predecessors).unwrap_or_else(|_| "[]".into());
            let search_key = fold(&format!("{} {} {}", wanted.0, wanted.1, wanted.2));
            let lineage_key = lineage::search_terms(&predecessors);
            let official = (
                communes::name.eq(&wanted.0),
                communes::full_name.eq(&wanted.1),
                communes::name_en.eq(&wanted.2),
                communes::unit_type.eq(&wanted.3),
                communes::province_code.eq(&wanted.4),
                communes::formed_from.eq(&wanted.5),
                communes::predecessors.eq(&predecessors_json),
                communes::search_key.eq(&search_key),
                communes::lineage_key.eq(&lineage_key),
            );
            if existing.contains_key(&r.code) {
                diesel::update(communes::table.find(&r.code))
                    .set((
                        official,
                        communes::version.eq(communes::version + 1),
                        communes::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                c_report.updated += 1;
            } else {
                diesel::insert_into(communes::table)
                    .values((
                        communes::code.eq(&r.code),
                        official,
                        communes::version.eq(1i64),
                        communes::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                c_report.inserted += 1;
            }
        }
        Ok::<_, diesel::result::Error>((p_report, c_report))
    })
    .map_err(|e| e.to_string())
}

/// The commune whose demo accounts `--demo` creates: Xã Kim Bôi, Phú Thọ.
pub const DEMO_COMMUNE: &str = "04978";
pub const DEMO_PROVINCE: &str = "25";

/// Creates (or resets the password of) one demo account per role; returns the passwords,
/// which exist nowhere else: the caller prints them once.
pub fn demo_accounts(conn: &mut DbConn) -> Result<Vec<(String, Role, String)>, String> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let username = format!("demo.{}", role.as_str().replace('_', "-"));
        let pw = random_token(12);
        let hash = password::hash(&pw);
        let (commune, province) = if role.requires_commune() || role == Role::Citizen {
            (
                Some(DEMO_COMMUNE.to_string()),
                Some(DEMO_PROVINCE.to_string()),
            )
        } else if role.requires_province() {
            (None, Some(DEMO_PROVINCE.to_string()))
        } else {
            (None, None)
        };
        let now = crate::clock::now().naive_utc();
        match User::find_by_username(conn, &username).map_err(|e| e.to_string())? {
            Some(u) => {
                let changes = UserChanges {
                    password_hash: Some(hash),
                    active: Some(true),
                    updated_at: Some(now),
                    ..Default::default()
                };
                User::update_versioned(conn, &u.id, u.version, &changes, true)
                    .map_err(|e| e.to_string())?;
            }
            None => {
                let full_name = format!("Tài khoản thử nghiệm ({})", role.as_str());
                User::insert(
                    conn,
                    &User {
                        id: uuid::Uuid::now_v7().to_string(),
                        search_key: fold(&format!("{username} {full_name}")),
                        username: username.clone(),
                        full_name,
                        password_hash: hash,
                        role,
                        commune_code: commune,
                        province_code: province,
                        personal_id: None,
                        active: true,
                        session_epoch: 0,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                        personal_id_source: None,
                        personal_id_verified_at: None,
                    },
                )
                .map_err(|e| e.to_string())?;
                if role == Role::Citizen {
                    // The demo citizen's identity, as an operator's (audited) verification.
                    let user = User::find_by_username(conn, &username)
                        .map_err(|e| e.to_string())?
                        .ok_or("demo citizen vanished")?;
                    crate::service::identity::set_verified_personal_id(
                        conn,
                        &user,
                        "025190000001",
                        crate::service::identity::IdSource::SystemAdmin,
                        &crate::service::identity::Actor {
                            id: "seed",
                            role: "system_admin",
                        },
                        now,
                    )
                    .map_err(|e| format!("{e:?}"))?;
                }
            }
        }
        out.push((username, role, pw));
    }
    Ok(out)
}

/// A row of seeds/procedures-sample.csv. Its fee columns belong to the fee schedules and
/// `certainty` is for people; neither is read here.
#[derive(Deserialize)]
struct SampleProcedureRow {
    code: String,
    name: String,
    field: String,
    processing_time: u32,
    time_unit: String,
    online_level: String,
    notes: String,
}

/// A row of seeds/procedure-documents.csv: a document the law requires for a sample procedure
/// (`basis` names the article, for people; it is not read).
#[derive(Deserialize)]
struct SampleDocumentRow {
    code: String,
    document: String,
    form: DocumentForm,
    count: u32,
    required: bool,
    from_data_store_allowed: bool,
}

/// The sample catalog as procedure content: each row becomes one "default" case, with the
/// documents of seeds/procedure-documents.csv (the civil-status and certification procedures,
/// whose documents the law lists; the others start with none). The sample says nothing of
/// legal basis or result form: those start empty (result `paper`) for an administrator.
pub fn sample_procedures() -> Result<Vec<ProcedureContent>, String> {
    let rows: Vec<SampleProcedureRow> = read_csv(PROCEDURES_CSV)?;
    let mut documents: HashMap<String, Vec<RequiredDocument>> = HashMap::new();
    for d in read_csv::<SampleDocumentRow>(PROCEDURE_DOCUMENTS_CSV)? {
        documents.entry(d.code).or_default().push(RequiredDocument {
            name: d.document,
            form: d.form,
            count: d.count,
            required: d.required,
            from_data_store_allowed: d.from_data_store_allowed,
        });
    }
    let contents = rows
        .into_iter()
        .map(|r| {
            let unit = match r.time_unit.as_str() {
                "working_days" => TimeUnit::WorkingDays,
                "days" => TimeUnit::CalendarDays,
                "same_day" => TimeUnit::SameDay,
                other => return Err(format!("procedure {}: unknown time unit {other}", r.code)),
            };
            let online_level = match r.online_level.as_str() {
                "full" => OnlineLevel::Full,
                "partial" => OnlineLevel::Partial,
                other => {
                    return Err(format!(
                        "procedure {}: unknown online level {other}",
                        r.code
                    ))
                }
            };
            // "same day when received before 15:00", "received after 15:00 -> next working day".
            let case_documents = documents.remove(&r.code).unwrap_or_default();
            let cutoff = (unit == TimeUnit::SameDay && r.notes.contains("15:00"))
                .then(|| "15:00".to_string());
            let content = ProcedureContent {
                code: r.code,
                name: r.name,
                field: r.field,
                implementing_level: ImplementingLevel::Commune,
                legal_basis: String::new(),
                result_type: ResultType::Paper,
                cases: vec![Case {
                    code: "default".into(),
                    name: DEFAULT_CASE_NAME.into(),
                    processing_time: ProcessingTime {
                        value: r.processing_time,
                        unit,
                        cutoff,
                    },
                    online_level,
                    documents: case_documents,
                }],
                effective_from: None,
            }
            .normalized();
            match content.issues().first() {
                Some(i) => Err(format!(
                    "procedure {}: {}: {}",
                    content.code, i.field, i.message.en
                )),
                None => Ok(content),
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    // A document row for a code the sample lacks is a typo in the seed, not data to drop.
    match documents.keys().next() {
        Some(code) => Err(format!(
            "procedure-documents.csv: {code} is not a sample procedure"
        )),
        None => Ok(contents),
    }
}

/// Adds the sample procedures the catalog lacks. Procedures already there are left alone,
/// even when they differ: the sample is a starter that administrators then edit, and a reseed
/// must not undo their edits (catalog updates go through `motcua catalog import`).
pub fn seed_catalog(conn: &mut DbConn) -> Result<SeedReport, String> {
    let contents = sample_procedures()?;
    let today = vietnam_today();
    conn.write_transaction(|conn| {
        let codes: Vec<String> = contents.iter().map(|c| c.code.clone()).collect();
        let existing = Procedure::latest_of(conn, &codes)?;
        let now = crate::clock::now().naive_utc();
        let mut report = SeedReport::default();
        for content in &contents {
            if existing.contains_key(&content.code) {
                report.unchanged += 1;
            } else {
                Procedure::create(conn, content, today, None, now)?;
                report.inserted += 1;
            }
        }
        Ok::<_, diesel::result::Error>(report)
    })
    .map_err(|e| e.to_string())
}

/// The fee schedules whose amounts are verified (seeds/fee-schedules.json).
const FEE_SCHEDULES: &str = include_str!("../../seeds/fee-schedules.json");

/// Adds the shipped national fee schedules that are missing. Like the catalog, existing
/// schedules (and their later versions) are never touched by a reseed.
pub fn seed_fee_schedules(conn: &mut DbConn) -> Result<SeedReport, String> {
    let inputs: Vec<crate::service::fees::ScheduleInput> =
        serde_json::from_str(FEE_SCHEDULES).map_err(|e| format!("fee-schedules.json: {e}"))?;
    conn.write_transaction(|conn| {
        let mut report = SeedReport::default();
        for input in &inputs {
            if crate::service::fees::schedule_exists(conn, input)? {
                report.unchanged += 1;
            } else {
                crate::service::fees::insert_schedule(conn, input, "seed")?;
                report.inserted += 1;
            }
        }
        Ok::<_, crate::error::ApiError>(report)
    })
    .map_err(|e| format!("fee schedules: {} {:?}", e.code, e.field_errors))
}

/// Publishes the sample procedures in a commune (the demo commune), keeping existing
/// publications as they are.
pub fn publish_sample_catalog(conn: &mut DbConn, commune_code: &str) -> Result<SeedReport, String> {
    let codes: Vec<String> = sample_procedures()?.into_iter().map(|c| c.code).collect();
    conn.write_transaction(|conn| {
        let procedures = Procedure::latest_of(conn, &codes)?;
        let now = crate::clock::now().naive_utc();
        let mut report = SeedReport::default();
        for (procedure, _) in procedures.values() {
            let publication = Publication {
                commune_code: commune_code.to_string(),
                procedure_id: procedure.id.clone(),
                published_at: now,
                published_by: None,
            };
            if Publication::publish(conn, &publication)? {
                report.inserted += 1;
            } else {
                report.unchanged += 1;
            }
        }
        Ok::<_, diesel::result::Error>(report)
    })
    .map_err(|e| e.to_string())
}

/// `motcua seed`: registry, sample catalog and national fee schedules; with `demo`, the
/// sample catalog is also published in the demo commune.
pub fn seed_all(conn: &mut DbConn, demo: bool) -> Result<(), String> {
    let (p, c) = seed_registry(conn)?;
    log::info!("provinces: {p:?}; communes: {c:?}");
    let catalog = seed_catalog(conn)?;
    log::info!("sample procedures: {catalog:?}");
    let fees = seed_fee_schedules(conn)?;
    log::info!("national fee schedules: {fees:?}");
    if demo {
        let published = publish_sample_catalog(conn, DEMO_COMMUNE)?;
        log::info!("sample procedures published in {DEMO_COMMUNE}: {published:?}");
        // The sandbox platform needs a beneficiary account to offer online payment; the
        // demo commune gets an obviously fictitious one (never in production: only --demo).
        use crate::service::beneficiary::{self, Scope};
        if beneficiary::get(conn, Scope::Commune, DEMO_COMMUNE)
            .map_err(|e| e.to_string())?
            .is_none()
        {
            beneficiary::set(
                conn,
                Scope::Commune,
                DEMO_COMMUNE,
                &crate::payments::Beneficiary {
                    account_name: "TAI KHOAN DEMO - KHONG CO THAT".into(),
                    account_no: "0000000000".into(),
                    bank_code: "DEMO".into(),
                },
                "seed",
                crate::clock::now(),
            )
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
