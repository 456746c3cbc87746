DROP INDEX IF EXISTS dossiers_province_open_received_idx;
DROP INDEX IF EXISTS dossiers_commune_open_received_idx;
DROP TABLE indicator_monthly;
DROP TABLE indicator_daily;
DROP TABLE dossier_facts;
