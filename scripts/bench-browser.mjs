#!/usr/bin/env node
// Browser latency of segment(): threaded vs single-threaded build, 256×256 and
// 600×600 images, in headless Chromium, in one run; then face detection (BlazeFace,
// web/models/face_detection_short_range.tflite) per 640×480 frame — the sample
// portrait placed as in the webcam tests' clip — with `fast` (the webcam's setting)
// and the default options. Not a test.
//
//   node scripts/bench-browser.mjs [--runs 15] [--warmup 3] [--detect-runs 30] [--threads N] [--json out.json]
//   (--detect-runs 0 skips detection)
//
// Model: FACEFOREST_MODEL, else web/models/faceforest.model, else target/test-model.bin.
// Images: a FASSEG test photo (FASSEG_DIR) scaled to each size, else a synthetic one.
// Reported: round trip of `await seg.segment(imageData)` as the page sees it (copy
// in, worker, transfer back) and `ms`, the time inside the worker. The two builds
// run in two pages and take turns call by call; the speed-up is the median of the
// per-pair ratios.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FASSEG_DIR, modelPath, requireBuilds, startServer, launchBrowser, harness } from '../tests/e2e/helpers.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 15));
const WARMUP = Number(opt('warmup', 3));
const NUM_THREADS = opt('threads') ? Number(opt('threads')) : undefined;
const JSON_OUT = opt('json');
const SIZES = [256, 600];
const DETECT_RUNS = Number(opt('detect-runs', 30));
const DETECTOR_URL = '/web/models/face_detection_short_range.tflite';
const PORTRAIT_URL = '/web/demo/assets/astronaut.png';

requireBuilds();
const MODEL = modelPath();
const photo = path.join(FASSEG_DIR, 'frontal02/test/rgb/1.png');
const mounts = [{ prefix: '/model/', dir: path.dirname(MODEL) }];
if (fs.existsSync(photo)) mounts.push({ prefix: '/photo/', dir: path.dirname(photo) });
const photoUrl = fs.existsSync(photo) ? `/photo/${path.basename(photo)}` : null;

const [coi, plain] = await Promise.all([startServer({ coi: true, mounts }), startServer({ mounts })]);
const browser = await launchBrowser();
const results = [];
const ratios = {};
try {
  // Both builds load first, then take turns image by image: the host's speed drifts
  // by tens of percent within a minute, and alternating puts both under the same drift.
  const pages = [];
  for (const [build, server, threads] of [['threads', coi, 'multi'], ['single', plain, 'single']]) {
    const page = await harness(browser, server);
    const info = await page.evaluate(
      async ({ modelUrl, threads, numThreads, photoUrl, detectorUrl, portraitUrl }) => {
        const t0 = performance.now();
        const seg = await ff.createSegmenter({ modelUrl, threads, numThreads, detectorUrl });
        const loadMs = performance.now() - t0;
        // A 640×480 frame with the sample portrait, as the webcam tests' clip.
        const portrait = await createImageBitmap(await (await fetch(portraitUrl)).blob());
        const fctx = new OffscreenCanvas(640, 480).getContext('2d', { willReadFrequently: true });
        fctx.fillStyle = '#556';
        fctx.fillRect(0, 0, 640, 480);
        fctx.drawImage(portrait, 80, -16, 512, 512);
        const frame = fctx.getImageData(0, 0, 640, 480);
        const source = photoUrl ? await createImageBitmap(await (await fetch(photoUrl)).blob()) : null;
        const images = {};
        window.__bench = {
          image(s) {
            if (!images[s]) {
              if (!source) images[s] = syntheticImage(s, s, 5);
              else {
                const ctx = new OffscreenCanvas(s, s).getContext('2d');
                ctx.drawImage(source, 0, 0, s, s);
                images[s] = ctx.getImageData(0, 0, s, s);
              }
            }
            return images[s];
          },
          async detect(fast) {
            const t = performance.now();
            const r = await seg.detectFaces(frame, { fast });
            return { wall: performance.now() - t, worker: r.ms, faces: r.faces.length };
          },
          async once(s) {
            const img = this.image(s);
            const t = performance.now();
            const r = await seg.segment(img);
            return { wall: performance.now() - t, worker: r.ms };
          },
          dispose: () => seg.dispose(),
        };
        const i = seg.info;
        return { build: i.build, threads: i.threads, size: i.size, trees: i.trees, nodes: i.nodes, loadMs };
      },
      { modelUrl: `/model/${path.basename(MODEL)}`, threads, numThreads: NUM_THREADS, photoUrl, detectorUrl: DETECTOR_URL, portraitUrl: PORTRAIT_URL },
    );
    if (info.build !== build) throw new Error(`expected the ${build} build, got ${info.build}`);
    pages.push({ page, info, out: [] });
  }
  const stats = (v) => {
    const a = [...v].sort((x, y) => x - y);
    return { median: a[a.length >> 1], min: a[0], mean: a.reduce((x, y) => x + y, 0) / a.length };
  };
  for (const s of SIZES) {
    const runs = pages.map(() => ({ wall: [], worker: [] }));
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const [j, p] of pages.entries()) {
        const r = await p.page.evaluate((s) => window.__bench.once(s), s);
        if (i >= WARMUP) {
          runs[j].wall.push(r.wall);
          runs[j].worker.push(r.worker);
        }
      }
    }
    for (const [j, p] of pages.entries()) p.out.push({ size: s, wall: stats(runs[j].wall), worker: stats(runs[j].worker) });
    ratios[s] = stats(runs[0].wall.map((t, i) => runs[1].wall[i] / t)).median;
  }
  // Face detection per 640×480 frame, the builds taking turns as above.
  for (const fast of DETECT_RUNS > 0 ? [true, false] : []) {
    const runs = pages.map(() => ({ wall: [], worker: [], faces: new Set() }));
    for (let i = 0; i < WARMUP + DETECT_RUNS; i++) {
      for (const [j, p] of pages.entries()) {
        const r = await p.page.evaluate((fast) => window.__bench.detect(fast), fast);
        runs[j].faces.add(r.faces);
        if (i >= WARMUP) {
          runs[j].wall.push(r.wall);
          runs[j].worker.push(r.worker);
        }
      }
    }
    for (const [j, p] of pages.entries()) {
      (p.detect ??= []).push({ fast, faces: [...runs[j].faces], wall: stats(runs[j].wall), worker: stats(runs[j].worker) });
    }
  }
  for (const p of pages) {
    await p.page.evaluate(() => window.__bench.dispose());
    results.push({ info: p.info, loadMs: p.info.loadMs, out: p.out, detect: p.detect ?? [] });
    await p.page.close();
  }
} finally {
  await browser.close();
  await Promise.all([coi.close(), plain.close()]);
}

