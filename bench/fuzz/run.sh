#!/usr/bin/env bash
# Fuzzes the provider API of a running Portico with Schemathesis; see README.md here.
# Usage: PORTICO_FUZZ_URL=http://127.0.0.1:18080 PORTICO_FUZZ_TENANT=happy-paws \
#        PORTICO_FUZZ_TOKEN=ptk_… bench/fuzz/run.sh [extra schemathesis options]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${PORTICO_FUZZ_URL:?set PORTICO_FUZZ_URL, e.g. http://127.0.0.1:18080}"
: "${PORTICO_FUZZ_TENANT:?set PORTICO_FUZZ_TENANT to the slug of the token tenant}"
: "${PORTICO_FUZZ_TOKEN:?set PORTICO_FUZZ_TOKEN to a provider API token of that tenant}"
export PORTICO_FUZZ_URL PORTICO_FUZZ_TENANT PORTICO_FUZZ_TOKEN
exec "${SCHEMATHESIS:-schemathesis}" --config-file "$here/schemathesis.toml" run \
    "$PORTICO_FUZZ_URL/api/v1/openapi.json" --checks all "$@"
