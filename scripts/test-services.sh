#!/usr/bin/env bash
# Installs (Debian packages, only those missing) and starts every real service the test suite
# needs, bound to 127.0.0.1 only, then waits until each is ready. Idempotent: a service that
# already answers as expected is left alone, so a second run is a fast no-op. Works without
# systemd (daemons are started directly) and beside services the machine already runs.
#
# Usage: scripts/test-services.sh [up]            ensure every service (default)
#        scripts/test-services.sh start SERVICE   ensure one service and wait until it is ready
#        scripts/test-services.sh stop SERVICE    stop one service this script started (outages)
#        scripts/test-services.sh stop-all        stop every service this script started
#        scripts/test-services.sh status          say which services answer; exit 1 if any not
#        scripts/test-services.sh env             print `export KEDARS_TEST_...` lines
#        scripts/test-services.sh ensure-packages PKG...   apt-get install what is missing
# Services: redis redis-auth redis-cluster redis-sentinel mysql pushgateway prometheus
# State and logs live under $KEDARS_SERVICES_DIR (default <repo>/target/test-services).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/test-services.sh"
DIR=${KEDARS_SERVICES_DIR:-$ROOT/target/test-services}
TIMEOUT=${KEDARS_SERVICES_TIMEOUT:-60} # seconds any one service may take to become ready
export DEBIAN_FRONTEND=noninteractive

# Fixed addresses and credentials; the Rust tests use exactly these.
REDIS_PORT=6379
AUTH_PORT=6380 AUTH_PASS=kedars-secret ACL_USER=scaler ACL_PASS=scaler-pass
CLUSTER_PORTS=(7000 7001 7002)
SMASTER_PORT=6390 SREPLICA_PORT=6391 SMASTER_PASS=master-pass
SENTINEL_PORT=26379 SENTINEL_PASS=sentinel-pass SENTINEL_NOAUTH_PORT=26380
MYSQL_PORT=3306 MYSQL_USER=kedars MYSQL_PASS=kedars-pass
PROM_PORT=19090 PUSHGW_PORT=19091

log() { printf '[test-services] %s\n' "$*" >&2; }
die() { printf '[test-services] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- generic helpers

# Fails unless `cmd` succeeds within `secs`; names the service and shows the end of its log.
wait_for() {
  local what=$1 logf=$2 secs=$3
  shift 3
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then
      [ -f "$logf" ] && tail -n 20 "$logf" >&2
      die "$what not ready after ${secs}s (log: $logf)"
    fi
    sleep 0.1
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_closed() { ! port_open "$1"; }

# A zombie counts as dead: some inits (and chroots) reap orphans only after a second or two.
alive() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]; }

# The pid in `pidfile` if that process is alive and its command line contains `pattern`.
live_pid() {
  local pidfile=$1 pattern=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern" || return 1
  echo "$pid"
}

# Execs "$@" with only fds 0-2 open: a daemon must hold neither our lock nor any pipe of the
# caller (a test harness or CI waiting for end-of-output would hang on it).
bare_exec() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-"; fi
  done
  exec "$@"
}

# Starts a foreground daemon in its own session, detached from our stdio.
spawn() {
  local pidfile=$1 logf=$2
  shift 2
  (bare_exec setsid "$@") </dev/null >>"$logf" 2>&1 &
  echo $! >"$pidfile"
}

# TERM, then KILL after 5 s; waits until `port` no longer accepts connections.
kill_pidfile() {
  local name=$1 pidfile=$2 pattern=$3 port=$4 pid
  if pid=$(live_pid "$pidfile" "$pattern"); then
    kill -TERM "$pid" 2>/dev/null || true
    local end=$((SECONDS + 5))
    while alive "$pid" && ((SECONDS < end)); do sleep 0.05; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pidfile"
  wait_for "$name (stopping)" "$pidfile" 10 port_closed "$port"
}

pkg_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

