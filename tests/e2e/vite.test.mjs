// (d) The Vite example builds (`vite build`) and works when served: threaded under
// COOP/COEP headers, threaded too on a header-less server thanks to
// coi-serviceworker (after its reload), and from a sub-path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, FASSEG_DIR, modelPath, requireBuilds, startServer, launchBrowser } from './helpers.mjs';

const MODEL = modelPath();
let outDir, servers, browser;

before(async () => {
  requireBuilds();
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceforest-vite-'));
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', 'examples/vite', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, FACEFOREST_MODEL: MODEL },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  const mounts = [{ prefix: '/fasseg/', dir: FASSEG_DIR }];
  servers = await Promise.all([
    startServer({ root: outDir, coi: true, mounts }),
    startServer({ root: outDir, coi: false, mounts }),
    startServer({ root: outDir, coi: true, base: '/deep/sub/', mounts }),
  ]);
  browser = await launchBrowser();
});
after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await Promise.all((servers ?? []).map((s) => s.close()));
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

test('(d) vite build emits the worker, both wasm builds, the model and coi-serviceworker', () => {
  const files = fs.readdirSync(path.join(outDir, 'assets'));
  assert.equal(files.filter((f) => f.endsWith('.wasm')).length, 2, files.join(' '));
  assert.ok(files.some((f) => /^worker-.*\.js$/.test(f)), files.join(' '));
  assert.ok(fs.existsSync(path.join(outDir, 'faceforest.model')));
  assert.ok(fs.existsSync(path.join(outDir, 'coi-serviceworker.js')));
});

async function run(server, { reloads = false } = {}) {
  const page = await browser.newPage(`${server.url}?image=/fasseg/frontal02/test/rgb/2.png`);
  // coi-serviceworker reloads a header-less page once it controls it.
  await page.waitForFunction(
    (reloads) => (!reloads || crossOriginIsolated) && ['done', 'error'].includes(document.querySelector('#out')?.dataset.state),
    reloads,
    { timeout: 120_000, polling: 200 },
  );
  const text = await page.textContent('#out');
  const isolated = await page.evaluate(() => crossOriginIsolated);
  await page.close();
  return { text, isolated };
}

test('(d) Vite-built example with COOP/COEP headers: threaded', async () => {
  const { text, isolated } = await run(servers[0]);
  assert.match(text, /^threads build, ([2-9]|\d\d+) thread\(s\): \d+×512 in \d+ ms$/, text);
  assert.ok(isolated);
});

test('(d) Vite-built example on a header-less server: coi-serviceworker isolates it, threaded', async () => {
  const { text, isolated } = await run(servers[1], { reloads: true });
  assert.ok(isolated, 'coi-serviceworker did not make the page cross-origin isolated');
  assert.match(text, /^threads build, ([2-9]|\d\d+) thread\(s\): \d+×512 in \d+ ms$/, text);
});

test('(d) Vite-built example from a sub-path', async () => {
  const { text } = await run(servers[2]);
  assert.match(text, /^threads build, \d+ thread\(s\): \d+×512 in \d+ ms$/, text);
});
