//! Fee schedules (phí, lệ phí) and each dossier's assessment.
//!
//! Schedules are versioned and never edited: a new version starts on its effective date,
//! and a dossier keeps the versions in force on the day it was filed. Provinces set some
//! amounts (hộ tịch fees by the provincial council), so a schedule may be national, or an
//! override for one province or one commune that names its legal basis; the most specific
//! one in force applies.

use std::collections::{BTreeMap, HashMap};

use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::dossiers::{load_visible, Channel};
use super::extract::{etag, validation_error, IfMatch, Page, PageParams, ValidJson};
use crate::auth::access::{self, Resource};
use crate::auth::roles::{AnyRole, SystemAdmins};
use crate::auth::{Authorized, Principal, Role};
use crate::db::models::dossier::{Dossier, NewDossierEvent};
use crate::db::models::fee::{DossierFee, FeeAssessment, FeeSchedule};
use crate::db::models::procedure::{version_in_force_at, Procedure};
use crate::db::models::registry::{Commune, Province};
use crate::db::schema::{dossier_fees, fee_assessments, fee_schedules, payment_refunds, payments};
use crate::db::DbConn;
use crate::domain::calendar::local_date;
use crate::domain::dossier_lifecycle::{Action, Status};
use crate::domain::fees::{Collection, Exemption, FeeError, FeeKind, FeeRule};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult, FieldErrors, Text};
use crate::state::AppState;

// ---------------------------------------------------------------- schedules

/// Who a schedule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeScope {
    /// The national default.
    National,
    /// Set by a province (e.g. its council's resolution on hộ tịch fees); `scope_code` is
    /// the province code.
    Province,
    /// For one commune; `scope_code` is the commune code.
    Commune,
}

impl FeeScope {
    fn as_str(self) -> &'static str {
        match self {
            FeeScope::National => "national",
            FeeScope::Province => "province",
            FeeScope::Commune => "commune",
        }
    }
    fn parse(s: &str) -> FeeScope {
        match s {
            "province" => FeeScope::Province,
            "commune" => FeeScope::Commune,
            _ => FeeScope::National,
        }
    }
    /// Higher is more specific.
    fn rank(self) -> u8 {
        match self {
            FeeScope::National => 0,
            FeeScope::Province => 1,
            FeeScope::Commune => 2,
        }
    }
}

/// A new schedule version.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "procedure_code": "2.000815", "fee_code": "CT-BANSAO", "kind": "phi",
    "name": "Phí chứng thực bản sao từ bản chính", "collection": "before_processing",
    "rule": {"type": "per_unit", "unit": "page", "set_unit": "copy", "cap_per_set": 200000,
             "tiers": [{"from": 1, "to": 2, "amount": 2000}, {"from": 3, "to": null, "amount": 1000}]},
    "exemptions": [], "scope": "national", "effective_from": "2025-07-01",
    "legal_basis": "Thông tư 226/2016/TT-BTC"}))]
pub struct ScheduleInput {
    /// National procedure code (must be in the catalog).
    #[validate(length(min = 1, max = 50))]
    pub procedure_code: String,
    /// Only for this case of the procedure; absent: every case.
    #[validate(length(min = 1, max = 50))]
    pub case_code: Option<String>,
    /// The fee's code (MaPhiLePhi); one schedule per code, scope and case.
    #[validate(length(min = 1, max = 50), custom(function = "fee_code_chars"))]
    pub fee_code: String,
    pub kind: FeeKind,
    #[validate(length(min = 1, max = 300))]
    pub name: String,
    pub collection: Collection,
    /// The amount for the counter and post, and online unless `online_rule` is given.
    pub rule: FeeRule,
    /// A different amount for online dossiers (e.g. half of the counter fee).
    pub online_rule: Option<FeeRule>,
    /// Applicants who pay nothing, each with its legal reason.
    #[serde(default)]
    #[validate(length(max = 30))]
    pub exemptions: Vec<Exemption>,
    pub scope: FeeScope,
    /// Province code for `province`, commune code for `commune`; absent for `national`.
    pub scope_code: Option<String>,
    /// First day (Vietnam date) the version applies to dossiers filed that day.
    pub effective_from: NaiveDate,
    /// Last day it applies (inclusive); absent: until replaced. A version with an end
    /// falls back to the previous one afterwards (temporary reductions).
    pub effective_to: Option<NaiveDate>,
    /// The text that sets the amount. Required for province and commune overrides.
    #[validate(length(max = 1000))]
    #[serde(default)]
    pub legal_basis: String,
}

