#!/usr/bin/env bash
# Cost of the personal-data access log on reads: GET /dossiers/{code} by a commune officer
# (every answer writes one hash-chained entry, committed before the answer), and a list page
# of 20 (20 entries). Compare with a binary built before the access log:
#   BASELINE_BIN=/path/to/old/motcua bench/access_log.sh                 # SQLite
#   BASELINE_BIN=… BENCH_POSTGRES_URL='postgres://…/empty_db?sslmode=disable' bench/access_log.sh
# Each binary gets a fresh database (COUNT generated dossiers, default 20,000, in Phú Thọ).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN=path/to/motcua measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
fi
COUNT=${COUNT:-20000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
PORT=${PORT:-18083}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base=http://127.0.0.1:$PORT/api/v1
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
measure() { wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'; }

run() {
  local label=$1 bin=$2 url=$3
  export DATABASE_URL=$url
  $bin seed >/dev/null
  $bin generate-dossiers --count "$COUNT" --seed 1 >/dev/null 2>&1
  echo 'bench-password-123' | $bin user create --username bench.officer --role reception_officer --commune 04978 --password-stdin >/dev/null
  $bin serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  local officer=$(curl -fs -XPOST "$base/auth/token" -H 'content-type: application/json' -d '{"username":"bench.officer","password":"bench-password-123"}' | json 'd["access_token"]')
  local code=$(curl -fs "$base/dossiers?limit=1" -H "authorization: Bearer $officer" | json 'd["items"][0]["code"]')
  echo "-- $label: GET /dossiers/$code (officer, one commune's chain)"; measure -H "Authorization: Bearer $officer" "$base/dossiers/$code"
  echo "-- $label: GET /dossiers?limit=20 (officer)"; measure -H "Authorization: Bearer $officer" "$base/dossiers?limit=20"
  kill $pid; wait $pid 2>/dev/null || true; pid=
  if [ "$label" = "with access log" ]; then $bin audit verify --commune 04978 | tail -1; fi
}

pg_reset() { psql "$1" -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null; }

echo "== SQLite"
[ -n "${BASELINE_BIN:-}" ] && run "without access log" "$BASELINE_BIN" "sqlite://$tmp/base.db"
run "with access log" "$BIN" "sqlite://$tmp/new.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  echo "== PostgreSQL"
  if [ -n "${BASELINE_BIN:-}" ]; then pg_reset "$BENCH_POSTGRES_URL"; run "without access log" "$BASELINE_BIN" "$BENCH_POSTGRES_URL"; fi
  pg_reset "$BENCH_POSTGRES_URL"; run "with access log" "$BIN" "$BENCH_POSTGRES_URL"
fi
