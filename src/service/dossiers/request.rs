//! What a filing says: the applicant, the representative, the components, the fees.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::record::ComponentInput;
use crate::domain::dossier::{ApplicantType, Channel};
use crate::domain::fields::rule;

fn validate_name(s: &str) -> Result<(), ValidationError> {
    let n = s.trim().chars().count();
    if (2..=200).contains(&n) {
        Ok(())
    } else {
        Err(rule(
            "name",
            "Họ tên phải có từ 2 đến 200 ký tự.",
            "The name must have 2 to 200 characters.",
        ))
    }
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    #[serde(rename = "type")]
    pub applicant_type: ApplicantType,
    #[validate(custom(function = "validate_name"))]
    pub full_name: String,
    /// Personal ID (citizens) or tax code (businesses, organisations).
    pub id_number: String,
    /// When given, checked against the century/year digits of the personal ID.
    #[validate(range(min = 1900, max = 2100))]
    pub birth_year: Option<i32>,
    #[validate(custom(function = "crate::domain::fields::phone"))]
    pub phone: String,
    #[validate(length(min = 5, max = 500))]
    pub address: String,
    #[validate(email)]
    pub email: Option<String>,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeInput {
    #[validate(custom(function = "validate_name"))]
    pub full_name: String,
    #[validate(custom(function = "crate::domain::fields::personal_id"))]
    pub id_number: String,
    #[validate(custom(function = "crate::domain::fields::phone"))]
    pub phone: String,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "procedure_code": "1.004873", "case_code": "default",
    "applicant": {"type": "citizen", "full_name": "Nguyễn Văn An", "id_number": "025090000123",
                  "birth_year": 1990, "phone": "0912345678", "address": "Thôn Bo, xã Kim Bôi, tỉnh Phú Thọ"},
    "summary": "Xác nhận tình trạng hôn nhân để đăng ký kết hôn",
    "components": [{"document": "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", "source": "paper"}]
}))]
pub struct IntakeRequest {
    /// Commune receiving the dossier (officers: their own, the default).
    pub commune_code: Option<String>,
    #[validate(length(min = 8, max = 8))]
    pub procedure_code: String,
    /// Case of the procedure (default: its first case).
    #[validate(length(min = 1, max = 40))]
    pub case_code: Option<String>,
    /// `counter` (default for officers) or `post`; online applicants are always `online`.
    pub channel: Option<Channel>,
    #[validate(nested)]
    pub applicant: ApplicantInput,
    #[validate(nested)]
    pub representative: Option<RepresentativeInput>,
    /// Trích yếu: what the applicant asks for.
    #[validate(length(max = 1000))]
    pub summary: Option<String>,
    #[validate(nested)]
    pub components: Vec<ComponentInput>,
    /// Quantities for per-unit fees (pages, copies) and an exemption claim. The fees are
    /// assessed at filing with the schedule versions in force that day.
    #[validate(nested)]
    pub fees: Option<crate::service::fees::FeeInput>,
    /// The national portal's own reference of the dossier (`portal_client` only, required
    /// there): pushing the same reference again returns the existing dossier.
    #[validate(length(min = 1, max = 100))]
    pub portal_reference: Option<String>,
}
