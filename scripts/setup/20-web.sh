#!/usr/bin/env bash
# Installs Debian chromium (for the browser tests) and the web client's npm packages, then builds the web
# app into src/TaskHub.Server/wwwroot. Idempotent and non-interactive; TASKHUB_FORCE_INSTALL=1 reinstalls.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

apt_install chromium
npm_ci web
(cd web && npm run build)
test -f src/TaskHub.Server/wwwroot/index.html
echo "web app built into src/TaskHub.Server/wwwroot"
