#!/usr/bin/env bash
# Installs what a fresh machine lacks for the full build and test run: Debian's
# Chromium and ChromeDriver, the pinned nightly with rust-src and the wasm target,
# wasm-bindgen-cli at the exact version in Cargo.lock, and the npm devDependencies.
# Idempotent: each step is skipped when its tool is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "[setup] installing Debian chromium + chromium-driver"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# build-wasm.sh installs the Rust toolchains, wasm-bindgen-cli and npm packages itself;
# run only its installers here so a setup failure shows up before any test.
bash scripts/build-wasm.sh tools
