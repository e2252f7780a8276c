#!/bin/sh
# azd postdeploy hook: subscribes ReceiptDropped (Event Grid-sourced blob trigger) to BlobCreated in receipts-inbox.
# After deploy, not provision: the webhook carries the host's blobs_extension key, which exists only once the deployed
# code has started the blob extension. infra/event-subscription.bicep reads the key itself; nothing is printed.
set -eu
rg="${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set (run through azd, or export it)}"
app="${AZURE_FUNCTION_APP_NAME:?}"
topic="${AZURE_EVENT_GRID_TOPIC_NAME:?}"
here="$(cd "$(dirname "$0")/.." && pwd)"
for i in 1 2 3 4 5 6 7 8 9 10; do
  key="$(az functionapp keys list -g "$rg" -n "$app" --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)"
  [ -n "$key" ] && break
  echo "postdeploy: waiting for the blobs_extension key on $app ($i/10)" >&2
  # A request wakes the host so it loads the blob extension and creates the key.
  curl -s -o /dev/null "https://$app.azurewebsites.net/" || true
  sleep 15
done
[ -n "${key:-}" ] || { echo "postdeploy: no blobs_extension key on $app; is ReceiptDropped deployed? (az functionapp function list -g $rg -n $app)" >&2; exit 1; }
az deployment group create -g "$rg" -n receipts-inbox-events -f "$here/infra/event-subscription.bicep" \
  -p functionAppName="$app" systemTopicName="$topic" --output none
echo "postdeploy: receipts-inbox BlobCreated -> $app/ReceiptDropped"
