#!/bin/sh
# azd preprovision hook: gives this environment the random seed its vault names derive from, once, before the first
# deployment. Kept in the azd environment (AZURE_KEY_VAULT_NAME_SEED), it survives a failed first provision, so a
# retry reuses the same vaults instead of making new ones (purge protection would keep those for 90 days).
set -eu

if [ -n "${AZURE_KEY_VAULT_NAME_SEED:-}" ]; then
  echo "Vault name seed already set for this environment: nothing to do."
  exit 0
fi

seed="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
azd env set AZURE_KEY_VAULT_NAME_SEED "$seed"
echo "Vault name seed set (AZURE_KEY_VAULT_NAME_SEED); the vault names derive from it from now on."
