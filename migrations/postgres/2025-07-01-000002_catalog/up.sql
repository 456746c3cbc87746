-- Catalog of administrative procedures (TTHC), versioned with effective dates, and the
-- procedures each commune publishes.
--
-- A procedure row is only its identity (national code), its active flag and its record
-- version (ETag). Everything the law can change lives in procedure_versions: each version is
-- in force over [effective_from, effective_to); the latest has effective_to NULL. A version
-- superseded before it took effect keeps effective_to = effective_from (never in force).
-- Lists filter on the version in force at a date, so the filter columns (search_key,
-- field_key, online_levels) are stored per version. Dossiers keep the id of the version they
-- were received under, so versions are never deleted.

CREATE TABLE procedures (
    id                 TEXT PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    current_version_no BIGINT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE procedure_versions (
    id                 TEXT PRIMARY KEY,
    procedure_id       TEXT NOT NULL REFERENCES procedures (id),
    version_no         BIGINT NOT NULL,
    effective_from     DATE NOT NULL,
    effective_to       DATE,
    name               TEXT NOT NULL,
    field              TEXT NOT NULL,
    implementing_level TEXT NOT NULL,
    legal_basis        TEXT NOT NULL,
    result_type        TEXT NOT NULL,
    -- JSON array of cases (trường hợp) with processing time, online level and documents.
    cases              TEXT NOT NULL,
    -- Folded name, code and field (accent- and case-insensitive search).
    search_key         TEXT NOT NULL,
    -- Folded field, for the `field` filter.
    field_key          TEXT NOT NULL,
    -- Online levels of the cases, as ",full,partial," (for the `online_level` filter).
    online_levels      TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    -- The account that made the version; NULL for the seed and the command line.
    created_by         TEXT,
    UNIQUE (procedure_id, version_no)
);
CREATE INDEX procedure_versions_in_force_idx ON procedure_versions (procedure_id, effective_from);

CREATE TABLE commune_procedures (
    commune_code TEXT NOT NULL REFERENCES communes (code),
    procedure_id TEXT NOT NULL REFERENCES procedures (id),
    published_at TIMESTAMP NOT NULL,
    -- The account that published it; NULL for the demo seed.
    published_by TEXT,
    PRIMARY KEY (commune_code, procedure_id)
);
CREATE INDEX commune_procedures_procedure_idx ON commune_procedures (procedure_id);
