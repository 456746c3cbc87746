#!/usr/bin/env bash
# Query plans of the dossier list queries the API issues (scope, filter, order, keyset).
#   bench/plans.sh sqlite://path.db | postgres://…
set -euo pipefail
url=$1
cursor_at=$(date -u -d '-200 days' '+%Y-%m-%d %H:%M:%S')
queries=(
  "SELECT * FROM dossiers WHERE province_code = '25' AND status = 'processing' ORDER BY submitted_at DESC, id DESC LIMIT 21"
  "SELECT * FROM dossiers WHERE province_code = '25' AND status = 'processing' AND submitted_at <= '$cursor_at' AND (submitted_at < '$cursor_at' OR id < 'zzz') ORDER BY submitted_at DESC, id DESC LIMIT 21"
  "SELECT * FROM dossiers WHERE commune_code = '04978' ORDER BY submitted_at DESC, id DESC LIMIT 21"
  "SELECT * FROM dossiers WHERE commune_code = '04978' AND status = 'processing' ORDER BY submitted_at DESC, id DESC LIMIT 21"
  "SELECT * FROM dossiers WHERE commune_code = '04978' AND finished_at IS NULL AND paused_at IS NULL AND due_at < CURRENT_TIMESTAMP ORDER BY submitted_at DESC, id DESC LIMIT 21"
  "SELECT * FROM dossiers WHERE province_code = '25' AND finished_at IS NULL AND paused_at IS NULL AND due_at < CURRENT_TIMESTAMP ORDER BY submitted_at DESC, id DESC LIMIT 21"
  "SELECT * FROM dossiers WHERE province_code = '25' AND finished_at IS NULL AND paused_at IS NULL AND due_at < CURRENT_TIMESTAMP AND submitted_at <= '$cursor_at' AND (submitted_at < '$cursor_at' OR id < 'zzz') ORDER BY submitted_at DESC, id DESC LIMIT 21"
  "SELECT * FROM dossiers WHERE code = 'H25.04978-260101-0001'"
)
for q in "${queries[@]}"; do
  echo "### $q"
  case "$url" in
    postgres*) psql "$url" -X -q -c "EXPLAIN (ANALYZE, BUFFERS) $q" ;;
    *) python3 - "${url#sqlite://}" "$q" <<'PY'
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute("EXPLAIN QUERY PLAN " + sys.argv[2]):
    print(row)
PY
    ;;
  esac
  echo
done
