DROP TABLE certifications;
DROP TABLE certification_counters;
DROP TABLE digitization_records;
DROP TRIGGER digital_result_events_no_update ON digital_result_events;
DROP FUNCTION digital_result_events_append_only();
DROP TABLE digital_result_events;
DROP TABLE digital_results;
