#!/usr/bin/env bash
# scikit-learn side-by-side benchmark (issue 3).
#
# 1. makes .venv (gitignored) and pip-installs numpy + scikit-learn into it
# 2. builds the CLI (cargo build --release -p faceforest-cli)
# 3. exports the feature matrices to bench-out/features (skipped when already
#    exported with the same settings by the same binary)
# 4. runs scripts/bench_sklearn.py: fits RandomForestClassifier(n_estimators=N,
#    max_features='sqrt', max_depth=None, bootstrap=True, n_jobs=-1,
#    random_state=0), times predict_proba per test image, pickled size, nodes;
#    then `faceforest fit-npy` on the same matrices; scores both with
#    `faceforest score-probs`; prints a markdown table and writes
#    bench-out/sklearn-vs-faceforest.json
#
# Usage: scripts/bench-sklearn.sh [--trees N] [--size S] [--subsample FRACTION]
#                                 [--threads N] [--seed N] [--reexport]
#   defaults: --trees 55 --size 200 --subsample 1 (all 2.48 M training rows)
#   quick smoke run: scripts/bench-sklearn.sh --trees 5 --subsample 0.2
# Environment: FASSEG_DIR (default ../shared/fasseg, relative to the repo root),
#   BENCH_OUT (default bench-out), BENCH_NUMPY / BENCH_SKLEARN (pip specs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m[bench-sklearn]\033[0m %s\n' "$*" >&2; }
usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

TREES=55
SIZE=200
SUBSAMPLE=1
SEED=0
THREADS=""
REEXPORT=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --trees) TREES="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --subsample) SUBSAMPLE="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --reexport) REEXPORT=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

OUT="${BENCH_OUT:-bench-out}"
FASSEG="${FASSEG_DIR:-../shared/fasseg}"
[[ -d "$FASSEG" ]] || { echo "FASSEG folder not found: $FASSEG (set FASSEG_DIR)" >&2; exit 1; }
FASSEG="$(cd "$FASSEG" && pwd)"   # absolute, so meta.json works from anywhere
FEATURES="$OUT/features"
NUMPY_SPEC="${BENCH_NUMPY:-numpy==2.4.6}"
SKLEARN_SPEC="${BENCH_SKLEARN:-scikit-learn==1.9.1}"

# --- 1. venv ----------------------------------------------------------------
PY=.venv/bin/python
if [[ ! -x "$PY" ]]; then
  log "creating .venv"
  python3 -m venv .venv
fi
STAMP_VENV=".venv/.bench-sklearn-reqs"
if [[ "$(cat "$STAMP_VENV" 2>/dev/null)" != "$NUMPY_SPEC $SKLEARN_SPEC" ]] \
   || ! "$PY" -c 'import numpy, sklearn, threadpoolctl' 2>/dev/null; then
  log "pip install $NUMPY_SPEC $SKLEARN_SPEC"
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q "$NUMPY_SPEC" "$SKLEARN_SPEC"
  echo "$NUMPY_SPEC $SKLEARN_SPEC" > "$STAMP_VENV"
fi

# --- 2. CLI -----------------------------------------------------------------
log "cargo build --release -p faceforest-cli"
cargo build --release -q -p faceforest-cli
CLI="$ROOT/target/release/faceforest"

# --- 3. features --------------------------------------------------------------
# The stamp holds the export arguments and the binary's hash: a rebuilt binary
# may compute different features, and exporting takes only seconds.
EXPORT_ARGS=(export --size "$SIZE" --fasseg "$FASSEG" -o "$FEATURES")
STAMP="$(printf '%s\n' "${EXPORT_ARGS[*]}" "$(sha256sum "$CLI" | cut -d' ' -f1)")"
have_all() { for f in X_train.npy y_train.npy X_test.npy y_test.npy meta.json; do [[ -f "$FEATURES/$f" ]] || return 1; done; }
if [[ $REEXPORT == 0 ]] && have_all && [[ "$(cat "$FEATURES/.export-stamp" 2>/dev/null)" == "$STAMP" ]]; then
  log "features already exported ($FEATURES), skipping export"
else
  log "faceforest ${EXPORT_ARGS[*]}"
  rm -f "$FEATURES/.export-stamp"
  "$CLI" "${EXPORT_ARGS[@]}"
  printf '%s\n' "$STAMP" > "$FEATURES/.export-stamp"
fi

# --- 4. benchmark ---------------------------------------------------------------
PYARGS=(--features "$FEATURES" --out "$OUT" --cli "$CLI" --trees "$TREES" --size "$SIZE"
        --subsample "$SUBSAMPLE" --seed "$SEED")
[[ -n "$THREADS" ]] && PYARGS+=(--threads "$THREADS")
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine and slow a
# current numpy: unset both for this command only.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONUNBUFFERED=1 \
  "$PY" scripts/bench_sklearn.py "${PYARGS[@]}"
