//! How a dossier's fees are paid: a closed set, stored as text (`db::text_enum!`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a payment is made.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash at the counter, recorded by the officer.
    Cash,
    /// Card at the counter's terminal, recorded by the officer.
    Card,
    /// Through the payment platform (the payer is sent to `redirect_url`).
    Online,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Online => "online",
        }
    }
    pub fn parse(s: &str) -> Option<PaymentMethod> {
        [
            PaymentMethod::Cash,
            PaymentMethod::Card,
            PaymentMethod::Online,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

impl std::fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_and_match_serde() {
        for m in [
            PaymentMethod::Cash,
            PaymentMethod::Card,
            PaymentMethod::Online,
        ] {
            assert_eq!(PaymentMethod::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert_eq!(PaymentMethod::parse("bank_transfer"), None);
    }
}
