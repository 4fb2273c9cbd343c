#!/usr/bin/env bash
# Issue 11's benchmark: the rollout board with BENCH_ORGS orgs (default 500) rendered by the
# server, and a whole synthetic smoke run (three tests through the real pipeline and a real
# n8n on loopback). Builds `ponte` (release) unless BENCH_PONTE names a binary, installs n8n
# into ~/.cache/ponte-n8n like the test command (a throwaway n8n home per run), serves Ponte
# on a fresh SQLite data folder (PostgreSQL too when PONTE_BENCH_POSTGRES_URL is set, in a
# fresh database dropped after), and prints the timings. Everything runs on loopback.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ORGS=${BENCH_ORGS:-500}
BOARD_RUNS=${BENCH_BOARD_RUNS:-40}
SMOKE_RUNS=${BENCH_SMOKE_RUNS:-5}
N8N_CACHE=${PONTE_N8N_DIR:-$HOME/.cache/ponte-n8n}

if [ -n "${BENCH_PONTE:-}" ]; then
  PONTE=$BENCH_PONTE
else
  log "building ponte (release)"
  cargo build --release -p server
  PONTE="$CARGO_TARGET_DIR/release/ponte"
fi
"$ROOT/end2end/n8n/n8n-harness.sh" install "$N8N_CACHE"

WORK=$(mktemp -d /tmp/ponte-bench-onboarding.XXXXXX)
N8N_DIR="$WORK/n8n"
PIDS=()
PG_ADMIN_URL="" PG_DB=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$ROOT/end2end/n8n/n8n-harness.sh" stop "$N8N_DIR" >/dev/null 2>&1 || true
  if [ -n "$PG_DB" ]; then psql "$PG_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# median, p95 and max (ms) of the numbers (seconds, one a line) on standard input.
stats() {
  sort -n | awk '{v[NR] = $1 * 1000} END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    p = v[int(NR * 0.95 + 0.999)]; printf "median %.1f ms  p95 %.1f ms  max %.1f ms  (%d runs)", m, p, v[NR], NR }'
}

# The n8n the smoke tests hand off to: the cached install, a home of its own.
mkdir -p "$N8N_DIR"
ln -s "$N8N_CACHE/node" "$N8N_DIR/node"
ln -s "$N8N_CACHE/app" "$N8N_DIR/app"
N8N_PORT=$(free_port)
"$ROOT/end2end/n8n/n8n-harness.sh" start "$N8N_DIR" "$N8N_PORT"
N8N_KEY=$("$ROOT/end2end/n8n/n8n-harness.sh" setup "$N8N_DIR" "$N8N_PORT")
N8N_URL="http://127.0.0.1:$N8N_PORT"
log "n8n on $N8N_URL"

engines=(sqlite)
[ -n "${PONTE_BENCH_POSTGRES_URL:-}" ] && engines+=(postgres)
SUMMARY=()
PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SECRET="whsec-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

