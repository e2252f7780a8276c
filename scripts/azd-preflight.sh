#!/bin/sh
# azd preprovision hook: fails early, with the fix, when something `azd up` needs is missing. Also safe to run by hand.
set -eu
fail=0
need() { command -v "$1" >/dev/null 2>&1 || { echo "preflight: '$1' not found. $2" >&2; fail=1; }; }
need az "Install the Azure CLI (https://aka.ms/azcli); the hooks use it for Key Vault and Event Grid."
need dotnet "Install the .NET 10 SDK (https://dot.net)."
if command -v dotnet >/dev/null 2>&1; then
  dotnet --list-sdks | grep -q '^10\.' || { echo "preflight: the .NET 10 SDK is required (dotnet --list-sdks shows none)." >&2; fail=1; }
fi
if command -v az >/dev/null 2>&1; then
  az account show >/dev/null 2>&1 || { echo "preflight: run 'az login' (the hooks call the Azure CLI as you)." >&2; fail=1; }
fi
location="${AZURE_LOCATION:-eastasia}"
if [ "$location" != "eastasia" ]; then
  echo "preflight: AZURE_LOCATION is '$location', not eastasia (Hong Kong). Claims and receipts hold personal data;"
  echo "           check your PDPO position before keeping them outside Hong Kong."
fi
[ "$fail" = 0 ] || exit 1
echo "preflight: ok (region $location)"
