#!/usr/bin/env bash
# Local infrastructure for development and integration tests, without Docker:
#   - Apache Kafka, single-node KRaft broker, jars resolved from Maven Central
#   - InfluxDB 1.x from the Debian package, run with our own config
#
# Usage: bash deploy/local/services.sh up|down|status|logs|reset [kafka|influxdb]
#          up       start (idempotent: a no-op for a service that already runs and answers)
#          down     stop (data stays); `down --purge` also wipes the state
#          status   running/stopped, pid and address per service
#          logs     last lines of the service log (`logs -f` follows)
#          reset    stop and wipe the state (same as `down --purge`)
#        No service name = both.
#
# Everything downloaded goes to $CIRCULAR_CACHE_DIR (default <repo>/.cache),
# everything generated at runtime (configs, data, logs, pid files) to
# $CIRCULAR_STATE_DIR (default <repo>/.local). Both are git-ignored.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

CACHE_DIR="${CIRCULAR_CACHE_DIR:-$REPO_ROOT/.cache}"
STATE_DIR="${CIRCULAR_STATE_DIR:-$REPO_ROOT/.local}"

# Pinned Kafka; see deploy/local/KAFKA_VERSION.md before changing it.
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-90}"

INFLUX_PORT="${INFLUX_PORT:-8086}"
INFLUX_RPC_PORT="${INFLUX_RPC_PORT:-18088}"
INFLUX_READY_TIMEOUT="${INFLUX_READY_TIMEOUT:-30}"

# Seconds to wait after SIGTERM before SIGKILL.
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"

KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_STATE="$STATE_DIR/kafka"
INFLUX_STATE="$STATE_DIR/influxdb"

# InfluxDB first: it starts in a second or two, Kafka takes longer.
ALL_SERVICES=(influxdb kafka)

# ---------------------------------------------------------------------------
# Generic helpers
# ---------------------------------------------------------------------------

log() { printf '%s\n' "$*" >&2; }
die() { printf 'services.sh: %s\n' "$*" >&2; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:<port>.
port_open() {
  timeout 2 bash -c ": >/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# "name (pid N)" of whoever listens on the port, for error messages; empty if unknown.
port_owner() {
  ss -Hltnp "sport = :$1" 2>/dev/null \
    | sed -nE '1s/.*users:\(\("([^"]+)",pid=([0-9]+).*/\1 (pid \2)/p' || true
}

# Prints the pid from <pidfile> if that process is alive AND its command line
# contains <marker> (our config path), so a recycled pid is never taken for ours.
live_pid() {
  local pidfile="$1" marker="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(<"$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # Compared in bash, not piped into `grep -q`: with pipefail, grep -q exiting
  # early can SIGPIPE the writer and make a match look like a failure.
  local args
  args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$args" == *"$marker"* ]] || return 1
  printf '%s\n' "$pid"
}

# Fails with a clear message if <port> is taken by a process that is not ours.
require_port_free() {
  local port="$1" env_var="$2" what="$3" owner
  if port_open "$port"; then
    owner="$(port_owner "$port")"
    die "port $port (needed for $what) is already in use${owner:+ by $owner}, which is not a service started from $STATE_DIR. Stop it or choose another port with $env_var=<port>."
  fi
}

# Serialises up/down/reset, e.g. parallel test workers that all call `up`.
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.services.lock"
  flock -w 300 9 || die "another services.sh has held $STATE_DIR/.services.lock for 5 minutes"
}

# SIGTERM, wait up to STOP_TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local pid="$1" name="$2" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= STOP_TIMEOUT * 10 )); then
      log "$name (pid $pid) did not stop within ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  # Reap a SIGKILLed process before we report it stopped.
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# Starts a command detached from this shell (own session, no terminal, output to
# <logfile>) so it survives the caller and does not hold the caller's pipes open.
# fd 9 is the lock (see take_lock); the service must not inherit it.
start_detached() {
  local pidfile="$1" logfile="$2"
  shift 2
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  printf '%s\n' "$!" >"$pidfile"
}

# ---------------------------------------------------------------------------
# InfluxDB
# ---------------------------------------------------------------------------

INFLUX_CONF="$INFLUX_STATE/influxdb.conf"
INFLUX_PIDFILE="$INFLUX_STATE/influxd.pid"
INFLUX_LOG="$INFLUX_STATE/influxd.log"

influx_pid() { live_pid "$INFLUX_PIDFILE" "$INFLUX_CONF"; }

influx_answers() {
  [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$INFLUX_PORT/ping" || true)" == 204 ]]
}

