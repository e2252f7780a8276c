// Every Reimburse resource in one resource group (main.bicep creates the group and calls this):
// storage (Durable Task hub, receipts, audit anchors), a Flex Consumption function app (dotnet-isolated 10.0) reaching
// storage, Key Vault and Application Insights through its system-assigned identity, the Event Grid system topic the
// receipt inbox's blob trigger listens on, Static Web Apps for the browser app, and alerts.
// Nothing secret is declared here: secrets live in Key Vault and reach the app as Key Vault references.
targetScope = 'resourceGroup'

param location string = resourceGroup().location
param tags object = {}

@description('Object id of the deployer: may write Key Vault secrets. Empty: no role assigned.')
param principalId string = ''

@allowed([ 'User', 'ServicePrincipal' ])
param principalType string = 'User'

param companyId string = 'harbour'

@description('Entra ID app registration the browser app signs in with; empty: the pre-configured Entra provider.')
param entraClientId string = ''
param entraTenantId string = tenant().tenantId

param alertEmail string = ''

@description('Extra app settings read from Key Vault: app setting name -> secret name.')
param keyVaultSettings object = {}

@description('Instances the app may scale out to (Flex Consumption).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var token = toLower(uniqueString(subscription().id, resourceGroup().id, location))
var functionAppName = 'func-reimburse-${token}'
// The blob trigger function on receipts-inbox (Inbox/InboxFunctions.cs); Event Grid delivers to its webhook.
var receiptDroppedFunction = 'ReceiptDropped'
var deploymentContainer = 'app-package'

// Data-plane roles (built-in role definition ids).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---------- Storage: the app's data, the Durable Task hub (AzureWebJobsStorage) and the deployment package ----------

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: 'streimb${token}'
  location: location
  tags: tags
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    // Identity only: no account key works against this account, so none can leak.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    supportsHttpsTrafficOnly: true
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 30 }
    containerDeleteRetentionPolicy: { enabled: true, days: 30 }
  }
}

// The app creates what is missing at start too; declaring them makes a fresh deployment complete before first run.
var containerNames = [ 'receipts', 'receipts-inbox', 'receipts-quarantine', 'config', 'risk-models', deploymentContainer ]

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [for c in containerNames: {
  parent: blobService
  name: c
  properties: { publicAccess: 'None' }
}]

// Daily audit digests, write-once for 7 years (same template the README tells existing deployments to run).
module auditAnchors 'audit-anchors.bicep' = {
  name: 'audit-anchors'
  params: {
    storageAccountName: storage.name
  }
  dependsOn: [ blobService ]
}

// ---------- Monitoring ----------

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-reimburse-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-reimburse-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    // Telemetry is accepted only from Entra-authenticated senders (the app's identity), not from anyone holding the
    // connection string.
    DisableLocalAuth: true
  }
}

// ---------- Key Vault: every secret the app reads ----------

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-reimb-${token}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
  }
}

// ---------- Function app (Flex Consumption) ----------

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-reimburse-${token}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: 2048 }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

var storageRoleNames = [ 'storageBlobDataOwner', 'storageQueueDataContributor', 'storageTableDataContributor' ]

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for r in storageRoleNames: {
  name: guid(storage.id, app.id, roles[r])
  scope: storage
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[r])
  }
}]

resource appVaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource appInsightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, app.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

