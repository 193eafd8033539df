// The demo site's reliability and privacy (docs/reliability.md), served like
// site.test.mjs (dist/ under /faceforest/, no COOP/COEP headers):
//   - privacy: every request during an upload and 30 s of fake-webcam segmentation
//     stays on the page's origin; the Content-Security-Policy is enforced and the page
//     never violates it
//   - long session: 1,000 webcam frames, JS heaps (page and faceforest worker) and wasm
//     memory within 10% of their value after the first 100 frames
//   - camera: ended mid-stream, stopping releases it, absent, busy
//   - a crash in the wasm keeps the current result on screen; the next action works
//   - bad files: truncated PNG and JPEG, empty, a PDF named .png, 1×1, a header
//     declaring 30000×30000, a 50-megapixel photo
//   - offline: after the first visit, the page reloads and segments with the network cut
// Run by scripts/test-browser.sh after scripts/build-site.sh. Numbers are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, startServer } from './helpers.mjs';
import { SITE_DIST, SITE_BASE, serveSite, mark, waitState, openSite, makeClip } from './site-helpers.mjs';

const ART = path.join(ROOT, 'test-artifacts/site-reliability');
const SAMPLE = path.join(SITE_DIST, 'assets/astronaut.png');
const CLIP = path.join(ART, 'astronaut.y4m');
const FAKE_CAM = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${CLIP}`];

const site = serveSite(ART);
const launch = site.launch;
const frames = (page) => page.evaluate(() => window.faceforestDemo.camStats?.frames ?? 0);
// Polled once a second: the waiting itself should not add to the page's heap.
const waitFrames = (page, n, timeout) => page.waitForFunction((n) => (window.faceforestDemo.camStats?.frames ?? 0) >= n, n, { timeout, polling: 1000 });
const alertText = (page) => page.textContent('#alert');

/** Records CSP violations from the start of every document. */
const CSP_PROBE = () => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
};

// --- memory ------------------------------------------------------------------------
/**
 * JS heap of the page and of the faceforest worker (CDP Runtime.getHeapUsage after a
 * forced GC; the worker through a CDP session attached to it) and wasm memory (the
 * package's diagnostics()).
 */
async function memoryProbe(page) {
  const cdp = await page.context().newCDPSession(page);
  const workers = new Map(); // sessionId -> url
  let nextId = 1;
  const waiting = new Map();
  cdp.on('Target.attachedToTarget', ({ sessionId, targetInfo }) => {
    if (targetInfo.type === 'worker') workers.set(sessionId, targetInfo.url);
  });
  cdp.on('Target.detachedFromTarget', ({ sessionId }) => workers.delete(sessionId));
  cdp.on('Target.receivedMessageFromTarget', ({ message }) => {
    const m = JSON.parse(message);
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const inWorker = (sessionId, method) => {
    const id = nextId++;
    const reply = new Promise((resolve) => waiting.set(id, resolve));
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
    return reply;
  };
  return {
    async measure() {
      for (let i = 0; i < 2; i++) await cdp.send('HeapProfiler.collectGarbage');
      const page_ = (await cdp.send('Runtime.getHeapUsage')).usedSize;
      let worker = null;
      for (const [sid, url] of workers) {
        if (!url.endsWith('/lib/worker.js')) continue;
        for (let i = 0; i < 2; i++) await inWorker(sid, 'HeapProfiler.collectGarbage');
        const r = await inWorker(sid, 'Runtime.getHeapUsage');
        if (r.result) worker = r.result.usedSize;
      }
      const d = await page.evaluate(() => window.faceforestDemo.seg.diagnostics());
      return { pageHeap: page_, workerHeap: worker, wasm: d.wasmMemoryBytes, restarts: d.restarts };
    },
  };
}

// --- privacy, long session, camera (one fake-webcam browser) ---------------------------
let cam; // { b, page, requests, probe, baseline, t0 }

test('privacy: during an upload and 30 s of webcam segmentation no request leaves the origin; the CSP holds', async () => {
  // The clip is made in a throw-away browser (it draws the sample portrait).
  const maker = await launch();
  await makeClip(await openSite(maker, site.server.url), CLIP, 30);
  await site.close(maker);

  const b = await launch(FAKE_CAM);
  const requests = [];
  b.context.on('request', (r) => requests.push(r.url()));
  await b.context.addInitScript(CSP_PROBE);
  const page = await openSite(b, site.server.url);
  const probe = await memoryProbe(page);
  await mark(page);
  await page.setInputFiles('#file', SAMPLE);
  assert.equal(await waitState(page, ['done', 'error', 'noface']), 'done', await alertText(page));
  await mark(page);
  await page.click('#cam-start');
  assert.equal(await waitState(page, ['live', 'error'], 30_000), 'live', await alertText(page));
  const t0 = Date.now();
  // Baseline for the long-session test: after the first 100 frames.
  await waitFrames(page, 100, 120_000);
  const baseline = await probe.measure();
  const left = 30_000 - (Date.now() - t0);
  if (left > 0) await page.waitForTimeout(left);
  const seconds = (Date.now() - t0) / 1000;
  const n = await frames(page);
  cam = { b, page, requests, probe, baseline, t0 };

  const origin = new URL(site.server.url).origin;
  const foreign = requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
  assert.deepEqual(foreign, [], 'requests to other origins');
  // The recorder saw the page, the worker's fetches (model, detector), the pool's
  // modules, and the service worker's own (CREDITS.md is fetched only by its precache).
  for (const p of ['faceforest/', 'lib/worker.js', 'models/faceforest.model', 'models/face_detection_short_range.tflite', 'faceforest_wasm_bg.wasm', 'workerHelpers.no-bundler.js', 'CREDITS.md']) {
    assert.ok(requests.some((u) => u.includes(p)), `${p} was requested: ${requests.join(' ')}`);
  }
  assert.ok(seconds >= 30 && n >= 30, `${n} frames in ${seconds} s`);
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation by the page itself');
  // The policy is enforced: a request to another origin is blocked (and reported).
  const blocked = await page.evaluate(() => fetch('http://127.0.0.2:9/beacon').then(() => 'sent', (e) => e.name));
  assert.equal(blocked, 'TypeError');
  assert.match((await page.evaluate(() => window.__csp)).join(), /connect-src http:\/\/127\.0\.0\.2:9\/beacon/);
  // And the recorder would have seen one from a page without the policy.
  const other = await b.context.newPage();
  await other.evaluate(() => fetch('http://127.0.0.2:9/x').catch(() => {}));
  await other.close();
  assert.ok(requests.some((u) => u.startsWith('http://127.0.0.2:9/x')), 'the recorder sees requests to other origins');
  console.log(`privacy: ${requests.length} requests, all to ${origin}; ${n} webcam frames in ${seconds.toFixed(1)} s`);
});

test('long session: 1,000 webcam frames, JS heaps and wasm memory within 10% of their value after 100 frames', async () => {
  assert.ok(cam, 'the webcam session of the previous test');
  const { page, probe, baseline, t0 } = cam;
  await waitFrames(page, 1000, 900_000);
  const end = await probe.measure();
  const n = await frames(page);
  const seconds = (Date.now() - t0) / 1000;
  const stats = await page.evaluate(() => window.faceforestDemo.camStats);
  const fmt = (x) => (x == null ? 'n/a' : `${(x / 1e6).toFixed(2)} MB`);
  const row = (k) => `${k} ${fmt(baseline[k])} → ${fmt(end[k])} (${(((end[k] - baseline[k]) / baseline[k]) * 100).toFixed(1)}%)`;
  console.log(`long session: ${n} frames in ${seconds.toFixed(0)} s (${stats.fps.toFixed(1)} fps); ${['pageHeap', 'workerHeap', 'wasm'].map(row).join('; ')}`);
  assert.equal(end.restarts, 0, 'no crash during the session');
  assert.ok(baseline.workerHeap > 0, 'the worker heap was measured');
  for (const k of ['pageHeap', 'workerHeap', 'wasm']) {
    assert.ok(Math.abs(end[k] - baseline[k]) <= 0.1 * baseline[k], row(k));
  }
});

test('camera: a crash keeps the last frame and the session goes on; ended mid-stream gets its own message; stop releases it', async () => {
  const { page } = cam;
  // A deliberate wasm panic on the next frame (the package's test hook, through the
  // same call the loop makes).
  await page.evaluate(() => {
    const seg = window.faceforestDemo.seg;
    const real = seg.segmentVideoFrame;
    seg.segmentVideoFrame = () => {
      seg.segmentVideoFrame = real;
      return seg._panic('deliberate webcam crash');
    };
  });
  await page.waitForFunction(() => !document.getElementById('alert').hidden, null, { timeout: 30_000 });
  assert.match(await alertText(page), /^Live segmentation failed: faceforest panicked at .*: deliberate webcam crash\. The segmenter was restarted; the last result stays on screen — try again\.$/);
  const before = await frames(page);
  await waitFrames(page, before + 10, 60_000);
  assert.equal(await page.evaluate(() => window.faceforestDemo.cam?.running), true, 'still live after the crash');
  assert.equal((await page.evaluate(() => window.faceforestDemo.seg.diagnostics())).restarts, 1);

  // Unplugged: the track ends (stop() alone fires no event, so the test fires it as the browser would).
  const ended = await page.evaluate(() => {
    const [t] = window.faceforestDemo.cam.stream.getVideoTracks();
    window.__tracks = window.faceforestDemo.cam.stream.getTracks();
    t.stop();
    t.dispatchEvent(new Event('ended'));
    return t.readyState;
  });
  assert.equal(ended, 'ended');
  await page.waitForFunction(() => /camera stopped/.test(document.getElementById('alert').textContent), null, { timeout: 10_000 });
  assert.equal(await alertText(page), 'The camera stopped (it was unplugged or switched off).');
  const after = await page.evaluate(() => ({
    result: !!window.faceforestDemo.result,
    video: document.getElementById('video').srcObject,
    start: !document.getElementById('cam-start').hidden,
  }));
  assert.deepEqual(after, { result: true, video: null, start: true }, 'last frame kept, camera released, Start offered');

  // Start again, then Stop: every track is released.
  await mark(page);
  await page.click('#cam-start');
  assert.equal(await waitState(page, ['live', 'error'], 30_000), 'live');
  await page.evaluate(() => { window.__tracks = window.faceforestDemo.cam.stream.getTracks(); });
  await page.click('#cam-stop');
  assert.deepEqual(await page.evaluate(() => window.__tracks.map((t) => t.readyState)), ['ended']);
  await page.screenshot({ path: path.join(ART, 'camera-ended.png'), fullPage: true });
});

test('camera absent and camera busy each get their own message', async () => {
  // No fake device: Chromium finds no camera at all.
  const none = await launch(['--use-fake-ui-for-media-stream']);
  let page = await openSite(none, site.server.url);
  await mark(page);
  await page.click('#cam-start');
  await waitState(page, ['error'], 30_000);
  assert.equal(await alertText(page), 'No camera was found. Plug one in, or use a photo instead.');
  // Busy: Chromium's fake devices cannot be held by another app, so the browser's
  // NotReadableError is simulated.
  const busy = await launch(FAKE_CAM);
  await busy.context.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Could not start video source', 'NotReadableError'));
  });
  page = await openSite(busy, site.server.url);
  await mark(page);
  await page.click('#cam-start');
  await waitState(page, ['error'], 30_000);
  assert.equal(await alertText(page), 'The camera is in use by another application (or failed to start). Close the other app and try again.');
});

// --- photos --------------------------------------------------------------------------
let photoPage;

test('a crash while re-segmenting keeps the result on screen; the next action works', async () => {
  photoPage = cam.page;
  const page = photoPage;
  await mark(page);
  await page.setInputFiles('#file', SAMPLE);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  const before = await page.evaluate(() => ({ crop: window.faceforestDemo.result.crop, sum: window.faceforestDemo.result.labels.reduce((a, b) => a + b, 0) }));
  await page.evaluate(() => {
    const seg = window.faceforestDemo.seg;
    const real = seg.segmentFace;
    seg.segmentFace = () => {
      seg.segmentFace = real;
      return seg._panic('deliberate demo crash');
    };
  });
  await page.focus('.cropbox');
  await mark(page);
  await page.keyboard.press('ArrowRight');
  assert.equal(await waitState(page, ['error', 'done']), 'error');
  assert.match(await alertText(page), /^Segmenting failed: faceforest panicked at .*: deliberate demo crash\. The segmenter was restarted; the last result stays on screen — try again\.$/);
  const kept = await page.evaluate(() => ({
    crop: window.faceforestDemo.result.crop,
    sum: window.faceforestDemo.result.labels.reduce((a, b) => a + b, 0),
    overlay: (() => {
      const c = document.getElementById('overlay');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
      return n;
    })(),
  }));
  assert.deepEqual({ crop: kept.crop, sum: kept.sum }, before, 'the result is unchanged');
  assert.ok(kept.overlay > 1000, `the labels are still drawn (${kept.overlay} px)`);
  await page.screenshot({ path: path.join(ART, 'crash-kept-result.png'), fullPage: true });
  await page.focus('.cropbox');
  await mark(page);
  await page.keyboard.press('ArrowRight');
  assert.equal(await waitState(page, ['done', 'error']), 'done', await alertText(page));
  const moved = await page.evaluate(() => window.faceforestDemo.result.crop);
  assert.ok(moved.x > before.crop.x, 'segmented again after the restart');
});

// PNG pieces for crafted files.
const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return (buf) => {
    let c = 0xffffffff;
    for (const v of buf) c = t[(c ^ v) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
})();
function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(CRC(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** A valid PNG (CRCs, IEND) whose header declares w×h and whose data is one empty row. */
function pngDeclaring(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(1))), pngChunk('IEND', Buffer.alloc(0))]);
}

test('bad files in the demo: each gets its own message and the page stays usable; a 50-megapixel photo is segmented', async () => {
  const page = photoPage;
  const made = await page.evaluate(async () => {
    const b64 = async (blob) => {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };
    const img = await createImageBitmap(await (await fetch('assets/astronaut.png')).blob());
    const c = new OffscreenCanvas(512, 512);
    c.getContext('2d').drawImage(img, 0, 0);
    const one = new OffscreenCanvas(1, 1);
    one.getContext('2d').fillRect(0, 0, 1, 1);
    // 8660×5773 = 50.0 megapixels: the portrait drawn large over a gradient.
    const big = new OffscreenCanvas(8660, 5773);
    const ctx = big.getContext('2d');
    const g = ctx.createLinearGradient(0, 0, 8660, 5773);
    g.addColorStop(0, '#6a7b8c');
    g.addColorStop(1, '#c9c2b5');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 8660, 5773);
    ctx.drawImage(img, 3000, 800, 4200, 4200);
    return {
      jpeg: await b64(await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 })),
      one: await b64(await one.convertToBlob({ type: 'image/png' })),
      big: await b64(await big.convertToBlob({ type: 'image/jpeg', quality: 0.85 })),
    };
  });
  const png = fs.readFileSync(SAMPLE);
  const jpeg = Buffer.from(made.jpeg, 'base64');
  const cases = [
    ['truncated.png', 'image/png', png.subarray(0, png.length >> 1), '“truncated.png” cannot be used: the PNG file is truncated (no IEND chunk at its end).'],
    ['truncated.jpg', 'image/jpeg', jpeg.subarray(0, jpeg.length >> 1), '“truncated.jpg” cannot be used: the JPEG file is truncated (no end-of-image marker after the image data).'],
    ['empty.jpg', 'image/jpeg', Buffer.alloc(0), '“empty.jpg” cannot be used: the file is empty (0 bytes); accepted formats: PNG, JPEG or WebP.'],
    ['report.png', 'image/png', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), '“report.png” cannot be used: the file is a PDF document, not a PNG, JPEG or WebP image; accepted formats: PNG, JPEG or WebP.'],
    ['dot.png', 'image/png', Buffer.from(made.one, 'base64'), '“dot.png” cannot be used: the image is 1×1; it must be at least 16×16 pixels.'],
    ['huge.png', 'image/png', pngDeclaring(30000, 30000), '“huge.png” cannot be used: the image is 30000×30000 (900 megapixels); at most 64 megapixels and 32768 pixels a side are accepted.'],
  ];
  for (const [name, mimeType, buffer, expected] of cases) {
    await mark(page);
    await page.setInputFiles('#file', { name, mimeType, buffer });
    await waitState(page, ['error'], 20_000);
    assert.equal(await alertText(page), expected, name);
    console.log(`demo: ${name} (${buffer.length} bytes) → ${expected}`);
  }
  // Still usable, and a real 50-megapixel photo goes through (worked on at 2048 px).
  const big = Buffer.from(made.big, 'base64');
  await mark(page);
  await page.setInputFiles('#file', { name: 'fifty-megapixels.jpg', mimeType: 'image/jpeg', buffer: big });
  assert.equal(await waitState(page, ['done', 'error', 'noface'], 120_000), 'done', await alertText(page));
  const caption = await page.textContent('#photo-caption');
  assert.equal(caption, 'fifty-megapixels.jpg — 8660×5773, segmented at 2048×1365');
  const skin = await page.evaluate(() => window.faceforestDemo.result.labels.filter((l) => l === 1).length);
  assert.ok(skin > 10_000, `skin pixels: ${skin}`);
  console.log(`demo: fifty-megapixels.jpg (${(big.length / 1e6).toFixed(1)} MB, 8660×5773) → ${caption}, face found and segmented`);
});

// --- offline -------------------------------------------------------------------------
test('offline: after the first visit the page reloads with the network cut and segments the sample', async () => {
  const own = await startServer({ root: SITE_DIST, base: SITE_BASE });
  const b = await launch();
  const page = await openSite(b, own.url);
  // The service worker has cached the whole site.
  await page.waitForFunction(
    async () => {
      const keys = (await caches.keys()).filter((k) => k.startsWith('faceforest-'));
      return keys.length === 1 && (await (await caches.open(keys[0])).keys()).length >= 20;
    },
    null,
    { timeout: 60_000, polling: 500 },
  );
  await own.close();
  await b.context.setOffline(true);
  const cut = await page.evaluate(() => fetch(`http://127.0.0.1:${location.port}/nowhere-${Date.now()}`, { cache: 'no-store' }).then(() => 'reached', () => 'failed'));
  assert.equal(cut, 'failed', 'the network is cut');
  await page.reload();
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body?.dataset.state), null, { timeout: 90_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await alertText(page));
  const info = await page.evaluate(() => ({ coi: crossOriginIsolated, build: window.faceforestDemo.info.build }));
  assert.deepEqual(info, { coi: true, build: 'threads' });
  await mark(page);
  await page.click('#sample');
  assert.equal(await waitState(page, ['done', 'error', 'noface']), 'done', await alertText(page));
  const r = await page.evaluate(() => ({ faces: window.faceforestDemo.faces.length, skin: window.faceforestDemo.result.labels.filter((l) => l === 1).length }));
  assert.ok(r.faces === 1 && r.skin > 5000, JSON.stringify(r));
  await page.screenshot({ path: path.join(ART, 'offline.png'), fullPage: true });
});
