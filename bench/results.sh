#!/usr/bin/env bash
# Digital results: issue throughput (electronic certification: book number, file, seal),
# public verification by token and by file.
#   bench/results.sh                                    # SQLite
#   BENCH_POSTGRES_URL='postgres://…/empty_db?sslmode=disable' bench/results.sh   # and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/motcua
DURATION=${DURATION:-5}
CONNS=${CONNS:-16}
PORT=${PORT:-18085}
export JWT_SECRET=bench-secret-0123456789-0123456789-0123456789 RUST_LOG=warn MOTCUA_BIND=127.0.0.1:$PORT
export RESULT_SIGNING_KEYS=bench:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
export UPLOAD_DIR=$tmp/files
base=http://127.0.0.1:$PORT/api/v1
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() { curl -fs -XPOST "$base/auth/token" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"bench-password-123\"}" | json 'd["access_token"]'; }
measure() { wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'; }

# Multipart bodies: a certification (metadata + a small PDF), and the PDF alone to verify.
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
b = "----motcua-bench"
meta = json.dumps({"applicant_name": "Lê Văn Tám", "applicant_id_number": "025190000106", "document_type": "Bằng tốt nghiệp",
    "certification_text": "Chứng thực bản sao đúng với bản chính.", "pages": 1, "copies": 1,
    "signer_name": "Trần Văn Minh", "signer_title": "Phó Chủ tịch",
    "signature": {"type": "chuyen_dung_cong_vu", "certificate_serial": "1", "certificate_subject": "CN=A",
                  "certificate_issuer": "CN=B", "signed_at": "2026-11-28T01:00:00Z"}})
def part(name, value):
    return f"--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
file_part = f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n".encode() + pdf + b"\r\n"
open(f"{tmp}/certify.body", "wb").write(part("metadata", meta) + file_part + f"--{b}--\r\n".encode())
open(f"{tmp}/verify.body", "wb").write(file_part + f"--{b}--\r\n".encode())
PY
ct="multipart/form-data; boundary=----motcua-bench"

bench_backend() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $BIN seed >/dev/null
  echo 'bench-password-123' | $BIN user create --username bench.cert.officer --role reception_officer --commune 04978 --password-stdin >/dev/null
  $BIN serve & pid=$!
  until curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do sleep 0.1; done
  local officer=$(login bench.cert.officer)
  echo "== $name"
  echo "-- issue: electronic certification (POST /certifications: book number, file, Ed25519 seal)"
  BODY_FILE=$tmp/certify.body CONTENT_TYPE=$ct TOKEN=$officer measure -s bench/body.lua "$base/certifications"
  local token=$(curl -fs "$base/certifications?limit=1" -H "authorization: Bearer $officer" | json 'd["items"][0]["result"]["seal_token"]')
  echo "-- verify by token (GET /public/digital-results/verify)"; measure "$base/public/digital-results/verify?token=$token"
  echo "-- verify by file (POST, multipart)"; BODY_FILE=$tmp/verify.body CONTENT_TYPE=$ct TOKEN= measure -s bench/body.lua "$base/public/digital-results/verify"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

bench_backend sqlite "sqlite://$tmp/results.db"
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  bench_backend postgresql "$BENCH_POSTGRES_URL"
fi
