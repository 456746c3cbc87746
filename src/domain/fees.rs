//! Fee rules (phí, lệ phí): pure arithmetic on integer VND.
//!
//! A schedule version carries a [`FeeRule`] (and optionally a cheaper one for the online
//! channel). A rule is either a flat amount or a per-unit tariff with tiers and a cap per
//! set, which covers the certified-copy fee of TT 226/2016/TT-BTC: 2,000 VND per page for
//! pages 1–2, 1,000 VND from page 3, at most 200,000 VND per copy, times the copies.
//! Every computation explains itself in words an officer can read back to the applicant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest amount a rule may state or produce (a trillion VND): far above any fee, far
/// below i64 overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// Largest quantity (pages, copies) accepted for one dossier.
pub const MAX_QUANTITY: u32 = 100_000;

/// Phí (a charge for a service) or lệ phí (a state charge for an administrative act).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    Phi,
    LePhi,
}

impl FeeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeKind::Phi => "phi",
            FeeKind::LePhi => "le_phi",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [FeeKind::Phi, FeeKind::LePhi]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            FeeKind::Phi => "Phí",
            FeeKind::LePhi => "Lệ phí",
        }
    }
}

/// When the fee is collected (HinhThucThu): before processing starts (thu trước) or when
/// the result is handed over (thu sau).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    BeforeProcessing,
    OnReturn,
}

impl Collection {
    pub fn as_str(self) -> &'static str {
        match self {
            Collection::BeforeProcessing => "before_processing",
            Collection::OnReturn => "on_return",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Collection::BeforeProcessing, Collection::OnReturn]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One price band of a per-unit tariff: `amount` VND per unit for units `from..=to`
/// (`to` absent: every unit from `from` on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub from: u32,
    pub to: Option<u32>,
    pub amount: i64,
}

/// How an amount is computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeeRule {
    /// The same amount for every dossier.
    Flat { amount: i64 },
    /// Priced per `unit` (e.g. `page`) through contiguous tiers starting at unit 1, capped
    /// at `cap_per_set` for one set, then multiplied by the quantity of `set_unit` (e.g.
    /// `copy`) when given.
    PerUnit {
        unit: String,
        tiers: Vec<Tier>,
        cap_per_set: Option<i64>,
        set_unit: Option<String>,
    },
}

/// A category of applicants who pay nothing (đối tượng miễn phí), with its legal reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// Stable code, e.g. `poor_household`, `child_under_6`, `meritorious_person`.
    pub category: String,
    /// The legal reason shown on the assessment, e.g. "Hộ nghèo (khoản 2 Điều 5 TT 85/2019)".
    pub reason: String,
}

/// The groups exempt from the residence registration fee (lệ phí đăng ký cư trú):
/// Circular 75/2022/TT-BTC Art. 4 as amended by Circular 71/2025/TT-BTC Art. 1(3). Each
/// shipped residence schedule (seeds/fee-schedules.json) lists exactly these categories.
pub const RESIDENCE_FEE_EXEMPT_CATEGORIES: [(&str, &str); 9] = [
    ("child_under_16", "Trẻ em (người dưới 16 tuổi)"),
    ("elderly", "Người cao tuổi"),
    ("person_with_disability", "Người khuyết tật"),
    (
        "meritorious_person",
        "Người có công với cách mạng và thân nhân của người có công với cách mạng",
    ),
    (
        "ethnic_minority_difficult_commune",
        "Đồng bào dân tộc thiểu số ở các xã có điều kiện kinh tế - xã hội đặc biệt khó khăn",
    ),
    (
        "border_commune_resident",
        "Công dân thường trú tại các xã biên giới",
    ),
    (
        "special_zone_resident",
        "Công dân thường trú tại các đặc khu",
    ),
    ("poor_household", "Thành viên hộ nghèo"),
    (
        "orphan_16_to_18",
        "Công dân từ đủ 16 tuổi đến dưới 18 tuổi mồ côi cả cha và mẹ",
    ),
];

