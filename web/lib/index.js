// faceforest in the browser: per-pixel face parsing off the main thread.
//
//   import { createSegmenter } from './web/lib/index.js';
//   const seg = await createSegmenter({ modelUrl: 'faceforest.model' });
//   const { labels, width, height, ms } = await seg.segment(imageData);
//
// The wasm, the model and (where the page is cross-origin isolated) a thread pool
// live in a dedicated Web Worker (worker.js). Images go to the worker and results
// come back as transferred buffers; results are plain copies, never views of wasm
// or shared memory. Calls queue: each runs after the previous one finished.
//
// Failure isolation: a panic or out-of-memory in the wasm (on the worker's thread or
// on a pool thread, which announces it on a BroadcastChannel) rejects the pending
// call with its message; the worker is terminated and the next call starts a fresh
// one. Inputs are checked here first, with the core's limits and messages (limits.js).

import {
  LIMITS,
  MODEL_FORMAT,
  TIME_LIMITS,
  imageProblem,
  modelProblem,
  optionProblem,
  detectOptionsProblem,
  booleanOptionProblem,
  rectProblem,
  inspectImageFile,
} from './limits.js';
import { toPixels } from './image.js';

export { LIMITS, MODEL_FORMAT, TIME_LIMITS, inspectImageFile };

/** A face box's landmarks, in BlazeFace's order (the subject's right and left). */
const LANDMARKS = ['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEar', 'leftEar'];

/** `options.probabilities` checked (true or false, default false). */
function probabilitiesOption(options) {
  const problem = booleanOptionProblem('probabilities', options?.probabilities);
  if (problem) throw problem;
  return options?.probabilities === true;
}

/** Throws the RangeError/TypeError for a numeric option out of range. */
function checkOption(name, value, range) {
  const problem = optionProblem(name, value, range);
  if (problem) throw problem;
  return value;
}

function toBytes(modelBytes) {
  if (modelBytes instanceof ArrayBuffer) return new Uint8Array(modelBytes.slice(0));
  if (ArrayBuffer.isView(modelBytes)) {
    return new Uint8Array(modelBytes.buffer, modelBytes.byteOffset, modelBytes.byteLength).slice();
  }
  throw new TypeError('modelBytes must be an ArrayBuffer or a typed array');
}

function sameOriginAsPage(url) {
  const page = globalThis.location?.href;
  return !page || new URL(url).origin === new URL(page).origin;
}

function crossOriginWorker(url) {
  const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url)};\n`], { type: 'text/javascript' }));
  try {
    return new Worker(shim, { type: 'module', name: 'faceforest' });
  } finally {
    // Revoked later rather than at once, for browsers that read a worker's blob lazily.
    setTimeout(() => URL.revokeObjectURL(shim), 60_000);
  }
}

class Connection {
  constructor(initMsg) {
    this.initMsg = initMsg;
    this.pending = new Map();
    this.nextId = 1;
    this.ready = false;
    // Panics on the wasm's pool threads are announced here (see crashed()).
    this.channelName = `faceforest-panic-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(this.channelName) : null;
    // The call being run is the oldest pending one.
    if (this.channel) this.channel.onmessage = ({ data }) => this.crashed(crashError(String(data), true), [...this.pending.values()][0]);
    // The literal `new Worker(new URL(...))` lets bundlers find and emit the worker.
    // From another origin (the package on a CDN) a Worker cannot be built from the
    // script's URL (SecurityError): a same-origin blob that imports it is (the files
    // must then be served with CORS, as CDNs do).
    this.worker = sameOriginAsPage(import.meta.url)
      ? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'faceforest' })
      : crossOriginWorker(new URL('./worker.js', import.meta.url).href);
    this.worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      if (data.progress) {
        // Download progress of a pending request (init): not its answer.
        try {
          p.onProgress?.(data.progress);
        } catch (e) {
          globalThis.reportError?.(e);
        }
        return;
      }
      this.pending.delete(data.id);
      if (data.ok) p.resolve(data.result);
      else {
        const err = crashError(data.error.message, data.error.panic);
        p.reject(err);
        if (data.error.panic) this.crashed(err, p);
      }
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault?.();
      const err = new Error(`faceforest worker failed: ${ev.message || 'could not load worker.js'}`);
      // After a successful start, an uncaught error is a crash: restart on the next call.
      if (this.ready) this.crashed(crashError(err.message, true));
      else this.fail(err);
    };
    this.worker.onmessageerror = () => this.fail(new Error('faceforest worker: a message could not be deserialised'));
  }

  request(msg, transfer = [], onProgress = null) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, type: msg.type, onProgress });
      this.worker.postMessage({ ...msg, id, panicChannel: this.channelName }, transfer);
    });
  }

  /** The wasm crashed running `culprit`, which gets `err`; calls queued behind it were never run. */
  crashed(err, culprit) {
    if (this.dead) return;
    this.fail(err, (p) =>
      p === culprit ? err : crashError(`faceforest restarted after a crash (${err.message}); this ${p.type} request was not run — try again`, true),
    );
  }

  fail(err, errorFor = () => err) {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(errorFor(p));
    this.pending.clear();
    this.worker.terminate();
    this.channel?.close();
  }
}