# Installs Debian's influxdb without letting its system service run: a system
# influxd would take 8086/8088 and use /var/lib/influxdb instead of our state dir.
influx_install() {
  command -v influxd >/dev/null && return 0
  command -v apt-get >/dev/null || die "influxd is missing and apt-get is not available: install InfluxDB 1.x so that influxd is on PATH."
  [[ "$(id -u)" == 0 ]] || die "influxd is missing: install it with 'sudo apt-get install influxdb influxdb-client' (or run this script as root)."

  log "influxdb: installing Debian packages influxdb and influxdb-client"
  # policy-rc.d answering 101 tells invoke-rc.d/deb-systemd-invoke not to start
  # services during the install. Only create it if the host has none.
  local own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local rc=0
  local -a apt=(apt-get -y -q -o DPkg::Lock::Timeout=120)
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when the package cannot be found/installed without it.
  if ! "${apt[@]}" install influxdb influxdb-client >/dev/null; then
    "${apt[@]}" update >/dev/null && "${apt[@]}" install influxdb influxdb-client >/dev/null || rc=$?
  fi
  if [[ -n "$own_policy" ]]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
  (( rc == 0 )) || die "apt-get install influxdb influxdb-client failed (exit $rc)"
  command -v influxd >/dev/null || die "influxdb was installed but influxd is not on PATH"

  influx_stop_system_service
}

# Stops and disables the package's own influxd in case it was started anyway
# (a host whose policy-rc.d allows it, or systemd).
influx_stop_system_service() {
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now influxdb >/dev/null 2>&1 || true
  fi
  update-rc.d influxdb disable >/dev/null 2>&1 || true
  local pid args
  for pid in $(pgrep -x influxd || true); do
    args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    # The system service runs with /etc/influxdb/influxdb.conf (explicitly or as
    # the default when no -config is given); other influxd processes are not ours to stop.
    if [[ "$args" == *"/etc/influxdb/"* || "$args" != *"-config"* ]]; then
      log "influxdb: stopping the package's system influxd (pid $pid)"
      stop_pid "$pid" "system influxd"
    fi
  done
  if port_open 8086 && [[ "$(port_owner 8086)" == *influxd* ]] && [[ "$INFLUX_PORT" == 8086 ]]; then
    die "a system influxd still listens on 8086 after the install; stop it or set INFLUX_PORT"
  fi
}

influx_write_config() {
  mkdir -p "$INFLUX_STATE/meta" "$INFLUX_STATE/data" "$INFLUX_STATE/wal"
  # Regenerated on every start so a changed port or state dir takes effect.
  cat >"$INFLUX_CONF" <<EOF
# Generated by deploy/local/services.sh; edits are overwritten on the next start.
reporting-disabled = true
# RPC service used by backup/restore; default :8088 on all interfaces would clash.
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"

[meta]
  dir = "$INFLUX_STATE/meta"
  logging-enabled = false

[data]
  dir = "$INFLUX_STATE/data"
  wal-dir = "$INFLUX_STATE/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  # The _internal database would write statistics every 10 s: noise for tests.
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$INFLUX_PORT"
  auth-enabled = false
  log-enabled = false
  write-tracing = false

[continuous_queries]
  log-enabled = false

[logging]
  format = "logfmt"
  level = "info"
  suppress-logo = true
EOF
}

influxdb_up() {
  local pid
  if pid="$(influx_pid)"; then
    if influx_answers; then
      return 0
    fi
    # Ours but not answering yet (e.g. started by a concurrent `up`): wait for it.
    influx_wait_ready "$pid"
    return 0
  fi
  require_port_free "$INFLUX_PORT" INFLUX_PORT "InfluxDB HTTP"
  require_port_free "$INFLUX_RPC_PORT" INFLUX_RPC_PORT "InfluxDB RPC"
  influx_install
  influx_write_config
  log "influxdb: starting on http://127.0.0.1:$INFLUX_PORT"
  start_detached "$INFLUX_PIDFILE" "$INFLUX_LOG" influxd run -config "$INFLUX_CONF"
  influx_wait_ready "$(<"$INFLUX_PIDFILE")"
}