/// The amount and how it was reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Computation {
    pub amount: i64,
    pub explanation_vi: String,
    pub explanation_en: String,
}

/// Why a rule could not be applied to a dossier's quantities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeeError {
    /// The rule needs this quantity (e.g. `page`) and it was not given.
    MissingQuantity(String),
    /// Quantities are at least 1 and at most [`MAX_QUANTITY`].
    QuantityOutOfRange(String),
    /// The result would exceed [`MAX_AMOUNT`].
    TooLarge,
}

impl FeeRule {
    /// Every quantity this rule reads.
    pub fn units(&self) -> Vec<&str> {
        match self {
            FeeRule::Flat { .. } => Vec::new(),
            FeeRule::PerUnit { unit, set_unit, .. } => {
                let mut u = vec![unit.as_str()];
                u.extend(set_unit.as_deref());
                u
            }
        }
    }

    /// Checks the rule is well-formed; each problem as one English sentence with a
    /// Vietnamese twin.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |vi: &str, en: &str| out.push((vi.to_string(), en.to_string()));
        match self {
            FeeRule::Flat { amount } => {
                if !(0..=MAX_AMOUNT).contains(amount) {
                    bad(
                        "Số tiền phải từ 0 đến 10^12 đồng.",
                        "amount must be 0 to 10^12 VND.",
                    );
                }
            }
            FeeRule::PerUnit {
                unit,
                tiers,
                cap_per_set,
                set_unit,
            } => {
                if !valid_unit(unit) {
                    bad(
                        "Đơn vị tính không hợp lệ (chữ thường, số, _).",
                        "unit must be 1–32 lowercase letters, digits or _.",
                    );
                }
                if let Some(s) = set_unit {
                    if !valid_unit(s) || s == unit {
                        bad(
                            "Đơn vị bộ không hợp lệ hoặc trùng đơn vị tính.",
                            "set_unit must be a valid unit other than unit.",
                        );
                    }
                }
                if cap_per_set.is_some_and(|c| !(1..=MAX_AMOUNT).contains(&c)) {
                    bad(
                        "Mức trần phải từ 1 đến 10^12 đồng.",
                        "cap_per_set must be 1 to 10^12 VND.",
                    );
                }
                if tiers.is_empty() {
                    bad("Cần ít nhất một bậc giá.", "At least one tier is required.");
                }
                let mut next = 1u32;
                for (i, t) in tiers.iter().enumerate() {
                    let last = i + 1 == tiers.len();
                    if t.from != next {
                        bad(
                            "Các bậc giá phải liền nhau, bắt đầu từ 1.",
                            "Tiers must be contiguous and start at unit 1.",
                        );
                        break;
                    }
                    if !(0..=MAX_AMOUNT).contains(&t.amount) {
                        bad(
                            "Đơn giá phải từ 0 đến 10^12 đồng.",
                            "Tier amounts must be 0 to 10^12 VND.",
                        );
                    }
                    match t.to {
                        Some(to) if to < t.from => {
                            bad(
                                "Bậc giá có 'to' nhỏ hơn 'from'.",
                                "A tier ends before it starts.",
                            );
                            break;
                        }
                        Some(to) if last && to < MAX_QUANTITY => {
                            bad(
                                "Bậc cuối phải không giới hạn (bỏ 'to').",
                                "The last tier must be open-ended (no 'to').",
                            );
                        }
                        Some(to) => next = to.saturating_add(1),
                        None if !last => {
                            bad(
                                "Chỉ bậc cuối được không giới hạn.",
                                "Only the last tier may be open-ended.",
                            );
                            break;
                        }
                        None => {}
                    }
                }
            }
        }
        out
    }

    /// Applies the rule. Quantities the rule does not read are ignored.
    pub fn compute(&self, quantities: &BTreeMap<String, u32>) -> Result<Computation, FeeError> {
        match self {
            FeeRule::Flat { amount } => Ok(Computation {
                amount: *amount,
                explanation_vi: format!("Mức thu cố định {}", vnd(*amount)),
                explanation_en: format!("Flat amount {}", vnd(*amount)),
            }),
            FeeRule::PerUnit {
                unit,
                tiers,
                cap_per_set,
                set_unit,
            } => {
                let units = quantity(quantities, unit)?;
                let sets = match set_unit {
                    Some(s) => Some((s, quantity(quantities, s)?)),
                    None => None,
                };
                let mut per_set: i64 = 0;
                let mut parts = Vec::new();
                for t in tiers {
                    if units < t.from {
                        break;
                    }
                    let upper = t.to.map_or(units, |to| to.min(units));
                    let n = i64::from(upper - t.from + 1);
                    let cost = n.checked_mul(t.amount).ok_or(FeeError::TooLarge)?;
                    per_set = per_set.checked_add(cost).ok_or(FeeError::TooLarge)?;
                    parts.push(format!("{n} × {}", vnd_number(t.amount)));
                }
                let mut vi = format!("{units} {unit}: {} = {}", parts.join(" + "), vnd(per_set));
                let mut en = vi.clone();
                if let Some(cap) = cap_per_set {
                    if per_set > *cap {
                        per_set = *cap;
                        vi.push_str(&format!(", áp mức trần {}", vnd(*cap)));
                        en.push_str(&format!(", capped at {}", vnd(*cap)));
                    }
                }
                let amount = match sets {
                    Some((s, n)) => {
                        let total = per_set
                            .checked_mul(i64::from(n))
                            .ok_or(FeeError::TooLarge)?;
                        vi.push_str(&format!(" mỗi {s} × {n} {s} = {}", vnd(total)));
                        en.push_str(&format!(" per {s} × {n} {s} = {}", vnd(total)));
                        total
                    }
                    None => per_set,
                };
                if amount > MAX_AMOUNT {
                    return Err(FeeError::TooLarge);
                }
                Ok(Computation {
                    amount,
                    explanation_vi: vi,
                    explanation_en: en,
                })
            }
        }
    }
}

