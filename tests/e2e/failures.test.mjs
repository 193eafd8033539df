// Bad inputs and crashes through the browser package (web/lib): the JS limits are the
// core's, refusals carry the core's messages, and a panic or out-of-memory in the
// wasm — on the worker's thread or on a pool thread — rejects the pending call with
// its message while the next call works on a fresh worker. The messages asserted here
// are quoted in docs/reliability.md. Run by scripts/test-browser.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { modelPath, requireBuilds, startServer, launchBrowser, harness } from './helpers.mjs';

const MODEL = modelPath();
const mounts = [{ prefix: '/model/', dir: path.dirname(MODEL) }];
const MODEL_URL = `/model/${path.basename(MODEL)}`;
const MODEL_BYTES = fs.readFileSync(MODEL);

let coi, plain, browser;
before(async () => {
  requireBuilds();
  [coi, plain] = await Promise.all([startServer({ coi: true, mounts }), startServer({ coi: false, mounts })]);
  browser = await launchBrowser();
});
after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await Promise.all([coi, plain].map((s) => s?.close()));
});

test('the JS limits are the wasm core limits', async () => {
  const page = await harness(browser, coi);
  const r = await page.evaluate(async (u) => {
    const seg = await ff.createSegmenter({ modelUrl: u });
    const out = { js: { ...ff.LIMITS }, wasm: seg.info.limits, format: ff.MODEL_FORMAT };
    seg.dispose();
    return out;
  }, MODEL_URL);
  const { maxMemoryBytes, modelFormat, ...wasm } = r.wasm;
  assert.deepEqual(r.js, wasm);
  // The JS check of a model's header accepts exactly the versions the wasm reads.
  assert.equal(modelFormat, `${r.format.magic} ${r.format.oldest}–${r.format.version}`);
  assert.equal(maxMemoryBytes, 2 ** 30, 'threaded build: 1 GiB');
  assert.equal(r.js.maxPixels, 64e6);
  await page.close();
});

test('bad images and models are refused with the core messages, in JS and in the worker', async () => {
  const page = await harness(browser, plain);
  // Ten cut points in the model, from a seeded generator (the same on every run), after
  // its 10-byte header (inside the header the JS check answers: see header and empty).
  let state = 0x5eed;
  const cuts = Array.from({ length: 10 }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return 10 + (state % (MODEL_BYTES.length - 10));
  });
  const r = await page.evaluate(
    async ({ u, cuts }) => {
      const msg = (p) => p.then(() => 'resolved', (e) => e.message);
      const bytes = new Uint8Array(await (await fetch(u)).arrayBuffer());
      const seg = await ff.createSegmenter({ modelBytes: bytes });
      const out = {};
      out.zeroSize = await msg(seg.segment({ data: new Uint8ClampedArray(0), width: 0, height: 0 }));
      out.wrongLength = await msg(seg.segment({ data: new Uint8ClampedArray(4 * 64 * 48 - 4), width: 64, height: 48 }));
      out.onePixel = await msg(seg.segment(new ImageData(1, 1)));
      out.huge = await msg(seg.segment({ data: new Uint8ClampedArray(4), width: 30000, height: 30000 }));
      out.fractional = await msg(seg.segment({ data: new Uint8ClampedArray(16), width: 1.5, height: 2 }));
      // The package still works after all that.
      out.after = (await seg.segment(syntheticImage(32, 24, 5))).labels.length;
      const newer = bytes.slice();
      newer[8] = ff.MODEL_FORMAT.version + 1;
      out.newer = await msg(ff.createSegmenter({ modelBytes: newer }));
      out.cuts = [];
      for (const c of cuts) out.cuts.push(await msg(ff.createSegmenter({ modelBytes: bytes.slice(0, c) })));
      out.png = await msg(ff.createSegmenter({ modelBytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13]) }));
      out.header = await msg(ff.createSegmenter({ modelBytes: bytes.slice(0, 6) }));
      out.empty = await msg(ff.createSegmenter({ modelBytes: new Uint8Array(0) }));
      out.version = ff.MODEL_FORMAT.version;
      seg.dispose();
      return out;
    },
    { u: MODEL_URL, cuts },
  );
  assert.equal(r.zeroSize, 'invalid image: the image is 0×0; it must be at least 16×16 pixels');
  assert.equal(r.wrongLength, 'invalid image: data holds 12284 bytes but 64×48 RGBA needs 12288');
  assert.equal(r.onePixel, 'invalid image: the image is 1×1; it must be at least 16×16 pixels');
  assert.equal(r.huge, 'invalid image: data holds 4 bytes but 30000×30000 RGBA needs 3600000000');
  assert.equal(r.fractional, 'invalid image: width must be a non-negative integer');
  assert.equal(r.after, 32 * 24);
  assert.equal(
    r.newer,
    `model format version ${r.version + 1} is newer than this build understands (up to ${r.version}); update faceforest`,
  );
  assert.equal(r.png, 'not a faceforest model (the file does not start with the FACEFRST magic bytes)');
  assert.equal(r.header, 'model file is truncated or corrupt: the file ends inside its 10-byte header');
  assert.equal(r.empty, 'model file is truncated or corrupt: the file is empty');
  assert.equal(r.cuts.length, 10);
  for (const [i, m] of r.cuts.entries()) {
    assert.equal(m, 'model file is truncated or corrupt: the file ends before the model does (cut short, e.g. an incomplete download)', `cut at ${cuts[i]}`);
    console.log(`model cut at ${cuts[i]} of ${MODEL_BYTES.length}: ${m}`);
  }
  await page.close();
});

