// A sample stateful Consumption Logic App that onboards an account through the API with the HTTP action's
// asynchronous request-reply pattern (202 → poll Location after Retry-After → first non-202 answer), and branches
// on success (200) and failure (422 and any other failure). Call its trigger URL (portal: "HTTP URL") with the
// onboarding request's JSON.
param location string
param tags object
param logicAppName string
param functionAppName string
param functionAppUrl string

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = {
  name: logicAppName
  location: location
  tags: tags
  properties: {
    state: 'Enabled'
    parameters: {
      onboardingApi: { value: functionAppUrl }
      // Read at deployment and kept in the workflow as a secure parameter (hidden in run history).
      onboardingKey: { value: listKeys('${functionApp.id}/host/default', '2024-04-01').functionKeys.default }
    }
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      parameters: {
        onboardingApi: { type: 'String' }
        onboardingKey: { type: 'SecureString' }
      }
      triggers: {
        manual: {
          type: 'Request'
          kind: 'Http'
          inputs: {
            method: 'POST'
            schema: {
              type: 'object'
              required: ['storageAccountUrl', 'clientId', 'tenant', 'secretName', 'sandbox']
              properties: {
                storageAccountUrl: { type: 'string' }
                clientId: { type: 'string' }
                tenant: { type: 'string' }
                secretName: { type: 'string' }
                sandbox: { type: 'string' }
                connectionName: { type: 'string' }
                description: { type: 'string' }
              }
            }
          }
        }
      }
      actions: {
        Onboard_account: {
          type: 'Http'
          runAfter: {}
          inputs: {
            method: 'POST'
            uri: '@{parameters(\'onboardingApi\')}/api/onboardings'
            headers: {
              'Content-Type': 'application/json'
              'x-functions-key': '@{parameters(\'onboardingKey\')}'
            }
            body: '@triggerBody()'
            // Logic Apps' default: retry 408, 429 and 5xx; a 422 (failed onboarding) is final.
            retryPolicy: { type: 'exponential', count: 4, interval: 'PT10S' }
          }
          // The asynchronous pattern is the HTTP action's default; it only times out after an hour here.
          limit: { timeout: 'PT1H' }
          runtimeConfiguration: {
            secureData: { properties: ['inputs'] }
          }
        }
        Connected: {
          type: 'Response'
          kind: 'Http'
          runAfter: { Onboard_account: ['Succeeded'] }
          inputs: {
            statusCode: 200
            body: {
              status: 'Connected'
              connectionId: '@{body(\'Onboard_account\')?[\'connectionId\']}'
              action: '@{body(\'Onboard_account\')?[\'action\']}'
            }
          }
        }
        Onboarding_failed: {
          type: 'Response'
          kind: 'Http'
          runAfter: { Onboard_account: ['Failed', 'TimedOut'] }
          inputs: {
            statusCode: 422
            body: {
              status: 'Failed'
              httpStatus: '@{outputs(\'Onboard_account\')?[\'statusCode\']}'
              errorCode: '@{body(\'Onboard_account\')?[\'errorCode\']}'
              detail: '@{body(\'Onboard_account\')?[\'detail\']}'
            }
          }
        }
      }
      outputs: {}
    }
  }
}

output name string = workflow.name
