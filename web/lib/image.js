// Image sources other than ImageData, turned into ImageData on the calling thread
// (the worker only ever gets RGBA bytes): <img>, <canvas>, OffscreenCanvas,
// ImageBitmap, VideoFrame, <video> (its current frame) and Blob/File (PNG, JPEG,
// WebP; the header is checked with inspectImageFile before the browser decodes it).
// Sizes are checked against limits.js before any pixel is drawn.
import { sizeProblem, inspectImageFile } from './limits.js';

const invalid = (msg) => new Error(`invalid image: ${msg}`);
const is = (v, name) => typeof globalThis[name] === 'function' && v instanceof globalThis[name];

/** True for `{ data, width, height }` objects (ImageData included): sent as they are. */
export function isPixels(image) {
  return !!image && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image;
}

/** The source's size in pixels, or throws why it has none yet. */
function sourceSize(src) {
  if (is(src, 'HTMLImageElement')) {
    if (!src.complete) throw invalid('the <img> has not finished loading (await img.decode() first)');
    if (!src.naturalWidth) throw invalid(`the <img> has no image data (it failed to load${src.currentSrc ? `: ${src.currentSrc}` : ''})`);
    return [src.naturalWidth, src.naturalHeight];
  }
  if (is(src, 'HTMLVideoElement')) {
    // HAVE_CURRENT_DATA: a frame is there to be drawn.
    if (src.readyState < 2 || !src.videoWidth) throw invalid('the <video> has no frame yet (wait for its loadeddata event)');
    return [src.videoWidth, src.videoHeight];
  }
  if (is(src, 'VideoFrame')) {
    if (!src.format && !src.displayWidth) throw invalid('the VideoFrame is closed');
    return [src.displayWidth, src.displayHeight];
  }
  if (is(src, 'ImageBitmap')) {
    if (!src.width && !src.height) throw invalid('the ImageBitmap is closed or empty');
    return [src.width, src.height];
  }
  if (is(src, 'HTMLCanvasElement') || is(src, 'OffscreenCanvas')) return [src.width, src.height];
  return null;
}

function draw(src, width, height) {
  const problem = sizeProblem(width, height);
  if (problem) throw problem;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  ctx.drawImage(src, 0, 0, width, height);
  try {
    return ctx.getImageData(0, 0, width, height);
  } catch (e) {
    // A tainted canvas: an <img>/<video> from another origin without CORS.
    throw invalid(`its pixels cannot be read (${e?.message ?? e}); an image from another origin needs CORS (crossorigin="anonymous")`);
  }
}

/**
 * `image` as `{ image: { data, width, height }, fresh }`: as it is if it already is
 * one, else drawn on the calling thread; `fresh` says whether the bytes are a new copy
 * (which may be transferred to the worker). Synchronous except for a Blob (a Promise),
 * so calls keep their order.
 */
export function toPixels(image) {
  if (isPixels(image)) return { image, fresh: false };
  if (is(image, 'Blob')) return blobPixels(image);
  const size = sourceSize(image);
  if (!size) return { image, fresh: false }; // imageProblem() says what is wrong with it
  return { image: draw(image, size[0], size[1]), fresh: true };
}

async function blobPixels(image) {
  const bytes = new Uint8Array(await image.arrayBuffer());
  const { width, height } = inspectImageFile(bytes); // the core's messages, before decoding
  let bmp;
  try {
    // As the file's pixels are (no colour conversion, no premultiplication).
    bmp = await createImageBitmap(new Blob([bytes], { type: image.type }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw invalid(`the browser could not decode the file (${e?.message ?? e})`);
  }
  try {
    return { image: draw(bmp, bmp.width || width, bmp.height || height), fresh: true };
  } finally {
    bmp.close();
  }
}
