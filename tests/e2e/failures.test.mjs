// Bad inputs and crashes through the browser package (web/lib): the JS limits are the
// core's, refusals carry the core's messages, and a panic or out-of-memory in the
// wasm — on the worker's thread or on a pool thread — rejects the pending call with
// its message while the next call works on a fresh worker. The messages asserted here
// are quoted in docs/reliability.md. Run by scripts/test-browser.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT, modelPath, requireBuilds, startServer, launchBrowser, harness } from './helpers.mjs';

const MODEL = modelPath();
const mounts = [{ prefix: '/model/', dir: path.dirname(MODEL) }];
const MODEL_URL = `/model/${path.basename(MODEL)}`;
const MODEL_BYTES = fs.readFileSync(MODEL);

// A server that never answers `/never…`, and answers `/stall…` with headers and the
// first 1,000 of a promised 1,000,000 bytes, then nothing (CORS open: the pages are on
// another origin, as with a CDN).
function startHangingServer() {
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/stall')) {
      res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/octet-stream', 'Content-Length': 1_000_000 });
      res.write(MODEL_BYTES.subarray(0, 1000));
    }
    // /never…: no answer at all. The connection stays open until close().
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

let coi, plain, hanging, stuckPool, noWasm, browser;
before(async () => {
  requireBuilds();
  // Cross-origin isolated, but the thread pool's start never completes: the pool
  // fetches its helper script again to spawn its threads, and that request (any after
  // the first) gets no answer, as under a dev server that never serves it.
  const hold = (p, n) => p.endsWith('/workerHelpers.no-bundler.js') && n > 1;
  [coi, plain, hanging, stuckPool, noWasm] = await Promise.all([
    startServer({ coi: true, mounts }),
    startServer({ coi: false, mounts }),
    startHangingServer(),
    startServer({ coi: true, mounts, hold }),
    // Neither wasm file ever answers.
    startServer({ coi: true, mounts, hold: (p) => p.endsWith('/faceforest_wasm_bg.wasm') }),
  ]);
  browser = await launchBrowser();
});
after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await Promise.all([coi, plain, hanging, stuckPool, noWasm].map((s) => s?.close()));
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

test('a model or detector URL that never answers, or stalls, gives up after fetchTimeoutMs with a message naming the URL', async () => {
  const page = await harness(browser, plain);
  const r = await page.evaluate(
    async ({ hang, u }) => {
      // 'still pending' after 30 s means the call hung (the limit asked for is 1 s).
      const settle = (p) =>
        Promise.race([p.then(() => 'resolved', (e) => e.message), new Promise((ok) => setTimeout(() => ok('still pending'), 30_000))]);
      const out = { limits: ff.TIME_LIMITS };
      out.never = await settle(ff.createSegmenter({ modelUrl: `${hang}never.model`, fetchTimeoutMs: 1000 }));
      out.stall = await settle(ff.createSegmenter({ modelUrl: `${hang}stall.model`, fetchTimeoutMs: 1500 }));
      // The detector is optional: segmenting works and info.detector says why it is missing.
      out.detector = await settle(
        ff.createSegmenter({ modelUrl: u, detectorUrl: `${hang}never.bin`, fetchTimeoutMs: 1000 }).then(async (seg) => {
          const labels = (await seg.segment(syntheticImage(32, 24, 1))).labels.length;
          const error = seg.info.detector.error;
          seg.dispose();
          throw new Error(`${labels} labels; detector: ${error}`);
        }),
      );
      // Progress reaches the model's and the wasm's sizes (the repository server sends Content-Length).
      const seen = [];
      const seg = await ff.createSegmenter({ modelUrl: u, onProgress: (p) => seen.push(p) });
      const of = (file) => {
        const s = seen.filter((p) => p.file === file);
        return { calls: s.length, first: s[0], last: s.at(-1), rising: s.every((p, i) => i === 0 || p.loaded >= s[i - 1].loaded) };
      };
      out.progress = of('model');
      out.wasmProgress = of('wasm');
      out.files = [...new Set(seen.map((p) => p.file))].sort();
      out.build = seg.info.build;
      seg.dispose();
      return out;
    },
    { hang: hanging.url, u: MODEL_URL },
  );
  assert.deepEqual(r.limits, { fetchTimeoutMs: 30_000, threadPoolTimeoutMs: 20_000 });
  assert.equal(r.never, `could not fetch the model from ${hanging.url}never.model: no answer within 1 s (the fetchTimeoutMs limit)`);
  assert.equal(
    r.stall,
    `could not fetch the model from ${hanging.url}stall.model: the download stalled: nothing arrived for 1.5 s after 1000 of 1000000 bytes (the fetchTimeoutMs limit)`,
  );
  assert.equal(r.detector, `768 labels; detector: could not fetch the face detector model from ${hanging.url}never.bin: no answer within 1 s (the fetchTimeoutMs limit)`);
  const url = new URL(MODEL_URL, plain.url).href;
  assert.deepEqual(r.progress.first, { file: 'model', url, loaded: 0, total: MODEL_BYTES.length });
  assert.deepEqual(r.progress.last, { file: 'model', url, loaded: MODEL_BYTES.length, total: MODEL_BYTES.length });
  assert.ok(r.progress.calls >= 2 && r.progress.rising, JSON.stringify(r.progress));
  assert.deepEqual(r.files, ['model', 'wasm']);
  const wasmFile = path.join(ROOT, `web/lib/pkg-${r.build}/faceforest_wasm_bg.wasm`);
  const wasmUrl = new URL(`web/lib/pkg-${r.build}/faceforest_wasm_bg.wasm`, plain.url).href;
  const wasmBytes = fs.statSync(wasmFile).size;
  assert.deepEqual(r.wasmProgress.first, { file: 'wasm', url: wasmUrl, loaded: 0, total: wasmBytes });
  assert.deepEqual(r.wasmProgress.last, { file: 'wasm', url: wasmUrl, loaded: wasmBytes, total: wasmBytes });
  assert.ok(r.wasmProgress.rising, JSON.stringify(r.wasmProgress));
  await page.close();
});

