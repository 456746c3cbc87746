//! Prometheus metrics of one server instance (served at `/metrics`, see `api::metrics`).
//!
//! Labels never hold identifiers: requests are counted by route template
//! (`/api/v1/dossiers/{id}`), not by path, so a label set stays small and holds no personal
//! data. Figures kept in the database (outbox, webhooks, payments, login failures) are read
//! when scraped, so every instance reports the same shared state.

use std::time::Duration;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// What the database says at scrape time (`service::monitoring::snapshot`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Snapshot {
    /// Portal outbox messages not sent, by status (`pending`, `held`, `dead`).
    pub outbox_by_status: Vec<(String, i64)>,
    /// Age in seconds of the oldest message still waiting to be sent (0: none).
    pub outbox_oldest_pending_secs: i64,
    /// Webhook deliveries not delivered, by status (`pending`, `dead`).
    pub webhooks_by_status: Vec<(String, i64)>,
    /// Webhook deliveries pending after at least one failed attempt.
    pub webhooks_failing: i64,
    /// Payments waiting for their outcome.
    pub payments_pending: i64,
    /// Pending payments older than PAYMENT_TIMEOUT_SECS: the reconciler's work.
    pub payments_awaiting_reconciliation: i64,
    /// Failed logins recorded within LOGIN_WINDOW_SECS.
    pub login_failures_in_window: i64,
    /// Throttle keys (usernames, client addresses) at their limit now: logins refused.
    pub login_keys_throttled: i64,
}

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    pool_wait: Histogram,
    pool_timeouts: IntCounter,
    db_up: IntGauge,
    outbox: IntGaugeVec,
    outbox_oldest: IntGauge,
    webhooks: IntGaugeVec,
    webhooks_failing: IntGauge,
    payments_pending: IntGauge,
    payments_awaiting: IntGauge,
    reconcile_runs: IntCounterVec,
    reconcile_settled: IntCounterVec,
    reconcile_last: Gauge,
    login_failures: IntGauge,
    login_throttled: IntGauge,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: T) -> T {
    r.register(Box::new(c.clone()))
        .expect("metric names are unique and valid");
    c
}

