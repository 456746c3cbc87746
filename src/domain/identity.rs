//! Vietnamese identity numbers: the 12-digit personal identification number and the tax
//! code (mã số thuế).

use serde::{Deserialize, Serialize};

/// Birth-registration province codes, digits 1–3 of a personal ID, with the pre-2025
/// province names (Circular 07/2016/TT-BCA art. 7 and Appendix I, carried into Circular
/// 59/2021/TT-BCA). The 2025 mergers left issued numbers unchanged, and each of the 34
/// provinces kept one of these codes, so this list remains the valid set.
const PROVINCES: [(&str, &str); 63] = [
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hòa Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa - Vũng Tàu"),
    ("079", "Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
];

/// The pre-2025 name of the province a personal ID's birth registration code
/// (e.g. `"025"`) stands for, or `None` for a code not in the Circular 07/2016 list.
pub fn birth_registration_province(code: &str) -> Option<&'static str> {
    PROVINCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// Gender as encoded in digit 4 of a personal ID (even = male, odd = female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

/// Whether digits 1–3 of a personal ID are a code of a country where the birth was
/// registered abroad (at a Vietnamese mission), rather than a province code.
///
/// Law on Identification 2023 (26/2023/QH15) Art. 12 and Decree 70/2024/NĐ-CP (as Decree
/// 137/2015 Art. 13 as amended by Decree 37/2021 before it): the first three digits are
/// "mã tỉnh, thành phố trực thuộc trung ương **hoặc mã quốc gia** nơi công dân đăng ký
/// khai sinh". Province codes are the 63 codes of the list above, all in 001–096; a code
/// from 100 to 999 is taken as a country code. The country list itself (an appendix of
/// the Ministry of Public Security's circular) is to be confirmed against the official
/// text, so every code of that range is accepted rather than refusing a real citizen.
/// Codes 000–099 that are not a province stay refused (they are the province range).
pub fn is_abroad_registration_code(code: &str) -> bool {
    code.len() == 3
        && code.bytes().all(|b| b.is_ascii_digit())
        && code.parse::<u16>().is_ok_and(|n| (100..=999).contains(&n))
}

/// What a valid personal ID says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalIdInfo {
    /// Digits 1–3: birth-registration province code, e.g. `"025"`, or the code of the
    /// country where the birth was registered (see `registered_abroad`).
    pub province_code: String,
    /// Digits 1–3 are a country code: the birth was registered abroad.
    pub registered_abroad: bool,
    pub gender: Gender,
    /// Full birth year, from the century digit and digits 5–6.
    pub birth_year: i32,
}

/// Why an identity number was rejected. [`IdError::code`] is a stable machine key; the
/// messages are for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// Not exactly 12 ASCII digits.
    NotTwelveDigits,
    /// Digits 1–3 are not a birth-registration province code; carries them.
    UnknownProvince(String),
    /// The birth year encoded in the ID (`found`) differs from the one on record
    /// (`expected`).
    BirthYearMismatch { expected: i32, found: i32 },
    /// Not a well-formed tax code (format or check digit).
    InvalidTaxCode,
}

impl IdError {
    /// Stable key for API clients and translations.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::NotTwelveDigits => "identity.not_12_digits",
            IdError::UnknownProvince(_) => "identity.unknown_province",
            IdError::BirthYearMismatch { .. } => "identity.birth_year_mismatch",
            IdError::InvalidTaxCode => "identity.invalid_tax_code",
        }
    }

    /// Message in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            IdError::NotTwelveDigits => "Số định danh cá nhân phải gồm đúng 12 chữ số.".into(),
            IdError::UnknownProvince(code) => format!(
                "Ba chữ số đầu của số định danh cá nhân ({code}) không phải mã tỉnh, thành phố nơi đăng ký khai sinh."
            ),
            IdError::BirthYearMismatch { expected, found } => format!(
                "Số định danh cá nhân ghi năm sinh {found}, không khớp với năm sinh đã khai là {expected}."
            ),
            IdError::InvalidTaxCode => "Mã số thuế phải gồm 10 chữ số với chữ số kiểm tra hợp lệ, \
                 có thể kèm 3 chữ số của đơn vị phụ thuộc (dạng 0123456789-001), \
                 hoặc là số định danh cá nhân 12 chữ số."
                .into(),
        }
    }

    /// Message in English.
    pub fn message_en(&self) -> String {
        match self {
            IdError::NotTwelveDigits => "A personal ID number is exactly 12 digits.".into(),
            IdError::UnknownProvince(code) => format!(
                "The first three digits of the personal ID ({code}) are not a birth-registration province code."
            ),
            IdError::BirthYearMismatch { expected, found } => format!(
                "The personal ID encodes birth year {found}, which does not match the stated birth year {expected}."
            ),
            IdError::InvalidTaxCode => "A tax code is 10 digits with a valid check digit, \
                 optionally followed by a 3-digit branch number (0123456789-001), \
                 or a 12-digit personal ID number."
                .into(),
        }
    }
}

