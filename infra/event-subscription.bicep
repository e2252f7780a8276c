// BlobCreated in receipts-inbox -> the ReceiptDropped function's Event Grid-sourced blob trigger.
// Deployed by the azd postdeploy hook (scripts/postdeploy.sh), after the code: the webhook URL carries the host's
// blobs_extension system key, which the Functions host creates only when the blob extension first starts.
// Flex Consumption runs blob triggers only this way (no polling).
targetScope = 'resourceGroup'

param functionAppName string
param systemTopicName string

@description('The blob trigger function; the webhook names it Host.Functions.<name>.')
param functionName string = 'ReceiptDropped'

param containerName string = 'receipts-inbox'

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

var blobsExtensionKey = listKeys('${app.id}/host/default', '2024-04-01').systemKeys.blobs_extension

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: '${containerName}-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${app.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [ 'Microsoft.Storage.BlobCreated' ]
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/blobs/'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
  }
}

output subscriptionName string = subscription.name