test('a thread pool that never starts: auto falls back to single-threaded and says why, multi rejects', async () => {
  const page = await harness(browser, stuckPool);
  const r = await page.evaluate(async (u) => {
    // 'still pending' after 30 s means createSegmenter hung (the limit asked for is 2 s).
    const settle = (p) => Promise.race([p, new Promise((ok) => setTimeout(() => ok('still pending'), 30_000))]);
    const out = { isolated: crossOriginIsolated };
    out.auto = await settle(
      ff.createSegmenter({ modelUrl: u, threadPoolTimeoutMs: 2000 }).then(
        async (seg) => {
          const labels = (await seg.segment(syntheticImage(32, 24, 1))).labels.length;
          const { build, threads, fallbackReason } = seg.info;
          seg.dispose();
          return { build, threads, fallbackReason, labels };
        },
        (e) => e.message,
      ),
    );
    out.multi = await settle(ff.createSegmenter({ modelUrl: u, threads: 'multi', threadPoolTimeoutMs: 2000 }).then(() => 'resolved', (e) => e.message));
    return out;
  }, MODEL_URL);
  assert.equal(r.isolated, true);
  assert.deepEqual(r.auto, {
    build: 'single',
    threads: 1,
    fallbackReason: 'the thread pool did not start within 2 s (the threadPoolTimeoutMs limit)',
    labels: 32 * 24,
  });
  assert.equal(r.multi, "threads: 'multi' was asked for but the thread pool did not start within 2 s (the threadPoolTimeoutMs limit)");
  await page.close();
});

test('a wasm file that never answers gives up after fetchTimeoutMs: auto says why it fell back, and fails only when neither build loads', async () => {
  const page = await harness(browser, noWasm);
  const r = await page.evaluate(async (u) => {
    const settle = (p) => Promise.race([p.then(() => 'resolved', (e) => e.message), new Promise((ok) => setTimeout(() => ok('still pending'), 30_000))]);
    return {
      auto: await settle(ff.createSegmenter({ modelUrl: u, fetchTimeoutMs: 1000 })),
      multi: await settle(ff.createSegmenter({ modelUrl: u, threads: 'multi', fetchTimeoutMs: 1000 })),
      single: await settle(ff.createSegmenter({ modelUrl: u, threads: 'single', fetchTimeoutMs: 1000 })),
    };
  }, MODEL_URL);
  const url = (b) => new URL(`web/lib/pkg-${b}/faceforest_wasm_bg.wasm`, noWasm.url).href;
  // auto: the threaded build's download times out, then the single-threaded one's.
  assert.equal(r.auto, `could not fetch the single-threaded wasm build from ${url('single')}: no answer within 1 s (the fetchTimeoutMs limit)`);
  assert.equal(r.multi, `threads: 'multi' was asked for but the threaded build failed to start: could not fetch the threaded wasm build from ${url('threads')}: no answer within 1 s (the fetchTimeoutMs limit)`);
  assert.equal(r.single, r.auto);
  await page.close();
});

