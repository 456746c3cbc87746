//! Merger lineage: which former units a commune-level unit was formed from.
//!
//! The 2025 reorganisation (National Assembly Standing Committee resolutions of June 2025;
//! unit codes by Decision 19/2025/QĐ-TTg, in force 1 July 2025) names, for every new
//! xã/phường/đặc khu, the former units it absorbed, published as free text
//! (`formed_from`). Citizens still know their old commune name, so the list is parsed
//! into [`Predecessor`]s and indexed for search.
//! The parse is best effort: the caller always keeps the original text alongside.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::text::{fold, nfc};

/// One former administrative unit named in a `formed_from` text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predecessor {
    /// The unit's proper name without its type word, NFC, original casing
    /// ("Vĩnh Đồng", or "4" for "Phường 4").
    pub name: String,
    /// `"xa"`, `"phuong"`, `"thi_tran"`, `"dac_khu"`, `"thi_xa"`, `"huyen"`, `"quan"` or
    /// `"thanh_pho"` when the text names the type (or the type carries over from the
    /// previous item of the same list); `None` when the text gives none.
    pub unit_type: Option<String>,
    /// Only part of the former unit went into the new one ("một phần diện tích…",
    /// "phần còn lại…"); its other part went to a different new unit.
    pub partial: bool,
}

/// Parse a published `formed_from` text into its list of former units.
///
/// Handles the shapes found in the 3,321 published rows: a comma / "và" separated list of
/// "Xã X", "Phường Y", "Thị trấn Z"; one type word shared by several names
/// ("các phường Cửa Nam, Điện Biên, Đội Cấn"); prefixes such as "Toàn bộ diện tích TN,
/// quy mô dân số của các phường" or "một phần diện tích TN của"; and parenthesised remarks,
/// which are dropped from the name but mark the unit partial when they say "phần còn lại".
/// A partial prefix ("một phần …", "phần còn lại của …") applies to the following items
/// until the next prefix or a closing "sau khi sắp xếp". `partial` reflects only what the
/// text says: the published lists often name a split unit without saying so.
/// "giữ nguyên" (unit kept unchanged) and an empty text yield an empty list.
/// Never panics; odd rows may parse imperfectly.
pub fn parse_formed_from(text: &str) -> Vec<Predecessor> {
    let text = nfc(text);
    let mut out = Vec::new();
    // Type and partial-ness carried from one list item to the next.
    let mut ctx_type: Option<&'static str> = None;
    let mut ctx_partial = false;
    // A prefix-only item ("một phần diện tích TN") waiting for the names that follow it:
    // Some(partial).
    let mut pending: Option<bool> = None;

    let mut queue: VecDeque<Piece> = pieces(&text).into();
    while let Some(piece) = queue.pop_front() {
        let (item, rest) = parse_piece(&piece);
        if let Some(rest) = rest {
            queue.push_front(rest);
        }
        if item.name.is_empty() {
            if item.prefixed {
                pending = Some(pending.unwrap_or(false) || item.prefix_partial);
            }
            if item.unit_type.is_some() {
                ctx_type = item.unit_type;
            }
            continue;
        }
        if fold(&item.name) == "giu nguyen" {
            continue;
        }
        if item.prefixed || pending.is_some() {
            ctx_partial = pending.take().unwrap_or(false) || item.prefix_partial;
        }
        if item.unit_type.is_some() {
            ctx_type = item.unit_type;
        }
        let unit_type = if item.unit_type.is_none() && item.not_a_unit {
            None
        } else {
            ctx_type
        };
        out.push(Predecessor {
            name: item.name,
            unit_type: unit_type.map(str::to_string),
            partial: ctx_partial || item.remainder,
        });
        if item.closes_phrase {
            // "… sau khi sắp xếp" ends the "phần còn lại của …" phrase.
            ctx_partial = false;
        }
    }
    out
}

