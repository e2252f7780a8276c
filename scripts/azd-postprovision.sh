#!/bin/sh
# azd postprovision hook: creates the secrets the app always needs in Key Vault, once. Never overwrites a secret, never
# prints one. Optional secrets (DingTalk, SMTP, Xero, QuickBooks, Entra client secret) are yours to set: docs/deploy.md.
set -eu
vault="${AZURE_KEY_VAULT_NAME:?AZURE_KEY_VAULT_NAME is not set (run through azd, or export it)}"
ensure_secret() {
  name="$1"
  if az keyvault secret show --vault-name "$vault" --name "$name" --query id -o tsv >/dev/null 2>&1; then
    echo "postprovision: $name already in $vault"
  else
    # 32 random bytes, Base64: the HMAC key format Reimburse:Workflow:LinkKey expects.
    value="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
    az keyvault secret set --vault-name "$vault" --name "$name" --value "$value" --output none
    echo "postprovision: created $name in $vault"
  fi
}
# Role assignments take a minute or two to reach Key Vault; retry before giving up.
for i in 1 2 3 4 5 6; do
  if ensure_secret workflow-link-key; then exit 0; fi
  echo "postprovision: Key Vault not writable yet (role assignment propagating), retry $i/6 in 20 s" >&2
  sleep 20
done
exit 1
