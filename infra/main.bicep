// AdlsOnboarding on Azure: `azd up` provisions this and deploys src/AdlsOnboarding.Functions; the azd hooks in
// infra/hooks/ do what a template must not (see azure.yaml). Managed identity everywhere, no shared keys, least-privilege
// roles, and nothing random or secret computed here: a second `azd up` with nothing changed changes nothing.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Region of every resource (must offer Flex Consumption).')
param location string

@description('Object id of the identity running the deployment (azd sets AZURE_PRINCIPAL_ID), given Key Vault Secrets Officer on both vaults to load secrets. Empty: no role.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
@description('What principalId is: User for a person, ServicePrincipal for CI (AZURE_PRINCIPAL_TYPE). A mismatch fails the role assignment (UnmatchedPrincipalType).')
param principalType string = 'User'

@minLength(8)
@description('Makes the vault names unique to this environment. Random, made once by the preprovision hook and kept in AZURE_KEY_VAULT_NAME_SEED, so that a retry after a failed first provision reuses the same vaults.')
param keyVaultNameSeed string

@description('Name of the service principal keys\' vault. Empty: derived from keyVaultNameSeed; azd then keeps it in AZURE_KEY_VAULT_NAME.')
param keyVaultName string = ''

@description('Name of the app\'s own vault (IMS client secret, status-token key). Empty: derived from keyVaultNameSeed; azd then keeps it in AZURE_APP_KEY_VAULT_NAME.')
param appKeyVaultName string = ''

param adobeClientId string
param adobeOrgId string
param adobeFlowServiceUrl string = 'https://platform.adobe.io/data/foundation/flowservice'
param adobeImsTokenUrl string = 'https://ims-na1.adobelogin.com/ims/token/v3'
param adobeScopes string = 'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session'
param adobeClientSecretName string = 'adobe-ims-client-secret'
param adobeConnectionSpecId string = 'b3ba5556-48be-44b7-8b85-ff2b69b46dc4'

@minValue(1)
@maxValue(1000)
@description('Most on-demand instances of each function group. 40 is accepted in every region (lower values only in some: InvalidMaximumInstanceCount).')
param maximumInstanceCount int = 40

@minValue(1)
@maxValue(64)
@description('Flow Service calls one instance makes at once (Adobe:MaxConcurrentCalls). App-wide bound: this x (maximumInstanceCount + the durable group\'s always-ready instance).')
param adobeMaxConcurrentCalls int = 8

@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('NCRONTAB schedule (with seconds) of the registry sweep that onboards newly registered accounts.')
param sweepSchedule string = '0 */5 * * * *'

var tags = { 'azd-env-name': environmentName, application: 'adls-onboarding' }
var token = toLower(uniqueString(subscription().id, environmentName, location))
var keysVaultName = empty(keyVaultName) ? 'kv-${take(uniqueString(subscription().id, environmentName, keyVaultNameSeed), 13)}' : keyVaultName
var appVaultName = empty(appKeyVaultName) ? 'kva-${take(uniqueString(subscription().id, environmentName, keyVaultNameSeed, 'app'), 13)}' : appKeyVaultName
var statusTokenSecretName = 'status-token-key'
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

// Service principal keys only; its secret events go to the app.
module keysVault 'app/keyvault.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    keyVaultName: keysVaultName
    workspaceId: monitoring.outputs.workspaceId
  }
}

// The app's own secrets only, so that no request naming a secret (and no tag mistake) can reach them.
module appVault 'app/keyvault.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    keyVaultName: appVaultName
    workspaceId: monitoring.outputs.workspaceId
  }
}

module roles 'app/role-assignments.bicep' = {
  scope: group
  params: {
    appPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keysVaultName: keysVault.outputs.name
    appVaultName: appVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module functionApp 'app/function-app.bicep' = {
  scope: group
  // The app starts reading storage and both vaults at once: its roles exist first. (They may take minutes more to
  // take effect; the app answers 503 until it can read its status-token key, and retries.)
  dependsOn: [roles]
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
    keysVaultUri: keysVault.outputs.uri
    appVaultUri: appVault.outputs.uri
    statusTokenSecretName: statusTokenSecretName
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
    adobeMaxConcurrentCalls: adobeMaxConcurrentCalls
    sweepSchedule: sweepSchedule
    eventsQueueName: eventsQueueName
  }
}

module keyVaultEvents 'app/keyvault-events.bicep' = {
  scope: group
  params: {
    location: location
    tags: tags
    keyVaultName: keysVault.outputs.name
    storageAccountName: storage.outputs.name
    eventsQueueName: eventsQueueName
    deadLetterContainerName: deadLetterContainerName
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = group.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_KEY_VAULT_NAME string = keysVault.outputs.name
output AZURE_KEY_VAULT_URI string = keysVault.outputs.uri
output AZURE_APP_KEY_VAULT_NAME string = appVault.outputs.name
output AZURE_APP_KEY_VAULT_URI string = appVault.outputs.uri
output STATUS_TOKEN_KEY_SECRET_NAME string = statusTokenSecretName
output ADOBE_CLIENT_SECRET_NAME string = adobeClientSecretName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
