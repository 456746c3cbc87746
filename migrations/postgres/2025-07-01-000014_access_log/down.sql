DROP TABLE access_log_heads;
DROP FUNCTION access_log_heads_forward_only();
DROP TABLE access_log;
DROP FUNCTION access_log_append_only();
