//! What a commune needs before the national systems can hear from it: its issued agency
//! identifier (mã định danh điện tử, QĐ 20/2020/QĐ-TTg), importable per province, and the
//! account the payment platform pays its fees into (tài khoản thụ hưởng).

use actix_web::{get, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::extract::ValidJson;
use crate::api::problems::{
    InvalidFields, JsonBody, NotAuthenticated, NotSystemAdmin, ProvinceNotFound, RoleNotAllowed,
};
use crate::auth::access::{self, Place, Resource};
use crate::auth::roles::{CommuneAdmins, SystemAdmins};
use crate::auth::Authorized;
use crate::error::{ApiError, ApiResult};
use crate::payments::Beneficiary;
use crate::service::agency::AgencyAssignment;
use crate::service::beneficiary::{BeneficiaryRow, Scope};
use crate::service::national_setup as service;
use crate::state::AppState;

/// One commune's issued identifier.
#[derive(Deserialize, Serialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct AgencyIdentifierItem {
    #[schema(example = "04978")]
    pub commune_code: String,
    /// The issued identifier; `null` or "" returns the commune to the fallback (its
    /// portal messages wait again).
    #[schema(example = "000.25.01.H25")]
    pub agency_code: Option<String>,
}

/// A province's list of issued identifiers.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"commune_code": "04978", "agency_code": "000.25.01.H25"},
    {"commune_code": "04795", "agency_code": "000.25.02.H25"}]}))]
pub struct AgencyIdentifierImport {
    #[schema(min_items = 1, max_items = 5000)]
    #[validate(length(min = 1, max = 5000))]
    pub items: Vec<AgencyIdentifierItem>,
}

/// What an import changed.
#[derive(Serialize, ToSchema)]
pub struct AgencyImportResult {
    /// Communes whose identifier changed (others already had the listed one).
    pub changed: Vec<String>,
    /// Portal messages released: their commune now has an identifier.
    pub released_messages: usize,
    /// Portal messages put on hold: their commune no longer has one.
    pub held_messages: usize,
}

/// Import a province's issued agency identifiers.
///
/// **Roles:** `system_admin`. The province's list of electronic identifiers (mã định danh
/// điện tử, QĐ 20/2020/QĐ-TTg) as issued by its People's Committee, applied all or
/// nothing: every commune must be of this province (422 naming the item), no identifier
/// may be the fallback form `H{province}.{commune}` (422) or held by a commune outside the
/// list or listed twice (409 `commune.agency_code_taken`). Communes whose identifier
/// changes get a new version; their waiting portal messages are released. Dossier codes
/// already issued do not change.
#[utoipa::path(tag = "registry", security(("bearer" = [])), request_body = AgencyIdentifierImport,
    params(("code" = String, Path, description = "Province code, 2 digits")),
    responses(
    (status = 200, body = AgencyImportResult),
    JsonBody, NotAuthenticated, NotSystemAdmin, ProvinceNotFound,
    (status = 409, description = "An identifier is held by another commune or listed twice", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Malformed or reserved identifier, or a commune outside the province", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/provinces/{code}/agency-identifiers")]
pub async fn import_agency_identifiers(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    code: web::Path<String>,
    body: ValidJson<AgencyIdentifierImport>,
) -> ApiResult<web::Json<AgencyImportResult>> {
    let province = code.into_inner();
    let items: Vec<AgencyAssignment> = body
        .0
        .items
        .into_iter()
        .map(|i| AgencyAssignment {
            commune_code: i.commune_code,
            agency_code: i.agency_code,
        })
        .collect();
    let p = province.clone();
    let out = state
        .db_tx(move |conn| service::import_agency_identifiers(conn, &p, &items))
        .await?;
    log::info!(
        "agency identifiers of province {province} imported by {}: {} changed, {} messages released",
        auth.user_id,
        out.changed.len(),
        out.released
    );
    Ok(web::Json(AgencyImportResult {
        changed: out.changed,
        released_messages: out.released,
        held_messages: out.held,
    }))
}

/// The beneficiary account to record.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account_name": "UBND xã Kim Bôi", "account_no": "3511.0.1058123", "bank_code": "KBNN"}))]
pub struct PaymentAccountInput {
    /// `TenTKThuHuong`.
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub account_name: String,
    /// `TKThuHuong`: digits, dots and dashes.
    #[schema(min_length = 1, max_length = 40, pattern = r"^[0-9.-]+$")]
    #[validate(length(min = 1, max = 40), custom(function = "account_no"))]
    pub account_no: String,
    /// `MaNHThuHuong`: the bank's (or treasury's) code at the platform.
    #[schema(min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20), custom(function = "bank_code"))]
    pub bank_code: String,
}

fn account_no(s: &str) -> Result<(), validator::ValidationError> {
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        Ok(())
    } else {
        Err(crate::domain::fields::rule(
            "account_no",
            "Số tài khoản chỉ gồm chữ số, dấu chấm, dấu gạch.",
            "An account number has only digits, dots and dashes.",
        ))
    }
}

fn bank_code(s: &str) -> Result<(), validator::ValidationError> {
    if s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(crate::domain::fields::rule(
            "bank_code",
            "Mã ngân hàng chỉ gồm chữ và số.",
            "A bank code has only letters and digits.",
        ))
    }
}

