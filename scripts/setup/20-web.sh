#!/usr/bin/env bash
# Installs Debian chromium (for the browser tests) and builds the web app into src/TaskHub.Server/wwwroot.
# Idempotent and non-interactive.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (Debian package)"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
    || ($SUDO apt-get update && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
fi
cd "$ROOT/web"
npm ci --no-audit --no-fund
npm run build
test -f "$ROOT/src/TaskHub.Server/wwwroot/index.html"
echo "web app built into src/TaskHub.Server/wwwroot"