fn fee_code_chars(s: &str) -> Result<(), validator::ValidationError> {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Ok(())
    } else {
        Err(super::extract::rule(
            "fee_code",
            "Mã phí chỉ gồm chữ, số, '.', '-', '_'.",
            "fee_code may only contain letters, digits, '.', '-' and '_'.",
        ))
    }
}

/// A schedule version.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ScheduleView {
    pub id: String,
    /// 1, 2, … per schedule (same procedure, case, fee code and scope).
    pub version_no: i64,
    pub procedure_code: String,
    pub case_code: Option<String>,
    pub fee_code: String,
    pub kind: FeeKind,
    pub name: String,
    pub collection: Collection,
    pub rule: FeeRule,
    pub online_rule: Option<FeeRule>,
    pub exemptions: Vec<Exemption>,
    pub scope: FeeScope,
    pub scope_code: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub legal_basis: String,
    pub created_at: DateTime<Utc>,
}

fn parse_stored<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

fn schedule_view(s: FeeSchedule) -> ApiResult<ScheduleView> {
    Ok(ScheduleView {
        rule: parse_stored(&s.rule)?,
        online_rule: s.online_rule.as_deref().map(parse_stored).transpose()?,
        exemptions: parse_stored(&s.exemptions)?,
        kind: FeeKind::parse(&s.kind).ok_or_else(|| ApiError::internal("fee kind"))?,
        collection: Collection::parse(&s.collection)
            .ok_or_else(|| ApiError::internal("fee collection"))?,
        scope: FeeScope::parse(&s.scope),
        id: s.id,
        version_no: s.version_no,
        procedure_code: s.procedure_code,
        case_code: s.case_code,
        fee_code: s.fee_code,
        name: s.name,
        scope_code: s.scope_code,
        effective_from: s.effective_from,
        effective_to: s.effective_to,
        legal_basis: s.legal_basis,
        created_at: DateTime::from_naive_utc_and_offset(s.created_at, Utc),
    })
}

fn field_error(
    errors: &mut FieldErrors,
    field: &str,
    vi: impl Into<String>,
    en: impl Into<String>,
) {
    errors
        .entry(field.to_string())
        .or_default()
        .push(Text::new(vi, en));
}

