#!/usr/bin/env bash
# Fuzzes the core with cargo-fuzz (libFuzzer, nightly): the model loader, the face
# detector's model loader, dataset descriptions and the decode → frame → segment path (fuzz/fuzz_targets/). One libFuzzer process per
# target, one target after the other (one core at a time).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   default 75 s, every target
#   FUZZ_RUNS=N   stop each target after N executions instead (whichever comes first)
#
# Seeds (a small valid model; small PNG/JPEG/WebP faces) are generated into
# target/fuzz-seeds by crates/faceforest/examples/fuzz_seeds.rs; the growing corpus
# lives in target/fuzz-corpus (git-ignored). A crash stops the run with libFuzzer's
# report and the input in fuzz/artifacts/<target>/; turn it into a regression test
# (tests/fuzz_regressions.rs reads fuzz/regressions/<target>/) and fix it.
# Prints one summary line per target: executions, seconds, result.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
NIGHTLY="nightly-2026-05-20"
SECS="${1:-75}"
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(model_loader detector_loader dataset_description decode_segment)
log() { printf '\033[1m[fuzz]\033[0m %s\n' "$*" >&2; }

# A fresh machine lacks cargo-fuzz or the nightly: scripts/setup.sh installs them.
if ! command -v cargo-fuzz >/dev/null || ! rustup toolchain list | grep -q "^$NIGHTLY"; then
  log "cargo-fuzz or $NIGHTLY is missing: installing with scripts/setup.sh"
  bash scripts/setup.sh
  command -v cargo-fuzz >/dev/null || { log "cargo-fuzz is still missing after scripts/setup.sh"; exit 1; }
fi
cargo run --quiet --release -p faceforest --example fuzz_seeds -- target/fuzz-seeds
# The face detector's loader starts from the committed detector model, the
# description parser from the committed descriptions.
mkdir -p target/fuzz-seeds/detector_loader target/fuzz-seeds/dataset_description
cp web/models/face_detection_short_range.tflite target/fuzz-seeds/detector_loader/
cp datasets/*.toml target/fuzz-seeds/dataset_description/
(cd fuzz && cargo +"$NIGHTLY" fuzz build --release)
status=0
for t in "${TARGETS[@]}"; do
  corpus="target/fuzz-corpus/$t"
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  log "$t: ${SECS} s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}, one process"
  logf="target/fuzz-$t.log"
  set +e
  (cd fuzz && cargo +"$NIGHTLY" fuzz run --release "$t" "../$corpus" "../target/fuzz-seeds/$t" -- \
      -max_total_time="$SECS" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -max_len="$([[ $t == *_loader ]] && echo 262144 || echo 16384)" -timeout=60 \
      -rss_limit_mb=4096 -print_final_stats=1) >"$logf" 2>&1
  rc=$?
  set -e
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logf" | grep -o '[0-9]*$' | tail -1)"
  took="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$logf" | tail -1)"
  if [[ $rc == 0 ]]; then
    log "$t: no crash — ${execs:-?} executions (${took:-?})"
  else
    status=1
    log "$t: FAILED (exit $rc) after ${execs:-?} executions; libFuzzer's report:"
    grep -E 'ERROR|panicked|SUMMARY|Test unit written|artifact' "$logf" | head -20 >&2
    log "full log: $logf"
  fi
done
exit $status
