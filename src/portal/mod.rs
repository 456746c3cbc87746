//! The National Public Service Portal (Cổng DVCQG): messages it receives for every dossier
//! and every change, the client that delivers them, and a mock portal for tests and demos.
//!
//! Delivery is a transactional outbox ([`outbox`]): a message is written in the same
//! transaction as the history event that caused it, and workers deliver it at least once,
//! in order per dossier, with an idempotency reference the portal deduplicates on.

pub mod http;
pub mod links;
pub mod mock;
pub mod outbound;
pub mod outbox;
pub mod payload;
pub mod webhooks;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// A message as handed to the portal client.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PortalMessage {
    /// `DongBoHoSoMC` (the dossier) or `CapNhatTienDoHoSoMC` (a progress step).
    pub service: String,
    /// Stable per message: a re-delivery carries the same one.
    pub idempotency_ref: String,
    pub payload: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// Network failure, timeout, 5xx: try again later.
    #[error("portal unreachable: {0}")]
    Unavailable(String),
    /// The portal refused the message (error_code ≠ 0); retried too, since the cause is
    /// often on the portal's side, until the dead-letter limit.
    #[error("portal refused: {0}")]
    Refused(String),
}

/// Delivers messages to the portal.
pub trait PortalClient: Send + Sync {
    fn send(&self, message: &PortalMessage) -> Result<(), PortalError>;
}

/// The configured client: `PORTAL_URL` set → the HTTP client; otherwise none (messages
/// wait in the outbox until a portal is configured).
pub fn from_config(config: &Config) -> Option<Arc<dyn PortalClient>> {
    config
        .portal_url
        .as_ref()
        .filter(|u| !u.is_empty())
        .map(|url| {
            Arc::new(http::HttpPortalClient::new(
                url.clone(),
                config.portal_username.clone().unwrap_or_default(),
                config.portal_password.clone().unwrap_or_default(),
                std::time::Duration::from_millis(config.portal_timeout_ms),
            )) as Arc<dyn PortalClient>
        })
}
