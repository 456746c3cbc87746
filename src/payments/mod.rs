//! Online payment gateways behind one trait.
//!
//! [`paygov`] speaks the national payment platform's protocol (Nền tảng thanh toán của
//! Cổng DVCQG): a signed INIT returns the payment page, the platform calls back with a
//! signed result, and a signed QUERY tells the state of a reference. [`sandbox`] speaks the
//! same signed messages but runs inside this process, for tests and demo mode.

pub mod ledger;
pub mod paygov;
pub mod sandbox;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Config;

/// The account the platform pays the money into (tài khoản thụ hưởng): per commune, or
/// per province for the communes that have none of their own. Required before online
/// payment is offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beneficiary {
    /// `TenTKThuHuong`.
    pub account_name: String,
    /// `TKThuHuong`.
    pub account_no: String,
    /// `MaNHThuHuong`: the bank's code at the platform.
    pub bank_code: String,
}

/// One fee line of the receipt (`PhiLePhi[]` and `DSKhoanNop[]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeItem {
    /// `phi` or `le_phi`.
    pub kind: String,
    pub code: String,
    pub name: String,
    pub amount: i64,
}

/// What the gateway needs to open a payment.
#[derive(Clone, Debug)]
pub struct InitRequest {
    /// Our reference for the payment (MaThamChieu); unique, the platform deduplicates on it.
    pub reference: String,
    pub amount: i64,
    /// The transaction time (ThoiGianGD): QUERY and the receipt request sign with it again.
    pub created_at: DateTime<Utc>,
    /// ThongTinGiaoDich / NoiDungThanhToan.
    pub description: String,
    pub dossier_code: String,
    /// National procedure code (MaTTHC) and its name.
    pub procedure_code: String,
    pub procedure_name: String,
    /// The agency's electronic identifier (MaDonVi, mã định danh điện tử) and its name.
    pub agency_code: String,
    pub agency_name: String,
    pub payer_name: String,
    pub payer_id_number: String,
    pub payer_address: String,
    pub beneficiary: Beneficiary,
    pub fees: Vec<FeeItem>,
    /// The payer's address as seen by us (`Ip`, signed).
    pub client_ip: String,
}

/// What the platform says about a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayStatus {
    Pending,
    Succeeded {
        transaction_id: String,
    },
    Failed {
        reason: String,
    },
    /// The platform has no such reference (never opened there).
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Network failure, timeout, or an answer we could not read: try again later.
    #[error("payment platform unreachable: {0}")]
    Unavailable(String),
    /// The platform answered with an error code.
    #[error("payment platform refused ({code}): {message}")]
    Refused { code: String, message: String },
}

/// A result notification from the platform, as received: the ten signed fields of the
/// national protocol and their `MaXacThuc`. Fields the platform adds beyond these are
/// ignored (they are not signed, so nothing is read from them).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"LoaiBanTin": "PAY", "MaLoi": "00", "MaDoiTac": "MOTCUA01",
    "MaThamChieu": "MC0197A1B2C3D4E5F60718293A4B5C6D7E", "SoTien": "5000", "MaTienTe": "VND",
    "MaGiaoDich": "PG2611280001", "MaNganHang": "VCB", "ThoiGianGD": "20261128153000",
    "ThongTinGiaoDich": "Phi, le phi ho so H25.04978-261128-0001",
    "MaXacThuc": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}))]
pub struct Callback {
    /// Message type as the platform sends it.
    #[serde(rename = "LoaiBanTin")]
    pub kind: String,
    /// `00` paid; anything else failed.
    #[serde(rename = "MaLoi")]
    pub result_code: String,
    /// Our partner code at the platform.
    #[serde(rename = "MaDoiTac")]
    pub partner: String,
    /// Our payment reference.
    #[serde(rename = "MaThamChieu")]
    pub reference: String,
    /// Amount in VND, as digits.
    #[serde(rename = "SoTien")]
    pub amount: String,
    #[serde(rename = "MaTienTe")]
    pub currency: String,
    /// The platform's transaction id.
    #[serde(rename = "MaGiaoDich", default)]
    pub transaction_id: String,
    /// The payer's bank or wallet.
    #[serde(rename = "MaNganHang", default)]
    pub bank_code: String,
    /// When the platform settled it, `yyyyMMddHHmmss` in Vietnam time.
    #[serde(rename = "ThoiGianGD")]
    pub time: String,
    #[serde(rename = "ThongTinGiaoDich", default)]
    pub info: String,
    /// SHA-256 over the ten pipe-joined fields and the shared secret, lowercase hex.
    #[serde(rename = "MaXacThuc")]
    pub mac: String,
}

impl Callback {
    pub fn succeeded(&self) -> bool {
        self.result_code == "00"
    }
}

pub trait PaymentGateway: Send + Sync {
    /// Stable name, stored with each payment and used in the callback path.
    fn name(&self) -> &'static str;
    /// Opens the payment; returns the URL to send the payer to.
    fn init(&self, req: &InitRequest) -> Result<String, GatewayError>;
    /// Asks the platform for the state of a reference (reconciliation), signed with the
    /// payment's original transaction time.
    fn query(
        &self,
        reference: &str,
        initiated_at: DateTime<Utc>,
    ) -> Result<GatewayStatus, GatewayError>;
    /// The platform's receipt (biên lai) of a successful payment, as the file it issues.
    fn receipt(
        &self,
        reference: &str,
        initiated_at: DateTime<Utc>,
    ) -> Result<Vec<u8>, GatewayError>;
    /// Whether the callback carries this gateway's signature and partner code.
    fn verify(&self, callback: &Callback) -> bool;
    /// The in-process sandbox, when this is it (enables its simulation endpoints).
    fn as_sandbox(&self) -> Option<&sandbox::SandboxGateway> {
        None
    }
}

/// The configured gateway: `PAYMENT_GATEWAY=paygov|sandbox|none`.
pub fn from_config(config: &Config) -> Result<Option<Arc<dyn PaymentGateway>>, String> {
    match config.payment_gateway.as_str() {
        "none" | "" => Ok(None),
        "sandbox" => Ok(Some(Arc::new(sandbox::SandboxGateway::new(
            sandbox::PARTNER.to_string(),
            config
                .payment_sandbox_secret
                .clone()
                .unwrap_or_else(|| crate::auth::random_token(32)),
            &config.public_base_url,
        )))),
        "paygov" => {
            let need = |v: &Option<String>, name: &str| {
                v.clone()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| format!("PAYMENT_GATEWAY=paygov needs {name}"))
            };
            Ok(Some(Arc::new(paygov::PayGovGateway::new(
                need(&config.paygov_url, "PAYGOV_URL")?,
                need(&config.paygov_partner_code, "PAYGOV_PARTNER_CODE")?,
                need(&config.paygov_secret, "PAYGOV_SECRET")?,
            ))))
        }
        other => Err(format!(
            "PAYMENT_GATEWAY must be paygov, sandbox or none (got '{other}')"
        )),
    }
}