function crashError(message, panic) {
  const err = new Error(message);
  err.panic = !!panic;
  return err;
}

/** `[w, h]` scaled down (never up) so that the longer side is at most `max`. */
function fit(w, h, max) {
  const f = Math.min(1, max / Math.max(w, h));
  return [Math.max(1, Math.round(w * f)), Math.max(1, Math.round(h * f))];
}

function newCanvas(w, h) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(w, h);
  return Object.assign(document.createElement('canvas'), { width: w, height: h });
}

/** Resolves at the video's next frame (requestVideoFrameCallback), else the next animation frame. */
function nextVideoFrame(video) {
  return new Promise((resolve) => {
    if (typeof video.requestVideoFrameCallback === 'function') video.requestVideoFrameCallback(() => resolve());
    else requestAnimationFrame(() => resolve());
  });
}

/**
 * The live-video loop (`seg.startVideo`): each new frame of `video` is drawn at most
 * `maxSide` px into a canvas of its own and sent to `segmentVideoFrame`; up to
 * `inFlight` frames are in the worker at once, so the page captures the next frame
 * while the worker segments the previous one (results still arrive in order).
 * `onResult(result, frame)` gets each result with the canvas holding the frame it
 * belongs to (valid during the call: the canvas is reused afterwards).
 */
