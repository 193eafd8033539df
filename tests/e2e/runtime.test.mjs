// The browser runtime end to end: build selection, identical results from both
// builds, errors, queueing, copies, panics. Run by scripts/test-browser.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FASSEG_DIR, modelPath, requireBuilds, startServer, launchBrowser, harness } from './helpers.mjs';

const MODEL = modelPath();
const mounts = [
  { prefix: '/model/', dir: path.dirname(MODEL) },
  { prefix: '/fasseg/', dir: FASSEG_DIR },
];
const MODEL_URL = `/model/${path.basename(MODEL)}`;
const PHOTO_URL = '/fasseg/frontal02/test/rgb/1.png';

let coi, plain, sub, browser;
before(async () => {
  requireBuilds();
  [coi, plain, sub] = await Promise.all([
    startServer({ coi: true, mounts }),
    startServer({ coi: false, mounts }),
    startServer({ coi: true, base: '/apps/faceforest/', mounts }),
  ]);
  browser = await launchBrowser();
});
after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await Promise.all([coi, plain, sub].map((s) => s?.close()));
});

async function examplePage(server, query = '') {
  const url = `${server.url}examples/plain/?model=${MODEL_URL}&image=${PHOTO_URL}${query}`;
  const page = await browser.newPage(url);
  await page.waitForSelector('#out[data-state="done"], #out[data-state="error"]', { timeout: 120_000 });
  return page;
}

test('(a) with COOP/COEP the example page runs the threaded build on several threads', async () => {
  const page = await examplePage(coi);
  const text = await page.textContent('#out');
  assert.match(text, /^threads build, (\d+) thread\(s\): \d+×512 in \d+ ms$/, text);
  assert.ok(Number(text.match(/(\d+) thread/)[1]) > 1, text);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  await page.close();
});

test('(b) without the headers the example page reports the single-threaded build', async () => {
  const page = await examplePage(plain);
  const text = await page.textContent('#out');
  assert.match(text, /^single build, 1 thread\(s\): \d+×512 in \d+ ms$/, text);
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  await page.close();
});

test('the example works from a sub-path (--base)', async () => {
  const page = await examplePage(sub);
  assert.match(await page.textContent('#out'), /^threads build, \d+ thread\(s\): \d+×512/);
  await page.close();
});

async function labelsIn(server, threads) {
  const page = await harness(browser, server);
  const r = await page.evaluate(
    async ({ MODEL_URL, PHOTO_URL, threads }) => {
      const seg = await ff.createSegmenter({ modelUrl: MODEL_URL, threads });
      const img = await decodePng(PHOTO_URL);
      const photo = await seg.segment(img);
      const synth = await seg.segmentProbabilities(syntheticImage(256, 192, 7));
      const out = {
        info: seg.info,
        photo: toBase64(photo.labels),
        synth: toBase64(synth.labels),
        probs: toBase64(new Uint8Array(synth.probabilities.buffer)),
        photoWidth: img.width,
        sizes: [photo.width, photo.height, synth.width, synth.height, synth.probabilities.length],
      };
      seg.dispose();
      return out;
    },
    { MODEL_URL, PHOTO_URL, threads },
  );
  await page.close();
  return r;
}

test('(c) threaded and single-threaded builds give identical labels and probabilities', async () => {
  const [t, s] = await Promise.all([labelsIn(coi, 'multi'), labelsIn(plain, 'auto')]);
  assert.equal(t.info.build, 'threads');
  assert.ok(t.info.threads > 1);
  assert.equal(s.info.build, 'single');
  assert.equal(s.info.threads, 1);
  assert.match(s.info.fallbackReason, /cross-origin isolated/);
  assert.deepEqual(t.sizes, [t.photoWidth, 512, 256, 192, 256 * 192 * 7]);
  assert.deepEqual(s.sizes, t.sizes);
  assert.ok(t.photo === s.photo, 'photo labels differ between builds');
  assert.ok(t.synth === s.synth, 'synthetic-image labels differ between builds');
  assert.ok(t.probs === s.probs, 'probabilities differ between builds');
  // Labels are class ids of the seven photo classes.
  assert.ok(Buffer.from(t.photo, 'base64').every((l) => l < 7));
  // info.classes lists the seven photo classes, without the core's internal padding.
  assert.deepEqual(t.info.classes.map((c) => c.name), ['background', 'skin', 'hair', 'left_eye', 'right_eye', 'nose', 'mouth']);
  assert.deepEqual(t.info.classes[1], { id: 1, name: 'skin', colour: [255, 255, 0] });
  assert.ok(t.info.size >= 16 && t.info.trees >= 1 && t.info.nodes >= t.info.trees);
});