test('numeric options out of range and boxes outside the image are refused with a clear message', async () => {
  const page = await harness(browser, plain);
  const r = await page.evaluate(async (u) => {
    const msg = (p) => p.then(() => 'resolved', (e) => `${e.name}: ${e.message}`);
    const seg = await ff.createSegmenter({ modelUrl: u });
    const img = syntheticImage(64, 48, 3);
    const out = {};
    out.detectEvery0 = await msg(seg.segmentVideoFrame(img, { detectEvery: 0 }));
    out.detectEveryNaN = await msg(seg.segmentVideoFrame(img, { detectEvery: NaN }));
    // The face detector's options are fast and scoreThreshold; the old detector's are
    // refused by name (before the detector is even needed).
    out.videoStep = await msg(seg.segmentVideoFrame(img, { detectOptions: { step: 8 } }));
    out.step = await msg(seg.detectFaces(img, { step: 4 }));
    out.maxSide = await msg(seg.detectFaces(img, { maxSide: 640 }));
    out.pyramid = await msg(seg.detectFaces(img, { pyramidScale: 0.8 }));
    out.threshold1 = await msg(seg.detectFaces(img, { scoreThreshold: 1 }));
    out.threshold0 = await msg(seg.detectFaces(img, { scoreThreshold: 0 }));
    out.thresholdOld = await msg(seg.detectFaces(img, { scoreThreshold: 2 }));
    out.thresholdText = await msg(seg.detectFaces(img, { scoreThreshold: '0.5' }));
    out.fastText = await msg(seg.detectFaces(img, { fast: 'yes' }));
    out.videoThreshold = await msg(seg.segmentVideoFrame(img, { detectOptions: { scoreThreshold: 1.5 } }));
    out.startVideoStep = await msg((async () => seg.startVideo(document.createElement('video'), () => {}, { detectOptions: { step: 8 } }))());
    // In range, they pass the check: without a detector the call then says so.
    out.inRange = await msg(seg.detectFaces(img, { fast: true, scoreThreshold: 0.7 }));
    out.farBox = await msg(seg.segmentFace(img, { x: 1e6, y: 1e6, w: 40, h: 40 }));
    out.farCrop = await msg(seg.segmentFace(img, null, { crop: { x: -500, y: 10, w: 100, h: 140 } }));
    out.emptyBox = await msg(seg.segmentFace(img, { x: 10, y: 10, w: 0, h: 20 }));
    out.cropForFar = await msg(seg.cropFor({ x: 1e6, y: 1e6, w: 40, h: 40 }, 64, 48));
    out.opacity = await msg(seg.colourise(new Uint8Array(64 * 48), { opacity: 7 }));
    out.opacityNaN = await msg(seg.colourise(new Uint8Array(64 * 48), { opacity: NaN }));
    out.timeout0 = await msg(ff.createSegmenter({ modelUrl: u, fetchTimeoutMs: 0 }));
    out.timeoutText = await msg(ff.createSegmenter({ modelUrl: u, fetchTimeoutMs: '5000' }));
    out.threads0 = await msg(ff.createSegmenter({ modelUrl: u, numThreads: 0 }));
    // In range still works: a box overhanging the image, every frame detected.
    out.overhang = (await seg.segmentFace(img, { x: -10, y: -10, w: 40, h: 40 })).labels.length;
    out.every1 = (await seg.segmentVideoFrame(img, { detectEvery: 1 })).labels.length;
    seg.dispose();
    return out;
  }, MODEL_URL);
  assert.equal(r.detectEvery0, 'RangeError: invalid option: detectEvery must be an integer ≥ 1, not 0');
  assert.equal(r.detectEveryNaN, 'RangeError: invalid option: detectEvery must be an integer ≥ 1, not NaN');
  const notAnOption = (k) => `TypeError: invalid option: ${k} is not a face-detector option (the options are fast, scoreThreshold)`;
  assert.equal(r.videoStep, notAnOption('step'));
  assert.equal(r.step, notAnOption('step'));
  assert.equal(r.maxSide, notAnOption('maxSide'));
  assert.equal(r.pyramid, notAnOption('pyramidScale'));
  assert.equal(r.startVideoStep, notAnOption('step'));
  assert.equal(r.threshold1, 'RangeError: invalid option: scoreThreshold must be a number between 0 and 1, exclusive, not 1');
  assert.equal(r.threshold0, 'RangeError: invalid option: scoreThreshold must be a number between 0 and 1, exclusive, not 0');
  assert.equal(r.thresholdOld, 'RangeError: invalid option: scoreThreshold must be a number between 0 and 1, exclusive, not 2');
  assert.equal(r.thresholdText, 'TypeError: invalid option: scoreThreshold must be a number between 0 and 1, exclusive, not "0.5"');
  assert.equal(r.fastText, 'TypeError: invalid option: fast must be true or false, not "yes"');
  assert.equal(r.videoThreshold, 'RangeError: invalid option: scoreThreshold must be a number between 0 and 1, exclusive, not 1.5');
  assert.equal(r.inRange, 'Error: face detection is unavailable: no face detector model was given (detectorUrl)');
  assert.equal(r.farBox, 'RangeError: invalid face box: at (1000000, 1000000), 40×40, lies entirely outside the 64×48 image');
  assert.equal(r.farCrop, 'RangeError: invalid crop: at (-500, 10), 100×140, lies entirely outside the 64×48 image');
  assert.equal(r.emptyBox, 'RangeError: invalid face box: at (10, 10), 0×20, must have a positive width and height');
  assert.equal(r.cropForFar, 'RangeError: invalid face box: at (1000000, 1000000), 40×40, lies entirely outside the 64×48 image');
  assert.equal(r.opacity, 'RangeError: invalid option: opacity must be a number from 0 to 1, not 7');
  assert.equal(r.opacityNaN, 'RangeError: invalid option: opacity must be a number from 0 to 1, not NaN');
  assert.equal(r.timeout0, 'RangeError: invalid option: fetchTimeoutMs must be a number > 0 (or Infinity), not 0');
  assert.equal(r.timeoutText, 'TypeError: invalid option: fetchTimeoutMs must be a number > 0 (or Infinity), not "5000"');
  assert.equal(r.threads0, 'RangeError: invalid option: numThreads must be an integer ≥ 1, not 0');
  assert.equal(r.overhang, 64 * 48);
  assert.equal(r.every1, 64 * 48);
  await page.close();
});

