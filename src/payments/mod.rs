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

/// What the gateway needs to open a payment.
#[derive(Clone, Debug)]
pub struct InitRequest {
    /// Our reference for the payment (MaThamChieu); unique, the platform deduplicates on it.
    pub reference: String,
    pub amount: i64,
    pub created_at: DateTime<Utc>,
    pub description: String,
    pub dossier_code: String,
    pub procedure_code: String,
    /// Agency code of the collecting commune (MaDonVi).
    pub agency_code: String,
    pub payer_name: String,
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

/// A result notification from the platform, as received (fields of the national protocol).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"MaThamChieu": "MC0197A1B2C3D4E5F60718293A4B5C6D7E", "SoTien": "5000", "MaKetQua": "00",
    "MaGiaoDich": "PG2611280001", "ThoiGianGD": "20261128153000", "MoTa": "Thanh toán thành công",
    "MaXacThuc": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}))]
pub struct Callback {
    /// Our payment reference.
    #[serde(rename = "MaThamChieu")]
    pub reference: String,
    /// Amount in VND, as digits.
    #[serde(rename = "SoTien")]
    pub amount: String,
    /// `00` paid; anything else failed.
    #[serde(rename = "MaKetQua")]
    pub result_code: String,
    /// The platform's transaction id.
    #[serde(rename = "MaGiaoDich")]
    pub transaction_id: String,
    /// When the platform settled it, `yyyyMMddHHmmss` in Vietnam time.
    #[serde(rename = "ThoiGianGD")]
    pub time: String,
    #[serde(rename = "MoTa", default)]
    pub description: Option<String>,
    /// SHA-256 over the pipe-joined fields and the shared secret, hex.
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
    /// Asks the platform for the state of a reference (reconciliation).
    fn query(&self, reference: &str) -> Result<GatewayStatus, GatewayError>;
    /// Whether the callback carries this gateway's signature.
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