/// The search column for a lineage: each predecessor's [`fold`]ed name, in order, without
/// duplicates, joined by `" | "`. A purely numeric name ("Phường 4") is given its type word
/// ("phuong 4"), since a bare number is useless as a search term.
pub fn search_terms(preds: &[Predecessor]) -> String {
    let mut terms: Vec<String> = Vec::with_capacity(preds.len());
    for p in preds {
        let mut term = fold(&p.name);
        if term.is_empty() {
            continue;
        }
        if term.chars().all(|c| c.is_ascii_digit()) {
            if let Some(t) = &p.unit_type {
                term = format!("{} {term}", fold(t));
            }
        }
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms.join(" | ")
}

/// One list item: its words (outside brackets) and its bracketed remarks.
#[derive(Debug, Default)]
struct Piece {
    words: Vec<String>,
    remarks: Vec<String>,
}

/// Split on `,` / `;` and on the word "và", outside brackets only (remarks such as
/// "(phần còn lại sau khi sáp nhập vào phường Ba Đình, phường Ngọc Hà)" contain commas).
fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut cur = Piece::default();
    let mut word = String::new();
    let mut remark = String::new();
    let mut depth = 0usize;

    for c in text.chars() {
        if depth > 0 {
            match c {
                '(' | '[' => {
                    depth += 1;
                    remark.push(c);
                }
                ')' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        cur.remarks.push(std::mem::take(&mut remark));
                    } else {
                        remark.push(c);
                    }
                }
                _ => remark.push(c),
            }
            continue;
        }
        match c {
            '(' | '[' => {
                end_word(&mut word, &mut cur, &mut out);
                depth = 1;
            }
            ',' | ';' => {
                end_word(&mut word, &mut cur, &mut out);
                out.push(std::mem::take(&mut cur));
            }
            // A stray closing bracket is a word break.
            ')' | ']' => end_word(&mut word, &mut cur, &mut out),
            c if c.is_whitespace() => end_word(&mut word, &mut cur, &mut out),
            c => word.push(c),
        }
    }
    end_word(&mut word, &mut cur, &mut out);
    if depth > 0 {
        cur.remarks.push(remark);
    }
    out.push(cur);
    out.retain(|p| !p.words.is_empty() || !p.remarks.is_empty());
    out
}

/// Finish the word being read: "và" ends the piece, anything else joins it.
fn end_word(word: &mut String, cur: &mut Piece, out: &mut Vec<Piece>) {
    if word.is_empty() {
        return;
    }
    let w = std::mem::take(word);
    if w.to_lowercase() == "và" {
        out.push(std::mem::take(cur));
    } else {
        cur.words.push(w);
    }
}

