#!/usr/bin/env bash
# Runs every test on any machine with Rust and Node.js: first scripts/setup.sh installs
# whatever is missing (Chromium, the pinned nightly, wasm-bindgen-cli, npm packages,
# cargo-fuzz; each step is skipped when its tool is there, well under a second when
# all are), then the native workspace (unit, model-file, bad-input, CLI and FASSEG
# end-to-end tests), a short fuzzing run of each cargo-fuzz target (FUZZ_SECONDS each,
# default 60; FUZZ_SECONDS=0 skips it), then the browser suites (wasm builds,
# Playwright + Chromium, wasm-bindgen-test).
# FASSEG is read in place from $FASSEG_DIR (default ../shared/fasseg).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export FASSEG_DIR="${FASSEG_DIR:-$ROOT/../shared/fasseg}"

echo "[test] tools (scripts/setup.sh installs what is missing)"
bash scripts/setup.sh

echo "[test] native tests (cargo test --release --workspace --lib --bins --tests)"
cargo test --release --workspace --lib --bins --tests
# Examples and benches are type-checked, not built: they run no tests, and linking
# each one costs minutes on a small machine.
echo "[test] examples and benches compile (cargo check)"
cargo check --release --workspace --examples --benches
if [[ "${FUZZ_SECONDS:-60}" != 0 ]]; then
  echo "[test] fuzzing, ${FUZZ_SECONDS:-60} s per target (scripts/fuzz.sh)"
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
echo "[test] browser tests"
bash scripts/test-browser.sh
