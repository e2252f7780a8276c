#!/usr/bin/env bash
# Starts the whole system: Azurite (persistent, under .data/), the Reimburse app on http://localhost:7071,
# and the seeded demo company. Ctrl-C stops it all.
#
# Ports (defaults): REIMBURSE_PORT=7071 (the app), REIMBURSE_BLOB_PORT=10000, REIMBURSE_QUEUE_PORT=10001,
# REIMBURSE_TABLE_PORT=10002 (Azurite). REIMBURSE_DATA=.data (Azurite's data, the logs, the dev token key).
# Every port is checked before anything starts; a taken one is named with what holds it and how to change it.
# The children's output goes to $REIMBURSE_DATA/azurite.log and app.log; when one of them exits, this script
# says which, how it ended and the end of its log, stops the other and exits non-zero.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

APP_PORT="${REIMBURSE_PORT:-7071}"
BLOB_PORT="${REIMBURSE_BLOB_PORT:-10000}"
QUEUE_PORT="${REIMBURSE_QUEUE_PORT:-10001}"
TABLE_PORT="${REIMBURSE_TABLE_PORT:-10002}"
DATA="${REIMBURSE_DATA:-$ROOT/.data}"
START_TIMEOUT="${REIMBURSE_START_TIMEOUT:-180}"

say() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }

# ---- Ports: all free before anything starts ------------------------------------------------------------------
port_names=(app blob queue table)
declare -A port_of=([app]=$APP_PORT [blob]=$BLOB_PORT [queue]=$QUEUE_PORT [table]=$TABLE_PORT)
declare -A var_of=([app]=REIMBURSE_PORT [blob]=REIMBURSE_BLOB_PORT [queue]=REIMBURSE_QUEUE_PORT [table]=REIMBURSE_TABLE_PORT)
declare -A label_of=([app]="the Reimburse app" [blob]="Azurite blob" [queue]="Azurite queue" [table]="Azurite table")

# A listener on the port, on any local address (ss sees them all; without ss, try to connect on loopback).
port_taken() {
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# The ids of the processes listening on the port, when they can be found out.
port_holders() {
  local pids=""
  if command -v ss >/dev/null 2>&1; then
    pids=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | tr '\n' ' ' || true)
  fi
  if [ -z "${pids// /}" ] && command -v lsof >/dev/null 2>&1; then
    pids=$(lsof -nP -t -iTCP:"$1" -sTCP:LISTEN 2>/dev/null | sort -u | tr '\n' ' ' || true)
  fi
  if [ -z "${pids// /}" ] && command -v fuser >/dev/null 2>&1; then
    pids=$(fuser -n tcp "$1" 2>/dev/null | tr -s ' \n' ' ' || true)
  fi
  say "$pids"
}

command_line() { { tr '\0\n' '  ' <"/proc/$1/cmdline"; } 2>/dev/null | cut -c1-120 || true; }

