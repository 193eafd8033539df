// Per-class confidence planes (`probabilities: true`) on every route, on the sample
// portrait web/demo/assets/astronaut.png (one face, its head a little turned: the
// detected crop has an angle): the planes sum to 1 at every pixel, their argmax is the
// label at every pixel, outside the crop they are background (1) and nothing else (0);
// the whole-image route's planes hold its pixel-interleaved `probabilities`; the video
// route gives them when asked and not otherwise; the planes are views of one
// transferred buffer; bad option values are refused (messages in docs/reliability.md).
// Run by scripts/test-browser.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { modelPath, requireBuilds, startServer, launchBrowser, harness } from './helpers.mjs';

const MODEL = modelPath();
const mounts = [{ prefix: '/model/', dir: path.dirname(MODEL) }];
const MODEL_URL = `/model/${path.basename(MODEL)}`;
const DETECTOR_URL = '/web/models/face_detection_short_range.tflite';
const CLASSES = ['background', 'skin', 'hair', 'left_eye', 'right_eye', 'nose', 'mouth'];

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

/**
 * In the page: a summary of one result's `confidence` against its labels. `crop`
 * (optional) splits the pixels into inside, outside and a one-pixel band along the
 * crop's edge that is counted in neither (the same geometry as CropRect::to_crop).
 */
const CHECK = `(r, crop, names) => {
  const n = r.width * r.height;
  const c = r.confidence;
  const out = { keys: Object.keys(c), lengths: names.map((k) => c[k].length), oneBuffer: names.every((k) => c[k].buffer === c.background.buffer),
    bufferBytes: c.background.buffer.byteLength, maxSumError: 0, argmaxMismatches: 0, ties: 0, inside: 0, outside: 0, outsideNotBackground: 0, insideNotBackground: 0, classesSeen: [] };
  const seen = new Set();
  const planes = names.map((k) => c[k]);
  const cx = crop ? crop.x + crop.w / 2 : 0, cy = crop ? crop.y + crop.h / 2 : 0;
  const sin = Math.sin(crop?.angle ?? 0), cos = Math.cos(crop?.angle ?? 0);
  for (let i = 0; i < n; i++) {
    let sum = 0, best = 0;
    for (let k = 0; k < planes.length; k++) {
      const v = planes[k][i];
      sum += v;
      if (v > planes[best][i]) best = k;
    }
    out.maxSumError = Math.max(out.maxSumError, Math.abs(sum - 1));
    const label = r.labels[i];
    if (best !== label) {
      // Equal top values: the label must be one of them.
      if (planes[label][i] === planes[best][i]) out.ties++;
      else out.argmaxMismatches++;
    }
    seen.add(label);
    if (!crop) continue;
    const x = (i % r.width) + 0.5 - cx, y = Math.floor(i / r.width) + 0.5 - cy;
    const u = x * cos + y * sin + crop.w / 2, v = -x * sin + y * cos + crop.h / 2;
    const margin = (a, len) => Math.min(a, len - a);
    const m = Math.min(margin(u, crop.w), margin(v, crop.h));
    if (m > 1) {
      out.inside++;
      if (label !== 0) out.insideNotBackground++;
    } else if (m < -1) {
      out.outside++;
      if (planes[0][i] !== 1 || planes.slice(1).some((p) => p[i] !== 0)) out.outsideNotBackground++;
    }
  }
  out.classesSeen = [...seen].sort();
  return out;
}`;

/** The checks every confidence result must pass. */
function assertPlanes(s, w, h, what) {
  assert.deepEqual(s.keys, CLASSES, `${what}: one plane per class, in class order`);
  assert.deepEqual(s.lengths, CLASSES.map(() => w * h), `${what}: planes of width*height`);
  assert.equal(s.oneBuffer, true, `${what}: the planes share one buffer`);
  assert.equal(s.bufferBytes, CLASSES.length * w * h * 4, `${what}: the buffer holds the planes and nothing else`);
  assert.ok(s.maxSumError < 1e-4, `${what}: the classes' confidence sums to 1 at every pixel (worst error ${s.maxSumError})`);
  assert.equal(s.argmaxMismatches, 0, `${what}: ${s.argmaxMismatches} pixels whose most confident class is not their label`);
}

