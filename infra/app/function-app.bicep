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
@description('The service principal keys\' vault.')
param keysVaultUri string

@description('The app\'s own vault: IMS client secret and status-token key.')
param appVaultUri string

@description('The secret in the app vault that holds the status-token key (read with the SDK, versions refreshed).')
param statusTokenSecretName string
param accountTableName string
param taskHubName string

@minValue(1)
@maxValue(1000)
@description('Most on-demand instances per function group (Flex Consumption); the always-ready instance comes on top.')
param maximumInstanceCount int

@description('Flow Service calls one instance makes at once (Adobe:MaxConcurrentCalls).')
param adobeMaxConcurrentCalls int

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
        // Microsoft recommends one always-ready instance for the durable group on Flex Consumption. It comes on top
        // of maximumInstanceCount (which bounds the on-demand instances of each group): see docs/deploy.md.
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
      Secrets__KeyVaultUri: keysVaultUri
      Secrets__AppKeyVaultUri: appVaultUri
      Storage__TableServiceUri: tableEndpoint
      Storage__TableName: accountTableName
      Adobe__FlowServiceUrl: adobeFlowServiceUrl
      Adobe__ImsTokenUrl: adobeImsTokenUrl
      Adobe__ClientId: adobeClientId
      Adobe__OrgId: adobeOrgId
      Adobe__Scopes: adobeScopes
      Adobe__ClientSecretName: adobeClientSecretName
      Adobe__ConnectionSpecId: adobeConnectionSpecId
      Adobe__MaxConcurrentCalls: string(adobeMaxConcurrentCalls)
      // The registry sweep's timer trigger reads %OnboardingSweepSchedule%.
      OnboardingSweepSchedule: sweepSchedule
      // The queue trigger reads Key Vault's events from here (%KeyVaultEventsQueue%).
      KeyVaultEventsQueue: eventsQueueName
      // Finished orchestrations' history older than Retention__MaxAge is purged nightly (the account table keeps the audit).
      HistoryPurgeSchedule: '0 0 3 * * *'
      Retention__MaxAge: '30.00:00:00'
      // Not a Key Vault reference (one version, refreshed about daily, its literal text when unresolved): the app reads
      // the key's versions with the SDK and answers 503 until it can.
      Api__StatusTokenKeySecretName: statusTokenSecretName
      // Status URLs point here, never at a host a request names.
      Api__PublicBaseUrl: 'https://${app.properties.defaultHostName}'
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