port_check() {
  local name p bad=0 fix=() used=()
  for name in "${port_names[@]}"; do
    p="${port_of[$name]}"
    if ! [[ "$p" =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then
      err "${var_of[$name]}='$p' is not a TCP port (1-65535)."
      return 1
    fi
    if [[ " ${used[*]} " == *" $p "* ]]; then
      err "Port $p is given for two services; ${var_of[$name]} must differ from the others."
      return 1
    fi
    used+=("$p")
  done
  for name in "${port_names[@]}"; do
    p="${port_of[$name]}"
    port_taken "$p" || continue
    bad=1
    err "Port $p (${label_of[$name]}, ${var_of[$name]}) is already in use."
    local pid pids
    pids=$(port_holders "$p")
    if [ -n "${pids// /}" ]; then
      for pid in $pids; do err "  Held by pid $pid: $(command_line "$pid")"; done
      pids=$(echo $pids)
      err "  Free it by stopping that process (e.g. kill $pids), if it is one you no longer need."
    else
      err "  Could not tell which process holds it (another user's? try: sudo ss -ltnp 'sport = :$p')."
    fi
    local alt=$((p + 100))
    while port_taken "$alt" || [[ " ${used[*]} " == *" $alt "* ]]; do alt=$((alt + 1)); done
    used+=("$alt")
    fix+=("${var_of[$name]}=$alt")
  done
  if ((bad)); then
    err "Or run on other ports:  ${fix[*]} ./run.sh"
    return 1
  fi
}
port_check || exit 1

source scripts/setup.sh
mkdir -p "$DATA/azurite"
AZURITE_LOG="$DATA/azurite.log"
APP_LOG="$DATA/app.log"

# ---- Storage: an explicit Azurite connection string on the chosen ports (the well-known development key) -----
DEV_ACCOUNT=devstoreaccount1
DEV_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
STORAGE="DefaultEndpointsProtocol=http;AccountName=$DEV_ACCOUNT;AccountKey=$DEV_KEY;\
BlobEndpoint=http://127.0.0.1:$BLOB_PORT/$DEV_ACCOUNT;\
QueueEndpoint=http://127.0.0.1:$QUEUE_PORT/$DEV_ACCOUNT;\
TableEndpoint=http://127.0.0.1:$TABLE_PORT/$DEV_ACCOUNT;"

# ---- The app: how it is built and started (the only lines that know which host runs it) ---------------------
APP_BUILD=(dotnet build functions/Reimburse.LocalHost -c Release -v q -nologo -clp:ErrorsOnly)
APP_START=(dotnet functions/Reimburse.LocalHost/bin/Release/net10.0/Reimburse.LocalHost.dll)
# The browser app (web/Reimburse.Web), published as static files that the app serves at / (docs/web.md).
WEB_PUBLISH=(dotnet publish web/Reimburse.Web -c Release -v q -nologo -clp:ErrorsOnly)
WEB_ROOT="$ROOT/web/Reimburse.Web/bin/Release/net10.0/publish/wwwroot"
# ---------------------------------------------------------------------------------------------------------------

# ---- Children: each in its own process group (so stopping one stops what it started), output to a log --------
declare -A child_pid=() child_log=()
child_names=()
stopping=0

start_child() { # name log command...
  local name=$1 log=$2
  shift 2
  : >"$log"
  setsid "$@" >"$log" 2>&1 </dev/null &
  child_pid[$name]=$!
  child_log[$name]=$log
  child_names+=("$name")
}

stop_children() {
  local name pid
  for name in "${child_names[@]}"; do
    pid=${child_pid[$name]}
    # Their exit status no longer matters, and bash would otherwise print a job notice for each.
    disown "$pid" 2>/dev/null || true
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for name in "${child_names[@]}"; do
    pid=${child_pid[$name]}
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
}

# The first child found dead, or nothing.
dead_child() {
  local name
  for name in "${child_names[@]}"; do
    kill -0 "${child_pid[$name]}" 2>/dev/null || { say "$name"; return 0; }
  done
  return 1
}

# Says which child ended and how, shows the end of its log, stops the others, exits 1.
child_exited() { # name [status]
  local name=$1 status=${2:-} pid=${child_pid[$1]} how
  if [ -z "$status" ]; then
    status=0
    wait "$pid" 2>/dev/null || status=$?
  fi
  if ((status > 128)); then
    how="was killed by signal $(kill -l $((status - 128)) 2>/dev/null || echo $((status - 128))) (exit status $status)"
  else
    how="exited with code $status"
  fi
  stopping=1
  trap - INT TERM HUP
  err ""
  local who
  who=$(label "$name")
  err "${who^} (pid $pid) $how. Last lines of ${child_log[$name]}:"
  tail -n 25 "${child_log[$name]}" | sed 's/^/  | /' >&2
  local n rest=()
  for n in "${child_names[@]}"; do [ "$n" = "$name" ] || rest+=("$n"); done
  child_names=("${rest[@]}")
  if ((${#child_names[@]})); then
    err "Stopping $(for n in "${child_names[@]}"; do label "$n"; done | paste -sd, - | sed 's/,/, /g')."
    stop_children
  fi
  exit 1
}

label() { case $1 in azurite) say "Azurite" ;; app) say "the app" ;; *) say "$1" ;; esac; }

on_signal() {
  ((stopping)) && return
  stopping=1
  trap - INT TERM HUP
  stop_children
  say ""
  say "Stopped."
  exit 0
}
trap on_signal INT TERM HUP
# Any other way out (a failed build, set -e) must not leave children behind.
trap '((stopping)) || stop_children' EXIT

# Waits until a test passes, while checking that every child is still alive.
wait_until() { # what log seconds test...
  local what=$1 log=$2 seconds=$3 name
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if name=$(dead_child); then child_exited "$name"; fi
    if ((SECONDS >= deadline)); then
      err "${what^} was not ready after ${seconds}s (REIMBURSE_START_TIMEOUT). Last lines of its log:"
      tail -n 25 "$log" | sed 's/^/  | /' >&2
      exit 1
    fi
    sleep 0.2
  done
  if name=$(dead_child); then child_exited "$name"; fi
}

# Azurite says so once it listens itself (a port that merely answers could be somebody else's).
azurite_listening() {
  local p
  for p in "$BLOB_PORT" "$QUEUE_PORT" "$TABLE_PORT"; do
    grep -q "successfully listening at http://127.0.0.1:$p\$" "$AZURITE_LOG" || return 1
  done
}
app_healthy() { curl -fs -o /dev/null --max-time 2 "http://localhost:$APP_PORT/healthz"; }

say "==> Building"
"${APP_BUILD[@]}"
"${WEB_PUBLISH[@]}"

say "==> Starting Azurite (data in $DATA/azurite, log $AZURITE_LOG)"
start_child azurite "$AZURITE_LOG" node_modules/.bin/azurite --disableTelemetry --skipApiVersionCheck --loose \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --blobPort "$BLOB_PORT" --queuePort "$QUEUE_PORT" --tablePort "$TABLE_PORT" \
  --location "$DATA/azurite" --debug "$DATA/azurite-debug.log" --silent
wait_until "Azurite" "$AZURITE_LOG" 60 azurite_listening

say "==> Starting Reimburse on http://localhost:$APP_PORT (log $APP_LOG)"
export ASPNETCORE_ENVIRONMENT=Development
export ASPNETCORE_URLS="http://localhost:$APP_PORT"
export Reimburse__Storage__ConnectionString="$STORAGE"
export AzureWebJobsStorage="$STORAGE"
export Reimburse__Seed__Demo=true
export LocalHost__WebRoot="$WEB_ROOT"
export Reimburse__Seed__History=true
export Reimburse__Accounting__KeysFolder="$DATA/keys"   # Data Protection key ring for the stored Xero/QuickBooks tokens
export Reimburse__Identity__DevTokenKey="${REIMBURSE_DEV_TOKEN_KEY:-$(cat "$DATA/dev-token-key" 2>/dev/null || (head -c 32 /dev/urandom | base64 | tee "$DATA/dev-token-key"))}"
start_child app "$APP_LOG" "${APP_START[@]}"
wait_until "the app" "$APP_LOG" "$START_TIMEOUT" app_healthy

cat <<MSG

Reimburse is running (demo company Harbour Trading Ltd / 港灣貿易有限公司).
  App:        http://localhost:$APP_PORT/   (pid ${child_pid[app]}, log $APP_LOG)
              open it in a browser and sign in as a demo user (web app, docs/web.md); the API is under /api
  Health:     http://localhost:$APP_PORT/healthz
  Azurite:    blob http://127.0.0.1:$BLOB_PORT  queue http://127.0.0.1:$QUEUE_PORT  table http://127.0.0.1:$TABLE_PORT   (pid ${child_pid[azurite]}, log $AZURITE_LOG)
  Storage:    $STORAGE
  Drop receipts into blob container 'receipts-inbox' under '<userId>/' (e.g. emp-chan/lunch.jpg).

Get a token for emp-chan:
  TOKEN=\$(curl -s -X POST http://localhost:$APP_PORT/api/dev/tokens -H 'Content-Type: application/json' -d '{"userId":"emp-chan"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')

Submit a claim:
  curl -i -X POST http://localhost:$APP_PORT/api/claims -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"category":"meals","amount":"268.50","currency":"HKD","expenseDate":"$(date -u -d '-1 day' +%F)","merchant":"Tsui Wah Restaurant","description":"Lunch with supplier"}'

Press Ctrl-C to stop.
MSG

# Until a child exits (then say which and why) or Ctrl-C (the trap stops everything).
while true; do
  status=0
  wait -n -p exited "${child_pid[@]}" 2>/dev/null || status=$?
  ((stopping)) && exit 0
  for name in "${child_names[@]}"; do
    if [ "${child_pid[$name]}" = "${exited:-}" ]; then child_exited "$name" "$status"; fi
  done
  # wait returned for a signal, not a child: look again.
  if name=$(dead_child); then child_exited "$name"; fi
done
