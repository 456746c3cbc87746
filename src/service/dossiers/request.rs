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
    #[schema(pattern = r"^\s*\S[\s\S]{0,198}\S\s*$")]
    #[validate(custom(function = "validate_name"))]
    pub full_name: String,
    /// Personal ID (citizens) or tax code (businesses, organisations).
    pub id_number: String,
    /// When given, checked against the century/year digits of the personal ID.
    #[schema(minimum = 1900, maximum = 2100)]
    #[validate(range(min = 1900, max = 2100))]
    pub birth_year: Option<i32>,
    #[schema(pattern = r"^[ +\-.()]*([0-9][ +\-.()]*){9,15}$")]
    #[validate(custom(function = "crate::domain::fields::phone"))]
    pub phone: String,
    #[schema(min_length = 5, max_length = 500)]
    #[validate(length(min = 5, max = 500))]
    pub address: String,
    #[schema(format = Email)]
    #[validate(email)]
    pub email: Option<String>,
}

#[derive(Deserialize, Serialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeInput {
    #[schema(pattern = r"^\s*\S[\s\S]{0,198}\S\s*$")]
    #[validate(custom(function = "validate_name"))]
    pub full_name: String,
    #[schema(
        pattern = r"^(0(01|02|04|06|08|10|11|12|14|15|17|19|20|22|24|25|26|27|30|31|33|34|35|36|37|38|40|42|44|45|46|48|49|51|52|54|56|58|60|62|64|66|67|68|70|72|74|75|77|79|80|82|83|84|86|87|89|91|92|93|94|95|96)|[1-9][0-9]{2})[0-9]{9}$"
    )]
    #[validate(custom(function = "crate::domain::fields::personal_id"))]
    pub id_number: String,
    #[schema(pattern = r"^[ +\-.()]*([0-9][ +\-.()]*){9,15}$")]
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
    #[schema(min_length = 8, max_length = 8)]
    #[validate(length(min = 8, max = 8))]
    pub procedure_code: String,
    /// Case of the procedure (default: its first case).
    #[schema(min_length = 1, max_length = 40)]
    #[validate(length(min = 1, max = 40))]
    pub case_code: Option<String>,
    /// `counter` (default for officers) or `post`; online applicants are always `online`.
    pub channel: Option<Channel>,
    #[validate(nested)]
    pub applicant: ApplicantInput,
    #[validate(nested)]
    pub representative: Option<RepresentativeInput>,
    /// Trích yếu: what the applicant asks for.
    #[schema(max_length = 1000)]
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
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100))]
    pub portal_reference: Option<String>,
}
