ALTER TABLE indicator_monthly DROP COLUMN paper_result;
ALTER TABLE indicator_monthly DROP COLUMN online_counted;
ALTER TABLE indicator_daily DROP COLUMN paper_result;
ALTER TABLE indicator_daily DROP COLUMN online_counted;
ALTER TABLE dossier_facts DROP COLUMN paper_result;
ALTER TABLE dossier_facts DROP COLUMN online_counted;
DELETE FROM calendar_adjustments WHERE created_by = 'migration' AND day IN ('2026-08-22', '2026-08-31');
DROP TABLE holiday_rule_settings;
DROP TABLE province_day_counting;
