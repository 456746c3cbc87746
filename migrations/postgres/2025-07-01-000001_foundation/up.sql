-- Registry of administrative units (Decision 19/2025/QĐ-TTg), accounts and sessions.
-- Timestamps are UTC. Identifiers are UUID strings so that one schema serves SQLite too.

CREATE TABLE provinces (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    unit_type   TEXT NOT NULL,
    formed_from TEXT NOT NULL,
    search_key  TEXT NOT NULL
);

CREATE TABLE communes (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    unit_type       TEXT NOT NULL,
    province_code   TEXT NOT NULL REFERENCES provinces (code),
    formed_from     TEXT NOT NULL,
    predecessors    TEXT NOT NULL,
    search_key      TEXT NOT NULL,
    lineage_key     TEXT NOT NULL,
    agency_code     TEXT,
    address         TEXT,
    phone           TEXT,
    email           TEXT,
    opening_hours   TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX communes_province_idx ON communes (province_code, code);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    search_key    TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    commune_code  TEXT REFERENCES communes (code),
    province_code TEXT REFERENCES provinces (code),
    personal_id   TEXT,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    session_epoch BIGINT NOT NULL DEFAULT 0,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX users_commune_idx ON users (commune_code, username);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    revoked_at  TIMESTAMP
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE login_failures (
    id           TEXT PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    failed_at    TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (throttle_key, failed_at);
