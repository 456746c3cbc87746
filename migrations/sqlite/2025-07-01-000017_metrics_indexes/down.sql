DROP INDEX login_failures_time_idx;
DROP INDEX webhook_deliveries_open_idx;