for (const [name, which] of [['threaded', 'coi'], ['single-threaded', 'plain']]) {
  test(`${name}: errors reject with the core's message, calls queue, results are copies`, async () => {
    const page = await harness(browser, which === 'coi' ? coi : plain);
    const r = await page.evaluate(async (MODEL_URL) => {
      const msg = (p) => p.then(() => 'resolved', (e) => e.message);
      const out = {};
      out.badModel = await msg(ff.createSegmenter({ modelBytes: new TextEncoder().encode('not a model at all') }));
      out.missingModel = await msg(ff.createSegmenter({ modelUrl: '/model/nope.model' }));
      out.badThreads = await msg(ff.createSegmenter({ modelUrl: MODEL_URL, threads: 'many' }));
      const bytes = new Uint8Array(await (await fetch(MODEL_URL)).arrayBuffer());
      const seg = await ff.createSegmenter({ modelBytes: bytes });
      out.bytesIntact = bytes.length > 0;
      out.info = seg.info;
      out.shortData = await msg(seg.segment({ data: new Uint8ClampedArray(10), width: 4, height: 4 }));
      out.zero = await msg(seg.segment({ data: new Uint8ClampedArray(0), width: 0, height: 5 }));
      out.notImage = await msg(seg.segment(42));
      out.noData = await msg(seg.segment({ width: 2, height: 2 }));
      // Concurrent calls queue and each resolves with its own result, in order.
      const sizes = [[64, 48], [33, 77], [200, 120], [16, 16]];
      const done = [];
      const results = await Promise.all(
        sizes.map(([w, h], i) => seg.segment(syntheticImage(w, h, i + 1)).then((r) => (done.push(i), r))),
      );
      out.order = done;
      out.dims = results.map((r) => [r.width, r.height, r.labels.length]);
      out.plainBuffers = results.every(
        (r) => r.labels.buffer.constructor === ArrayBuffer && r.labels.byteOffset === 0 && r.labels.buffer.byteLength === r.labels.length,
      );
      out.ms = results.every((r) => typeof r.ms === 'number' && r.ms >= 0);
      // The caller's image is untouched unless it asks to transfer it.
      const img = syntheticImage(40, 30, 9);
      await seg.segment(img);
      out.kept = img.data.length;
      await seg.segment(img, { transfer: true });
      out.transferred = img.data.length;
      // Colourise: opacity and hidden classes, by name or by id.
      const lab = new Uint8Array([0, 1, 2, 6]);
      const rgba = await seg.colourise(lab, { opacity: 1, hidden: ['hair'] });
      out.rgba = Array.from(rgba);
      out.rgbaType = rgba.constructor.name;
      out.rgba2 = Array.from(await seg.colourise(lab, { opacity: 0.5, hidden: [true] }));
      out.labIntact = Array.from(lab);
      // A panic reaches JS with its message; the next call gets a fresh worker.
      out.panic = await msg(seg._panic('deliberate test panic'));
      const after = await seg.segment(syntheticImage(20, 20, 3));
      out.afterPanic = after.labels.length;
      seg.dispose();
      out.disposed = await msg(seg.segment(syntheticImage(8, 8)));
      return out;
    }, MODEL_URL);
    assert.match(r.badModel, /not a faceforest model/);
    assert.match(r.missingModel, /could not fetch the model .*404/);
    assert.match(r.badThreads, /threads must be 'auto', 'single' or 'multi'/);
    assert.equal(r.info.build, which === 'coi' ? 'threads' : 'single');
    assert.match(r.shortData, /^invalid image: data holds 10 bytes but 4×4 RGBA needs 64$/);
    assert.match(r.zero, /invalid image: the image is 0×5/);
    assert.match(r.notImage, /invalid image/);
    assert.match(r.noData, /invalid image/);
    assert.deepEqual(r.order, [0, 1, 2, 3]);
    assert.deepEqual(r.dims, [[64, 48, 3072], [33, 77, 2541], [200, 120, 24000], [16, 16, 256]]);
    assert.ok(r.plainBuffers, 'labels must be plain ArrayBuffer copies');
    assert.ok(r.ms);
    assert.equal(r.kept, 40 * 30 * 4);
    assert.equal(r.transferred, 0);
    assert.equal(r.rgbaType, 'Uint8ClampedArray');
    assert.deepEqual(r.rgba, [255, 0, 0, 255, 255, 255, 0, 255, 0, 0, 0, 0, 0, 255, 0, 255]);
    assert.deepEqual(r.rgba2, [0, 0, 0, 0, 255, 255, 0, 128, 127, 0, 0, 128, 0, 255, 0, 128]);
    assert.deepEqual(r.labIntact, [0, 1, 2, 6]);
    assert.match(r.panic, /^faceforest panicked at crates\/faceforest-wasm\/src\/lib.rs:\d+: deliberate test panic$/);
    assert.equal(r.afterPanic, 400);
    assert.match(r.disposed, /disposed/);
    await page.close();
  });
}

test("threads: 'multi' rejects clearly on a page that is not cross-origin isolated", async () => {
  const page = await harness(browser, plain);
  const m = await page.evaluate(
    (u) => ff.createSegmenter({ modelUrl: u, threads: 'multi' }).then(() => 'resolved', (e) => e.message),
    MODEL_URL,
  );
  assert.match(m, /'multi' was asked for but the page is not cross-origin isolated/);
  await page.close();
});

