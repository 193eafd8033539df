// (e) The package a web developer installs: `npm pack` of web/lib keeps both wasm
// builds, the thread-pool helper, the model and the face detector (BlazeFace, with its
// licence); the tarball installed into a fresh Vite project (tests/e2e/package-app)
// segments and finds the one face of the sample portrait after `vite build` —
// threaded with COOP/COEP, single-threaded without — and under `vite dev`; and the
// package served from another origin (as a CDN would) works too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, FASSEG_DIR, modelPath, requireBuilds, startServer, launchBrowser } from './helpers.mjs';

const LIB = path.join(ROOT, 'web/lib');
const PHOTO = path.join(FASSEG_DIR, 'frontal02/test/rgb/2.png');
const PORTRAIT = path.join(ROOT, 'web/demo/assets/astronaut.png'); // one face
const DETECTOR = path.join(ROOT, 'web/models/face_detection_short_range.tflite');
let tmp, pack, app, servers, browser, devServer;

function run(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  requireBuilds();
  if (!fs.existsSync(PHOTO)) throw new Error(`FASSEG photo ${PHOTO} not found (set FASSEG_DIR)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faceforest-package-'));
  // npm pack runs the package's prepack step (scripts/prepack-lib.mjs: copies the models in).
  [pack] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], LIB, { FACEFOREST_MODEL: modelPath() }));
  const tarball = path.join(tmp, pack.filename);

  // A fresh project that depends on the tarball only; offline, nothing else installs.
  app = path.join(tmp, 'app');
  fs.cpSync(path.join(ROOT, 'tests/e2e/package-app'), app, { recursive: true });
  fs.mkdirSync(path.join(app, 'public'));
  fs.copyFileSync(PHOTO, path.join(app, 'public/photo.png'));
  fs.copyFileSync(PORTRAIT, path.join(app, 'public/astronaut.png'));
  const manifest = { name: 'faceforest-consumer', private: true, type: 'module', dependencies: { 'faceforest-web': `file:${tarball}` } };
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);

  // The repository's Vite, run on the project (its config imports nothing).
  const vite = await import('vite');
  await vite.build({ root: app, configFile: path.join(app, 'vite.config.js'), build: { outDir: path.join(tmp, 'dist') } });
  devServer = await vite.createServer({ root: app, configFile: path.join(app, 'vite.config.js'), server: { port: 0, host: '127.0.0.1' } });
  await devServer.listen();

  // The package as a CDN serves it: the tarball's contents on another origin.
  fs.mkdirSync(path.join(tmp, 'cdn'));
  run('tar', ['-xzf', tarball, '-C', path.join(tmp, 'cdn')], tmp);
  servers = await Promise.all([
    startServer({ root: path.join(tmp, 'dist'), coi: true }),
    startServer({ root: path.join(tmp, 'dist'), coi: false }),
    startServer({ root: path.join(tmp, 'cdn/package'), cors: true }),
  ]);
  // A page on another origin that takes the package from the "CDN" through an import
  // map (the same main.js, unbundled).
  const cdn = servers[2].url;
  const page = path.join(tmp, 'cdn-page');
  fs.mkdirSync(page);
  fs.copyFileSync(path.join(app, 'main.js'), path.join(page, 'main.js'));
  fs.copyFileSync(PHOTO, path.join(page, 'photo.png'));
  fs.copyFileSync(PORTRAIT, path.join(page, 'astronaut.png'));
  const importMap = { imports: { 'faceforest-web': `${cdn}index.js`, 'faceforest-web/model': `${cdn}model.js`, 'faceforest-web/detector': `${cdn}detector.js` } };
  fs.writeFileSync(
    path.join(page, 'index.html'),
    fs.readFileSync(path.join(app, 'index.html'), 'utf8').replace('<pre', `<script type="importmap">${JSON.stringify(importMap)}</script>\n<pre`),
  );
  servers.push(await startServer({ root: page, coi: true }), await startServer({ root: page, coi: false }));
  browser = await launchBrowser();
});

after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await devServer?.close();
  await Promise.all((servers ?? []).map((s) => s.close()));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Opens `url` and waits for the page's `window.result` (the segmentation summary). */
async function result(url, { waitForIsolation = false } = {}) {
  const page = await browser.newPage(url);
  try {
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    const r = await page.evaluate(() =>
      Promise.race([window.result, new Promise((res) => setTimeout(() => res({ error: 'createSegmenter/segment did not settle within 120 s' }), 120_000))]),
    );
    assert.equal(r.error, undefined, `${url}: ${r.error}\n${browser.logs.slice(-20).join('\n')}`);
    return r;
  } finally {
    await page.close();
  }
}

let reference = null; // the first page's labels: every other way of loading must match
let faceReference = null; // and its face box (to a tenth of a pixel)
function checkLabels(r) {
  // The shipped detector loads and finds exactly the one face of the sample portrait,
  // a confident one with its six landmarks inside the box.
  assert.deepEqual(r.detector, { available: true, error: null });
  assert.equal(r.faces.length, 1, `faces in the sample portrait: ${JSON.stringify(r.faces)}`);
  const [f] = r.faces;
  assert.ok(f.score > 0.8 && f.score < 1, `score ${f.score}`);
  // Eileen Collins' face in the 512×512 portrait: BlazeFace's box is about 94 px from (178, 81).
  assert.ok(f.x > 160 && f.x < 200 && f.y > 60 && f.y < 100 && f.w > 80 && f.w < 110 && f.h > 80 && f.h < 110, `box ${JSON.stringify(f)}`);
  for (const [name, p] of Object.entries(f.landmarks)) {
    if (name.endsWith('Ear')) continue; // the ears' points lie at the box's sides
    assert.ok(p.x > f.x && p.x < f.x + f.w && p.y > f.y && p.y < f.y + f.h, `${name} outside the box: ${JSON.stringify(f)}`);
  }
  assert.deepEqual(Object.keys(f.landmarks).sort(), ['leftEar', 'leftEye', 'mouth', 'noseTip', 'rightEar', 'rightEye']);
  assert.ok(Math.abs(f.roll) < 0.3, `roll ${f.roll}`);
  const box = [f.x, f.y, f.w, f.h].map((v) => Math.round(v * 10) / 10);
  if (faceReference) assert.deepEqual(box, faceReference, 'the face box differs from the first run');
  else faceReference = box;
  assert.equal(r.n, r.width * r.height);
  const png = fs.readFileSync(PHOTO); // IHDR: width and height, big-endian, at bytes 16 and 20
  assert.deepEqual([r.width, r.height], [png.readUInt32BE(16), png.readUInt32BE(20)]);
  // A portrait: background, skin and hair are each a good part of the picture.
  for (const c of [0, 1, 2]) assert.ok(r.counts[c] > 0.05 * r.n, `class ${c}: ${r.counts[c]} of ${r.n} pixels`);
  if (reference) assert.deepEqual({ hash: r.hash, counts: r.counts }, reference, 'labels differ from the first run');
  else reference = { hash: r.hash, counts: r.counts };
}

test('(e) npm pack of web/lib keeps both wasm builds, the pool helper, the types, the model and the face detector', () => {
  const files = pack.files.map((f) => f.path);
  for (const f of [
    'package.json', 'README.md', 'index.js', 'index.d.ts', 'worker.js', 'limits.js', 'image.js', 'model.js', 'model.d.ts',
    'detector.js', 'detector.d.ts',
    'pkg-threads/faceforest_wasm.js', 'pkg-threads/faceforest_wasm_bg.wasm',
    'pkg-single/faceforest_wasm.js', 'pkg-single/faceforest_wasm_bg.wasm',
    'models/faceforest.model', 'models/MODEL-TERMS.md',
    'models/face_detection_short_range.tflite', 'models/face_detection_short_range.LICENSE.txt',
  ]) {
    assert.ok(files.includes(f), `${f} is not in the tarball: ${files.join(' ')}`);
  }
  assert.ok(files.some((f) => /^pkg-threads\/snippets\/.*workerHelpers.*\.js$/.test(f)), 'the thread pool helper is missing');
  assert.ok(!files.some((f) => /(^|\/)\.gitignore$|\.tgz$/.test(f)), files.join(' '));
  assert.equal(fs.statSync(path.join(tmp, 'cdn/package/models/faceforest.model')).size, fs.statSync(modelPath()).size);
  // The detector byte for byte (229,032 bytes), its licence and its row in the terms.
  assert.ok(fs.readFileSync(path.join(tmp, 'cdn/package/models/face_detection_short_range.tflite')).equals(fs.readFileSync(DETECTOR)), 'the packed detector differs from web/models');
  assert.match(fs.readFileSync(path.join(tmp, 'cdn/package/models/face_detection_short_range.LICENSE.txt'), 'utf8'), /Apache License/);
  assert.match(fs.readFileSync(path.join(tmp, 'cdn/package/models/MODEL-TERMS.md'), 'utf8'), /\| `face_detection_short_range\.tflite` \|.*Apache-2\.0/);
  const pkg = JSON.parse(fs.readFileSync(path.join(tmp, 'cdn/package/package.json'), 'utf8'));
  assert.notEqual(pkg.private, true, 'the package is private');
  assert.equal(pkg.license, 'MIT OR Apache-2.0');
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.ok(pkg.repository?.url, 'no repository');
  assert.equal(pkg.exports['.'].types, './index.d.ts');
  assert.equal(pkg.exports['./detector'].default, './detector.js');
  assert.equal(pkg.types, 'index.d.ts');
});

test('(e) vite build with the installed package, COOP/COEP headers: threaded', async () => {
  const r = await result(servers[0].url);
  assert.equal(r.build, 'threads', r.fallbackReason);
  assert.ok(r.threads >= 2, `threads: ${r.threads}`);
  assert.ok(r.isolated);
  checkLabels(r);
});

test('(e) vite build with the installed package, no headers: single-threaded, same labels', async () => {
  const r = await result(servers[1].url);
  assert.equal(r.build, 'single');
  assert.equal(r.threads, 1);
  assert.equal(r.isolated, false);
  checkLabels(r);
});

test('(e) vite dev with the installed package: threaded, same labels', async () => {
  const r = await result(`http://127.0.0.1:${devServer.httpServer.address().port}/`);
  assert.equal(r.build, 'threads', r.fallbackReason);
  assert.ok(r.threads >= 2, `threads: ${r.threads}`);
  checkLabels(r);
});

test('(e) the package on another origin (a CDN), page with COOP/COEP: the worker starts, threaded, same labels', async () => {
  assert.notEqual(new URL(servers[3].url).origin, new URL(servers[2].url).origin);
  const r = await result(servers[3].url);
  assert.equal(r.build, 'threads', r.fallbackReason);
  assert.ok(r.threads >= 2, `threads: ${r.threads}`);
  checkLabels(r);
});

test('(e) the package on another origin (a CDN), page without headers: single-threaded, same labels', async () => {
  const r = await result(servers[4].url);
  assert.equal(r.build, 'single');
  checkLabels(r);
});
