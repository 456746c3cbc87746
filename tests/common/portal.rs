//! A stand-in national portal for the suites that follow a dossier out through the outbox:
//! delivery settings that retry at once, a client of the mock portal, and a drain that
//! pretends time passes.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use motcua::portal::http::HttpPortalClient;
use motcua::portal::mock::MockPortal;
use motcua::portal::outbox::{self, DeliveryConfig, DeliveryReport};

use super::TestApp;

/// Small batches, few attempts, retries due within milliseconds.
pub fn fast() -> DeliveryConfig {
    DeliveryConfig {
        batch: 50,
        max_attempts: 4,
        retry_base: Duration::milliseconds(1),
        retry_max: Duration::milliseconds(10),
        send_timeout: Duration::seconds(2),
    }
}

pub fn client(portal: &MockPortal) -> HttpPortalClient {
    HttpPortalClient::new(
        portal.url.clone(),
        "motcua".into(),
        "secret".into(),
        std::time::Duration::from_secs(2),
    )
}

/// Delivers until nothing is due, pretending time passes (retries are due at once).
pub fn drain(ctx: &TestApp, client: &HttpPortalClient, worker: &str) -> DeliveryReport {
    let mut total = DeliveryReport::default();
    let clock = Arc::new(Mutex::new(Utc::now()));
    loop {
        *clock.lock().unwrap() += Duration::minutes(1);
        let c = clock.clone();
        let r = outbox::deliver_once(
            &ctx.state.pool,
            client,
            worker,
            &move || *c.lock().unwrap(),
            &fast(),
        )
        .unwrap();
        total.claimed += r.claimed;
        total.sent += r.sent;
        total.failed += r.failed;
        total.dead += r.dead;
        if r.claimed == 0 {
            return total;
        }
    }
}
