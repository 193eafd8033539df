// faceforest's input limits in the browser: the same numbers and messages as the
// core's crates/faceforest/src/limits.rs (a browser test compares LIMITS with the
// wasm's `limits()` and the messages with the core's), checked on the main thread
// before anything is copied to the worker. Also reads an image file's header
// (format, declared size, whether it is complete) before the browser decodes it.

export const LIMITS = Object.freeze({
  maxPixels: 64_000_000,
  maxSide: 32_768,
  minSide: 16,
  formats: Object.freeze(['PNG', 'JPEG', 'WebP']),
  mimes: Object.freeze(['image/png', 'image/jpeg', 'image/webp']),
});
const ACCEPTED = 'PNG, JPEG or WebP';

/**
 * The browser package's time limits, in milliseconds; each is an option of
 * `createSegmenter` with this default (`Infinity` turns it off).
 * - `fetchTimeoutMs`: a download (model, face detector) that sends nothing for this
 *   long — no answer at all, or a body that stalls — is abandoned with a message
 *   naming the URL.
 * - `threadPoolTimeoutMs`: the threaded build's start-up (wasm and thread pool); past
 *   it, 'auto' falls back to the single-threaded build (`info.fallbackReason` says why).
 */
export const TIME_LIMITS = Object.freeze({ fetchTimeoutMs: 30_000, threadPoolTimeoutMs: 20_000 });

