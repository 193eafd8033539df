// (g) Image sources other than ImageData: <img>, <canvas>, OffscreenCanvas,
// ImageBitmap, VideoFrame, <video> and Blob are drawn into ImageData on the calling
// thread (web/lib/image.js) and give the same labels as the ImageData of the same
// pixels; sources without pixels yet are refused with a message.
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
const PHOTO_URL = '/fasseg/frontal02/test/rgb/3.png';

let server, browser, page;
before(async () => {
  requireBuilds();
  server = await startServer({ coi: true, mounts });
  browser = await launchBrowser();
  page = await harness(browser, server);
  await page.evaluate(async (modelUrl) => {
    window.seg = await window.ff.createSegmenter({ modelUrl });
    window.hash = (labels) => {
      let h = 2166136261;
      for (const l of labels) h = Math.imul(h ^ l, 16777619) >>> 0;
      return h;
    };
    window.summary = async (source) => {
      const r = await window.seg.segment(source);
      return { width: r.width, height: r.height, hash: window.hash(r.labels), classes: new Set(r.labels).size };
    };
  }, MODEL_URL);
});
after(async () => {
  if (process.exitCode && browser) console.log(browser.logs.join('\n'));
  await browser?.close();
  await server?.close();
});

test('(g) <img>, <canvas>, OffscreenCanvas, ImageBitmap, VideoFrame and Blob give the labels of the ImageData', async () => {
  const r = await page.evaluate(async (url) => {
    const imageData = await window.decodePng(url); // createImageBitmap without colour conversion
    const blob = await (await fetch(url)).blob();
    const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: imageData.width, height: imageData.height });
    canvas.getContext('2d').putImageData(imageData, 0, 0);
    const offscreen = new OffscreenCanvas(imageData.width, imageData.height);
    offscreen.getContext('2d').putImageData(imageData, 0, 0);
    const frame = new VideoFrame(bmp, { timestamp: 0 });
    const out = {
      imageData: await window.summary(imageData),
      img: await window.summary(img),
      canvas: await window.summary(canvas),
      offscreen: await window.summary(offscreen),
      bitmap: await window.summary(bmp),
      videoFrame: await window.summary(frame),
      blob: await window.summary(blob),
      file: await window.summary(new File([blob], 'photo.png', { type: 'image/png' })),
    };
    frame.close();
    return out;
  }, PHOTO_URL);
  assert.ok(r.imageData.classes >= 4, JSON.stringify(r.imageData));
  for (const [name, s] of Object.entries(r)) assert.deepEqual(s, r.imageData, `${name} differs from the ImageData`);
});

test('(g) a <video> gives the labels of its current frame drawn into an ImageData', async () => {
  const r = await page.evaluate(async (url) => {
    const bmp = await createImageBitmap(await (await fetch(url)).blob());
    const canvas = Object.assign(document.createElement('canvas'), { width: bmp.width, height: bmp.height });
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bmp, 0, 0);
    const video = Object.assign(document.createElement('video'), { muted: true, srcObject: canvas.captureStream(0) });
    await video.play();
    await new Promise((res) => (video.readyState >= 2 ? res() : video.addEventListener('loadeddata', res, { once: true })));
    const still = await window.summary(video);
    // The same frame, drawn by hand.
    const c2 = new OffscreenCanvas(video.videoWidth, video.videoHeight).getContext('2d');
    c2.drawImage(video, 0, 0);
    const manual = await window.summary(c2.getImageData(0, 0, video.videoWidth, video.videoHeight));
    video.pause();
    return { still, manual, size: [bmp.width, bmp.height] };
  }, PHOTO_URL);
  assert.deepEqual([r.still.width, r.still.height], r.size);
  assert.deepEqual(r.still, r.manual);
});

test('(g) sources without pixels are refused with a message', async () => {
  const r = await page.evaluate(async () => {
    const msg = (p) => p.then(() => 'resolved', (e) => e.message);
    const pending = new Image(); // no src: complete, without data
    const broken = new Image();
    broken.src = '/no-such-image.png';
    await broken.decode().catch(() => {});
    const drawn = new OffscreenCanvas(32, 32);
    drawn.getContext('2d').fillRect(0, 0, 32, 32);
    const frame = new VideoFrame(drawn, { timestamp: 0 });
    frame.close();
    const bitmap = await createImageBitmap(drawn);
    bitmap.close();
    return {
      noSrc: await msg(window.seg.segment(pending)),
      broken: await msg(window.seg.segment(broken)),
      video: await msg(window.seg.segment(document.createElement('video'))),
      closedFrame: await msg(window.seg.segment(frame)),
      closedBitmap: await msg(window.seg.segment(bitmap)),
      tinyCanvas: await msg(window.seg.segment(new OffscreenCanvas(8, 8))),
      notAnImage: await msg(window.seg.segment(new Blob(['hello']))),
    };
  });
  assert.match(r.noSrc, /^invalid image: the <img> has no image data/);
  assert.match(r.broken, /^invalid image: the <img> has no image data \(it failed to load: .*no-such-image\.png\)/);
  assert.equal(r.video, 'invalid image: the <video> has no frame yet (wait for its loadeddata event)');
  assert.equal(r.closedFrame, 'invalid image: the VideoFrame is closed');
  assert.equal(r.closedBitmap, 'invalid image: the ImageBitmap is closed or empty');
  assert.equal(r.tinyCanvas, 'invalid image: the image is 8×8; it must be at least 16×16 pixels');
  assert.match(r.notAnImage, /^invalid image: .*accepted formats: PNG, JPEG or WebP$/);
});
