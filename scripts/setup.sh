#!/usr/bin/env bash
# Installs what Reimburse needs on this machine. Sourced by run.sh and test.sh.
# Debian packages when root (or passwordless sudo); otherwise a clear message and exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-tra poppler-utils imagemagick fonts-noto-cjk)
APT_PACKAGES+=(${REIMBURSE_EXTRA_APT:-})

need_cmd() { command -v "$1" >/dev/null 2>&1; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif need_cmd sudo && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" = none ]; then
    echo "Reimburse needs these Debian packages: ${missing[*]}" >&2
    echo "Install them as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "==> Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

need_cmd node || { echo "Node.js 20+ is required (https://nodejs.org or apt-get install nodejs npm)." >&2; exit 1; }
need_cmd dotnet || { echo "The .NET 10 SDK is required (dotnet on PATH)." >&2; exit 1; }

if [ ! -x "$ROOT/node_modules/.bin/azurite" ] || ! cmp -s "$ROOT/package-lock.json" "$ROOT/node_modules/.package-lock.stamp" 2>/dev/null; then
  echo "==> Installing pinned Azurite and OCR models (npm ci)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$ROOT/package-lock.json" "$ROOT/node_modules/.package-lock.stamp"
fi
