-- Personal-data access log: see the PostgreSQL migration of the same name.
CREATE TABLE access_log (
    id                  TEXT PRIMARY KEY NOT NULL,
    commune_code        TEXT NOT NULL,
    seq                 BIGINT NOT NULL,
    province_code       TEXT NOT NULL,
    at                  TIMESTAMP NOT NULL,
    actor_id            TEXT NOT NULL,
    actor_role          TEXT NOT NULL,
    actor_commune_code  TEXT,
    actor_province_code TEXT,
    record_kind         TEXT NOT NULL,
    record_id           TEXT NOT NULL,
    record_ref          TEXT NOT NULL,
    operation           TEXT NOT NULL,
    route               TEXT NOT NULL,
    request_id          TEXT NOT NULL,
    prev_hash           TEXT NOT NULL,
    hash                TEXT NOT NULL,
    UNIQUE (commune_code, seq)
);
CREATE INDEX access_log_record_idx ON access_log (record_id, at DESC, id DESC);
CREATE INDEX access_log_commune_at_idx ON access_log (commune_code, at DESC, id DESC);
CREATE INDEX access_log_province_at_idx ON access_log (province_code, at DESC, id DESC);
CREATE INDEX access_log_actor_idx ON access_log (actor_id, at DESC, id DESC);
CREATE INDEX access_log_at_idx ON access_log (at DESC, id DESC);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

CREATE TABLE access_log_heads (
    commune_code TEXT PRIMARY KEY NOT NULL,
    last_seq     BIGINT NOT NULL,
    last_hash    TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE TRIGGER access_log_heads_forward BEFORE UPDATE ON access_log_heads
    WHEN NEW.last_seq < OLD.last_seq OR NEW.commune_code <> OLD.commune_code
BEGIN
    SELECT RAISE(ABORT, 'access_log_heads only moves forward');
END;
CREATE TRIGGER access_log_heads_no_delete BEFORE DELETE ON access_log_heads
BEGIN
    SELECT RAISE(ABORT, 'access_log_heads only moves forward');
END;
