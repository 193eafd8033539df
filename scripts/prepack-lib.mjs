#!/usr/bin/env node
// `npm pack` / `npm publish` of web/lib runs this first (its `prepack` script):
//   - refuses to pack without both wasm builds (scripts/build-wasm.sh makes them),
//   - removes ignore files inside the builds (npm honours a sub-folder's .gitignore,
//     and a `*` there once left the wasm out of the tarball; the repository's own
//     .gitignore keeps them out of git),
//   - copies the shipped models into web/lib/models/ (git-ignored there), next to
//     MODEL-TERMS.md: the face-parsing model and the face detector (BlazeFace,
//     web/models/face_detection_short_range.tflite, committed) with its licence.
// Usage: node scripts/prepack-lib.mjs   (FACEFOREST_MODEL=... to ship another model)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const LIB = path.join(ROOT, 'web/lib');
const die = (msg) => {
  console.error(`[prepack-lib] ERROR: ${msg}`);
  process.exit(1);
};

for (const b of ['pkg-threads', 'pkg-single']) {
  const dir = path.join(LIB, b);
  for (const f of ['faceforest_wasm.js', 'faceforest_wasm_bg.wasm']) {
    if (!fs.existsSync(path.join(dir, f))) die(`web/lib/${b}/${f} is missing: run scripts/build-wasm.sh first`);
  }
  for (const ignore of ['.gitignore', '.npmignore']) fs.rmSync(path.join(dir, ignore), { force: true });
}
if (!fs.existsSync(path.join(LIB, 'pkg-threads/snippets'))) die('web/lib/pkg-threads/snippets (the thread pool helper) is missing: run scripts/build-wasm.sh threads');

// Files shipped in the package's models/: [file in web/lib/models/, source]. Each has
// its row in MODEL-TERMS.md (and its entry in web/lib/package.json's `files`).
const MODELS = [
  ['faceforest.model', process.env.FACEFOREST_MODEL ?? path.join(ROOT, 'web/models/faceforest.model')],
  ['face_detection_short_range.tflite', path.join(ROOT, 'web/models/face_detection_short_range.tflite')],
  ['face_detection_short_range.LICENSE.txt', path.join(ROOT, 'web/models/face_detection_short_range.LICENSE.txt')],
];
fs.mkdirSync(path.join(LIB, 'models'), { recursive: true });
for (const [name, src] of MODELS) {
  if (!fs.existsSync(src)) die(`${src} is missing (the model the package ships)`);
  fs.copyFileSync(src, path.join(LIB, 'models', name));
}
console.error(`[prepack-lib] web/lib ready to pack (models: ${MODELS.map(([n]) => n).join(', ')})`);
