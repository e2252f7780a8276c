#!/usr/bin/env bash
# Starts the whole system: Azurite (persistent, under .data/), the Reimburse app on
# http://localhost:7071 in standalone mode, and the seeded demo company. Ctrl-C stops it all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
source scripts/setup.sh

PORT="${REIMBURSE_PORT:-7071}"
DATA="$ROOT/.data/azurite"
mkdir -p "$DATA"
pids=()
cleanup() { trap - INT TERM EXIT; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; echo; echo "Stopped."; }
trap cleanup INT TERM EXIT

echo "==> Building"
dotnet build functions/Reimburse.Functions -c Release -v q -nologo -clp:ErrorsOnly

echo "==> Starting Azurite (data in .data/azurite)"
node_modules/.bin/azurite --silent --disableTelemetry --skipApiVersionCheck --loose \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --location "$DATA" --debug "$ROOT/.data/azurite-debug.log" >/dev/null 2>&1 &
pids+=($!)
for port in 10000 10001 10002; do
  for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done

echo "==> Starting Reimburse on http://localhost:$PORT"
export ASPNETCORE_ENVIRONMENT=Development
export ASPNETCORE_URLS="http://localhost:$PORT"
export Reimburse__Storage__ConnectionString="UseDevelopmentStorage=true"
export Reimburse__Seed__Demo=true
export Reimburse__Seed__History=true
export Reimburse__Identity__DevTokenKey="${REIMBURSE_DEV_TOKEN_KEY:-$(cat .data/dev-token-key 2>/dev/null || (head -c 32 /dev/urandom | base64 | tee .data/dev-token-key))}"
dotnet functions/Reimburse.Functions/bin/Release/net10.0/Reimburse.Functions.dll &
pids+=($!)
for _ in $(seq 1 300); do curl -fs "http://localhost:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://localhost:$PORT/healthz" >/dev/null || { echo "The app did not become healthy; see the log above." >&2; exit 1; }

cat <<MSG

Reimburse is running (standalone mode, demo company Harbour Trading Ltd / 港灣貿易有限公司).
  App:        http://localhost:$PORT/
  Health:     http://localhost:$PORT/healthz
  Azurite:    blob http://127.0.0.1:10000  queue http://127.0.0.1:10001  table http://127.0.0.1:10002
  Drop receipts into blob container 'receipts-inbox' under '<userId>/' (e.g. emp-chan/lunch.jpg).

Get a token for emp-chan:
  TOKEN=\$(curl -s -X POST http://localhost:$PORT/api/dev/tokens -H 'Content-Type: application/json' -d '{"userId":"emp-chan"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')

Submit a claim:
  curl -i -X POST http://localhost:$PORT/api/claims -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"category":"meals","amount":"268.50","currency":"HKD","expenseDate":"$(date -u -d '-1 day' +%F)","merchant":"Tsui Wah Restaurant","description":"Lunch with supplier"}'

Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
