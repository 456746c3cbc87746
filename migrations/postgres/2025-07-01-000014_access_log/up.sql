-- Personal-data access log (Decree 13/2023/NĐ-CP): every read of a dossier's or a digital
-- result's personal data by staff, the portal or the province. Append-only (triggers) and
-- hash-chained per commune of the record: each entry carries the hash of the previous entry
-- of its commune and its own content hash, so a deleted or edited entry is detectable
-- (`motcua audit verify`).
CREATE TABLE access_log (
    id                  TEXT PRIMARY KEY,
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
-- "Who looked at my record": by record, newest first.
CREATE INDEX access_log_record_idx ON access_log (record_id, at DESC, id DESC);
-- Supervisor and administrator queries: by commune or province and time, by actor.
CREATE INDEX access_log_commune_at_idx ON access_log (commune_code, at DESC, id DESC);
CREATE INDEX access_log_province_at_idx ON access_log (province_code, at DESC, id DESC);
CREATE INDEX access_log_actor_idx ON access_log (actor_id, at DESC, id DESC);
CREATE INDEX access_log_at_idx ON access_log (at DESC, id DESC);

CREATE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();

-- The head of each commune's chain: appends lock this row (FOR UPDATE), so concurrent
-- writers of one commune, in any number of instances, take turns and produce one chain.
-- It also records the last entry, so that entries deleted at the end are detected.
CREATE TABLE access_log_heads (
    commune_code TEXT PRIMARY KEY,
    last_seq     BIGINT NOT NULL,
    last_hash    TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

CREATE FUNCTION access_log_heads_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_seq < OLD.last_seq OR NEW.commune_code <> OLD.commune_code THEN
        RAISE EXCEPTION 'access_log_heads only moves forward';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_heads_forward BEFORE UPDATE OR DELETE ON access_log_heads
    FOR EACH ROW EXECUTE FUNCTION access_log_heads_forward_only();
