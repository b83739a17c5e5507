// A sample stateful Consumption Logic App that onboards an account through the API with the HTTP action's
// asynchronous request-reply pattern (202 → poll Location after Retry-After → first non-202 answer), and branches
// on success (200) and failure (422 and any other failure). Call its trigger URL (portal: "HTTP URL") with the
// onboarding request's JSON: it answers 202 at once with a Location to poll, since an onboarding can outlast the
// 120 s a Consumption request trigger holds its caller.
//
// Not part of `azd provision`: the postdeploy hook deploys it once the app's code (and so its StartOnboarding
// function and that function's key) exists.
param location string = resourceGroup().location

@description('azd environment name, for the tag azd uses.')
param environmentName string

param functionAppName string
param logicAppName string = 'logic-onboard-${uniqueString(resourceGroup().id)}'

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName

  // Its key opens this one route only (the host's default key would open every route).
  resource startOnboarding 'functions' existing = {
    name: 'StartOnboarding'
  }
}

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = {
  name: logicAppName
  location: location
  tags: { 'azd-env-name': environmentName, application: 'adls-onboarding' }
  properties: {
    state: 'Enabled'
    parameters: {
      onboardingApi: { value: 'https://${functionApp.properties.defaultHostName}' }
      // Read at deployment and kept in the workflow as a secure parameter (hidden in run history).
      onboardingKey: { value: functionApp::startOnboarding.listKeys().default }
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
        // Asynchronous responses (every Response of a workflow must be): the caller gets 202 + Location at once and
        // polls it for this answer.
        Connected: {
          type: 'Response'
          kind: 'Http'
          operationOptions: 'Asynchronous'
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
          operationOptions: 'Asynchronous'
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
