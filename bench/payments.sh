#!/usr/bin/env bash
# Fees and payments: counter intake with fee assessment (certified copy, 3 pages) against
# intake of the same procedure without a fee schedule (the difference is the assessment's
# cost per dossier), cash payment creation, online payment creation at the sandbox
# gateway, and signed platform callbacks settling them (receipt numbers included).
#   bench/payments.sh                                   # SQLite
#   BENCH_POSTGRES_URL='postgres://…/empty_db?sslmode=disable' bench/payments.sh   # and PostgreSQL
# Loads only 127.0.0.1; DURATION seconds per intake run (default 10), PAY_DURATION per
# payment run (default 3; each payment needs its own dossier, so intake makes them first).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN=path/to/motcua measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
fi
DURATION=${DURATION:-10}
PAY_DURATION=${PAY_DURATION:-3}
CONNS=${CONNS:-16}
PORT=${PORT:-18083}
SECRET=bench-sandbox-secret
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
export PAYMENT_GATEWAY=sandbox PAYMENT_SANDBOX_SECRET=$SECRET PAYMENT_CALLBACK_WINDOW_SECS=86400 PAYMENT_RECONCILE_INTERVAL_SECS=0
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base=http://127.0.0.1:$PORT/api/v1
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() { curl -fs -XPOST "$base/auth/token" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password-123\"}" | json 'd["access_token"]'; }
measure() { wrk -t2 -c"$CONNS" --latency "$@" | grep -E 'Requests/sec|requests in|^ +(50|99)%|Non-2xx|Socket errors'; }

# Every dossier code of the commune with something unpaid, one per line (paged through the API).
unpaid_codes() {
  python3 - "$base" "$1" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
cursor = None
while True:
    url = f"{base}/dossiers?status=received&limit=100" + (f"&cursor={cursor}" if cursor else "")
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req))
    for d in page["items"]:
        print(d["code"])
    cursor = page["next_cursor"]
    if not cursor:
        break
PY
}

# Signed callbacks for every pending payment, one "<path>\t<body>" line each.
callbacks() {
  python3 - "$base" "$1" "$SECRET" <<'PY'
import hashlib, json, sys, urllib.request, datetime
base, token, secret = sys.argv[1], sys.argv[2], sys.argv[3]
now = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).strftime("%Y%m%d%H%M%S")
cursor = None
while True:
    url = f"{base}/payments?status=pending&limit=100" + (f"&cursor={cursor}" if cursor else "")
    page = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})))
    for p in page["items"]:
        f = [p["reference"], str(p["amount_vnd"]), "00", "PG" + p["reference"][-12:], now]
        mac = hashlib.sha256(("|".join(f) + "|" + secret).encode()).hexdigest()
        body = {"MaThamChieu": f[0], "SoTien": f[1], "MaKetQua": f[2], "MaGiaoDich": f[3], "ThoiGianGD": f[4], "MaXacThuc": mac}
        print("/api/v1/payments/callbacks/sandbox\t" + json.dumps(body))
    cursor = page["next_cursor"]
    if not cursor:
        break
PY
}

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.pay.officer --role reception_officer --commune 04978 --password-stdin >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.pay.admin --role system_admin --password-stdin >/dev/null
  $BIN serve --insecure-sandbox-payments & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  local officer=$(login bench.pay.officer) admin=$(login bench.pay.admin)
  curl -fs -XPUT "$base/communes/04978/procedures/2.000815" -H "authorization: Bearer $admin" >/dev/null
  echo "== $name"
  echo "-- counter intake with fee assessment (2.000815, 3 pages)"; TOKENS=$officer measure -d"${DURATION}s" -s bench/intake.lua "$base/dossiers"
  unpaid_codes "$officer" > "$tmp/codes"
  local n=$(wc -l < "$tmp/codes") half=$(( $(wc -l < "$tmp/codes") / 2 ))
  echo "   ($n dossiers with an unpaid fee)"
  head -n "$half" "$tmp/codes" | sed 's|.*|/api/v1/dossiers/&/payments\t{"method":"cash"}|' > "$tmp/cash"
  tail -n +"$((half + 1))" "$tmp/codes" | sed 's|.*|/api/v1/dossiers/&/payments\t{"method":"online"}|' > "$tmp/online"
  echo "-- cash payment with receipt (POST /dossiers/{code}/payments), $half dossiers"; LINES=$tmp/cash TOKEN=$officer measure -d"${PAY_DURATION}s" -s bench/replay.lua "$base"
  echo "-- online payment opened at the sandbox gateway"; LINES=$tmp/online TOKEN=$officer measure -d"${PAY_DURATION}s" -s bench/replay.lua "$base"
  callbacks "$officer" > "$tmp/callbacks"
  echo "-- signed platform callbacks settling them ($(wc -l < "$tmp/callbacks") pending)"; LINES=$tmp/callbacks TOKEN= measure -d"${PAY_DURATION}s" -s bench/replay.lua "$base"
  # The same intake without a fee schedule: the difference is the assessment.
  local schedule=$(curl -fs "$base/fee-schedules?procedure_code=2.000815" | json 'd["items"][0]["id"]')
  kill $pid; wait $pid 2>/dev/null || true; pid=
  python3 - "$url" "$schedule" <<'PY'
import sys, subprocess
url, sid = sys.argv[1], sys.argv[2]
sql = f"UPDATE fee_schedules SET effective_from = '2999-01-01' WHERE id = '{sid}'"
if url.startswith("postgres"):
    subprocess.run(["psql", url, "-qc", sql], check=True)
else:
    import sqlite3
    c = sqlite3.connect(url.removeprefix("sqlite://")); c.execute(sql); c.commit()
PY
  $BIN serve --insecure-sandbox-payments & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  echo "-- the same intake with no fee in force"; TOKENS=$officer measure -d"${DURATION}s" -s bench/intake.lua "$base/dossiers"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

bench_backend sqlite "sqlite://$tmp/payments.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
