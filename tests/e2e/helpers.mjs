// Shared set-up for the browser tests: paths, the static server, headless Chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FASSEG_DIR = path.resolve(ROOT, process.env.FASSEG_DIR ?? '../shared/fasseg');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Headless Chromium as root in a container.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];

/** FACEFOREST_MODEL, else web/models/faceforest.model, else target/test-model.bin. */
export function modelPath() {
  const candidates = [process.env.FACEFOREST_MODEL, path.join(ROOT, 'web/models/faceforest.model'), path.join(ROOT, 'target/test-model.bin')];
  const found = candidates.filter(Boolean).map((p) => path.resolve(ROOT, p)).find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error('no model: set FACEFOREST_MODEL, add web/models/faceforest.model, or run scripts/test-browser.sh (trains target/test-model.bin)');
  }
  return found;
}

export function requireBuilds() {
  for (const b of ['pkg-threads', 'pkg-single']) {
    if (!fs.existsSync(path.join(ROOT, 'web/lib', b, 'faceforest_wasm_bg.wasm'))) {
      throw new Error(`web/lib/${b} is missing: run scripts/build-wasm.sh`);
    }
  }
}

/** The first `n` FASSEG frontal02 test photos, in numeric order. */
export function testPhotos(n = 5) {
  const dir = path.join(FASSEG_DIR, 'frontal02/test/rgb');
  if (!fs.existsSync(dir)) throw new Error(`FASSEG photos not found in ${dir} (set FASSEG_DIR)`);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b))
    .slice(0, n)
    .map((f) => path.join(dir, f));
}

/**
 * Native labels for the parity test (crates/faceforest-wasm/examples/native_labels.rs),
 * written to FACEFOREST_NATIVE_DIR or target/e2e/native. Always re-run (about a
 * second once built) so they come from the same core as the wasm under test.
 */
export function nativeLabels(photos, model) {
  const dir = path.resolve(ROOT, process.env.FACEFOREST_NATIVE_DIR ?? 'target/e2e/native');
  fs.rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(
    'cargo',
    ['run', '--quiet', '--release', '-p', 'faceforest-wasm', '--example', 'native_labels', '--', dir, model, ...photos],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`native_labels failed (exit ${r.status})`);
  return { dir, entries: JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) };
}

/** Starts the repository's static server (scripts/serve.mjs) on a free port. */
export function startServer({ coi = false, cors = false, root = ROOT, base = '/', mounts = [], hold = null, throttle = null } = {}) {
  return serve({ root, coi, cors, base, mounts, hold, throttle, port: 0 });
}

/** Headless Chromium with a fresh profile (and extra flags); `close()` also removes the profile. */
export async function launchBrowser(extraArgs = []) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceforest-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  const logs = [];
  context.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  context.on('weberror', (e) => logs.push(`[pageerror] ${e.error().message}`));
  return {
    context,
    logs,
    async newPage(url) {
      const page = await context.newPage();
      page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
      if (url) await page.goto(url);
      return page;
    },
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens tests/e2e/harness.html, which puts the package on `window.ff`. */
export async function harness(browser, server) {
  const page = await browser.newPage(`${server.url}tests/e2e/harness.html`);
  await page.waitForFunction(() => window.ff !== undefined, null, { timeout: 30_000 });
  return page;
}
