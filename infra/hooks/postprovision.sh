#!/bin/sh
# azd postprovision hook: creates the status-token key in the app vault once, when it does not exist, and never
# writes it again (a new version on every `azd up` would invalidate every status URL in flight). The key is random,
# made here and handed to az through a file readable by this user only: never on a command line, never in the
# template, the deployment history or the azd environment. It also reminds you of the IMS client secret if the app
# vault does not hold it yet.
set -eu

vault="${AZURE_APP_KEY_VAULT_NAME:?AZURE_APP_KEY_VAULT_NAME is not set: run azd provision first}"
key_name="${STATUS_TOKEN_KEY_SECRET_NAME:-status-token-key}"
ims_name="${ADOBE_CLIENT_SECRET_NAME:-adobe-ims-client-secret}"
attempts="${HOOK_VAULT_ATTEMPTS:-30}"
delay="${HOOK_VAULT_RETRY_SECONDS:-10}"
errors="$(mktemp)"
key_file=""
trap 'rm -f "$errors" ${key_file:+"$key_file"}' EXIT

# Prints how many secrets of that name the vault holds (0 or 1); lists properties only, never reads a value.
count_secrets() {
  az keyvault secret list --vault-name "$vault" --query "[?name=='$1'] | length(@)" --output tsv 2>"$errors"
}

# The deploying identity's Key Vault Secrets Officer role was assigned moments ago and can take minutes to apply.
attempt=1
until existing="$(count_secrets "$key_name")"; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "Cannot list the secrets of vault $vault after $attempts attempts:" >&2
    cat "$errors" >&2
    exit 1
  fi
  echo "Vault $vault not readable yet (attempt $attempt of $attempts); retrying in ${delay} s."
  sleep "$delay"
  attempt=$((attempt + 1))
done

if [ "$existing" != "0" ]; then
  echo "Status-token key $key_name exists in $vault: left as it is."
else
  umask 077
  key_file="$(mktemp)"
  head -c 32 /dev/urandom | base64 | tr -d '\n' >"$key_file"
  if az keyvault secret set --vault-name "$vault" --name "$key_name" --file "$key_file" --encoding utf-8 \
      --content-type "base64 HMAC-SHA256 key" --output none 2>"$errors"; then
    echo "Status-token key $key_name created in $vault."
  elif grep -q "ObjectIsDeletedButRecoverable" "$errors"; then
    # Deleted earlier and still soft-deleted: bring the old key back rather than fail.
    az keyvault secret recover --vault-name "$vault" --name "$key_name" --output none
    echo "Status-token key $key_name was soft-deleted: recovered."
  else
    cat "$errors" >&2
    exit 1
  fi
fi

if [ "$(count_secrets "$ims_name")" = "0" ]; then
  echo "The app vault has no IMS client secret yet. Load it (the app reads it from this vault only):"
  echo "  az keyvault secret set --vault-name $vault --name $ims_name --file <file holding the secret>"
fi
