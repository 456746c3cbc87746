-- List indexes found missing by the 1M-dossier benchmark (bench/dossiers.sh, bench/plans-*.txt).
-- IF [NOT] EXISTS: a few databases were created while these lived in the earlier migrations.

-- Open dossiers in list order: the overdue and due-soon lists walk it without sorting
-- (the (commune, due_at) index made them sort every open dossier of the commune).
DROP INDEX IF EXISTS dossiers_commune_due_idx;
CREATE INDEX IF NOT EXISTS dossiers_commune_open_idx ON dossiers (commune_code, submitted_at DESC, id DESC) WHERE finished_at IS NULL;

-- A province supervisor filtering by status: open statuses are a few percent of a
-- province's dossiers and sit in the last weeks, so walking the province index and
-- filtering read thousands of rows per deep page.
CREATE INDEX IF NOT EXISTS dossiers_province_status_idx ON dossiers (province_code, status, submitted_at DESC, id DESC);

-- The same for a province supervisor's overdue list: overdue dossiers are the stuck tail
-- of two years; walking the whole province index to find them read over 12,000 rows for
-- the first page at 1M dossiers. Open dossiers are a few percent of the rows.
CREATE INDEX IF NOT EXISTS dossiers_province_open_idx ON dossiers (province_code, submitted_at DESC, id DESC) WHERE finished_at IS NULL;

-- Counter intake links the dossier to the citizen account with the applicant's personal ID.
CREATE INDEX IF NOT EXISTS users_personal_id_idx ON users (personal_id);
