#!/usr/bin/env bash
# Ponte's run command: installs what it needs, builds the portal (wasm) and the server with
# plain cargo, then serves the portal and the APIs on http://127.0.0.1:3000 with the
# embedded SQLite database in ./data. Arguments go to `ponte` (e.g. `--bind 0.0.0.0:3000`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
prune_build_cache
ensure_rust_tools
build_site serve
PONTE=$(build_server serve)
log "serving on http://127.0.0.1:3000"
exec "$PONTE" "$@"
