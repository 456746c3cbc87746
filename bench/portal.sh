#!/usr/bin/env bash
# Portal outbox: the backlog after an outage. Generates COUNT dossiers (default 100,000)
# with one undelivered portal message each, starts the mock portal and the server with
# PORTAL_WORKERS workers (default 4), and times the drain: messages delivered per second
# until the outbox is empty.
#   bench/portal.sh                                     # SQLite
#   BENCH_POSTGRES_URL='postgres://…/empty_db?sslmode=disable' bench/portal.sh   # and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
COUNT=${COUNT:-100000}
PORT=${PORT:-18084}
MOCK_PORT=${MOCK_PORT:-18091}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
export PORTAL_URL=http://127.0.0.1:$MOCK_PORT PORTAL_USERNAME=bench PORTAL_PASSWORD=bench
export PORTAL_WORKERS=${PORTAL_WORKERS:-4} PORTAL_BATCH=${PORTAL_BATCH:-50} PORTAL_POLL_MS=100
tmp=$(mktemp -d)
pid=
mock=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$mock" ] && kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT

sql() { # url, statement → first column of the first row
  python3 - "$1" "$2" <<'PY'
import sys, subprocess
url, stmt = sys.argv[1], sys.argv[2]
if url.startswith("postgres"):
    print(subprocess.run(["psql", url, "-Atqc", stmt], check=True, capture_output=True, text=True).stdout.strip())
else:
    import sqlite3
    c = sqlite3.connect(url.removeprefix("sqlite://"), timeout=30)
    r = c.execute(stmt).fetchone(); c.commit()
    print(r[0] if r else "")
PY
}

$BIN mock-portal --port "$MOCK_PORT" > "$tmp/mock.log" & mock=$!

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  $BIN generate-dossiers --count "$COUNT" 2>&1 | grep -v r2d2 | tail -1
  sql "$url" "INSERT INTO portal_outbox (dossier_id, event_id, service, idempotency_ref, payload, status, attempts, next_attempt_at, created_at) \
              SELECT id, 0, 'DongBoHoSoMC', code || ':backlog', '', 'pending', 0, created_at, created_at FROM dossiers" >/dev/null
  local backlog=$(sql "$url" "SELECT COUNT(*) FROM portal_outbox WHERE status = 'pending'")
  echo "== $name: $backlog messages waiting; $PORTAL_WORKERS workers, batch $PORTAL_BATCH"
  local t0=$(date +%s.%N)
  $BIN serve & pid=$!
  local left=$backlog
  while [ "$left" -gt 0 ]; do
    sleep 1
    left=$(sql "$url" "SELECT COUNT(*) FROM portal_outbox WHERE status <> 'sent'")
  done
  local t1=$(date +%s.%N)
  python3 -c "d=$t1-$t0; print(f'-- drained {$backlog} messages in {d:.1f} s: {$backlog/d:.0f} messages/s (start-up included)')"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

bench_backend sqlite "sqlite://$tmp/portal.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
