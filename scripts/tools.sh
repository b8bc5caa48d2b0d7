#!/usr/bin/env bash
# Installs (idempotently) everything `make serve` / `make test` need, and nothing that is
# fetched from outside the package registries: no browser, driver or binary is downloaded
# at run time. Fast (well under 2 s) when everything is already there.
#
# Usage: scripts/tools.sh [GROUP...]
#   serve | dist  rust wasm32 target, wasm-bindgen-cli, trunk, npm (wasm-opt)
#   web           rust wasm32 target, wasm-bindgen-cli (wasm-bindgen-test-runner), chromium
#   e2e           npm (@playwright/test), chromium
#   native | bench  nothing beyond cargo itself
#   test | all    everything (the default)
#   env           print `export PATH=...` for your shell: eval "$(scripts/tools.sh env)"
#
# Individual components may also be named: target chromium wasm-bindgen trunk npm.
#
# What is installed where:
#   rustup target wasm32-unknown-unknown
#   apt: chromium, chromium-driver (+ fonts-liberation) -> /usr/bin/chromium, /usr/bin/chromedriver
#   cargo install wasm-bindgen-cli   -> ~/.cargo/bin (version = wasm-bindgen in Cargo.lock)
#   cargo install trunk              -> ~/.cargo/bin (TRUNK_VERSION below)
#   npm ci in e2e/                   -> e2e/node_modules (@playwright/test, binaryen's wasm-opt, axe-core);
#                                       PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1: the tests use the
#                                       apt chromium, playwright never fetches a browser
#
# PATH: e2e/node_modules/.bin (wasm-opt 132) and ~/.cargo/bin must come first; the Makefile
# exports that PATH itself, and `env` prints it for interactive shells.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
NPM_DIR="$ROOT/e2e"
export PATH="$NPM_DIR/node_modules/.bin:$CARGO_BIN:$PATH"

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

# --- components -------------------------------------------------------------------------

ensure_target() {
    command -v rustup >/dev/null 2>&1 || die "rustup not found (install Rust via rustup first)"
    if ! rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'; then
        log "adding rust target wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_chromium() {
    if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
        return 0
    fi
    log "installing chromium + chromium-driver with apt"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        chromium chromium-driver fonts-liberation
    [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] \
        || die "apt did not provide /usr/bin/chromium and /usr/bin/chromedriver"
}

# Version of the `wasm-bindgen` package in Cargo.lock (falls back to the `=X.Y.Z` pin in
# Cargo.toml when there is no lock file yet).
wasm_bindgen_wanted() {
    local v=""
    if [ -f "$ROOT/Cargo.lock" ]; then
        v="$(awk '
            /^\[\[package\]\]/ { inpkg = 0 }
            /^name = "wasm-bindgen"$/ { inpkg = 1; next }
            inpkg && /^version = / { gsub(/"/, "", $3); print $3; exit }
        ' "$ROOT/Cargo.lock")"
    fi
    if [ -z "$v" ]; then
        v="$(sed -n 's/^wasm-bindgen *= *"=\([0-9][0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n1)"
    fi
    [ -n "$v" ] || die "cannot find the wasm-bindgen version in Cargo.lock or Cargo.toml"
    printf '%s\n' "$v"
}

ensure_wasm_bindgen() {
    local want have=""
    want="$(wasm_bindgen_wanted)"
    if command -v wasm-bindgen >/dev/null 2>&1; then
        have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
    fi
    if [ "$have" != "$want" ] || ! command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
        log "installing wasm-bindgen-cli $want (found: ${have:-none})"
        # Not --locked: the CLI's own lock file does not build with every toolchain.
        cargo install --force wasm-bindgen-cli --version "$want"
    fi
}

ensure_trunk() {
    local have=""
    if command -v trunk >/dev/null 2>&1; then
        have="$(trunk --version 2>/dev/null | awk '{print $2}')"
    fi
    if [ "$have" != "$TRUNK_VERSION" ]; then
        log "installing trunk $TRUNK_VERSION (found: ${have:-none}); this takes ~15 min on 2 cores"
        cargo install --locked --force trunk --version "$TRUNK_VERSION"
    fi
}

ensure_twiggy() {
    command -v twiggy >/dev/null 2>&1 && return 0
    log "installing twiggy (wasm size profiler, for make size)"
    cargo install --locked twiggy --version 0.8.0
}

ensure_npm() {
    command -v npm >/dev/null 2>&1 || die "npm not found (apt-get install nodejs npm)"
    local stamp="$NPM_DIR/node_modules/.package-lock.json"
    if [ ! -f "$stamp" ] \
        || [ ! -f "$NPM_DIR/node_modules/binaryen/package.json" ] \
        || [ ! -f "$NPM_DIR/node_modules/@playwright/test/package.json" ] \
        || [ ! -f "$NPM_DIR/node_modules/axe-core/package.json" ] \
        || [ "$NPM_DIR/package-lock.json" -nt "$stamp" ] \
        || [ "$NPM_DIR/package.json" -nt "$stamp" ]; then
        log "installing npm packages in e2e/"
        # No browser download, whatever a package's install step would do.
        export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
        if [ -f "$NPM_DIR/package-lock.json" ] && [ ! "$NPM_DIR/package.json" -nt "$NPM_DIR/package-lock.json" ]; then
            (cd "$NPM_DIR" && npm ci --no-audit --no-fund)
        else
            (cd "$NPM_DIR" && npm install --no-audit --no-fund)
        fi
    fi
}

# --- groups -----------------------------------------------------------------------------

run_component() {
    case "$1" in
        target) ensure_target ;;
        chromium) ensure_chromium ;;
        wasm-bindgen) ensure_wasm_bindgen ;;
        trunk) ensure_trunk ;;
        npm) ensure_npm ;;
        twiggy) ensure_twiggy ;;
        *) die "unknown component: $1" ;;
    esac
}

components_for() {
    case "$1" in
        serve|dist) echo target wasm-bindgen trunk npm ;;
        web) echo target wasm-bindgen chromium ;;
        e2e) echo npm chromium ;;
        size) echo target wasm-bindgen trunk npm twiggy ;;
        native|bench) echo ;;
        test|all) echo target chromium wasm-bindgen trunk npm ;;
        target|chromium|wasm-bindgen|trunk|npm|twiggy) echo "$1" ;;
        *) die "unknown group: $1 (try: serve dist web e2e native bench test all env)" ;;
    esac
}

main() {
    if [ "${1:-}" = "env" ]; then
        printf 'export PATH=%q\n' "$PATH"
        return 0
    fi
    [ $# -gt 0 ] || set -- all
    local want=() g c cs seen=" "
    for g in "$@"; do
        cs="$(components_for "$g")" || exit 1
        for c in $cs; do
            case "$seen" in *" $c "*) ;; *) want+=("$c"); seen="$seen$c " ;; esac
        done
    done
    for c in "${want[@]+"${want[@]}"}"; do
        run_component "$c"
    done
}

main "$@"
