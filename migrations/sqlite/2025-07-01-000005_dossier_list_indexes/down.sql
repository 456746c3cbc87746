DROP INDEX IF EXISTS dossiers_province_open_idx;
DROP INDEX IF EXISTS users_personal_id_idx;
DROP INDEX IF EXISTS dossiers_province_status_idx;
DROP INDEX IF EXISTS dossiers_commune_open_idx;
CREATE INDEX dossiers_commune_due_idx ON dossiers (commune_code, due_at) WHERE finished_at IS NULL;