test('checkColour: a gray photo is refused with the core\'s message, a colour one passes', async () => {
  const page = await harness(browser, plain);
  const r = await page.evaluate(async ({ u }) => {
    const msg = (p) => p.then((v) => `resolved ${v}`, (e) => `${e.name}: ${e.message}`);
    const seg = await ff.createSegmenter({ modelUrl: u });
    const img = await decodePng('/web/demo/assets/astronaut.png');
    const gray = new ImageData(img.width, img.height);
    for (let i = 0; i < img.data.length; i += 4) {
      const v = Math.round(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]);
      gray.data.set([v, v, v, 255], i);
    }
    const out = { colour: await msg(seg.checkColour(img)), gray: await msg(seg.checkColour(gray)) };
    seg.dispose();
    return out;
  }, { u: MODEL_URL });
  await page.close();
  assert.equal(r.colour, 'resolved null');
  assert.equal(r.gray, 'Error: invalid image: the photo is grayscale (black and white); the model was trained on colour photos and finds no skin or face parts in gray ones — use a colour photo');
});

test('the face detector (BlazeFace): one face with six landmarks in the sample portrait, in both builds; boxes passed back keep their landmarks', async () => {
  const r = {};
  for (const [name, server] of [['threads', coi], ['single', plain]]) {
    const page = await harness(browser, server);
    r[name] = await page.evaluate(async ({ u, d }) => {
      const msg = (p) => p.then(() => 'resolved', (e) => `${e.name}: ${e.message}`);
      const seg = await ff.createSegmenter({ modelUrl: u, detectorUrl: d });
      const img = await decodePng('/web/demo/assets/astronaut.png');
      const { faces, width, height } = await seg.detectFaces(img);
      const fast = (await seg.detectFaces(img, { fast: true })).faces;
      const strict = (await seg.detectFaces(img, { scoreThreshold: 0.99 })).faces.length;
      const none = (await seg.detectFaces(syntheticImage(640, 480, 7))).faces.length;
      const f = faces[0];
      const crop = await seg.cropFor(f, width, height);
      const cropNoLandmarks = await seg.cropFor({ x: f.x, y: f.y, w: f.w, h: f.h }, width, height);
      const badPoint = await msg(seg.cropFor({ ...f, landmarks: { ...f.landmarks, noseTip: { x: NaN, y: 1 } } }, width, height));
      const missingPoint = await msg(seg.segmentFace(img, { ...f, landmarks: { rightEye: f.landmarks.rightEye } }));
      const face = await seg.segmentFace(img, f);
      const out = { build: seg.info.build, detector: seg.info.detector, faces, fast, strict, none, crop, cropNoLandmarks, badPoint, missingPoint, faceCrop: face.crop, faceBox: face.box };
      seg.dispose();
      return out;
    }, { u: MODEL_URL, d: '/web/models/face_detection_short_range.tflite' });
    await page.close();
  }
  assert.equal(r.threads.build, 'threads');
  assert.equal(r.single.build, 'single');
  for (const x of [r.threads, r.single]) {
    assert.deepEqual(x.detector, { available: true, error: null });
    assert.equal(x.faces.length, 1, JSON.stringify(x.faces));
    const [f] = x.faces;
    // Eileen Collins' face in the 512×512 portrait: BlazeFace's box is about 94 px,
    // from (178, 81); a confident probability; the eyes, nose and mouth inside it.
    assert.ok(f.x > 160 && f.x < 200 && f.y > 60 && f.y < 100 && f.w > 80 && f.w < 110 && f.h > 80 && f.h < 110, JSON.stringify(f));
    assert.ok(f.score > 0.8 && f.score < 1, `score ${f.score}`);
    const l = f.landmarks;
    for (const p of [l.rightEye, l.leftEye, l.noseTip, l.mouth]) assert.ok(p.x > f.x && p.x < f.x + f.w && p.y > f.y && p.y < f.y + f.h, JSON.stringify(f));
    // The subject's right eye is on the image's left; eyes above the nose, the nose above the mouth; ears outside the eyes.
    assert.ok(l.rightEar.x < l.rightEye.x && l.rightEye.x < l.leftEye.x && l.leftEye.x < l.leftEar.x, JSON.stringify(l));
    assert.ok(Math.max(l.rightEye.y, l.leftEye.y) < l.noseTip.y && l.noseTip.y < l.mouth.y, JSON.stringify(l));
    // Her head leans a little to her left (clockwise on screen): roll is the eye line's angle.
    assert.ok(Math.abs(f.roll - Math.atan2(l.leftEye.y - l.rightEye.y, l.leftEye.x - l.rightEye.x)) < 1e-6 && f.roll > 0.05 && f.roll < 0.35, `roll ${f.roll}`);
    // fast (one look, for live video) finds the same face; the default adds a second,
    // closer look, so the two agree to a few pixels, not exactly.
    assert.equal(x.fast.length, 1);
    for (const k of ['x', 'y', 'w', 'h']) assert.ok(Math.abs(x.fast[0][k] - f[k]) < 8, `${k}: ${JSON.stringify(x.fast[0])} vs ${JSON.stringify(f)}`);
    for (const [name, p] of Object.entries(f.landmarks)) assert.ok(Math.hypot(x.fast[0].landmarks[name].x - p.x, x.fast[0].landmarks[name].y - p.y) < 8, name);
    assert.equal(x.strict, 0, 'no face scores 0.99');
    assert.equal(x.none, 0, 'no face in a synthetic blob');
    // Her roll is over 5°, so the crop turns with her head (about its centre, which
    // moves with the turned offset); a box without landmarks gives an upright crop of
    // the same size. segmentFace accepts a detected box as it is.
    assert.ok(Math.abs(x.crop.angle - f.roll) < 1e-6, JSON.stringify(x.crop));
    assert.equal(x.cropNoLandmarks.angle, 0);
    assert.deepEqual([x.crop.w, x.crop.h], [x.cropNoLandmarks.w, x.cropNoLandmarks.h]);
    assert.deepEqual(x.faceCrop, x.crop);
    assert.deepEqual(x.faceBox.landmarks, f.landmarks);
    assert.equal(x.badPoint, 'TypeError: box.landmarks.noseTip must be an object with finite x and y (the points are rightEye, leftEye, noseTip, mouth, rightEar, leftEar)');
    assert.equal(x.missingPoint, 'TypeError: box.landmarks.leftEye must be an object with finite x and y (the points are rightEye, leftEye, noseTip, mouth, rightEar, leftEar)');
  }
  // Both builds find the same face, to a hundredth of a pixel.
  const round = (f) => [f.x, f.y, f.w, f.h, f.score, ...Object.values(f.landmarks).flatMap((p) => [p.x, p.y])].map((v) => Math.round(v * 100) / 100);
  assert.deepEqual(round(r.single.faces[0]), round(r.threads.faces[0]));
  console.log(`sample portrait: ${JSON.stringify(r.threads.faces[0])}`);
});

