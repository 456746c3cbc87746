DROP TABLE dossier_ratings;
DROP TABLE idempotency_keys;
DROP TABLE dossier_attachments;
DROP TABLE stored_files;
DROP TRIGGER dossier_events_no_update ON dossier_events;
DROP FUNCTION dossier_events_append_only();
DROP TABLE dossier_events;
DROP TABLE dossier_counters;
DROP TABLE dossiers;