/// The account the payment platform pays into.
#[derive(Serialize, ToSchema)]
pub struct PaymentAccountView {
    /// `commune` (its own) or `province` (the province's, used by its communes without one).
    pub scope: String,
    pub scope_code: String,
    pub account_name: String,
    pub account_no: String,
    pub bank_code: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

fn view(r: BeneficiaryRow) -> PaymentAccountView {
    PaymentAccountView {
        scope_code: r.scope_code[1..].to_string(),
        scope: r.scope,
        account_name: r.account_name,
        account_no: r.account_no,
        bank_code: r.bank_code,
        updated_by: r.updated_by,
        updated_at: r.updated_at.and_utc(),
    }
}

fn account_of(input: PaymentAccountInput) -> Beneficiary {
    Beneficiary {
        account_name: crate::domain::text::nfc(input.account_name.trim()),
        account_no: input.account_no.trim().to_string(),
        bank_code: input.bank_code.trim().to_string(),
    }
}

/// A commune's settings out of the caller's reach are answered 404 (the access table).
fn own_commune(auth: &crate::auth::Principal, code: &str) -> ApiResult<()> {
    let place = Place {
        commune: Some(code),
        ..Place::default()
    };
    if !access::may_see(auth, Resource::CommuneSettings, place) {
        return Err(ApiError::not_found("xã/phường", "Commune"));
    }
    Ok(())
}

/// Read the account a commune's online payments are paid into.
///
/// **Roles:** `commune_admin` of that commune (another commune is 404), `system_admin`.
/// The commune's own account, else its province's (`scope` says which); 404
/// `payment.no_beneficiary` while neither is set — online payment is not offered then.
#[utoipa::path(tag = "payments", security(("bearer" = [])),
    params(("code" = String, Path, description = "Commune code")),
    responses(
    (status = 200, body = PaymentAccountView),
    NotAuthenticated, RoleNotAllowed,
    (status = 404, description = "No such commune visible to the caller, or no account", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/communes/{code}/payment-account")]
pub async fn get_commune_payment_account(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    code: web::Path<String>,
) -> ApiResult<web::Json<PaymentAccountView>> {
    let code = code.into_inner();
    own_commune(&auth, &code)?;
    let row = state
        .db(move |conn| service::commune_payment_account(conn, &code))
        .await?;
    row.map(|r| web::Json(view(r))).ok_or_else(no_beneficiary)
}

pub fn no_beneficiary() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "payment.no_beneficiary",
        "Xã/phường và tỉnh chưa khai báo tài khoản thụ hưởng.",
        "Neither the commune nor its province has a beneficiary account.",
    )
}

/// Record a commune's own beneficiary account.
///
/// **Roles:** `commune_admin` of that commune (another commune is 404), `system_admin`.
/// Replaces the commune's account; payments opened from now on are paid into it.
#[utoipa::path(tag = "payments", security(("bearer" = [])), request_body = PaymentAccountInput,
    params(("code" = String, Path, description = "Commune code")),
    responses(
    (status = 200, body = PaymentAccountView),
    JsonBody, NotAuthenticated, RoleNotAllowed, InvalidFields,
    (status = 404, description = "No such commune visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[put("/communes/{code}/payment-account")]
pub async fn put_commune_payment_account(
    state: web::Data<AppState>,
    auth: Authorized<CommuneAdmins>,
    code: web::Path<String>,
    body: ValidJson<PaymentAccountInput>,
) -> ApiResult<web::Json<PaymentAccountView>> {
    let code = code.into_inner();
    own_commune(&auth, &code)?;
    put_account(&state, &auth.user_id, Scope::Commune, code, body.0).await
}

/// Records the account of a commune or a province, and logs who did.
async fn put_account(
    state: &AppState,
    user_id: &str,
    scope: Scope,
    code: String,
    input: PaymentAccountInput,
) -> ApiResult<web::Json<PaymentAccountView>> {
    let account = account_of(input);
    let by = user_id.to_string();
    let row = state
        .db_tx(move |conn| service::set_payment_account(conn, scope, &code, &account, &by))
        .await?;
    log::info!(
        "beneficiary account of {} {} set by {}",
        scope.as_str(),
        row.scope_code,
        user_id
    );
    Ok(web::Json(view(row)))
}

/// Record a province's beneficiary account.
///
/// **Roles:** `system_admin`. Used by the province's communes that have no account of
/// their own.
#[utoipa::path(tag = "payments", security(("bearer" = [])), request_body = PaymentAccountInput,
    params(("code" = String, Path, description = "Province code")),
    responses(
    (status = 200, body = PaymentAccountView),
    JsonBody, NotAuthenticated, NotSystemAdmin, InvalidFields, ProvinceNotFound,
))]
#[put("/provinces/{code}/payment-account")]
pub async fn put_province_payment_account(
    state: web::Data<AppState>,
    auth: Authorized<SystemAdmins>,
    code: web::Path<String>,
    body: ValidJson<PaymentAccountInput>,
) -> ApiResult<web::Json<PaymentAccountView>> {
    put_account(
        &state,
        &auth.user_id,
        Scope::Province,
        code.into_inner(),
        body.0,
    )
    .await
}
