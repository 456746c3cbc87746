//! Printable legal forms as PDFs: what the counter prints and the citizen takes away.
//!
//! Pure typesetting: each form takes plain data (assembled by `service::forms`) and
//! returns the bytes of an A4 PDF. No database, no HTTP.
//!
//! Layout follows the administrative document format of Decree 30/2020/NĐ-CP (Appendix I):
//! the agency block (parent agency, issuing agency underlined, number) on the left, the
//! national title and motto (underlined) on the right, place and date in italics under the
//! motto, the form's title in bold capitals, the body, and the signature block.
//!
//! The forms and their fields are those of the one-stop mechanism (Decree 118/2025/NĐ-CP,
//! which replaced Decree 61/2018/NĐ-CP; the form set is that of the former Circular
//! 01/2018/TT-VPCP). The form numbers printed (see [`FormKind::number`]) could not be
//! checked against the published appendix: docs/domain-sources.md marks them unverified.

mod documents;
pub mod layout;

use chrono::{NaiveDate, NaiveDateTime};

pub use documents::{apology, control_slip, fee_receipt, receipt, refusal, supplement_request};

/// The forms, with the number each carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FormKind {
    Receipt,
    SupplementRequest,
    Refusal,
    Apology,
    ControlSlip,
    FeeReceipt,
}

impl FormKind {
    /// The form number in the one-stop form set. Unverified: 01–03 agree between Circular
    /// 01/2018/TT-VPCP and the listing of Circular 03/2025/TT-VPCP Appendix I we found; the
    /// apology and control slip follow the 2025 listing (04, 06; 2018: 05, 04). The fee
    /// receipt is not part of the set: its template and series are the collector's own.
    pub fn number(self) -> Option<&'static str> {
        match self {
            FormKind::Receipt => Some("01"),
            FormKind::SupplementRequest => Some("02"),
            FormKind::Refusal => Some("03"),
            FormKind::Apology => Some("04"),
            FormKind::ControlSlip => Some("06"),
            FormKind::FeeReceipt => None,
        }
    }

    /// The form's title, as printed.
    pub fn title(self) -> &'static str {
        match self {
            FormKind::Receipt => "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            FormKind::SupplementRequest => "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            FormKind::Refusal => "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
            FormKind::Apology => "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            FormKind::ControlSlip => "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
            FormKind::FeeReceipt => "BIÊN LAI THU PHÍ, LỆ PHÍ",
        }
    }

    /// The path segment of `GET /dossiers/{code}/forms/{form}` (the fee receipt hangs off
    /// its payment instead).
    pub fn slug(self) -> &'static str {
        match self {
            FormKind::Receipt => "receipt",
            FormKind::SupplementRequest => "supplement-request",
            FormKind::Refusal => "refusal",
            FormKind::Apology => "apology",
            FormKind::ControlSlip => "control-slip",
            FormKind::FeeReceipt => "fee-receipt",
        }
    }

    pub fn from_slug(slug: &str) -> Option<FormKind> {
        [
            FormKind::Receipt,
            FormKind::SupplementRequest,
            FormKind::Refusal,
            FormKind::Apology,
            FormKind::ControlSlip,
        ]
        .into_iter()
        .find(|k| k.slug() == slug)
    }
}

/// The issuing agency: the commune's one-stop center under its People's Committee.
#[derive(Clone, Debug)]
pub struct Agency {
    /// "ỦY BAN NHÂN DÂN XÃ KIM BÔI" (the governing body, printed above).
    pub parent: String,
    /// "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG".
    pub name: String,
    /// The place name of the date line: "Kim Bôi".
    pub place: String,
    pub phone: Option<String>,
}

/// The applicant as the forms name them.
#[derive(Clone, Debug)]
pub struct Applicant {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What every dossier form shows at its top: who issues it, for which dossier, when.
#[derive(Clone, Debug)]
pub struct DossierHead {
    pub agency: Agency,
    pub dossier_code: String,
    pub procedure_name: String,
    pub summary: String,
    pub applicant: Applicant,
    /// Vietnamese wall-clock time of reception (None: not received, e.g. a refusal).
    pub received_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
}

/// Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
#[derive(Clone, Debug)]
pub struct ReceiptForm {
    pub head: DossierHead,
    /// (document, how it was handed in).
    pub components: Vec<(String, String)>,
    /// The public lookup URL (with the PIN) the QR code encodes.
    pub lookup_url: String,
    pub lookup_pin: String,
    pub officer: Option<String>,
}

/// Phiếu yêu cầu bổ sung, phiếu từ chối, phiếu xin lỗi: a slip issued by one history entry.
#[derive(Clone, Debug)]
pub struct SlipForm {
    pub head: DossierHead,
    /// When the slip was issued (the history entry's time, Vietnam).
    pub issued_at: NaiveDateTime,
    pub reason: Option<String>,
    /// Supplement: what is missing.
    pub missing_items: Vec<String>,
    /// Supplement: by when; apology: the new date.
    pub date: Option<NaiveDate>,
    pub officer: Option<String>,
}

/// One hand-over of the control slip.
#[derive(Clone, Debug)]
pub struct Step {
    pub at: NaiveDateTime,
    /// What happened ("Tiếp nhận hồ sơ", "Phân công xử lý", …).
    pub action: String,
    /// Who acted: role and name.
    pub actor: String,
    pub status: String,
    pub note: Option<String>,
}

/// Phiếu kiểm soát quá trình giải quyết hồ sơ.
#[derive(Clone, Debug)]
pub struct ControlSlipForm {
    pub head: DossierHead,
    pub steps: Vec<Step>,
    /// When the slip was printed as of (its last entry), for the file's date.
    pub as_of: NaiveDateTime,
}

/// Biên lai thu phí, lệ phí.
#[derive(Clone, Debug)]
pub struct FeeReceiptForm {
    pub agency: Agency,
    pub template: String,
    pub series: String,
    pub number: String,
    pub collector: String,
    pub payer_name: String,
    pub dossier_code: String,
    /// (name, amount in VND).
    pub lines: Vec<(String, i64)>,
    pub total_vnd: i64,
    pub total_in_words: String,
    pub method: String,
    pub paid_at: NaiveDateTime,
    /// Where the receipt can be fetched again; the QR code encodes it.
    pub url: String,
}

/// 1234567 → "1.234.567" (Vietnamese thousands separator).
pub fn vnd(amount: i64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_with_dots() {
        assert_eq!(vnd(0), "0");
        assert_eq!(vnd(8000), "8.000");
        assert_eq!(vnd(1234567), "1.234.567");
        assert_eq!(vnd(-50000), "-50.000");
    }

    #[test]
    fn slugs_round_trip() {
        for k in [
            FormKind::Receipt,
            FormKind::SupplementRequest,
            FormKind::Refusal,
            FormKind::Apology,
            FormKind::ControlSlip,
        ] {
            assert_eq!(FormKind::from_slug(k.slug()), Some(k));
        }
        assert_eq!(FormKind::from_slug("fee-receipt"), None);
    }
}
