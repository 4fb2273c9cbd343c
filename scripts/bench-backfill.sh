#!/usr/bin/env bash
# The identity backfill benchmark: builds `ponte` and `ponte-load` (release), then for
# SQLite (and PostgreSQL when PONTE_BENCH_POSTGRES_URL is set; a fresh database is
# created there and dropped after) generates an org with BENCH_CONTACTS contacts,
# measures the bare INSERT … SELECT floor and times `ponte backfill` on the same rows.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

CONTACTS=${BENCH_CONTACTS:-1000000}
BATCH=${BENCH_BATCH:-10000}

log "building ponte and ponte-load (release)"
cargo build --release -p server
cargo build --release -p loadgen
PONTE="$CARGO_TARGET_DIR/release/ponte"
LOAD="$CARGO_TARGET_DIR/release/ponte-load"

WORK=$(mktemp -d /tmp/ponte-bench-backfill.XXXXXX)
PG_ADMIN_URL="" PG_DB=""
cleanup() {
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
log "SQLite: $CONTACTS contacts, batches of $BATCH"
"$LOAD" backfill --db "$WORK/ponte.db" --ponte "$PONTE" --contacts "$CONTACTS" --batch-size "$BATCH"

if [ -n "${PONTE_BENCH_POSTGRES_URL:-}" ]; then
  PG_ADMIN_URL=$PONTE_BENCH_POSTGRES_URL
  PG_DB="ponte_bench_backfill_$$"
  psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DB" >/dev/null
  base=${PG_ADMIN_URL%%\?*}
  query=${PG_ADMIN_URL#"$base"}
  [[ $base =~ ^postgres(ql)?://[^/]+/ ]] && base=${base%/*}
  log "PostgreSQL: $CONTACTS contacts, batches of $BATCH"
  "$LOAD" backfill --db "$base/$PG_DB$query" --ponte "$PONTE" --contacts "$CONTACTS" --batch-size "$BATCH"
fi
