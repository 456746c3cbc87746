//! A payment platform inside this process, for tests and demo mode. It signs its callbacks
//! with the national protocol's scheme and its own secret, so the callback path under test
//! is the production one.

use std::collections::HashMap;
use std::sync::Mutex;

use super::paygov;
use super::{Callback, GatewayError, GatewayStatus, InitRequest, PaymentGateway};

#[derive(Clone, Debug)]
struct SandboxPayment {
    amount: i64,
    status: GatewayStatus,
}

pub struct SandboxGateway {
    secret: String,
    base_url: String,
    payments: Mutex<HashMap<String, SandboxPayment>>,
}

impl SandboxGateway {
    pub fn new(secret: String, public_base_url: &str) -> Self {
        SandboxGateway {
            secret,
            base_url: public_base_url.trim_end_matches('/').to_string(),
            payments: Mutex::new(HashMap::new()),
        }
    }

    /// The payer finishes on the sandbox's page: the payment is settled there and the
    /// signed callback the platform would send is returned for delivery.
    pub fn complete(&self, reference: &str, pay: bool) -> Option<Callback> {
        let mut map = self.payments.lock().unwrap_or_else(|e| e.into_inner());
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
            reference: reference.to_string(),
            amount: p.amount.to_string(),
            result_code: code.to_string(),
            transaction_id: tx,
            time: paygov::format_time(crate::clock::now()),
            description: Some("sandbox".into()),
            mac: String::new(),
        };
        paygov::sign_callback(&mut cb, &self.secret);
        Some(cb)
    }

    /// Signs any callback with the sandbox secret (tests forge platform messages with it).
    pub fn sign(&self, cb: &mut Callback) {
        paygov::sign_callback(cb, &self.secret)
    }

    pub fn amount_of(&self, reference: &str) -> Option<i64> {
        let map = self.payments.lock().unwrap_or_else(|e| e.into_inner());
        map.get(reference).map(|p| p.amount)
    }
}

impl PaymentGateway for SandboxGateway {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn init(&self, req: &InitRequest) -> Result<String, GatewayError> {
        let mut map = self.payments.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(req.reference.clone()).or_insert(SandboxPayment {
            amount: req.amount,
            status: GatewayStatus::Pending,
        });
        Ok(format!(
            "{}/api/v1/payments/sandbox/{}",
            self.base_url, req.reference
        ))
    }

    fn query(&self, reference: &str) -> Result<GatewayStatus, GatewayError> {
        let map = self.payments.lock().unwrap_or_else(|e| e.into_inner());
        Ok(map
            .get(reference)
            .map_or(GatewayStatus::Unknown, |p| p.status.clone()))
    }

    fn verify(&self, callback: &Callback) -> bool {
        paygov::verify_callback(callback, &self.secret)
    }

    fn as_sandbox(&self) -> Option<&SandboxGateway> {
        Some(self)
    }
}
