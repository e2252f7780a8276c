// Reimburse on Azure, as `azd up` deploys it: one resource group holding everything in reimburse.bicep.
// Subscription scope so a newcomer needs nothing but a subscription; region defaults to Hong Kong (eastasia)
// because claims and receipts are personal data kept in Hong Kong (PDPO).
targetScope = 'subscription'

@description('azd environment name; prefixes the resource group and tags every resource.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Region for every resource. eastasia is Hong Kong.')
param location string = 'eastasia'

@description('Object id of the person or pipeline running the deployment (azd sets AZURE_PRINCIPAL_ID): may write Key Vault secrets.')
param principalId string = ''

@description('Kind of principalId: User for a person, ServicePrincipal for a pipeline.')
@allowed([ 'User', 'ServicePrincipal' ])
param principalType string = 'User'

@description('Company this deployment serves (its config lives under config/{companyId}/).')
param companyId string = 'harbour'

@description('Entra ID app registration (client id) the browser app signs in with; empty: the Static Web Apps pre-configured Entra provider.')
param entraClientId string = ''

@description('Entra ID tenant allowed to sign in (with entraClientId); empty: the deployment\'s tenant.')
param entraTenantId string = ''

@description('Where alerts are e-mailed; empty: alerts fire in the portal only.')
param alertEmail string = ''

@description('Optional extra app settings read from Key Vault: app setting name -> secret name (see docs/deploy.md).')
param keyVaultSettings object = {}

var tags = { 'azd-env-name': environmentName, app: 'reimburse' }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module reimburse 'reimburse.bicep' = {
  name: 'reimburse'
  scope: rg
  params: {
    location: location
    tags: tags
    principalId: principalId
    principalType: principalType
    companyId: companyId
    entraClientId: entraClientId
    entraTenantId: empty(entraTenantId) ? tenant().tenantId : entraTenantId
    alertEmail: alertEmail
    keyVaultSettings: keyVaultSettings
  }
}

// azd reads these into the environment (.azure/<env>/.env); the postdeploy hook uses them.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = reimburse.outputs.functionAppName
output AZURE_STORAGE_ACCOUNT_NAME string = reimburse.outputs.storageAccountName
output AZURE_KEY_VAULT_NAME string = reimburse.outputs.keyVaultName
output AZURE_EVENT_GRID_TOPIC_NAME string = reimburse.outputs.systemTopicName
output AZURE_STATIC_WEB_APP_NAME string = reimburse.outputs.staticWebAppName
output WEB_URL string = reimburse.outputs.webUrl
output API_URL string = reimburse.outputs.apiUrl
