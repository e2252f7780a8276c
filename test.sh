#!/usr/bin/env bash
# Runs the whole test suite: unit, Azurite integration, HTTP end-to-end, Chromium (each fixture starts
# its own Azurite from the pinned node_modules on free loopback ports).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
# The browser tests drive the Debian Chromium (Playwright); the app itself does not need it.
REIMBURSE_EXTRA_APT="chromium ${REIMBURSE_EXTRA_APT:-}"
source scripts/setup.sh
export OMP_THREAD_LIMIT=1
echo "==> Building"
dotnet build Serverless.sln -c Release -v q -nologo -clp:ErrorsOnly
echo "==> Testing"
# One test project at a time: each starts its own Azurite, and a 2-core machine runs them faster in turn than at once.
dotnet test Serverless.sln -c Release --no-build -v q --nologo -m:1 "$@"