/** `12 s`, `1.5 s`, `250 ms`: a time limit for a message. */
export function formatMs(ms) {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

const shown = (v) => (typeof v === 'number' || typeof v === 'bigint' || v === undefined ? String(v) : JSON.stringify(v) ?? String(v));

/**
 * null if option `name` is a number in range, else the TypeError/RangeError to throw:
 * from `min` (above it if `exclusive`) to `max` (below it if `exclusive`), an integer
 * if `integer`, and finite unless `infinite` (Infinity then means "no limit").
 */
export function optionProblem(name, value, { min = 0, max = undefined, exclusive = false, integer = false, infinite = false } = {}) {
  const kind = integer ? 'an integer' : 'a number';
  const range =
    min === -Infinity && max === undefined
      ? `a finite number`
      : max === undefined
      ? `${kind} ${exclusive ? '>' : '≥'} ${min}${infinite ? ' (or Infinity)' : ''}`
      : exclusive
        ? `${kind} between ${min} and ${max}, exclusive`
        : `${kind} from ${min} to ${max}`;
  if (typeof value !== 'number') return new TypeError(`invalid option: ${name} must be ${range}, not ${shown(value)}`);
  const above = exclusive ? value > min : value >= min;
  const below = max === undefined || (exclusive ? value < max : value <= max);
  const ok = above && below && (Number.isFinite(value) ? !integer || Number.isInteger(value) : infinite && value > 0);
  return ok ? null : new RangeError(`invalid option: ${name} must be ${range}, not ${shown(value)}`);
}

/** The face detector's options (BlazeFace, `detectFaces` and `detectOptions`), in the order messages name them. */
export const DETECT_OPTIONS = Object.freeze(['fast', 'scoreThreshold']);

/**
 * Face-detector options (`detectFaces`, `segmentVideoFrame`'s and `startVideo`'s
 * `detectOptions`): the first problem, or null. `fast` is a boolean (the whole frame
 * as one view), `scoreThreshold` a probability strictly between 0 and 1 (default
 * 0.5); any other key is refused (e.g. the old detector's `step`, `maxSide`,
 * `pyramidScale`) rather than silently ignored.
 */
export function detectOptionsProblem(o) {
  if (o === undefined || o === null) return null;
  if (typeof o !== 'object' || Array.isArray(o)) {
    return new TypeError(`invalid option: detector options must be an object, not ${Array.isArray(o) ? 'an array' : shown(o)}`);
  }
  for (const key of Object.keys(o)) {
    if (!DETECT_OPTIONS.includes(key)) {
      return new TypeError(`invalid option: ${key} is not a face-detector option (the options are ${DETECT_OPTIONS.join(', ')})`);
    }
  }
  if (o.fast !== undefined && typeof o.fast !== 'boolean') {
    return new TypeError(`invalid option: fast must be true or false, not ${shown(o.fast)}`);
  }
  if (o.scoreThreshold !== undefined) return optionProblem('scoreThreshold', o.scoreThreshold, { min: 0, max: 1, exclusive: true });
  return null;
}

/**
 * A true/false option (`probabilities` on `segment`, `segmentFace`,
 * `segmentVideoFrame`, `startVideo`): the TypeError, or null (undefined is the
 * default, false). A truthy string such as 'yes' is refused rather than taken for true.
 */
export function booleanOptionProblem(name, value) {
  if (value === undefined || typeof value === 'boolean') return null;
  return new TypeError(`invalid option: ${name} must be true or false, not ${shown(value)}`);
}

/**
 * null if the rectangle `{ x, y, w, h }` (a face box or a crop, in image pixels)
 * overlaps the `width`×`height` image, else the RangeError (`what`: 'face box' or 'crop').
 */
export function rectProblem(what, r, width, height) {
  if (r.w > 0 && r.h > 0 && r.x < width && r.y < height && r.x + r.w > 0 && r.y + r.h > 0) return null;
  const where = `at (${r.x}, ${r.y}), ${r.w}×${r.h},`;
  if (!(r.w > 0 && r.h > 0)) return new RangeError(`invalid ${what}: ${where} must have a positive width and height`);
  return new RangeError(`invalid ${what}: ${where} lies entirely outside the ${width}×${height} image`);
}

/** The model file's magic and the format versions this package's wasm reads (model.rs). */
export const MODEL_FORMAT = Object.freeze({ magic: 'FACEFRST', version: 4, oldest: 2 });

const invalid = (msg) => new Error(`invalid image: ${msg}`);

function megapixels(pixels) {
  const mp = pixels / 1e6;
  return `${mp >= 10 ? mp.toFixed(0) : mp.toFixed(1)} megapixels`;
}

/** null if `width`×`height` is within the limits, else the Error to throw. */
export function sizeProblem(width, height) {
  const least = `it must be at least ${LIMITS.minSide}×${LIMITS.minSide} pixels`;
  if (width === 0 || height === 0) return invalid(`the image is ${width}×${height}; ${least}`);
  const pixels = width * height;
  if (pixels > LIMITS.maxPixels || width > LIMITS.maxSide || height > LIMITS.maxSide) {
    return invalid(
      `the image is ${width}×${height} (${megapixels(pixels)}); at most ${LIMITS.maxPixels / 1e6} megapixels and ${LIMITS.maxSide} pixels a side are accepted`,
    );
  }
  if (width < LIMITS.minSide || height < LIMITS.minSide) return invalid(`the image is ${width}×${height}; ${least}`);
  return null;
}

const isDim = (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** null if `image` is an ImageData-like `{ data, width, height }` within the limits, else the Error. */
export function imageProblem(image) {
  if (!image || typeof image !== 'object') return invalid('expected an ImageData or { data, width, height }');
  const { data, width, height } = image;
  if (!isDim(width)) return invalid('width must be a non-negative integer');
  if (!isDim(height)) return invalid('height must be a non-negative integer');
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
    return invalid('data must be a Uint8ClampedArray or Uint8Array of RGBA bytes');
  }
  const expected = 4 * width * height;
  if (data.length !== expected) return invalid(`data holds ${data.length} bytes but ${width}×${height} RGBA needs ${expected}`);
  return sizeProblem(width, height);
}

/** null if `bytes` start like a model this package can load, else the Error (same text as the core's). */
export function modelProblem(bytes) {
  const head = MODEL_FORMAT.magic.length + 2;
  const magic = new TextEncoder().encode(MODEL_FORMAT.magic);
  const prefix = (n) => magic.subarray(0, n).every((b, i) => bytes[i] === b);
  if (bytes.length === 0) return new Error('model file is truncated or corrupt: the file is empty');
  if (bytes.length < head) {
    return prefix(Math.min(bytes.length, magic.length))
      ? new Error(`model file is truncated or corrupt: the file ends inside its ${head}-byte header`)
      : notAModel();
  }
  if (!prefix(magic.length)) return notAModel();
  const version = bytes[8] | (bytes[9] << 8);
  if (version > MODEL_FORMAT.version) {
    return new Error(
      `model format version ${version} is newer than this build understands (up to ${MODEL_FORMAT.version}); update faceforest`,
    );
  }
  if (version < MODEL_FORMAT.oldest) {
    return new Error(`model format version ${version} is older than this build understands (from ${MODEL_FORMAT.oldest}); retrain the model`);
  }
  return null;
}
const notAModel = () => new Error('not a faceforest model (the file does not start with the FACEFRST magic bytes)');

// --- image files -------------------------------------------------------------------
const startsWith = (b, sig, at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (s) => [...s].map((c) => c.charCodeAt(0));
const u32be = (b, i) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32le = (b, i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

function lastIndexOf(b, sig) {
  outer: for (let i = b.length - sig.length; i >= 0; i--) {
    for (let j = 0; j < sig.length; j++) if (b[i + j] !== sig[j]) continue outer;
    return i;
  }
  return -1;
}

/** What a file that is not an accepted image seems to be (as the core's `sniff`). */
function describeOther(b) {
  const brand = b.length >= 12 && startsWith(b, ascii('ftyp'), 4) ? String.fromCharCode(...b.subarray(8, 12)) : null;
  let named = null;
  if (brand) {
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) named = 'a HEIC/HEIF photo';
    else if (['avif', 'avis'].includes(brand)) named = 'an AVIF image';
    else named = 'a video or MP4-family file';
  } else if (startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))) named = 'a GIF image';
  else if (startsWith(b, ascii('BM'))) named = 'a BMP image';
  else if (startsWith(b, [0x49, 0x49, 0x2a, 0]) || startsWith(b, [0x4d, 0x4d, 0, 0x2a])) named = 'a TIFF image';
  else if (startsWith(b, ascii('%PDF'))) named = 'a PDF document';
  else if (startsWith(b, [0x50, 0x4b, 3, 4])) named = 'a ZIP archive (or an Office document)';
  else if (startsWith(b, ascii(MODEL_FORMAT.magic))) named = 'a faceforest model';
  else if (startsWith(b, ascii('<svg')) || startsWith(b, ascii('<?xml'))) named = 'an SVG/XML document';
  if (named) return `the file is ${named}, not a ${ACCEPTED} image`;
  const head = [...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  return `the file is not a ${ACCEPTED} image (it starts with bytes ${head})`;
}

/** Declared width and height from a PNG, JPEG or WebP header, or null if it is cut short. */
function declaredSize(format, b) {
  if (format === 'PNG') return b.length >= 24 && startsWith(b, ascii('IHDR'), 12) ? [u32be(b, 16), u32be(b, 20)] : null;
  if (format === 'WebP') {
    if (b.length < 30) return null;
    const kind = String.fromCharCode(...b.subarray(12, 16));
    if (kind === 'VP8X') return [u24le(b, 24) + 1, u24le(b, 27) + 1];
    if (kind === 'VP8L') {
      const bits = u32le(b, 21);
      return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
    }
    if (kind === 'VP8 ') return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
    return null;
  }
  // JPEG: walk the segments to the first start-of-frame marker.
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const m = b[i + 1];
    if (m === 0xff) { i++; continue; }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return [u16be(b, i + 7), u16be(b, i + 5)];
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) { i += 2; continue; }
    i += 2 + u16be(b, i + 2);
  }
  return null;
}

