DROP TABLE identity_events;
DROP TABLE external_identities;
DROP INDEX users_verified_personal_id_idx;
ALTER TABLE users DROP COLUMN personal_id_verified_at;
ALTER TABLE users DROP COLUMN personal_id_source;