/// What one list item says, before the list context is applied.
#[derive(Debug)]
struct Item {
    name: String,
    unit_type: Option<&'static str>,
    /// Began with a lead-in ("một phần", "toàn bộ", "các", "của"…): a new phrase.
    prefixed: bool,
    /// The lead-in says only part of the unit ("một phần", "phần còn lại").
    prefix_partial: bool,
    /// The item itself (a remark or trailing words) says "phần còn lại" / "một phần".
    remainder: bool,
    /// Ended with "sau khi …" commentary, which closes the phrase.
    closes_phrase: bool,
    /// The name begins with a word for a sub-commune area ("Thôn", "Xóm", "khu vực"), so
    /// the list's unit type does not carry over to it.
    not_a_unit: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Lead {
    Partial,
    Other,
}

/// Lead-in phrases, as [`fold`]ed words, so spelling slips in the published data
/// ("toàn bố", "phần còn lai") still match. Longest first. None of them begins a real
/// place name.
const LEADS: &[(&[&str], Lead)] = &[
    (&["phan", "con", "lai"], Lead::Partial),
    (&["mot", "phan"], Lead::Partial),
    (&["toan", "bo"], Lead::Other),
    (&["dien", "tich", "tu", "nhien"], Lead::Other),
    (&["dien", "tich", "tn"], Lead::Other),
    (&["dien", "tich"], Lead::Other),
    (&["quy", "mo", "dan", "so"], Lead::Other),
    (&["dan", "so"], Lead::Other),
    (&["sap", "xep"], Lead::Other),
    (&["sap", "nhap"], Lead::Other),
];

/// Folded first words of areas that are not administrative units (villages, hamlets,
/// residential groups, a firing range), named in a few lineages.
const NOT_UNITS: &[&[&str]] = &[
    &["thon"],
    &["xom"],
    &["khu", "vuc"],
    &["khu", "pho"],
    &["to", "dan", "pho"],
    &["truong", "ban"],
];

/// One-word lead-ins ("của", "các"). Matched exactly, because folded "cua" is also the
/// start of names like "Cửa Nam"; the folded forms (and the typo "củ") only count when a
/// unit type word follows.
const SHORT_LEADS_EXACT: &[&str] = &["của", "các"];
const SHORT_LEADS_FOLDED: &[&str] = &["cua", "cac", "cu"];

/// Unit type words, lower case with diacritics (folded "xa" would also eat names such as
/// "Xà"), with the stored code. Longest first.
const TYPE_WORDS: &[(&[&str], &str)] = &[
    (&["thị", "trấn"], "thi_tran"),
    (&["thị", "xã"], "thi_xa"),
    (&["thành", "phố"], "thanh_pho"),
    (&["đặc", "khu"], "dac_khu"),
    (&["tt"], "thi_tran"),
    (&["tt."], "thi_tran"),
    (&["xã"], "xa"),
    (&["phường"], "phuong"),
    (&["huyện"], "huyen"),
    (&["quận"], "quan"),
];

fn starts_with_phrase(words: &[String], phrase: &[&str]) -> bool {
    words.len() >= phrase.len() && words.iter().zip(phrase).all(|(w, p)| w == p)
}

/// The unit type word starting `lower`, with its length in words.
fn type_word(lower: &[String]) -> Option<(&'static str, usize)> {
    TYPE_WORDS
        .iter()
        .find(|(phrase, _)| starts_with_phrase(lower, phrase))
        .map(|(phrase, code)| (*code, phrase.len()))
}

/// Read one list item. When a second "Xã …" / "Phường …" follows inside the name (a
/// missing comma, as in "xã Yên Định  Xã Yên Định"), the rest is returned as a new piece.
fn parse_piece(piece: &Piece) -> (Item, Option<Piece>) {
    let lower: Vec<String> = piece.words.iter().map(|w| w.to_lowercase()).collect();
    let folded: Vec<String> = lower.iter().map(|w| fold(w)).collect();
    let mut i = 0;
    let mut prefixed = false;
    let mut prefix_partial = false;
    let mut unit_type = None;

    // Lead-in phrases, then one or more type words ("các phường Phường Giảng Võ").
    'leads: while i < lower.len() {
        for (phrase, kind) in LEADS {
            if starts_with_phrase(&folded[i..], phrase) {
                prefixed = true;
                prefix_partial |= *kind == Lead::Partial;
                i += phrase.len();
                continue 'leads;
            }
        }
        let short = SHORT_LEADS_EXACT.contains(&lower[i].as_str())
            || (SHORT_LEADS_FOLDED.contains(&folded[i].as_str())
                && type_word(&lower[i + 1..]).is_some());
        if short {
            prefixed = true;
            i += 1;
            continue;
        }
        break;
    }
    while let Some((code, len)) = type_word(&lower[i..]) {
        unit_type = Some(code);
        i += len;
    }

    // Trailing "sau khi sắp xếp / sáp nhập …" is commentary, not part of the name.
    let mut end = (i..lower.len())
        .find(|&k| folded[k] == "sau" && folded.get(k + 1).map(String::as_str) == Some("khi"))
        .unwrap_or(lower.len());
    let closes_phrase = end < lower.len();

