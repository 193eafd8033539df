// Helpers for the demo site's browser tests (tests/e2e/site.test.mjs and
// site-reliability.test.mjs) and the webcam benchmark (scripts/bench-webcam.mjs): the
// suites' shared setup (serveSite), Chromium with extra flags, opening the site across
// coi-serviceworker's reloads, page-state waits, and a fake-webcam clip.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, startServer } from './helpers.mjs';

export const SITE_DIST = path.resolve(ROOT, process.env.FACEFOREST_DIST ?? 'dist');
export const SITE_BASE = '/faceforest/';

/**
 * A site suite's setup, registered as the calling test file's before/after hooks:
 * dist/ served under /faceforest/ WITHOUT COOP/COEP headers (as on GitHub Pages),
 * `art` created for screenshots, and every browser from `launch` closed at the end
 * (its console log printed if a test failed). `site.server` is set once `before` ran.
 */
export function serveSite(art) {
  const site = { server: null };
  const browsers = [];
  before(async () => {
    if (!fs.existsSync(path.join(SITE_DIST, 'index.html'))) throw new Error(`${SITE_DIST} has no site: run scripts/build-site.sh`);
    fs.mkdirSync(art, { recursive: true });
    site.server = await startServer({ root: SITE_DIST, base: SITE_BASE });
  });
  after(async () => {
    for (const b of browsers) {
      if (process.exitCode) console.log(b.logs.join('\n'));
      await b.close();
    }
    await site.server?.close();
  });
  site.launch = async (extraArgs, contextOptions) => {
    const b = await launchChromium(extraArgs, contextOptions);
    browsers.push(b);
    return b;
  };
  /** Closes a browser from `launch` before the suite ends. */
  site.close = async (b) => {
    await b.close();
    browsers.splice(browsers.indexOf(b), 1);
  };
  return site;
}

/** Marks the current state as seen, so the next waitState waits for a new one. */
export const mark = (page) => page.evaluate(() => { document.body.dataset.state = 'test-mark'; });

/** Waits until the page's `data-state` is one of `states`, and returns it. */
export async function waitState(page, states, timeout = 90_000) {
  await page.waitForFunction((s) => s.includes(document.body?.dataset.state), states, { timeout });
  return page.evaluate(() => document.body?.dataset.state);
}

/** A phone: 390×844 CSS pixels at 3×, mobile viewport, touch (primary pointer coarse). */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };

/** Headless Chromium with a fresh profile, extra flags and context options (e.g. PHONE). */
export async function launchChromium(extraArgs = [], contextOptions = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceforest-site-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1100, height: 900 },
    acceptDownloads: true,
    ...contextOptions,
  });
  const logs = [];
  context.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  context.on('weberror', (e) => logs.push(`[pageerror] ${e.error().message}`));
  const b = {
    context,
    logs,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return b;
}

/**
 * Opens the demo and waits until it is ready. The first load registers the service
 * worker and reloads (once or twice), so evaluation is retried across navigations.
 */
export async function openSite(b, url, query = '') {
  const page = b.context.pages()[0] ?? (await b.context.newPage());
  await page.goto(`${url}${query}`);
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await page.waitForFunction(() => ['ready', 'done', 'error', 'noface', 'live'].includes(document.body?.dataset.state), null, { timeout: 5_000 });
      // Still there after a beat: no reload pending.
      await page.waitForTimeout(300);
      const state = await page.evaluate(() => document.body?.dataset.state);
      if (state === 'error') throw new Error(`the demo reported: ${await page.textContent('#alert')}`);
      return page;
    } catch (e) {
      if (/the demo reported/.test(e.message) || Date.now() > deadline) throw e;
    }
  }
}

/** A Y4M clip (4:2:0, BT.601 limited range) of the sample portrait in a 640×480 frame, slowly moving. */
export async function makeClip(page, file, frames = 30) {
  const b64 = await page.evaluate(async (n) => {
    const img = await createImageBitmap(await (await fetch('assets/astronaut.png')).blob());
    const W = 640;
    const H = 480;
    const c = new OffscreenCanvas(W, H);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    const parts = [];
    const enc = new TextEncoder();
    parts.push(enc.encode(`YUV4MPEG2 W${W} H${H} F30:1 Ip A1:1 C420jpeg\n`));
    for (let f = 0; f < n; f++) {
      ctx.fillStyle = '#556';
      ctx.fillRect(0, 0, W, H);
      const dx = Math.round(6 * Math.sin((2 * Math.PI * f) / n));
      ctx.drawImage(img, 80 + dx, -16, 512, 512);
      const d = ctx.getImageData(0, 0, W, H).data;
      const y = new Uint8Array(W * H);
      const u = new Uint8Array((W / 2) * (H / 2));
      const v = new Uint8Array((W / 2) * (H / 2));
      for (let i = 0; i < W * H; i++) {
        const r = d[4 * i], g = d[4 * i + 1], b = d[4 * i + 2];
        y[i] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
      }
      for (let yy = 0; yy < H / 2; yy++) {
        for (let xx = 0; xx < W / 2; xx++) {
          let r = 0, g = 0, b = 0;
          for (const [ox, oy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
            const i = 4 * ((2 * yy + oy) * W + 2 * xx + ox);
            r += d[i] / 4; g += d[i + 1] / 4; b += d[i + 2] / 4;
          }
          u[yy * (W / 2) + xx] = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
          v[yy * (W / 2) + xx] = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
        }
      }
      parts.push(enc.encode('FRAME\n'), y, u, v);
    }
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, frames);
  fs.writeFileSync(file, Buffer.from(b64, 'base64'));
}

