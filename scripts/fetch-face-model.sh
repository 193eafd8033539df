#!/usr/bin/env bash
# Copies rustface's face detector model (model/seeta_fd_frontal_v1.0.bin, 1.2 MB,
# BSD-2-Clause, shipped inside the rustface crate package) out of cargo's registry
# copy of the crate, so the site can serve it as its own file. The model is not
# committed: the default destination is gitignored.
#
# Usage: scripts/fetch-face-model.sh [DEST]   (default web/models/seeta_fd_frontal_v1.0.bin)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DEST="${1:-web/models/seeta_fd_frontal_v1.0.bin}"
MODEL_REL="model/seeta_fd_frontal_v1.0.bin"

# Make sure the crate (at the version in Cargo.lock) is downloaded and unpacked.
cargo fetch --quiet

# Ask cargo where the rustface package lives (its manifest path), rather than
# guessing the registry folder name.
manifest="$(cargo metadata --format-version 1 2>/dev/null \
  | grep -o '"manifest_path":"[^"]*/rustface-[0-9][^"]*/Cargo.toml"' | head -n1 \
  | sed -e 's/^"manifest_path":"//' -e 's/"$//')"
if [[ -z "$manifest" ]]; then
  echo "fetch-face-model: rustface is not in this workspace's dependency graph" >&2
  exit 1
fi
src="$(dirname "$manifest")/$MODEL_REL"
if [[ ! -f "$src" ]]; then
  echo "fetch-face-model: $src not found (is the crate unpacked? try 'cargo fetch')" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
cp "$src" "$DEST"
echo "fetch-face-model: $src -> $DEST ($(wc -c < "$DEST") bytes)" >&2
