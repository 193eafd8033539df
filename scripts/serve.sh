#!/usr/bin/env bash
# Runs the demo locally the way GitHub Pages serves it: builds the wasm
# (scripts/build-wasm.sh, incremental), builds the site into dist/
# (scripts/build-site.sh), then serves dist/ under /faceforest/ WITHOUT COOP/COEP
# headers, so cross-origin isolation (threads) comes from the bundled
# coi-serviceworker, as on Pages.
#
# Usage: scripts/serve.sh [--port N]   (default 8080; SKIP_WASM_BUILD=1 to skip the wasm build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT=8080
if [[ "${1:-}" == --port ]]; then PORT="${2:?--port needs a number}"; fi
if [[ "${SKIP_WASM_BUILD:-0}" != 1 ]]; then bash scripts/build-wasm.sh all; fi
bash scripts/build-site.sh dist
echo "faceforest demo: http://127.0.0.1:$PORT/faceforest/   (Ctrl+C to stop)"
exec node scripts/serve.mjs --root dist --base /faceforest/ --port "$PORT"
