#!/usr/bin/env bash
# Installs what a fresh machine lacks for the full build and test run: Debian's
# Chromium and ChromeDriver, the pinned nightly with rust-src and the wasm target,
# wasm-bindgen-cli at the exact version in Cargo.lock, the npm devDependencies, and
# cargo-fuzz (scripts/fuzz.sh; libFuzzer comes with its libfuzzer-sys crate).
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

if ! command -v cargo-fuzz >/dev/null; then
  echo "[setup] installing cargo-fuzz (about a minute)"
  # --locked fails with this registry mirror (see build-wasm.sh); without it, it builds.
  cargo install cargo-fuzz --version 0.13.2 || cargo install cargo-fuzz
fi
