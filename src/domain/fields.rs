//! Field rules shared by the request bodies of several resources (used through
//! `#[validate(custom(function = "…"))]`), each with its message in both languages.

use validator::ValidationError;

/// A custom validation error carrying both languages (see `validation_text`).
pub fn rule(code: &'static str, vi: &'static str, en: &'static str) -> ValidationError {
    let mut e = ValidationError::new(code).with_message(vi.into());
    e.add_param("en".into(), &en);
    e
}

/// A Vietnamese phone number: 9–15 digits, with optional spaces, `+`, `-`, `.`, parentheses.
pub fn phone(s: &str) -> Result<(), ValidationError> {
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    if (9..=15).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
    {
        Ok(())
    } else {
        Err(rule(
            "phone",
            "Số điện thoại không hợp lệ.",
            "Invalid phone number.",
        ))
    }
}

/// A phone number, or "" where an empty string clears the field.
pub fn phone_or_empty(s: &str) -> Result<(), ValidationError> {
    if s.is_empty() {
        Ok(())
    } else {
        phone(s)
    }
}

/// The 12-digit personal identification number (province code and century digits checked).
pub fn personal_id(s: &str) -> Result<(), ValidationError> {
    crate::domain::identity::validate_personal_id(s, None)
        .map(|_| ())
        .map_err(|_| {
            rule(
                "personal_id",
                "Số định danh cá nhân phải gồm 12 chữ số, 3 số đầu là mã tỉnh nơi đăng ký khai sinh.",
                "A personal ID is 12 digits whose first 3 are a birth-registration province code.",
            )
        })
}

/// A commune code: 5 digits (Decision 19/2025/QĐ-TTg).
pub fn commune_code(s: &str) -> Result<(), ValidationError> {
    if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(rule(
            "commune_code",
            "Mã xã phải gồm đúng 5 chữ số.",
            "A commune code is exactly 5 digits.",
        ))
    }
}

/// A province code: 2 digits.
pub fn province_code(s: &str) -> Result<(), ValidationError> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(rule(
            "province_code",
            "Mã tỉnh phải gồm đúng 2 chữ số.",
            "A province code is exactly 2 digits.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for ok in [
            "0912345678",
            "+84 912 345 678",
            "(0218) 3871.234",
            "0218-3871-234",
        ] {
            assert!(phone(ok).is_ok(), "{ok}");
        }
        for bad in ["", "12345", "09123abc78", "0912345678901234567"] {
            assert!(phone(bad).is_err(), "{bad}");
        }
        assert!(phone_or_empty("").is_ok());
    }

    #[test]
    fn codes() {
        assert!(commune_code("04978").is_ok());
        assert!(commune_code("4978").is_err());
        assert!(province_code("25").is_ok());
        assert!(province_code("2a").is_err());
        assert!(personal_id("025190000123").is_ok());
        // 999: a country code of a birth registered abroad (Law on Identification 2023).
        assert!(personal_id("999190000123").is_ok());
        assert!(personal_id("097190000123").is_err());
    }
}
