DROP TABLE access_log_heads;
DROP TABLE access_log;