/**
 * Reads an image file's header before the browser decodes it: `{ format, width,
 * height }`, or throws the core's message for an empty, foreign, truncated,
 * too small or too large file.
 */
export function inspectImageFile(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length === 0) throw invalid(`the file is empty (0 bytes); accepted formats: ${ACCEPTED}`);
  let format = null;
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) format = 'PNG';
  else if (startsWith(b, [0xff, 0xd8, 0xff])) format = 'JPEG';
  else if (b.length >= 12 && startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)) format = 'WebP';
  if (!format) throw invalid(`${describeOther(b)}; accepted formats: ${ACCEPTED}`);
  const size = declaredSize(format, b);
  if (!size) throw invalid(`the ${format} file is truncated (it ends before the image data does)`);
  const problem = sizeProblem(size[0], size[1]);
  if (problem) throw problem;
  let why = null;
  if (format === 'PNG' && lastIndexOf(b, [0, 0, 0, 0, ...ascii('IEND')]) < 0) why = 'no IEND chunk at its end';
  if (format === 'JPEG' && lastIndexOf(b, [0xff, 0xd9]) <= lastIndexOf(b, [0xff, 0xda])) why = 'no end-of-image marker after the image data';
  if (format === 'WebP' && u32le(b, 4) + 8 > b.length) why = 'it is shorter than its RIFF header says';
  if (why) throw invalid(`the ${format} file is truncated (${why})`);
  return { format, width: size[0], height: size[1] };
}
