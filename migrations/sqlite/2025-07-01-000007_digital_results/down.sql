DROP TABLE certifications;
DROP TABLE certification_counters;
DROP TABLE digitization_records;
DROP TRIGGER digital_result_events_no_update;
DROP TRIGGER digital_result_events_no_delete;
DROP TABLE digital_result_events;
DROP TABLE digital_results;
