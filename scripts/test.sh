#!/usr/bin/env bash
# Ponte's test command: installs what it needs (Rust tools, PostgreSQL, Chromium,
# Playwright), starts a PostgreSQL on loopback, then runs every test: unit and
# integration tests on SQLite and PostgreSQL, and the browser tests in Chromium.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
prune_build_cache

ensure_rust_tools
ensure_apt postgresql chromium python3-venv
ensure_node_modules
ensure_moto

# A real n8n from the npm registry (cached outside the clone: minutes once, seconds after).
N8N_DIR=${PONTE_N8N_DIR:-$HOME/.cache/ponte-n8n}
N8N_PORT=${PONTE_TEST_N8N_PORT:-55678}
log "installing n8n into $N8N_DIR (cached)"
"$ROOT/end2end/n8n/n8n-harness.sh" install "$N8N_DIR"

WORK=$(mktemp -d /tmp/ponte-test.XXXXXX)
chmod 755 "$WORK"
PGDIR="$WORK/pg"
PGPORT=${PONTE_TEST_PG_PORT:-55432}
E2E_PID=
FAKE_PID=
MOTO_PID=
cleanup() {
  if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  if [ -n "$E2E_PID" ]; then kill "$E2E_PID" 2>/dev/null || true; wait "$E2E_PID" 2>/dev/null || true; fi
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  "$ROOT/end2end/n8n/n8n-harness.sh" stop "$N8N_DIR" || true
  "$ROOT/scripts/pg.sh" stop "$PGDIR"
  rm -rf "$WORK"
}
trap cleanup EXIT
log "starting PostgreSQL on 127.0.0.1:$PGPORT"
# (Assigned apart from `export`, so that a failure stops the run instead of being masked.)
if ! PG_URL=$("$ROOT/scripts/pg.sh" start "$PGDIR" "$PGPORT"); then
  echo "PostgreSQL did not start on port $PGPORT; its log:" >&2
  tail -n 20 "$PGDIR/server.log" >&2 || true
  "$ROOT/scripts/pg.sh" stop "$PGDIR"
  PGPORT=$((PGPORT + 1))
  log "retrying PostgreSQL on 127.0.0.1:$PGPORT"
  PG_URL=$("$ROOT/scripts/pg.sh" start "$PGDIR" "$PGPORT")
fi
export PONTE_TEST_POSTGRES_URL=$PG_URL
log "starting n8n on 127.0.0.1:$N8N_PORT"
# Each run starts from an empty n8n home: no workflows or owner left from an earlier run.
rm -rf "$N8N_DIR/home"
"$ROOT/end2end/n8n/n8n-harness.sh" start "$N8N_DIR" "$N8N_PORT"
export PONTE_TEST_N8N_URL="http://127.0.0.1:$N8N_PORT"
N8N_KEY=$("$ROOT/end2end/n8n/n8n-harness.sh" setup "$N8N_DIR" "$N8N_PORT")
export PONTE_TEST_N8N_API_KEY=$N8N_KEY

# The S3 the evidence tests run against (besides the local folder): moto, one bucket.
MOTO_PORT=${PONTE_TEST_S3_PORT:-55690}
log "starting moto (S3) on 127.0.0.1:$MOTO_PORT"
"$MOTO_DIR/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/" 2>/dev/null && break; sleep 0.2; done
curl -fsS -X PUT -o /dev/null "http://127.0.0.1:$MOTO_PORT/ponte-test" || { tail -n 20 "$WORK/moto.log" >&2; exit 1; }
export PONTE_TEST_S3_ENDPOINT="http://127.0.0.1:$MOTO_PORT" PONTE_TEST_S3_BUCKET=ponte-test
export AWS_ACCESS_KEY_ID=ponte-test AWS_SECRET_ACCESS_KEY=ponte-test AWS_DEFAULT_REGION=us-east-1
# A Python with openpyxl: the export tests open the XLSX with it.
export PONTE_TEST_PYTHON="$MOTO_DIR/bin/python"

log "format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings

log "unit and integration tests (SQLite and PostgreSQL)"
cargo test --workspace --exclude frontend --no-fail-fast

log "end-to-end tests in Chromium"
export PONTE_DATA_DIR="$WORK/e2e-data"
export PONTE_E2E_ADMIN_EMAIL=admin@ponte.test
export PONTE_E2E_ADMIN_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CHROMIUM_PATH=${CHROMIUM_PATH:-$(command -v chromium)}
unset DATABASE_URL
build_site dev
# The binary `cargo test` built for the CLI tests: building it alone would resolve other
# features (no dev-dependencies) and recompile half the tree.
PONTE="$CARGO_TARGET_DIR/debug/ponte"
PONTE_ADMIN_PASSWORD="$PONTE_E2E_ADMIN_PASSWORD" "$PONTE" admin create \
  --email "$PONTE_E2E_ADMIN_EMAIL" --name "Equipe de Implantação" >/dev/null
# The browser tests set up orgs through the admin API, as the implementation team's scripts do.
E2E_KEY=$("$PONTE" admin api-key create --name e2e | tail -n 1)
export PONTE_E2E_API_KEY=$E2E_KEY
E2E_ADDR=127.0.0.1:3000
"$PONTE" --bind "$E2E_ADDR" >"$WORK/e2e-server.log" 2>&1 &
E2E_PID=$!
wait_for_server "http://$E2E_ADDR" "$E2E_PID" 120 || { tail -n 30 "$WORK/e2e-server.log" >&2; exit 1; }
export PONTE_E2E_BASE_URL="http://$E2E_ADDR"
# The integration tests' fake Chatwoot as a process (cargo test built it as an example),
# for the wizard's browser test; it prints its base URL once it listens.
"$CARGO_TARGET_DIR/debug/examples/fake_chatwoot" >"$WORK/fake-chatwoot.url" 2>"$WORK/fake-chatwoot.log" &
FAKE_PID=$!
deadline=$((SECONDS + 30))
until [ -s "$WORK/fake-chatwoot.url" ]; do
  kill -0 "$FAKE_PID" 2>/dev/null || { cat "$WORK/fake-chatwoot.log" >&2; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { log "the fake Chatwoot did not start"; exit 1; }
  sleep 0.1
done
export PONTE_E2E_CHATWOOT_URL=$(head -n 1 "$WORK/fake-chatwoot.url")
(cd "$ROOT/end2end" && npx playwright test)
log "all tests passed"