const wasmSize = (b) => fs.statSync(new URL(`../web/lib/pkg-${b}/faceforest_wasm_bg.wasm`, import.meta.url)).size;
const { info } = results[0];
console.log(`faceforest browser benchmark — Chromium (headless), ${os.cpus().length} CPUs, ${RUNS} runs after ${WARMUP} warm-up`);
console.log(`model: ${path.relative(process.cwd(), MODEL)} (S=${info.size}, ${info.trees} trees, ${info.nodes} nodes); image: ${photoUrl ? 'FASSEG frontal02/test/1.png scaled' : 'synthetic'}`);
console.log('');
console.log('build    threads  image     round trip ms (median / min / mean)   in worker ms (median)   load ms   wasm KB');
for (const r of results) {
  for (const o of r.out) {
    const f = (x) => x.toFixed(1).padStart(6);
    console.log(
      `${r.info.build.padEnd(8)} ${String(r.info.threads).padStart(7)}  ${`${o.size}×${o.size}`.padEnd(8)}  ${f(o.wall.median)} / ${f(o.wall.min)} / ${f(o.wall.mean)}          ${f(o.worker.median)}               ${r.loadMs.toFixed(0).padStart(5)}    ${(wasmSize(r.info.build) / 1024).toFixed(0).padStart(5)}`,
    );
  }
}
for (const s of SIZES) {
  const [t, u] = results.map((r) => r.out.find((o) => o.size === s).wall.median);
  console.log(
    `speed-up ${s}×${s}: ${ratios[s].toFixed(2)}× (median of single / threaded over alternating pairs; ratio of medians ${(u / t).toFixed(2)}×)`,
  );
}
if (DETECT_RUNS > 0) {
  console.log('');
  console.log(`face detection (BlazeFace) per 640×480 frame, the sample portrait: ${DETECT_RUNS} runs after ${WARMUP} warm-up`);
  console.log('build    options   faces   round trip ms (median / min / mean)   in worker ms (median / min)');
  for (const r of results) {
    for (const d of r.detect) {
      const f = (x) => x.toFixed(1).padStart(6);
      console.log(
        `${r.info.build.padEnd(8)} ${(d.fast ? 'fast' : 'default').padEnd(8)}  ${d.faces.join('/').padStart(5)}   ${f(d.wall.median)} / ${f(d.wall.min)} / ${f(d.wall.mean)}          ${f(d.worker.median)} / ${f(d.worker.min)}`,
      );
    }
  }
}
if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ runs: RUNS, warmup: WARMUP, model: MODEL, results, speedup: ratios }, null, 2));
