//! The readiness ("phủ xanh") board: pure rules.
//!
//! "Phủ xanh" has no official definition (DOMAIN.md §6, [U]). This is a configurable model to
//! confirm with the province: a catalog of checklist items, manual ones (infrastructure,
//! declared by the commune and reviewed by the province) and automatic ones (evaluated live
//! from the commune's data), per-province configuration with per-commune overrides, and a
//! green / amber / red flag:
//!
//! - **green**: every required item is satisfied;
//! - **amber**: something required is missing, but either no infrastructure item is among
//!   the missing ones, or at most `amber_max_missing` items (default 2) are missing;
//! - **red**: otherwise.
//!
//! A manual item is satisfied when its declared status is `met` or `not_applicable` and the
//! province has not rejected that declaration (a declaration waiting for review counts; a
//! rejected one does not). Items that are not required are shown but never change the flag.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Default number of missing required items that still gives amber.
pub const DEFAULT_AMBER_MAX_MISSING: u32 = 2;
/// Default age after which an undelivered portal message means sync is not live.
pub const DEFAULT_PORTAL_MAX_PENDING_MINUTES: u32 = 60;
/// Window of the indicator thresholds (days back from now).
pub const INDICATOR_WINDOW_DAYS: i64 = 30;
/// Window in which an online payment must have succeeded.
pub const PAYMENT_WINDOW_DAYS: i64 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemGroup {
    /// Equipment and accounts of the service center (manual).
    Infrastructure,
    /// Services live: catalog, portal sync, online payment (automatic).
    Services,
    /// Indicator thresholds over recent dossiers (automatic).
    Indicators,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Declared by the commune_admin, reviewed by the province.
    Manual,
    /// Evaluated live from the commune's data.
    Automatic,
}

/// One entry of the item catalog.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CatalogItem {
    pub code: &'static str,
    pub group: ItemGroup,
    pub kind: ItemKind,
    pub title_vi: &'static str,
    pub title_en: &'static str,
    pub required_by_default: bool,
    /// Threshold items: the default minimum share in percent (0–100).
    pub default_threshold: Option<f64>,
}

const fn manual(code: &'static str, vi: &'static str, en: &'static str) -> CatalogItem {
    CatalogItem {
        code,
        group: ItemGroup::Infrastructure,
        kind: ItemKind::Manual,
        title_vi: vi,
        title_en: en,
        required_by_default: true,
        default_threshold: None,
    }
}

const fn automatic(
    code: &'static str,
    group: ItemGroup,
    vi: &'static str,
    en: &'static str,
    default_threshold: Option<f64>,
) -> CatalogItem {
    CatalogItem {
        code,
        group,
        kind: ItemKind::Automatic,
        title_vi: vi,
        title_en: en,
        required_by_default: true,
        default_threshold,
    }
}

/// Item codes of the automatic items (the evaluation matches on them).
pub mod codes {
    pub const CATALOG_PUBLISHED: &str = "catalog_published";
    pub const PORTAL_SYNC_LIVE: &str = "portal_sync_live";
    pub const ONLINE_PAYMENT_LIVE: &str = "online_payment_live";
    pub const NO_OVERDUE_DOSSIERS: &str = "no_overdue_dossiers";
    pub const COMPONENTS_DIGITIZED: &str = "components_digitized";
    pub const RESULTS_DIGITIZED: &str = "results_digitized";
}

