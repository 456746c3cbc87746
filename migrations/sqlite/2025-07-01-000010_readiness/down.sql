DROP TRIGGER readiness_events_no_update;
DROP TRIGGER readiness_events_no_delete;
DROP TABLE readiness_events;
DROP TABLE readiness_items;
DROP TABLE readiness_province_configs;
