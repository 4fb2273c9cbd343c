#!/usr/bin/env bash
# Ponte's benchmark: builds `ponte` and `ponte-load` (release), starts a sink standing in for
# the org's automation, then for each engine (SQLite; PostgreSQL too when
# PONTE_BENCH_POSTGRES_URL is set, in a fresh database created there and dropped after)
# serves Ponte on a fresh data folder, configures one org through the admin API, and runs:
#   (a) a closed loop at full speed (BENCH_COUNT requests, BENCH_CONCURRENCY in flight),
#       waiting until every accepted event has been handed off to the sink;
#   (b) an open loop at BENCH_RATE req/s for BENCH_SECS seconds (latency from the schedule).
# Everything runs on loopback on this machine: the generator shares its CPUs with Ponte.
# Server settings pass through the environment (e.g. PONTE_WORKERS=0: accept only).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

COUNT=${BENCH_COUNT:-20000}
CONCURRENCY=${BENCH_CONCURRENCY:-64}
RATE=${BENCH_RATE:-1000}
SECS=${BENCH_SECS:-10}
PEOPLE=${BENCH_PEOPLE:-1000}
SLUG=bench
SECRET="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# BENCH_PONTE / BENCH_LOAD: prebuilt binaries instead (A/B runs of two commits, alternated
# in one session on a shared machine).
if [ -n "${BENCH_PONTE:-}" ]; then
  PONTE=$BENCH_PONTE
  LOAD=${BENCH_LOAD:?BENCH_LOAD too, with BENCH_PONTE}
else
  log "building ponte and ponte-load (release)"
  cargo build --release -p server
  cargo build --release -p loadgen
  PONTE="$CARGO_TARGET_DIR/release/ponte"
  LOAD="$CARGO_TARGET_DIR/release/ponte-load"
fi

