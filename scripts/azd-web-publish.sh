#!/bin/sh
# azd prepackage hook of the web service (runs in web/Reimburse.Web): publishes the Blazor WebAssembly app into
# bin/azd and adds the Static Web Apps config: routes, sign-in, /api forwarded to the linked function app. With
# REIMBURSE_ENTRA_CLIENT_ID set, sign-in uses that Entra ID app registration (one tenant, secret from Key Vault);
# otherwise the Static Web Apps pre-configured Entra ID provider.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf bin/azd
dotnet publish -c Release -o bin/azd --nologo
if [ -n "${REIMBURSE_ENTRA_CLIENT_ID:-}" ]; then
  tenant="${REIMBURSE_ENTRA_TENANT_ID:-$(az account show --query tenantId -o tsv)}"
  sed "s/__ENTRA_TENANT_ID__/$tenant/" "$root/infra/web/staticwebapp.entra.config.json" > bin/azd/wwwroot/staticwebapp.config.json
else
  cp "$root/infra/web/staticwebapp.config.json" bin/azd/wwwroot/staticwebapp.config.json
fi