impl std::fmt::Display for IdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for IdError {}

/// Validate a 12-digit personal identification number (số định danh cá nhân, also the
/// CCCD / chip ID card number) and decode it.
///
/// Layout per Decree 137/2015/NĐ-CP art. 13 and Circular 07/2016/TT-BCA art. 7 (Decree
/// 70/2024/NĐ-CP no longer restates it; Law on Identification 2023 art. 12 keeps 12
/// digits): digits 1–3 birth-registration province or country code (births registered
/// abroad, [`is_abroad_registration_code`]), digit 4 century and
/// gender (0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s, 8/9 = 2300s),
/// digits 5–6 the last two digits of the birth year, digits 7–12 a random serial (no
/// check digit). When `birth_year` is given, the encoded year must equal it.
/// The input is not trimmed: callers pass the value as the user will see it stored.
///
/// # Errors
/// [`IdError::NotTwelveDigits`], [`IdError::UnknownProvince`] or
/// [`IdError::BirthYearMismatch`], checked in that order.
pub fn validate_personal_id(id: &str, birth_year: Option<i32>) -> Result<PersonalIdInfo, IdError> {
    let b = id.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return Err(IdError::NotTwelveDigits);
    }
    let province_code = &id[0..3];
    let registered_abroad = birth_registration_province(province_code).is_none();
    if registered_abroad && !is_abroad_registration_code(province_code) {
        return Err(IdError::UnknownProvince(province_code.to_string()));
    }
    let digit = |i: usize| i32::from(b[i] - b'0');
    let century_gender = digit(3);
    let found = 1900 + 100 * (century_gender / 2) + 10 * digit(4) + digit(5);
    let gender = if century_gender % 2 == 0 {
        Gender::Male
    } else {
        Gender::Female
    };
    if let Some(expected) = birth_year {
        if expected != found {
            return Err(IdError::BirthYearMismatch { expected, found });
        }
    }
    Ok(PersonalIdInfo {
        province_code: province_code.to_string(),
        registered_abroad,
        gender,
        birth_year: found,
    })
}

/// Validate a tax code (mã số thuế).
///
/// Accepted forms:
/// - `NNNNNNNNNN`: 10 digits, enterprises and organisations, and individuals registered
///   before 1 July 2025 (structure in Circular 105/2020/TT-BTC, now Circular
///   86/2024/TT-BTC): digits 1–2 the issuing province, 3–9 a serial (not all zero),
///   digit 10 a check digit (see below).
/// - `NNNNNNNNNN-NNN`: 13-digit code of a dependent unit / branch: the parent's 10 digits
///   plus a branch number 001–999.
/// - a valid 12-digit personal ID ([`validate_personal_id`]): since 1 July 2025 an
///   individual's, and a household business's, tax code is the personal ID of the
///   individual / household representative (Circular 86/2024/TT-BTC).
///
/// Check digit: with weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on digits 1–9, the 10th digit
/// is 10 − (weighted sum mod 11); a remainder of 0 would need "10", so no valid code has
/// it. Verified against published codes (e.g. 0100109106, 0101248141, 0300588569).
///
/// # Errors
/// [`IdError::InvalidTaxCode`] for anything else.
pub fn validate_tax_code(code: &str) -> Result<(), IdError> {
    let b = code.as_bytes();
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        10 if all_digits(b) => check_mst10(b),
        14 if b[10] == b'-' && all_digits(&b[..10]) && all_digits(&b[11..]) => {
            if &b[11..] == b"000" {
                return Err(IdError::InvalidTaxCode);
            }
            check_mst10(&b[..10])
        }
        12 => validate_personal_id(code, None)
            .map(|_| ())
            .map_err(|_| IdError::InvalidTaxCode),
        _ => Err(IdError::InvalidTaxCode),
    }
}

/// The check digit a 10-digit tax code must end with, from its first 9 digits, or `None`
/// when those 9 digits admit no valid code. `first9` must be 9 ASCII digits.
fn mst_check_digit(first9: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = first9
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match 10 - sum % 11 {
        10 => None,
        check => u8::try_from(check).ok(),
    }
}

