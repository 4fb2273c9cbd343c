#!/usr/bin/env bash
# Ponte's run command: installs what it needs, then serves the portal and the APIs on
# http://127.0.0.1:3000 with the embedded SQLite database in ./data.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
prune_build_cache
ensure_rust_tools
log "building and serving on http://127.0.0.1:3000 (first build takes several minutes)"
exec cargo leptos serve "$@"
