#!/usr/bin/env bash
# PostgreSQL and Redis on this machine: start them when they are down and the URLs point here.
# Kafka is started by kafka.sh. Records what it started, so `make down` stops only that.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
RUN_DIR="${RUN_DIR:-$here/../../.run}"
mkdir -p "$RUN_DIR/pids"

PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

is_local() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done
  echo "$3 did not come up on $1:$2" >&2
  return 1
}

postgres_up() {
  if port_open "$PG_HOST" "$PG_PORT"; then return 0; fi
  if ! is_local "$PG_HOST"; then echo "PostgreSQL at $PG_HOST:$PG_PORT does not answer" >&2; return 1; fi
  echo "starting PostgreSQL"
  local version
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  touch "$RUN_DIR/pids/started-postgres"
  wait_port "$PG_HOST" "$PG_PORT" PostgreSQL
}

redis_up() {
  local hostport host port
  hostport="${REDIS_URL#*://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
  host="${hostport%:*}"; port="${hostport##*:}"
  if port_open "$host" "$port"; then return 0; fi
  if ! is_local "$host"; then echo "Redis at $host:$port does not answer" >&2; return 1; fi
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log --pidfile "$RUN_DIR/pids/redis.pid"
  touch "$RUN_DIR/pids/started-redis"
  wait_port "$host" "$port" Redis
}

down() {
  if [[ -f "$RUN_DIR/pids/started-redis" && -f "$RUN_DIR/pids/redis.pid" ]]; then
    kill "$(cat "$RUN_DIR/pids/redis.pid")" 2>/dev/null || true
    rm -f "$RUN_DIR/pids/started-redis" "$RUN_DIR/pids/redis.pid"
    echo "stopped Redis"
  fi
  if [[ -f "$RUN_DIR/pids/started-postgres" ]]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main stop || true
    rm -f "$RUN_DIR/pids/started-postgres"
    echo "stopped PostgreSQL"
  fi
}

case "${1:-up}" in
  up) postgres_up; redis_up; "$here/kafka.sh" up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
