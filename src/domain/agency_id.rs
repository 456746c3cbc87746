//! The agency's electronic identifier (mã định danh điện tử của cơ quan, tổ chức), issued
//! under Decision 20/2020/QĐ-TTg (22/7/2020) on the electronic identifiers of agencies for
//! exchanging electronic documents: dot-separated groups (e.g. `000.17.22.H56`), the last
//! group naming the province (`H` + the province's code). It names the agency in the
//! portal's messages (`DonViXuLy`, `madonvi`), in the payment platform's receipt block
//! (`MaDonVi`) and in dossier codes.
//!
//! motcua does not invent one. Until a commune records the identifier it was issued, its
//! dossier codes use the fallback `H{province}.{commune}` (which keeps codes unique and
//! well-formed), its portal messages wait, and the fallback form is reserved: no commune
//! may record it as its identifier, its own or another's (issue 13, hole 5).

/// The fallback of a commune without an issued identifier.
pub fn fallback(province_code: &str, commune_code: &str) -> String {
    format!("H{province_code}.{commune_code}")
}

/// Whether `code` has the fallback's form `H` + 2 digits + `.` + 5 digits.
pub fn is_fallback_form(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9
        && b[0] == b'H'
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b'.'
        && b[4..].iter().all(u8::is_ascii_digit)
}

/// Why an identifier cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not dot-separated groups of uppercase letters and digits, or longer than 40.
    Malformed,
    /// The fallback form, which belongs to the communes without an issued identifier.
    Reserved,
}

/// Checks an identifier to record (after trimming): the form of QĐ 20/2020 identifiers,
/// and not the reserved fallback form.
pub fn check(code: &str) -> Result<(), Refusal> {
    let well_formed = !code.is_empty()
        && code.len() <= 40
        && code.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        });
    if !well_formed {
        Err(Refusal::Malformed)
    } else if is_fallback_form(code) {
        Err(Refusal::Reserved)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_identifiers_of_decision_20_2020_are_accepted() {
        // Forms seen in production (DOMAIN.md §1): QĐ 20/2020/QĐ-TTg level groups + province.
        for ok in [
            "000.17.22.H56",
            "000.00.01.H22",
            "000.25.01.H25",
            "H55.242",
            "G01.01",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn malformed_identifiers_are_refused() {
        for bad in [
            "",
            ".",
            "000..01",
            "000.17.",
            ".H56",
            "000.17.22.h56",
            "000 17",
            "000-17",
            "Đ00.17",
            &"1".repeat(41),
        ] {
            assert_eq!(check(bad), Err(Refusal::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn the_fallback_form_is_reserved_issue_13_hole_5() {
        // Setting another commune's fallback made its dossier codes collide (issue 13 §5).
        assert_eq!(fallback("25", "04978"), "H25.04978");
        assert!(is_fallback_form("H25.04978"));
        assert_eq!(check("H25.04978"), Err(Refusal::Reserved));
        assert_eq!(check("H01.00004"), Err(Refusal::Reserved));
        for not_fallback in [
            "H25.0497",
            "H25.049781",
            "H2.04978",
            "G25.04978",
            "H25.0497A",
            "H25-04978",
            "H55.242",
        ] {
            assert!(!is_fallback_form(not_fallback), "{not_fallback}");
        }
    }
}