POLICY=/usr/sbin/policy-rc.d MADE_POLICY=
cleanup_policy() { if [ -n "$MADE_POLICY" ]; then rm -f "$POLICY"; MADE_POLICY=; fi; }
trap cleanup_policy EXIT

ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if [[ " ${missing[*]} " != *" $p "* ]] && ! pkg_installed "$p"; then missing+=("$p"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "Debian packages missing: ${missing[*]}; run as root to install them"
  log "installing ${missing[*]} (log: $DIR/apt.log)"
  # Keep the packages' own services (redis on 6379, mariadb, prometheus on 9090) from starting.
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod 755 "$POLICY" && MADE_POLICY=1
  fi
  local apt=(apt-get -q -o DPkg::Lock::Timeout=300) try
  for try in 1 2 3 4 5 6 7 8 9 10; do # `update` may not wait for the lists lock by itself
    if "${apt[@]}" update >"$DIR/apt-update.log" 2>&1; then break; fi
    cat "$DIR/apt-update.log" >>"$DIR/apt.log"
    if ! grep -q 'Could not get lock' "$DIR/apt-update.log" || [ "$try" -eq 10 ]; then
      tail -n 20 "$DIR/apt.log" >&2
      die "apt-get update failed (log: $DIR/apt.log)"
    fi
    sleep 15
  done
  cat "$DIR/apt-update.log" >>"$DIR/apt.log"
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >>"$DIR/apt.log" 2>&1 ||
    { tail -n 20 "$DIR/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $DIR/apt.log)"; }
  cleanup_policy
}

packages_for() {
  case $1 in
  redis | redis-auth | redis-cluster | redis-sentinel) echo redis-server redis-tools ;;
  mysql) echo mariadb-client-core && { port_open "$MYSQL_PORT" || echo mariadb-server; } ;;
  pushgateway) echo prometheus-pushgateway curl ;;
  prometheus) echo prometheus curl ;;
  *) die "unknown service '$1' (known: ${SERVICES[*]})" ;;
  esac
}

# ---------------------------------------------------------------- redis

rcli() { # PORT [redis-cli args...]
  local port=$1
  shift
  timeout 5 redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" "$@" 2>/dev/null | tr -d '\r'
}
redis_ping() { [ "$(rcli "$@" ping)" = PONG ]; }

# Writes the config of instance NAME (under $DIR/NAME) with the extra lines on stdin, starts it.
start_redis() {
  local name=$1 port=$2 mode=${3:-} d="$DIR/$1"
  mkdir -p "$d"
  port_open "$port" && die "127.0.0.1:$port is taken by something that is not the expected $name"
  {
    printf '%s\n' "bind 127.0.0.1" "port $port" "daemonize yes" "pidfile $d/redis.pid" \
      "logfile $d/redis.log" "dir $d"
    [ "$mode" = sentinel ] || printf '%s\n' 'save ""' "appendonly no"
    cat
  } >"$d/redis.conf"
  log "starting $name on 127.0.0.1:$port"
  if [ "$mode" = sentinel ]; then
    (bare_exec redis-server "$d/redis.conf" --sentinel) </dev/null || die "$name failed to start (log: $d/redis.log)"
  else
    (bare_exec redis-server "$d/redis.conf") </dev/null || die "$name failed to start (log: $d/redis.log)"
  fi
}

# Stops a redis instance: by its pidfile, else by SHUTDOWN (with the given auth args).
stop_redis() {
  local name=$1 port=$2
  shift 2
  if ! live_pid "$DIR/$name/redis.pid" redis >/dev/null; then
    if port_open "$port"; then rcli "$port" "$@" shutdown nosave >/dev/null || true; fi
  fi
  kill_pidfile "$name" "$DIR/$name/redis.pid" redis "$port"
}

redis_ok() { redis_ping "$REDIS_PORT"; }
ensure_redis() {
  redis_ok && return 0
  start_redis redis "$REDIS_PORT" </dev/null
  wait_for "redis (127.0.0.1:$REDIS_PORT)" "$DIR/redis/redis.log" "$TIMEOUT" redis_ok
}

AUTH_DEFAULT=(-a "$AUTH_PASS") AUTH_ACL=(--user "$ACL_USER" --pass "$ACL_PASS")
redis_auth_ok() { redis_ping "$AUTH_PORT" "${AUTH_DEFAULT[@]}" && redis_ping "$AUTH_PORT" "${AUTH_ACL[@]}"; }
ensure_redis_auth() {
  redis_auth_ok && return 0
  start_redis redis-auth "$AUTH_PORT" <<EOF
requirepass $AUTH_PASS
user $ACL_USER on >$ACL_PASS ~* &* +@all
EOF
  wait_for "redis-auth (127.0.0.1:$AUTH_PORT)" "$DIR/redis-auth/redis.log" "$TIMEOUT" redis_auth_ok
}
stop_redis_auth() { stop_redis redis-auth "$AUTH_PORT" "${AUTH_DEFAULT[@]}"; }

