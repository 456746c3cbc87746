//! Vietnamese text normalisation: NFC for storage and a diacritic-free search key.
//!
//! The same name reaches us precomposed (NFC), decomposed (NFD, common from macOS and
//! some government exports) and with old or new tone placement ("Hoà"/"Hòa",
//! "Thuỷ"/"Thủy", both accepted in practice since the 1980s spelling rules never
//! settled it). Storage uses [`nfc`]; search compares [`fold`] keys only.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

/// Unicode NFC normalisation, applied to every text input before it is stored, so that
/// byte equality of stored text means canonical equality (Unicode UAX #15).
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// The search key of a text: diacritics removed, `đ`/`Đ` → `d`, lower case, letters and
/// digits only, single spaces, trimmed.
///
/// Canonical decomposition puts every Vietnamese tone and vowel mark (grave, acute, hook,
/// tilde, dot below, circumflex, breve, horn) into a combining mark, so dropping marks makes
/// old/new tone placement, NFC/NFD input and unaccented typing all compare equal:
/// "Hoà Bình", "Hòa Bình" and "HOA  BINH" all fold to `"hoa binh"`.
///
/// Other characters (punctuation, hyphens, brackets, underscores, symbols) become spaces,
/// except that apostrophes are removed outright, so ethnic-minority names written
/// "Cư M'gar", "Cư M’gar" or "Cư Mgar" all fold to `"cu mgar"`; zero-width characters and
/// soft hyphens are removed as well. `Ð` (U+00D0, a common look-alike of `Đ` in text
/// converted from legacy encodings) also maps to `d`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // A separator seen since the last kept character; written lazily, so runs collapse
    // and no leading or trailing space is produced.
    let mut gap = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        for lower in c.to_lowercase() {
            // Lower-casing can produce a composed character or a combining mark again
            // (e.g. U+0130 'İ' → "i\u{307}"), so decompose once more before filtering.
            decompose_canonical(lower, |d| {
                if is_combining_mark(d) || is_removed(d) {
                    return;
                }
                let d = match d {
                    'đ' | 'ð' => 'd',
                    other => other,
                };
                if d.is_alphanumeric() {
                    if gap && !out.is_empty() {
                        out.push(' ');
                    }
                    gap = false;
                    out.push(d);
                } else {
                    gap = true;
                }
            });
        }
    }
    out
}

