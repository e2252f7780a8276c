// Reimburse on Azure: storage (blobs, queues, tables), Event Grid BlobCreated -> queue for the receipt inbox,
// a Flex Consumption function app running the custom handler with a managed identity, and data-plane roles.
// No account keys are handed to the app: it reaches storage through its identity (TokenCredential).
targetScope = 'resourceGroup'

@description('Short name used to derive resource names.')
@minLength(3)
@maxLength(11)
param name string = 'reimburse'

param location string = resourceGroup().location

@description('Company this deployment serves (seeded config lives under config/{companyId}/).')
param companyId string = 'harbour'

@description('Trust X-MS-CLIENT-PRINCIPAL from App Service Authentication (configure Entra ID auth on the app).')
param trustAppServiceAuthentication bool = true

var suffix = uniqueString(resourceGroup().id, name)
var storageName = toLower('${name}${suffix}')

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 30 }
    containerDeleteRetentionPolicy: { enabled: true, days: 30 }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for c in [ 'receipts', 'receipts-inbox', 'receipts-quarantine', 'config', 'deploy', 'risk-models' ]: {
  parent: blobService
  name: c
  properties: { publicAccess: 'None' }
}]

// Daily audit digests: write-once for 7 years (time-based retention; lock it after review with
// `az storage container immutability-policy lock`).
resource anchors 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'audit-anchors'
  properties: { publicAccess: 'None' }
}

resource anchorsPolicy 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: anchors
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: 2557
    allowProtectedAppendWrites: false
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for q in [ 'claim-submitted', 'claim-submitted-poison', 'receipt-drops', 'receipt-drops-poison' ]: {
  parent: queueService
  name: q
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for t in [ 'claims', 'claimindex' ]: {
  parent: tableService
  name: t
}]

// Receipt drop: BlobCreated in receipts-inbox -> storage queue receipt-drops -> ReceiptDropped queue trigger.
// (Flex Consumption supports the blob trigger only through Event Grid; a queue hop is portable and retryable.)
resource systemTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: '${name}-storage-events'
  location: location
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource inboxSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = {
  parent: systemTopic
  name: 'receipts-inbox-created'
  properties: {
    destination: {
      endpointType: 'StorageQueue'
      properties: {
        resourceId: storage.id
        queueName: 'receipt-drops'
        queueMessageTimeToLiveInSeconds: -1
      }
    }
    filter: {
      includedEventTypes: [ 'Microsoft.Storage.BlobCreated' ]
      subjectBeginsWith: '/blobServices/default/containers/receipts-inbox/blobs/'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
  }
  dependsOn: [ queues ]
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs-${suffix}'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 90 }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: { Application_Type: 'web', WorkspaceResourceId: logs.id }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan-${suffix}'
  location: location
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  kind: 'functionapp'
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: '${name}-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}deploy'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'custom', version: '1.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'Reimburse__Storage__AccountName', value: storage.name }
        { name: 'Reimburse__Company__Id', value: companyId }
        { name: 'Reimburse__Identity__TrustAppServiceAuthentication', value: string(trustAppServiceAuthentication) }
        { name: 'ASPNETCORE_ENVIRONMENT', value: 'Production' }
      ]
    }
  }
}

// Data-plane roles for the app's identity: blobs, queues, tables. Nothing else.
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for r in items(roles): {
  name: guid(storage.id, app.id, r.value)
  scope: storage
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', r.value)
  }
}]

output functionAppName string = app.name
output storageAccountName string = storage.name
