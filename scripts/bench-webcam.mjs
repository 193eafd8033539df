#!/usr/bin/env node
// Live-webcam throughput of the demo site in headless Chromium: a fake camera
// (a Y4M clip of the sample portrait, made on the fly) feeds the demo's live mode
// for --seconds; reported: frames per second, capture-to-display latency, time in
// the worker segmenting and detecting. Not a test.
//
//   scripts/build-site.sh && node scripts/bench-webcam.mjs [--seconds 20] [--threads auto|single] [--json out.json]
//
// Serves dist/ under /faceforest/ without COOP/COEP headers (isolation comes from
// coi-serviceworker, as on GitHub Pages). `--threads single` blanks the service
// worker script, so the page is not isolated and runs the single-threaded build.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startServer } from '../tests/e2e/helpers.mjs';
import { launchChromium, openSite, makeClip } from '../tests/e2e/site-helpers.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', 20));
const MODE = opt('threads', 'auto');
const JSON_OUT = opt('json');
const DIST = path.resolve(ROOT, process.env.FACEFOREST_DIST ?? 'dist');
if (!fs.existsSync(path.join(DIST, 'index.html'))) {
  console.error(`${DIST} has no site: run scripts/build-site.sh`);
  process.exit(1);
}

const server = await startServer({ root: DIST, base: '/faceforest/' });
const clip = path.join(ROOT, 'target/bench-webcam.y4m');
fs.mkdirSync(path.dirname(clip), { recursive: true });
{
  const maker = await launchChromium();
  await makeClip(await openSite(maker, server.url), clip, 60);
  await maker.close();
}
const b = await launchChromium([
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-video-capture=${clip}`,
]);
let result;
try {
  if (MODE === 'single') {
    // No service worker: the page is not isolated and runs the single-threaded build.
    await b.context.route('**/coi-serviceworker.js', (r) => r.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
  }
  const page = await openSite(b, server.url);
  const info = await page.evaluate(() => ({ build: window.faceforestDemo.info.build, threads: window.faceforestDemo.info.threads, coi: crossOriginIsolated }));
  await page.click('#cam-start');
  await page.waitForFunction(() => (window.faceforestDemo.camStats?.frames ?? 0) >= 5, null, { timeout: 60_000 });
  // Per-frame samples from the demo's own loop (it records camStats every 250 ms);
  // here we sample the worker's timings per frame by wrapping segmentVideoFrame.
  await page.evaluate(() => {
    const d = window.faceforestDemo;
    const orig = d.seg.segmentVideoFrame;
    d.benchSamples = [];
    d.seg.segmentVideoFrame = async (img, o) => {
      const t0 = performance.now();
      const r = await orig(img, o);
      d.benchSamples.push({ t: performance.now(), roundTrip: performance.now() - t0, segmentMs: r.segmentMs, detectMs: r.detectMs, face: !!r.box });
      return r;
    };
  });
  const t0 = Date.now();
  await page.waitForTimeout(SECONDS * 1000);
  const samples = await page.evaluate(() => window.faceforestDemo.benchSamples);
  const stats = await page.evaluate(() => window.faceforestDemo.camStats);
  const shown = await page.textContent('#cam-stats');
  await page.click('#cam-stop');
  const pctl = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
  };
  const span = (samples.at(-1).t - samples[0].t) / 1000;
  const round = samples.map((s) => s.roundTrip);
  const seg = samples.map((s) => s.segmentMs);
  const det = samples.filter((s) => s.detectMs != null).map((s) => s.detectMs);
  result = {
    ...info,
    seconds: (Date.now() - t0) / 1000,
    frames: samples.length,
    fps: (samples.length - 1) / span,
    roundTripMs: { p50: pctl(round, 0.5), p90: pctl(round, 0.9), max: Math.max(...round) },
    segmentMs: { p50: pctl(seg, 0.5), p90: pctl(seg, 0.9) },
    detectMs: { p50: pctl(det, 0.5), p90: pctl(det, 0.9), runs: det.length },
    framesWithFace: samples.filter((s) => s.face).length,
    demoReadout: shown,
    demoLatencyMs: stats.latency,
  };
} finally {
  await b.close();
  await server.close();
}
const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
console.log(`faceforest webcam benchmark: ${result.build} build, ${result.threads} thread(s), cross-origin isolated: ${result.coi}`);
console.log(`  ${result.frames} frames in ${f(result.seconds)} s: ${f(result.fps)} fps (640×480 fake camera at 30 fps)`);
console.log(`  round trip per frame (page → worker → page): p50 ${f(result.roundTripMs.p50)} ms, p90 ${f(result.roundTripMs.p90)} ms, max ${f(result.roundTripMs.max)} ms`);
console.log(`  segmenting in the worker: p50 ${f(result.segmentMs.p50)} ms, p90 ${f(result.segmentMs.p90)} ms`);
console.log(`  face detection (every 5th frame, ${result.detectMs.runs} runs): p50 ${f(result.detectMs.p50)} ms, p90 ${f(result.detectMs.p90)} ms`);
console.log(`  face tracked in ${result.framesWithFace}/${result.frames} frames; demo readout: "${result.demoReadout}"`);
if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(result, null, 2));
