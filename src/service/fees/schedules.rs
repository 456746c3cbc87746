//! Schedule versions: checking, storing, listing.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::models::fee::FeeSchedule;
use crate::db::models::procedure::{version_in_force_at, Procedure};
use crate::db::models::registry::{Commune, Province};
use crate::db::schema::fee_schedules;
use crate::db::DbConn;
use crate::domain::fees::{Collection, Exemption, FeeKind, FeeRule};
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult, FieldErrors};

use super::{field_error, parse_stored};

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
    pub(super) fn as_str(self) -> &'static str {
        match self {
            FeeScope::National => "national",
            FeeScope::Province => "province",
            FeeScope::Commune => "commune",
        }
    }
    pub(super) fn parse(s: &str) -> FeeScope {
        match s {
            "province" => FeeScope::Province,
            "commune" => FeeScope::Commune,
            _ => FeeScope::National,
        }
    }
    /// Higher is more specific.
    pub(super) fn rank(self) -> u8 {
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
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50))]
    pub procedure_code: String,
    /// Only for this case of the procedure; absent: every case.
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50))]
    pub case_code: Option<String>,
    /// The fee's code (MaPhiLePhi); one schedule per code, scope and case.
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50), custom(function = "fee_code_chars"))]
    pub fee_code: String,
    pub kind: FeeKind,
    #[schema(min_length = 1, max_length = 300)]
    #[validate(length(min = 1, max = 300))]
    pub name: String,
    pub collection: Collection,
    /// The amount for the counter and post, and online unless `online_rule` is given.
    pub rule: FeeRule,
    /// A different amount for online dossiers (e.g. half of the counter fee).
    pub online_rule: Option<FeeRule>,
    /// Applicants who pay nothing, each with its legal reason.
    #[serde(default)]
    #[schema(max_items = 30)]
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
    #[schema(max_length = 1000)]
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
        Err(crate::domain::fields::rule(
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

pub fn schedule_view(s: FeeSchedule) -> ApiResult<ScheduleView> {
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

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub struct ScheduleFilter {
    pub procedure_code: Option<String>,
    pub scope: Option<FeeScope>,
    pub scope_code: Option<String>,
}

/// Schedule versions matching `filter`, by id, after the keyset cursor `after`; one more
/// than `limit` when there are more.
pub fn list_schedules(
    conn: &mut DbConn,
    f: ScheduleFilter,
    after: Option<String>,
    limit: i64,
) -> ApiResult<Vec<ScheduleView>> {
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
    q.load(conn)?.into_iter().map(schedule_view).collect()
}

/// One schedule version, or 404.
pub fn get_schedule(conn: &mut DbConn, id: &str) -> ApiResult<ScheduleView> {
    let row = FeeSchedule::find(conn, id)?
        .ok_or_else(|| ApiError::not_found("biểu phí", "Fee schedule"))?;
    schedule_view(row)
}