/// The item catalog, in display order.
pub const CATALOG: [CatalogItem; 14] = [
    manual(
        "network",
        "Đường truyền mạng (Internet, mạng số liệu chuyên dùng)",
        "Network connection (Internet, government data network)",
    ),
    manual(
        "digital_signatures",
        "Chữ ký số đã cấp cho lãnh đạo và cán bộ",
        "Digital signatures issued to leaders and officers",
    ),
    manual(
        "online_meeting",
        "Hệ thống họp trực tuyến",
        "Online meeting system",
    ),
    manual("queue_number", "Máy lấy số thứ tự", "Queue-number machine"),
    manual("display_screen", "Màn hình hiển thị", "Display screen"),
    manual(
        "procedure_lookup",
        "Thiết bị tra cứu thủ tục hành chính",
        "Procedure-lookup device",
    ),
    manual(
        "computers",
        "Máy tính cho cán bộ tiếp nhận",
        "Computers for counter officers",
    ),
    manual(
        "scanners",
        "Máy quét (số hóa hồ sơ)",
        "Scanners (digitization)",
    ),
    automatic(
        codes::CATALOG_PUBLISHED,
        ItemGroup::Services,
        "Đã công bố danh mục thủ tục",
        "Procedure catalog published",
        None,
    ),
    automatic(
        codes::PORTAL_SYNC_LIVE,
        ItemGroup::Services,
        "Đồng bộ Cổng DVCQG hoạt động",
        "National portal sync live",
        None,
    ),
    automatic(
        codes::ONLINE_PAYMENT_LIVE,
        ItemGroup::Services,
        "Thanh toán trực tuyến hoạt động",
        "Online payment live",
        None,
    ),
    automatic(
        codes::NO_OVERDUE_DOSSIERS,
        ItemGroup::Indicators,
        "Không có hồ sơ quá hạn",
        "No overdue dossiers",
        None,
    ),
    automatic(
        codes::COMPONENTS_DIGITIZED,
        ItemGroup::Indicators,
        "Tỷ lệ số hóa thành phần hồ sơ",
        "Components digitized at reception",
        Some(100.0),
    ),
    automatic(
        codes::RESULTS_DIGITIZED,
        ItemGroup::Indicators,
        "Tỷ lệ số hóa kết quả",
        "Results digitized",
        Some(100.0),
    ),
];

pub fn catalog_item(code: &str) -> Option<&'static CatalogItem> {
    CATALOG.iter().find(|i| i.code == code)
}

// ---------------------------------------------------------------- configuration

/// One item's setting; absent fields keep the level below (commune → province → default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemSetting {
    pub required: Option<bool>,
    /// Threshold items only: minimum share in percent, 0–100.
    pub threshold: Option<f64>,
}

/// A commune's overrides of its province's configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommuneOverride {
    pub amber_max_missing: Option<u32>,
    pub portal_max_pending_minutes: Option<u32>,
    #[serde(default)]
    pub items: BTreeMap<String, ItemSetting>,
}

/// A province's readiness configuration. Everything is optional: the catalog defaults apply.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amber_max_missing": 2, "portal_max_pending_minutes": 60,
    "items": {"online_meeting": {"required": false}, "components_digitized": {"threshold": 80}},
    "communes": {"04978": {"items": {"online_payment_live": {"required": false}}}}}))]
pub struct ProvinceConfig {
    /// Missing required items that still give amber (default 2).
    pub amber_max_missing: Option<u32>,
    /// `portal_sync_live` fails when a message waits longer than this (default 60).
    pub portal_max_pending_minutes: Option<u32>,
    /// Per item code.
    #[serde(default)]
    pub items: BTreeMap<String, ItemSetting>,
    /// Per commune code (communes of this province).
    #[serde(default)]
    pub communes: BTreeMap<String, CommuneOverride>,
}

/// A configuration mistake, by JSON path.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    pub field: String,
    pub message_vi: String,
    pub message_en: String,
}

fn check_items(prefix: &str, items: &BTreeMap<String, ItemSetting>, out: &mut Vec<ConfigError>) {
    for (code, s) in items {
        let field = format!("{prefix}items.{code}");
        let Some(item) = catalog_item(code) else {
            out.push(ConfigError {
                field,
                message_vi: format!("Không có mục kiểm tra '{code}'."),
                message_en: format!("Unknown checklist item '{code}'."),
            });
            continue;
        };
        if let Some(t) = s.threshold {
            if item.default_threshold.is_none() {
                out.push(ConfigError {
                    field: format!("{field}.threshold"),
                    message_vi: "Mục này không có ngưỡng.".into(),
                    message_en: "This item has no threshold.".into(),
                });
            } else if !(0.0..=100.0).contains(&t) || t.is_nan() {
                out.push(ConfigError {
                    field: format!("{field}.threshold"),
                    message_vi: "Ngưỡng phải từ 0 đến 100 (%).".into(),
                    message_en: "The threshold must be 0–100 (%).".into(),
                });
            }
        }
    }
}

