// No bundler: the package is a plain ES module. Serve the repository root, e.g.
// `node scripts/serve.mjs --coi` (threaded) or without --coi (single-threaded).
import { createSegmenter } from '../../web/lib/index.js';

const q = new URLSearchParams(location.search);
const [out, canvas] = [document.querySelector('#out'), document.querySelector('canvas')];
const ctx = canvas.getContext('2d');
const report = (text, state) => Object.assign(out, { textContent: text }).setAttribute('data-state', state);

async function show(blob) {
  const bmp = await createImageBitmap(blob);
  Object.assign(canvas, { width: bmp.width, height: bmp.height }).getContext('2d').drawImage(bmp, 0, 0);
  const { labels, width, height, ms } = await seg.segment(ctx.getImageData(0, 0, bmp.width, bmp.height));
  const rgba = await seg.colourise(labels, { opacity: 0.5 });
  ctx.drawImage(await createImageBitmap(new ImageData(rgba, width, height)), 0, 0);
  report(`${seg.info.build} build, ${seg.info.threads} thread(s): ${width}×${height} in ${ms.toFixed(0)} ms`, 'done');
}

const seg = await createSegmenter({ modelUrl: q.get('model') ?? '../../web/models/faceforest.model' })
  .catch((e) => report(`error: ${e.message}`, 'error'));
if (seg) {
  report(`${seg.info.build} build, ${seg.info.threads} thread(s): pick a photo`, 'ready');
  document.querySelector('input').onchange = (e) => show(e.target.files[0]).catch((e) => report(`error: ${e.message}`, 'error'));
  if (q.get('image')) await show(await (await fetch(q.get('image'))).blob()).catch((e) => report(`error: ${e.message}`, 'error'));
}
