// The package's live-video helper, seg.startVideo (web/lib/index.js), on Chromium's
// fake camera (--use-fake-device-for-media-stream: a 640×480 test pattern, no face, so
// each frame is segmented whole): results arrive in order with the frame they belong
// to, at most maxSide px; with inFlight 2 the next frame is sent before the previous
// result is back (pipelining), with 1 it is not; stop() stops them; without
// requestVideoFrameCallback it runs on requestAnimationFrame; bad arguments throw at
// once (messages in docs/reliability.md). Run by scripts/test-browser.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { modelPath, requireBuilds, startServer, launchBrowser, harness } from './helpers.mjs';

const MODEL = modelPath();
const mounts = [{ prefix: '/model/', dir: path.dirname(MODEL) }];
const MODEL_URL = `/model/${path.basename(MODEL)}`;

let server, browser;
before(async () => {
  requireBuilds();
  server = await startServer({ coi: true, mounts });
  browser = await launchBrowser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
});
after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await server?.close();
});

test('startVideo: live results from a fake camera, in order, pipelined; stop() stops them; rAF fallback; bad arguments', async () => {
  const page = await harness(browser, server);
  const r = await page.evaluate(async (u) => {
    const out = {};
    const seg = await ff.createSegmenter({ modelUrl: u });
    out.build = seg.info.build;
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    await video.play();
    const msg = (f) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    };
    out.bad = [
      msg(() => seg.startVideo(document.createElement('canvas'), () => {})),
      msg(() => seg.startVideo(video, () => {}, { maxSide: 8 })),
      msg(() => seg.startVideo(video, () => {}, { inFlight: 9 })),
      msg(() => seg.startVideo(video)),
    ];
    // Every segmentVideoFrame call notes how many results had been delivered by then.
    const orig = seg.segmentVideoFrame;
    let delivered = 0;
    let callsAt = [];
    seg.segmentVideoFrame = (...a) => (callsAt.push(delivered), orig(...a));
    const waitFor = async (cond, what) => {
      const t0 = performance.now();
      while (!cond()) {
        if (performance.now() - t0 > 60_000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((ok) => setTimeout(ok, 20));
      }
    };
    const run = async (options, n) => {
      delivered = 0;
      callsAt = [];
      const results = [];
      const errors = [];
      const loop = seg.startVideo(
        video,
        (res, f) => {
          delivered++;
          results.push({
            size: [res.width, res.height], labels: res.labels.length, frameSize: [f.width, f.height], canvas: [f.canvas.width, f.canvas.height],
            video: [f.videoWidth, f.videoHeight], at: f.capturedAt, frame: f.frame, latency: f.latencyMs >= 0, box: res.box,
          });
        },
        { ...options, onError: (e, info) => errors.push(`${e.message} ${JSON.stringify(info)}`) },
      );
      await waitFor(() => results.length >= n || errors.length, `${n} results`);
      loop.stop();
      const atStop = { results: results.length, calls: callsAt.length };
      await loop.done;
      // Whatever was in flight is dropped; nothing new is captured.
      await new Promise((ok) => setTimeout(ok, 1500));
      return { results, errors, callsAt: [...callsAt], atStop, after: { results: results.length, calls: callsAt.length }, running: loop.running, frames: loop.frames };
    };
    out.pipelined = await run({ maxSide: 320, inFlight: 2 }, 12);
    out.serial = await run({ maxSide: 200, inFlight: 1 }, 4);
    // No requestVideoFrameCallback: the loop runs on animation frames.
    video.requestVideoFrameCallback = undefined;
    out.raf = await run({}, 3);
    for (const t of video.srcObject.getTracks()) t.stop();
    seg.dispose();
    return out;
  }, MODEL_URL);

  assert.deepEqual(r.bad, [
    'TypeError: startVideo needs a <video> element, not HTMLCanvasElement',
    'RangeError: invalid option: maxSide must be an integer ≥ 16, not 8',
    'RangeError: invalid option: inFlight must be an integer from 1 to 4, not 9',
    'TypeError: startVideo needs an onResult function',
  ]);
  const p = r.pipelined;
  assert.deepEqual(p.errors, []);
  assert.ok(p.results.length >= 12);
  p.results.forEach((x, i) => {
    assert.deepEqual(x.size, [320, 240], `result ${i}: the 640×480 camera at maxSide 320`);
    assert.equal(x.labels, 320 * 240);
    assert.deepEqual(x.frameSize, [320, 240]);
    assert.deepEqual(x.canvas, [320, 240], 'the frame canvas holds the segmented pixels');
    assert.deepEqual(x.video, [640, 480]);
    assert.equal(x.frame, i + 1, 'results in order, none skipped');
    assert.equal(x.box, null, 'no face in the test pattern: the whole frame');
    assert.equal(x.latency, true);
    if (i) assert.ok(x.at > p.results[i - 1].at, 'captured one after another');
  });
  // Pipelining: the second frame went to the worker before the first result came back.
  assert.deepEqual(p.callsAt.slice(0, 2), [0, 0], JSON.stringify(p.callsAt));
  assert.ok(p.callsAt.every((d, i) => d >= i - 1), `never more than 2 frames in flight: ${p.callsAt}`);
  // stop(): no result and no capture afterwards.
  assert.deepEqual(p.after, p.atStop, 'nothing after stop()');
  assert.equal(p.running, false);
  assert.equal(p.frames, p.atStop.results);

  const s = r.serial;
  assert.deepEqual(s.errors, []);
  assert.deepEqual(s.results[0].size, [200, 150]);
  // One frame in flight: each call waits for the previous result.
  assert.deepEqual(s.callsAt.slice(0, 4), [0, 1, 2, 3], JSON.stringify(s.callsAt));
  assert.deepEqual(s.after, s.atStop);

  assert.deepEqual(r.raf.errors, []);
  assert.ok(r.raf.results.length >= 3 && r.raf.results.every((x, i) => x.frame === i + 1), JSON.stringify(r.raf.results.length));
  assert.deepEqual(r.raf.after, r.raf.atStop);
  await page.close();
});