influx_wait_ready() {
  local pid="$1" deadline=$((SECONDS + INFLUX_READY_TIMEOUT))
  until influx_answers; do
    kill -0 "$pid" 2>/dev/null \
      || influx_fail_start "InfluxDB exited during startup (log: $INFLUX_LOG)"
    (( SECONDS < deadline )) \
      || influx_fail_start "InfluxDB did not answer GET http://127.0.0.1:$INFLUX_PORT/ping with 204 within ${INFLUX_READY_TIMEOUT}s (log: $INFLUX_LOG)"
    sleep 0.2
  done
}

# Reports a failed start and stops the half-started influxd.
influx_fail_start() {
  local pid
  log "---- last 40 lines of $INFLUX_LOG ----"
  tail -n 40 "$INFLUX_LOG" >&2 2>/dev/null || true
  if pid="$(influx_pid)"; then stop_pid "$pid" influxdb; fi
  rm -f "$INFLUX_PIDFILE"
  die "$1"
}

influxdb_down() {
  local pid
  if pid="$(influx_pid)"; then
    log "influxdb: stopping (pid $pid)"
    stop_pid "$pid" influxdb
  fi
  rm -f "$INFLUX_PIDFILE"
}

influxdb_status() {
  local pid
  if pid="$(influx_pid)"; then
    if influx_answers; then
      printf '%-9s running   pid %-7s http://127.0.0.1:%s\n' influxdb "$pid" "$INFLUX_PORT"
    else
      printf '%-9s starting  pid %-7s http://127.0.0.1:%s (not answering /ping yet)\n' influxdb "$pid" "$INFLUX_PORT"
    fi
  else
    printf '%-9s stopped   %-11s http://127.0.0.1:%s\n' influxdb "" "$INFLUX_PORT"
  fi
}

influxdb_address() { printf '%-9s http://127.0.0.1:%s\n' influxdb "$INFLUX_PORT"; }

# ---------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------

KAFKA_PROPS="$KAFKA_STATE/server.properties"
KAFKA_PIDFILE="$KAFKA_STATE/kafka.pid"
KAFKA_LOG_DIR="$KAFKA_STATE/logs"
KAFKA_LOG="$KAFKA_LOG_DIR/server.log"
KAFKA_STDOUT="$KAFKA_LOG_DIR/stdout.log"
KAFKA_DATA="$KAFKA_STATE/data"

kafka_pid() { live_pid "$KAFKA_PIDFILE" "$KAFKA_PROPS"; }

# A JDK, not just a JRE: the readiness probe runs KafkaReady.java in source-file mode.
kafka_require_tools() {
  local hint="(Debian: apt-get install openjdk-17-jdk-headless)"
  command -v java >/dev/null || die "java is missing: Kafka $KAFKA_VERSION needs a Java 17+ JDK $hint."
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${major%%.*}" -ge 17 ]] 2>/dev/null || die "java $major found; Kafka $KAFKA_VERSION needs Java 17+ $hint."
  java --list-modules 2>/dev/null | grep '^jdk.compiler@' >/dev/null \
    || die "java has no compiler (a JRE?); the Kafka readiness probe needs a JDK $hint."
}

# JVM flags shared by the broker and the helper JVMs: log4j2 config, log file, level.
kafka_jvm_logging() {
  local logfile="$1" level="${2:-INFO}"
  printf '%s\n' \
    "-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka-log4j2.xml" \
    "-Dkafka.logs.dir=$KAFKA_LOG_DIR" \
    "-Dcircular.kafka.logfile=$logfile" \
    "-Dcircular.kafka.loglevel=$level"
}