WORK=$(mktemp -d /tmp/ponte-bench.XXXXXX)
PIDS=()
PG_ADMIN_URL="" PG_DB=""
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_http() {
  local url=$1 pid=$2
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "process $pid exited before answering $url" >&2; return 1; }
    sleep 0.2
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# CPU seconds (user + system) a process has used so far.
TICKS=$(getconf CLK_TCK)
cpu_secs() { awk -v t="$TICKS" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
cpu_used() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
load_avg() { cut -d' ' -f1 /proc/loadavg; }

# The value of a flat field of ponte-load's one-line JSON summary.
field() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1"; }
errors_of() { sed -n 's/.*"errors":\({[^}]*}\).*/\1/p' <<<"$1"; }

SINK_PORT=$(free_port)
"$LOAD" sink --bind "127.0.0.1:$SINK_PORT" >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SINK_PORT/count" "$!"
SINK="http://127.0.0.1:$SINK_PORT"
log "sink on $SINK"

engines=(sqlite)
[ -n "${PONTE_BENCH_POSTGRES_URL:-}" ] && engines+=(postgres)
SUMMARY=()

for engine in "${engines[@]}"; do
  data="$WORK/data-$engine"
  mkdir -p "$data"
  export PONTE_DATA_DIR="$data" PONTE_LOG_FORMAT=text RUST_LOG=${BENCH_RUST_LOG:-warn}
  export LEPTOS_SITE_ROOT="$WORK/no-site"
  unset DATABASE_URL
  if [ "$engine" = postgres ]; then
    command -v psql >/dev/null || { echo "psql is needed to create the benchmark database" >&2; exit 1; }
    PG_ADMIN_URL=$PONTE_BENCH_POSTGRES_URL
    PG_DB="ponte_bench_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DB" >/dev/null
    base=${PG_ADMIN_URL%%\?*}
    query=${PG_ADMIN_URL#"$base"}
    [[ $base =~ ^postgres(ql)?://[^/]+/ ]] && base=${base%/*}
    export DATABASE_URL="$base/$PG_DB$query"
  fi

  key=$("$PONTE" admin api-key create --name bench | tail -n1)
  port=$(free_port)
  base_url="http://127.0.0.1:$port"
  PONTE_BIND="127.0.0.1:$port" "$PONTE" serve >"$WORK/ponte-$engine.log" 2>&1 &
  server_pid=$!
  PIDS+=("$server_pid")
  wait_http "$base_url/healthz" "$server_pid"
  log "$engine: ponte on $base_url (pid $server_pid, ${PONTE_WORKERS:-2} workers)"

  api() {
    local method=$1 path=$2 body=$3
    curl -fsS -X "$method" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      --data "$body" "$base_url/api/v1/admin$path" >/dev/null
  }
  api POST /orgs "{\"slug\":\"$SLUG\",\"name\":\"Bench\"}"
  api PUT "/orgs/$SLUG/chatwoot" "{\"webhook_secret\":\"$SECRET\",\"account_id\":7,\"inboxes\":{\"12\":\"whatsapp\"}}"
  # Event ids restart in each database: each engine posts to its own tag of the sink.
  api PUT "/orgs/$SLUG/automation" "{\"mode\":\"v2\",\"v2_url\":\"$SINK/hook/$engine\"}"

  common=(run --base "$base_url" --org "$SLUG" --secret "$SECRET" --admin-key "$key" --people "$PEOPLE"
    --sink "$SINK" --wait-processed)

  log "$engine (a): closed loop, $COUNT requests, concurrency $CONCURRENCY (load average $(load_avg))"
  cpu0=$(cpu_secs "$server_pid")
  "$LOAD" "${common[@]}" --count "$COUNT" --concurrency "$CONCURRENCY" --first-id 10000000 | tee "$WORK/a.out"
  a=$(tail -n1 "$WORK/a.out")
  cpu1=$(cpu_secs "$server_pid")
  log "$engine (a): ponte used $(cpu_used "$cpu0" "$cpu1") CPU seconds"

  log "$engine (b): open loop, $RATE req/s for $SECS s (load average $(load_avg))"
  "$LOAD" "${common[@]}" --rate "$RATE" --duration-secs "$SECS" --count $((RATE * SECS)) --concurrency 512 \
    --first-id 50000000 | tee "$WORK/b.out"
  b=$(tail -n1 "$WORK/b.out")
  cpu2=$(cpu_secs "$server_pid")
  log "$engine (b): ponte used $(cpu_used "$cpu1" "$cpu2") CPU seconds"

  warnings=$(grep -cE 'WARN|ERROR' "$WORK/ponte-$engine.log" || true)
  if [ "$warnings" -gt 0 ]; then
    log "$engine: the server logged $warnings warnings/errors; the first ones:"
    grep -E 'WARN|ERROR' "$WORK/ponte-$engine.log" | head -n 5 >&2
  fi
  SUMMARY+=("$(printf '%-9s closed c=%-4s %8s/s  p50 %8s ms  p99 %8s ms  processed %8s/s  ponte CPU %6s s  errors %s' \
    "$engine" "$CONCURRENCY" "$(field "$a" accepted_per_s)" "$(field "$a" p50_ms)" "$(field "$a" p99_ms)" \
    "$(field "$a" processed_per_s)" "$(cpu_used "$cpu0" "$cpu1")" "$(errors_of "$a")")")
  SUMMARY+=("$(printf '%-9s open %5s/s %8s/s  p50 %8s ms  p99 %8s ms  processed %8s/s  ponte CPU %6s s  errors %s  fell behind %s' \
    "$engine" "$RATE" "$(field "$b" accepted_per_s)" "$(field "$b" p50_ms)" "$(field "$b" p99_ms)" \
    "$(field "$b" processed_per_s)" "$(cpu_used "$cpu1" "$cpu2")" "$(errors_of "$b")" "$(field "$b" fell_behind)")")

  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
done

log "summary ($(nproc) CPUs, generator and server on the same machine)"
printf '%s\n' "${SUMMARY[@]}"
