#!/usr/bin/env node
// Patches wasm-bindgen-rayon 1.3's `no-bundler` pool helper in a wasm-bindgen output
// folder (scripts/build-wasm.sh runs it on web/lib/pkg-threads). Idempotent.
//
// The helper starts each pool thread from a blob holding a *copy of its own text*
// (fetched from import.meta.url). A bundler's dev server serves that file rewritten
// with root-relative imports (Vite dev adds `import ... from "/@vite/client"`), which
// cannot resolve from a blob: URL: the thread never starts and initThreadPool never
// settles. A blob that *imports* the helper by its URL instead resolves every import
// against the real URL and still works when the package is on another origin (a CDN).
//
// Usage: node scripts/patch-rayon-helper.mjs DIR
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: patch-rayon-helper.mjs DIR');
  process.exit(2);
}
// (The file has CRLF line ends.)
const FROM = /let scriptBlob = await fetch\(import\.meta\.url\)\.then\(r => r\.blob\(\)\);(\r?\n\s*)let url = URL\.createObjectURL\(scriptBlob\);/;
const MARK = '// faceforest: a blob that imports this module by URL (scripts/patch-rayon-helper.mjs).';
const TO = `${MARK}$1let url = URL.createObjectURL(new Blob([\`import \${JSON.stringify(import.meta.url)};\`], { type: 'text/javascript' }));`;

const helpers = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/^workerHelpers.*\.js$/.test(e.name)) helpers.push(p);
  }
})(dir);
if (helpers.length !== 1) {
  console.error(`patch-rayon-helper: expected one workerHelpers*.js under ${dir}, found ${helpers.length}`);
  process.exit(1);
}
const [file] = helpers;
const src = fs.readFileSync(file, 'utf8');
if (src.includes(MARK)) process.exit(0);
if (!FROM.test(src)) {
  console.error(`patch-rayon-helper: ${file} does not start its workers as expected (wasm-bindgen-rayon changed?): check the patch`);
  process.exit(1);
}
fs.writeFileSync(file, src.replace(FROM, TO));
console.error(`patch-rayon-helper: patched ${file}`);
