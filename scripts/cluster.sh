#!/usr/bin/env bash
# A local scaled-out TaskHub without Docker, on loopback only:
#   MariaDB + Redis (scripts/services.sh), two TaskHub replicas (127.0.0.1:5101, :5102) on one MariaDB
#   database with the Redis backplane, and nginx in front on http://127.0.0.1:5100.
# nginx balances REST round-robin and hub connections least_conn, with no sticky sessions: TaskHub clients connect to the hub with WebSockets
# only and skip SignalR's negotiate request, so each connection is one long-lived upgraded request that
# never needs to find its replica again. (A client that negotiates first, or falls back to long polling,
# would need stickiness: set CLUSTER_STICKY=1 to hash on the client address instead.)
#
# Usage: scripts/cluster.sh start|stop|status      (REPLICAS=3 scripts/cluster.sh start for more)
#        scripts/cluster.sh replica <i>              (start replica i again if it is not running: no migration, no
#                                                    nginx reload; what bench/run.sh's reconnect storm uses)
# Knobs: REPLICAS, LB_PORT, FIRST_PORT, CLUSTER_LB_BACKLOG (nginx's listen queue, 4096), CLUSTER_LB_WORKERS (nginx's
# worker_processes, 1; "auto" is one per core, as deploy/nginx/nginx.conf), CLUSTER_HUB_BALANCE (least_conn, or round_robin as
# behind the AWS ALB), CLUSTER_HUB_NEXT_UPSTREAM (what nginx passes on to the next replica for a hub connect, "error timeout
# http_502 http_503"; "error timeout" hands a replica's 503 to the client, as the ALB does), CLUSTER_LB_UPSTREAM_IDLE (how long nginx keeps
# an idle connection to a replica, 500ms: below Realtime:Handover:ListenGraceMs and UpstreamIdleMs; "60s" was nginx's default), CLUSTER_DB, CLUSTER_DIR (state and PID files), CLUSTER_READY_TO_RUN=1 (publish
# the server compiled ahead of time, as the container image is, into app-r2r/: a replica starts on ~0.7× the CPU), CLUSTER_APP (a server published elsewhere, used as it is; CLUSTER_APP_REBUILD=1 republishes it when stale); any other
# TaskHub setting can be passed as an environment variable (e.g. Realtime__HeadIntervalSeconds=1); CLUSTER_REPLICA_ENV_<i>
# ("K=V K2=V2") adds settings for replica i only; CLUSTER_REPLICA_CPUS_<i> ("0", "0-1") pins replica i to those CPUs.
# Every process it starts has a PID file in .run/cluster/; `stop` stops exactly those.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${CLUSTER_DIR:-"$ROOT/.run/cluster"}
R2R=${CLUSTER_READY_TO_RUN:-0}
APP_NAME=app; [ "$R2R" = 1 ] && APP_NAME=app-r2r
APP=${CLUSTER_APP:-"$DIR/$APP_NAME"}
REPLICAS=${REPLICAS:-2}
LB_PORT=${LB_PORT:-5100}
FIRST_PORT=${FIRST_PORT:-5101}
DB=${CLUSTER_DB:-taskhub_cluster}
MYSQL="Server=127.0.0.1;Port=3306;Database=$DB;User ID=taskhub;Password=taskhub;Maximum Pool Size=200"
REDIS="127.0.0.1:6379"
mkdir -p "$DIR"

# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

log() { printf '[cluster] %s\n' "$*" >&2; }

