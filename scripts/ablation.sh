#!/usr/bin/env bash
# The ablation table (issue 7): each addition's honest accuracy, macro-F1, per-class
# F1, robustness, model size and browser milliseconds per 256×256 frame. Every row is
# trained on all 62 training photos (S=128, class weight 0.5, seed 0; 12 trees × 2000
# leaves per stage except the last two rows, the shipped model's 16 × 3000) and scored on
# the 50 test photos; the browser figure is the threaded build's median round trip
# (scripts/bench-browser.mjs, run alone: the two builds alternate within it).
# The settings themselves were chosen by cross-validation (README); this only reports.
# Models, evaluations and browser timings are reused when present: delete
# out/ablation/ after changing the pipeline.
#
#   scripts/ablation.sh [--runs 10]     # writes out/ablation/*.model, *.json and table.md
#
# Needs the wasm builds (scripts/build-wasm.sh all) and Chromium (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export FASSEG_DIR="${FASSEG_DIR:-$ROOT/../shared/fasseg}"
RUNS=10
[[ "${1:-}" == --runs ]] && RUNS="$2"
OUT=out/ablation
mkdir -p "$OUT"
cargo build --release -q -p faceforest-cli
F=./target/release/faceforest
COMMON=(--size 128 --hog-cell 6 --class-weight-power 0.5 --seed 0)
SMALL="--trees 12 --max-leaves 2000"

rows=(
  "seed features (RGB + xy + HOG 6)|$SMALL --colour rgb"
  "+ context windows 9, 25|$SMALL --colour rgb --context 9,25"
  "Lab instead of RGB|$SMALL --colour lab --context 9,25"
  "+ auto-context stage|$SMALL --colour lab --context 9,25 --context-stages 1 --skip-confident 2"
  "+ skip the stage where stage 1 is ≥ 95% sure|$SMALL --colour lab --context 9,25 --context-stages 1 --skip-confident 0.95"
  "+ 3×3 smoothing, one blob per face part|$SMALL --colour lab --context 9,25 --context-stages 1 --skip-confident 0.95 --largest-parts --smooth 1"
  "+ second auto-context stage|$SMALL --colour lab --context 9,25 --context-stages 2 --skip-confident 0.95 --largest-parts --smooth 1"
  "+ augmentation, 1 copy per photo|$SMALL --colour lab --context 9,25 --context-stages 2 --skip-confident 0.95 --largest-parts --smooth 1 --augment 1"
  "16 trees × 3000 leaves per stage|--trees 16 --max-leaves 3000 --colour lab --context 9,25 --context-stages 2 --skip-confident 0.95 --largest-parts --smooth 1 --augment 1"
  "face parts' probabilities × 0.65 (shipped)|--trees 16 --max-leaves 3000 --colour lab --context 9,25 --context-stages 2 --skip-confident 0.95 --largest-parts --smooth 1 --augment 1 --part-scale 0.65"
)

table="$OUT/table.md"
{
  echo "| step | honest acc | macro-F1 | six-class macro-F1 | skin | hair | eyes L / R (both) | nose | mouth | shifted+scaled acc | model gzip | browser ms (256², 2 threads) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$table"
i=0
for row in "${rows[@]}"; do
  i=$((i + 1))
  name="${row%%|*}"
  # shellcheck disable=SC2206
  args=(${row#*|})
  m="$OUT/step$i.model"
  echo "[ablation] $i: $name" >&2
  [[ -f "$m" ]] || "$F" train "${COMMON[@]}" "${args[@]}" -o "$m" >&2
  [[ -f "$OUT/step$i.json" ]] || "$F" eval "$m" --json "$OUT/step$i.json" --plots "$OUT/step$i-plots" > /dev/null
  [[ -f "$OUT/step$i.browser.json" ]] ||
    FACEFOREST_MODEL="$m" node scripts/bench-browser.mjs --runs "$RUNS" --json "$OUT/step$i.browser.json" > /dev/null
  node -e '
    const [ev, br, name] = [require(process.argv[1]), require(process.argv[2]), process.argv[3]];
    const f1 = (c, v = ev.honest) => v.classes.find((x) => x.name === c).f1.toFixed(2);
    const t = br.results.find((r) => r.info.build === "threads").out.find((o) => o.size === 256);
    console.log(`| ${name} | ${ev.honest.accuracy.toFixed(4)} | ${ev.honest.macro_f1.toFixed(3)} | ${ev.honest6.macro_f1.toFixed(3)} | ${f1("skin")} | ${f1("hair")} | ${f1("left_eye")} / ${f1("right_eye")} (${f1("eyes", ev.honest6)}) | ${f1("nose")} | ${f1("mouth")} | ${ev.robustness.honest.accuracy.toFixed(4)} | ${(ev.model_gzip_bytes / 1e6).toFixed(2)} MB | ${t.wall.median.toFixed(1)} |`);
  ' "$ROOT/$OUT/step$i.json" "$ROOT/$OUT/step$i.browser.json" "$name" >> "$table"
done
cat "$table"
