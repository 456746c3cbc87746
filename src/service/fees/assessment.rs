//! A dossier's assessment: which schedules apply, the lines they give, storing them,
//! re-assessment, quotes and what the lifecycle asks of fees.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Principal;
use crate::db::models::dossier::{Dossier, NewDossierEvent};
use crate::db::models::fee::{DossierFee, FeeAssessment, FeeSchedule};
use crate::db::models::procedure::version_in_force_at;
use crate::db::models::registry::Commune;
use crate::db::schema::{dossier_fees, fee_assessments, fee_schedules, payment_refunds, payments};
use crate::db::DbConn;
use crate::domain::calendar::local_date;
use crate::domain::dossier_lifecycle::{Action, Status};
use crate::domain::fees::{Collection, Exemption, FeeError, FeeKind, FeeRule};
use crate::domain::roles::Role;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::service::events;

use super::{field_error, parse_stored, FeeScope};

// ---------------------------------------------------------------- assessment

/// What the applicant's file says about fees: quantities for per-unit fees (`page`,
/// `copy`, …) and an exemption claim.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quantities": {"page": 3, "copy": 2}}))]
pub struct FeeInput {
    #[serde(default)]
    #[schema(schema_with = quantities_schema)]
    #[validate(custom(function = "crate::domain::fees::quantities_shape"))]
    pub quantities: BTreeMap<String, u32>,
    #[validate(nested)]
    pub exemption: Option<ExemptionClaim>,
}

/// `quantities` as `domain::fees::quantities_shape` checks it: unit names to 1–100,000.
fn quantities_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let count = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(crate::domain::fees::MAX_QUANTITY));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[a-z0-9_]{1,32}$")),
        ))
        .additional_properties(Some(count))
        .description(Some(
            "Per unit (`page`, `copy`): 1 to 100,000. Units no fee rule of the procedure \
             reads are ignored.",
        ))
        .examples([serde_json::json!({"page": 3, "copy": 2})])
        .build()
}

/// The applicant belongs to an exempt category of the schedule.
#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ExemptionClaim {
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50))]
    pub category: String,
    /// What proves it (e.g. the poor-household certificate number).
    #[schema(max_length = 500)]
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
        channel: d.channel,
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

pub fn line_view(l: DossierFee) -> ApiResult<FeeLineView> {
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

/// Who re-assesses: the commune's officers (`reception_officer`, `specialist`, `leader`).
/// Checked before anything else, so other roles learn nothing about the dossier (403).
pub fn check_may_reassess(role: Role) -> ApiResult<()> {
    if !matches!(
        role,
        Role::ReceptionOfficer | Role::Specialist | Role::Leader
    ) {
        return Err(ApiError::forbidden(
            "fee.role_not_allowed",
            "Chỉ cán bộ của xã được tính lại phí.",
            "Only the commune's officers re-assess fees.",
        ));
    }
    Ok(())
}

/// Re-assesses a dossier's fees (for when quantities or the exemption change after
/// filing) and records the `fees_assessed` event. `version` is the assessment version the
/// caller saw (0 before any): another one is 412. Refused on a finished dossier, and once
/// any fee is paid or in an open payment (refund or cancel first). The amounts come from
/// the schedule versions the dossier was assessed with at filing; a dossier filed with no
/// fees is assessed with the versions in force on its filing day. `online` is whether the
/// dossier came in online (the online amounts apply).
pub fn reassess(
    conn: &mut DbConn,
    by: &Principal,
    d: &Dossier,
    online: bool,
    version: i64,
    input: &FeeInput,
) -> ApiResult<FeesView> {
    let current = FeeAssessment::find(conn, &d.id)?;
    if current.as_ref().map_or(0, |a| a.version) != version {
        return Err(ApiError::precondition_failed());
    }
    if d.status.is_terminal() {
        return Err(ApiError::conflict(
            "fee.dossier_finished",
            "Hồ sơ đã kết thúc; không tính lại phí.",
            "The dossier is finished; its fees are final.",
        ));
    }
    let lines = DossierFee::of_dossier(conn, &d.id)?;
    if lines
        .iter()
        .any(|l| matches!(l.status.as_str(), "paid" | "pending"))
    {
        return Err(ApiError::conflict(
            "fee.already_collected",
            "Đã thu (hoặc đang thu) phí của hồ sơ; hoàn phí hoặc huỷ giao dịch trước khi tính lại.",
            "Fees are already paid or in an open payment; refund or cancel first.",
        ));
    }
    let schedules = if lines.is_empty() {
        let day = local_date(DateTime::from_naive_utc_and_offset(d.submitted_at, Utc));
        schedules_in_force(
            conn,
            &d.procedure_code,
            &d.case_code,
            &d.commune_code,
            &d.province_code,
            day,
        )?
    } else {
        let ids: Vec<&str> = lines.iter().map(|l| l.schedule_id.as_str()).collect();
        let by_id: HashMap<String, FeeSchedule> = fee_schedules::table
            .filter(fee_schedules::id.eq_any(&ids))
            .select(FeeSchedule::as_select())
            .load(conn)?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        ids.iter()
            .filter_map(|id| by_id.get(*id).cloned())
            .collect()
    };
    let mut new_lines = compute_lines(&schedules, online, input)?;
    let now = crate::clock::now();
    let a = store_assessment(
        conn,
        d,
        current.as_ref(),
        input,
        &mut new_lines,
        &by.user_id,
        now,
    )?;
    events::append(
        conn,
        &NewDossierEvent {
            dossier_id: &d.id,
            action: "fees_assessed",
            actor_id: &by.user_id,
            actor_role: by.role.as_str(),
            from_status: Some(d.status),
            to_status: d.status,
            comment: None,
            data: serde_json::json!({ "total_vnd": a.total, "version": a.version, "quantities": input.quantities }).to_string(),
            created_at: now.naive_utc(),
        },
    )?;
    fees_view(conn, d)
}

/// The lines a quote would give.
#[derive(Serialize, ToSchema)]
pub struct QuoteView {
    pub lines: Vec<FeeLineView>,
    pub total_vnd: i64,
    pub currency: &'static str,
}

/// What a procedure would cost today in a commune and channel: the same computation as
/// intake; nothing is stored. `case_code` absent: the procedure's first case.
pub fn quote(
    conn: &mut DbConn,
    procedure_code: &str,
    case_code: Option<&str>,
    commune_code: &str,
    online: bool,
    fees: &FeeInput,
) -> ApiResult<QuoteView> {
    let commune = Commune::find(conn, commune_code)?.ok_or_else(|| {
        ApiError::invalid_field("commune_code", "Không có xã này.", "No such commune.")
    })?;
    let now = crate::clock::now();
    let version = version_in_force_at(conn, procedure_code, now)?.ok_or_else(|| {
        ApiError::invalid_field(
            "procedure_code",
            "Thủ tục không có hoặc chưa có hiệu lực.",
            "No such procedure in force.",
        )
    })?;
    let cases = version.cases().map_err(ApiError::internal)?;
    let case = match case_code {
        Some(c) => cases.iter().find(|x| x.code == c),
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
        procedure_code,
        &case.code,
        &commune.code,
        &commune.province_code,
        local_date(now),
    )?;
    let lines = compute_lines(&schedules, online, fees)?;
    Ok(QuoteView {
        total_vnd: lines.iter().map(|l| l.amount).sum(),
        currency: "VND",
        lines: lines.into_iter().map(line_view).collect::<ApiResult<_>>()?,
    })
}
