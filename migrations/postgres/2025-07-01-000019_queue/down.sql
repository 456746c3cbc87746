DROP TABLE queue_events;
DROP TABLE queue_tickets;
DROP TABLE queue_number_counters;
DROP TABLE queue_devices;
DROP TABLE queue_counters;
DROP TABLE queue_services;
