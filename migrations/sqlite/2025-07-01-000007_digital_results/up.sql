-- Digital results (kết quả điện tử), sealed and verifiable; their history; digitization
-- records of components; electronic certification with its yearly book.

CREATE TABLE digital_results (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    dossier_id       TEXT REFERENCES dossiers (id),
    commune_code     TEXT NOT NULL,
    province_code    TEXT NOT NULL,
    owner_id_number  TEXT NOT NULL,
    owner_name       TEXT NOT NULL,
    owner_user_id    TEXT,
    document_type    TEXT NOT NULL,
    number_symbol    TEXT NOT NULL,
    summary          TEXT NOT NULL,
    signer_name      TEXT NOT NULL,
    signer_title     TEXT NOT NULL,
    issuing_agency   TEXT NOT NULL,
    issued_on        DATE NOT NULL,
    valid_from       DATE NOT NULL,
    valid_until      DATE,
    scope            TEXT NOT NULL,
    file_sha256      TEXT NOT NULL REFERENCES stored_files (sha256),
    -- JSON: signature type (chuyen_dung_cong_vu | cong_cong), certificate serial, subject,
    -- issuer, signing time (DOMAIN.md §5).
    signature        TEXT NOT NULL,
    seal_kid         TEXT NOT NULL,
    seal_token       TEXT NOT NULL,
    status           TEXT NOT NULL,
    revoked_at       TIMESTAMP,
    revoked_reason   TEXT,
    supersedes       TEXT,
    superseded_by    TEXT,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX digital_results_commune_idx ON digital_results (commune_code, created_at DESC, id DESC);
CREATE INDEX digital_results_province_idx ON digital_results (province_code, created_at DESC, id DESC);
CREATE INDEX digital_results_owner_idx ON digital_results (owner_id_number, created_at DESC);
CREATE INDEX digital_results_dossier_idx ON digital_results (dossier_id);
CREATE INDEX digital_results_file_idx ON digital_results (file_sha256, created_at DESC);

CREATE TABLE digital_result_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    result_id   TEXT NOT NULL REFERENCES digital_results (id),
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    reason      TEXT,
    data        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX digital_result_events_result_idx ON digital_result_events (result_id, id);
CREATE TRIGGER digital_result_events_no_update BEFORE UPDATE ON digital_result_events
BEGIN
    SELECT RAISE(ABORT, 'digital_result_events is append-only');
END;
CREATE TRIGGER digital_result_events_no_delete BEFORE DELETE ON digital_result_events
BEGIN
    SELECT RAISE(ABORT, 'digital_result_events is append-only');
END;

CREATE TABLE digitization_records (
    id            TEXT PRIMARY KEY,
    attachment_id TEXT NOT NULL UNIQUE REFERENCES dossier_attachments (id),
    dossier_id    TEXT NOT NULL REFERENCES dossiers (id),
    commune_code  TEXT NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT,
    digitized_by  TEXT NOT NULL,
    digitized_at  TIMESTAMP NOT NULL,
    reviewed_by   TEXT,
    reviewed_at   TIMESTAMP
);
CREATE INDEX digitization_records_dossier_idx ON digitization_records (dossier_id);
CREATE INDEX digitization_records_commune_idx ON digitization_records (commune_code, status);

CREATE TABLE certification_counters (
    commune_code TEXT NOT NULL,
    year         INTEGER NOT NULL,
    last_no      BIGINT NOT NULL,
    PRIMARY KEY (commune_code, year)
);

CREATE TABLE certifications (
    id                 TEXT PRIMARY KEY,
    commune_code       TEXT NOT NULL,
    year               INTEGER NOT NULL,
    book_no            BIGINT NOT NULL,
    certification_text TEXT NOT NULL,
    pages              INTEGER NOT NULL,
    copies             INTEGER NOT NULL,
    result_id          TEXT NOT NULL REFERENCES digital_results (id),
    officer_id         TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    UNIQUE (commune_code, year, book_no)
);