test('image files are inspected before decoding: format, declared size, truncation', async () => {
  const page = await harness(browser, plain);
  const r = await page.evaluate(async () => {
    const msg = (f) => { try { return JSON.stringify(f()); } catch (e) { return e.message; } };
    const c = new OffscreenCanvas(120, 160);
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#c96';
    ctx.fillRect(0, 0, 120, 160);
    const png = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
    const jpeg = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg' })).arrayBuffer());
    const webp = new Uint8Array(await (await c.convertToBlob({ type: 'image/webp' })).arrayBuffer());
    // A PNG header declaring 30000×30000 (CRCs do not matter to the header check).
    const huge = png.slice(0, 33);
    new DataView(huge.buffer).setUint32(16, 30000);
    new DataView(huge.buffer).setUint32(20, 30000);
    const enc = new TextEncoder();
    return {
      png: msg(() => ff.inspectImageFile(png)),
      jpeg: msg(() => ff.inspectImageFile(jpeg)),
      webp: msg(() => ff.inspectImageFile(webp)),
      pngCut: msg(() => ff.inspectImageFile(png.slice(0, png.length >> 1))),
      jpegCut: msg(() => ff.inspectImageFile(jpeg.slice(0, jpeg.length - 10))),
      jpegHeaderCut: msg(() => ff.inspectImageFile(jpeg.slice(0, 100))),
      empty: msg(() => ff.inspectImageFile(new Uint8Array(0))),
      pdf: msg(() => ff.inspectImageFile(enc.encode('%PDF-1.7\n1 0 obj'))),
      heic: msg(() => ff.inspectImageFile(new Uint8Array([0, 0, 0, 24, ...enc.encode('ftypheic'), 0, 0, 0, 0]))),
      text: msg(() => ff.inspectImageFile(enc.encode('Just some text'))),
      huge: msg(() => ff.inspectImageFile(huge)),
    };
  });
  assert.equal(r.png, '{"format":"PNG","width":120,"height":160}');
  assert.equal(r.jpeg, '{"format":"JPEG","width":120,"height":160}');
  assert.equal(r.webp, '{"format":"WebP","width":120,"height":160}');
  assert.equal(r.pngCut, 'invalid image: the PNG file is truncated (no IEND chunk at its end)');
  assert.equal(r.jpegCut, 'invalid image: the JPEG file is truncated (no end-of-image marker after the image data)');
  assert.equal(r.jpegHeaderCut, 'invalid image: the JPEG file is truncated (it ends before the image data does)');
  assert.equal(r.empty, 'invalid image: the file is empty (0 bytes); accepted formats: PNG, JPEG or WebP');
  assert.equal(r.pdf, 'invalid image: the file is a PDF document, not a PNG, JPEG or WebP image; accepted formats: PNG, JPEG or WebP');
  assert.equal(r.heic, 'invalid image: the file is a HEIC/HEIF photo, not a PNG, JPEG or WebP image; accepted formats: PNG, JPEG or WebP');
  assert.equal(r.text, 'invalid image: the file is not a PNG, JPEG or WebP image (it starts with bytes 4a 75 73 74); accepted formats: PNG, JPEG or WebP');
  assert.equal(r.huge, 'invalid image: the image is 30000×30000 (900 megapixels); at most 64 megapixels and 32768 pixels a side are accepted');
  await page.close();
});

for (const [name, which] of [['threaded', 'coi'], ['single-threaded', 'plain']]) {
  test(`${name}: a panic on a pool thread and an out-of-memory reject with their message; the next call works`, async () => {
    const page = await harness(browser, which === 'coi' ? coi : plain);
    const r = await page.evaluate(async (u) => {
      const msg = (p) => p.then(() => 'resolved', (e) => `${e.panic ? 'panic: ' : ''}${e.message}`);
      const seg = await ff.createSegmenter({ modelUrl: u });
      const out = { build: seg.info.build };
      // A queued call behind the crashing one is rejected as not run.
      const crash = msg(seg._panic('deliberate pool panic', { inPool: true }));
      const queued = msg(seg.segment(syntheticImage(20, 20, 1)));
      out.pool = await crash;
      out.queued = await queued;
      out.afterPool = (await seg.segment(syntheticImage(40, 30, 2))).labels.length;
      // Out of memory for real: 7000×7000 with probabilities needs 1.37 GB for them alone.
      if (seg.info.build === 'threads') {
        out.oom = await msg(seg.segmentProbabilities(syntheticImage(7000, 7000, 3), { transfer: true }));
        out.afterOom = (await seg.segment(syntheticImage(40, 30, 4))).labels.length;
      }
      out.diag = await seg.diagnostics();
      seg.dispose();
      return out;
    }, MODEL_URL);
    assert.equal(r.build, which === 'coi' ? 'threads' : 'single');
    assert.match(r.pool, /^panic: faceforest panicked at crates\/faceforest-wasm\/src\/lib.rs:\d+: deliberate pool panic$/, r.pool);
    assert.match(r.queued, /^panic: faceforest restarted after a crash \(faceforest panicked at .*deliberate pool panic\); this segment request was not run — try again$/, r.queued);
    assert.equal(r.afterPool, 1200);
    if (r.build === 'threads') {
      assert.match(r.oom, /^panic: faceforest panicked at .*: out of memory: an allocation of \d+ MB failed \(wasm memory is limited to 1024 MB in the threaded build\); try a smaller image$/, r.oom);
      assert.equal(r.afterOom, 1200);
      assert.equal(r.diag.restarts, 2);
    } else {
      assert.equal(r.diag.restarts, 1);
    }
    assert.ok(r.diag.wasmMemoryBytes > 0 && r.diag.wasmMemoryBytes < 2 ** 30, JSON.stringify(r.diag));
    console.log(`${name}: pool panic → ${r.pool}${r.oom ? `; OOM → ${r.oom}` : ''}`);
    await page.close();
  });
}
