#!/usr/bin/env bash
# Runs the whole test suite: unit, Azurite integration, HTTP end-to-end, Chromium, the scripts (each fixture
# starts its own Azurite from the pinned node_modules on free loopback ports). Ends with one summary line:
# passed/failed/skipped over all test projects and the elapsed time; exits non-zero when anything failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
started=$SECONDS
# The browser tests drive the Debian Chromium (Playwright); the app itself does not need it.
REIMBURSE_EXTRA_APT="chromium ${REIMBURSE_EXTRA_APT:-}"
source scripts/setup.sh
export OMP_THREAD_LIMIT=1

elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

echo "==> Building"
if ! dotnet build Serverless.sln -c Release -v q -nologo -clp:ErrorsOnly; then
  echo "==> Summary: the build failed, no tests ran ($(elapsed "$started"))"
  exit 1
fi
# The browser tests serve the published web app (static files) through LocalHost.
if ! dotnet publish web/Reimburse.Web -c Release -v q -nologo -clp:ErrorsOnly; then
  echo "==> Summary: publishing the web app failed, no tests ran ($(elapsed "$started"))"
  exit 1
fi

echo "==> Testing"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
tests_started=$SECONDS
# One test project at a time: each starts its own Azurite, and a 2-core machine runs them faster in turn than at once.
# The console logger's per-project line ("Passed!  - Failed: 0, Passed: 335, Skipped: 0, Total: 335, ...") is what
# the summary adds up; -tl:off keeps that format when a terminal would get MSBuild's terminal logger instead.
set +e
dotnet test Serverless.sln -c Release --no-build -v q --nologo -m:1 -tl:off --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

summary="$(sed -nE 's/^(Passed|Failed)! +- Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+), Total: +([0-9]+),.*/\2 \3 \4 \5/p' "$log" |
  awk '{f+=$1; p+=$2; s+=$3; t+=$4; n++} END {printf "%d %d %d %d %d", p, f, s, t, n}')"
read -r passed failed skipped total projects <<<"$summary"
expected=$(grep -l '<IsTestProject>true</IsTestProject>' tests/*/*.csproj | wc -l)
aborted=$(grep -c 'Test Run Aborted' "$log" || true)

echo
if ((failed)); then
  echo "Failed tests:"
  { grep -E '^  Failed [^ ]' "$log" || true; } | sed -E 's/^  Failed ([^ ]+).*/  \1/' | sort -u | head -n 50
fi
line="$passed passed, $failed failed, $skipped skipped ($total total) in $projects of $expected test projects; tests $(elapsed "$tests_started"), all $(elapsed "$started")"
if ((status == 0 && failed == 0)); then
  echo "==> Summary: OK: $line"
else
  ((aborted)) && line="$line; $aborted test run(s) aborted (a test host crashed? see above)"
  ((status != 0 && failed == 0)) && line="$line; dotnet test exited with $status (see above)"
  echo "==> Summary: FAILED: $line"
  exit 1
fi