fn valid_unit(u: &str) -> bool {
    (1..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Every quantity a dossier states, whether a rule reads it or not, names a unit and is 1 to
/// [`MAX_QUANTITY`]: the shape the API's schema of `quantities` states, so that a quantity
/// no rule reads today is not silently kept with a value no rule could take.
pub fn quantities_shape(q: &BTreeMap<String, u32>) -> Result<(), validator::ValidationError> {
    if q.iter()
        .all(|(unit, n)| valid_unit(unit) && (1..=MAX_QUANTITY).contains(n))
    {
        Ok(())
    } else {
        Err(crate::domain::fields::rule(
            "quantities",
            "Mỗi số lượng gồm đơn vị (chữ thường, số, _; tối đa 32 ký tự) và số từ 1 đến 100.000.",
            "Each quantity is a unit (lowercase letters, digits, _; up to 32) and a number from 1 to 100,000.",
        ))
    }
}

fn quantity(q: &BTreeMap<String, u32>, unit: &str) -> Result<u32, FeeError> {
    match q.get(unit) {
        None => Err(FeeError::MissingQuantity(unit.to_string())),
        Some(&n) if (1..=MAX_QUANTITY).contains(&n) => Ok(n),
        Some(_) => Err(FeeError::QuantityOutOfRange(unit.to_string())),
    }
}

/// `12.500 đ`: Vietnamese grouping with dots.
pub fn vnd(amount: i64) -> String {
    format!("{} đ", vnd_number(amount))
}

fn vnd_number(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if amount < 0 {
        out.insert(0, '-');
    }
    out
}

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// The amount in Vietnamese words, as printed on a receipt: `5000` → "Năm nghìn đồng".
pub fn amount_in_words(amount: i64) -> String {
    let n = amount.unsigned_abs();
    let mut words = if n == 0 {
        "không".to_string()
    } else {
        number_words(n, false)
    };
    if amount < 0 {
        words.insert_str(0, "âm ");
    }
    let mut chars = words.chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    format!("{first}{} đồng", chars.as_str())
}

/// `full`: this group follows a higher one, so "không trăm" and "linh" are spoken.
fn number_words(n: u64, full: bool) -> String {
    const BILLION: u64 = 1_000_000_000;
    if n >= BILLION {
        let (high, low) = (n / BILLION, n % BILLION);
        let mut s = format!("{} tỷ", number_words(high, full));
        if low > 0 {
            s.push(' ');
            s.push_str(&number_words(low, true));
        }
        return s;
    }
    let groups = [
        (n / 1_000_000, "triệu"),
        ((n / 1000) % 1000, "nghìn"),
        (n % 1000, ""),
    ];
    let mut parts: Vec<String> = Vec::new();
    for (g, name) in groups {
        if g == 0 {
            continue;
        }
        let spoken_fully = full || !parts.is_empty();
        let mut s = three_digits(g as u16, spoken_fully);
        if !name.is_empty() {
            s.push(' ');
            s.push_str(name);
        }
        parts.push(s);
    }
    parts.join(" ")
}

fn three_digits(n: u16, full: bool) -> String {
    let (h, t, u) = (
        (n / 100) as usize,
        ((n / 10) % 10) as usize,
        (n % 10) as usize,
    );
    let mut w: Vec<&str> = Vec::new();
    if h > 0 || full {
        w.push(DIGITS[h]);
        w.push("trăm");
    }
    match t {
        0 if u > 0 && !w.is_empty() => {
            w.push("linh");
            w.push(DIGITS[u]);
        }
        0 => {
            if u > 0 {
                w.push(DIGITS[u]);
            }
        }
        1 => {
            w.push("mười");
            match u {
                0 => {}
                5 => w.push("lăm"),
                _ => w.push(DIGITS[u]),
            }
        }
        _ => {
            w.push(DIGITS[t]);
            w.push("mươi");
            match u {
                0 => {}
                1 => w.push("mốt"),
                4 => w.push("tư"),
                5 => w.push("lăm"),
                _ => w.push(DIGITS[u]),
            }
        }
    }
    w.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certified_copy() -> FeeRule {
        FeeRule::PerUnit {
            unit: "page".into(),
            tiers: vec![
                Tier {
                    from: 1,
                    to: Some(2),
                    amount: 2000,
                },
                Tier {
                    from: 3,
                    to: None,
                    amount: 1000,
                },
            ],
            cap_per_set: Some(200_000),
            set_unit: Some("copy".into()),
        }
    }

    fn q(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn certified_copy_table() {
        // (pages, copies, expected VND): TT 226/2016 — 2,000 for pages 1–2, 1,000 from 3,
        // at most 200,000 per copy.
        let cases = [
            (1, 1, 2_000),
            (2, 1, 4_000),
            (3, 1, 5_000),
            (150, 1, 152_000),
            (198, 1, 200_000),
            (199, 1, 200_000),
            (500, 1, 200_000),
            (3, 2, 10_000),
            (150, 3, 456_000),
            (1000, 10, 2_000_000),
        ];
        for (pages, copies, want) in cases {
            let c = certified_copy()
                .compute(&q(&[("page", pages), ("copy", copies)]))
                .unwrap();
            assert_eq!(
                c.amount, want,
                "{pages} pages × {copies}: {}",
                c.explanation_vi
            );
        }
    }

    #[test]
    fn explanation_shows_the_arithmetic() {
        let c = certified_copy()
            .compute(&q(&[("page", 3), ("copy", 2)]))
            .unwrap();
        assert_eq!(
            c.explanation_vi,
            "3 page: 2 × 2.000 + 1 × 1.000 = 5.000 đ mỗi copy × 2 copy = 10.000 đ"
        );
        let c = certified_copy()
            .compute(&q(&[("page", 300), ("copy", 1)]))
            .unwrap();
        assert!(
            c.explanation_vi.contains("áp mức trần 200.000 đ"),
            "{}",
            c.explanation_vi
        );
    }

    #[test]
    fn flat_ignores_quantities() {
        let r = FeeRule::Flat { amount: 20_000 };
        assert_eq!(r.compute(&q(&[])).unwrap().amount, 20_000);
        assert_eq!(r.compute(&q(&[("page", 9)])).unwrap().amount, 20_000);
        assert!(r.units().is_empty());
    }

    #[test]
    fn quantities_are_required_and_bounded() {
        let r = certified_copy();
        assert_eq!(r.units(), vec!["page", "copy"]);
        assert_eq!(
            r.compute(&q(&[("page", 3)])),
            Err(FeeError::MissingQuantity("copy".into()))
        );
        assert_eq!(
            r.compute(&q(&[("page", 0), ("copy", 1)])),
            Err(FeeError::QuantityOutOfRange("page".into()))
        );
        assert_eq!(
            r.compute(&q(&[("page", MAX_QUANTITY + 1), ("copy", 1)])),
            Err(FeeError::QuantityOutOfRange("page".into()))
        );
    }

    #[test]
    fn huge_results_are_refused_not_wrapped() {
        let r = FeeRule::PerUnit {
            unit: "page".into(),
            tiers: vec![Tier {
                from: 1,
                to: None,
                amount: MAX_AMOUNT,
            }],
            cap_per_set: None,
            set_unit: Some("copy".into()),
        };
        assert!(r.problems().is_empty());
        assert_eq!(
            r.compute(&q(&[("page", MAX_QUANTITY), ("copy", MAX_QUANTITY)])),
            Err(FeeError::TooLarge)
        );
    }

    #[test]
    fn malformed_rules_are_reported() {
        assert!(certified_copy().problems().is_empty());
        assert!(FeeRule::Flat { amount: 0 }.problems().is_empty());
        assert!(!FeeRule::Flat { amount: -1 }.problems().is_empty());
        let tiers = |t: Vec<Tier>| FeeRule::PerUnit {
            unit: "page".into(),
            tiers: t,
            cap_per_set: None,
            set_unit: None,
        };
        let bad = [
            tiers(vec![]),
            tiers(vec![Tier {
                from: 2,
                to: None,
                amount: 1,
            }]),
            tiers(vec![Tier {
                from: 1,
                to: Some(2),
                amount: 1,
            }]),
            tiers(vec![
                Tier {
                    from: 1,
                    to: Some(2),
                    amount: 1,
                },
                Tier {
                    from: 4,
                    to: None,
                    amount: 1,
                },
            ]),
            tiers(vec![
                Tier {
                    from: 1,
                    to: None,
                    amount: 1,
                },
                Tier {
                    from: 2,
                    to: None,
                    amount: 1,
                },
            ]),
            tiers(vec![Tier {
                from: 1,
                to: None,
                amount: -5,
            }]),
            FeeRule::PerUnit {
                unit: "Trang".into(),
                tiers: vec![Tier {
                    from: 1,
                    to: None,
                    amount: 1,
                }],
                cap_per_set: Some(0),
                set_unit: Some("Trang".into()),
            },
        ];
        for r in bad {
            assert!(!r.problems().is_empty(), "{r:?} should be refused");
        }
    }

    #[test]
    fn rules_round_trip_as_json() {
        let j = serde_json::json!({"type": "per_unit", "unit": "page",
            "tiers": [{"from": 1, "to": 2, "amount": 2000}, {"from": 3, "to": null, "amount": 1000}],
            "cap_per_set": 200000, "set_unit": "copy"});
        let r: FeeRule = serde_json::from_value(j).unwrap();
        assert_eq!(r, certified_copy());
        assert!(serde_json::from_value::<FeeRule>(
            serde_json::json!({"type": "flat", "amount": 1, "x": 1})
        )
        .is_err());
    }

    #[test]
    fn money_formats() {
        assert_eq!(vnd(0), "0 đ");
        assert_eq!(vnd(999), "999 đ");
        assert_eq!(vnd(1000), "1.000 đ");
        assert_eq!(vnd(200_000), "200.000 đ");
        assert_eq!(vnd(1_234_567), "1.234.567 đ");
    }

    #[test]
    fn amounts_in_words() {
        let cases = [
            (0, "Không đồng"),
            (5, "Năm đồng"),
            (10, "Mười đồng"),
            (15, "Mười lăm đồng"),
            (21, "Hai mươi mốt đồng"),
            (24, "Hai mươi tư đồng"),
            (105, "Một trăm linh năm đồng"),
            (1_000, "Một nghìn đồng"),
            (5_000, "Năm nghìn đồng"),
            (10_000, "Mười nghìn đồng"),
            (152_000, "Một trăm năm mươi hai nghìn đồng"),
            (200_000, "Hai trăm nghìn đồng"),
            (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
            (1_000_005, "Một triệu không trăm linh năm đồng"),
            (2_500_000, "Hai triệu năm trăm nghìn đồng"),
            (1_000_000_000, "Một tỷ đồng"),
            (
                1_200_000_015,
                "Một tỷ hai trăm triệu không trăm mười lăm đồng",
            ),
        ];
        for (n, want) in cases {
            assert_eq!(amount_in_words(n), want, "{n}");
        }
    }

    /// Circular 75/2022/TT-BTC Art. 4 as amended by Circular 71/2025/TT-BTC Art. 1(3):
    /// nine exempt groups, each in every shipped residence-registration schedule.
    #[test]
    fn residence_fee_exemptions_nine_groups_tt75_2022_art4_as_amended_by_tt71_2025() {
        let seeds: serde_json::Value =
            serde_json::from_str(include_str!("../../seeds/fee-schedules.json")).unwrap();
        let residence: Vec<&serde_json::Value> = seeds
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| ["1.004222", "1.010038"].contains(&s["procedure_code"].as_str().unwrap()))
            .collect();
        assert_eq!(residence.len(), 2);
        for s in residence {
            let exemptions: Vec<Exemption> =
                serde_json::from_value(s["exemptions"].clone()).unwrap();
            let categories: Vec<&str> = exemptions.iter().map(|e| e.category.as_str()).collect();
            let expected: Vec<&str> = RESIDENCE_FEE_EXEMPT_CATEGORIES
                .iter()
                .map(|(c, _)| *c)
                .collect();
            assert_eq!(categories, expected, "{}", s["name"]);
            for (e, (_, label)) in exemptions.iter().zip(RESIDENCE_FEE_EXEMPT_CATEGORIES) {
                assert!(e.reason.starts_with(label), "{}", e.reason);
                assert!(e.reason.contains("75/2022") && e.reason.contains("71/2025"));
            }
        }
    }

    #[test]
    fn every_stated_quantity_has_the_shape_of_one_a_rule_could_read() {
        // TT 226/2016/TT-BTC counts pages and copies: whole units, at least one.
        assert!(
            quantities_shape(&q(&[("page", 3), ("copy", 1), ("ban_sao", MAX_QUANTITY)])).is_ok()
        );
        assert!(quantities_shape(&q(&[])).is_ok());
        for bad in [
            q(&[("page", 0)]),
            q(&[("copy", MAX_QUANTITY + 1)]),
            q(&[("Page", 1)]),
            q(&[("", 1)]),
        ] {
            assert!(quantities_shape(&bad).is_err(), "{bad:?}");
        }
    }
}