wait_http() { # wait_http <url> <seconds>
  for _ in $(seq 1 $(($2 * 5))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  log "$1 did not answer within $2 s"; return 1
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

replica_env() {
  export ASPNETCORE_ENVIRONMENT=Production
  Jwt__SigningKey="$(cat "$DIR/jwt.key")"
  export ConnectionStrings__MySql="$MYSQL" ConnectionStrings__Redis="$REDIS" Jwt__SigningKey
  export DOTNET_gcServer=1 Logging__LogLevel__Default=${Logging__LogLevel__Default:-Warning}
}

start_replica() { # start_replica <i>: starts replica i unless its PID file names a live process
  local i=$1 port=$((FIRST_PORT + $1 - 1)) pidfile="$DIR/replica-$1.pid"
  if alive "$pidfile"; then log "replica $i already running (pid $(cat "$pidfile"))"; return; fi
  # CLUSTER_REPLICA_ENV_<i>: extra settings for replica i only ("K=V K2=V2"), e.g. a runtime or transport setting measured
  # against the other replica in the same run (bench/run.sh prints CPU per delivery per replica).
  local extra_var="CLUSTER_REPLICA_ENV_$i" extra=()
  read -r -a extra <<<"${!extra_var:-}"
  # CLUSTER_REPLICA_CPUS_<i>: the CPUs replica i may run on (taskset's list, e.g. "0" or "0-1"), as a deployment that
  # gives each replica its own cores would (bench/README.md, "Twenty-first round").
  local cpus_var="CLUSTER_REPLICA_CPUS_$i" pin=()
  if [ -n "${!cpus_var:-}" ]; then pin=(taskset -c "${!cpus_var}"); fi
  # The handover's outcome ("Handover: N of M hub connections moved in S s; …") is logged at Information, under the
  # Warning default: the storm's bench reads it from this log. (A key with dots: no shell variable can carry it.)
  local handover_log="Logging__LogLevel__TaskHub.Server.Features.Realtime.HubHandover=Information"
  (cd "$APP" && exec "${pin[@]}" env "$handover_log" "${extra[@]}" dotnet TaskHub.Server.dll --urls "http://127.0.0.1:$port" >>"$DIR/replica-$i.log" 2>&1) &
  echo $! > "$pidfile"
  log "replica $i: pid $(cat "$pidfile"), http://127.0.0.1:$port"
}

start() {
  scripts/services.sh start
  apt_install nginx curl

  [ -f "$DIR/jwt.key" ] || head -c 48 /dev/urandom | base64 -w0 > "$DIR/jwt.key"
  # (CLUSTER_APP names a server built elsewhere, e.g. a previous commit for a before/after run: used as it is, unless
  # CLUSTER_APP_REBUILD=1 says it is this tree's own folder, published again like the default one when a source, the
  # project file (its runtime settings), the settings file or the browser board's source is newer: the publish builds the
  # board into it)
  if [ ! -f "$APP/TaskHub.Server.dll" ] || { { [ -z "${CLUSTER_APP:-}" ] || [ "${CLUSTER_APP_REBUILD:-0}" = 1 ]; } &&
       [ -n "$(find src/TaskHub.Server web/src web/index.html -newer "$APP/TaskHub.Server.dll" \( -name '*.cs' -o -name '*.csproj' -o -name 'appsettings*.json' -o -name '*.ts' -o -name '*.tsx' -o -name '*.css' -o -name 'index.html' \) -not -path '*/wwwroot/*' -print -quit 2>/dev/null)" ]; }; then
    log "publishing the server$([ "$R2R" = 1 ] && echo " (ReadyToRun)")"
    if [ "$R2R" = 1 ]; then
      dotnet publish src/TaskHub.Server -c Release -r "linux-$([ "$(uname -m)" = aarch64 ] && echo arm64 || echo x64)" --self-contained false \
        -p:PublishReadyToRun=true -o "$APP" --nologo -v q >/dev/null
    else
      dotnet publish src/TaskHub.Server -c Release -o "$APP" --nologo -v q >/dev/null
    fi
    touch "$APP/TaskHub.Server.dll" # (a publish with no server change leaves it as it was: the next start would publish again)
  fi
  mysql -h127.0.0.1 -utaskhub -ptaskhub -e "CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

  replica_env
  log "migrating $DB"
  (cd "$APP" && dotnet TaskHub.Server.dll migrate >"$DIR/migrate.log" 2>&1) || { log "migration failed: see $DIR/migrate.log"; exit 1; }

  local upstream="" hubs_upstream=""
  for i in $(seq 1 "$REPLICAS"); do
    upstream+="    server 127.0.0.1:$((FIRST_PORT + i - 1)) max_fails=1 fail_timeout=2s;"$'\n'
    hubs_upstream+="    server 127.0.0.1:$((FIRST_PORT + i - 1)) max_fails=0;"$'\n'
    start_replica "$i"
  done
  for i in $(seq 1 "$REPLICAS"); do wait_http "http://127.0.0.1:$((FIRST_PORT + i - 1))/readyz" 60; done

  local balance="" hubs_balance="    least_conn;"
  # CLUSTER_HUB_BALANCE=round_robin: hub connections round-robin too, as behind the AWS ALB (whose slow start needs it) or
  # ingress-nginx: a shed connection then lands on any replica (what Realtime:Rebalance:AskToMove's refused moves are for).
  case "${CLUSTER_HUB_BALANCE:-least_conn}" in
    least_conn) ;;
    round_robin) hubs_balance="" ;;
    *) log "CLUSTER_HUB_BALANCE must be least_conn or round_robin"; exit 2 ;;
  esac
  [ "${CLUSTER_STICKY:-0}" = 1 ] && balance="    hash \$remote_addr consistent;" && hubs_balance=$balance
  mkdir -p "$DIR/nginx"
  cat > "$DIR/nginx.conf" <<NGINX
