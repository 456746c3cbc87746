//! The portal over HTTP: a session token from username/password (`error_code` 0), then one
//! POST per message with the unit code (`madonvi`) and the message's idempotency
//! reference. The paths (`/login`, `/{service}`) under `PORTAL_URL` follow the service
//! names of DOMAIN.md §7 and are configuration, not a verified contract.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use super::{PortalClient, PortalError, PortalMessage};

pub struct HttpPortalClient {
    base_url: String,
    username: String,
    password: String,
    agent: ureq::Agent,
    session: Mutex<Option<String>>,
}

impl HttpPortalClient {
    pub fn new(base_url: String, username: String, password: String, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        HttpPortalClient {
            base_url: base_url.trim_end_matches('/').to_string(),
            username,
            password,
            agent,
            session: Mutex::new(None),
        }
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, PortalError> {
        let mut resp = self
            .agent
            .post(&format!("{}{path}", self.base_url))
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| PortalError::Unavailable(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| PortalError::Unavailable(e.to_string()))?;
        if status >= 500 || status == 429 {
            return Err(PortalError::Unavailable(format!("HTTP {status}")));
        }
        serde_json::from_str(&text)
            .map_err(|e| PortalError::Unavailable(format!("HTTP {status}, unreadable answer: {e}")))
    }

    fn session(&self, renew: bool) -> Result<String, PortalError> {
        let mut guard = self.session.lock().unwrap_or_else(|e| e.into_inner());
        if let (false, Some(s)) = (renew, guard.as_ref()) {
            return Ok(s.clone());
        }
        let answer = self.post(
            "/login",
            &json!({"username": self.username, "password": self.password}),
        )?;
        match (answer["error_code"].as_i64(), answer["session"].as_str()) {
            (Some(0), Some(s)) => {
                *guard = Some(s.to_string());
                Ok(s.to_string())
            }
            _ => Err(PortalError::Refused(format!("login: {answer}"))),
        }
    }
}

fn unit_of(m: &PortalMessage) -> Value {
    let p = &m.payload;
    p.get("DonViXuLy")
        .or_else(|| p.get("HoSo").and_then(|h| h.get("DonViXuLy")))
        .cloned()
        .unwrap_or(Value::Null)
}

impl PortalClient for HttpPortalClient {
    fn send(&self, m: &PortalMessage) -> Result<(), PortalError> {
        for renew in [false, true] {
            let body = json!({
                "session": self.session(renew)?,
                "madonvi": unit_of(m),
                "service": m.service,
                "isUpdating": m.service == "DongBoHoSoMC" && m.payload["isUpdating"].as_bool().unwrap_or(false),
                "MaYeuCau": m.idempotency_ref,
                "data": m.payload,
            });
            let answer = self.post(&format!("/{}", m.service), &body)?;
            match answer["error_code"].as_i64() {
                Some(0) => return Ok(()),
                // An expired session: log in again once.
                Some(-1) if !renew => continue,
                _ => return Err(PortalError::Refused(answer.to_string())),
            }
        }
        Err(PortalError::Refused("session refused twice".into()))
    }
}
