#!/usr/bin/env bash
# Indicator reports at scale: generates COUNT dossiers (default 1,000,000) across the 148
# communes of Phú Thọ (generate-dossiers also rebuilds the indicator aggregates from them),
# then measures the province report for one month and for one year, the commune report for
# a month and a year, a province year broken down by procedure, and the first page of the
# dossiers behind a commune's "finished late" count, and the readiness board of the province
# and of one commune.
#   bench/reports.sh                                                       # SQLite
#   BENCH_POSTGRES_URL='postgres://…/empty_db?sslmode=disable' bench/reports.sh   # and PostgreSQL
# One client at a time (-c1: latency of a single report) and then CONNS clients (throughput);
# DURATION seconds per measurement (default 10). Loads only 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
COUNT=${COUNT:-1000000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-4}
SEED=${SEED:-1}
COMMUNE=${COMMUNE:-04978}
PORT=${PORT:-18083}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base=http://127.0.0.1:$PORT/api/v1
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() { curl -fs -XPOST "$base/auth/token" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password-123\"}" | json 'd["access_token"]'; }
measure() {
  echo "   1 client:";  wrk -t1 -c1 -d"${DURATION}s" --latency "$@" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
  echo "   $CONNS clients:"; wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
}

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  local t0=$(date +%s)
  RUST_LOG=info $BIN generate-dossiers --count "$COUNT" --seed "$SEED" 2>&1 | grep -E 'dossiers across|indicators rebuilt' | sed 's/^.*\] //'
  echo "== $name: $COUNT dossiers generated and aggregated in $(( $(date +%s) - t0 )) s"
  echo 'bench-password-123' | $BIN user create --username bench.leader --role leader --commune "$COMMUNE" --password-stdin >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.province --role province_supervisor --province 25 --password-stdin >/dev/null
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  local leader=$(login bench.leader) province=$(login bench.province)
  local last_month=$(date -u -d "$(date -u +%Y-%m-01) -1 day" +%F) year=$(date -u +%F)
  local sample=$(curl -fs "$base/reports/provinces/25?period=year&date=$year" -H "authorization: Bearer $province" \
    | json '"%d received, %d finished on time, %d late, %d open overdue, %d communes ranked" % (d["counters"]["received"], d["counters"]["finished_on_time"], d["counters"]["finished_late"], d["open"]["open_overdue"], len(d["ranking"]))')
  echo "   province year: $sample"
  echo "-- province report, one month ($last_month)"; measure -H "Authorization: Bearer $province" "$base/reports/provinces/25?period=month&date=$last_month"
  echo "-- province report, one year"; measure -H "Authorization: Bearer $province" "$base/reports/provinces/25?period=year&date=$year"
  echo "-- commune report, one month"; measure -H "Authorization: Bearer $leader" "$base/reports/communes/$COMMUNE?period=month&date=$last_month"
  echo "-- commune report, one year"; measure -H "Authorization: Bearer $leader" "$base/reports/communes/$COMMUNE?period=year&date=$year"
  echo "-- province report, one year, by procedure (per-dossier facts)"; measure -H "Authorization: Bearer $province" "$base/reports/provinces/25?period=year&date=$year&by=procedure"
  echo "-- province report, one year, XLSX"; measure -H "Authorization: Bearer $province" "$base/reports/provinces/25?period=year&date=$year&format=xlsx"
  echo "-- readiness board, province (N of M green, what each commune lacks)"; measure -H "Authorization: Bearer $province" "$base/readiness/provinces/25"
  echo "-- readiness board, one commune"; measure -H "Authorization: Bearer $leader" "$base/readiness/communes/$COMMUNE"
  echo "-- commune: dossiers behind finished_late, one year, first page"; measure -H "Authorization: Bearer $leader" "$base/reports/communes/$COMMUNE/dossiers?measure=finished_late&period=year&date=$year"
  kill $pid; wait $pid 2>/dev/null || true; pid=
  local t1=$(date +%s)
  $BIN rebuild-indicators
  echo "-- rebuild-indicators over $COUNT dossiers: $(( $(date +%s) - t1 )) s"
}

bench_backend sqlite "sqlite://$tmp/reports.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
