// The vault for the service principal keys, the IMS client secret and the status-token key: RBAC only, soft
// delete and purge protection on, audit logs to the workspace.
param location string
param tags object
param keyVaultName string
param workspaceId string

@secure()
@description('HMAC key that signs status URLs (base64).')
param statusTokenKey string

@secure()
@description('The Adobe IMS client secret. Empty: load it later with az keyvault secret set.')
param adobeClientSecret string

param adobeClientSecretName string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource statusKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'status-token-key'
  properties: {
    value: statusTokenKey
    contentType: 'base64 HMAC-SHA256 key'
  }
}

resource imsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(adobeClientSecret)) {
  parent: vault
  name: adobeClientSecretName
  properties: {
    value: adobeClientSecret
    contentType: 'Adobe IMS OAuth Server-to-Server client secret'
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      { categoryGroup: 'audit', enabled: true }
    ]
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
output statusTokenName string = statusKey.name
