// The app's storage: durable task hub (blobs, queues, tables), the deployment package container and the account
// records table. Shared keys are off: every client uses Entra ID.
param location string
param tags object
param storageAccountName string
param deploymentContainerName string
param accountTableName string
param eventsQueueName string
param deadLetterContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }

  resource blobs 'blobServices' = {
    name: 'default'

    resource deployments 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }

    resource deadLetters 'containers' = {
      name: deadLetterContainerName
      properties: { publicAccess: 'None' }
    }
  }

  resource queues 'queueServices' = {
    name: 'default'

    resource keyVaultEvents 'queues' = {
      name: eventsQueueName
    }
  }

  resource tables 'tableServices' = {
    name: 'default'

    resource accounts 'tables' = {
      name: accountTableName
    }
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