function videoLoop(seg, video, onResult, options) {
  if (typeof HTMLVideoElement !== 'function' || !(video instanceof HTMLVideoElement)) {
    throw new TypeError(`startVideo needs a <video> element, not ${video === null ? 'null' : typeof video === 'object' ? (video.constructor?.name ?? 'an object') : typeof video}`);
  }
  if (typeof onResult !== 'function') throw new TypeError('startVideo needs an onResult function');
  const { maxSide = 320, inFlight = 2, detectEvery = 5, detectOptions, maxFailures = 3, onError } = options ?? {};
  const probabilities = probabilitiesOption(options);
  checkOption('maxSide', maxSide, { min: LIMITS.minSide, integer: true });
  checkOption('inFlight', inFlight, { min: 1, max: 4, integer: true });
  checkOption('detectEvery', detectEvery, { min: 1, integer: true });
  checkOption('maxFailures', maxFailures, { min: 1, integer: true });
  const problem = detectOptionsProblem(detectOptions);
  if (problem) throw problem;
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError('invalid option: onError must be a function');

  let running = true;
  let paused = false;
  let wake = null;
  let frames = 0;
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  const slots = []; // free canvases; each frame in flight keeps its own
  const pending = [];
  let size = null;
  let failures = 0; // consecutive crashed frames

  const report = (err, stopped) => {
    if (!onError) {
      if (stopped) globalThis.reportError?.(err);
      return;
    }
    try {
      onError(err, { stopped });
    } catch (e) {
      globalThis.reportError?.(e);
    }
  };
  /** Waits for the oldest frame in flight and hands its result over; false once the loop is to end. */
  const land = async () => {
    const f = pending.shift();
    let r;
    try {
      r = await f.promise;
      failures = 0;
    } catch (e) {
      slots.push(f.canvas);
      if (!running) return false;
      // A crash restarts the worker: the next frame is tried, up to maxFailures in a row.
      // Any other error (e.g. the segmenter was disposed) ends the loop.
      const stop = !e?.panic || ++failures >= maxFailures;
      if (stop) running = false;
      report(e, stop);
      return !stop;
    }
    if (!running) {
      slots.push(f.canvas);
      return false;
    }
    frames++;
    try {
      await onResult(r, { canvas: f.canvas, width: f.width, height: f.height, videoWidth: f.videoWidth, videoHeight: f.videoHeight, capturedAt: f.t0, latencyMs: performance.now() - f.t0, frame: frames });
    } catch (e) {
      globalThis.reportError?.(e);
    } finally {
      slots.push(f.canvas);
    }
    return running;
  };
  const drain = async () => {
    while (pending.length) if (!(await land())) return false;
    return true;
  };

  (async () => {
    try {
      while (running) {
        if (paused) {
          // The frames in flight land, then the loop waits for resume() or stop().
          if (!(await drain())) break;
          if (paused && running) await new Promise((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        await nextVideoFrame(video);
        if (!running || paused) continue;
        const vw = video.videoWidth;
        const vh = video.videoHeight;
        if (!vw || !vh) continue;
        const [w, h] = fit(vw, vh, maxSide);
        if (!size || size[0] !== w || size[1] !== h) {
          // A new frame size: the frames in flight land, then new canvases.
          if (!(await drain())) break;
          slots.length = 0;
          size = [w, h];
        }
        const canvas = slots.pop() ?? newCanvas(w, h);
        const ctx = canvas.getContext('2d', { willReadFrequently: true });
        const t0 = performance.now();
        ctx.drawImage(video, 0, 0, w, h);
        const img = ctx.getImageData(0, 0, w, h);
        const promise = seg.segmentVideoFrame(img, { transfer: true, detectEvery, detectOptions, probabilities });
        promise.catch(() => {}); // handled in land()
        pending.push({ promise, canvas, t0, width: w, height: h, videoWidth: vw, videoHeight: vh });
        if (pending.length >= inFlight && !(await land())) break;
      }
    } catch (e) {
      running = false;
      report(e, true);
    } finally {
      running = false;
      finish();
    }
  })();

  return {
    /** Ends the loop: no more frames are captured and results still in flight are dropped. */
    stop() {
      running = false;
      wake?.();
    },
    /** Stops capturing (e.g. while the tab is hidden); the frames in flight still land. */
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      wake?.();
    },
    get running() {
      return running;
    },
    get paused() {
      return paused;
    },
    /** Results handed to onResult so far. */
    get frames() {
      return frames;
    },
    /** Resolves once the loop has ended (after stop(), or an error that ends it). */
    done,
  };
}

/**
 * Loads the wasm (threaded build where possible), the model and the thread pool in a
 * Web Worker. Resolves once everything is ready; rejects with the reason otherwise
 * (a bad model gives the core's message).
 */
export async function createSegmenter(options = {}) {
  const {
    modelUrl,
    modelBytes,
    detectorUrl,
    detectorBytes,
    threads = 'auto',
    numThreads,
    fetchTimeoutMs = TIME_LIMITS.fetchTimeoutMs,
    threadPoolTimeoutMs = TIME_LIMITS.threadPoolTimeoutMs,
    onProgress,
  } = options;
  if (!modelUrl && !modelBytes) throw new Error('createSegmenter needs modelUrl or modelBytes');
  checkOption('fetchTimeoutMs', fetchTimeoutMs, { exclusive: true, infinite: true });
  checkOption('threadPoolTimeoutMs', threadPoolTimeoutMs, { exclusive: true, infinite: true });
  if (numThreads != null) checkOption('numThreads', numThreads, { min: 1, integer: true });
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('invalid option: onProgress must be a function');
  const initMsg = { type: 'init', threads, numThreads, fetchTimeoutMs, threadPoolTimeoutMs };
  let transfer = [];
  if (modelBytes) {
    initMsg.modelBytes = toBytes(modelBytes);
    // Wrong file or version: refused here, before a worker is started.
    const problem = modelProblem(initMsg.modelBytes);
    if (problem) throw problem;
    transfer = [initMsg.modelBytes.buffer];
  } else {
    // Resolve against the page, not the worker's URL.
    initMsg.modelUrl = new URL(modelUrl, globalThis.document?.baseURI ?? globalThis.location?.href).href;
  }
  // Optional face detector (BlazeFace's face_detection_short_range.tflite); copied, never transferred.
  if (detectorBytes) initMsg.detectorBytes = toBytes(detectorBytes);
  else if (detectorUrl) initMsg.detectorUrl = new URL(detectorUrl, globalThis.document?.baseURI ?? globalThis.location?.href).href;

  // Kept to restart the worker after a panic (the bytes sent are transferred).
  const keptModel = modelBytes ? initMsg.modelBytes.slice() : null;
  const keptDetector = initMsg.detectorBytes ? initMsg.detectorBytes.slice() : null;
  let conn = new Connection(initMsg);
  let info;
  try {
    info = await conn.request(initMsg, transfer, onProgress);
    conn.ready = true;
  } catch (e) {
    conn.fail(e);
    throw e;
  }
  let disposed = null;
  let restarts = 0;

  // After a panic the worker closes itself; the next call gets a fresh one (the
  // model is re-sent from the bytes kept here or re-fetched).
  const connection = async () => {
    if (disposed) throw disposed;
    if (conn.dead && conn.dead.panic) {
      conn.worker.terminate();
      const msg = { ...initMsg, modelBytes: keptModel ? keptModel.slice() : undefined, detectorBytes: keptDetector ? keptDetector.slice() : undefined };
      conn = new Connection(msg);
      restarts++;
      await conn.request(msg, keptModel ? [msg.modelBytes.buffer] : []);
      conn.ready = true;
    }
    return conn;
  };

  // Checks an image (and, with `check(width, height)`, what depends on its size) and
  // sends `{ type, data, width, height, ...extra }` to the worker.
  const send = async (type, source, opts, extra, check) => {
    if (disposed) throw disposed;
    // <img>, <canvas>, ImageBitmap, VideoFrame, <video>, Blob: drawn here (image.js);
    // only a Blob waits (for decoding), so other calls stay in order.
    let pixels = toPixels(source);
    if (pixels instanceof Promise) {
      pixels = await pixels;
      if (disposed) throw disposed;
    }
    const { image, fresh } = pixels;
    // Same checks and messages as the wasm's, before anything is copied.
    const problem = imageProblem(image) ?? check?.(image.width, image.height);
    if (problem) throw problem;
    const { data, width, height } = image;
    // Copy unless the caller gives the buffer away (it is then detached) or it is ours.
    const shared = typeof SharedArrayBuffer === 'function' && data.buffer instanceof SharedArrayBuffer;
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const bytes = (opts?.transfer || fresh) && !shared && whole ? data : data.slice();
    const c = await connection();
    return c.request({ type, data: bytes, width, height, ...extra }, [bytes.buffer]);
  };
  const run = (image, opts, probabilities) => send('segment', image, opts, { probabilities });
  // A box as the worker gets it: x, y, w, h, and the detector's score and six
  // landmarks if it carries them (a box from detectFaces, possibly moved), each
  // point checked here (the wasm refuses a non-finite one too).
  const plainBox = (b, what) => {
    if (!b || typeof b !== 'object' || ![b.x, b.y, b.w, b.h].every(Number.isFinite)) {
      throw new TypeError(`${what} must be an object with finite x, y, w and h`);
    }
    const out = { x: b.x, y: b.y, w: b.w, h: b.h, ...(Number.isFinite(b.score) ? { score: b.score } : {}) };
    if (what === 'box' && b.landmarks !== undefined && b.landmarks !== null) {
      if (typeof b.landmarks !== 'object') throw new TypeError(`box.landmarks must be an object with the points ${LANDMARKS.join(', ')}`);
      out.landmarks = {};
      for (const name of LANDMARKS) {
        const p = b.landmarks[name];
        if (!p || typeof p !== 'object' || ![p.x, p.y].every(Number.isFinite)) {
          throw new TypeError(`box.landmarks.${name} must be an object with finite x and y (the points are ${LANDMARKS.join(', ')})`);
        }
        out.landmarks[name] = { x: p.x, y: p.y };
      }
    }
    if (what === 'crop' && b.angle !== undefined && b.angle !== null) {
      if (!Number.isFinite(b.angle)) throw new TypeError(`crop.angle must be a finite number (radians), not ${b.angle}`);
      out.angle = b.angle;
    }
    return out;
  };

  const seg = {
    info,
    /**
     * `{ labels, width, height, ms }`; `labels` holds a class id per pixel, row-major.
     * With `probabilities: true`, as `segmentProbabilities`.
     */
    segment: async (image, opts) => run(image, opts, probabilitiesOption(opts)),
    /**
     * As `segment`, plus `confidence` (`{ background, skin, ... }`: a Float32Array
     * plane of `width*height` per class, views of one buffer) and, as before,
     * `probabilities` (`width*height` rows of 7 classes, pixel-interleaved).
     */
    segmentProbabilities: (image, opts) => run(image, opts, true),
    /** RGBA overlay for `new ImageData(rgba, width, height)`. */
    async colourise(labels, { opacity = 0.6, hidden = [] } = {}) {
      if (!(labels instanceof Uint8Array)) throw new TypeError('labels must be a Uint8Array');
      checkOption('opacity', opacity, { min: 0, max: 1 });
      const names = info.classes.map((c) => c.name);
      const mask = Array.isArray(hidden)
        ? names.map((name, i) => hidden.includes(name) || hidden[i] === true)
        : names.map((name) => hidden.has?.(name) ?? false);
      const copy = labels.slice();
      const c = await connection();
      return c.request({ type: 'colourise', labels: copy, opacity, hidden: mask }, [copy.buffer]);
    },
    /**
     * Faces in the image (BlazeFace), largest first: `{ faces: [{ x, y, w, h, score,
     * landmarks, roll }], width, height, ms }`; `score` is a probability, `landmarks`
     * six `{ x, y }` points (`rightEye`, `leftEye`, `noseTip`, `mouth`, `rightEar`,
     * `leftEar`: the subject's right and left), `roll` the eye line's angle in radians
     * (positive: clockwise on screen). Options: `fast` (the whole frame as one view,
     * for live video), `scoreThreshold` (in (0, 1), default 0.5). Rejects if the
     * segmenter was created without a (loadable) detector; see `info.detector`.
     */
    /**
     * Resolves `null` for a colour photo and rejects with the core's message for a
     * grayscale one (`invalid image: the photo is grayscale …`): the model finds no
     * skin or face parts in a gray photo, so a page should say so rather than show
     * wrong labels. Not applied by `segment` itself (a dim video frame can look gray).
     */
    checkColour: (image, options) => send('checkColour', image, options ?? {}, {}),
    detectFaces: async (image, options = {}) => {
      const { transfer, ...detectOptions } = options ?? {};
      const problem = detectOptionsProblem(detectOptions);
      if (problem) throw problem;
      return send('detect', image, { transfer }, { options: detectOptions });
    },
    /**
     * The crop `{ x, y, w, h, angle }` the model expects around a face box (may overhang
     * the image); `angle` (radians, clockwise) turns it about its centre with a tilted
     * head (0 for an upright head or a box without landmarks).
     */
    async cropFor(box, width, height) {
      box = plainBox(box, 'box');
      checkOption('width', width, { min: 1, integer: true });
      checkOption('height', height, { min: 1, integer: true });
      const problem = rectProblem('face box', box, width, height);
      if (problem) throw problem;
      const c = await connection();
      return c.request({ type: 'cropFor', box, width, height });
    },
    /**
     * Segments the image through the crop around `box` (or `options.crop`, e.g. a crop
     * the user moved) and pastes the labels back: `{ labels, width, height, crop, ms }`
     * for the whole image, background outside the crop. With `probabilities: true`,
     * also `confidence` (a plane per class, pasted as the labels are; outside the
     * crop background 1 and the other classes 0).
     */
    async segmentFace(image, box, options = {}) {
      const probabilities = probabilitiesOption(options);
      const crop = options?.crop ? plainBox(options.crop, 'crop') : null;
      if (!crop) box = plainBox(box, 'box');
      // A box or crop that misses the image would give an all-background answer.
      const check = (w, h) => (crop ? rectProblem('crop', crop, w, h) : rectProblem('face box', box, w, h));
      return send('segmentFace', image, options, { box: crop ? null : box, crop, probabilities }, check);
    },
    /**
     * One live-video frame: the face is re-detected every `detectEvery` frames (fast
     * settings) and its box smoothed across frames; the face crop is segmented, or the
     * whole frame while no face is known. `{ labels, width, height, box, crop, detected,
     * detectMs, segmentMs, ms }`, and `confidence` with `probabilities: true` (as
     * `segmentFace`'s, or the whole frame's while no face is known).
     */
    segmentVideoFrame: async (image, options = {}) => {
      const { detectEvery = 5, detectOptions } = options ?? {};
      const probabilities = probabilitiesOption(options);
      checkOption('detectEvery', detectEvery, { min: 1, integer: true });
      const problem = detectOptionsProblem(detectOptions);
      if (problem) throw problem;
      return send('segmentVideoFrame', image, options, { detectEvery, detectOptions, probabilities });
    },
    /**
     * Segments a `<video>` live (see videoLoop): `onResult(result, frame)` for each
     * frame; returns `{ stop(), pause(), resume(), running, paused, frames, done }`.
     */
    startVideo: (video, onResult, options) => videoLoop(seg, video, onResult, options),
    /** Forgets the tracked face box (call when the video source changes). */
    async resetTracking() {
      const c = await connection();
      return c.request({ type: 'resetTracking' });
    },
    /** Stops the worker (and its threads); pending and later calls reject. */
    dispose() {
      if (disposed) return;
      disposed = new Error('the segmenter was disposed');
      conn.fail(disposed);
    },
    /**
     * Memory and restarts, for long sessions: `{ wasmMemoryBytes, restarts }` (wasm
     * memory only grows; a restart after a crash starts a fresh one).
     */
    async diagnostics() {
      const c = await connection();
      const d = await c.request({ type: 'diagnostics' });
      return { ...d, restarts };
    },
    /** @internal test hook: makes the wasm panic with `message` (`inPool`: on a pool thread). */
    async _panic(message, { inPool = false } = {}) {
      const c = await connection();
      return c.request({ type: 'panic', message, inPool });
    },
  };
  return seg;
}
