#!/usr/bin/env bash
# Builds the browser runtime's two wasm builds from crates/faceforest-wasm:
#   web/lib/pkg-threads/  nightly, atomics + shared memory, rayon (feature `parallel`)
#   web/lib/pkg-single/   stable, no atomics, one thread
# Each: cargo (profile `wasm`) -> wasm-bindgen --target web -> npm binaryen's wasm-opt.
# Installs what is missing (rustup toolchain/target/component, wasm-bindgen-cli at
# the version in Cargo.lock, npm devDependencies). Native builds are not touched:
# the wasm RUSTFLAGS are set only for the wasm32 target, and the threaded build uses
# its own target dir.
#
# Usage: scripts/build-wasm.sh [threads|single|all]   (default all)
#   WASM_OPT_LEVEL=-O3 (default) | -Oz ...   SKIP_WASM_OPT=1 to skip wasm-opt
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WHICH="${1:-all}"
NIGHTLY="nightly-2026-05-20"
TARGET="wasm32-unknown-unknown"
PROFILE="wasm"
CRATE="faceforest-wasm"
OUT_NAME="faceforest_wasm"
OPT_LEVEL="${WASM_OPT_LEVEL:--O3}"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m[build-wasm]\033[0m %s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------
ensure_rust() {
  if ! rustup target list --installed | grep -qx "$TARGET"; then
    log "adding $TARGET to the stable toolchain"
    rustup target add "$TARGET"
  fi
  if [[ "$WHICH" != single ]]; then
    if ! rustup toolchain list | grep -q "^$NIGHTLY"; then
      log "installing $NIGHTLY"
      rustup toolchain install "$NIGHTLY" --profile minimal --target "$TARGET" --component rust-src
    fi
    rustup +"$NIGHTLY" target list --installed | grep -qx "$TARGET" || rustup +"$NIGHTLY" target add "$TARGET"
    rustup +"$NIGHTLY" component list --installed | grep -q '^rust-src' || rustup +"$NIGHTLY" component add rust-src
  fi
}

ensure_wasm_bindgen() {
  # The CLI must be exactly the wasm-bindgen version the crate links.
  local want have
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
  if [[ -z "$want" ]]; then
    cargo generate-lockfile >/dev/null 2>&1 || cargo metadata --format-version 1 >/dev/null
    want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
  fi
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [[ "$have" != "$want" ]]; then
    log "installing wasm-bindgen-cli $want (found: ${have:-none}); takes ~6 minutes cold"
    # --locked fails with this registry mirror (a locked dependency is missing).
    cargo install wasm-bindgen-cli --version "$want"
  fi
  WASM_BINDGEN_VERSION="$want"
}

ensure_npm() {
  if [[ ! -x node_modules/.bin/wasm-opt ]]; then
    log "installing npm devDependencies (binaryen's wasm-opt, playwright-core, vite, ...)"
    if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  fi
  WASM_OPT="$ROOT/node_modules/.bin/wasm-opt" # npm binaryen: Debian's 108 miscompiles this module
}

# --- one build --------------------------------------------------------------
post_process() { # $1 raw wasm, $2 out dir, $3 wasm-opt feature flags
  local raw="$1" out="$2" feats="$3"
  rm -rf "$out"
  wasm-bindgen --target web --out-dir "$out" --out-name "$OUT_NAME" "$raw"
  local bg="$out/${OUT_NAME}_bg.wasm"
  if [[ "${SKIP_WASM_OPT:-0}" != 1 ]]; then
    # shellcheck disable=SC2086
    "$WASM_OPT" "$OPT_LEVEL" $feats "$bg" -o "$bg.opt"
    mv "$bg.opt" "$bg"
  fi
  # No ignore file in $out: the repository's .gitignore keeps it out of git, and npm
  # would honour one here and leave the wasm out of web/lib's package.
  log "$(basename "$out"): $(stat -c %s "$bg") bytes wasm, $(gzip -9c "$bg" | wc -c) gzip"
}

build_threads() {
  log "threaded build ($NIGHTLY, atomics, shared memory, build-std)"
  local flags=(
    -C target-feature=+atomics,+bulk-memory,+mutable-globals
    -C link-arg=--shared-memory -C link-arg=--max-memory=1073741824 -C link-arg=--import-memory
    -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size
    -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base
  )
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${flags[*]}" \
    cargo +"$NIGHTLY" build -p "$CRATE" --lib --target "$TARGET" --profile "$PROFILE" \
      --features parallel -Z build-std=panic_abort,std --target-dir target/wasm-threads
  post_process "target/wasm-threads/$TARGET/$PROFILE/$OUT_NAME.wasm" web/lib/pkg-threads \
    "--enable-threads --enable-bulk-memory --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue"
  # The pool helper must start its threads from a blob that imports it by URL, or
  # they never start under a bundler's dev server (see the script).
  node "$ROOT/scripts/patch-rayon-helper.mjs" web/lib/pkg-threads
  # The threaded module must import a shared memory, or the page fails later with
  # "DataCloneError: #<Memory> could not be cloned".
  if ! "$ROOT/node_modules/.bin/wasm-dis" web/lib/pkg-threads/${OUT_NAME}_bg.wasm | grep -Eq '\(import "[^"]+" "memory" \(memory .*shared'; then
    log "ERROR: the threaded build does not import a shared memory (check the link flags)"
    exit 1
  fi
}

build_single() {
  log "single-threaded build (stable, no atomics)"
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="" \
    cargo build -p "$CRATE" --lib --target "$TARGET" --profile "$PROFILE" --target-dir target/wasm-single
  post_process "target/wasm-single/$TARGET/$PROFILE/$OUT_NAME.wasm" web/lib/pkg-single \
    "--enable-bulk-memory --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue"
}

ensure_rust
ensure_wasm_bindgen
ensure_npm
case "$WHICH" in
  tools) ;; # install the toolchain, wasm-bindgen-cli and npm packages only
  threads) build_threads ;;
  single) build_single ;;
  all) build_threads; build_single ;;
  *) echo "usage: $0 [threads|single|all|tools]" >&2; exit 2 ;;
esac
log "done"
