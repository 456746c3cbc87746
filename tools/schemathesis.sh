#!/usr/bin/env bash
# Property-based run of schemathesis over openapi/openapi.json against a `--demo` server on
# loopback (a fresh SQLite database), authenticated as a demo account. Not in CI: it takes
# minutes. Finds requests the spec allows and the server refuses (or the reverse), 5xx, and
# responses that contradict the spec.
#   tools/schemathesis.sh                     # debug binary, 25 examples per operation
#   BIN=target/release/motcua MAX_EXAMPLES=100 ROLE=commune-admin tools/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/debug/motcua}
PORT=${PORT:-18081}
MAX_EXAMPLES=${MAX_EXAMPLES:-25}
ROLE=${ROLE:-reception-officer}
ST_VERSION=4.32.5
tools=target/ci-tools/schemathesis
if [ ! -x "$tools/bin/st" ]; then
  python3 -m pip install -q --disable-pip-version-check --target "$tools" "schemathesis==$ST_VERSION"
fi
[ -x "$BIN" ] || cargo build -q
work=$(mktemp -d)
DATABASE_URL="sqlite://$work/st.db" MOTCUA_BIND="127.0.0.1:$PORT" "$BIN" --demo serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 1; done
# The demo prints each account's password once, in its start-up log.
password=$(awk -v u="demo.$ROLE" '$1 == u {print $3}' "$work/server.log" | tail -1)
token=$(curl -sf -H 'content-type: application/json' \
  -d "{\"username\":\"demo.$ROLE\",\"password\":\"$password\"}" \
  "http://127.0.0.1:$PORT/api/v1/auth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# Logout is left out: it would end the session the rest of the run uses.
PYTHONPATH="$tools" python3 -m schemathesis.cli --config-file tools/schemathesis.toml run openapi/openapi.json \
  --url "http://127.0.0.1:$PORT" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --workers 2 \
  --exclude-path /api/v1/auth/logout \
  "$@"
