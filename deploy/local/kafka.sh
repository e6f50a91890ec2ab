#!/usr/bin/env bash
# Local Apache Kafka broker without Docker: single node, KRaft, combined
# broker + controller, jars fetched from Maven Central with Maven, run with the
# machine's Java (17+).
#
#   deploy/local/kafka.sh up       start (idempotent), wait until ready
#   deploy/local/kafka.sh down     stop the broker this script started
#   deploy/local/kafka.sh status   exit 0 when running, 1 when not
#   deploy/local/kafka.sh reset    down + delete the data (fresh cluster)
#
# Environment:
#   RUN_DIR                 state folder (default: <repo root>/.run)
#   KAFKA_PORT              client port (default 9092)
#   KAFKA_CONTROLLER_PORT   controller port (default 9093)
#   KAFKA_BROKERS           when set to anything but 127.0.0.1:$KAFKA_PORT or
#                           localhost:$KAFKA_PORT, `up` starts nothing
#   KAFKA_HEAP_OPTS         JVM heap flags (default: -Xms256m -Xmx512m)
#   KAFKA_START_TIMEOUT     seconds to wait for readiness (default 90)
#   JAVA_HOME               Java to use (default: java on PATH)
#
# Layout under $RUN_DIR:
#   kafka/libs/             jars (+ .kafka-version stamp)
#   kafka/server.properties generated from deploy/local/kafka/server.properties.template
#   kafka/data/             log.dirs (+ .formatted stamp)
#   logs/kafka.log          broker output (previous run: logs/kafka.log.1)
#   pids/kafka.pid          pid of the broker
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
KAFKA_CONF_DIR="$SCRIPT_DIR/kafka"
POM="$KAFKA_CONF_DIR/pom.xml"
LOG4J_CONF="$KAFKA_CONF_DIR/log4j2.properties"
TEMPLATE="$KAFKA_CONF_DIR/server.properties.template"

RUN_DIR="${RUN_DIR:-$REPO_ROOT/.run}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd -P)"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"

KAFKA_HOME="$RUN_DIR/kafka"
LIBS_DIR="$KAFKA_HOME/libs"
LIBS_STAMP="$LIBS_DIR/.kafka-version"
DATA_DIR="$KAFKA_HOME/data"
FORMAT_STAMP="$DATA_DIR/.formatted"
SERVER_PROPS="$KAFKA_HOME/server.properties"
LOG_DIR="$RUN_DIR/logs"
LOG_FILE="$LOG_DIR/kafka.log"
PID_DIR="$RUN_DIR/pids"
PID_FILE="$PID_DIR/kafka.pid"
LOCK_FILE="$KAFKA_HOME/.lock"

# Fixed cluster id: 22 characters of URL-safe base64 (a 16-byte UUID).
CLUSTER_ID="LocalEcomKafkaCluster0"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA="java"
fi

log() { printf '%s\n' "$*"; }
die() { printf 'kafka.sh: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $(basename "$0") up|down|status|reset
EOF
  exit 2
}

validate_port() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (( 10#$2 < 1 || 10#$2 > 65535 )); then
    die "$1 must be a port number, got '$2'"
  fi
}

kafka_version() {
  local v
  v="$(sed -n 's:.*<kafka\.version>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</kafka\.version>.*:\1:p' "$POM" | head -n1)"
  [[ -n "$v" ]] || die "cannot read <kafka.version> from $POM"
  printf '%s' "$v"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# True when 127.0.0.1:$1 answers a Kafka ApiVersions (v0) request with the
# same correlation id. ApiVersions v0 is still served by Kafka 4 (clients use
# it to negotiate), so this works against any Kafka version.
answers_as_kafka() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    # size=12 | api_key=18 | api_version=0 | correlation_id=0x4b41464b | client_id="kc"
    printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x4b\x41\x46\x4b\x00\x02kc" >&3
    reply="$(head -c 8 <&3 | od -An -tx1 | tr -d " \n")"
    [[ "${reply:8:8}" == "4b41464b" ]]
  ' _ "$1" 2>/dev/null
}

# Prints the pid from the pid file when that process is alive and is a Kafka
# broker; otherwise removes a stale pid file and returns 1.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' < "$PID_FILE" || true)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
    printf '%s' "$pid"
    return 0
  fi
  log "removing stale pid file $PID_FILE (pid ${pid:-?} is not a running broker)" >&2
  rm -f "$PID_FILE"
  return 1
}

check_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (Kafka 4 needs Java 17+)"
  local major
  major="$("$JAVA" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^[[:space:]]*java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$major" && "$major" -ge 17 ]] || die "Kafka 4 needs Java 17+, $JAVA is ${major:-unknown}"
}

fetch_libs() {
  local version="$1"
  if [[ -f "$LIBS_STAMP" && "$(cat "$LIBS_STAMP")" == "$version" ]] \
     && compgen -G "$LIBS_DIR/kafka_2.13-$version.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars)"
  log "fetching Kafka $version jars with Maven into $LIBS_DIR ..."
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  # MAVEN_OPTS / ~/.m2/settings.xml apply as usual (e.g. -Dmaven.repo.local=...).
  local out
  if ! out="$(mvn -B -q -Dstyle.color=never -f "$POM" \
        dependency:copy-dependencies \
        -DincludeScope=runtime \
        -DoutputDirectory="$tmp" 2>&1)"; then
    printf '%s\n' "$out" >&2
    rm -rf "$tmp"
    die "mvn failed to fetch the Kafka $version jars"
  fi
  compgen -G "$tmp/kafka_2.13-$version.jar" >/dev/null || { rm -rf "$tmp"; die "mvn did not produce kafka_2.13-$version.jar"; }
  printf '%s\n' "$version" > "$tmp/.kafka-version"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
}