fn check_minutes(field: String, v: Option<u32>, out: &mut Vec<ConfigError>) {
    if let Some(m) = v {
        if !(1..=10_080).contains(&m) {
            out.push(ConfigError {
                field,
                message_vi: "Phải từ 1 đến 10080 phút.".into(),
                message_en: "Must be 1–10080 minutes.".into(),
            });
        }
    }
}

fn check_amber(field: String, v: Option<u32>, out: &mut Vec<ConfigError>) {
    if v.is_some_and(|n| n > CATALOG.len() as u32) {
        out.push(ConfigError {
            field,
            message_vi: format!("Tối đa {}.", CATALOG.len()),
            message_en: format!("At most {}.", CATALOG.len()),
        });
    }
}

impl ProvinceConfig {
    /// Validates item codes, thresholds and numbers; `is_commune_of_province` checks the
    /// override keys.
    pub fn check(&self, is_commune_of_province: impl Fn(&str) -> bool) -> Vec<ConfigError> {
        let mut out = Vec::new();
        check_amber("amber_max_missing".into(), self.amber_max_missing, &mut out);
        check_minutes(
            "portal_max_pending_minutes".into(),
            self.portal_max_pending_minutes,
            &mut out,
        );
        check_items("", &self.items, &mut out);
        for (code, o) in &self.communes {
            let prefix = format!("communes.{code}.");
            if !is_commune_of_province(code) {
                out.push(ConfigError {
                    field: format!("communes.{code}"),
                    message_vi: format!("'{code}' không phải xã/phường của tỉnh này."),
                    message_en: format!("'{code}' is not a commune of this province."),
                });
            }
            check_amber(
                format!("{prefix}amber_max_missing"),
                o.amber_max_missing,
                &mut out,
            );
            check_minutes(
                format!("{prefix}portal_max_pending_minutes"),
                o.portal_max_pending_minutes,
                &mut out,
            );
            check_items(&prefix, &o.items, &mut out);
        }
        out
    }

    /// The settings that apply to one commune: its overrides, then the province's, then
    /// the catalog defaults.
    pub fn effective_for(&self, commune_code: &str) -> EffectiveConfig {
        let o = self.communes.get(commune_code);
        let items = CATALOG
            .iter()
            .map(|item| {
                let c = o.and_then(|o| o.items.get(item.code));
                let p = self.items.get(item.code);
                let required = c
                    .and_then(|s| s.required)
                    .or(p.and_then(|s| s.required))
                    .unwrap_or(item.required_by_default);
                let threshold = item.default_threshold.map(|d| {
                    c.and_then(|s| s.threshold)
                        .or(p.and_then(|s| s.threshold))
                        .unwrap_or(d)
                });
                (
                    item.code,
                    EffectiveItem {
                        required,
                        threshold,
                    },
                )
            })
            .collect();
        EffectiveConfig {
            amber_max_missing: o
                .and_then(|o| o.amber_max_missing)
                .or(self.amber_max_missing)
                .unwrap_or(DEFAULT_AMBER_MAX_MISSING),
            portal_max_pending_minutes: o
                .and_then(|o| o.portal_max_pending_minutes)
                .or(self.portal_max_pending_minutes)
                .unwrap_or(DEFAULT_PORTAL_MAX_PENDING_MINUTES),
            items,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EffectiveItem {
    pub required: bool,
    pub threshold: Option<f64>,
}

/// Settings for one commune after merging.
#[derive(Clone, Debug, PartialEq)]
pub struct EffectiveConfig {
    pub amber_max_missing: u32,
    pub portal_max_pending_minutes: u32,
    pub items: BTreeMap<&'static str, EffectiveItem>,
}

impl EffectiveConfig {
    pub fn item(&self, code: &str) -> EffectiveItem {
        self.items.get(code).copied().unwrap_or(EffectiveItem {
            required: false,
            threshold: None,
        })
    }
}

// ---------------------------------------------------------------- manual items

/// What the commune declares for a manual item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManualStatus {
    Met,
    NotMet,
    NotApplicable,
}

impl ManualStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ManualStatus::Met => "met",
            ManualStatus::NotMet => "not_met",
            ManualStatus::NotApplicable => "not_applicable",
        }
    }
    pub fn parse(s: &str) -> Option<ManualStatus> {
        [
            ManualStatus::Met,
            ManualStatus::NotMet,
            ManualStatus::NotApplicable,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// The province's review of the latest declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Approved,
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<ReviewStatus> {
        [
            ReviewStatus::Pending,
            ReviewStatus::Approved,
            ReviewStatus::Rejected,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A manual item counts when declared met (or not applicable) and not rejected by the
/// province. Nothing declared yet: not met.
pub fn manual_satisfied(declared: Option<(ManualStatus, ReviewStatus)>) -> bool {
    matches!(
        declared,
        Some((
            ManualStatus::Met | ManualStatus::NotApplicable,
            ReviewStatus::Pending | ReviewStatus::Approved
        ))
    )
}

// ---------------------------------------------------------------- automatic items

/// The indicator numbers behind the threshold items, over a period (see
/// `service::readiness::threshold_values`, the one place that computes them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ThresholdValues {
    /// Open dossiers past their due instant (not paused, not finished) at the period's end.
    pub overdue_open: i64,
    /// Components (attachments) of dossiers received in the period.
    pub components_total: i64,
    /// Of those, digitized at reception.
    pub components_digitized: i64,
    /// Dossiers returned (finished) in the period.
    pub returned_total: i64,
    /// Of those, with a digital result in force.
    pub returned_with_digital_result: i64,
}

/// Live facts about one commune, read from the database.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CommuneFacts {
    /// Active procedures the commune publishes.
    pub active_procedures: i64,
    /// The commune has at least one dossier.
    pub has_dossiers: bool,
    /// At least one portal message of the commune was ever delivered.
    pub any_delivered: bool,
    pub outbox_dead: i64,
    /// Pending messages that failed at least once (being retried).
    pub outbox_failing: i64,
    pub oldest_pending_at: Option<NaiveDateTime>,
    /// Online payments that succeeded in the last 90 days.
    pub online_payments_recent: i64,
    pub thresholds: ThresholdValues,
}

/// How an automatic item was evaluated.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AutoEvaluation {
    pub met: bool,
    /// The measured share in percent (threshold items), when there was something to measure.
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// The counts the decision was made on.
    pub facts: BTreeMap<String, i64>,
    pub explanation: String,
    pub explanation_en: String,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64) * 100.0 / (whole as f64))
}