for engine in "${engines[@]}"; do
  export PONTE_DATA_DIR="$WORK/data-$engine" PONTE_LOG_FORMAT=text RUST_LOG=${BENCH_RUST_LOG:-warn}
  mkdir -p "$PONTE_DATA_DIR"
  unset DATABASE_URL
  if [ "$engine" = postgres ]; then
    PG_ADMIN_URL=$PONTE_BENCH_POSTGRES_URL
    PG_DB="ponte_bench_onb_$$"
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DB" >/dev/null
    base=${PG_ADMIN_URL%%\?*}
    [[ $base =~ ^postgres(ql)?://[^/]+/ ]] && base=${base%/*}
    export DATABASE_URL="$base/$PG_DB"
  fi
  key=$("$PONTE" admin api-key create --name bench | tail -n1)
  PONTE_ADMIN_PASSWORD=$PASSWORD "$PONTE" admin create --email bench@ponte.test --role viewer >/dev/null
  port=$(free_port)
  url="http://127.0.0.1:$port"
  PONTE_BIND="127.0.0.1:$port" "$PONTE" serve >"$WORK/ponte-$engine.log" 2>&1 &
  server_pid=$!
  PIDS+=("$server_pid")
  wait_for_server "$url" "$server_pid" 60
  api() {
    local body=${3:-'{}'}
    curl -fsS -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data "$body" \
      "$url/api/v1/admin$2"
  }

  log "$engine: $ORGS orgs in 5 waves, each with a plan and a few checklist items"
  for w in 1 2 3 4 5; do api POST /waves "{\"name\":\"Onda $w\",\"planned_start\":\"2027-0$w-04\"}" >/dev/null; done
  for i in $(seq 1 "$ORGS"); do
    slug="loja-$i"
    api POST /orgs "{\"slug\":\"$slug\",\"name\":\"Loja $i\"}" >/dev/null
    api PUT "/orgs/$slug/onboarding/plan" \
      "{\"wave_id\":$((i % 5 + 1)),\"technical_owner\":\"Pessoa $((i % 7))\",\"credentials_ready_at\":\"2026-12-0$((i % 5 + 1))T10:00\"}" >/dev/null
    api PUT "/orgs/$slug/onboarding/items/board_stages" '{"status":"failed"}' >/dev/null
    api PUT "/orgs/$slug/onboarding/items/n8n_credentials" '{"status":"not_applicable","note":"n8n compartilhado"}' >/dev/null
  done
  jar="$WORK/cookies-$engine"
  curl -fsS -c "$jar" -o /dev/null --data-urlencode email=bench@ponte.test --data-urlencode "password=$PASSWORD" "$url/api/login"
  rows=$(curl -fsS -b "$jar" -H 'Accept: text/html' "$url/rollout" | grep -o 'data-slug="loja-' | wc -l)
  [ "$rows" -eq "$ORGS" ] || { echo "the board shows $rows rows, not $ORGS" >&2; exit 1; }
  for _ in 1 2 3; do curl -fsS -b "$jar" -o /dev/null -H 'Accept: text/html' "$url/rollout"; done
  html=$(for _ in $(seq 1 "$BOARD_RUNS"); do
    curl -fsS -b "$jar" -o /dev/null -w '%{time_total}\n' -H 'Accept: text/html' "$url/rollout"
  done | stats)
  sorted=$(for _ in $(seq 1 "$BOARD_RUNS"); do
    curl -fsS -b "$jar" -o /dev/null -w '%{time_total}\n' -H 'Accept: text/html' "$url/rollout?sort=-lead_time&state=draft"
  done | stats)
  json=$(for _ in $(seq 1 "$BOARD_RUNS"); do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $key" "$url/api/v1/admin/rollout"
  done | stats)
  SUMMARY+=("$engine  board page, $ORGS orgs (HTML, server-rendered): $html")
  SUMMARY+=("$engine  board page, sorted by lead time, filtered:      $sorted")
  SUMMARY+=("$engine  board JSON (GET /api/v1/admin/rollout):          $json")

  log "$engine: a synthetic smoke run through the real n8n, $SMOKE_RUNS times"
  # One n8n serves both engines: each its own org slug, so its own workflow's webhook path.
  smoke_org="fumaca-$engine"
  api POST /orgs "{\"slug\":\"$smoke_org\",\"name\":\"Fumaça\"}" >/dev/null
  api PUT "/orgs/$smoke_org/chatwoot" "{\"webhook_secret\":\"$SECRET\",\"account_id\":7,\"inboxes\":{\"12\":\"whatsapp\",\"13\":\"instagram\"}}" >/dev/null
  api PUT "/orgs/$smoke_org/n8n" "{\"base_url\":\"$N8N_URL\",\"api_key\":\"$N8N_KEY\"}" >/dev/null
  api POST "/orgs/$smoke_org/automation/install" >/dev/null
  api POST "/orgs/$smoke_org/automation/roll-forward" >/dev/null
  smoke=$(for _ in $(seq 1 "$SMOKE_RUNS"); do
    out=$(curl -fsS -w '\n%{time_total}' -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      --data '{"mode":"synthetic"}' "$url/api/v1/admin/orgs/$smoke_org/onboarding/smoke")
    passed=$(head -n1 <<<"$out" | grep -o '"verdict":"passed"' | wc -l)
    [ "$passed" -eq 3 ] || { echo "a smoke run did not pass: $(head -n1 <<<"$out" | head -c 2000)" >&2; exit 1; }
    tail -n1 <<<"$out"
  done | stats)
  SUMMARY+=("$engine  synthetic smoke run (3 tests, real n8n):        $smoke")

  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
done

log "summary ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); curl, Ponte and n8n on one machine)"
printf '%s\n' "${SUMMARY[@]}"
