#!/bin/sh
# azd postdeploy hook: deploys the sample Logic App (infra/app/logic-app-sample.bicep) now that the app's code, and
# so its StartOnboarding function and that function's own key, exist. The same deployment name and parameters every
# time: a second run changes nothing. DEPLOY_LOGIC_APP_SAMPLE=false skips it.
set -eu

if [ "${DEPLOY_LOGIC_APP_SAMPLE:-true}" = "false" ]; then
  echo "DEPLOY_LOGIC_APP_SAMPLE=false: sample Logic App not deployed."
  exit 0
fi

root="$(cd "$(dirname "$0")/../.." && pwd)"
az deployment group create \
  --resource-group "${AZURE_RESOURCE_GROUP:?AZURE_RESOURCE_GROUP is not set}" \
  --name logic-app-sample \
  --template-file "$root/infra/app/logic-app-sample.bicep" \
  --parameters environmentName="${AZURE_ENV_NAME:?AZURE_ENV_NAME is not set}" functionAppName="${AZURE_FUNCTION_APP_NAME:?AZURE_FUNCTION_APP_NAME is not set}" \
  --output none
echo "Sample Logic App deployed (deployment logic-app-sample in $AZURE_RESOURCE_GROUP)."
