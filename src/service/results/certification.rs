//! Electronic certification of copies from the original (chứng thực bản sao điện tử từ bản
//! chính), numbered in the commune's yearly certification book.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{insert_result, Owner, ResultInput, SignatureInput, StoredFile};
use crate::auth::access::{Place, Scope};
use crate::auth::Principal;
use crate::db::models::result::{next_certification_no, DigitalResult};
use crate::db::schema::{certifications, digital_results};
use crate::db::DbConn;
use crate::domain::calendar::local_date;
use crate::domain::sealing::Sealer;
use crate::domain::text::nfc;
use crate::error::{ApiError, ApiResult};
use crate::service::access_log::Read;

/// An electronic certification (the `metadata` part, next to the scan in `file`).
#[derive(Serialize, Deserialize, Validate, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"applicant_name": "Nguyễn Thị Hoà", "applicant_id_number": "025190000123", "document_type": "Bằng tốt nghiệp trung học phổ thông",
    "certification_text": "Chứng thực bản sao đúng với bản chính.", "pages": 1, "copies": 1,
    "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch UBND xã",
    "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "5404FFFEB7033FB316D672201B7BA4FE", "certificate_subject": "CN=Trần Văn Minh",
                  "certificate_issuer": "CN=Cục Chứng thực số và Bảo mật thông tin", "signed_at": "2026-11-28T02:30:00Z"}}))]
pub struct CertificationInput {
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub applicant_name: String,
    /// Personal ID (12 digits).
    #[schema(
        min_length = 9,
        max_length = 14,
        pattern = r"^(0(01|02|04|06|08|10|11|12|14|15|17|19|20|22|24|25|26|27|30|31|33|34|35|36|37|38|40|42|44|45|46|48|49|51|52|54|56|58|60|62|64|66|67|68|70|72|74|75|77|79|80|82|83|84|86|87|89|91|92|93|94|95|96)|[1-9][0-9]{2})[0-9]{9}$"
    )]
    #[validate(length(min = 9, max = 14))]
    pub applicant_id_number: String,
    /// What the original is.
    #[schema(min_length = 1, max_length = 300)]
    #[validate(length(min = 1, max = 300))]
    pub document_type: String,
    /// Lời chứng.
    #[schema(min_length = 1, max_length = 4000)]
    #[validate(length(min = 1, max = 4000))]
    pub certification_text: String,
    #[schema(minimum = 1, maximum = 10000)]
    #[validate(range(min = 1, max = 10000))]
    pub pages: i32,
    #[schema(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000))]
    pub copies: i32,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub signer_name: String,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200))]
    pub signer_title: String,
    #[validate(nested)]
    pub signature: SignatureInput,
}

impl CertificationInput {
    /// Once the fields are valid: the applicant's personal ID number is well-formed.
    pub fn check_id_number(&self) -> ApiResult<()> {
        if crate::domain::identity::validate_personal_id(&self.applicant_id_number, None).is_err() {
            return Err(ApiError::invalid_field(
                "applicant_id_number",
                "Số định danh cá nhân không hợp lệ.",
                "Invalid personal ID number.",
            ));
        }
        Ok(())
    }
}

/// A certification as recorded in the book, with its sealed copy.
pub struct Certified {
    pub id: String,
    pub commune_code: String,
    pub year: i32,
    pub book_no: i64,
    pub number_symbol: String,
    pub certification_text: String,
    pub pages: i32,
    pub copies: i32,
    pub result: DigitalResult,
    pub created_at: DateTime<Utc>,
}