    // A type word inside the name followed by more words starts another unit
    // ("Tân Xã" and "Tứ Xã" are names; "Yên Định Xã Yên Định" is two items).
    let mut rest = None;
    if let Some(k) =
        (i + 1..end).find(|&k| type_word(&lower[k..end]).is_some_and(|(_, len)| k + len < end))
    {
        rest = Some(Piece {
            words: piece.words[k..].to_vec(),
            remarks: piece.remarks.clone(),
        });
        end = k;
    }

    let name = piece.words[i..end]
        .join(" ")
        .trim_matches(|c: char| matches!(c, '.' | ':' | '"' | '“' | '”') || c.is_whitespace())
        .to_string();

    let says_part = |s: &str| {
        let f = fold(s);
        f.contains("phan con lai") || f.contains("mot phan")
    };
    let (remainder, closes_phrase) = if rest.is_some() {
        (false, false)
    } else {
        let tail = piece.words[end..].join(" ");
        (
            says_part(&tail) || piece.remarks.iter().any(|r| says_part(r)),
            closes_phrase,
        )
    };

    let not_a_unit = NOT_UNITS
        .iter()
        .any(|phrase| starts_with_phrase(&folded[i..end], phrase));

    let item = Item {
        name,
        not_a_unit,
        unit_type,
        prefixed,
        prefix_partial,
        remainder,
        closes_phrase,
    };
    (item, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Shorthand: (name, unit_type, partial).
    type P = (&'static str, Option<&'static str>, bool);

    fn simplify(preds: &[Predecessor]) -> Vec<(String, Option<String>, bool)> {
        preds
            .iter()
            .map(|p| (p.name.clone(), p.unit_type.clone(), p.partial))
            .collect()
    }

    fn expect(want: &[P]) -> Vec<(String, Option<String>, bool)> {
        want.iter()
            .map(|(n, t, p)| (n.to_string(), t.map(str::to_string), *p))
            .collect()
    }

    const XA: Option<&str> = Some("xa");
    const PH: Option<&str> = Some("phuong");
    const TT: Option<&str> = Some("thi_tran");

    /// Real `formed_from` values from communes.csv (code in the comment).
    #[test]
    fn real_examples() {
        let cases: &[(&str, &[P])] = &[
            // 04978 Xã Kim Bôi
            (
                "Thị trấn Bo, Xã Vĩnh Đồng, Xã Kim Bôi",
                &[("Bo", TT, false), ("Vĩnh Đồng", XA, false), ("Kim Bôi", XA, false)],
            ),
            // 04795 Phường Hoà Bình (7 wards)
            (
                "Phường Đồng Tiến, Phường Hữu Nghị, Phường Phương Lâm, Phường Quỳnh Lâm, Phường Tân Thịnh, Phường Thịnh Lang, Phường Trung Minh",
                &[
                    ("Đồng Tiến", PH, false),
                    ("Hữu Nghị", PH, false),
                    ("Phương Lâm", PH, false),
                    ("Quỳnh Lâm", PH, false),
                    ("Tân Thịnh", PH, false),
                    ("Thịnh Lang", PH, false),
                    ("Trung Minh", PH, false),
                ],
            ),
            // 00004 Phường Ba Đình
            (
                "Phường Quán Thánh, Phường Trúc Bạch, một phần diện tích TN, quy mô dân số của các phường Cửa Nam, Điện Biên, Đội Cấn, Kim Mã, Ngọc Hà, một phần diện tích TN của phường Thụy Khuê, phần còn lại của phường Cửa Đông, Đồng Xuân sau khi sắp Xếp",
                &[
                    ("Quán Thánh", PH, false),
                    ("Trúc Bạch", PH, false),
                    ("Cửa Nam", PH, true),
                    ("Điện Biên", PH, true),
                    ("Đội Cấn", PH, true),
                    ("Kim Mã", PH, true),
                    ("Ngọc Hà", PH, true),
                    ("Thụy Khuê", PH, true),
                    ("Cửa Đông", PH, true),
                    ("Đồng Xuân", PH, true),
                ],
            ),
            // 00008 Phường Ngọc Hà
            (
                "Phường Vĩnh Phúc, Phường Liễu Giai, Phường Cống Vị, Phường Kim Mã, Phường Ngọc Khánh, Phường Nghĩa Đô, Phường Đội Cấn (phần còn lại sau khi sáp nhập vào phường Ba Đình), Phường Ngọc Hà (phần còn lại sau khi sáp nhập vào phường Ba Đình)",
                &[
                    ("Vĩnh Phúc", PH, false),
                    ("Liễu Giai", PH, false),
                    ("Cống Vị", PH, false),
                    ("Kim Mã", PH, false),
                    ("Ngọc Khánh", PH, false),
                    ("Nghĩa Đô", PH, false),
                    ("Đội Cấn", PH, true),
                    ("Ngọc Hà", PH, true),
                ],
            ),
            // 00025 Phường Giảng Võ: doubled type word, "và", comma inside a remark
            (
                "Toàn bộ  diện tích TN, quy mô dân số của các phường Phường Giảng Võ và Phường Cát Linh, Phường Láng Hạ, Phường Ngọc Khánh, Phường Thành Công, Phường Cống Vị (phần còn lại sau khi sáp nhập vào phường Ngọc Hà), Phường Kim Mã (phần còn lại sau khi sáp nhập vào phường Ba Đình, phường Ngọc Hà)",
                &[
                    ("Giảng Võ", PH, false),
                    ("Cát Linh", PH, false),
                    ("Láng Hạ", PH, false),
                    ("Ngọc Khánh", PH, false),
                    ("Thành Công", PH, false),
                    ("Cống Vị", PH, true),
                    ("Kim Mã", PH, true),
                ],
            ),
            // 00145 Phường Long Biên
            (
                "Một phần diện tích TN, quy mô dân số của các Phường Cự Khối, Phường Phúc Đồng, Phường Thạch Bàn, Xã Bát Tràng, Một phần diện tích TN, toàn bộ quy mô dân số của Phường Long Biên, Một phần diện tích TN của Phường Bồ Đề, Phường Gia Thụy",
                &[
                    ("Cự Khối", PH, true),
                    ("Phúc Đồng", PH, true),
                    ("Thạch Bàn", PH, true),
                    ("Bát Tràng", XA, true),
                    ("Long Biên", PH, true),
                    ("Bồ Đề", PH, true),
                    ("Gia Thụy", PH, true),
                ],
            ),
            // 00337 Phường Hoàng Liệt: ", và một phần …"
            (
                "Phường Hoàng Liệt, Thị trấn Văn Điển, Xã Tam Hiệp (huyện Thanh Trì), Xã Thanh Liệt, và một phần diện tích TN của Phường Đại Kim",
                &[
                    ("Hoàng Liệt", PH, false),
                    ("Văn Điển", TT, false),
                    ("Tam Hiệp", XA, false),
                    ("Thanh Liệt", XA, false),
                    ("Đại Kim", PH, true),
                ],
            ),
            // 00613 Phường Tây Tựu: the "toàn bố" typo
            (
                "Phường Minh Khai (quận Bắc Từ Liêm), một phần diện tích TN, toàn bố quy mô dân số của phường Phường Tây Tựu và một phần diện tích TN của Xã Kim Chung (huyện Hoài Đức)",
                &[
                    ("Minh Khai", PH, false),
                    ("Tây Tựu", PH, true),
                    ("Kim Chung", XA, true),
                ],
            ),
            // 02215 Phường Minh Xuân: lower-case type word, trailing "sau khi sắp xếp"
            (
                "Phường Ỷ La, Phường Tân Hà, Phường Phan Thiết, Phường Minh Xuân, Phường Tân Quang, xã Trung Môn và phần còn lại của xã Kim Phú sau khi sắp xếp",
                &[
                    ("Ỷ La", PH, false),
                    ("Tân Hà", PH, false),
                    ("Phan Thiết", PH, false),
                    ("Minh Xuân", PH, false),
                    ("Tân Quang", PH, false),
                    ("Trung Môn", XA, false),
                    ("Kim Phú", XA, true),
                ],
            ),
            // 10081 Xã Trần Phú: "và" between two items
            (
                "Xã Hoàng Văn Thụ, Xã Hữu Văn, Xã Mỹ Lương, Xã Trần Phú và Xã Đồng Tâm (phần còn lại sau khi sáp nhập vào xã Phúc Sơn), Xã Tân Tiến (phần còn lại sau khi sáp nhập vào xã Xuân Mai)",
                &[
                    ("Hoàng Văn Thụ", XA, false),
                    ("Hữu Văn", XA, false),
                    ("Mỹ Lương", XA, false),
                    ("Trần Phú", XA, false),
                    ("Đồng Tâm", XA, true),
                    ("Tân Tiến", XA, true),
                ],
            ),
            // 27043 Phường Đức Nhuận: numbered wards, district remark
            (
                "Phường 4, Phường 5, Phường 9 (quận Phú Nhuận)",
                &[("4", PH, false), ("5", PH, false), ("9", PH, false)],
            ),
            // 21439 Phường Đức Phổ: type carried to untyped names
            (
                "Phường Nguyễn Nghiêm (thị xã Đức Phổ), Phổ Hòa, Phổ Minh, Phổ Vinh, Phổ Ninh",
                &[
                    ("Nguyễn Nghiêm", PH, false),
                    ("Phổ Hòa", PH, false),
                    ("Phổ Minh", PH, false),
                    ("Phổ Vinh", PH, false),
                    ("Phổ Ninh", PH, false),
                ],
            ),
            // 04660 Xã Liên Sơn: farm town ("thị trấn nông trường")
            (
                "Thị trấn Nông trường Liên Sơn, Xã Sơn A, Xã Nghĩa Phúc",
                &[
                    ("Nông trường Liên Sơn", TT, false),
                    ("Sơn A", XA, false),
                    ("Nghĩa Phúc", XA, false),
                ],
            ),
            // 31615 Xã An Thạnh: digits inside names
            (
                "Thị trấn Cù Lao Dung, Xã An Thạnh 1, Xã An Thạnh Tây, Xã An Thạnh Đông",
                &[
                    ("Cù Lao Dung", TT, false),
                    ("An Thạnh 1", XA, false),
                    ("An Thạnh Tây", XA, false),
                    ("An Thạnh Đông", XA, false),
                ],
            ),
            // 11948 Đặc khu Bạch Long Vĩ
            ("Huyện Bạch Long Vĩ", &[("Bạch Long Vĩ", Some("huyen"), false)]),
            // 24235 Xã Buôn Đôn: no type word at all
            ("Krông Na", &[("Krông Na", None, false)]),
            // 00922 Xã Thuận Hoà: a village is not a unit type, keep its word
            (
                "Thôn Mịch A, Xã Thuận Hòa",
                &[("Thôn Mịch A", None, false), ("Thuận Hòa", XA, false)],
            ),
            // 14698 Xã Kim Đông: a non-unit area with an explanatory remark
            (
                "Xã Kim Trung, Xã Kim Đông và khu vực bãi bồi ven biển (do huyện Kim Sơn quản lý)",
                &[
                    ("Kim Trung", XA, false),
                    ("Kim Đông", XA, false),
                    ("khu vực bãi bồi ven biển", None, false),
                ],
            ),
            // 07537 Xã Biên Sơn: a firing range
            (
                "Xã Phong Vân, Xã Biên Sơn, Trường bắn TB1",
                &[("Phong Vân", XA, false), ("Biên Sơn", XA, false), ("Trường bắn TB1", None, false)],
            ),
            // 00691 Phường Bắc Giang: "sau khi sắp xếp" closes the partial phrase
            (
                "Phường Ngọc Hà, Phường Trần Phú, Phường Minh Khai, phần còn lại của Phường Quang Trung sau khi sắp xếp và Xã Phong Quang",
                &[
                    ("Ngọc Hà", PH, false),
                    ("Trần Phú", PH, false),
                    ("Minh Khai", PH, false),
                    ("Quang Trung", PH, true),
                    ("Phong Quang", XA, false),
                ],
            ),
            // 00994: a missing comma between two items
            (
                "Xã Minh Ngọc, Xã Thượng Tân và một phần diện tích tự nhiên, quy mô dân số của xã Yên Định  Xã Yên Định",
                &[
                    ("Minh Ngọc", XA, false),
                    ("Thượng Tân", XA, false),
                    ("Yên Định", XA, true),
                    ("Yên Định", XA, true),
                ],
            ),
            // 11983 and 00562: spelling slips "củ", "phần còn lai"; two remarks
            (
                "Phường Lam Sơn, Xã Bảo Khê và phần còn lại củ Xã Ngọc Thanh",
                &[("Lam Sơn", PH, false), ("Bảo Khê", XA, false), ("Ngọc Thanh", XA, true)],
            ),
            (
                "Toàn bộ diện tích TN, quy mô dân số của Xã Dương Quang, Xã Lệ Chi, một phần diện tích TN, toàn bộ quy mô dân số của Xã Đặng Xá và phần còn lai của Xã Phú Sơn (huyện Gia Lâm) (phần còn lại sau khi sáp nhập vào xã Gia Lâm)",
                &[
                    ("Dương Quang", XA, false),
                    ("Lệ Chi", XA, false),
                    ("Đặng Xá", XA, true),
                    ("Phú Sơn", XA, true),
                ],
            ),
            // 09982 / 08521: "Xã" as the last word of a real name
            (
                "Xã Cần Kiệm, một phần diện tích TN, quy mô dân số của Xã Hạ Bằng, Xã Tân Xã",
                &[("Cần Kiệm", XA, false), ("Hạ Bằng", XA, true), ("Tân Xã", XA, true)],
            ),
            ("Xã Tứ Xã, Xã Sơn Vi", &[("Tứ Xã", XA, false), ("Sơn Vi", XA, false)]),
            // "Cửa …" is a name, not the lead-in "của"
            (
                "Phường Hàng Bạc, Cửa Đông, Cửa Nam",
                &[("Hàng Bạc", PH, false), ("Cửa Đông", PH, false), ("Cửa Nam", PH, false)],
            ),
            // 24280-style apostrophes survive in names
            ("Xã Ea H'Leo, Xã Cư M’gar", &[("Ea H'Leo", XA, false), ("Cư M’gar", XA, false)]),
            // 30814 Xã Hòn Nghệ: unchanged unit
            ("giữ nguyên", &[]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(simplify(&parse_formed_from(text)), expect(want), "{text}");
        }
    }

    #[test]
    fn decomposed_input_is_normalised() {
        let nfd: String = {
            use unicode_normalization::UnicodeNormalization;
            "Thị trấn Bo, Xã Vĩnh Đồng, Xã Kim Bôi".nfd().collect()
        };
        assert_eq!(
            simplify(&parse_formed_from(&nfd)),
            expect(&[
                ("Bo", TT, false),
                ("Vĩnh Đồng", XA, false),
                ("Kim Bôi", XA, false)
            ])
        );
    }

    #[test]
    fn abbreviations_and_special_zone() {
        assert_eq!(
            simplify(&parse_formed_from("TT Bo; Đặc khu Côn Đảo; TT. Vĩnh Đồng")),
            expect(&[
                ("Bo", TT, false),
                ("Côn Đảo", Some("dac_khu"), false),
                ("Vĩnh Đồng", TT, false),
            ])
        );
    }

    #[test]
    fn messy_input_does_not_panic() {
        for text in [
            "(",
            ")",
            "((phần còn lại",
            "Phường",
            "các phường",
            ", , và ,",
            "một phần diện tích TN",
            "Xã A (phần còn lại (lồng nhau)) và",
            "sau khi",
            "Xã sau khi sắp xếp",
            "]]][[",
        ] {
            let _ = search_terms(&parse_formed_from(text));
        }
        assert!(parse_formed_from("Phường").is_empty());
        assert_eq!(
            simplify(&parse_formed_from(
                "Xã A (phần còn lại (lồng nhau)) và Xã B"
            )),
            expect(&[("A", XA, true), ("B", XA, false)])
        );
    }

    #[test]
    fn search_terms_fold_and_join() {
        let kim_boi = parse_formed_from("Thị trấn Bo, Xã Vĩnh Đồng, Xã Kim Bôi");
        assert_eq!(search_terms(&kim_boi), "bo | vinh dong | kim boi");

        let hoa_binh = parse_formed_from(
            "Phường Đồng Tiến, Phường Hữu Nghị, Phường Phương Lâm, Phường Quỳnh Lâm, Phường Tân Thịnh, Phường Thịnh Lang, Phường Trung Minh",
        );
        assert_eq!(
            search_terms(&hoa_binh),
            "dong tien | huu nghi | phuong lam | quynh lam | tan thinh | thinh lang | trung minh"
        );

        let numbered = parse_formed_from(
            "Phường 12, Phường 13, Phường 15 (Quận 10), Phường 14 (Quận 10), Phường 12",
        );
        assert_eq!(
            search_terms(&numbered),
            "phuong 12 | phuong 13 | phuong 15 | phuong 14"
        );

        assert_eq!(
            search_terms(&parse_formed_from("Krông Na, 7")),
            "krong na | 7"
        );
        assert_eq!(search_terms(&[]), "");
    }

    #[test]
    fn serialises_as_plain_objects() {
        // The caller stores the list as JSON; the shape must stay stable.
        fn assert_serde<T: Serialize + for<'de> Deserialize<'de>>() {}
        assert_serde::<Predecessor>();
        assert_serde::<Vec<Predecessor>>();
    }

    /// Minimal RFC 4180 split of one CSV line (no embedded newlines in this file).
    fn csv_fields(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.trim_end_matches('\r').chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(String::new()),
                (c, _) => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    }

    /// Every row of the seed data parses without panicking, and every row that names
    /// former units yields at least one, none with an empty name. Skipped when the seed
    /// file is not in the crate.
    #[test]
    fn every_seed_row_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/communes.csv");
        let Ok(csv) = std::fs::read_to_string(path) else {
            return;
        };
        let mut lines = csv.lines();
        let header = csv_fields(lines.next().unwrap_or_default());
        let Some(col) = header.iter().position(|h| h == "formed_from") else {
            panic!("no formed_from column in {path}");
        };
        let mut rows = 0;
        for line in lines {
            let fields = csv_fields(line);
            let text = fields.get(col).map(String::as_str).unwrap_or_default();
            let preds = parse_formed_from(text);
            let f = fold(text);
            if !f.is_empty() && f != "giu nguyen" {
                assert!(!preds.is_empty(), "{line}");
            }
            assert!(preds.iter().all(|p| !p.name.is_empty()), "{line}");
            let _ = search_terms(&preds);
            rows += 1;
        }
        assert!(rows > 3000, "{rows} rows");
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>()) {
            let preds = parse_formed_from(&s);
            let _ = search_terms(&preds);
        }

        #[test]
        fn never_panics_on_lineage_like_text(
            s in "((Xã|Phường|Thị trấn|các phường|một phần diện tích TN|của|phần còn lại|và|sau khi|giữ nguyên|[(),]| |[A-ZĐa-zđàáạôơư0-9]{1,6}) ?){0,20}"
        ) {
            let preds = parse_formed_from(&s);
            prop_assert!(preds.iter().all(|p| !p.name.trim().is_empty()));
            let _ = search_terms(&preds);
        }
    }
}