/// Latency buckets (seconds): a government counter's API answers in milliseconds; exports
/// and imports take seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new_custom(Some("motcua".into()), None).expect("valid prefix");
        let gauge =
            |name: &str, help: &str| register(&r, IntGauge::new(name, help).expect("valid metric"));
        let gauge_vec = |name: &str, help: &str, labels: &[&str]| {
            register(
                &r,
                IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric"),
            )
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            register(
                &r,
                IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"),
            )
        };
        Metrics {
            http_requests: counter_vec(
                "http_requests_total",
                "HTTP requests answered, by method, route template and status",
                &["method", "route", "status"],
            ),
            http_duration: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "http_request_duration_seconds",
                        "Time to answer an HTTP request, by method, route template and status",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                    &["method", "route", "status"],
                )
                .expect("valid metric"),
            ),
            pool_connections: gauge("db_pool_connections", "Open database connections"),
            pool_idle: gauge("db_pool_idle_connections", "Idle database connections"),
            pool_max: gauge("db_pool_max_connections", "DB_POOL_SIZE"),
            pool_wait: register(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "db_pool_wait_seconds",
                        "Time a request waited for a database connection",
                    )
                    .buckets(vec![0.0001, 0.001, 0.005, 0.025, 0.1, 0.5, 1.0, 5.0]),
                )
                .expect("valid metric"),
            ),
            pool_timeouts: register(
                &r,
                IntCounter::new(
                    "db_pool_timeouts_total",
                    "Requests that got no database connection within DB_CONNECT_TIMEOUT_SECS (503)",
                )
                .expect("valid metric"),
            ),
            db_up: gauge(
                "db_up",
                "1 when the scrape could read the database figures below",
            ),
            outbox: gauge_vec(
                "portal_outbox_messages",
                "National portal outbox messages not yet sent, by status (dead: dead letters)",
                &["status"],
            ),
            outbox_oldest: gauge(
                "portal_outbox_oldest_pending_seconds",
                "Age of the oldest portal message not yet sent",
            ),
            webhooks: gauge_vec(
                "webhook_deliveries",
                "Webhook deliveries not yet delivered, by status (dead: gave up)",
                &["status"],
            ),
            webhooks_failing: gauge(
                "webhook_deliveries_failing",
                "Webhook deliveries pending after at least one failed attempt",
            ),
            payments_pending: gauge(
                "payments_pending",
                "Payments waiting for the platform's answer",
            ),
            payments_awaiting: gauge(
                "payments_awaiting_reconciliation",
                "Pending payments older than PAYMENT_TIMEOUT_SECS, for the reconciler",
            ),
            reconcile_runs: counter_vec(
                "payment_reconcile_runs_total",
                "Reconciler passes of this instance, by result (ok, error)",
                &["result"],
            ),
            reconcile_settled: counter_vec(
                "payment_reconcile_payments_total",
                "Payments the reconciler looked at, by outcome",
                &["outcome"],
            ),
            reconcile_last: register(
                &r,
                Gauge::new(
                    "payment_reconcile_last_success_timestamp_seconds",
                    "Unix time of this instance's last successful reconciler pass",
                )
                .expect("valid metric"),
            ),
            login_failures: gauge(
                "login_failures_in_window",
                "Failed logins recorded within LOGIN_WINDOW_SECS",
            ),
            login_throttled: gauge(
                "login_throttled_keys",
                "Usernames and client addresses whose logins are refused (429) now",
            ),
            registry: r,
        }
    }

    /// Counts one answered request. `route` is the template the request matched, or
    /// `unmatched`.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.http_requests.with_label_values(&labels).inc();
        self.http_duration
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn observe_pool_wait(&self, waited: Duration, got: bool) {
        self.pool_wait.observe(waited.as_secs_f64());
        if !got {
            self.pool_timeouts.inc();
        }
    }

    pub fn set_pool_state(&self, connections: u32, idle: u32, max: u32) {
        self.pool_connections.set(connections.into());
        self.pool_idle.set(idle.into());
        self.pool_max.set(max.into());
    }

    /// One reconciler pass: its outcome counts, or its failure.
    pub fn reconciled(&self, outcomes: Result<&[(&str, u32)], ()>, unix_now: f64) {
        match outcomes {
            Ok(outcomes) => {
                self.reconcile_runs.with_label_values(&["ok"]).inc();
                for (outcome, n) in outcomes {
                    self.reconcile_settled
                        .with_label_values(&[outcome])
                        .inc_by(u64::from(*n));
                }
                self.reconcile_last.set(unix_now);
            }
            Err(()) => self.reconcile_runs.with_label_values(&["error"]).inc(),
        }
    }

    /// The database figures of a scrape; `None` when the database could not be read.
    pub fn set_snapshot(&self, snapshot: Option<&Snapshot>) {
        let Some(s) = snapshot else {
            self.db_up.set(0);
            return;
        };
        self.db_up.set(1);
        let by_status = |vec: &IntGaugeVec, rows: &[(String, i64)]| {
            // A status that emptied since the last scrape must read 0, not its old value.
            vec.reset();
            for (status, n) in rows {
                vec.with_label_values(&[status.as_str()]).set(*n);
            }
        };
        by_status(&self.outbox, &s.outbox_by_status);
        by_status(&self.webhooks, &s.webhooks_by_status);
        self.payments_pending.set(s.payments_pending);
        self.outbox_oldest.set(s.outbox_oldest_pending_secs);
        self.webhooks_failing.set(s.webhooks_failing);
        self.payments_awaiting
            .set(s.payments_awaiting_reconciliation);
        self.login_failures.set(s.login_failures_in_window);
        self.login_throttled.set(s.login_keys_throttled);
    }

    /// Everything in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding into memory does not fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_labelled_by_template_and_gauges_reset_per_scrape() {
        let m = Metrics::new();
        m.observe_request(
            "GET",
            "/api/v1/dossiers/{id}",
            200,
            Duration::from_millis(3),
        );
        let mut s = Snapshot {
            outbox_by_status: vec![("dead".into(), 2), ("pending".into(), 5)],
            ..Snapshot::default()
        };
        m.set_snapshot(Some(&s));
        let text = m.render();
        assert!(text.contains(
            r#"motcua_http_requests_total{method="GET",route="/api/v1/dossiers/{id}",status="200"} 1"#
        ));
        assert!(text.contains(r#"motcua_portal_outbox_messages{status="dead"} 2"#));
        assert!(text.contains("motcua_db_up 1"));
        s.outbox_by_status = vec![("pending".into(), 1)];
        m.set_snapshot(Some(&s));
        let text = m.render();
        assert!(!text.contains(r#"status="dead""#), "{text}");
        m.set_snapshot(None);
        assert!(m.render().contains("motcua_db_up 0"));
    }
}