worker_processes ${CLUSTER_LB_WORKERS:-1};
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events { worker_connections 20000; }
worker_rlimit_nofile 65535;
http {
  access_log off;
  client_body_temp_path $DIR/nginx;
  proxy_temp_path $DIR/nginx;
  fastcgi_temp_path $DIR/nginx;
  uwsgi_temp_path $DIR/nginx;
  scgi_temp_path $DIR/nginx;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  # keepalive_timeout below the replicas' Realtime:Handover:ListenGraceMs (1 s) and UpstreamIdleMs (750 ms): a stopping
  # replica answers with Connection: close during that grace and waits UpstreamIdleMs after the last response that kept
  # its connection open, and nginx itself retires a pooled connection idle longer than this, so none is left for the
  # replica to close under a POST when its listener closes (bench/README.md, "Twenty-fourth/fifth round").
  upstream taskhub {
$balance
$upstream    keepalive 64;
    keepalive_timeout ${CLUSTER_LB_UPSTREAM_IDLE:-500ms};
  }
  # Hub connections go to the replica with the fewest open ones (the zone makes every worker count together), so the
  # connections a replica sheds to rebalance (Realtime:Rebalance) land on the lighter one; REST stays round-robin.
  # max_fails=0: after a failure nginx would let a recovered replica take one new connection per fail_timeout until a
  # request to it *completes* — a WebSocket completes when it closes — so the restarted replica would get almost none.
  # A refused connect still moves on to the next replica (proxy_next_upstream).
  upstream taskhub_hubs {
$hubs_balance
    zone taskhub_hubs 64k;
$hubs_upstream  }
  # backlog: when a replica stops, its clients all reconnect here within a second or two; nginx's default queue (511)
  # overflowed and every dropped SYN waited 1 s for the client's retry (bench/README.md, "Sixteenth round").
  server {
    listen 127.0.0.1:$LB_PORT backlog=${CLUSTER_LB_BACKLOG:-4096};
    client_max_body_size 1m;
    location /hubs/ {
      proxy_pass http://taskhub_hubs;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
      proxy_buffering off;
      proxy_connect_timeout 2s;
      proxy_next_upstream ${CLUSTER_HUB_NEXT_UPSTREAM:-error timeout http_502 http_503}; # a stopping (or rebalancing) replica refuses new hub connections with 503
    }
    location / {
      proxy_pass http://taskhub;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
NGINX
  if alive "$DIR/nginx.pid"; then nginx -c "$DIR/nginx.conf" -p "$DIR" -s reload; else nginx -c "$DIR/nginx.conf" -p "$DIR"; fi
  wait_http "http://127.0.0.1:$LB_PORT/readyz" 20
  log "TaskHub cluster ready at http://127.0.0.1:$LB_PORT ($REPLICAS replicas)"
}

stop() {
  if alive "$DIR/nginx.pid"; then kill "$(cat "$DIR/nginx.pid")"; log "nginx stopped"; fi
  rm -f "$DIR/nginx.pid"
  for pidfile in "$DIR"/replica-*.pid; do
    [ -e "$pidfile" ] || continue
    if alive "$pidfile"; then kill "$(cat "$pidfile")"; log "$(basename "$pidfile" .pid) stopped"; fi
    rm -f "$pidfile"
  done
}

status() {
  for pidfile in "$DIR"/replica-*.pid "$DIR/nginx.pid"; do
    [ -e "$pidfile" ] || continue
    if alive "$pidfile"; then echo "$(basename "$pidfile" .pid): running (pid $(cat "$pidfile"))"; else echo "$(basename "$pidfile" .pid): dead"; fi
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  replica)
    [ -n "${2:-}" ] || { echo "usage: $0 replica <i>" >&2; exit 2; }
    replica_env
    start_replica "$2"
    wait_http "http://127.0.0.1:$((FIRST_PORT + $2 - 1))/readyz" 60 ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|status|replica <i>" >&2; exit 2 ;;
esac
