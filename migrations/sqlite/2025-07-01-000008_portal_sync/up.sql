-- National portal integration: the transactional outbox, the portal's own reference on
-- pushed dossiers, a commit-ordered event feed, and webhook subscriptions.

-- The feed is ordered by (txid, id): on PostgreSQL ids are handed out before commit, so a
-- reader paging by id alone could pass an id whose transaction commits later. A reader
-- only sees events of transactions older than every one still running (pg_snapshot_xmin),
-- and those never gain a smaller (txid, id). SQLite writers are serialised; txid stays 0.
ALTER TABLE dossier_events ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
CREATE INDEX dossier_events_feed_idx ON dossier_events (txid, id);

ALTER TABLE dossiers ADD COLUMN portal_reference TEXT;
CREATE UNIQUE INDEX dossiers_portal_reference_idx ON dossiers (portal_reference) WHERE portal_reference IS NOT NULL;

-- One message per history event, written in the event's transaction.
CREATE TABLE portal_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id      TEXT NOT NULL REFERENCES dossiers (id),
    event_id        BIGINT NOT NULL,
    service         TEXT NOT NULL,
    idempotency_ref TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_by       TEXT,
    locked_until    TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX portal_outbox_due_idx ON portal_outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX portal_outbox_dossier_idx ON portal_outbox (dossier_id, id);
CREATE INDEX portal_outbox_status_idx ON portal_outbox (status, id);

CREATE TABLE webhook_subscriptions (
    id           TEXT PRIMARY KEY,
    commune_code TEXT,
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    event_types  TEXT NOT NULL,
    active       BOOLEAN NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX webhook_subscriptions_commune_idx ON webhook_subscriptions (commune_code);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id  TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    event_id         BIGINT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    locked_until     TIMESTAMP,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TIMESTAMP NOT NULL,
    delivered_at     TIMESTAMP,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, id);