fn check_mst10(b: &[u8]) -> Result<(), IdError> {
    if &b[2..9] == b"0000000" {
        return Err(IdError::InvalidTaxCode);
    }
    match mst_check_digit(&b[..9]) {
        Some(check) if b[9] - b'0' == check => Ok(()),
        _ => Err(IdError::InvalidTaxCode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_personal_ids() {
        let cases: &[(&str, Option<i32>, &str, Gender, i32)] = &[
            ("001085012345", None, "001", Gender::Male, 1985),
            ("001185012345", Some(1985), "001", Gender::Female, 1985),
            ("025203000001", Some(2003), "025", Gender::Male, 2003),
            ("079300999999", None, "079", Gender::Female, 2000),
            ("096099000000", Some(1999), "096", Gender::Male, 1999),
            ("046200123456", None, "046", Gender::Male, 2000),
            ("017412000000", None, "017", Gender::Male, 2112),
            ("017512000000", None, "017", Gender::Female, 2112),
            ("017600000000", None, "017", Gender::Male, 2200),
            ("017701000000", None, "017", Gender::Female, 2201),
            ("017899000000", None, "017", Gender::Male, 2399),
            ("017999000000", None, "017", Gender::Female, 2399),
        ];
        for (id, by, province, gender, year) in cases {
            let info = validate_personal_id(id, *by).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert_eq!(info.province_code, *province, "{id}");
            assert_eq!(info.gender, *gender, "{id}");
            assert_eq!(info.birth_year, *year, "{id}");
        }
    }

    #[test]
    fn invalid_personal_ids() {
        use IdError::*;
        let cases: &[(&str, Option<i32>, IdError)] = &[
            ("", None, NotTwelveDigits),
            ("00108501234", None, NotTwelveDigits),   // 11
            ("0010850123456", None, NotTwelveDigits), // 13
            ("00108501234a", None, NotTwelveDigits),
            (" 01085012345", None, NotTwelveDigits),
            ("001085012345 ", None, NotTwelveDigits),
            ("001-85012345", None, NotTwelveDigits),
            ("００１０８５０１２３４５", None, NotTwelveDigits), // full-width digits
            ("٠٠١٠٨٥٠١٢٣٤٥", None, NotTwelveDigits),             // Arabic-Indic digits
            ("000085012345", None, UnknownProvince("000".into())),
            ("003085012345", None, UnknownProvince("003".into())),
            ("097085012345", None, UnknownProvince("097".into())),
            ("099085012345", None, UnknownProvince("099".into())),
            (
                "001085012345",
                Some(1986),
                BirthYearMismatch {
                    expected: 1986,
                    found: 1985,
                },
            ),
            (
                "001285012345",
                Some(1985),
                BirthYearMismatch {
                    expected: 1985,
                    found: 2085,
                },
            ),
        ];
        for (id, by, want) in cases {
            assert_eq!(validate_personal_id(id, *by), Err(want.clone()), "{id:?}");
        }
    }

    /// Law on Identification 2023 Art. 12 and Decree 70/2024/NĐ-CP: the first three
    /// digits are the province **or the country code** where the birth was registered.
    #[test]
    fn country_code_prefix_for_births_registered_abroad_identification_law_2023_art_12() {
        let info = validate_personal_id("250090012345", Some(1990)).unwrap();
        assert!(info.registered_abroad);
        assert_eq!(info.province_code, "250");
        assert_eq!(info.birth_year, 1990);
        for code in ["100", "392", "840", "999"] {
            let id = format!("{code}185012345");
            let info = validate_personal_id(&id, None).unwrap();
            assert!(info.registered_abroad, "{id}");
        }
        // A province code is a province, not a country.
        assert!(
            !validate_personal_id("025090000123", None)
                .unwrap()
                .registered_abroad
        );
        // The province range 000–099 outside the list is still refused.
        assert_eq!(
            validate_personal_id("097085012345", None),
            Err(IdError::UnknownProvince("097".into()))
        );
        assert!(!is_abroad_registration_code("099"));
        assert!(!is_abroad_registration_code("1000"));
        assert!(!is_abroad_registration_code("1a0"));
    }

    #[test]
    fn province_list_is_the_63_codes() {
        assert_eq!(PROVINCES.len(), 63);
        let mut codes: Vec<&str> = PROVINCES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 63);
        assert!(codes
            .iter()
            .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit())));
        assert_eq!(birth_registration_province("025"), Some("Phú Thọ"));
        assert_eq!(birth_registration_province("079"), Some("Hồ Chí Minh"));
        assert_eq!(birth_registration_province("003"), None);
        assert_eq!(birth_registration_province("25"), None);
        // The 34 provinces of 2025 kept codes from the old list.
        for code in [
            "01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33",
            "37", "38", "40", "42", "44", "46", "48", "51", "52", "56", "66", "68", "75", "79",
            "80", "82", "86", "91", "92", "96",
        ] {
            assert!(
                birth_registration_province(&format!("0{code}")).is_some(),
                "{code}"
            );
        }
    }

    #[test]
    fn valid_tax_codes() {
        for code in [
            "0100109106",     // published enterprise code
            "0101248141",     // published enterprise code
            "0300588569",     // published enterprise code
            "0100233488",     // published enterprise code
            "0100109106-001", // branch
            "0300588569-999",
            "001085012345", // personal ID as an individual's tax code since 1 July 2025
            "079300999999",
        ] {
            assert_eq!(validate_tax_code(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn invalid_tax_codes() {
        for code in [
            "",
            "010010910",       // 9 digits
            "01001091061",     // 11 digits
            "0100109107",      // wrong check digit
            "0100109105",      // wrong check digit
            "0100233480",      // wrong check digit
            "0100000000",      // zero serial
            "0100109106-000",  // branch 000
            "0100109106-01",   // short branch
            "0100109106-0001", // long branch
            "0100109106 001",
            "0100109106001", // branch without the hyphen
            "0100109107-001",
            "010010910a",
            " 0100109106",
            "003085012345", // 12 digits, unknown province
            "0010850123456",
            "０１００１０９１０６",
        ] {
            assert_eq!(
                validate_tax_code(code),
                Err(IdError::InvalidTaxCode),
                "{code:?}"
            );
        }
    }

    #[test]
    fn check_digit_remainder_zero_is_never_valid() {
        // Weighted sum of 010000005 is 29 + 15 = 44 = 4 × 11, so no 10th digit fits.
        assert_eq!(mst_check_digit(b"010000005"), None);
        for last in b'0'..=b'9' {
            let code = format!("010000005{}", last as char);
            assert_eq!(
                validate_tax_code(&code),
                Err(IdError::InvalidTaxCode),
                "{code}"
            );
        }
    }

    #[test]
    fn error_codes_and_messages() {
        let all = [
            IdError::NotTwelveDigits,
            IdError::UnknownProvince("003".into()),
            IdError::BirthYearMismatch {
                expected: 1986,
                found: 1985,
            },
            IdError::InvalidTaxCode,
        ];
        let codes: Vec<&str> = all.iter().map(IdError::code).collect();
        assert_eq!(
            codes,
            [
                "identity.not_12_digits",
                "identity.unknown_province",
                "identity.birth_year_mismatch",
                "identity.invalid_tax_code"
            ]
        );
        for e in &all {
            assert!(!e.message_vi().is_empty() && !e.message_en().is_empty());
            assert_eq!(e.to_string(), e.message_en());
        }
        assert!(all[1].message_vi().contains("003") && all[1].message_en().contains("003"));
        assert!(all[2].message_vi().contains("1985") && all[2].message_vi().contains("1986"));
        assert!(all[2].message_en().contains("1985") && all[2].message_en().contains("1986"));
    }

    proptest! {
        #[test]
        fn personal_id_round_trip(
            p in 0usize..63,
            cg in 0u8..10,
            yy in 0u8..100,
            serial in 0u32..1_000_000,
        ) {
            let (province, _) = PROVINCES[p];
            let id = format!("{province}{cg}{yy:02}{serial:06}");
            let info = validate_personal_id(&id, None).unwrap();
            let year = 1900 + 100 * i32::from(cg / 2) + i32::from(yy);
            prop_assert_eq!(info.birth_year, year);
            prop_assert_eq!(info.gender, if cg % 2 == 0 { Gender::Male } else { Gender::Female });
            prop_assert_eq!(validate_personal_id(&id, Some(year)), Ok(info));
            prop_assert!(validate_personal_id(&id, Some(year + 1)).is_err());
            prop_assert_eq!(validate_tax_code(&id), Ok(()));
        }

        #[test]
        fn tax_code_single_digit_typos_are_caught(first9 in "[0-9]{2}[1-9][0-9]{6}", pos in 0usize..10, delta in 1u8..10) {
            let b = first9.as_bytes();
            if let Some(check) = mst_check_digit(b) {
                let code = format!("{first9}{check}");
                prop_assert_eq!(validate_tax_code(&code), Ok(()));
                let mut typo = code.into_bytes();
                typo[pos] = b'0' + (typo[pos] - b'0' + delta) % 10;
                let typo = String::from_utf8(typo).unwrap();
                prop_assert_eq!(validate_tax_code(&typo), Err(IdError::InvalidTaxCode));
            }
        }

        #[test]
        fn validators_never_panic(s in any::<String>(), by in proptest::option::of(any::<i32>())) {
            let _ = validate_personal_id(&s, by);
            let _ = validate_tax_code(&s);
        }
    }
}