fn check_schedule(conn: &mut DbConn, input: &ScheduleInput) -> ApiResult<()> {
    let mut errors = FieldErrors::new();
    for (field, rule) in [
        ("rule", Some(&input.rule)),
        ("online_rule", input.online_rule.as_ref()),
    ] {
        for (vi, en) in rule.map(FeeRule::problems).unwrap_or_default() {
            field_error(&mut errors, field, vi, en);
        }
    }
    if let (Some(a), Some(b)) = (&input.online_rule, Some(&input.rule)) {
        if a.units() != b.units() {
            field_error(
                &mut errors,
                "online_rule",
                "Mức thu trực tuyến phải dùng cùng đơn vị tính với mức thu chung.",
                "online_rule must use the same units as rule.",
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    for e in &input.exemptions {
        let ok_code = (1..=50).contains(&e.category.len())
            && e.category
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok_code
            || e.reason.trim().is_empty()
            || e.reason.len() > 500
            || !seen.insert(&e.category)
        {
            field_error(
                &mut errors,
                "exemptions",
                "Mỗi đối tượng miễn cần mã riêng (chữ thường, số, _) và lý do (căn cứ pháp lý).",
                "Each exemption needs a distinct category (lowercase, digits, _) and a reason (its legal basis).",
            );
            break;
        }
    }
    if input
        .effective_to
        .is_some_and(|to| to < input.effective_from)
    {
        field_error(
            &mut errors,
            "effective_to",
            "Ngày kết thúc trước ngày hiệu lực.",
            "effective_to is before effective_from.",
        );
    }
    match (input.scope, input.scope_code.as_deref()) {
        (FeeScope::National, None) => {}
        (FeeScope::National, Some(_)) => field_error(
            &mut errors,
            "scope_code",
            "Mức thu toàn quốc không có mã địa bàn.",
            "A national schedule has no scope_code.",
        ),
        (FeeScope::Province, Some(c)) if Province::find(conn, c)?.is_some() => {}
        (FeeScope::Commune, Some(c)) if Commune::find(conn, c)?.is_some() => {}
        (_, _) => field_error(
            &mut errors,
            "scope_code",
            "Cần mã tỉnh/xã hợp lệ cho mức thu địa phương.",
            "A province or commune schedule needs an existing scope_code.",
        ),
    }
    if input.scope != FeeScope::National && input.legal_basis.trim().is_empty() {
        field_error(
            &mut errors,
            "legal_basis",
            "Mức thu địa phương phải ghi căn cứ (nghị quyết HĐND…).",
            "A local override must name its legal basis (council resolution…).",
        );
    }
    match Procedure::find_by_code(conn, &input.procedure_code)? {
        None => field_error(
            &mut errors,
            "procedure_code",
            "Thủ tục không có trong danh mục.",
            "No such procedure in the catalog.",
        ),
        Some(_) => {
            if let Some(case) = &input.case_code {
                let version =
                    version_in_force_at(conn, &input.procedure_code, crate::clock::now())?;
                let known = match version {
                    Some(v) => v
                        .cases()
                        .map_err(ApiError::internal)?
                        .iter()
                        .any(|c| &c.code == case),
                    None => false,
                };
                if !known {
                    field_error(
                        &mut errors,
                        "case_code",
                        "Thủ tục không có trường hợp này.",
                        "The procedure has no such case.",
                    );
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The identity shared by a schedule's versions.
fn schedule_key(input: &ScheduleInput) -> String {
    [
        input.procedure_code.as_str(),
        input.case_code.as_deref().unwrap_or("*"),
        input.fee_code.as_str(),
        input.scope.as_str(),
        input.scope_code.as_deref().unwrap_or("*"),
    ]
    .join("|")
}

/// Whether any version of this schedule exists (seeding adds only missing schedules).
pub fn schedule_exists(conn: &mut DbConn, input: &ScheduleInput) -> ApiResult<bool> {
    Ok(fee_schedules::table
        .filter(fee_schedules::schedule_key.eq(schedule_key(input)))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Checks and stores the next version of a schedule.
pub fn insert_schedule(
    conn: &mut DbConn,
    input: &ScheduleInput,
    by: &str,
) -> ApiResult<FeeSchedule> {
    check_schedule(conn, input)?;
    let key = schedule_key(input);
    let row = FeeSchedule {
        id: uuid::Uuid::now_v7().to_string(),
        version_no: FeeSchedule::next_version_no(conn, &key)?,
        schedule_key: key,
        procedure_code: input.procedure_code.clone(),
        case_code: input.case_code.clone(),
        fee_code: input.fee_code.clone(),
        kind: input.kind.as_str().to_string(),
        name: nfc(input.name.trim()),
        collection: input.collection.as_str().to_string(),
        rule: serde_json::to_string(&input.rule).expect("rule serializes"),
        online_rule: input
            .online_rule
            .as_ref()
            .map(|r| serde_json::to_string(r).expect("rule serializes")),
        exemptions: serde_json::to_string(&input.exemptions).expect("serializes"),
        scope: input.scope.as_str().to_string(),
        scope_code: input.scope_code.clone(),
        effective_from: input.effective_from,
        effective_to: input.effective_to,
        legal_basis: nfc(input.legal_basis.trim()),
        created_by: by.to_string(),
        created_at: crate::clock::now().naive_utc(),
    };
    diesel::insert_into(fee_schedules::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// Add a fee schedule version.
///
/// **Roles:** `system_admin`. Creates version N+1 of the schedule identified by procedure,
/// case, fee code and scope; earlier versions stay as they were, and dossiers already
/// filed keep the version they were assessed with. Province and commune overrides must
/// cite their legal basis.
#[utoipa::path(tag = "fees", security(("bearer" = [])), request_body = ScheduleInput, responses(
    (status = 201, body = ScheduleView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a system administrator", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid rule, scope, dates or procedure", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/fee-schedules")]
pub async fn create_schedule(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    body: ValidJson<ScheduleInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let by = auth.user_id.clone();
    let row = state
        .db_tx(move |conn| insert_schedule(conn, &input, &by))
        .await?;
    log::info!(
        "fee schedule {} v{} ({}) by {}",
        row.fee_code,
        row.version_no,
        row.scope,
        auth.user_id
    );
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/fee-schedules/{}", row.id)))
        .json(schedule_view(row)?))
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct ScheduleFilter {
    pub procedure_code: Option<String>,
    pub scope: Option<FeeScope>,
    pub scope_code: Option<String>,
}

/// List fee schedule versions.
///
/// **Public** (no login): what each procedure costs, with every version and its dates, so
/// applicants and integrators can check an amount. Ordered by creation, newest last.
#[utoipa::path(tag = "fees", params(ScheduleFilter, PageParams), responses(
    (status = 200, body = inline(Page<ScheduleView>)),
    (status = 400, description = "Malformed query or cursor", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid limit", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/fee-schedules")]
pub async fn list_schedules(
    state: web::Data<AppState>,
    filter: web::Query<ScheduleFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    page.checked()?;
    let limit = page.limit();
    let after: Option<String> = page.cursor()?;
    let f = filter.into_inner();
    let rows = state
        .db(move |conn| {
            let mut q = fee_schedules::table
                .select(FeeSchedule::as_select())
                .order(fee_schedules::id)
                .limit(limit + 1)
                .into_boxed();
            if let Some(p) = f.procedure_code {
                q = q.filter(fee_schedules::procedure_code.eq(p));
            }
            if let Some(s) = f.scope {
                q = q.filter(fee_schedules::scope.eq(s.as_str()));
            }
            if let Some(c) = f.scope_code {
                q = q.filter(fee_schedules::scope_code.eq(c));
            }
            if let Some(a) = after {
                q = q.filter(fee_schedules::id.gt(a));
            }
            Ok(q.load(conn)?)
        })
        .await?;
    let views = rows
        .into_iter()
        .map(schedule_view)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::from_rows(views, limit, |v| v.id.clone(), |v| v)))
}

/// Read one fee schedule version.
///
/// **Public** (no login).
#[utoipa::path(tag = "fees", params(("id" = String, Path, description = "Schedule version id")), responses(
    (status = 200, body = ScheduleView),
    (status = 404, description = "No such schedule version", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/fee-schedules/{id}")]
pub async fn get_schedule(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let row = state
        .db(move |conn| Ok(FeeSchedule::find(conn, &id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("biểu phí", "Fee schedule"))?;
    Ok(HttpResponse::Ok().json(schedule_view(row)?))
}

// ---------------------------------------------------------------- assessment

/// What the applicant's file says about fees: quantities for per-unit fees (`page`,
/// `copy`, …) and an exemption claim.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantities": {"page": 3, "copy": 2}}))]
pub struct FeeInput {
    #[serde(default)]
    pub quantities: BTreeMap<String, u32>,
    #[validate(nested)]
    pub exemption: Option<ExemptionClaim>,
}

/// The applicant belongs to an exempt category of the schedule.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExemptionClaim {
    #[validate(length(min = 1, max = 50))]
    pub category: String,
    /// What proves it (e.g. the poor-household certificate number).
    #[validate(length(max = 500))]
    pub evidence: Option<String>,
}

/// The schedules in force for a dossier: per fee code the most specific scope (commune,
/// then province, then national), then a case-specific one over a general one, then the
/// latest version.
pub fn schedules_in_force(
    conn: &mut DbConn,
    procedure_code: &str,
    case_code: &str,
    commune: &str,
    province: &str,
    day: NaiveDate,
) -> ApiResult<Vec<FeeSchedule>> {
    let mut best: BTreeMap<String, FeeSchedule> = BTreeMap::new();
    for s in FeeSchedule::candidates(conn, procedure_code, day)? {
        let scope = FeeScope::parse(&s.scope);
        let applies = match scope {
            FeeScope::National => true,
            FeeScope::Province => s.scope_code.as_deref() == Some(province),
            FeeScope::Commune => s.scope_code.as_deref() == Some(commune),
        } && s.case_code.as_deref().is_none_or(|c| c == case_code);
        if !applies {
            continue;
        }
        let rank = |s: &FeeSchedule| {
            (
                FeeScope::parse(&s.scope).rank(),
                s.case_code.is_some(),
                s.effective_from,
                s.version_no,
            )
        };
        match best.get(&s.fee_code) {
            Some(b) if rank(b) >= rank(&s) => {}
            _ => {
                best.insert(s.fee_code.clone(), s);
            }
        }
    }
    Ok(best.into_values().collect())
}

/// Computes the lines for these schedules; nothing is written. Errors name the input
/// field (`fees.quantities.page`, `fees.exemption.category`).
pub fn compute_lines(
    schedules: &[FeeSchedule],
    online: bool,
    input: &FeeInput,
) -> ApiResult<Vec<DossierFee>> {
    let mut errors = FieldErrors::new();
    let mut lines = Vec::new();
    let mut exemption_used = false;
    for (i, s) in schedules.iter().enumerate() {
        let rule: FeeRule = match (&s.online_rule, online) {
            (Some(r), true) => parse_stored(r)?,
            _ => parse_stored(&s.rule)?,
        };
        let computed = match rule.compute(&input.quantities) {
            Ok(c) => c,
            Err(e) => {
                let (unit, vi, en) = match e {
                    FeeError::MissingQuantity(u) => (
                        u,
                        "Cần số lượng để tính phí.",
                        "This quantity is needed to compute the fee.",
                    ),
                    FeeError::QuantityOutOfRange(u) => (
                        u,
                        "Số lượng phải từ 1 đến 100.000.",
                        "The quantity must be 1 to 100,000.",
                    ),
                    FeeError::TooLarge => (
                        "".into(),
                        "Số tiền vượt giới hạn.",
                        "The amount is too large.",
                    ),
                };
                field_error(
                    &mut errors,
                    format!("fees.quantities.{unit}").trim_end_matches('.'),
                    vi,
                    en,
                );
                continue;
            }
        };
        let exemptions: Vec<Exemption> = parse_stored(&s.exemptions)?;
        let exemption = input.exemption.as_ref().and_then(|claim| {
            exemptions
                .iter()
                .find(|e| e.category == claim.category)
                .map(|e| serde_json::json!({"category": e.category, "reason": e.reason, "evidence": claim.evidence}))
        });
        exemption_used |= exemption.is_some();
        let amount = if exemption.is_some() {
            0
        } else {
            computed.amount
        };
        lines.push(DossierFee {
            id: uuid::Uuid::now_v7().to_string(),
            dossier_id: String::new(),
            line_no: i as i32 + 1,
            schedule_id: s.id.clone(),
            fee_code: s.fee_code.clone(),
            kind: s.kind.clone(),
            name: s.name.clone(),
            collection: s.collection.clone(),
            base_amount: computed.amount,
            explanation: computed.explanation_vi,
            exemption: exemption.map(|e| e.to_string()),
            amount,
            status: if amount == 0 { "not_due" } else { "unpaid" }.to_string(),
            payment_id: None,
        });
    }
    if let Some(claim) = &input.exemption {
        if !exemption_used && !schedules.is_empty() {
            field_error(
                &mut errors,
                "fees.exemption.category",
                format!(
                    "“{}” không thuộc đối tượng miễn của khoản phí nào của thủ tục.",
                    claim.category
                ),
                format!(
                    "'{}' is not an exempt category of any fee of this procedure.",
                    claim.category
                ),
            );
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Writes a dossier's lines and its assessment record: version 1 for a dossier being created
/// (`previous` is None, nothing to replace), else the version after `previous`, whose lines
/// it replaces.
pub fn store_assessment(
    conn: &mut DbConn,
    d: &Dossier,
    previous: Option<&FeeAssessment>,
    input: &FeeInput,
    lines: &mut [DossierFee],
    by: &str,
    now: DateTime<Utc>,
) -> ApiResult<FeeAssessment> {
    if previous.is_some() {
        diesel::delete(dossier_fees::table.filter(dossier_fees::dossier_id.eq(&d.id)))
            .execute(conn)?;
    }
    for l in lines.iter_mut() {
        l.dossier_id = d.id.clone();
    }
    // One statement per line: batch inserts are not available across both backends.
    for l in lines.iter() {
        diesel::insert_into(dossier_fees::table)
            .values(l)
            .execute(conn)?;
    }
    let a = FeeAssessment {
        dossier_id: d.id.clone(),
        channel: d.channel.clone(),
        quantities: serde_json::to_string(&input.quantities).expect("serializes"),
        exemption: input
            .exemption
            .as_ref()
            .map(|e| serde_json::to_string(e).expect("serializes")),
        total: lines.iter().map(|l| l.amount).sum(),
        version: previous.map_or(1, |p| p.version + 1),
        assessed_by: by.to_string(),
        assessed_at: now.naive_utc(),
    };
    if previous.is_some() {
        diesel::update(fee_assessments::table.find(&d.id))
            .set(&a)
            .execute(conn)?;
    } else {
        diesel::insert_into(fee_assessments::table)
            .values(&a)
            .execute(conn)?;
    }
    Ok(a)
}

/// One line of a dossier's fees.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct FeeLineView {
    pub line_no: i32,
    pub fee_code: String,
    pub kind: FeeKind,
    pub name: String,
    pub collection: Collection,
    /// The schedule version that produced the amount (locked when the dossier was filed).
    pub schedule_id: String,
    /// What the rule gives before any exemption.
    pub base_amount_vnd: i64,
    /// The exemption applied: category, its legal reason, the evidence given.
    pub exemption: Option<serde_json::Value>,
    /// What the applicant owes for this line.
    pub amount_vnd: i64,
    /// How the amount was computed, in Vietnamese.
    pub explanation: String,
    /// `unpaid`, `pending` (an open payment covers it), `paid`, `not_due` (zero amount).
    pub status: String,
    pub payment_id: Option<String>,
}

/// A dossier's fees and what is left to pay.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct FeesView {
    pub dossier_code: String,
    pub currency: &'static str,
    pub lines: Vec<FeeLineView>,
    pub total_vnd: i64,
    pub paid_vnd: i64,
    /// Unpaid or in an open payment.
    pub outstanding_vnd: i64,
    /// Of that, what must be paid before processing starts (thu trước).
    pub outstanding_before_processing_vnd: i64,
    /// Refunded so far across the dossier's payments.
    pub refunded_vnd: i64,
    pub quantities: BTreeMap<String, u32>,
    pub exemption: Option<ExemptionClaim>,
    pub assessed_at: Option<DateTime<Utc>>,
    /// Version of the assessment (the ETag for re-assessment; 0 before any).
    pub version: i64,
}

fn line_view(l: DossierFee) -> ApiResult<FeeLineView> {
    Ok(FeeLineView {
        kind: FeeKind::parse(&l.kind).ok_or_else(|| ApiError::internal("fee kind"))?,
        collection: Collection::parse(&l.collection)
            .ok_or_else(|| ApiError::internal("collection"))?,
        exemption: l.exemption.as_deref().map(parse_stored).transpose()?,
        line_no: l.line_no,
        fee_code: l.fee_code,
        name: l.name,
        schedule_id: l.schedule_id,
        base_amount_vnd: l.base_amount,
        amount_vnd: l.amount,
        explanation: l.explanation,
        status: l.status,
        payment_id: l.payment_id,
    })
}

fn owed(l: &DossierFee) -> bool {
    matches!(l.status.as_str(), "unpaid" | "pending")
}

pub fn fees_view(conn: &mut DbConn, d: &Dossier) -> ApiResult<FeesView> {
    let lines = DossierFee::of_dossier(conn, &d.id)?;
    let assessment = FeeAssessment::find(conn, &d.id)?;
    // Summed here: SUM(bigint) is numeric on PostgreSQL and integer on SQLite.
    let refunded: i64 = payment_refunds::table
        .inner_join(payments::table.on(payments::id.eq(payment_refunds::payment_id)))
        .filter(payments::dossier_id.eq(&d.id))
        .select(payment_refunds::amount)
        .load::<i64>(conn)?
        .into_iter()
        .sum();
    build_fees_view(d, lines, assessment.as_ref(), refunded)
}

/// The fees view from what is already at hand (intake has just written the lines, in
/// line order, and the assessment: reading them back would cost three queries while the
/// commune's dossier counter is locked).
pub fn build_fees_view(
    d: &Dossier,
    lines: Vec<DossierFee>,
    assessment: Option<&FeeAssessment>,
    refunded: i64,
) -> ApiResult<FeesView> {
    let sum = |f: &dyn Fn(&DossierFee) -> bool| {
        lines.iter().filter(|l| f(l)).map(|l| l.amount).sum::<i64>()
    };
    Ok(FeesView {
        dossier_code: d.code.clone(),
        currency: "VND",
        total_vnd: sum(&|_| true),
        paid_vnd: sum(&|l| l.status == "paid"),
        outstanding_vnd: sum(&owed),
        outstanding_before_processing_vnd: sum(&|l| owed(l) && l.collection == "before_processing"),
        refunded_vnd: refunded,
        quantities: assessment
            .map(|a| parse_stored(&a.quantities))
            .transpose()?
            .unwrap_or_default(),
        exemption: assessment
            .and_then(|a| a.exemption.as_deref().map(parse_stored))
            .transpose()?,
        assessed_at: assessment.map(|a| DateTime::from_naive_utc_and_offset(a.assessed_at, Utc)),
        version: assessment.map_or(0, |a| a.version),
        lines: lines.into_iter().map(line_view).collect::<ApiResult<_>>()?,
    })
}

/// The lifecycle's side of fees: processing does not start while a fee collected
/// beforehand is unpaid, and the result is not handed over (nor a payment request closed)
/// while anything is owed.
pub fn check_fees_allow(
    conn: &mut DbConn,
    d: &Dossier,
    action: Action,
    from: Status,
) -> ApiResult<()> {
    let before_only = match (action, from) {
        (Action::StartProcessing | Action::Assign, Status::Received) => true,
        (Action::ReturnResult | Action::ConfirmPayment, _) => false,
        _ => return Ok(()),
    };
    let owing: i64 = DossierFee::of_dossier(conn, &d.id)?
        .iter()
        .filter(|l| owed(l) && (!before_only || l.collection == "before_processing"))
        .map(|l| l.amount)
        .sum();
    if owing == 0 {
        return Ok(());
    }
    Err(ApiError::conflict(
        "fee.unpaid",
        format!(
            "Hồ sơ còn {} phí, lệ phí chưa thu; thu xong mới được thực hiện thao tác này.",
            crate::domain::fees::vnd(owing)
        ),
        format!("{owing} VND of fees are unpaid; collect them before this action."),
    )
    .with_extra(serde_json::json!({ "outstanding_vnd": owing })))
}

/// A dossier's fees.
///
/// **Roles:** whoever may read the dossier (officers of its commune, the owning citizen,
/// `province_supervisor` of its province, the portal for its communes, `system_admin`).
/// Each line names the schedule version and the arithmetic that produced it.
#[utoipa::path(tag = "fees", security(("bearer" = [])), params(("code" = String, Path, description = "Dossier code")), responses(
    (status = 200, body = FeesView, headers(("ETag" = String, description = "Assessment version"))),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/dossiers/{code}/fees")]
pub async fn get_fees(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let p = auth.principal.clone();
    let code = code.into_inner();
    let (view, read) = state
        .db(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            Ok((
                fees_view(conn, &d)?,
                crate::api::access_log::Read::dossier(&d),
            ))
        })
        .await?;
    crate::api::access_log::record(&state, &auth, "GET /dossiers/{code}/fees", [read]).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Re-assess a dossier's fees.
///
/// **Roles:** `reception_officer`, `specialist`, `leader` of the dossier's commune. For when
/// quantities (pages, copies) or the exemption change after filing. The amounts come from
/// the schedule versions the dossier was assessed with at filing (a dossier filed with no
/// fees is assessed with the versions in force on its filing day). Refused (409
/// `fee.already_collected`) once any fee is paid or in an open payment, and on a finished
/// dossier. `If-Match` carries the assessment version from `GET …/fees` (0 before any).
#[utoipa::path(tag = "fees", security(("bearer" = [])), request_body = FeeInput,
    params(("code" = String, Path, description = "Dossier code"), ("If-Match" = String, Header, description = "ETag of the assessment")),
    responses(
    (status = 200, body = FeesView, headers(("ETag" = String, description = "New assessment version"))),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role not allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such dossier visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Fees already collected, or the dossier is finished", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 412, description = "Stale ETag", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Missing or invalid quantities, unknown exemption", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/dossiers/{code}/fees")]
pub async fn reassess(
    state: web::Data<AppState>,
    auth: Authorized<AnyRole>,
    code: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<FeeInput>,
) -> ApiResult<HttpResponse> {
    if !matches!(
        auth.role,
        Role::ReceptionOfficer | Role::Specialist | Role::Leader
    ) {
        return Err(ApiError::forbidden(
            "fee.role_not_allowed",
            "Chỉ cán bộ của xã được tính lại phí.",
            "Only the commune's officers re-assess fees.",
        ));
    }
    let p = auth.principal.clone();
    let code = code.into_inner();
    let input = body.0;
    input.validate().map_err(validation_error)?;
    let view = state
        .db_tx(move |conn| {
            let d = load_visible(conn, &p, &code)?;
            let current = FeeAssessment::find(conn, &d.id)?;
            if current.as_ref().map_or(0, |a| a.version) != if_match.0 {
                return Err(ApiError::precondition_failed());
            }
            if Status::parse(&d.status).is_some_and(Status::is_terminal) {
                return Err(ApiError::conflict(
                    "fee.dossier_finished",
                    "Hồ sơ đã kết thúc; không tính lại phí.",
                    "The dossier is finished; its fees are final.",
                ));
            }
            let lines = DossierFee::of_dossier(conn, &d.id)?;
            if lines.iter().any(|l| matches!(l.status.as_str(), "paid" | "pending")) {
                return Err(ApiError::conflict(
                    "fee.already_collected",
                    "Đã thu (hoặc đang thu) phí của hồ sơ; hoàn phí hoặc huỷ giao dịch trước khi tính lại.",
                    "Fees are already paid or in an open payment; refund or cancel first.",
                ));
            }
            let schedules = if lines.is_empty() {
                let day = local_date(DateTime::from_naive_utc_and_offset(d.submitted_at, Utc));
                schedules_in_force(conn, &d.procedure_code, &d.case_code, &d.commune_code, &d.province_code, day)?
            } else {
                let ids: Vec<&str> = lines.iter().map(|l| l.schedule_id.as_str()).collect();
                let by_id: HashMap<String, FeeSchedule> = fee_schedules::table
                    .filter(fee_schedules::id.eq_any(&ids))
                    .select(FeeSchedule::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(|s| (s.id.clone(), s))
                    .collect();
                ids.iter().filter_map(|id| by_id.get(*id).cloned()).collect()
            };
            let online = d.channel == Channel::Online.as_str();
            let mut new_lines = compute_lines(&schedules, online, &input)?;
            let now = crate::clock::now();
            let a = store_assessment(conn, &d, current.as_ref(), &input, &mut new_lines, &p.user_id, now)?;
            NewDossierEvent {
                dossier_id: &d.id,
                action: "fees_assessed",
                actor_id: &p.user_id,
                actor_role: p.role.as_str(),
                from_status: Some(&d.status),
                to_status: &d.status,
                comment: None,
                data: serde_json::json!({ "total_vnd": a.total, "version": a.version, "quantities": input.quantities }).to_string(),
                created_at: now.naive_utc(),
            }
            .append(conn)?;
            fees_view(conn, &d)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// What a procedure would cost.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"procedure_code": "2.000815", "commune_code": "04978", "channel": "online", "fees": {"quantities": {"page": 3, "copy": 1}}}))]
pub struct QuoteRequest {
    #[validate(length(min = 1, max = 50))]
    pub procedure_code: String,
    pub case_code: Option<String>,
    #[validate(length(min = 1, max = 10))]
    pub commune_code: String,
    pub channel: Channel,
    #[serde(default)]
    #[validate(nested)]
    pub fees: FeeInput,
}

/// The lines a quote would give.
#[derive(Serialize, ToSchema)]
pub struct QuoteView {
    pub lines: Vec<FeeLineView>,
    pub total_vnd: i64,
    pub currency: &'static str,
}

/// Quote the fees of a procedure.
///
/// **Public** (no login): the same computation as intake, for today, in the given commune
/// and channel, so an applicant knows the amount before filing. Nothing is stored.
#[utoipa::path(tag = "fees", request_body = QuoteRequest, responses(
    (status = 200, body = QuoteView),
    (status = 400, description = "Malformed JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Unknown procedure or commune, missing quantities", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[post("/fee-schedules/quote")]
pub async fn quote(
    state: web::Data<AppState>,
    body: ValidJson<QuoteRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.0;
    let view = state
        .db(move |conn| {
            let commune = Commune::find(conn, &req.commune_code)?.ok_or_else(|| {
                ApiError::invalid_field("commune_code", "Không có xã này.", "No such commune.")
            })?;
            let now = crate::clock::now();
            let version =
                version_in_force_at(conn, &req.procedure_code, now)?.ok_or_else(|| {
                    ApiError::invalid_field(
                        "procedure_code",
                        "Thủ tục không có hoặc chưa có hiệu lực.",
                        "No such procedure in force.",
                    )
                })?;
            let cases = version.cases().map_err(ApiError::internal)?;
            let case = match &req.case_code {
                Some(c) => cases.iter().find(|x| &x.code == c),
                None => cases.first(),
            }
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "case_code",
                    "Thủ tục không có trường hợp này.",
                    "The procedure has no such case.",
                )
            })?;
            let schedules = schedules_in_force(
                conn,
                &req.procedure_code,
                &case.code,
                &commune.code,
                &commune.province_code,
                local_date(now),
            )?;
            let lines = compute_lines(&schedules, req.channel == Channel::Online, &req.fees)?;
            Ok(QuoteView {
                total_vnd: lines.iter().map(|l| l.amount).sum(),
                currency: "VND",
                lines: lines.into_iter().map(line_view).collect::<ApiResult<_>>()?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Used by payments: the principal may act on money of this dossier at the counter.
pub fn is_commune_officer(p: &Principal, d: &Dossier) -> bool {
    p.is(Role::ReceptionOfficer)
        && access::reach(Resource::Dossier, p.role) == access::Reach::Commune
        && access::may_see(p, Resource::Dossier, super::dossiers::dossier_place(d))
}