test('a bad detector model does not stop plain segmentation: info.detector says why, face framing says it is unavailable', async () => {
  const page = await harness(browser, plain);
  const r = await page.evaluate(async (u) => {
    const msg = (p) => p.then(() => 'resolved', (e) => `${e.name}: ${e.message}`);
    const model = new Uint8Array(await (await fetch(u)).arrayBuffer());
    const tflite = new Uint8Array(await (await fetch('/web/models/face_detection_short_range.tflite')).arrayBuffer());
    const out = {};
    const img = syntheticImage(64, 48, 3);
    const cases = {
      faceforestModel: { detectorBytes: model }, // the segmentation model given as the detector
      png: { detectorBytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13]) },
      empty: { detectorBytes: new Uint8Array(0) },
      cut: { detectorBytes: tflite.slice(0, 100_000) }, // an incomplete download
      oldSeeta: { detectorUrl: '/web/demo/assets/astronaut.png' }, // any other file by URL
      missing: { detectorUrl: '/web/models/no-such-detector.tflite' }, // 404
    };
    for (const [name, opts] of Object.entries(cases)) {
      const seg = await ff.createSegmenter({ modelBytes: model, ...opts });
      out[name] = {
        detector: seg.info.detector,
        labels: (await seg.segment(img)).labels.length,
        detect: await msg(seg.detectFaces(img)),
        segmentFace: (await seg.segmentFace(img, { x: 10, y: 5, w: 30, h: 30 })).labels.length,
        video: await seg.segmentVideoFrame(img).then((v) => ({ n: v.labels.length, box: v.box, detected: v.detected }), (e) => e.message),
      };
      seg.dispose();
    }
    return out;
  }, MODEL_URL);
  for (const [name, x] of Object.entries(r)) {
    assert.equal(x.detector.available, false, name);
    assert.equal(x.labels, 64 * 48, `${name}: plain segmentation works`);
    assert.equal(x.segmentFace, 64 * 48, `${name}: a box placed by hand is segmented`);
    assert.deepEqual(x.video, { n: 64 * 48, box: null, detected: false }, `${name}: video frames are segmented whole`);
    assert.equal(x.detect, `Error: face detection is unavailable: ${x.detector.error}`, name);
    console.log(`${name}: ${x.detector.error}`);
  }
  assert.equal(r.faceforestModel.detector.error, "face detector model: not a TensorFlow Lite model (the file identifier 'TFL3' is missing)");
  assert.equal(r.png.detector.error, r.faceforestModel.detector.error);
  assert.equal(r.oldSeeta.detector.error, r.faceforestModel.detector.error);
  assert.equal(r.empty.detector.error, 'face detector model: the model buffer is empty');
  assert.equal(r.cut.detector.error, 'face detector model: the file is truncated or not a TensorFlow Lite model');
  assert.match(r.missing.detector.error, /^could not fetch the face detector model from http:\/\/127\.0\.0\.1:\d+\/web\/models\/no-such-detector\.tflite: HTTP 404 Not Found$/);
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
