#!/usr/bin/env bash
# motcua against the database's own limit, in one run on one machine. The machine is shared
# and noisy, so no figure means much alone: each is printed next to what pgbench does on the
# same PostgreSQL in the same run.
#
#   BENCH_POSTGRES_URL='postgres://user:pw@127.0.0.1:5432/scratch_db?sslmode=disable' bench/ratio.sh
#
# The database named is scratch: pgbench's tables are created in it, then its public schema
# is dropped and re-created for motcua. On loopback use sslmode=disable (TLS would cost a
# third of intake). Steps, DURATION seconds each (default 10):
#   1. pgbench -i -s 10, then select-only (-S) and simple-write (-N), 16 clients, over TCP;
#   2. per backend (SQLite, then PostgreSQL), COUNT generated dossiers (default 100,000):
#      GET /dossiers/{code} (officer, 32 connections), a province list's first page
#      (32 connections), counter intake at one commune and spread over eight (16
#      connections), and the drain of a portal backlog of DRAIN dossiers (default 20,000)
#      through the mock portal.
# Reads are compared with select-only, writes (intake, drain) with simple-write.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BENCH_POSTGRES_URL:?set BENCH_POSTGRES_URL to a scratch PostgreSQL database}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v pgbench >/dev/null || { echo "pgbench not found (Debian: postgresql-contrib or postgresql-15)"; exit 1; }
# BIN=path/to/motcua measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
fi
COUNT=${COUNT:-100000}
DRAIN=${DRAIN:-20000}
DURATION=${DURATION:-10}
PORT=${PORT:-18085}
MOCK_PORT=${MOCK_PORT:-18092}
INTAKE_COMMUNES="04978 04792 04795 04828 04831 04846 04849 04873"
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
export PORTAL_URL=http://127.0.0.1:$MOCK_PORT PORTAL_USERNAME=bench PORTAL_PASSWORD=bench PORTAL_POLL_MS=100
tmp=$(mktemp -d)
pid= mock=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$mock" ] && kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT
base=http://127.0.0.1:$PORT/api/v1
results=$tmp/results

json() { python3 -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() { curl -fs -XPOST "$base/auth/token" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password-123\"}" | json 'd["access_token"]'; }
# wrk CONNS args… → requests per second (and p99), recorded under LABEL
rate() {
  local label=$1 conns=$2; shift 2
  local out rps p99 bad
  out=$(wrk -t2 -c"$conns" -d"${DURATION}s" --latency "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "$label|$rps|$p99|${bad:-0}" >> "$results"
  echo "   $label: $rps/s (p99 $p99${bad:+, $bad non-2xx})"
}
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

echo "== pgbench (16 clients, TCP, scale 10)"
psql "$BENCH_POSTGRES_URL" -qc 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
pgbench -i -q -s 10 "$BENCH_POSTGRES_URL" >/dev/null 2>&1
for mode in S N; do
  tps=$(pgbench -n -$mode -c 16 -j 2 -T "$DURATION" "$BENCH_POSTGRES_URL" 2>/dev/null | awk '/^tps/ {print int($3)}')
  label=$([ $mode = S ] && echo "pgbench select-only" || echo "pgbench simple-write")
  echo "$label|$tps||0" >> "$results"
  echo "   $label: $tps/s"
done

$BIN mock-portal --port "$MOCK_PORT" > "$tmp/mock.log" & mock=$!

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  echo "== $name: $COUNT dossiers"
  $BIN seed >/dev/null
  $BIN generate-dossiers --count "$COUNT" --seed 1 2>&1 | grep -v r2d2 | tail -1
  local c tokens=""
  for c in $INTAKE_COMMUNES; do
    echo 'bench-password-123' | $BIN user create --username "bench.officer.$c" --role reception_officer --commune "$c" --password-stdin >/dev/null
  done
  echo 'bench-password-123' | $BIN user create --username bench.province --role province_supervisor --province 25 --password-stdin >/dev/null
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  local first=${INTAKE_COMMUNES%% *}
  local officer=$(login "bench.officer.$first") province=$(login bench.province)
  for c in $INTAKE_COMMUNES; do tokens="$tokens${tokens:+,}$(login "bench.officer.$c")"; done
  local code=$(curl -fs "$base/dossiers?limit=1" -H "authorization: Bearer $officer" | json 'd["items"][0]["code"]')
  rate "$name GET /dossiers/{code}" 32 -H "Authorization: Bearer $officer" "$base/dossiers/$code"
  rate "$name province list, first page" 32 -H "Authorization: Bearer $province" "$base/dossiers?limit=20"
  TOKENS=$officer rate "$name intake, one commune" 16 -s bench/intake.lua "$base/dossiers"
  TOKENS=$tokens rate "$name intake, eight communes" 16 -s bench/intake.lua "$base/dossiers"
  kill $pid; wait $pid 2>/dev/null || true; pid=

  # Portal drain: DRAIN dossiers with one undelivered message each, 4 workers.
  sql "$url" "DELETE FROM portal_outbox" >/dev/null
  sql "$url" "INSERT INTO portal_outbox (dossier_id, event_id, service, idempotency_ref, payload, status, attempts, next_attempt_at, created_at) \
              SELECT id, 0, 'DongBoHoSoMC', code || ':backlog', '', 'pending', 0, created_at, created_at FROM dossiers ORDER BY id LIMIT $DRAIN" >/dev/null
  local t0=$(date +%s.%N) left=$DRAIN
  PORTAL_WORKERS=4 PORTAL_BATCH=50 $BIN serve & pid=$!
  while [ "$left" -gt 0 ]; do
    sleep 0.5
    left=$(sql "$url" "SELECT COUNT(*) FROM portal_outbox WHERE status <> 'sent'")
  done
  local t1=$(date +%s.%N)
  kill $pid; wait $pid 2>/dev/null || true; pid=
  local per=$(python3 -c "print(int($DRAIN / ($t1 - $t0)))")
  echo "$name portal drain ($DRAIN messages)|$per||0" >> "$results"
  echo "   $name portal drain: $per messages/s (start-up included)"
}

bench_backend sqlite "sqlite://$tmp/ratio.db"
psql "$BENCH_POSTGRES_URL" -qc 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
bench_backend postgresql "$BENCH_POSTGRES_URL"

echo
echo "== $(date -u +%Y-%m-%d) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
python3 - "$results" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
ref = {r[0]: float(r[1]) for r in rows if r[0].startswith("pgbench")}
print(f"| {'measure':<48} | {'per second':>10} | {'p99':>8} | {'ratio':>26} |")
print(f"|{'-'*50}|{'-'*12}|{'-'*10}|{'-'*28}|")
for label, rps, p99, bad in rows:
    if label.startswith("pgbench"):
        ratio = "—"
    else:
        write = "intake" in label or "drain" in label
        base = ref["pgbench simple-write" if write else "pgbench select-only"]
        ratio = f"{float(rps) / base:.3f}× {'simple-write' if write else 'select-only'}"
    flag = f" ({bad} non-2xx)" if bad not in ("", "0") else ""
    print(f"| {label:<48} | {float(rps):>10,.0f} | {p99 or '':>8} | {ratio + flag:>26} |")
PY