/// Certifies a copy in the caller's commune: it takes the next number of the commune's
/// book for the year (gapless across instances) and becomes a sealed digital result
/// (`certified_copy`) of the applicant.
pub fn certify(
    conn: &mut DbConn,
    sealer: &Sealer,
    p: &Principal,
    input: &CertificationInput,
    file: &StoredFile,
) -> ApiResult<Certified> {
    let commune_code = p.commune_code.clone().unwrap_or_default();
    let commune = crate::db::models::registry::Commune::find(conn, &commune_code)?
        .ok_or_else(|| ApiError::internal("commune"))?;
    let now = crate::clock::now();
    let year = local_date(now).year();
    // The copy is the account's whose verified identity is the applicant's.
    let owner_user =
        crate::service::identity::account_with_verified_id(conn, &input.applicant_id_number)?;
    // The number last: the counter row stays locked only for the inserts below.
    let book_no = next_certification_no(conn, &commune.code, year)?;
    let number_symbol = format!("{book_no}/{year}/SCT/BS");
    let owner = Owner {
        commune_code: commune.code.clone(),
        province_code: commune.province_code.clone(),
        agency: format!("UBND {}", commune.full_name),
        id_number: input.applicant_id_number.clone(),
        name: nfc(input.applicant_name.trim()),
        user_id: owner_user,
        dossier_id: None,
    };
    let result_input = ResultInput {
        document_type: format!(
            "Bản sao điện tử chứng thực từ bản chính: {}",
            input.document_type.trim()
        ),
        number_symbol: number_symbol.clone(),
        summary: nfc(input.certification_text.trim()),
        signer_name: input.signer_name.clone(),
        signer_title: input.signer_title.clone(),
        issuing_agency: None,
        issued_on: local_date(now),
        valid_from: None,
        valid_until: None,
        scope: None,
        signature: input.signature.clone(),
    };
    let r = insert_result(
        conn,
        sealer,
        p,
        "certified_copy",
        &owner,
        &result_input,
        file,
        None,
    )?;
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(certifications::table)
        .values((
            certifications::id.eq(&id),
            certifications::commune_code.eq(&commune.code),
            certifications::year.eq(year),
            certifications::book_no.eq(book_no),
            certifications::certification_text.eq(nfc(input.certification_text.trim())),
            certifications::pages.eq(input.pages),
            certifications::copies.eq(input.copies),
            certifications::result_id.eq(&r.id),
            certifications::officer_id.eq(&p.user_id),
            certifications::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(Certified {
        id,
        commune_code: commune.code,
        year,
        book_no,
        number_symbol,
        certification_text: nfc(input.certification_text.trim()),
        pages: input.pages,
        copies: input.copies,
        result: r,
        created_at: now,
    })
}

/// A line of the book: (id, year, book number, text, pages, copies, at) and the copy.
pub type BookRow = (
    (String, i32, i64, String, i32, i32, NaiveDateTime),
    DigitalResult,
);

/// The commune whose book the caller reads: their own (commune staff), or the one asked for
/// (supervisors and admins, 422 without it).
pub fn book_commune(scope: &Scope, asked: Option<&String>) -> ApiResult<String> {
    Ok(match scope {
        Scope::Commune(c) => c.clone(),
        Scope::Nothing => String::new(),
        _ => asked.cloned().ok_or_else(|| {
            ApiError::invalid_field("commune_code", "Cần mã xã.", "commune_code is required.")
        })?,
    })
}

/// Up to `limit + 1` lines of the commune's book, newest first, after the cursor
/// `(year, book number)`; none if the commune is outside `scope`. With the reads of the
/// first `limit`.
pub fn book(
    conn: &mut DbConn,
    scope: &Scope,
    commune: &str,
    after: Option<(i32, i64)>,
    limit: i64,
) -> ApiResult<(Vec<BookRow>, Vec<Read>)> {
    let c = crate::db::models::registry::Commune::find(conn, commune)?;
    if !c.is_some_and(|c| scope.admits(Place::commune(&c.code, &c.province_code))) {
        return Ok((vec![], vec![]));
    }
    let mut q = certifications::table
        .inner_join(digital_results::table)
        .filter(certifications::commune_code.eq(commune))
        .order((certifications::year.desc(), certifications::book_no.desc()))
        .limit(limit + 1)
        .select((
            (
                certifications::id,
                certifications::year,
                certifications::book_no,
                certifications::certification_text,
                certifications::pages,
                certifications::copies,
                certifications::created_at,
            ),
            DigitalResult::as_select(),
        ))
        .into_boxed();
    if let Some((y, n)) = after {
        q = q.filter(
            certifications::year.lt(y).or(certifications::year
                .eq(y)
                .and(certifications::book_no.lt(n))),
        );
    }
    let rows: Vec<BookRow> = q.load(conn)?;
    let reads: Vec<_> = rows
        .iter()
        .take(limit as usize)
        .map(|(_, r)| Read::result(r))
        .collect();
    Ok((rows, reads))
}