fn facts(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn threshold_item(
    part: i64,
    whole: i64,
    threshold: f64,
    what_vi: &str,
    what_en: &str,
) -> AutoEvaluation {
    let value = share(part, whole);
    let met = value.is_none_or(|v| v + 1e-9 >= threshold);
    let (explanation, explanation_en) = match value {
        None => (
            format!("Không có {what_vi} trong {INDICATOR_WINDOW_DAYS} ngày qua: không có gì để đo, coi là đạt."),
            format!("No {what_en} in the last {INDICATOR_WINDOW_DAYS} days: nothing to measure, counted as met."),
        ),
        Some(v) => (
            format!("{part}/{whole} {what_vi} ({v:.1}%), ngưỡng {threshold}%."),
            format!("{part}/{whole} {what_en} ({v:.1}%), threshold {threshold}%."),
        ),
    };
    AutoEvaluation {
        met,
        value,
        threshold: Some(threshold),
        facts: facts(&[("part", part), ("total", whole)]),
        explanation,
        explanation_en,
    }
}

/// Evaluates an automatic item from the facts; `None` for a manual or unknown code.
pub fn evaluate_automatic(
    code: &str,
    f: &CommuneFacts,
    cfg: &EffectiveConfig,
    now: NaiveDateTime,
) -> Option<AutoEvaluation> {
    use codes::*;
    let t = &f.thresholds;
    Some(match code {
        CATALOG_PUBLISHED => AutoEvaluation {
            met: f.active_procedures > 0,
            value: None,
            threshold: None,
            facts: facts(&[("active_procedures", f.active_procedures)]),
            explanation: format!(
                "{} thủ tục đang hoạt động được công bố.",
                f.active_procedures
            ),
            explanation_en: format!("{} active procedures published.", f.active_procedures),
        },
        PORTAL_SYNC_LIVE => {
            let max_age = i64::from(cfg.portal_max_pending_minutes);
            let stale = f
                .oldest_pending_at
                .is_some_and(|t| t < now - Duration::minutes(max_age));
            let never = f.has_dossiers && !f.any_delivered;
            let met = f.outbox_dead == 0 && f.outbox_failing == 0 && !stale && !never;
            let mut vi = Vec::new();
            let mut en = Vec::new();
            if f.outbox_dead > 0 {
                vi.push(format!("{} thông điệp bị loại (dead)", f.outbox_dead));
                en.push(format!("{} dead-lettered messages", f.outbox_dead));
            }
            if f.outbox_failing > 0 {
                vi.push(format!(
                    "{} thông điệp gửi lỗi đang thử lại",
                    f.outbox_failing
                ));
                en.push(format!(
                    "{} failed messages being retried",
                    f.outbox_failing
                ));
            }
            if stale {
                vi.push(format!("có thông điệp chờ quá {max_age} phút"));
                en.push(format!("a message has waited more than {max_age} minutes"));
            }
            if never {
                vi.push("chưa từng gửi thành công thông điệp nào".into());
                en.push("no message was ever delivered".into());
            }
            let (explanation, explanation_en) = if met {
                (
                    "Đồng bộ bình thường.".to_string(),
                    "Sync healthy.".to_string(),
                )
            } else {
                (vi.join("; ") + ".", en.join("; ") + ".")
            };
            AutoEvaluation {
                met,
                value: None,
                threshold: None,
                facts: facts(&[
                    ("has_dossiers", i64::from(f.has_dossiers)),
                    ("any_delivered", i64::from(f.any_delivered)),
                    ("dead", f.outbox_dead),
                    ("failing", f.outbox_failing),
                    ("max_pending_minutes", max_age),
                ]),
                explanation,
                explanation_en,
            }
        }
        ONLINE_PAYMENT_LIVE => AutoEvaluation {
            met: f.online_payments_recent > 0,
            value: None,
            threshold: None,
            facts: facts(&[("online_payments_succeeded", f.online_payments_recent)]),
            explanation: format!(
                "{} thanh toán trực tuyến thành công trong {PAYMENT_WINDOW_DAYS} ngày qua.",
                f.online_payments_recent
            ),
            explanation_en: format!(
                "{} successful online payments in the last {PAYMENT_WINDOW_DAYS} days.",
                f.online_payments_recent
            ),
        },
        NO_OVERDUE_DOSSIERS => AutoEvaluation {
            met: t.overdue_open == 0,
            value: None,
            threshold: None,
            facts: facts(&[("overdue_open", t.overdue_open)]),
            explanation: format!("{} hồ sơ đang quá hạn.", t.overdue_open),
            explanation_en: format!("{} open dossiers overdue.", t.overdue_open),
        },
        COMPONENTS_DIGITIZED => threshold_item(
            t.components_digitized,
            t.components_total,
            cfg.item(code).threshold.unwrap_or(100.0),
            "thành phần được số hóa khi tiếp nhận",
            "components digitized at reception",
        ),
        RESULTS_DIGITIZED => threshold_item(
            t.returned_with_digital_result,
            t.returned_total,
            cfg.item(code).threshold.unwrap_or(100.0),
            "hồ sơ đã trả có kết quả điện tử",
            "returned dossiers with a digital result",
        ),
        _ => return None,
    })
}

// ---------------------------------------------------------------- the flag

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Green,
    Amber,
    Red,
}

