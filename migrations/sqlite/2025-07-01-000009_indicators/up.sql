-- Indicators (issue 8). Reports read aggregates, never every dossier:
--   dossier_facts    one row per dossier: what it contributes to the counters (0/1 flags and
--                    component counts), keyed by its cohort day (the Vietnam date it was
--                    received, or submitted when never received), commune, procedure, channel.
--   indicator_daily  the sum of those contributions per commune and cohort day;
--   indicator_monthly the same per commune and month.
-- Both change in the transaction that changes the dossier (src/db/indicators.rs applies
-- the difference between the dossier's old and new facts), so they never drift;
-- `motcua indicators rebuild` recomputes them from the raw tables.

CREATE TABLE dossier_facts (
    dossier_id TEXT PRIMARY KEY REFERENCES dossiers (id),
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    day DATE NOT NULL,
    procedure_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    awaiting_intake BIGINT NOT NULL DEFAULT 0,
    online BIGINT NOT NULL DEFAULT 0,
    post BIGINT NOT NULL DEFAULT 0,
    in_progress BIGINT NOT NULL DEFAULT 0,
    finished_on_time BIGINT NOT NULL DEFAULT 0,
    finished_late BIGINT NOT NULL DEFAULT 0,
    resolved BIGINT NOT NULL DEFAULT 0,
    stopped BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    supplement_requested BIGINT NOT NULL DEFAULT 0,
    supplement_repeated BIGINT NOT NULL DEFAULT 0,
    extended BIGINT NOT NULL DEFAULT 0,
    components BIGINT NOT NULL DEFAULT 0,
    components_digitized BIGINT NOT NULL DEFAULT 0,
    components_reused BIGINT NOT NULL DEFAULT 0,
    dossiers_digitized BIGINT NOT NULL DEFAULT 0,
    data_reused BIGINT NOT NULL DEFAULT 0,
    results_digitized BIGINT NOT NULL DEFAULT 0,
    fee_bearing BIGINT NOT NULL DEFAULT 0,
    paid_online BIGINT NOT NULL DEFAULT 0,
    synced BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied BIGINT NOT NULL DEFAULT 0
);
-- Breakdowns by procedure or channel and the dossiers behind a number.
CREATE INDEX dossier_facts_commune_day_idx ON dossier_facts (commune_code, day);
CREATE INDEX dossier_facts_province_day_idx ON dossier_facts (province_code, day);

CREATE TABLE indicator_daily (
    commune_code TEXT NOT NULL,
    day DATE NOT NULL,
    province_code TEXT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    awaiting_intake BIGINT NOT NULL DEFAULT 0,
    online BIGINT NOT NULL DEFAULT 0,
    post BIGINT NOT NULL DEFAULT 0,
    in_progress BIGINT NOT NULL DEFAULT 0,
    finished_on_time BIGINT NOT NULL DEFAULT 0,
    finished_late BIGINT NOT NULL DEFAULT 0,
    resolved BIGINT NOT NULL DEFAULT 0,
    stopped BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    supplement_requested BIGINT NOT NULL DEFAULT 0,
    supplement_repeated BIGINT NOT NULL DEFAULT 0,
    extended BIGINT NOT NULL DEFAULT 0,
    components BIGINT NOT NULL DEFAULT 0,
    components_digitized BIGINT NOT NULL DEFAULT 0,
    components_reused BIGINT NOT NULL DEFAULT 0,
    dossiers_digitized BIGINT NOT NULL DEFAULT 0,
    data_reused BIGINT NOT NULL DEFAULT 0,
    results_digitized BIGINT NOT NULL DEFAULT 0,
    fee_bearing BIGINT NOT NULL DEFAULT 0,
    paid_online BIGINT NOT NULL DEFAULT 0,
    synced BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (commune_code, day)
);
CREATE INDEX indicator_daily_province_idx ON indicator_daily (province_code, day);

-- The same sums per commune and month (keyed by the month's first day): a year reads twelve
-- rows per commune; a range's days outside whole months come from indicator_daily.
CREATE TABLE indicator_monthly (
    commune_code TEXT NOT NULL,
    month DATE NOT NULL,
    province_code TEXT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    awaiting_intake BIGINT NOT NULL DEFAULT 0,
    online BIGINT NOT NULL DEFAULT 0,
    post BIGINT NOT NULL DEFAULT 0,
    in_progress BIGINT NOT NULL DEFAULT 0,
    finished_on_time BIGINT NOT NULL DEFAULT 0,
    finished_late BIGINT NOT NULL DEFAULT 0,
    resolved BIGINT NOT NULL DEFAULT 0,
    stopped BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    supplement_requested BIGINT NOT NULL DEFAULT 0,
    supplement_repeated BIGINT NOT NULL DEFAULT 0,
    extended BIGINT NOT NULL DEFAULT 0,
    components BIGINT NOT NULL DEFAULT 0,
    components_digitized BIGINT NOT NULL DEFAULT 0,
    components_reused BIGINT NOT NULL DEFAULT 0,
    dossiers_digitized BIGINT NOT NULL DEFAULT 0,
    data_reused BIGINT NOT NULL DEFAULT 0,
    results_digitized BIGINT NOT NULL DEFAULT 0,
    fee_bearing BIGINT NOT NULL DEFAULT 0,
    paid_online BIGINT NOT NULL DEFAULT 0,
    synced BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (commune_code, month)
);
CREATE INDEX indicator_monthly_province_idx ON indicator_monthly (province_code, month);

-- Open dossiers by reception date: the on-time / overdue split of a period's open dossiers
-- is decided when the report is read (the clock runs without any event). Covering, so the
-- count reads the index only.
CREATE INDEX dossiers_commune_open_received_idx ON dossiers (commune_code, received_at, due_at, paused_at, supplement_requests) WHERE finished_at IS NULL;
CREATE INDEX dossiers_province_open_received_idx ON dossiers (province_code, received_at, commune_code, due_at, paused_at, supplement_requests) WHERE finished_at IS NULL;
