#!/usr/bin/env bash
# Installs the test OpenID Connect provider (npm oidc-provider, tools/oidc/server.mjs) that the single sign-on
# tests start on loopback. Idempotent and non-interactive; TASKHUB_FORCE_INSTALL=1 reinstalls.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

npm_ci tools/oidc node_modules/oidc-provider/package.json
test -f tools/oidc/node_modules/oidc-provider/package.json
echo "test OIDC provider installed in tools/oidc"
