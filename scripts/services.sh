#!/usr/bin/env bash
# Installs (idempotently) and starts the services the tests and the local cluster use, on loopback only:
#   MariaDB 10.11 on 127.0.0.1:3306 (user taskhub/taskhub, may create databases taskhub%)
#   Redis 7 on 127.0.0.1:6379
#   dynalite (DynamoDB API, in memory) on 127.0.0.1:4567
#   maildev (SMTP sink) on 127.0.0.1:1025, its web UI and REST API on http://127.0.0.1:1080
#   s3rver (S3 API) on http://127.0.0.1:4569, bucket taskhub-test (credentials S3RVER/S3RVER)
# Usage: scripts/services.sh start|stop|status   (TASKHUB_FORCE_INSTALL=1: reinstall even what is there)
# The services are the machine's, not a checkout's (their ports are fixed): their PID files, logs and
# s3rver's files live in TASKHUB_SERVICES_DIR (default ~/.local/state/taskhub-services), so a later
# clone finds, restarts and stops what an earlier one started. `stop` stops only what this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR="${TASKHUB_SERVICES_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/taskhub-services}"
mkdir -p "$RUN_DIR"

# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

log() { printf '[services] %s\n' "$*" >&2; }

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not come up within ${secs}s"; return 1
}

start_mariadb() {
  apt_install mariadb-server mariadb-client
  if ! as_root mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; then
    log "starting MariaDB"
    as_root service mariadb start >/dev/null 2>&1 || as_root service mysql start >/dev/null
    touch "$RUN_DIR/mariadb.started" # so `stop` stops it again (it was not running before us)
  fi
  wait_for MariaDB 60 as_root mysqladmin --protocol=socket -uroot ping
  as_root mariadb --protocol=socket -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'taskhub'@'127.0.0.1' IDENTIFIED BY 'taskhub';
CREATE USER IF NOT EXISTS 'taskhub'@'localhost' IDENTIFIED BY 'taskhub';
GRANT ALL PRIVILEGES ON `taskhub%`.* TO 'taskhub'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `taskhub%`.* TO 'taskhub'@'localhost';
FLUSH PRIVILEGES;
-- Parallel test classes, each with its own pool, plus a local cluster: more than the default 151.
SET GLOBAL max_connections = 2000;
-- Read committed for every connection, as docker-compose.yml and the AWS cluster run it (README, "Database
-- settings"): else a statement outside a write transaction ran at repeatable read on a fresh pooled connection and
-- at read committed on one a write transaction had set, and took different locks.
SET GLOBAL tx_isolation = 'READ-COMMITTED';
SQL
  wait_for "MariaDB over TCP" 30 mysqladmin -h127.0.0.1 -P3306 -utaskhub -ptaskhub ping
  log "MariaDB ready on 127.0.0.1:3306"
}

start_redis() {
  apt_install redis-server
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
      --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log"
  fi
  wait_for Redis 30 redis-cli -h 127.0.0.1 -p 6379 ping
  log "Redis ready on 127.0.0.1:6379"
}

# A node service left running by this script from a checkout that is gone (an earlier version kept its
# PID file inside the checkout): the process listening on <port> whose command line is exactly this
# project's <script> is ours, so its PID is recorded and it is managed like the others.
adopt_orphan() { # adopt_orphan <name> <port> <script path under tools/services>
  local name=$1 port=$2 script=$3 pid
  [ -f "$RUN_DIR/$name.pid" ] && return 0
  command -v ss >/dev/null || return 0
  # (nothing listening is the usual case: grep then fails, which must not end the script under pipefail)
  pid=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -oE 'pid=[0-9]+' | sed -n '1s/pid=//p' || true)
  [ -n "$pid" ] || return 0
  if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$script"; then
    log "adopting $name (PID $pid), started by an earlier run of this script"
    echo "$pid" > "$RUN_DIR/$name.pid"
  fi
}

start_node_service() { # start_node_service <name> <probe command> <node script and args...>
  local name=$1 probe=$2; shift 2
  if bash -c "$probe" >/dev/null 2>&1; then return 0; fi
  log "starting $name"
  # node itself (not npx) so that the PID we keep is the process that listens.
  nohup node "$@" >"$RUN_DIR/$name.log" 2>&1 &
  echo $! > "$RUN_DIR/$name.pid"
  wait_for "$name" 30 bash -c "$probe"
  log "$name ready"
}

start_node_services() {
  command -v node >/dev/null || { log "node is required (for dynalite, maildev and s3rver)"; return 1; }
  # A forced reinstall replaces the files the running node services were loaded from: restart the ones
  # this script started (by their PID files) around it.
  adopt_orphan dynalite 4567 tools/services/node_modules/dynalite/cli.js
  adopt_orphan maildev 1080 tools/services/node_modules/maildev/bin/maildev
  adopt_orphan s3rver 4569 tools/services/node_modules/s3rver/bin/s3rver.js
  if force_install; then stop_pidfile dynalite; stop_pidfile maildev; stop_pidfile s3rver; fi
  npm_ci tools/services node_modules/dynalite/cli.js node_modules/maildev/bin/maildev node_modules/s3rver/bin/s3rver.js
  start_node_service dynalite "curl -s -o /dev/null http://127.0.0.1:4567" \
    tools/services/node_modules/dynalite/cli.js --host 127.0.0.1 --port 4567 --createTableMs 0 --deleteTableMs 0 --updateTableMs 0
  start_node_service maildev "curl -fs -o /dev/null http://127.0.0.1:1080/email" \
    tools/services/node_modules/maildev/bin/maildev --ip 127.0.0.1 --web-ip 127.0.0.1 -s 1025 -w 1080
  mkdir -p "$RUN_DIR/s3rver"
  start_node_service s3rver "curl -s -o /dev/null http://127.0.0.1:4569/" \
    tools/services/node_modules/s3rver/bin/s3rver.js -d "$RUN_DIR/s3rver" -a 127.0.0.1 -p 4569 --silent --no-vhost-buckets --configure-bucket taskhub-test
  # The tests' bucket, whoever started s3rver and whatever happened to its files since.
  curl -s -o /dev/null -X PUT http://127.0.0.1:4569/taskhub-test || true
  if ! curl -fs -o /dev/null http://127.0.0.1:4569/taskhub-test; then
    log "s3rver on :4569 has no bucket taskhub-test and cannot create it (its files are gone?): stop it and run this again"
    return 1
  fi
}

stop_pidfile() {
  local f="$RUN_DIR/$1.pid"
  if [ -f "$f" ]; then
    local pid; pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  fi
}

case "${1:-start}" in
  start) apt_install curl; start_mariadb; start_redis; start_node_services ;;
  stop)
    for s in redis dynalite maildev s3rver; do stop_pidfile "$s"; done
    if [ -f "$RUN_DIR/mariadb.started" ]; then as_root service mariadb stop >/dev/null 2>&1 || true; rm -f "$RUN_DIR/mariadb.started"; fi
    log "stopped what this script started" ;;
  status)
    mysqladmin -h127.0.0.1 -utaskhub -ptaskhub ping 2>/dev/null || echo "mariadb: down"
    redis-cli -h 127.0.0.1 ping 2>/dev/null || echo "redis: down"
    curl -s -o /dev/null -w 'dynalite: %{http_code}\n' http://127.0.0.1:4567 || echo "dynalite: down"
    curl -fs -o /dev/null -w 'maildev: %{http_code}\n' http://127.0.0.1:1080/email || echo "maildev: down"
    curl -s -o /dev/null -w 's3rver: %{http_code}\n' http://127.0.0.1:4569/ || echo "s3rver: down" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
