#!/usr/bin/env bash
# Runs every test: the native workspace (unit, model-file, CLI and FASSEG end-to-end
# tests), then the browser suites (wasm builds, Playwright + Chromium, wasm-bindgen-test).
# FASSEG is read in place from $FASSEG_DIR (default ../shared/fasseg).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export FASSEG_DIR="${FASSEG_DIR:-$ROOT/../shared/fasseg}"

echo "[test] native tests (cargo test --release --workspace)"
cargo test --release --workspace
echo "[test] browser tests"
bash scripts/test-browser.sh
