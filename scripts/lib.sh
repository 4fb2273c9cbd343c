#!/usr/bin/env bash
# Shared helpers of run.sh and test.sh: install, idempotently, what Ponte needs to build
# and test on a fresh Debian machine with only the Rust toolchain. Sourced, not run.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The build cache lives outside the clone so fresh clones (CI) reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ponte/target}"
# One-off builds gain nothing from incremental caches, which grow by gigabytes per clone.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

# Must equal the wasm-bindgen crate pinned (=) in Cargo.toml / Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' "$ROOT/Cargo.lock")

log() { printf '\033[1;34m[ponte]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The portal builds with plain cargo plus wasm-bindgen (cargo-leptos took 19 of the first
# run's minutes to install; developers may still use it for `cargo leptos watch`).
ensure_rust_tools() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Not --locked: one of its locked dependencies is missing from the registry here.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

# Cargo's output folder for a profile (`dev` builds land in `debug`).
profile_dir() { if [ "$1" = dev ]; then echo debug; else echo "$1"; fi; }

# Builds the portal site into $ROOT/target/site, the way cargo-leptos lays it out: public/
# copied, the frontend crate compiled to wasm and bound into pkg/ponte.js + pkg/ponte.wasm
# (the names the server's hydration scripts ask for, as LEPTOS_OUTPUT_NAME=ponte in
# .cargo/config.toml makes them). The new site replaces the old one whole.
build_site() {
  local profile=$1
  local site="$ROOT/target/site"
  log "building the portal's browser half (profile $profile)"
  cargo build --package frontend --lib --target wasm32-unknown-unknown --profile "$profile"
  rm -rf "$site.new"
  mkdir -p "$site.new/pkg"
  cp -R "$ROOT/public/." "$site.new/"
  wasm-bindgen --target web --no-typescript --out-dir "$site.new/pkg" --out-name ponte \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$(profile_dir "$profile")/frontend.wasm"
  mv "$site.new/pkg/ponte_bg.wasm" "$site.new/pkg/ponte.wasm"
  rm -rf "$site"
  mv "$site.new" "$site"
}

# Builds the `ponte` binary and prints its path.
build_server() {
  local profile=$1
  log "building the server (profile $profile)"
  cargo build --package server --bin ponte --profile "$profile" >&2
  echo "$CARGO_TARGET_DIR/$(profile_dir "$profile")/ponte"
}

# Waits until the server at $1 answers /healthz, or its process ($2) is gone; at most $3 seconds.
wait_for_server() {
  local url=$1 pid=$2 deadline=$((SECONDS + ${3:-60}))
  until curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { log "the server exited before answering"; return 1; }
    [ "$SECONDS" -lt "$deadline" ] || { log "the server did not answer $url/healthz in time"; return 1; }
    sleep 0.2
  done
}

# A loopback port nobody listens on (the benchmarks' servers).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

APT_UPDATED=0
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# moto in server mode from PyPI: a real S3-compatible server on loopback for the evidence
# tests, in a venv cached outside the clone (Debian's python3-venv; a minute once).
OPENPYXL_VERSION=3.1.5
MOTO_VERSION=5.1.22
ensure_moto() {
  MOTO_DIR=${PONTE_MOTO_DIR:-$HOME/.cache/ponte/moto}
  # (sed reads pip's whole answer: `grep -q` would stop early and, under pipefail, fail the check)
  local installed=""
  [ -x "$MOTO_DIR/bin/pip" ] && installed=$("$MOTO_DIR/bin/pip" show moto 2>/dev/null | sed -n 's/^Version: //p')
  if [ ! -x "$MOTO_DIR/bin/moto_server" ] || [ "$installed" != "$MOTO_VERSION" ]; then
    log "installing moto $MOTO_VERSION (S3 test server) into $MOTO_DIR"
    rm -rf "$MOTO_DIR"
    python3 -m venv "$MOTO_DIR"
    "$MOTO_DIR/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
  # The same venv reads the XLSX Ponte writes in the tests (a real reader, not our writer's word).
  if ! "$MOTO_DIR/bin/python" -c "import openpyxl" 2>/dev/null; then
    log "installing openpyxl $OPENPYXL_VERSION (XLSX reader for the tests) into $MOTO_DIR"
    "$MOTO_DIR/bin/pip" install -q --disable-pip-version-check "openpyxl==$OPENPYXL_VERSION"
  fi
}

# Playwright (never its browser download: Debian's chromium is used) and binaryen's
# wasm-opt for release builds (Debian's is too old and breaks hydration).
ensure_node_modules() {
  if [ ! -x "$ROOT/end2end/node_modules/.bin/playwright" ] || [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ]; then
    log "installing end2end npm packages"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Each clone path leaves its own copy of the workspace crates in the shared cache; keep it
# from filling the disk (a wipe costs one slow build, a full disk costs a red run).
prune_build_cache() {
  local limit_kb=$((40 * 1024 * 1024))
  [ -d "$CARGO_TARGET_DIR" ] || return 0
  local used_kb
  used_kb=$(du -sk "$CARGO_TARGET_DIR" 2>/dev/null | cut -f1)
  if [ "${used_kb:-0}" -gt "$limit_kb" ]; then
    log "build cache over 40 GB ($((used_kb / 1024 / 1024)) GB): wiping $CARGO_TARGET_DIR"
    rm -rf "$CARGO_TARGET_DIR"
  fi
}
