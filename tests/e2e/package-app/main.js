// A web developer's page: faceforest-web installed from its npm tarball, bundled by
// Vite (tests/e2e/package.test.mjs copies this folder into a fresh project).
// `window.result` settles to what the test compares across builds and servers.
import { createSegmenter } from 'faceforest-web';
import modelUrl from 'faceforest-web/model';
import detectorUrl from 'faceforest-web/detector';

const q = new URLSearchParams(location.search);

async function decode(url) {
  const bmp = await createImageBitmap(await (await fetch(url)).blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bmp, 0, 0);
  return ctx.getImageData(0, 0, bmp.width, bmp.height);
}

window.result = (async () => {
  const seg = await createSegmenter({ modelUrl, detectorUrl, threads: q.get('threads') ?? 'auto' });
  const image = await decode(q.get('image') ?? './photo.png');
  const { labels, width, height } = await seg.segment(image);
  const overlay = await seg.colourise(labels, { opacity: 0.5 });
  new ImageData(overlay, width, height); // results must be plain (non-shared) copies
  const counts = new Array(8).fill(0);
  let hash = 2166136261;
  for (const l of labels) {
    counts[l]++;
    hash = Math.imul(hash ^ l, 16777619) >>> 0;
  }
  // The detector shipped in the package, on the sample portrait (one face).
  const { faces } = await seg.detectFaces(await decode('./astronaut.png'));
  const { build, threads, fallbackReason, detector } = seg.info;
  seg.dispose();
  return { build, threads, fallbackReason, detector, faces, isolated: crossOriginIsolated, width, height, n: labels.length, counts, hash };
})().catch((e) => ({ error: `${e?.name}: ${e?.message}` }));
window.result.then((r) => (document.querySelector('#out').textContent = JSON.stringify(r)));
