//! What a commune needs before the national systems can hear from it: its issued agency
//! identifier (mã định danh điện tử, QĐ 20/2020/QĐ-TTg), importable per province, and the
//! account the payment platform pays its fees into (tài khoản thụ hưởng).

use crate::db::models::registry::{Commune, Province};
use crate::db::DbConn;
use crate::domain::agency_id::Refusal;
use crate::error::{ApiError, ApiResult};
use crate::payments::Beneficiary;
use crate::service::agency::{self, AgencyAssignment, AgencyError, AgencyOutcome};
use crate::service::beneficiary::{self, BeneficiaryRow, Scope};

/// Renders a refused identifier change; `field` names the offending item.
pub fn agency_error(e: AgencyError, field: impl Fn(usize) -> String) -> ApiError {
    match e {
        AgencyError::Refused {
            index,
            why: Refusal::Malformed,
        } => ApiError::invalid_field(
            &field(index),
            "Mã định danh cơ quan gồm các nhóm chữ in hoa/số cách nhau bởi dấu chấm, ví dụ 000.17.22.H56.",
            "An agency identifier is dot-separated groups of uppercase letters and digits, e.g. 000.17.22.H56.",
        ),
        AgencyError::Refused {
            index,
            why: Refusal::Reserved,
        } => ApiError::invalid_field(
            &field(index),
            "Dạng H{mã tỉnh}.{mã xã} là mã tạm của xã chưa có mã định danh; không được đăng ký làm mã định danh.",
            "The form H{province}.{commune} is the fallback of communes without an issued identifier; it cannot be recorded.",
        ),
        AgencyError::UnknownCommune {
            index,
            commune_code,
        } => ApiError::invalid_field(
            &field(index).replace(".agency_code", ".commune_code"),
            format!("Không có xã/phường {commune_code} trong tỉnh này."),
            format!("No commune {commune_code} in this province."),
        ),
        AgencyError::Taken {
            agency_code,
            held_by,
            ..
        } => ApiError::conflict(
            "commune.agency_code_taken",
            format!("Mã định danh {agency_code} đã thuộc về đơn vị khác."),
            format!("Agency identifier {agency_code} belongs to another unit."),
        )
        .with_extra(serde_json::json!({ "held_by": held_by })),
        AgencyError::Db(e) => e.into(),
    }
}

/// Applies a province's list of issued identifiers, all or nothing (404 for an unknown
/// province; each refused item names `items[i].agency_code`).
pub fn import_agency_identifiers(
    conn: &mut DbConn,
    province: &str,
    items: &[AgencyAssignment],
) -> ApiResult<AgencyOutcome> {
    Province::find(conn, province)?.ok_or_else(|| ApiError::not_found("tỉnh", "Province"))?;
    agency::assign(conn, items, Some(province), true, crate::clock::now())
        .map_err(|e| agency_error(e, |i| format!("items[{i}].agency_code")))
}

/// The account a commune's online payments go to: its own, else its province's; `None`
/// while neither is set. 404 for an unknown commune.
pub fn commune_payment_account(
    conn: &mut DbConn,
    commune_code: &str,
) -> ApiResult<Option<BeneficiaryRow>> {
    let c = Commune::find(conn, commune_code)?
        .ok_or_else(|| ApiError::not_found("xã/phường", "Commune"))?;
    Ok(beneficiary::effective(conn, &c.code, &c.province_code)?)
}

/// Records the beneficiary account of a commune or a province (which must exist: 404),
/// replacing the previous one; payments opened from now on are paid into it.
pub fn set_payment_account(
    conn: &mut DbConn,
    scope: Scope,
    code: &str,
    account: &Beneficiary,
    by: &str,
) -> ApiResult<BeneficiaryRow> {
    let exists = match scope {
        Scope::Commune => Commune::find(conn, code)?.is_some(),
        Scope::Province => Province::find(conn, code)?.is_some(),
    };
    if !exists {
        return Err(match scope {
            Scope::Commune => ApiError::not_found("xã/phường", "Commune"),
            Scope::Province => ApiError::not_found("tỉnh", "Province"),
        });
    }
    Ok(beneficiary::set(
        conn,
        scope,
        code,
        account,
        by,
        crate::clock::now(),
    )?)
}