test('confidence planes on the face, whole-image and video routes; bad values of the option are refused', async () => {
  const page = await harness(browser, server);
  const r = await page.evaluate(
    async ({ u, d, check, names }) => {
      const summarise = eval(check);
      const msg = (p) => p.then(() => 'resolved', (e) => `${e.name}: ${e.message}`);
      const msgNow = (f) => {
        try {
          f();
          return 'no error';
        } catch (e) {
          return `${e.name}: ${e.message}`;
        }
      };
      const out = {};
      const seg = await ff.createSegmenter({ modelUrl: u, detectorUrl: d });
      out.build = seg.info.build;
      const img = await decodePng('/web/demo/assets/astronaut.png');
      const { faces } = await seg.detectFaces(img);
      const f = faces[0];

      // The face route, through the detected (turned) crop and through an upright crop.
      const face = await seg.segmentFace(img, f, { probabilities: true });
      const plain = await seg.segmentFace(img, f);
      out.face = summarise(face, face.crop, names);
      out.faceCrop = face.crop;
      out.faceSameLabels = face.labels.every((l, i) => l === plain.labels[i]);
      out.plainHasConfidence = 'confidence' in plain;
      const upright = { ...face.crop, angle: 0 };
      const up = await seg.segmentFace(img, null, { crop: upright, probabilities: true });
      out.upright = summarise(up, upright, names);
      out.uprightAngle = up.crop.angle;

      // The whole image: planes beside the pixel-interleaved probabilities, the same values.
      const whole = await seg.segmentProbabilities(img);
      out.whole = summarise(whole, null, names);
      let differ = 0;
      for (let i = 0; i < whole.width * whole.height; i++) {
        names.forEach((k, c) => {
          if (whole.confidence[k][i] !== whole.probabilities[i * names.length + c]) differ++;
        });
      }
      out.wholeDiffer = differ;
      const viaSegment = await seg.segment(img, { probabilities: true });
      out.viaSegment = viaSegment.confidence.hair.every((v, i) => v === whole.confidence.hair[i]);
      out.segmentPlain = 'confidence' in (await seg.segment(img)) || 'probabilities' in (await seg.segment(img));

      // Video, one frame at a time: with the face tracked the crop's planes, pasted back.
      await seg.resetTracking();
      const v = await seg.segmentVideoFrame(img, { probabilities: true });
      out.video = summarise(v, v.crop, names);
      out.videoBox = v.box !== null && v.crop !== null;
      out.videoPlain = 'confidence' in (await seg.segmentVideoFrame(img));

      // Bad values: refused before anything runs.
      out.bad = [
        await msg(seg.segmentFace(img, f, { probabilities: 'yes' })),
        await msg(seg.segmentVideoFrame(img, { probabilities: 1 })),
        await msg(seg.segment(img, { probabilities: 'no' })),
      ];

      // Live video on the fake camera (a test pattern).
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      await video.play();
      out.bad.push(msgNow(() => seg.startVideo(video, () => {}, { probabilities: 'yes' })));
      const live = async (options) => {
        await seg.resetTracking(); // forget the portrait's face
        const results = [];
        const errors = [];
        const loop = seg.startVideo(
          video,
          (res) => {
            if (results.length < 3) results.push({ has: 'confidence' in res, box: res.box, summary: res.confidence ? summarise(res, res.crop, names) : null, w: res.width, h: res.height });
          },
          { maxSide: 320, ...options, onError: (e) => errors.push(e.message) },
        );
        const t0 = performance.now();
        while (results.length < 3 && !errors.length && performance.now() - t0 < 60_000) await new Promise((ok) => setTimeout(ok, 20));
        loop.stop();
        await loop.done;
        return { results, errors };
      };
      out.liveWith = await live({ probabilities: true });
      out.liveWithout = await live({});
      for (const t of video.srcObject.getTracks()) t.stop();
      seg.dispose();
      return out;
    },
    { u: MODEL_URL, d: DETECTOR_URL, check: CHECK, names: CLASSES },
  );

  assert.equal(r.build, 'threads');
  // The face route: the detected crop is turned (the head leans), the upright one is not.
  assert.ok(Math.abs(r.faceCrop.angle) > 0.05, `the sample's crop is turned: ${JSON.stringify(r.faceCrop)}`);
  assert.equal(r.uprightAngle, 0);
  for (const [what, s] of [['segmentFace (turned crop)', r.face], ['segmentFace (upright crop)', r.upright], ['segmentVideoFrame (face)', r.video]]) {
    assertPlanes(s, 512, 512, what);
    // The crop takes part of the 512×512 portrait: pixels on both sides of its edge.
    assert.ok(s.inside > 5_000 && s.outside > 100_000, `${what}: ${s.inside} pixels inside the crop, ${s.outside} outside`);
    assert.equal(s.outsideNotBackground, 0, `${what}: outside the crop, background 1 and every other class 0`);
    assert.ok(s.insideNotBackground > 3_000, `${what}: the face is segmented inside the crop (${s.insideNotBackground} pixels)`);
    assert.ok(s.classesSeen.length >= 5, `${what}: classes ${s.classesSeen}`);
  }
  assert.equal(r.faceSameLabels, true, 'asking for confidence does not change the labels');
  assert.equal(r.plainHasConfidence, false, 'no confidence unless asked');
  assert.equal(r.videoBox, true, 'the video frame was segmented through the tracked face');
  assert.equal(r.videoPlain, false, 'no confidence on a video frame unless asked');

  assertPlanes(r.whole, 512, 512, 'segmentProbabilities');
  assert.equal(r.wholeDiffer, 0, 'the planes hold the pixel-interleaved probabilities');
  assert.equal(r.viaSegment, true, "segment(image, { probabilities: true }) is segmentProbabilities");
  assert.equal(r.segmentPlain, false);

  assert.deepEqual(r.bad, [
    'TypeError: invalid option: probabilities must be true or false, not "yes"',
    'TypeError: invalid option: probabilities must be true or false, not 1',
    'TypeError: invalid option: probabilities must be true or false, not "no"',
    'TypeError: invalid option: probabilities must be true or false, not "yes"',
  ]);

  assert.deepEqual(r.liveWith.errors, []);
  assert.equal(r.liveWith.results.length, 3);
  for (const x of r.liveWith.results) {
    assert.equal(x.has, true, 'startVideo with probabilities: every result has confidence');
    // The test pattern has no face, so the whole frame is segmented unless the detector
    // takes something in it for one: then the crop's planes, background outside it.
    assertPlanes(x.summary, x.w, x.h, `startVideo (${x.box ? 'a crop' : 'whole frame'})`);
    assert.equal(x.summary.outsideNotBackground, 0);
  }
  assert.deepEqual(r.liveWithout.errors, []);
  assert.equal(r.liveWithout.results.length, 3);
  assert.ok(r.liveWithout.results.every((x) => !x.has), 'startVideo without probabilities: no confidence');
  await page.close();
});
