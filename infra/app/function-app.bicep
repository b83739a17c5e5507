// The Function App on a Flex Consumption (FC1) Linux plan, .NET 10 isolated, running as the user-assigned identity.
// Every connection is identity-based: no connection string, key or secret is an app setting.
param location string
param tags object
param planName string
param functionAppName string
param identityId string
param identityClientId string
param storageAccountName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string
param appInsightsConnectionString string
param keyVaultName string
param keyVaultUri string
param statusTokenSecretName string
param accountTableName string
param taskHubName string

@minValue(1)
@maxValue(1000)
@description('Flex Consumption scale-out limit. Each instance runs at most 10 activities at once (host.json), so this bounds the app-wide concurrency towards Adobe.')
param maximumInstanceCount int

@allowed([2048, 4096])
param instanceMemoryMB int

param adobeFlowServiceUrl string
param adobeImsTokenUrl string
param adobeClientId string
param adobeOrgId string
param adobeScopes string
param adobeClientSecretName string
param adobeConnectionSpecId string

@description('NCRONTAB schedule (with seconds) of the registry sweep.')
param sweepSchedule string

@description('Storage queue Event Grid delivers Key Vault secret events to.')
param eventsQueueName string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Microsoft recommends always-ready instances for the durable group on Flex Consumption.
        alwaysReady: [
          { name: 'durable', instanceCount: 1 }
        ]
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: blobEndpoint
      AzureWebJobsStorage__queueServiceUri: queueEndpoint
      AzureWebJobsStorage__tableServiceUri: tableEndpoint
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      AZURE_CLIENT_ID: identityClientId
      DurableTaskHubName: taskHubName
      Azure__Credential: 'ManagedIdentity'
      Azure__ManagedIdentityClientId: identityClientId
      Secrets__KeyVaultUri: keyVaultUri
      Storage__TableServiceUri: tableEndpoint
      Storage__TableName: accountTableName
      Adobe__FlowServiceUrl: adobeFlowServiceUrl
      Adobe__ImsTokenUrl: adobeImsTokenUrl
      Adobe__ClientId: adobeClientId
      Adobe__OrgId: adobeOrgId
      Adobe__Scopes: adobeScopes
      Adobe__ClientSecretName: adobeClientSecretName
      Adobe__ConnectionSpecId: adobeConnectionSpecId
      // The registry sweep's timer trigger reads %OnboardingSweepSchedule%.
      OnboardingSweepSchedule: sweepSchedule
      // The queue trigger reads Key Vault's events from here (%KeyVaultEventsQueue%).
      KeyVaultEventsQueue: eventsQueueName
      // Finished orchestrations' history older than Retention__MaxAge is purged nightly (the account table keeps the audit).
      HistoryPurgeSchedule: '0 0 3 * * *'
      Retention__MaxAge: '30.00:00:00'
      // A Key Vault reference, resolved by the platform with the app's identity: the key is not an app setting.
      Api__StatusTokenKey: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${statusTokenSecretName})'
    }
  }
}

resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
