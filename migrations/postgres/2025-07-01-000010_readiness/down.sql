DROP TABLE readiness_events;
DROP FUNCTION readiness_events_append_only();
DROP TABLE readiness_items;
DROP TABLE readiness_province_configs;
