-- Dossiers (hồ sơ), their gapless daily numbering, append-only history, attachments,
-- idempotent creation and satisfaction ratings.

CREATE TABLE dossiers (
    id                  TEXT PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    commune_code        TEXT NOT NULL REFERENCES communes (code),
    province_code       TEXT NOT NULL,
    procedure_id        TEXT NOT NULL REFERENCES procedures (id),
    procedure_code      TEXT NOT NULL,
    procedure_version_id TEXT NOT NULL REFERENCES procedure_versions (id),
    case_code           TEXT NOT NULL,
    channel             TEXT NOT NULL,
    status              TEXT NOT NULL,
    applicant_type      TEXT NOT NULL,
    applicant_name      TEXT NOT NULL,
    applicant_id_number TEXT NOT NULL,
    applicant_contact   TEXT NOT NULL,
    search_key          TEXT NOT NULL,
    summary             TEXT NOT NULL,
    owner_user_id       TEXT,
    assignee_id         TEXT,
    submitted_at        TIMESTAMP NOT NULL,
    received_at         TIMESTAMP,
    due_at              TIMESTAMP,
    paused_at           TIMESTAMP,
    paused_minutes      BIGINT NOT NULL DEFAULT 0,
    finished_at         TIMESTAMP,
    supplement_requests INTEGER NOT NULL DEFAULT 0,
    extensions          INTEGER NOT NULL DEFAULT 0,
    lifecycle           TEXT NOT NULL,
    lookup_pin          TEXT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
-- Lists are keyset-paginated on (commune, submitted_at desc, id); filters ride these indexes.
CREATE INDEX dossiers_commune_submitted_idx ON dossiers (commune_code, submitted_at DESC, id DESC);
CREATE INDEX dossiers_commune_status_idx ON dossiers (commune_code, status, submitted_at DESC, id DESC);
CREATE INDEX dossiers_commune_due_idx ON dossiers (commune_code, due_at) WHERE finished_at IS NULL;
CREATE INDEX dossiers_province_submitted_idx ON dossiers (province_code, submitted_at DESC, id DESC);
CREATE INDEX dossiers_assignee_idx ON dossiers (assignee_id, submitted_at DESC, id DESC);
CREATE INDEX dossiers_applicant_id_idx ON dossiers (applicant_id_number);
CREATE INDEX dossiers_owner_idx ON dossiers (owner_user_id, submitted_at DESC, id DESC);

CREATE TABLE dossier_counters (
    commune_code TEXT NOT NULL,
    day          DATE NOT NULL,
    last_seq     BIGINT NOT NULL,
    PRIMARY KEY (commune_code, day)
);

CREATE TABLE dossier_events (
    id          BIGSERIAL PRIMARY KEY,
    dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    comment     TEXT,
    data        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX dossier_events_dossier_idx ON dossier_events (dossier_id, id);

-- History is evidence: the database itself refuses to change or delete it.
CREATE FUNCTION dossier_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'dossier_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dossier_events_no_update BEFORE UPDATE OR DELETE ON dossier_events
    FOR EACH ROW EXECUTE FUNCTION dossier_events_append_only();

CREATE TABLE stored_files (
    sha256       TEXT PRIMARY KEY,
    size_bytes   BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE dossier_attachments (
    id                TEXT PRIMARY KEY,
    dossier_id        TEXT NOT NULL REFERENCES dossiers (id),
    document_name     TEXT NOT NULL,
    file_sha256       TEXT NOT NULL REFERENCES stored_files (sha256),
    file_name         TEXT NOT NULL,
    source            TEXT NOT NULL,
    reused_from       TEXT,
    digitized_at_reception BOOLEAN NOT NULL,
    uploaded_by       TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX dossier_attachments_dossier_idx ON dossier_attachments (dossier_id);
CREATE INDEX dossier_attachments_file_idx ON dossier_attachments (file_sha256);

CREATE TABLE idempotency_keys (
    scope          TEXT PRIMARY KEY,
    request_hash   TEXT NOT NULL,
    status_code    INTEGER NOT NULL,
    response_body  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL
);

CREATE TABLE dossier_ratings (
    dossier_id  TEXT PRIMARY KEY REFERENCES dossiers (id),
    rating      TEXT NOT NULL,
    comment     TEXT,
    recorded_by TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
