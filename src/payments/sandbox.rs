//! A payment platform inside this process, for tests and demo mode. It speaks the national
//! protocol exactly as [`paygov`] writes it: it checks the INIT message's 14-field
//! `MaXacThuc` and its receipt block as the platform would, answers QUERY and receipt
//! requests only when signed with the payment's original transaction time, and signs its
//! callbacks over the ten callback fields with its own secret — so the callback path under
//! test is the production one.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::paygov;
use super::{Callback, GatewayError, GatewayStatus, InitRequest, PaymentGateway};

/// The sandbox's partner code (MaDoiTac).
pub const PARTNER: &str = "MOTCUA-SANDBOX";

#[derive(Clone, Debug)]
struct SandboxPayment {
    amount: i64,
    /// ThoiGianGD of the INIT, as sent.
    time: String,
    status: GatewayStatus,
    /// The INIT message as received (tests read the receipt block from it).
    init: Value,
}

pub struct SandboxGateway {
    partner: String,
    secret: String,
    base_url: String,
    payments: Mutex<HashMap<String, SandboxPayment>>,
}

fn refused(code: &str, message: &str) -> GatewayError {
    GatewayError::Refused {
        code: code.to_string(),
        message: message.to_string(),
    }
}

impl SandboxGateway {
    pub fn new(partner: String, secret: String, public_base_url: &str) -> Self {
        SandboxGateway {
            partner,
            secret,
            base_url: public_base_url.trim_end_matches('/').to_string(),
            payments: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SandboxPayment>> {
        self.payments.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the platform checks in an INIT before opening a payment page.
    fn accept_init(&self, m: &Value) -> Result<(), GatewayError> {
        if !paygov::message_signed(m, &paygov::INIT_SIGNED, &self.secret) {
            return Err(refused("09", "Sai mã xác thực"));
        }
        if m["MaDoiTac"] != self.partner.as_str() {
            return Err(refused("02", "Sai mã đối tác"));
        }
        let b = &m["ThongTinBienLai"];
        for k in [
            "MaTTHC",
            "MaDVC",
            "MaDonVi",
            "MaHoSo",
            "TenTKThuHuong",
            "TKThuHuong",
            "MaNHThuHuong",
            "HoTenNguoiNop",
        ] {
            if b[k].as_str().is_none_or(str::is_empty) {
                return Err(refused("05", &format!("Thiếu {k}")));
            }
        }
        let lines: i64 = b["PhiLePhi"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["SoTien"].as_str()?.parse::<i64>().ok())
                    .sum()
            })
            .unwrap_or(0);
        if Some(lines.to_string().as_str()) != m["SoTien"].as_str() {
            return Err(refused("06", "Tổng PhiLePhi khác SoTien"));
        }
        Ok(())
    }

    /// A QUERY or GET_BILL as the platform checks it: signed, and with the payment's own
    /// transaction time.
    fn lookup(&self, m: &Value) -> Result<SandboxPayment, GatewayError> {
        if !paygov::message_signed(m, &paygov::QUERY_SIGNED, &self.secret) {
            return Err(refused("09", "Sai mã xác thực"));
        }
        let reference = m["MaThamChieu"].as_str().unwrap_or("");
        let p = self
            .lock()
            .get(reference)
            .cloned()
            .ok_or_else(|| refused("04", "Không có giao dịch"))?;
        if m["ThoiGianGD"].as_str() != Some(p.time.as_str()) {
            return Err(refused("07", "Sai thời gian giao dịch"));
        }
        Ok(p)
    }

    /// The payer finishes on the sandbox's page: the payment is settled there and the
    /// signed callback the platform would send is returned for delivery.
    pub fn complete(&self, reference: &str, pay: bool) -> Option<Callback> {
        let mut map = self.lock();
        let p = map.get_mut(reference)?;
        if p.status == GatewayStatus::Pending {
            p.status = if pay {
                GatewayStatus::Succeeded {
                    transaction_id: format!("SBX{}", uuid::Uuid::new_v4().simple()),
                }
            } else {
                GatewayStatus::Failed {
                    reason: "payer cancelled on the sandbox page".into(),
                }
            };
        }
        let (code, tx) = match &p.status {
            GatewayStatus::Succeeded { transaction_id } => ("00", transaction_id.clone()),
            _ => ("24", String::new()),
        };
        let mut cb = Callback {
            kind: "PAY".into(),
            result_code: code.to_string(),
            partner: self.partner.clone(),
            reference: reference.to_string(),
            amount: p.amount.to_string(),
            currency: paygov::CURRENCY.into(),
            transaction_id: tx,
            bank_code: "SANDBOX".into(),
            time: paygov::format_time(crate::clock::now()),
            info: p.init["ThongTinGiaoDich"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            mac: String::new(),
        };
        paygov::sign_callback(&mut cb, &self.secret);
        Some(cb)
    }

    /// A callback as the platform would send it for `reference` (tests forge platform
    /// messages with it): partner and currency filled in, signed with the sandbox secret.
    pub fn callback(
        &self,
        reference: &str,
        amount: &str,
        result_code: &str,
        transaction_id: &str,
        at: DateTime<Utc>,
    ) -> Callback {
        let mut cb = Callback {
            kind: "PAY".into(),
            result_code: result_code.into(),
            partner: self.partner.clone(),
            reference: reference.into(),
            amount: amount.into(),
            currency: paygov::CURRENCY.into(),
            transaction_id: transaction_id.into(),
            bank_code: "SANDBOX".into(),
            time: paygov::format_time(at),
            info: String::new(),
            mac: String::new(),
        };
        self.sign(&mut cb);
        cb
    }

    /// Signs any callback with the sandbox secret.
    pub fn sign(&self, cb: &mut Callback) {
        paygov::sign_callback(cb, &self.secret)
    }

    pub fn amount_of(&self, reference: &str) -> Option<i64> {
        self.lock().get(reference).map(|p| p.amount)
    }

    /// The INIT message the sandbox received for `reference`, as sent.
    pub fn init_of(&self, reference: &str) -> Option<Value> {
        self.lock().get(reference).map(|p| p.init.clone())
    }
}

impl PaymentGateway for SandboxGateway {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn init(&self, req: &InitRequest) -> Result<String, GatewayError> {
        let m = paygov::init_message(&self.partner, &self.secret, req);
        self.accept_init(&m)?;
        let time = m["ThoiGianGD"].as_str().unwrap_or("").to_string();
        self.lock()
            .entry(req.reference.clone())
            .or_insert(SandboxPayment {
                amount: req.amount,
                time,
                status: GatewayStatus::Pending,
                init: m,
            });
        Ok(format!(
            "{}/api/v1/payments/sandbox/{}",
            self.base_url, req.reference
        ))
    }

    fn query(
        &self,
        reference: &str,
        initiated_at: DateTime<Utc>,
    ) -> Result<GatewayStatus, GatewayError> {
        let m = paygov::lookup_message(
            "QUERY",
            &self.partner,
            &self.secret,
            reference,
            initiated_at,
        );
        match self.lookup(&m) {
            Ok(p) => Ok(p.status),
            Err(GatewayError::Refused { code, .. }) if code == "04" => Ok(GatewayStatus::Unknown),
            Err(e) => Err(e),
        }
    }

    fn receipt(
        &self,
        reference: &str,
        initiated_at: DateTime<Utc>,
    ) -> Result<Vec<u8>, GatewayError> {
        let m = paygov::lookup_message(
            paygov::RECEIPT_MESSAGE,
            &self.partner,
            &self.secret,
            reference,
            initiated_at,
        );
        let p = self.lookup(&m)?;
        let GatewayStatus::Succeeded { transaction_id } = &p.status else {
            return Err(refused("08", "Giao dịch chưa thành công"));
        };
        Ok(format!(
            "%PDF-1.4\n% sandbox receipt {reference} {transaction_id} {} VND\n%%EOF\n",
            p.amount
        )
        .into_bytes())
    }

    fn verify(&self, callback: &Callback) -> bool {
        paygov::verify_callback(callback, &self.partner, &self.secret)
    }

    fn as_sandbox(&self) -> Option<&SandboxGateway> {
        Some(self)
    }
}
