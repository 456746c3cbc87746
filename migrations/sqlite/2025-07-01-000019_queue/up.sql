-- The center's front room (issue 19): services and counters, kiosk devices, tickets with a
-- gapless daily number per commune and service prefix, and the events the display reads.

-- What a commune's queue offers: a letter (the ticket prefix, `A` in A015) and the procedure
-- fields it covers (JSON list of field names, informational for the kiosk).
CREATE TABLE queue_services (
    commune_code TEXT NOT NULL REFERENCES communes (code),
    prefix       TEXT NOT NULL,
    name         TEXT NOT NULL,
    fields       TEXT NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (commune_code, prefix)
);

-- A counter (quầy): the prefixes it serves (JSON list), open or closed, its officer now.
CREATE TABLE queue_counters (
    id              TEXT PRIMARY KEY,
    commune_code    TEXT NOT NULL REFERENCES communes (code),
    number          INTEGER NOT NULL,
    name            TEXT NOT NULL,
    services        TEXT NOT NULL,
    is_open         BOOLEAN NOT NULL,
    officer_id      TEXT REFERENCES users (id),
    -- Priority tickets called in a row (fairness rule, domain::queue).
    priority_streak INTEGER NOT NULL,
    opened_at       TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (commune_code, number)
);

-- Kiosks: the key is shown once and stored as its SHA-256.
CREATE TABLE queue_devices (
    id           TEXT PRIMARY KEY,
    commune_code TEXT NOT NULL REFERENCES communes (code),
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);

-- Last number issued per commune, Vietnamese day and prefix: the upsert holds the row until
-- commit, so numbers are 1..N without gaps across instances.
CREATE TABLE queue_number_counters (
    commune_code TEXT NOT NULL,
    day          DATE NOT NULL,
    prefix       TEXT NOT NULL,
    last_seq     BIGINT NOT NULL,
    PRIMARY KEY (commune_code, day, prefix)
);

CREATE TABLE queue_tickets (
    id                 TEXT PRIMARY KEY,
    commune_code       TEXT NOT NULL REFERENCES communes (code),
    day                DATE NOT NULL,
    service            TEXT NOT NULL,
    seq                BIGINT NOT NULL,
    number             TEXT NOT NULL,
    source             TEXT NOT NULL,
    device_id          TEXT REFERENCES queue_devices (id),
    citizen_id         TEXT REFERENCES users (id),
    priority_class     TEXT,
    priority_confirmed BOOLEAN,
    status             TEXT NOT NULL,
    counter_id         TEXT REFERENCES queue_counters (id),
    target_counter_id  TEXT REFERENCES queue_counters (id),
    recalls            INTEGER NOT NULL,
    dossier_id         TEXT REFERENCES dossiers (id),
    issued_at          TIMESTAMP NOT NULL,
    called_at          TIMESTAMP,
    started_at         TIMESTAMP,
    finished_at        TIMESTAMP,
    updated_at         TIMESTAMP NOT NULL,
    UNIQUE (commune_code, day, service, seq)
);
-- call next: the waiting tickets of a commune's day in order.
CREATE INDEX queue_tickets_waiting_idx ON queue_tickets (commune_code, day, status, issued_at);
CREATE INDEX queue_tickets_counter_idx ON queue_tickets (counter_id, status);

-- What the display board streams (calls, recalls, waiting counts), in id order.
CREATE TABLE queue_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    commune_code TEXT NOT NULL,
    kind         TEXT NOT NULL,
    data         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX queue_events_commune_idx ON queue_events (commune_code, id);
