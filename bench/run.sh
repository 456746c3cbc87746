#!/usr/bin/env bash
# Foundation benchmark: GET /health and GET /api/v1/auth/me (valid token) under wrk, on SQLite
# and (when BENCH_POSTGRES_URL is set) PostgreSQL; idle RSS; time from start to ready.
#   bench/run.sh                       # SQLite only
#   BENCH_POSTGRES_URL=postgres://motcua:motcua@127.0.0.1:5432/motcua_bench bench/run.sh
# Loads only 127.0.0.1, for DURATION seconds per endpoint (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
BIN=target/release/motcua
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
PORT=${PORT:-18080}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.officer --role reception_officer --commune 04978 --password-stdin >/dev/null 2>&1 || true
  # Start to ready on an existing database.
  local t0=$(date +%s%N)
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.01; done
  local t1=$(date +%s%N)
  sleep 1
  local rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  local token=$(curl -fs -XPOST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
      -d '{"username":"bench.officer","password":"bench-password-123"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
  echo "== $name: start-to-ready $(( (t1 - t0) / 1000000 )) ms, idle RSS $((rss / 1024)) MB"
  for path in /health /api/v1/auth/me; do
    echo "-- GET $path ($CONNS connections, ${DURATION}s)"
    wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path" \
      | grep -E 'Requests/sec|99%|50%|Non-2xx'
  done
  kill $pid; wait $pid 2>/dev/null || true
}

bench_backend sqlite "sqlite://$tmp/bench.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
