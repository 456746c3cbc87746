#!/usr/bin/env bash
# Dossier benchmark at scale: generates COUNT dossiers (default 1,000,000) across the 148
# communes of Phú Thọ, then measures counter intake, GET /dossiers/{code}, and the first
# and a deep page of a filtered province list; prints the query plans of the list queries.
#   bench/dossiers.sh                                   # SQLite
#   BENCH_POSTGRES_URL='postgres://…/empty_db?sslmode=disable' bench/dossiers.sh   # and PostgreSQL
# (on loopback, sslmode=disable: libpq otherwise negotiates TLS, which costs a third of intake)
# Loads only 127.0.0.1, DURATION seconds per measurement (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN=path/to/motcua measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
fi
COUNT=${COUNT:-1000000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
DEPTH=${DEPTH:-200}
SEED=${SEED:-1}
# Communes of the multi-commune intake run (the first is also the single-commune one).
INTAKE_COMMUNES=${INTAKE_COMMUNES:-"04978 04792 04795 04828 04831 04846 04849 04873"}
PORT=${PORT:-18082}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base=http://127.0.0.1:$PORT/api/v1
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() { curl -fs -XPOST "$base/auth/token" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password-123\"}" | json 'd["access_token"]'; }
measure() { wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'; }

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  local t0=$(date +%s)
  $BIN generate-dossiers --count "$COUNT" --seed "$SEED" 2>&1 | grep -v r2d2 | tail -1
  echo "== $name: $COUNT dossiers generated in $(( $(date +%s) - t0 )) s"
  local c
  for c in $INTAKE_COMMUNES; do
    echo 'bench-password-123' | $BIN user create --username "bench.officer.$c" --role reception_officer --commune "$c" --password-stdin >/dev/null
  done
  echo 'bench-password-123' | $BIN user create --username bench.province --role province_supervisor --province 25 --password-stdin >/dev/null
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  local first=${INTAKE_COMMUNES%% *} tokens=""
  local officer=$(login "bench.officer.$first") province=$(login bench.province)
  for c in $INTAKE_COMMUNES; do tokens="$tokens${tokens:+,}$(login "bench.officer.$c")"; done
  local code=$(curl -fs "$base/dossiers?limit=1" -H "authorization: Bearer $officer" | json 'd["items"][0]["code"]')
  local filter="status=processing"
  local cursor=""
  for _ in $(seq 1 "$DEPTH"); do
    cursor=$(curl -fs "$base/dossiers?$filter&limit=20${cursor:+&cursor=$cursor}" -H "authorization: Bearer $province" | json 'd["next_cursor"]')
  done
  echo "-- GET /dossiers/$code (officer)"; measure -H "Authorization: Bearer $officer" "$base/dossiers/$code"
  echo "-- first page ?$filter (province, 1M rows in scope)"; measure -H "Authorization: Bearer $province" "$base/dossiers?$filter&limit=20"
  echo "-- page $DEPTH ?$filter"; measure -H "Authorization: Bearer $province" "$base/dossiers?$filter&limit=20&cursor=$cursor"
  # Overdue at province scope: the stuck tail, spread over two years.
  local ocursor="" next depth=0
  for _ in $(seq 1 "$DEPTH"); do
    next=$(curl -fs "$base/dossiers?overdue=true&limit=20${ocursor:+&cursor=$ocursor}" -H "authorization: Bearer $province" | json 'd["next_cursor"] or ""')
    [ -z "$next" ] && break
    ocursor=$next; depth=$((depth + 1))
  done
  echo "-- first page ?overdue=true (province)"; measure -H "Authorization: Bearer $province" "$base/dossiers?overdue=true&limit=20"
  echo "-- page $((depth + 1)) ?overdue=true (province)"; measure -H "Authorization: Bearer $province" "$base/dossiers?overdue=true&limit=20${ocursor:+&cursor=$ocursor}"
  echo "-- first page ?overdue=true (officer, one commune)"; measure -H "Authorization: Bearer $officer" "$base/dossiers?overdue=true&limit=20"
  echo "-- intake at one commune's counter (POST /dossiers)"; TOKENS=$officer measure -s bench/intake.lua "$base/dossiers"
  echo "-- intake spread over $(echo $INTAKE_COMMUNES | wc -w) communes"; TOKENS=$tokens measure -s bench/intake.lua "$base/dossiers"
  kill $pid; wait $pid 2>/dev/null || true; pid=
  bench/plans.sh "$url" > "bench/plans-$name.txt"
  echo "-- query plans: bench/plans-$name.txt"
}

bench_backend sqlite "sqlite://$tmp/dossiers.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
