// Audit anchors: the container the daily audit digest (Merkle root over changed chain heads) is written to.
// A time-based retention policy makes every digest blob WORM for 7 years, so an edit of the audit tables cannot be
// covered up by rewriting the anchors. Deploy into the resource group of the app's storage account:
//   az deployment group create -g <rg> -f infra/audit-anchors.bicep -p storageAccountName=<name> resourcePrefix=<prefix>
// Then LOCK the policy once reviewed (a locked policy can only be extended, never shortened or removed):
//   az storage container immutability-policy lock --account-name <name> -c <prefix>audit-anchors --if-match <etag>

@description('Name of the existing storage account the app uses (Reimburse:Storage:AccountName).')
param storageAccountName string

@description('Reimburse:Storage:ResourcePrefix of the environment (empty in production).')
param resourcePrefix string = ''

@description('Retention in days: 7 years including leap days (Inland Revenue Ordinance s.51C keeps records 7 years).')
@minValue(2557)
param retentionDays int = 2557

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource anchors 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: '${resourcePrefix}audit-anchors'
  properties: {
    publicAccess: 'None'
  }
}

resource retention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: anchors
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: retentionDays
    // Digests are written once (create-only); no appends are needed.
    allowProtectedAppendWrites: false
  }
}

output container string = anchors.name
