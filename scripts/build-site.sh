#!/usr/bin/env bash
# Builds the static demo site into dist/ (git-ignored): a self-contained folder that
# works from any sub-path (all URLs are relative), e.g. GitHub Pages' /faceforest/.
#
#   dist/index.html app.js png.js style.css CREDITS.md assets/astronaut.png   web/demo
#   dist/coi-serviceworker.js   cross-origin isolation on header-less hosts (npm)
#   dist/lib/                   web/lib: index.js, worker.js, pkg-threads/, pkg-single/
#   dist/models/                faceforest.model + seeta_fd_frontal_v1.0.bin
#
# Does not build wasm: run scripts/build-wasm.sh first (scripts/serve.sh does both).
# Model: $FACEFOREST_MODEL, else web/models/faceforest.model, else target/test-model.bin
# (with a warning). The face detector model is fetched from cargo's copy of rustface
# (scripts/fetch-face-model.sh) if web/models/ lacks it.
#
# Usage: scripts/build-site.sh [OUT_DIR]   (default dist)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${1:-dist}"
log() { printf '\033[1m[build-site]\033[0m %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for b in pkg-threads pkg-single; do
  [[ -f "web/lib/$b/faceforest_wasm_bg.wasm" ]] || die "web/lib/$b is missing: run scripts/build-wasm.sh"
done
grep -q FaceDetector web/lib/pkg-single/faceforest_wasm.js \
  || die "web/lib/pkg-single predates the face-detection bindings: run scripts/build-wasm.sh"

if [[ -n "${FACEFOREST_MODEL:-}" ]]; then
  MODEL="$FACEFOREST_MODEL"
elif [[ -f web/models/faceforest.model ]]; then
  MODEL=web/models/faceforest.model
elif [[ -f target/test-model.bin ]]; then
  MODEL=target/test-model.bin
  log "WARNING: web/models/faceforest.model is missing; shipping the small test model target/test-model.bin"
else
  die "no segmentation model: add web/models/faceforest.model (or set FACEFOREST_MODEL)"
fi
[[ -f "$MODEL" ]] || die "model $MODEL does not exist"
DETECTOR=web/models/seeta_fd_frontal_v1.0.bin
[[ -f "$DETECTOR" ]] || bash scripts/fetch-face-model.sh "$DETECTOR"

COI=node_modules/coi-serviceworker/coi-serviceworker.js
if [[ ! -f "$COI" ]]; then
  log "installing npm devDependencies (coi-serviceworker)"
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/models" "$OUT/assets"
cp web/demo/index.html web/demo/style.css web/demo/png.js web/demo/CREDITS.md "$OUT/"
cp web/demo/assets/astronaut.png "$OUT/assets/"
# The source page imports ../lib/ and ../models/ (so it runs from web/demo/ too);
# in dist/ they sit next to it.
sed -e "s#'\.\./lib/#'./lib/#g" -e "s#'\.\./models/#'./models/#g" web/demo/app.js > "$OUT/app.js"
grep -q "'\.\./" "$OUT/app.js" && die "app.js still refers to ../ after rewriting"
cp "$COI" "$OUT/coi-serviceworker.js"
cp web/lib/index.js web/lib/worker.js web/lib/index.d.ts web/lib/README.md web/lib/package.json "$OUT/lib/"
for b in pkg-threads pkg-single; do
  cp -r "web/lib/$b" "$OUT/lib/$b"
  rm -f "$OUT/lib/$b/.gitignore"
done
cp "$MODEL" "$OUT/models/faceforest.model"
cp "$DETECTOR" "$OUT/models/seeta_fd_frontal_v1.0.bin"
touch "$OUT/.nojekyll" # serve files as they are on GitHub Pages

log "$OUT/: $(find "$OUT" -type f | wc -l) files, $(du -sh "$OUT" | cut -f1) (model: $MODEL)"
