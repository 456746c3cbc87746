-- Identity (issue 13): a personal ID on an account is an identity claim and counts only
-- when it came from a verified source (the identity provider, or an audited system_admin
-- action). Values set before this migration have no source and grant nothing.
ALTER TABLE users ADD COLUMN personal_id_source TEXT;
ALTER TABLE users ADD COLUMN personal_id_verified_at TIMESTAMP;
-- One active citizen account per verified personal ID.
CREATE UNIQUE INDEX users_verified_personal_id_idx ON users (personal_id)
    WHERE personal_id_source IS NOT NULL AND role = 'citizen' AND active;

-- Subjects of the external identity provider, mapped to local accounts.
CREATE TABLE external_identities (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX external_identities_user_idx ON external_identities (user_id);

-- Who set or proved an account's identity, and which dossiers were linked to it.
CREATE TABLE identity_events (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    dossier_id  TEXT REFERENCES dossiers (id),
    detail      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX identity_events_user_idx ON identity_events (user_id, created_at);
CREATE FUNCTION identity_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'identity_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER identity_events_no_update BEFORE UPDATE OR DELETE ON identity_events
    FOR EACH ROW EXECUTE FUNCTION identity_events_append_only();