/// One item as the flag sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ItemOutcome {
    pub code: &'static str,
    pub group: ItemGroup,
    pub required: bool,
    pub satisfied: bool,
}

/// The flag and the required items still missing (catalog order). See the module docs.
pub fn flag(items: &[ItemOutcome], amber_max_missing: u32) -> (Flag, Vec<&'static str>) {
    let missing: Vec<&ItemOutcome> = items
        .iter()
        .filter(|i| i.required && !i.satisfied)
        .collect();
    let codes = missing.iter().map(|i| i.code).collect();
    let f = if missing.is_empty() {
        Flag::Green
    } else if missing.iter().all(|i| i.group != ItemGroup::Infrastructure)
        || missing.len() <= amber_max_missing as usize
    {
        Flag::Amber
    } else {
        Flag::Red
    };
    (f, codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 9, 1)
            .unwrap()
            .and_hms_opt(3, 0, 0)
            .unwrap()
    }

    fn all_met() -> Vec<ItemOutcome> {
        CATALOG
            .iter()
            .map(|i| ItemOutcome {
                code: i.code,
                group: i.group,
                required: true,
                satisfied: true,
            })
            .collect()
    }

    fn with_missing(codes: &[&str]) -> Vec<ItemOutcome> {
        let mut v = all_met();
        for i in &mut v {
            if codes.contains(&i.code) {
                i.satisfied = false;
            }
        }
        v
    }

    #[test]
    fn catalog_codes_are_unique_and_grouped() {
        let mut seen = std::collections::BTreeSet::new();
        for i in CATALOG {
            assert!(seen.insert(i.code), "duplicate {}", i.code);
            assert_eq!(
                i.kind == ItemKind::Manual,
                i.group == ItemGroup::Infrastructure
            );
            assert!(!i.title_vi.is_empty() && !i.title_en.is_empty());
            if let Some(t) = i.default_threshold {
                assert!((0.0..=100.0).contains(&t));
            }
        }
        assert_eq!(
            CATALOG
                .iter()
                .filter(|i| i.kind == ItemKind::Manual)
                .count(),
            8
        );
        assert!(catalog_item("scanners").is_some());
        assert!(catalog_item("nope").is_none());
    }

    #[test]
    fn flag_green_when_nothing_required_is_missing() {
        assert_eq!(flag(&all_met(), 2), (Flag::Green, vec![]));
        assert_eq!(flag(&all_met(), 0).0, Flag::Green);
        assert_eq!(flag(&[], 0).0, Flag::Green);
        // A missing item that is not required does not count.
        let mut v = with_missing(&["network", "scanners", "computers"]);
        for i in &mut v {
            i.required = i.satisfied;
        }
        assert_eq!(flag(&v, 0), (Flag::Green, vec![]));
    }

    #[test]
    fn flag_amber_when_only_non_infrastructure_is_missing() {
        let v = with_missing(&[
            codes::CATALOG_PUBLISHED,
            codes::PORTAL_SYNC_LIVE,
            codes::ONLINE_PAYMENT_LIVE,
            codes::NO_OVERDUE_DOSSIERS,
        ]);
        let (f, missing) = flag(&v, 0);
        assert_eq!(f, Flag::Amber);
        assert_eq!(missing.len(), 4);
    }

    #[test]
    fn flag_amber_up_to_the_configured_number_then_red() {
        let two = with_missing(&["network", "scanners"]);
        assert_eq!(flag(&two, 2).0, Flag::Amber);
        assert_eq!(flag(&two, 1).0, Flag::Red);
        let three = with_missing(&["network", "scanners", codes::RESULTS_DIGITIZED]);
        assert_eq!(flag(&three, 2).0, Flag::Red);
        assert_eq!(flag(&three, 3).0, Flag::Amber);
        assert_eq!(
            flag(&three, 2).1,
            vec!["network", "scanners", codes::RESULTS_DIGITIZED]
        );
        let one = with_missing(&["network"]);
        assert_eq!(flag(&one, 0).0, Flag::Red);
        assert_eq!(flag(&one, 1).0, Flag::Amber);
    }

    #[test]
    fn manual_items_count_unless_rejected() {
        use ManualStatus::*;
        use ReviewStatus::*;
        assert!(!manual_satisfied(None));
        for (s, r, ok) in [
            (Met, Pending, true),
            (Met, Approved, true),
            (Met, Rejected, false),
            (NotApplicable, Pending, true),
            (NotApplicable, Approved, true),
            (NotApplicable, Rejected, false),
            (NotMet, Pending, false),
            (NotMet, Approved, false),
            (NotMet, Rejected, false),
        ] {
            assert_eq!(manual_satisfied(Some((s, r))), ok, "{s:?} {r:?}");
        }
    }

    #[test]
    fn status_strings_round_trip() {
        for s in [
            ManualStatus::Met,
            ManualStatus::NotMet,
            ManualStatus::NotApplicable,
        ] {
            assert_eq!(ManualStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in [
            ReviewStatus::Pending,
            ReviewStatus::Approved,
            ReviewStatus::Rejected,
        ] {
            assert_eq!(ReviewStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(ManualStatus::parse("yes"), None);
        assert_eq!(ReviewStatus::parse(""), None);
    }

    #[test]
    fn defaults_apply_without_configuration() {
        let e = ProvinceConfig::default().effective_for("04978");
        assert_eq!(e.amber_max_missing, DEFAULT_AMBER_MAX_MISSING);
        assert_eq!(
            e.portal_max_pending_minutes,
            DEFAULT_PORTAL_MAX_PENDING_MINUTES
        );
        for i in CATALOG {
            let it = e.item(i.code);
            assert_eq!(it.required, i.required_by_default);
            assert_eq!(it.threshold, i.default_threshold);
        }
        assert!(!e.item("unknown").required);
    }

    #[test]
    fn commune_overrides_province_overrides_defaults() {
        let cfg: ProvinceConfig = serde_json::from_value(serde_json::json!({
            "amber_max_missing": 4,
            "items": {"scanners": {"required": false}, "components_digitized": {"threshold": 80.0}},
            "communes": {"04978": {"amber_max_missing": 0, "portal_max_pending_minutes": 15,
                "items": {"scanners": {"required": true}, "components_digitized": {"required": false}}}}
        }))
        .unwrap();
        let kb = cfg.effective_for("04978");
        assert_eq!(kb.amber_max_missing, 0);
        assert_eq!(kb.portal_max_pending_minutes, 15);
        assert!(kb.item("scanners").required);
        let cd = kb.item(codes::COMPONENTS_DIGITIZED);
        assert!(!cd.required);
        assert_eq!(cd.threshold, Some(80.0));
        let other = cfg.effective_for("04795");
        assert_eq!(other.amber_max_missing, 4);
        assert_eq!(other.portal_max_pending_minutes, 60);
        assert!(!other.item("scanners").required);
        assert!(other.item(codes::COMPONENTS_DIGITIZED).required);
        assert_eq!(other.item(codes::RESULTS_DIGITIZED).threshold, Some(100.0));
        assert_eq!(other.item("network").threshold, None);
    }

    #[test]
    fn config_check_names_every_mistake() {
        let cfg: ProvinceConfig = serde_json::from_value(serde_json::json!({
            "amber_max_missing": 99,
            "portal_max_pending_minutes": 0,
            "items": {"bogus": {"required": true}, "network": {"threshold": 50.0},
                      "results_digitized": {"threshold": 101.0}},
            "communes": {"00004": {"portal_max_pending_minutes": 20000,
                                   "items": {"components_digitized": {"threshold": -1.0}}}}
        }))
        .unwrap();
        let errs = cfg.check(|c| c == "04978");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "amber_max_missing",
                "portal_max_pending_minutes",
                "items.bogus",
                "items.network.threshold",
                "items.results_digitized.threshold",
                "communes.00004",
                "communes.00004.portal_max_pending_minutes",
                "communes.00004.items.components_digitized.threshold",
            ]
        );
        assert!(ProvinceConfig::default().check(|_| false).is_empty());
        let ok: ProvinceConfig = serde_json::from_value(serde_json::json!({
            "items": {"results_digitized": {"threshold": 0.0}}, "communes": {"04978": {}}
        }))
        .unwrap();
        assert!(ok.check(|c| c == "04978").is_empty());
        assert!(serde_json::from_value::<ProvinceConfig>(serde_json::json!({"extra": 1})).is_err());
    }

    fn cfg() -> EffectiveConfig {
        ProvinceConfig::default().effective_for("04978")
    }

    fn eval(code: &str, f: &CommuneFacts) -> AutoEvaluation {
        evaluate_automatic(code, f, &cfg(), now()).unwrap()
    }

    #[test]
    fn catalog_published_needs_an_active_procedure() {
        let mut f = CommuneFacts::default();
        assert!(!eval(codes::CATALOG_PUBLISHED, &f).met);
        f.active_procedures = 1;
        assert!(eval(codes::CATALOG_PUBLISHED, &f).met);
        assert!(evaluate_automatic("network", &f, &cfg(), now()).is_none());
    }

    #[test]
    fn portal_sync_rules() {
        // No dossiers, no messages: live (nothing to send).
        let mut f = CommuneFacts::default();
        assert!(eval(codes::PORTAL_SYNC_LIVE, &f).met);
        // Dossiers but nothing ever delivered.
        f.has_dossiers = true;
        let e = eval(codes::PORTAL_SYNC_LIVE, &f);
        assert!(!e.met);
        assert!(
            e.explanation_en.contains("ever delivered"),
            "{}",
            e.explanation_en
        );
        f.any_delivered = true;
        assert!(eval(codes::PORTAL_SYNC_LIVE, &f).met);
        // A fresh pending message is fine; an old one is not (60 minutes by default).
        f.oldest_pending_at = Some(now() - Duration::minutes(59));
        assert!(eval(codes::PORTAL_SYNC_LIVE, &f).met);
        f.oldest_pending_at = Some(now() - Duration::minutes(61));
        assert!(!eval(codes::PORTAL_SYNC_LIVE, &f).met);
        let relaxed = ProvinceConfig {
            portal_max_pending_minutes: Some(120),
            ..Default::default()
        };
        assert!(
            evaluate_automatic(
                codes::PORTAL_SYNC_LIVE,
                &f,
                &relaxed.effective_for("x"),
                now()
            )
            .unwrap()
            .met
        );
        f.oldest_pending_at = None;
        f.outbox_failing = 1;
        assert!(!eval(codes::PORTAL_SYNC_LIVE, &f).met);
        f.outbox_failing = 0;
        f.outbox_dead = 1;
        let e = eval(codes::PORTAL_SYNC_LIVE, &f);
        assert!(!e.met);
        assert_eq!(e.facts["dead"], 1);
    }

    #[test]
    fn online_payment_and_overdue() {
        let mut f = CommuneFacts::default();
        assert!(!eval(codes::ONLINE_PAYMENT_LIVE, &f).met);
        f.online_payments_recent = 2;
        assert!(eval(codes::ONLINE_PAYMENT_LIVE, &f).met);
        assert!(eval(codes::NO_OVERDUE_DOSSIERS, &f).met);
        f.thresholds.overdue_open = 1;
        let e = eval(codes::NO_OVERDUE_DOSSIERS, &f);
        assert!(!e.met);
        assert_eq!(e.facts["overdue_open"], 1);
    }

    #[test]
    fn threshold_items_compare_shares() {
        let mut f = CommuneFacts::default();
        // Nothing to measure: met, without a value.
        let e = eval(codes::COMPONENTS_DIGITIZED, &f);
        assert!(e.met);
        assert_eq!((e.value, e.threshold), (None, Some(100.0)));
        f.thresholds.components_total = 4;
        f.thresholds.components_digitized = 3;
        let e = eval(codes::COMPONENTS_DIGITIZED, &f);
        assert!(!e.met);
        assert_eq!(e.value, Some(75.0));
        let mut c = ProvinceConfig::default();
        c.items.insert(
            codes::COMPONENTS_DIGITIZED.into(),
            ItemSetting {
                required: None,
                threshold: Some(75.0),
            },
        );
        assert!(
            evaluate_automatic(
                codes::COMPONENTS_DIGITIZED,
                &f,
                &c.effective_for("x"),
                now()
            )
            .unwrap()
            .met
        );
        f.thresholds.components_digitized = 4;
        assert!(eval(codes::COMPONENTS_DIGITIZED, &f).met);
        // Results: 1 of 3 with a digital result.
        f.thresholds.returned_total = 3;
        f.thresholds.returned_with_digital_result = 1;
        let e = eval(codes::RESULTS_DIGITIZED, &f);
        assert!(!e.met);
        assert!((e.value.unwrap() - 33.333).abs() < 0.01);
        f.thresholds.returned_with_digital_result = 3;
        assert!(eval(codes::RESULTS_DIGITIZED, &f).met);
        // A threshold of 0 is always met.
        c.items.insert(
            codes::RESULTS_DIGITIZED.into(),
            ItemSetting {
                required: None,
                threshold: Some(0.0),
            },
        );
        f.thresholds.returned_with_digital_result = 0;
        assert!(
            evaluate_automatic(codes::RESULTS_DIGITIZED, &f, &c.effective_for("x"), now())
                .unwrap()
                .met
        );
    }
}
