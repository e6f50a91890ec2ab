#!/usr/bin/env bash
# The six services as background processes on this machine (no Docker).
#   stack.sh start       start every service not yet running, wait for every /readyz
#   stack.sh stop        stop exactly the processes `start` launched (by pid)
#   stack.sh status      one line per service
#   stack.sh run NAME    one service in the foreground
#   stack.sh secrets     only make the development CA, certificates and key-encryption secret
# Each service gets its own ports and database from <SERVICE>_HTTP_PORT, <SERVICE>_GRPC_PORT and
# <SERVICE>_DATABASE_URL (defaults below); everything else in the caller's environment passes through.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$here/../.." && pwd -P)"
RUN_DIR="${RUN_DIR:-$ROOT/.run}"
mkdir -p "$RUN_DIR/pids" "$RUN_DIR/logs"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
READY_TIMEOUT="${READY_TIMEOUT:-90}"
# V8's young generation held to two 8 MB semi-spaces (16 MB by default): 16 MB less RSS per
# service, as in the image (deploy/Dockerfile) and the tests' stack (SERVICE_NODE_OPTIONS).
export NODE_OPTIONS="${NODE_OPTIONS---max-semi-space-size=8}"

# Backends first, the gateway last (its readiness needs the others).
SERVICES=(auth product order payment notification gateway)
declare -A HTTP_DEFAULT=([gateway]=8080 [auth]=8081 [product]=8082 [order]=8083 [payment]=8084 [notification]=8085)
declare -A GRPC_DEFAULT=([auth]=50051 [product]=50052 [order]=50053 [payment]=50054 [notification]=50055)

upper() { echo "$1" | tr '[:lower:]' '[:upper:]'; }
var_or() { local v="$1"; echo "${!v:-$2}"; }
http_port() { var_or "$(upper "$1")_HTTP_PORT" "${HTTP_DEFAULT[$1]}"; }
grpc_port() { var_or "$(upper "$1")_GRPC_PORT" "${GRPC_DEFAULT[$1]}"; }

# The key auth seals one-time tokens with and notification opens them with: ONE_TIME_TOKEN_KEY
# when set, else a development key generated once and kept (mode 600) under the ignored .run/.
one_time_token_key() {
  local file="$RUN_DIR/secrets/one-time-token.key"
  if [[ -n "${ONE_TIME_TOKEN_KEY:-}" ]]; then echo "$ONE_TIME_TOKEN_KEY"; return; fi
  if [[ ! -s "$file" ]]; then
    mkdir -p "$RUN_DIR/secrets" && chmod 700 "$RUN_DIR/secrets"
    (umask 077 && node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))' >"$file")
  fi
  cat "$file"
}

# gRPC mutual TLS: a development CA and a certificate per service (made once, by pki.sh), and the
# secret that encrypts auth's signing keys at rest (made once; the caller's KEY_ENCRYPTION_SECRET wins).
PKI_DIR="${PKI_DIR:-$RUN_DIR/pki}"
SECRET_FILE="$RUN_DIR/secrets/key-encryption-secret"
prepare_secrets() {
  "$here/pki.sh" "$PKI_DIR" >/dev/null
  if [[ ! -s "$SECRET_FILE" ]]; then
    mkdir -p "$(dirname "$SECRET_FILE")"
    (umask 077 && openssl rand -base64 48 | tr -d '\n' >"$SECRET_FILE")
  fi
}
tls_env() {
  echo "GRPC_TLS_CA_FILE=$PKI_DIR/ca.crt"
  echo "GRPC_TLS_CERT_FILE=$PKI_DIR/$1.crt"
  echo "GRPC_TLS_KEY_FILE=$PKI_DIR/$1.key"
  [[ "$1" == auth ]] && echo "KEY_ENCRYPTION_SECRET=${KEY_ENCRYPTION_SECRET:-$(cat "$SECRET_FILE")}"
  return 0
}