cluster_node_ok() {
  local info
  info=$(rcli "$1" cluster info)
  grep -qx cluster_state:ok <<<"$info" && grep -qx cluster_slots_assigned:16384 <<<"$info" &&
    grep -qx "cluster_known_nodes:${#CLUSTER_PORTS[@]}" <<<"$info" &&
    grep -qx "cluster_size:${#CLUSTER_PORTS[@]}" <<<"$info"
}
redis_cluster_ok() { local p; for p in "${CLUSTER_PORTS[@]}"; do cluster_node_ok "$p" || return 1; done; }
cluster_node_blank() {
  local info
  info=$(rcli "$1" cluster info)
  grep -qx cluster_known_nodes:1 <<<"$info" && grep -qx cluster_slots_assigned:0 <<<"$info" &&
    [ "$(rcli "$1" dbsize)" = 0 ]
}
start_cluster_node() {
  start_redis "redis-cluster/$1" "$1" <<EOF
cluster-enabled yes
cluster-config-file $DIR/redis-cluster/$1/nodes.conf
cluster-node-timeout 5000
EOF
}
ensure_redis_cluster() {
  redis_cluster_ok && return 0
  local p blank=0
  for p in "${CLUSTER_PORTS[@]}"; do
    redis_ping "$p" || start_cluster_node "$p"
  done
  for p in "${CLUSTER_PORTS[@]}"; do
    wait_for "redis-cluster node 127.0.0.1:$p" "$DIR/redis-cluster/$p/redis.log" "$TIMEOUT" redis_ping "$p"
    if cluster_node_blank "$p"; then blank=$((blank + 1)); fi
  done
  if ((blank < ${#CLUSTER_PORTS[@]})); then
    if ((blank == 0)); then # restarted nodes rejoin from their nodes.conf within a few seconds
      local end=$((SECONDS + 10))
      until redis_cluster_ok || ((SECONDS >= end)); do sleep 0.2; done
      redis_cluster_ok && return 0
    fi
    log "redis-cluster is broken: wiping and recreating it"
    for p in "${CLUSTER_PORTS[@]}"; do
      stop_redis "redis-cluster/$p" "$p"
      rm -f "$DIR/redis-cluster/$p/nodes.conf"
      start_cluster_node "$p"
    done
    for p in "${CLUSTER_PORTS[@]}"; do
      wait_for "redis-cluster node 127.0.0.1:$p" "$DIR/redis-cluster/$p/redis.log" "$TIMEOUT" redis_ping "$p"
    done
  fi
  log "creating redis-cluster on ports ${CLUSTER_PORTS[*]}"
  local addrs=() createlog="$DIR/redis-cluster/create.log"
  for p in "${CLUSTER_PORTS[@]}"; do addrs+=("127.0.0.1:$p"); done
  timeout 60 redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes \
    </dev/null >"$createlog" 2>&1 || { tail -n 20 "$createlog" >&2; die "redis-cluster creation failed (log: $createlog)"; }
  wait_for "redis-cluster (cluster_state:ok on ${CLUSTER_PORTS[*]})" "$createlog" "$TIMEOUT" redis_cluster_ok
}
stop_redis_cluster() { local p; for p in "${CLUSTER_PORTS[@]}"; do stop_redis "redis-cluster/$p" "$p"; done; }

MASTER_AUTH=(-a "$SMASTER_PASS")
# Both sides may be master after a failover. No 5 s wait before the first (diskless) full sync.
SREDIS_CONF=("requirepass $SMASTER_PASS" "masterauth $SMASTER_PASS" "repl-diskless-sync-delay 0")
sentinel_args() { if [ "$1" = "$SENTINEL_PORT" ]; then echo "-a $SENTINEL_PASS"; fi; }
smaster_ok() { [ "$(rcli "$SMASTER_PORT" "${MASTER_AUTH[@]}" role | head -n 1)" = master ]; }
sreplica_ok() {
  local info
  info=$(rcli "$SREPLICA_PORT" "${MASTER_AUTH[@]}" info replication)
  grep -qx role:slave <<<"$info" && grep -qx master_host:127.0.0.1 <<<"$info" &&
    grep -qx "master_port:$SMASTER_PORT" <<<"$info" && grep -qx master_link_status:up <<<"$info"
}
# The sentinel on PORT names 127.0.0.1:6390 as mymaster's master.
sentinel_points_right() {
  # shellcheck disable=SC2046
  [ "$(rcli "$1" $(sentinel_args "$1") sentinel get-master-addr-by-name mymaster)" = \
    "$(printf '127.0.0.1\n%s' "$SMASTER_PORT")" ]
}
# ... and has found the replica.
sentinel_ok() {
  local n
  sentinel_points_right "$1" || return 1
  # shellcheck disable=SC2046
  n=$(rcli "$1" $(sentinel_args "$1") sentinel master mymaster | awk 'f{print;exit} $0=="num-slaves"{f=1}')
  [ "${n:-0}" -ge 1 ] 2>/dev/null
}
redis_sentinel_ok() {
  smaster_ok && sreplica_ok && sentinel_ok "$SENTINEL_PORT" && sentinel_ok "$SENTINEL_NOAUTH_PORT"
}
start_sentinel() {
  local port=$1 name="redis-sentinel/sentinel-$1"
  {
    echo "sentinel monitor mymaster 127.0.0.1 $SMASTER_PORT 1"
    echo "sentinel auth-pass mymaster $SMASTER_PASS"
    echo "sentinel down-after-milliseconds mymaster 10000"
    echo "sentinel failover-timeout mymaster 60000"
    # The protected sentinel guards itself; the other one authenticates to it when they meet.
    if [ "$port" = "$SENTINEL_PORT" ]; then echo "requirepass $SENTINEL_PASS"; else echo "sentinel sentinel-pass $SENTINEL_PASS"; fi
  } | start_redis "$name" "$port" sentinel
}
ensure_redis_sentinel() {
  redis_sentinel_ok && return 0
  local d="$DIR/redis-sentinel" port
  for port in "$SENTINEL_PORT" "$SENTINEL_NOAUTH_PORT"; do # first, so none fails over meanwhile
    # shellcheck disable=SC2046
    if redis_ping "$port" $(sentinel_args "$port") && ! sentinel_points_right "$port"; then
      log "sentinel on $port follows another master: restarting it with a fresh config"
      # shellcheck disable=SC2046
      stop_redis "redis-sentinel/sentinel-$port" "$port" $(sentinel_args "$port")
    fi
  done
  redis_ping "$SMASTER_PORT" "${MASTER_AUTH[@]}" ||
    printf '%s\n' "${SREDIS_CONF[@]}" | start_redis redis-sentinel/master "$SMASTER_PORT"
  wait_for "redis-sentinel master (127.0.0.1:$SMASTER_PORT)" "$d/master/redis.log" "$TIMEOUT" \
    redis_ping "$SMASTER_PORT" "${MASTER_AUTH[@]}"
  redis_ping "$SREPLICA_PORT" "${MASTER_AUTH[@]}" ||
    printf '%s\n' "${SREDIS_CONF[@]}" "replicaof 127.0.0.1 $SMASTER_PORT" |
    start_redis redis-sentinel/replica "$SREPLICA_PORT"
  wait_for "redis-sentinel replica (127.0.0.1:$SREPLICA_PORT)" "$d/replica/redis.log" "$TIMEOUT" \
    redis_ping "$SREPLICA_PORT" "${MASTER_AUTH[@]}"
  # After a failover (or a half-finished run) put the roles back as the tests expect them.
  smaster_ok || rcli "$SMASTER_PORT" "${MASTER_AUTH[@]}" replicaof no one >/dev/null || true
  sreplica_ok || rcli "$SREPLICA_PORT" "${MASTER_AUTH[@]}" replicaof 127.0.0.1 "$SMASTER_PORT" >/dev/null || true
  wait_for "redis-sentinel replica sync (127.0.0.1:$SREPLICA_PORT)" "$d/replica/redis.log" "$TIMEOUT" sreplica_ok
  for port in "$SENTINEL_PORT" "$SENTINEL_NOAUTH_PORT"; do
    # shellcheck disable=SC2046
    redis_ping "$port" $(sentinel_args "$port") || start_sentinel "$port"
  done
  for port in "$SENTINEL_PORT" "$SENTINEL_NOAUTH_PORT"; do
    wait_for "redis-sentinel (127.0.0.1:$port) watching mymaster and its replica" \
      "$d/sentinel-$port/redis.log" "$TIMEOUT" sentinel_ok "$port"
  done
}
stop_redis_sentinel() {
  local port
  for port in "$SENTINEL_PORT" "$SENTINEL_NOAUTH_PORT"; do
    # shellcheck disable=SC2046
    stop_redis "redis-sentinel/sentinel-$port" "$port" $(sentinel_args "$port")
  done
  stop_redis redis-sentinel/replica "$SREPLICA_PORT" "${MASTER_AUTH[@]}"
  stop_redis redis-sentinel/master "$SMASTER_PORT" "${MASTER_AUTH[@]}"
}

# ---------------------------------------------------------------- mariadb

MYSQL_DIR="$DIR/mysql"
mysql_socket() { # a unix socket path must stay under 108 bytes
  local s="$MYSQL_DIR/mysqld.sock"
  [ ${#s} -lt 100 ] || s="/tmp/kedars-mysqld-$(cksum <<<"$DIR" | cut -d' ' -f1).sock"
  echo "$s"
}
mysql_tcp() { timeout 10 mysql --protocol=tcp -h127.0.0.1 -P"$MYSQL_PORT" --connect-timeout=5 "$@"; }
mysql_ok() {
  { mysql_tcp -uroot -e 'select 1' test && mysql_tcp -u"$MYSQL_USER" -p"$MYSQL_PASS" -e 'select 1' test; } >/dev/null 2>&1
}
# Runs SQL as root: over TCP, else over our own socket, else over the machine's default socket.
mysql_root() {
  mysql_tcp -uroot -e "$1" 2>/dev/null && return 0
  [ -S "$(mysql_socket)" ] && timeout 10 mysql -uroot -S "$(mysql_socket)" -e "$1" 2>/dev/null && return 0
  timeout 10 mysql -uroot -e "$1"
}
ensure_mysql() {
  mysql_ok && return 0
  local datadir="$MYSQL_DIR/data" logf="$MYSQL_DIR/mariadb.log" sql=
  if ! port_open "$MYSQL_PORT"; then
    mkdir -p "$MYSQL_DIR"
    if [ ! -d "$datadir/mysql" ]; then
      log "initialising mariadb in $datadir"
      rm -rf "$datadir"
      # --force: a bare chroot may have no /etc/hosts, and install-db insists on resolving names.
      mariadb-install-db --no-defaults --user=root --datadir="$datadir" --force \
        --auth-root-authentication-method=normal --skip-test-db >"$MYSQL_DIR/install.log" 2>&1 ||
        { tail -n 20 "$MYSQL_DIR/install.log" >&2; die "mariadb-install-db failed (log: $MYSQL_DIR/install.log)"; }
    fi
    log "starting mariadb on 127.0.0.1:$MYSQL_PORT"
    spawn "$MYSQL_DIR/mariadb.pid" "$logf" mariadbd --no-defaults --user=root --datadir="$datadir" \
      --socket="$(mysql_socket)" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
      --pid-file="$MYSQL_DIR/mariadbd.pid" --log-error="$logf" --skip-name-resolve
    wait_for "mysql (mariadb on 127.0.0.1:$MYSQL_PORT)" "$logf" "$TIMEOUT" \
      timeout 10 mysql -uroot -S "$(mysql_socket)" -e 'select 1'
    # Our own server: root may log in over TCP with an empty password, as on the dev machines.
    sql="CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
  fi
  log "creating database test and user $MYSQL_USER"
  mysql_root "$sql
CREATE DATABASE IF NOT EXISTS test;
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASS';
ALTER USER '$MYSQL_USER'@'%' IDENTIFIED BY '$MYSQL_PASS';
GRANT ALL PRIVILEGES ON test.* TO '$MYSQL_USER'@'%';
DROP USER IF EXISTS ''@'localhost';
DROP USER IF EXISTS ''@'$(uname -n)';
FLUSH PRIVILEGES;" || die "mysql: cannot set up database test / user $MYSQL_USER as root on 127.0.0.1:$MYSQL_PORT"
  mysql_tcp -uroot -e 'select 1' test >/dev/null ||
    die "mysql: root cannot log in over TCP with an empty password (log: $logf)"
  mysql_tcp -u"$MYSQL_USER" -p"$MYSQL_PASS" -e 'select 1' test >/dev/null ||
    die "mysql: user $MYSQL_USER cannot log in over TCP (log: $logf)"
}
stop_mysql() {
  [ -s "$MYSQL_DIR/mariadb.pid" ] || die "mysql on $MYSQL_PORT was not started by this script: not stopping a shared server"
  kill_pidfile mysql "$MYSQL_DIR/mariadb.pid" mariadbd "$MYSQL_PORT"
}

# ---------------------------------------------------------------- prometheus and pushgateway

http_ok() { curl -fs -m 5 -o /dev/null "$1"; }
pushgateway_ok() { http_ok "http://127.0.0.1:$PUSHGW_PORT/-/ready"; }
ensure_pushgateway() {
  pushgateway_ok && return 0
  local d="$DIR/pushgateway"
  mkdir -p "$d"
  port_open "$PUSHGW_PORT" && die "127.0.0.1:$PUSHGW_PORT is taken by something that is not a pushgateway"
  log "starting pushgateway on 127.0.0.1:$PUSHGW_PORT"
  spawn "$d/pushgateway.pid" "$d/pushgateway.log" \
    prometheus-pushgateway --web.listen-address="127.0.0.1:$PUSHGW_PORT"
  wait_for "pushgateway (127.0.0.1:$PUSHGW_PORT)" "$d/pushgateway.log" "$TIMEOUT" pushgateway_ok
}
stop_pushgateway() {
  kill_pidfile pushgateway "$DIR/pushgateway/pushgateway.pid" prometheus-pushgateway "$PUSHGW_PORT"
}

prometheus_ok() { http_ok "http://127.0.0.1:$PROM_PORT/-/ready"; }
# Prometheus scrapes the pushgateway and reports that target healthy.
prometheus_scrapes() {
  curl -fs -m 5 "http://127.0.0.1:$PROM_PORT/api/v1/targets?state=active" |
    grep -q "\"scrapeUrl\":\"http://127.0.0.1:$PUSHGW_PORT/metrics\"[^}]*\"health\":\"up\""
}
ensure_prometheus() {
  local d="$DIR/prometheus"
  if ! prometheus_ok; then
    mkdir -p "$d/data"
    port_open "$PROM_PORT" && die "127.0.0.1:$PROM_PORT is taken by something that is not prometheus"
    cat >"$d/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:$PUSHGW_PORT']
EOF
    log "starting prometheus on 127.0.0.1:$PROM_PORT"
    spawn "$d/prometheus.pid" "$d/prometheus.log" prometheus \
      --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/data" \
      --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROM_PORT" \
      --web.enable-remote-write-receiver --web.enable-admin-api
    wait_for "prometheus (127.0.0.1:$PROM_PORT)" "$d/prometheus.log" "$TIMEOUT" prometheus_ok
  fi
  if pushgateway_ok; then # the first scrape comes ~6 s after start: poll
    wait_for "prometheus scraping the pushgateway (target health up)" "$d/prometheus.log" \
      "$TIMEOUT" prometheus_scrapes
  fi
}
stop_prometheus() { kill_pidfile prometheus "$DIR/prometheus/prometheus.pid" prometheus "$PROM_PORT"; }

# ---------------------------------------------------------------- commands

SERVICES=(redis redis-auth redis-cluster redis-sentinel mysql pushgateway prometheus)
fn() { echo "${2}_${1//-/_}"; } # fn redis-auth ensure -> ensure_redis_auth; each has NAME_ok too

print_env() {
  q() { printf 'export %s=%q\n' "$1" "$2"; }
  q KEDARS_TEST_REDIS "127.0.0.1:$REDIS_PORT"
  q KEDARS_TEST_REDIS_AUTH "127.0.0.1:$AUTH_PORT"
  q KEDARS_TEST_REDIS_CLUSTER "$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}" | sed 's/,$//')"
  q KEDARS_TEST_REDIS_SENTINEL "127.0.0.1:$SENTINEL_PORT"
  q KEDARS_TEST_REDIS_SENTINEL_NOAUTH "127.0.0.1:$SENTINEL_NOAUTH_PORT"
  q KEDARS_TEST_MYSQL "127.0.0.1:$MYSQL_PORT"
  q KEDARS_TEST_PROMETHEUS "http://127.0.0.1:$PROM_PORT"
  q KEDARS_TEST_PUSHGATEWAY "http://127.0.0.1:$PUSHGW_PORT"
  q KEDARS_SERVICES_DIR "$DIR"
  q KEDARS_TEST_SERVICES_DIR "$DIR"
  q KEDARS_TEST_SERVICES_SCRIPT "$SELF"
}

summary() {
  cat <<EOF
Test services ready (state and logs: $DIR):
  redis           127.0.0.1:$REDIS_PORT  no auth
  redis-auth      127.0.0.1:$AUTH_PORT  requirepass $AUTH_PASS; ACL user $ACL_USER / $ACL_PASS
  redis-cluster   $(printf '127.0.0.1:%s ' "${CLUSTER_PORTS[@]}")(3 masters, no replicas)
  redis-sentinel  127.0.0.1:$SENTINEL_PORT (requirepass $SENTINEL_PASS), 127.0.0.1:$SENTINEL_NOAUTH_PORT (no auth)
                  master mymaster = 127.0.0.1:$SMASTER_PORT, replica 127.0.0.1:$SREPLICA_PORT, password $SMASTER_PASS
  mysql           127.0.0.1:$MYSQL_PORT  root (no password), $MYSQL_USER / $MYSQL_PASS; database test
  prometheus      http://127.0.0.1:$PROM_PORT  (remote-write receiver, admin API; scrapes the pushgateway every 1s)
  pushgateway     http://127.0.0.1:$PUSHGW_PORT
EOF
}

status() {
  local s bad=0
  for s in "${SERVICES[@]}"; do
    if "${s//-/_}_ok" >/dev/null 2>&1; then echo "$s: up"; else echo "$s: DOWN"; bad=1; fi
  done
  return $bad
}

cmd=${1:-up}
[ $# -gt 0 ] && shift
if [ "$cmd" = env ]; then print_env && exit 0; fi

mkdir -p "$DIR"
exec 9>"$DIR/.lock" # one run at a time; every daemon is started with fd 9 closed (bare_exec)
flock -w 900 9 || die "another test-services.sh run holds $DIR/.lock"

case $cmd in
up)
  pkgs=()
  for s in "${SERVICES[@]}"; do read -ra p <<<"$(packages_for "$s")" && pkgs+=("${p[@]}"); done
  ensure_packages "${pkgs[@]}"
  for s in "${SERVICES[@]}"; do "$(fn "$s" ensure)"; done
  summary
  ;;
start)
  [ $# -eq 1 ] || die "usage: $0 start SERVICE (one of: ${SERVICES[*]})"
  read -ra p <<<"$(packages_for "$1")"
  ensure_packages "${p[@]}"
  "$(fn "$1" ensure)"
  ;;
stop)
  [ $# -eq 1 ] || die "usage: $0 stop SERVICE (one of: ${SERVICES[*]})"
  case $1 in
  redis)
    [ -s "$DIR/redis/redis.pid" ] || die "redis on $REDIS_PORT was not started by this script: not stopping a shared server"
    stop_redis redis "$REDIS_PORT"
    ;;
  redis-auth | redis-cluster | redis-sentinel | mysql | pushgateway | prometheus) "$(fn "$1" stop)" ;;
  *) die "unknown service '$1' (known: ${SERVICES[*]})" ;;
  esac
  ;;
stop-all)
  stop_prometheus
  stop_pushgateway
  stop_redis_sentinel
  stop_redis_cluster
  stop_redis_auth
  if [ -s "$DIR/redis/redis.pid" ]; then stop_redis redis "$REDIS_PORT"; fi
  if [ -s "$MYSQL_DIR/mariadb.pid" ]; then stop_mysql; fi
  ;;
status) status ;;
ensure-packages) ensure_packages "$@" ;;
*) die "unknown command '$cmd' (up, start, stop, stop-all, status, env, ensure-packages)" ;;
esac