write_server_properties() {
  local content
  content="$(cat "$TEMPLATE")"
  content="${content//@KAFKA_PORT@/$KAFKA_PORT}"
  content="${content//@KAFKA_CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT}"
  content="${content//@KAFKA_DATA_DIR@/$DATA_DIR}"
  printf '%s\n' "$content" > "$SERVER_PROPS.tmp"
  mv "$SERVER_PROPS.tmp" "$SERVER_PROPS"
}

format_storage() {
  if [[ -f "$FORMAT_STAMP" && -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  log "formatting storage in $DATA_DIR (cluster id $CLUSTER_ID) ..."
  mkdir -p "$DATA_DIR"
  local out
  if ! out="$("$JAVA" -Xmx256m -cp "$LIBS_DIR/*" \
        -Dlog4j2.configurationFile="$LOG4J_CONF" \
        kafka.tools.StorageTool format --ignore-formatted \
        -t "$CLUSTER_ID" -c "$SERVER_PROPS" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "formatting the storage failed (try: $0 reset)"
  fi
  printf '%s\n' "$out" | grep -i 'format' || true
  printf 'cluster.id=%s\nkafka.version=%s\n' "$CLUSTER_ID" "$(kafka_version)" > "$FORMAT_STAMP"
}

# SIGTERM the broker, wait up to 30 s, then SIGKILL; remove the pid file.
stop_pid() {
  local pid="$1" i
  log "stopping kafka (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "kafka (pid $pid) still running after 30s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  rm -f "$PID_FILE"
  log "kafka stopped"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "kafka exited during start; last 40 lines of $LOG_FILE:" >&2
      tail -n 40 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      return 1
    fi
    if grep -qE 'Transitioning from RECOVERY to RUNNING|Kafka Server started' "$LOG_FILE" 2>/dev/null \
       && port_open "$KAFKA_PORT"; then
      return 0
    fi
    sleep 0.5
  done
  log "kafka not ready after ${KAFKA_START_TIMEOUT}s; last 40 lines of $LOG_FILE:" >&2
  tail -n 40 "$LOG_FILE" >&2 || true
  stop_pid "$pid" >&2
  return 1
}

cmd_up() {
  if [[ -n "${KAFKA_BROKERS:-}" \
        && "$KAFKA_BROKERS" != "127.0.0.1:$KAFKA_PORT" \
        && "$KAFKA_BROKERS" != "localhost:$KAFKA_PORT" ]]; then
    log "KAFKA_BROKERS=$KAFKA_BROKERS set; not starting a local broker"
    return 0
  fi

  mkdir -p "$KAFKA_HOME" "$LOG_DIR" "$PID_DIR"
  # One `up` at a time for this RUN_DIR (the lock is released when we exit).
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another kafka.sh holds $LOCK_FILE"

  local pid
  if pid="$(running_pid)"; then
    log "kafka already running (pid $pid)"
    return 0
  fi

  if port_open "$KAFKA_PORT"; then
    if answers_as_kafka "$KAFKA_PORT"; then
      log "a Kafka broker not started by this script already listens on 127.0.0.1:$KAFKA_PORT; using it"
      return 0
    fi
    die "127.0.0.1:$KAFKA_PORT is in use by something that is not Kafka; free it or set KAFKA_PORT"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "controller port 127.0.0.1:$KAFKA_CONTROLLER_PORT is in use; free it or set KAFKA_CONTROLLER_PORT"
  fi

  check_java
  local version
  version="$(kafka_version)"
  fetch_libs "$version"
  write_server_properties
  format_storage

  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  log "starting kafka $version on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT), log: $LOG_FILE"
  # The inner bash writes its own pid and then execs java, so the pid file
  # names the java process itself. setsid + nohup: the broker outlives this
  # shell and its terminal.
  # shellcheck disable=SC2086,SC2016  # KAFKA_HEAP_OPTS holds several flags; $$ is the inner bash's
  nohup setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$JAVA" $KAFKA_HEAP_OPTS \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONF" \
    -cp "$LIBS_DIR/*" \
    kafka.Kafka "$SERVER_PROPS" \
    >"$LOG_FILE" 2>&1 </dev/null 9>&- &

  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.1
  done
  pid="$(tr -dc '0-9' < "$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || die "kafka did not start (no pid written); see $LOG_FILE"

  if ! wait_ready "$pid"; then
    exit 1
  fi
  log "kafka ready on 127.0.0.1:$KAFKA_PORT (pid $pid)"
}

cmd_down() {
  local pid
  if ! pid="$(running_pid)"; then
    log "kafka not running"
    return 0
  fi
  stop_pid "$pid"
}

cmd_status() {
  local pid
  if pid="$(running_pid 2>/dev/null)"; then
    if port_open "$KAFKA_PORT"; then
      log "kafka running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
    else
      log "kafka running (pid $pid), 127.0.0.1:$KAFKA_PORT not accepting connections yet"
    fi
    return 0
  fi
  log "kafka not running"
  return 1
}

cmd_reset() {
  cmd_down
  log "deleting $DATA_DIR"
  rm -rf "$DATA_DIR"
}

validate_port KAFKA_PORT "$KAFKA_PORT"
validate_port KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *) usage ;;
esac