resource deployerVaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(vault.id, principalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

// Secrets the app always reads; scripts/postprovision.sh creates the link-signing key when it is missing.
var requiredSecretSettings = {
  Reimburse__Workflow__LinkKey: 'workflow-link-key'
}

var keyVaultReferences = toObject(
  items(union(requiredSecretSettings, keyVaultSettings)),
  e => e.key,
  e => '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${e.value})'
)

var baseSettings = {
  // Identity-based connections: the host (and the Durable Task hub on it) and the app's own clients use the account
  // name and the system-assigned identity; there is no key or connection string to store.
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  Reimburse__Storage__AccountName: storage.name
  Reimburse__Company__Id: companyId
  // Static Web Apps (linked backend) signs users in and forwards X-MS-CLIENT-PRINCIPAL.
  Reimburse__Identity__TrustAppServiceAuthentication: 'true'
  AZURE_FUNCTIONS_ENVIRONMENT: 'Production'
  DOTNET_ENVIRONMENT: 'Production'
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(baseSettings, keyVaultReferences)
  // Key Vault references and identity connections resolve only once the roles exist.
  dependsOn: [ appStorageRoles, appVaultRole, appInsightsRole ]
}

// ---------- Event Grid: BlobCreated in receipts-inbox -> ReceiptDropped (Event Grid-sourced blob trigger) ----------
// The subscription itself (event-subscription.bicep) is created by the postdeploy hook: its webhook URL carries the
// host's blobs_extension key, which exists only once the code is deployed and the blob extension has started.

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgt-reimburse-${token}'
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// ---------- Browser app: Static Web Apps, the function app linked as its /api backend ----------

resource web 'Microsoft.Web/staticSites@2024-04-01' = {
  name: 'stapp-reimburse-${token}'
  location: location
  tags: union(tags, { 'azd-service-name': 'web' })
  // Standard: linked backends, custom Entra registration and Key Vault references need it.
  sku: { name: 'Standard', tier: 'Standard' }
  identity: { type: 'SystemAssigned' }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
  }
}

resource webBackend 'Microsoft.Web/staticSites/linkedBackends@2024-04-01' = {
  parent: web
  name: 'api'
  properties: {
    backendResourceId: app.id
    region: location
  }
}

resource webVaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, web.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: web.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

// staticwebapp.config.json names these settings for the custom Entra ID provider; the secret stays in Key Vault.
resource webSettings 'Microsoft.Web/staticSites/config@2024-04-01' = if (!empty(entraClientId)) {
  parent: web
  name: 'appsettings'
  properties: {
    ENTRA_CLIENT_ID: entraClientId
    ENTRA_TENANT_ID: entraTenantId
    ENTRA_CLIENT_SECRET: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=entra-client-secret)'
  }
  dependsOn: [ webVaultRole ]
}

// ---------- Alerts ----------

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-reimburse-${token}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'reimburse'
    enabled: true
    emailReceivers: [
      { name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

var alerts = [
  {
    name: 'poison-messages'
    description: 'A queue message failed maxDequeueCount times and went to a -poison queue.'
    severity: 1
    // The app's count, and the Functions host's own log line when it moves a message to <queue>-poison.
    query: 'union (customMetrics | where name == "reimburse.messages.poisoned" | summarize total = sum(valueSum)), (traces | where message has "-poison" and message has "MaxDequeueCount" | summarize total = todouble(count())) | summarize total = sum(total)'
  }
  {
    name: 'failed-orchestrations'
    description: 'A claim or approval orchestration ended Failed.'
    severity: 1
    query: 'customMetrics | where name == "reimburse.orchestrations.failed" | summarize total = sum(valueSum)'
  }
  {
    name: 'approvals-past-sla'
    description: 'An approval step passed its SLA (the policy\'s escalateAfter) and was escalated.'
    severity: 2
    query: 'customMetrics | where name == "reimburse.approvals.sla_breached" | summarize total = sum(valueSum)'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for a in alerts: {
  name: 'alert-reimburse-${a.name}'
  location: location
  tags: tags
  properties: {
    displayName: 'Reimburse: ${a.name}'
    description: a.description
    severity: a.severity
    enabled: true
    scopes: [ insights.id ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: a.query
          timeAggregation: 'Total'
          metricMeasureColumn: 'total'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: empty(alertEmail) ? [] : [ actionGroup.id ] }
  }
}]

output functionAppName string = app.name
output storageAccountName string = storage.name
output keyVaultName string = vault.name
output systemTopicName string = systemTopic.name
output staticWebAppName string = web.name
output receiptDroppedFunction string = receiptDroppedFunction
output auditAnchorsContainer string = auditAnchors.outputs.container
output webUrl string = 'https://${web.properties.defaultHostname}'
output apiUrl string = 'https://${app.properties.defaultHostName}/api'
