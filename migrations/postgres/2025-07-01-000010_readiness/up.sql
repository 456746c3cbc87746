-- Readiness ("phủ xanh") board: per-province configuration, the current declaration of each
-- manual checklist item of a commune, and the append-only history of declarations and
-- province reviews. Automatic items are evaluated live and stored nowhere.

CREATE TABLE readiness_province_configs (
    province_code TEXT PRIMARY KEY REFERENCES provinces (code),
    -- JSON: required items, thresholds, amber rule, per-commune overrides.
    config        TEXT NOT NULL,
    version       BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE readiness_items (
    commune_code   TEXT NOT NULL REFERENCES communes (code),
    item_code      TEXT NOT NULL,
    status         TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    evidence_date  DATE NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    review_status  TEXT NOT NULL,
    review_note    TEXT,
    reviewed_by    TEXT,
    reviewed_at    TIMESTAMP,
    version        BIGINT NOT NULL,
    PRIMARY KEY (commune_code, item_code)
);

CREATE TABLE readiness_events (
    id            BIGSERIAL PRIMARY KEY,
    commune_code  TEXT NOT NULL,
    item_code     TEXT NOT NULL,
    action        TEXT NOT NULL,
    status        TEXT NOT NULL,
    evidence      TEXT NOT NULL,
    evidence_date DATE NOT NULL,
    review_status TEXT NOT NULL,
    note          TEXT,
    item_version  BIGINT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX readiness_events_commune_idx ON readiness_events (commune_code, id);
CREATE FUNCTION readiness_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'readiness_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER readiness_events_no_update BEFORE UPDATE OR DELETE ON readiness_events
    FOR EACH ROW EXECUTE FUNCTION readiness_events_append_only();
