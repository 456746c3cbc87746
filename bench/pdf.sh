#!/usr/bin/env bash
# The receipt as PDF (GET /dossiers/{code}/receipt/pdf): one counter dossier, then wrk with
# CONNS (default 8) connections for DURATION seconds (default 10). Target: p50 < 20 ms,
# p99 < 60 ms. Every request renders the form anew (no cache): fonts are parsed once per
# process, the page is laid out, shaped, subset and compressed per request.
#   bench/pdf.sh                                                         # SQLite
#   BENCH_POSTGRES_URL='postgres://…/empty_db?sslmode=disable' bench/pdf.sh   # and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN=path/to/motcua measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
fi
DURATION=${DURATION:-10}
CONNS=${CONNS:-8}
PORT=${PORT:-18086}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base=http://127.0.0.1:$PORT/api/v1
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() { curl -fs -XPOST "$base/auth/token" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password-123\"}" | json 'd["access_token"]'; }

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.pdf.officer --role reception_officer --commune 04978 --full-name 'Lê Văn An' --password-stdin >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.pdf.admin --role system_admin --password-stdin >/dev/null
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  local officer=$(login bench.pdf.officer) admin=$(login bench.pdf.admin)
  curl -fs -XPUT "$base/communes/04978/procedures/2.000815" -H "authorization: Bearer $admin" >/dev/null
  local code=$(curl -fs -XPOST "$base/dossiers" -H "authorization: Bearer $officer" -H 'content-type: application/json' \
    -d '{"procedure_code":"2.000815","applicant":{"type":"citizen","full_name":"Nguyễn Thị Hường","id_number":"025190000123","phone":"0912345678","address":"Thôn Bo, xã Kim Bôi"},"components":[{"document":"Bản chính giấy tờ văn bản làm cơ sở để chứng thực bản sao","source":"paper"}],"fees":{"quantities":{"page":3,"copy":1}}}' \
    | json 'd["dossier"]["code"]')
  curl -fs "$base/dossiers/$code/receipt/pdf" -H "authorization: Bearer $officer" -o "$tmp/receipt.pdf"
  echo "== $name: receipt of $code, $(stat -c %s "$tmp/receipt.pdf") bytes"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "authorization: Bearer $officer" "$base/dossiers/$code/receipt/pdf" \
    | grep -E 'Requests/sec|requests in|^ +(50|75|90|99)%|Non-2xx|Socket errors'
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

bench_backend sqlite "sqlite://$tmp/pdf.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
