#!/usr/bin/env bash
# Browser runtime tests, in one go:
#   1. builds web/lib/pkg-threads and pkg-single (scripts/build-wasm.sh; incremental)
#   2. finds a model: $FACEFOREST_MODEL, else web/models/faceforest.model, else trains
#      a small one into target/test-model.bin (crates/faceforest-wasm/examples)
#   3. Playwright + headless Chromium tests (node --test tests/e2e/*.test.mjs):
#      build selection with/without COOP/COEP, identical labels from both builds,
#      the Vite example, the npm package (package.test.mjs: npm pack -> a fresh Vite
#      project, vite build and vite dev, threaded and single-threaded, the package on
#      another origin), TypeScript (types.test.mjs: the README's examples under
#      tsc --strict 5.6 and the newest), parity with native labels on 5 FASSEG test photos, errors,
#      limits and crashes (failures.test.mjs: bad inputs, pool panic, out of memory)
#   4. the demo site: scripts/build-site.sh writes dist/, then tests/e2e/site.test.mjs
#      serves it under /faceforest/ without COOP/COEP (isolation via coi-serviceworker):
#      threads, the sample portrait framed and segmented, a small off-centre face, a
#      fake webcam live, a denied camera, PNG downloads (screenshots: test-artifacts/site/);
#      then tests/e2e/site-reliability.test.mjs: no request leaves the origin (upload +
#      30 s webcam), the CSP holds, 1,000 webcam frames with flat memory, camera ended /
#      absent / busy, a crash keeps the result, bad files, offline reload (~4 min)
#   5. wasm-bindgen-test in Chromium (crates/faceforest-wasm/tests/web.rs)
#
# Env: FACEFOREST_MODEL, FASSEG_DIR (default ../shared/fasseg), SKIP_WASM_BUILD=1,
#      E2E_ONLY=1 / WASM_TEST_ONLY=1 to run one of the two suites (the site tests
#      belong to the end-to-end suite; SKIP_SITE=1 skips them).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export FASSEG_DIR="${FASSEG_DIR:-$ROOT/../shared/fasseg}"
log() { printf '\033[1m[test-browser]\033[0m %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- prerequisites ------------------------------------------------------------
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
  log "installing Debian's chromium and chromium-driver"
  command -v apt-get >/dev/null || die "chromium is missing and apt-get is unavailable"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
    || die "could not install chromium"
fi
if [[ ! -d node_modules/playwright-core || ! -d node_modules/vite || ! -x node_modules/.bin/wasm-opt || ! -d node_modules/typescript-5.6 || ! -d node_modules/typescript ]]; then
  log "installing npm devDependencies"
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi || die "npm install failed"
fi
if [[ "${SKIP_WASM_BUILD:-0}" != 1 ]]; then
  bash scripts/build-wasm.sh all || die "wasm build failed"
fi

if [[ -n "${FACEFOREST_MODEL:-}" ]]; then
  [[ -f "$FACEFOREST_MODEL" ]] || die "FACEFOREST_MODEL=$FACEFOREST_MODEL does not exist"
elif [[ -f web/models/faceforest.model ]]; then
  export FACEFOREST_MODEL="$ROOT/web/models/faceforest.model"
else
  export FACEFOREST_MODEL="$ROOT/target/test-model.bin"
  log "no web/models/faceforest.model: using a small test model, target/test-model.bin (trained if missing or unreadable)"
  cargo run --quiet --release -p faceforest-wasm --example train_test_model -- "$FACEFOREST_MODEL" || die "training the test model failed"
fi
log "model: $FACEFOREST_MODEL"

status=0
# --- Playwright end-to-end tests ------------------------------------------------
if [[ "${WASM_TEST_ONLY:-0}" != 1 ]]; then
  cargo build --quiet --release -p faceforest-wasm --example native_labels || die "building native_labels failed"
  log "end-to-end tests (node --test tests/e2e)"
  runtime_tests=()
  for t in tests/e2e/*.test.mjs; do [[ "$t" == */site*.test.mjs ]] || runtime_tests+=("$t"); done
  node --test --test-reporter=spec "${runtime_tests[@]}" || status=1

  if [[ "${SKIP_SITE:-0}" != 1 ]]; then
    log "demo site: build dist/ (scripts/build-site.sh) and test it (tests/e2e/site*.test.mjs)"
    if bash scripts/build-site.sh dist; then
      node --test --test-reporter=spec --test-concurrency=1 tests/e2e/site.test.mjs tests/e2e/site-reliability.test.mjs || status=1
    else
      log "building the site failed"; status=1
    fi
  fi
fi

# --- wasm-bindgen-test in Chromium ----------------------------------------------
if [[ "${E2E_ONLY:-0}" != 1 ]]; then
  log "wasm-bindgen-test (crates/faceforest-wasm/tests/web.rs) in Chromium"
  CHROMEDRIVER=/usr/bin/chromedriver \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="" \
    cargo test -p faceforest-wasm --target wasm32-unknown-unknown --target-dir target/wasm-test --test web || status=1
fi

if [[ $status == 0 ]]; then log "all browser tests passed"; else log "some browser tests FAILED"; fi
exit $status
