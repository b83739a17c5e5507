// AdlsOnboarding on Azure: `azd up` provisions this and deploys src/AdlsOnboarding.Functions.
// Managed identity everywhere, no shared keys, least-privilege roles.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Region of every resource (must offer Flex Consumption).')
param location string

@description('Object id of the deploying user, given Key Vault Secrets Officer to load service principal keys. azd sets it.')
param principalId string = ''

@description('Key Vault name. Empty on the first deployment: a new unique name is made (purge protection keeps a deleted vault\'s name for 90 days); azd then keeps it in AZURE_KEY_VAULT_NAME.')
param keyVaultName string = ''

@description('Makes a new vault name unique per first deployment. Leave the default.')
param keyVaultNameSeed string = utcNow()

@secure()
@description('Seed of the status-token HMAC key (stored in Key Vault only). Leave the default.')
param statusTokenKeySeed string = newGuid()

@secure()
@description('The Adobe IMS client secret. Leave empty and load it with az keyvault secret set (see README).')
param adobeClientSecret string = ''

param adobeClientId string
param adobeOrgId string
param adobeFlowServiceUrl string = 'https://platform.adobe.io/data/foundation/flowservice'
param adobeImsTokenUrl string = 'https://ims-na1.adobelogin.com/ims/token/v3'
param adobeScopes string = 'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session'
param adobeClientSecretName string = 'adobe-ims-client-secret'
param adobeConnectionSpecId string = 'b3ba5556-48be-44b7-8b85-ff2b69b46dc4'

@minValue(1)
@maxValue(1000)
@description('Most Function App instances; with 10 activities per instance, the app-wide bound on concurrent Adobe calls is 10 x this.')
param maximumInstanceCount int = 10

@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('NCRONTAB schedule (with seconds) of the registry sweep that onboards newly registered accounts.')
param sweepSchedule string = '0 */5 * * * *'

@description('Deploy the sample Logic App that onboards an account with the asynchronous pattern.')
param deployLogicAppSample bool = true

var tags = { 'azd-env-name': environmentName, application: 'adls-onboarding' }
var token = toLower(uniqueString(subscription().id, environmentName, location))
var vaultName = empty(keyVaultName) ? 'kv-${take(uniqueString(subscription().id, environmentName, keyVaultNameSeed), 13)}' : keyVaultName
var deploymentContainerName = 'app-package-${take(token, 8)}'
var accountTableName = 'AdlsAccounts'
var eventsQueueName = 'keyvault-events'
var deadLetterContainerName = 'keyvault-events-deadletter'

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    identityName: 'id-${token}'
  }
}

module monitoring 'app/monitoring.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${token}'
    appInsightsName: 'appi-${token}'
  }
}

module storage 'app/storage.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    storageAccountName: 'st${take(token, 20)}'
    deploymentContainerName: deploymentContainerName
    accountTableName: accountTableName
    eventsQueueName: eventsQueueName
    deadLetterContainerName: deadLetterContainerName
  }
}

module vault 'app/keyvault.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    keyVaultName: vaultName
    workspaceId: monitoring.outputs.workspaceId
    statusTokenKey: base64('${statusTokenKeySeed}${guid(statusTokenKeySeed, environmentName)}')
    adobeClientSecret: adobeClientSecret
    adobeClientSecretName: adobeClientSecretName
  }
}

module functionApp 'app/function-app.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    planName: 'plan-${token}'
    functionAppName: 'func-${token}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    keyVaultName: vault.outputs.name
    keyVaultUri: vault.outputs.uri
    statusTokenSecretName: vault.outputs.statusTokenName
    accountTableName: accountTableName
    taskHubName: 'AdlsOnboarding'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    adobeFlowServiceUrl: adobeFlowServiceUrl
    adobeImsTokenUrl: adobeImsTokenUrl
    adobeClientId: adobeClientId
    adobeOrgId: adobeOrgId
    adobeScopes: adobeScopes
    adobeClientSecretName: adobeClientSecretName
    adobeConnectionSpecId: adobeConnectionSpecId
    sweepSchedule: sweepSchedule
    eventsQueueName: eventsQueueName
  }
}

module keyVaultEvents 'app/keyvault-events.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    keyVaultName: vault.outputs.name
    storageAccountName: storage.outputs.name
    eventsQueueName: eventsQueueName
    deadLetterContainerName: deadLetterContainerName
  }
}

module roles 'app/role-assignments.bicep' = {
  scope: group
  params: {
    appPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    deployerPrincipalId: principalId
  }
}

module logicApp 'app/logic-app-sample.bicep' = if (deployLogicAppSample) {
  scope: group
  params: {
    location: location
    tags: tags
    logicAppName: 'logic-onboard-${token}'
    functionAppName: functionApp.outputs.name
    functionAppUrl: 'https://${functionApp.outputs.defaultHostName}'
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = group.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output AZURE_KEY_VAULT_URI string = vault.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_LOGIC_APP_NAME string = deployLogicAppSample ? logicApp!.outputs.name : ''

