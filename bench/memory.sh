#!/usr/bin/env bash
# Resident memory of the server at start and after 100 logins (16 at a time), on SQLite and
# on PostgreSQL. Argon2 needs 19 MiB per hash; see src/auth/password.rs for how that stays
# bounded.
#
#   BENCH_POSTGRES_URL='postgres://user:pw@127.0.0.1:5432/scratch_db?sslmode=disable' bench/memory.sh
#
# The PostgreSQL database named is scratch: its public schema is dropped and re-created.
# BIN=path/to/motcua measures that binary instead of building this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BENCH_POSTGRES_URL:?set BENCH_POSTGRES_URL to a scratch PostgreSQL database}"
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
fi
LOGINS=${LOGINS:-100}
CONCURRENCY=${CONCURRENCY:-16}
PORT=${PORT:-18087}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
# Generous failure limits: the bench logs in the same account many times.
export LOGIN_MAX_FAILURES_PER_USER=1000 LOGIN_MAX_FAILURES_PER_CLIENT=1000
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base=http://127.0.0.1:$PORT/api/v1
rss() { awk '/VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }

measure() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.memory --role reception_officer --commune 04978 --password-stdin >/dev/null
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { echo "server exited"; exit 1; }
    sleep 0.1
  done
  sleep 1
  local start=$(rss $pid)
  local ok=$(seq "$LOGINS" | xargs -P "$CONCURRENCY" -I{} curl -s -o /dev/null -w '%{http_code}\n' -XPOST "$base/auth/token" \
      -H 'content-type: application/json' -d '{"username":"bench.memory","password":"bench-password-123"}' | sort | uniq -c | xargs)
  sleep 1
  echo "   $name: RSS at start $start, after $LOGINS logins ($CONCURRENCY concurrent) $(rss $pid); answers: $ok"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

measure sqlite "sqlite://$tmp/memory.db"
psql "$BENCH_POSTGRES_URL" -qc 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
measure postgresql "$BENCH_POSTGRES_URL"
