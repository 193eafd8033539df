// A TypeScript consumer of faceforest-web: the README's examples, type-checked by
// tests/e2e/types.test.mjs with `tsc --noEmit --strict` under the oldest and the newest
// TypeScript the package supports. Never run.
import { createSegmenter, LIMITS, TIME_LIMITS, inspectImageFile, type Segmenter, type SegmentResult } from 'faceforest-web';
import modelUrl from 'faceforest-web/model';

export async function readme(ctx: CanvasRenderingContext2D, w: number, h: number, file: File): Promise<void> {
  const seg: Segmenter = await createSegmenter({ modelUrl, threads: 'auto', onProgress: (p) => console.log(p.file, p.loaded, p.total) });
  const { labels, width, height, ms }: SegmentResult = await seg.segment(ctx.getImageData(0, 0, w, h));
  const overlay = await seg.colourise(labels, { opacity: 0.5, hidden: ['background'] });
  ctx.putImageData(new ImageData(overlay, width, height), 0, 0);
  ctx.putImageData(new ImageData(await seg.colourise(labels), w, h), 0, 0);
  console.log(seg.info.build, seg.info.threads, seg.info.fallbackReason, ms);

  // Results are plain ArrayBuffer-backed arrays: Blobs, ImageData, transfers.
  const r = await seg.segmentProbabilities(ctx.getImageData(0, 0, w, h), { transfer: true });
  const blobs = [new Blob([r.labels]), new Blob([r.probabilities], { type: 'application/octet-stream' })];
  const buffers: ArrayBuffer[] = [r.labels.buffer, r.probabilities.buffer, overlay.buffer];
  structuredClone(r, { transfer: buffers });
  console.log(blobs.length, r.probabilities[0] + 1, r.confidence.hair[0] + r.confidence.background[0]);

  // Face framing.
  const seg2 = await createSegmenter({ modelBytes: await file.arrayBuffer(), detectorUrl: new URL('face_detection_short_range.tflite', location.href) });
  const imageData = ctx.getImageData(0, 0, w, h);
  const { faces } = await seg2.detectFaces(imageData, { fast: true, scoreThreshold: 0.6 });
  const { rightEye, leftEye, noseTip, mouth, rightEar, leftEar } = faces[0].landmarks;
  console.log(faces[0].score.toFixed(2), faces[0].roll * (180 / Math.PI), rightEye.x, leftEye.y, noseTip.x, mouth.y, rightEar.x, leftEar.y);
  const crop = await seg2.cropFor(faces[0], width, height);
  await seg2.cropFor({ x: 10, y: 10, w: 100, h: 100 }, width, height);
  await seg2.cropFor({ ...faces[0], x: faces[0].x + 5 }, width, height);
  const f = await seg2.segmentFace(imageData, faces[0]);
  const f2 = await seg2.segmentFace(imageData, null, { crop });
  const v = await seg2.segmentVideoFrame(imageData, { transfer: true, detectEvery: 5 });
  new Blob([f.labels, f2.labels, v.labels]);

  // Per-class confidence planes, e.g. a hair-confidence mask.
  const fc = await seg2.segmentFace(imageData, faces[0], { probabilities: true });
  const hair: Float32Array = fc.confidence.hair;
  const mask = new Uint8ClampedArray(hair.length * 4);
  hair.forEach((p, i) => (mask[i * 4 + 3] = p * 255));
  ctx.putImageData(new ImageData(mask, fc.width, fc.height), 0, 0);
  const vc = await seg2.segmentVideoFrame(imageData, { probabilities: true });
  const planes: ArrayBuffer = vc.confidence.background.buffer;
  const maybe = (await seg2.segmentVideoFrame(imageData)).confidence?.skin;
  const wc = await seg.segment(imageData, { probabilities: true });
  console.log(planes.byteLength, maybe?.length, wc.confidence.mouth.length, wc.probabilities.length);
  await seg2.resetTracking();
  const d = await seg2.diagnostics();
  console.log(d.wasmMemoryBytes, d.restarts, v.box?.w, v.box?.landmarks?.noseTip.x, seg2.info.detector.available, seg2.info.detector.error, seg2.info.cropAspect);
  seg2.dispose();

  // Other image sources, drawn into an ImageData by the package.
  const img = new Image();
  await img.decode();
  const bitmap = await createImageBitmap(file);
  for (const source of [img, ctx.canvas, new OffscreenCanvas(w, h), bitmap, new VideoFrame(bitmap, { timestamp: 0 }), document.createElement('video'), file]) {
    new Blob([(await seg.segment(source)).labels]);
  }
  await seg2.segmentVideoFrame(document.createElement('video'), { detectEvery: 3 });

  // Live video: results with the frame they belong to; stop() ends the loop.
  const video = document.createElement('video');
  const loop = seg2.startVideo(
    video,
    (res, frame) => {
      ctx.drawImage(frame.canvas, 0, 0);
      ctx.putImageData(new ImageData(new Uint8ClampedArray(res.labels.length * 4), res.width, res.height), 0, 0);
      console.log(res.box?.x, res.segmentMs, frame.latencyMs, frame.frame);
    },
    { maxSide: 320, inFlight: 2, detectEvery: 5, probabilities: false, onError: (e, { stopped }) => console.log(e.message, stopped) },
  );
  loop.pause();
  loop.resume();
  loop.stop();
  await loop.done;
  console.log(loop.running, loop.frames);

  // Plain RGBA objects, limits, file headers.
  await seg.segment({ data: new Uint8Array(w * h * 4), width: w, height: h });
  const head = inspectImageFile(new Uint8Array(await file.arrayBuffer()));
  console.log(head.format, head.width, LIMITS.maxPixels, TIME_LIMITS.fetchTimeoutMs);
  seg.dispose();
}
