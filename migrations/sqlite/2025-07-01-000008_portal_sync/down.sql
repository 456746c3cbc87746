DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE portal_outbox;
DROP INDEX dossiers_portal_reference_idx;
ALTER TABLE dossiers DROP COLUMN portal_reference;
DROP INDEX dossier_events_feed_idx;
ALTER TABLE dossier_events DROP COLUMN txid;