# Resolves kafka_2.13:<version> with its runtime dependencies from Maven Central
# into the cache. A marker file makes later runs skip Maven entirely.
kafka_fetch() {
  local dir="$CACHE_DIR/kafka-$KAFKA_VERSION"
  [[ -f "$dir/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn is missing: it is needed once to fetch Kafka $KAFKA_VERSION from Maven Central (Debian: apt-get install maven)."

  log "kafka: fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies (once)"
  rm -rf "$dir"
  mkdir -p "$dir/libs"
  cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.circular</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  (cd "$dir" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$dir/libs" >"$dir/mvn.log" 2>&1) \
    || { tail -n 20 "$dir/mvn.log" >&2; die "Maven could not resolve kafka_2.13:$KAFKA_VERSION (log: $dir/mvn.log)"; }
  kafka_add_logging_binding "$dir"
  touch "$dir/.complete"
}

# Version part of <libs>/<artifact>-<version>.jar; empty if there is no such jar.
jar_version() {
  local jars=("$1/$2"-[0-9]*.jar) name
  [[ -e "${jars[0]}" ]] || return 0
  name="${jars[0]##*/}"
  name="${name%.jar}"
  printf '%s\n' "${name#"$2"-}"
}

# The kafka_2.13 artifact logs through slf4j but ships no slf4j binding (the
# distribution tarball adds one to libs/), so without this the broker logs nothing.
# Add the log4j2 binding that matches the slf4j and log4j versions Maven chose.
kafka_add_logging_binding() {
  local dir="$1" libs="$1/libs" slf4j log4j binding artifact
  if [[ -n "$(jar_version "$libs" log4j-slf4j-impl)$(jar_version "$libs" log4j-slf4j2-impl)" ]]; then
    return 0
  fi
  slf4j="$(jar_version "$libs" slf4j-api)"
  log4j="$(jar_version "$libs" log4j-api)"
  log4j="${log4j:-2.24.3}"
  # slf4j 1.x binds through log4j-slf4j-impl, slf4j 2.x through log4j-slf4j2-impl.
  if [[ "$slf4j" == 1.* ]]; then binding="log4j-slf4j-impl"; else binding="log4j-slf4j2-impl"; fi
  for artifact in "$binding" log4j-api log4j-core; do
    if [[ "$artifact" != "$binding" && -n "$(jar_version "$libs" "$artifact")" ]]; then
      continue
    fi
    (cd "$dir" && mvn -q -B dependency:copy -Dartifact="org.apache.logging.log4j:$artifact:$log4j" \
        -DoutputDirectory="$libs" >>"$dir/mvn.log" 2>&1) \
      || { tail -n 20 "$dir/mvn.log" >&2; die "Maven could not fetch org.apache.logging.log4j:$artifact:$log4j"; }
  done
}

kafka_write_config() {
  mkdir -p "$KAFKA_DATA" "$KAFKA_LOG_DIR"
  # Regenerated on every start so a changed port or state dir takes effect.
  cat >"$KAFKA_PROPS" <<EOF
# Generated by deploy/local/services.sh; edits are overwritten on the next start.
# Single-node KRaft: this process is broker and controller at once.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA

# The application creates its topics itself; a typo must not create one silently.
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1

# One broker: every internal topic must make do with one replica, otherwise
# consumer groups and transactions never get a coordinator.
offsets.topic.replication.factor=1
# Fewer than the default 50 partitions: the first consumer group comes up faster.
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Tests start and stop consumer groups constantly; do not wait for more members.
group.initial.rebalance.delay.ms=0

# After a kill -9 the restarted broker cannot register until the controller has
# expired its previous session (default 9 s); tests kill and restart the broker.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=5000

# Two cores on the target machines.
num.network.threads=2
num.io.threads=4
EOF
  # Share groups (KIP-932) exist from Kafka 4.0; older brokers would only warn about the keys.
  if [[ "${KAFKA_VERSION%%.*}" -ge 4 ]]; then
    cat >>"$KAFKA_PROPS" <<EOF
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
  fi
}

# Formats the KRaft metadata log once. The cluster id is kept in the state dir
# so a purge of the data alone could re-format with the same id.
kafka_format_once() {
  [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0
  local cp="$KAFKA_LIBS/*" id_file="$KAFKA_STATE/cluster.id"
  local -a jvm_log
  mapfile -t jvm_log < <(kafka_jvm_logging storage-tool.log WARN)
  if [[ ! -s "$id_file" ]]; then
    java "${jvm_log[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid >"$id_file.tmp" \
      || die "kafka.tools.StorageTool random-uuid failed (log: $KAFKA_LOG_DIR/storage-tool.log)"
    mv "$id_file.tmp" "$id_file"
  fi
  log "kafka: formatting storage in $KAFKA_DATA (cluster id $(<"$id_file"))"
  java "${jvm_log[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone \
      -t "$(<"$id_file")" -c "$KAFKA_PROPS" >>"$KAFKA_LOG_DIR/storage-tool.log" 2>&1 \
    || { tail -n 20 "$KAFKA_LOG_DIR/storage-tool.log" >&2; die "formatting Kafka storage failed (log: $KAFKA_LOG_DIR/storage-tool.log)"; }
  printf '%s\n' "$KAFKA_VERSION" >"$KAFKA_STATE/formatted-by-version"
}

# A KRaft log written by a newer Kafka cannot be read by an older one; say so
# instead of letting the broker die with a metadata.version error.
kafka_check_state_version() {
  local marker="$KAFKA_STATE/formatted-by-version" was
  [[ -f "$marker" ]] || return 0
  was="$(<"$marker")"
  [[ "$was" == "$KAFKA_VERSION" ]] && return 0
  if [[ "$(printf '%s\n%s\n' "$was" "$KAFKA_VERSION" | sort -V | sed -n 1p)" == "$KAFKA_VERSION" ]]; then
    die "the Kafka state in $KAFKA_STATE was formatted by Kafka $was, which is newer than KAFKA_VERSION=$KAFKA_VERSION. Run 'services.sh reset kafka' or use KAFKA_VERSION=$was."
  fi
}

kafka_up() {
  local pid
  if pid="$(kafka_pid)"; then
    if port_open "$KAFKA_PORT"; then
      return 0
    fi
    # Ours but not listening yet (e.g. started by a concurrent `up`): wait for it.
    kafka_wait_ready "$pid"
    return 0
  fi
  require_port_free "$KAFKA_PORT" KAFKA_PORT "the Kafka broker listener"
  require_port_free "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT "the Kafka controller listener"
  kafka_require_tools
  kafka_check_state_version
  kafka_fetch
  kafka_write_config
  kafka_format_once

  log "kafka: starting $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  local -a heap jvm_log
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  mapfile -t jvm_log < <(kafka_jvm_logging server.log)
  start_detached "$KAFKA_PIDFILE" "$KAFKA_STDOUT" \
    java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true "${jvm_log[@]}" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS"
  kafka_wait_ready "$(<"$KAFKA_PIDFILE")"
}

# Reports a failed start and stops the half-started broker, so that a retry
# does not find a process of ours that never became usable.
kafka_fail_start() {
  local pid
  log "---- last 40 lines of $KAFKA_LOG ----"
  tail -n 40 "$KAFKA_LOG" >&2 2>/dev/null || true
  if [[ -s "$KAFKA_STDOUT" ]]; then
    log "---- last 10 lines of $KAFKA_STDOUT ----"
    tail -n 10 "$KAFKA_STDOUT" >&2 || true
  fi
  if pid="$(kafka_pid)"; then stop_pid "$pid" kafka; fi
  rm -f "$KAFKA_PIDFILE"
  die "$1"
}

# Waits until the broker serves metadata (see KafkaReady.java): first the cheap
# TCP check, then the probe JVM, all under KAFKA_READY_TIMEOUT.
kafka_wait_ready() {
  local pid="$1" deadline=$((SECONDS + KAFKA_READY_TIMEOUT)) left
  local -a jvm_log
  mapfile -t jvm_log < <(kafka_jvm_logging ready-probe.log WARN)
  while :; do
    kill -0 "$pid" 2>/dev/null \
      || kafka_fail_start "the Kafka broker (pid $pid) exited during startup (log: $KAFKA_LOG)"
    left=$((deadline - SECONDS))
    (( left > 0 )) \
      || kafka_fail_start "the Kafka broker did not come up on 127.0.0.1:$KAFKA_PORT within ${KAFKA_READY_TIMEOUT}s (log: $KAFKA_LOG)"
    if port_open "$KAFKA_PORT"; then
      # Probe in slices of at most 10 s so a broker that dies is noticed early.
      if java "${jvm_log[@]}" -cp "$KAFKA_LIBS/*" "$SCRIPT_DIR/KafkaReady.java" \
          "127.0.0.1:$KAFKA_PORT" "$((left < 10 ? left : 10))" >>"$KAFKA_LOG_DIR/ready-probe.log" 2>&1; then
        return 0
      fi
    else
      sleep 0.5
    fi
  done
}

kafka_down() {
  local pid
  if pid="$(kafka_pid)"; then
    log "kafka: stopping (pid $pid)"
    stop_pid "$pid" kafka
  fi
  rm -f "$KAFKA_PIDFILE"
}

kafka_status() {
  local pid running_version
  if pid="$(kafka_pid)"; then
    # The version that runs, from its class path, not the one KAFKA_VERSION asks for now.
    running_version="$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -nE 's|.*/kafka-([^/]+)/libs/\*$|\1|p')"
    if port_open "$KAFKA_PORT"; then
      printf '%-9s running   pid %-7s 127.0.0.1:%s (Kafka %s)\n' kafka "$pid" "$KAFKA_PORT" "${running_version:-?}"
    else
      printf '%-9s starting  pid %-7s 127.0.0.1:%s (not listening yet)\n' kafka "$pid" "$KAFKA_PORT"
    fi
  else
    printf '%-9s stopped   %-11s 127.0.0.1:%s\n' kafka "" "$KAFKA_PORT"
  fi
}

kafka_address() { printf '%-9s 127.0.0.1:%s\n' kafka "$KAFKA_PORT"; }

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

usage() {
  local code="${1:-0}"
  if (( code == 0 )); then
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
  else
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  fi
  exit "$code"
}

cmd_up() {
  local svc
  for svc in "$@"; do "${svc}_up"; done
  for svc in "$@"; do "${svc}_address"; done
}

cmd_down() {
  local purge="$1" svc
  shift
  for svc in "$@"; do "${svc}_down"; done
  if [[ "$purge" == 1 ]]; then
    for svc in "$@"; do
      log "$svc: wiping state in $STATE_DIR/$svc"
      rm -rf "${STATE_DIR:?}/$svc"
    done
    rmdir "$STATE_DIR" 2>/dev/null || true
  fi
}

cmd_status() {
  local svc
  for svc in "$@"; do "${svc}_status"; done
}

cmd_logs() {
  local follow="$1" svc
  shift
  local -a files=()
  for svc in "$@"; do
    case "$svc" in
      kafka) files+=("$KAFKA_LOG") ;;
      influxdb) files+=("$INFLUX_LOG") ;;
    esac
  done
  local f existing=()
  for f in "${files[@]}"; do [[ -f "$f" ]] && existing+=("$f"); done
  (( ${#existing[@]} )) || die "no log files yet in $STATE_DIR"
  if [[ "$follow" == 1 ]]; then
    exec tail -n 50 -F "${existing[@]}"
  fi
  tail -n "${LOG_LINES:-50}" "${existing[@]}"
}

main() {
  local cmd="${1:-}"
  [[ -n "$cmd" ]] || usage 1
  shift

  local purge=0 follow=0 arg
  local -a services=()
  for arg in "$@"; do
    case "$arg" in
      kafka|influxdb) services+=("$arg") ;;
      --purge) purge=1 ;;
      -f|--follow) follow=1 ;;
      -h|--help) usage 0 ;;
      *) die "unknown argument '$arg' (services: kafka, influxdb)" ;;
    esac
  done
  (( ${#services[@]} )) || services=("${ALL_SERVICES[@]}")

  case "$cmd" in
    up|down|reset) take_lock ;;
  esac
  case "$cmd" in
    up) cmd_up "${services[@]}" ;;
    down) cmd_down "$purge" "${services[@]}" ;;
    reset) cmd_down 1 "${services[@]}" ;;
    status) cmd_status "${services[@]}" ;;
    logs) cmd_logs "$follow" "${services[@]}" ;;
    -h|--help|help) usage 0 ;;
    *) log "services.sh: unknown command '$cmd'"; usage 1 ;;
  esac
}

main "$@"
