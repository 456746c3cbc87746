-- Issue 15: deadlines, holidays and indicators as the law counts them.
--
-- Existing dossiers keep the due instant they were given: nothing here touches
-- `dossiers.due_at` (a promise printed on a receipt is not moved); the Civil Code rule
-- applies to dossiers received from now on.

-- Per-province choice of how a period of working days is counted: `civil_code` (Civil
-- Code 2015 Art. 147(2), 148(1), the default for a province without a row) or
-- `working_hours` (8 working hours a day from the reception instant) where a provincial
-- regulation requires it; `legal_basis` names that regulation.
CREATE TABLE province_day_counting (
    province_code TEXT PRIMARY KEY,
    counting      TEXT NOT NULL,
    legal_basis   TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    changed_at    TIMESTAMP NOT NULL
);

-- Statutory holiday rules (domain::calendar::HOLIDAY_RULES) an operator switched on or
-- off without a release; a rule without a row is on.
CREATE TABLE holiday_rule_settings (
    rule_id    TEXT PRIMARY KEY,
    enabled    BOOLEAN NOT NULL,
    reason     TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);

-- The government's 2026 decisions that differ from the computed calendar (TB 9441/TB-BNV):
-- Monday 31/8/2026 off in exchange for Saturday 22/8/2026 worked. Tết 16–20/2/2026 and
-- National Day 1–2/9/2026 are the computed defaults. A date an operator already entered
-- is left as it is.
INSERT INTO calendar_adjustments (day, kind, name, legal_basis, created_by, created_at) VALUES
    ('2026-08-22', 'working_day', 'Làm bù cho ngày nghỉ 31/8/2026', 'Thông báo 9441/TB-BNV', 'migration', CURRENT_TIMESTAMP),
    ('2026-08-31', 'day_off', 'Nghỉ hoán đổi Quốc khánh (làm bù thứ Bảy 22/8/2026)', 'Thông báo 9441/TB-BNV', 'migration', CURRENT_TIMESTAMP)
ON CONFLICT (day) DO NOTHING;

-- Decision 766/QĐ-TTg indicators 3.3 and 4.1 (see domain::indicators). Facts of existing
-- dossiers get the new counters from `motcua indicators rebuild`.
ALTER TABLE dossier_facts ADD COLUMN online_counted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossier_facts ADD COLUMN paper_result BIGINT NOT NULL DEFAULT 0;
ALTER TABLE indicator_daily ADD COLUMN online_counted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE indicator_daily ADD COLUMN paper_result BIGINT NOT NULL DEFAULT 0;
ALTER TABLE indicator_monthly ADD COLUMN online_counted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE indicator_monthly ADD COLUMN paper_result BIGINT NOT NULL DEFAULT 0;
