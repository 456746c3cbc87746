#!/usr/bin/env bash
# Registry and catalog benchmark: time `motcua seed` on an empty database (34 provinces,
# 3,321 communes, sample catalog), then load commune search and GET /communes/{code}.
#   bench/registry.sh
#   BENCH_POSTGRES_URL=postgres://motcua:motcua@127.0.0.1:5432/motcua_bench_registry bench/registry.sh
# The PostgreSQL database must exist and be empty (its tables are created by the run).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
BIN=target/release/motcua
DURATION=${DURATION:-10}
CONNS=${CONNS:-4}
PORT=${PORT:-18081}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN migrate >/dev/null
  local t0=$(date +%s%N)
  $BIN seed >/dev/null
  local t1=$(date +%s%N)
  $BIN seed >/dev/null
  local t2=$(date +%s%N)
  echo "== $name: first seed $(( (t1 - t0) / 1000000 )) ms, idempotent re-seed $(( (t2 - t1) / 1000000 )) ms"
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.05; done
  for path in "/api/v1/communes?q=hoa%20binh" "/api/v1/communes?q=V%C4%A9nh%20%C4%90%E1%BB%93ng" "/api/v1/communes?province_code=25&limit=100" "/api/v1/communes/04978"; do
    echo "-- GET $path ($CONNS connections, ${DURATION}s)"
    wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$path" | grep -E 'Requests/sec|50%|99%|Non-2xx'
  done
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

bench_backend sqlite "sqlite://$tmp/registry.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
