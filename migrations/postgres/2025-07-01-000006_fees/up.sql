-- Fees (phí, lệ phí) and payments: versioned schedules, each dossier's assessment,
-- payments at the counter and online, receipts with gapless numbers, refunds, and the
-- log of every payment-platform callback.

-- One row per schedule version; rows are never edited. A schedule is identified by
-- (procedure, case, fee code, scope, scope code); the version in force on a day is the
-- latest effective_from on or before it whose effective_to (inclusive) has not passed,
-- so a temporary reduction (TT 64/2025) ends by itself.
CREATE TABLE fee_schedules (
    id             TEXT PRIMARY KEY,
    schedule_key   TEXT NOT NULL,
    version_no     BIGINT NOT NULL,
    procedure_code TEXT NOT NULL REFERENCES procedures (code),
    case_code      TEXT,
    fee_code       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    collection     TEXT NOT NULL,
    rule           TEXT NOT NULL,
    online_rule    TEXT,
    exemptions     TEXT NOT NULL,
    scope          TEXT NOT NULL,
    scope_code     TEXT,
    effective_from DATE NOT NULL,
    effective_to   DATE,
    legal_basis    TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (schedule_key, version_no)
);
CREATE INDEX fee_schedules_procedure_idx ON fee_schedules (procedure_code, effective_from);

-- A dossier's assessment: the quantities and exemption it was computed from, versioned
-- for If-Match on re-assessment.
CREATE TABLE fee_assessments (
    dossier_id  TEXT PRIMARY KEY REFERENCES dossiers (id),
    channel     TEXT NOT NULL,
    quantities  TEXT NOT NULL,
    exemption   TEXT,
    total       BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    assessed_by TEXT NOT NULL,
    assessed_at TIMESTAMP NOT NULL
);

-- Line items: each locks the schedule version it was computed with.
CREATE TABLE dossier_fees (
    id          TEXT PRIMARY KEY,
    dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
    line_no     INTEGER NOT NULL,
    schedule_id TEXT NOT NULL REFERENCES fee_schedules (id),
    fee_code    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    collection  TEXT NOT NULL,
    base_amount BIGINT NOT NULL,
    exemption   TEXT,
    amount      BIGINT NOT NULL,
    explanation TEXT NOT NULL,
    status      TEXT NOT NULL,
    payment_id  TEXT,
    UNIQUE (dossier_id, line_no)
);

CREATE TABLE payments (
    id             TEXT PRIMARY KEY,
    reference      TEXT NOT NULL UNIQUE,
    dossier_id     TEXT NOT NULL REFERENCES dossiers (id),
    commune_code   TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    method         TEXT NOT NULL,
    gateway        TEXT,
    amount         BIGINT NOT NULL,
    refunded_amount BIGINT NOT NULL DEFAULT 0,
    status         TEXT NOT NULL,
    fee_lines      TEXT NOT NULL,
    payer_name     TEXT NOT NULL,
    redirect_url   TEXT,
    gateway_transaction_id TEXT,
    failure_reason TEXT,
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP,
    settled_at     TIMESTAMP,
    receipt_template TEXT,
    receipt_series TEXT,
    receipt_no     BIGINT,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX payments_dossier_idx ON payments (dossier_id, created_at);
CREATE INDEX payments_commune_idx ON payments (commune_code, created_at DESC, id DESC);
CREATE INDEX payments_pending_idx ON payments (created_at) WHERE status = 'pending';
-- A receipt number exists once per commune and series.
CREATE UNIQUE INDEX payments_receipt_idx ON payments (commune_code, receipt_series, receipt_no) WHERE receipt_no IS NOT NULL;

CREATE TABLE receipt_counters (
    commune_code TEXT NOT NULL,
    series       TEXT NOT NULL,
    last_no      BIGINT NOT NULL,
    PRIMARY KEY (commune_code, series)
);

-- A refund is a record of its own; the payment only keeps the running total.
CREATE TABLE payment_refunds (
    id         TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    amount     BIGINT NOT NULL,
    method     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_refunds_payment_idx ON payment_refunds (payment_id, created_at);

-- Every callback the payment platform sent, valid or not, with what we did about it.
CREATE TABLE payment_callbacks (
    id          BIGSERIAL PRIMARY KEY,
    gateway     TEXT NOT NULL,
    reference   TEXT,
    payment_id  TEXT,
    outcome     TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    body        TEXT NOT NULL,
    client_ip   TEXT,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_callbacks_reference_idx ON payment_callbacks (reference, id);