# The environment of one service, as NAME=value words for `env`.
service_env() {
  local s="$1"
  echo "SERVICE_NAME=$s"
  if [[ "$s" == gateway ]]; then
    echo "GATEWAY_PORT=${GATEWAY_PORT:-$(http_port gateway)}"
    for b in auth product order payment notification; do
      echo "$(upper "$b")_GRPC_ADDR=127.0.0.1:$(grpc_port "$b")"
    done
  else
    echo "HTTP_PORT=$(http_port "$s")"
    echo "GRPC_PORT=$(grpc_port "$s")"
    echo "DATABASE_URL=$(var_or "$(upper "$s")_DATABASE_URL" "$PG_URL/shop_$s")"
  fi
  echo "AUTH_JWKS_URL=${AUTH_JWKS_URL:-http://127.0.0.1:$(http_port auth)/.well-known/jwks.json}"
  if [[ "$s" == auth || "$s" == notification ]]; then echo "ONE_TIME_TOKEN_KEY=$(one_time_token_key)"; fi
  tls_env "$s"
}

alive() { [[ -f "$RUN_DIR/pids/$1.pid" ]] && kill -0 "$(cat "$RUN_DIR/pids/$1.pid")" 2>/dev/null; }

start_one() {
  local s="$1"
  if alive "$s"; then echo "$s already running (pid $(cat "$RUN_DIR/pids/$s.pid"))"; return; fi
  [[ -f "$ROOT/services/$s/dist/main.js" ]] || { echo "services/$s is not built (make build)" >&2; exit 1; }
  mapfile -t vars < <(service_env "$s")
  (cd "$ROOT/services/$s" && exec env "${vars[@]}" setsid node dist/main.js) \
    >>"$RUN_DIR/logs/$s.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/pids/$s.pid"
  echo "$s started (pid $!, log .run/logs/$s.log)"
}

wait_ready() {
  local s="$1" port deadline
  port="$(http_port "$s")"
  [[ "$s" == gateway ]] && port="${GATEWAY_PORT:-$port}"
  deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; do
    if ! alive "$s"; then
      echo "$s exited; last lines of .run/logs/$s.log:" >&2
      tail -n 20 "$RUN_DIR/logs/$s.log" >&2
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "$s not ready after ${READY_TIMEOUT}s:" >&2
      curl -sS "http://127.0.0.1:$port/readyz" >&2 || true
      return 1
    fi
    sleep 0.3
  done
  echo "$s ready on :$port"
}

stop_one() {
  local s="$1" pid
  [[ -f "$RUN_DIR/pids/$s.pid" ]] || return 0
  pid="$(cat "$RUN_DIR/pids/$s.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "$s stopped"
  fi
  rm -f "$RUN_DIR/pids/$s.pid"
}

case "${1:-}" in
  start)
    prepare_secrets
    for s in "${SERVICES[@]}"; do start_one "$s"; done
    for s in "${SERVICES[@]}"; do wait_ready "$s"; done
    echo
    echo "storefront on http://127.0.0.1:${GATEWAY_PORT:-$(http_port gateway)}/ (API under /api/v1, docs at /docs)"
    ;;
  stop)
    for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_one "${SERVICES[$i]}"; done
    ;;
  status)
    for s in "${SERVICES[@]}"; do
      if alive "$s"; then echo "$s running (pid $(cat "$RUN_DIR/pids/$s.pid"))"; else echo "$s stopped"; fi
    done
    ;;
  run)
    s="${2:?service name}"
    [[ -n "${HTTP_DEFAULT[$s]:-}" ]] || { echo "unknown service '$s'" >&2; exit 2; }
    prepare_secrets
    mapfile -t vars < <(service_env "$s")
    cd "$ROOT/services/$s" && exec env "${vars[@]}" node dist/main.js
    ;;
  secrets) prepare_secrets ;;
  *) echo "usage: $0 start|stop|status|run NAME|secrets" >&2; exit 2 ;;
esac