/// Characters deleted (not turned into a word break) by [`fold`]: apostrophes inside
/// names and invisible formatting characters.
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' // apostrophes
            | '\u{00AD}' // soft hyphen
            | '\u{200B}'
            ..='\u{200D}' // zero-width space / non-joiner / joiner
            | '\u{2060}' // word joiner
            | '\u{FEFF}' // byte-order mark / zero-width no-break space
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nfd(s: &str) -> String {
        s.nfd().collect()
    }

    #[test]
    fn fold_table() {
        let cases: &[(&str, &str)] = &[
            ("Hoà Bình", "hoa binh"),
            ("Hòa Bình", "hoa binh"),
            ("HOA BINH", "hoa binh"),
            ("hoa  binh", "hoa binh"),
            ("  Hoà\tBình \n", "hoa binh"),
            ("HOÀ BÌNH", "hoa binh"),
            ("Thuỷ", "thuy"),
            ("Thủy", "thuy"),
            ("khoẻ", "khoe"),
            ("khỏe", "khoe"),
            ("uý", "uy"),
            ("úy", "uy"),
            ("Quỳnh Lâm", "quynh lam"),
            ("Đồng", "dong"),
            ("đồng", "dong"),
            ("ĐỒNG TIẾN", "dong tien"),
            ("Ðồng", "dong"), // U+00D0 look-alike
            ("Thừa Thiên Huế", "thua thien hue"),
            (
                "Phường Ngọc Hà (phần còn lại)",
                "phuong ngoc ha phan con lai",
            ),
            ("Bà Rịa - Vũng Tàu", "ba ria vung tau"),
            ("Phường 1, Quận 10.", "phuong 1 quan 10"),
            ("ba_dinh", "ba dinh"),
            ("Cư M'gar", "cu mgar"),
            ("Cư M’gar", "cu mgar"),
            ("Ea H'Leo", "ea hleo"),
            ("Nguyễn\u{200B}Văn", "nguyenvan"),
            ("Ưng Hoà", "ung hoa"),
            ("Ơn Ắt Ặn Ấy", "on at an ay"),
            ("", ""),
            ("  ,.-() ", ""),
            ("079203012345", "079203012345"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), *want, "fold({input:?})");
            assert_eq!(fold(&nfd(input)), *want, "fold(nfd({input:?}))");
            assert_eq!(fold(&nfc(input)), *want, "fold(nfc({input:?}))");
        }
    }

    #[test]
    fn old_and_new_tone_placement_fold_equal() {
        let pairs = [
            ("hoà", "hòa"),
            ("Hoà", "Hòa"),
            ("thuỷ", "thủy"),
            ("Thuỵ", "Thụy"),
            ("khoẻ", "khỏe"),
            ("uý", "úy"),
            ("Khánh Hoà", "Khánh Hòa"),
            ("Thanh Hoá", "Thanh Hóa"),
            ("Xoè", "Xòe"),
            ("luỹ", "lũy"),
        ];
        for (old, new) in pairs {
            assert_ne!(
                nfc(old),
                nfc(new),
                "{old} and {new} are different spellings"
            );
            assert_eq!(fold(old), fold(new), "{old} vs {new}");
        }
    }

    #[test]
    fn nfc_composes_decomposed_input() {
        assert_eq!(nfc("Hoa\u{300} Bi\u{300}nh"), "Hoà Bình");
        assert_eq!(nfc("Ho\u{300}a Bi\u{300}nh"), "Hòa Bình");
        assert_eq!(nfc("Hoà Bình"), "Hoà Bình");
        // "ệ" in NFD is e + circumflex + dot below in canonical order.
        assert_eq!(nfc("Nghe\u{323}\u{302}"), "Nghệ");
        assert_eq!(nfc("Nghe\u{302}\u{323}"), "Nghệ");
        // NFC does not change the tone placement the writer chose.
        assert_eq!(nfc("Thuỷ"), "Thuỷ");
        assert_eq!(nfc(""), "");
    }

    #[test]
    fn every_vietnamese_letter_folds_to_ascii() {
        let letters = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ";
        for c in letters.chars() {
            for s in [c.to_string(), c.to_uppercase().collect::<String>()] {
                let f = fold(&s);
                assert_eq!(f.chars().count(), 1, "{s:?} → {f:?}");
                assert!(f.chars().all(|c| c.is_ascii_lowercase()), "{s:?} → {f:?}");
                assert_eq!(fold(&nfd(&s)), f);
            }
        }
    }

    const VIET: &str = "[a-zA-Z0-9 ,.()'\\-àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐÀÁẢÃẠĂẰẮÂẦẤÊỀẾÔỒỐƠỜỚƯỪỨ\u{300}\u{301}\u{303}\u{309}\u{323}\t]{0,40}";

    proptest! {
        #[test]
        fn fold_is_idempotent(s in any::<String>()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn fold_ignores_normal_form(s in any::<String>()) {
            prop_assert_eq!(fold(&nfc(&s)), fold(&s));
            prop_assert_eq!(fold(&nfd(&s)), fold(&s));
        }

        #[test]
        fn fold_is_idempotent_on_vietnamese(s in VIET) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert_eq!(fold(&nfc(&s)), once.clone());
            prop_assert!(once.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' '));
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        }

        #[test]
        fn nfc_is_idempotent(s in any::<String>()) {
            let once = nfc(&s);
            prop_assert_eq!(nfc(&once), once);
        }
    }
}
